//===- Linker.h - Link an AOT model binary -----------------------*- C++
//-*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
// Links a compiled model object with the runtime and the driver into one
// executable, using the system C++ compiler driver with lld.
//
//===----------------------------------------------------------------------===//

#ifndef GPT3_COMPILE_LINKER_H
#define GPT3_COMPILE_LINKER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

namespace gpt3 {

/// Links `object` into the executable `output`. The runtime and driver
/// archives are found in `libDir`. The executable is written beside
/// `output` and renamed into place only when the link succeeds.
llvm::Error linkExecutable(llvm::StringRef object, llvm::StringRef output,
                           llvm::StringRef libDir, bool mpi);

} // namespace gpt3

#endif // GPT3_COMPILE_LINKER_H
