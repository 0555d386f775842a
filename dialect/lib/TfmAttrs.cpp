//===- TfmAttrs.cpp - Transformer dialect attributes ------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Parsing, printing and verification of `#tfm.pattern`.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/TfmAttrs.h"
#include "tfm/Dialect/TfmDialect.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tfm;

#define GET_ATTRDEF_CLASSES
#include "tfm/Dialect/TfmAttrs.cpp.inc"

void TfmDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "tfm/Dialect/TfmAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// AttentionPatternAttr
//===----------------------------------------------------------------------===//

// Syntax: `<dense>` or `<local, window = W>` with W >= 1.
Attribute AttentionPatternAttr::parse(AsmParser &parser, Type) {
  if (parser.parseLess())
    return {};
  StringRef kind;
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&kind))
    return {};
  int64_t window = 0;
  if (kind == "local") {
    SMLoc windowLoc;
    if (parser.parseComma() || parser.parseKeyword("window") ||
        parser.parseEqual() ||
        (windowLoc = parser.getCurrentLocation(), parser.parseInteger(window)))
      return {};
    if (window < 1) {
      parser.emitError(windowLoc)
          << "local attention window must be at least 1, got " << window;
      return {};
    }
  } else if (kind != "dense") {
    parser.emitError(kindLoc)
        << "expected attention pattern 'dense' or 'local', got '" << kind
        << "'";
    return {};
  }
  if (parser.parseGreater())
    return {};
  return parser.getChecked<AttentionPatternAttr>(parser.getContext(), window);
}

void AttentionPatternAttr::print(AsmPrinter &printer) const {
  if (isDense())
    printer << "<dense>";
  else
    printer << "<local, window = " << getWindow() << ">";
}

LogicalResult
AttentionPatternAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                             int64_t window) {
  if (window < 0)
    return emitError() << "local attention window must be at least 1, got "
                       << window;
  return success();
}
