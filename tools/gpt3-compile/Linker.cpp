//===- Linker.cpp - Link an AOT model binary --------------------*- C++ -*-===//
//
// Part of the GPT-3 compiler, under the Apache License v2.0.
//
//===----------------------------------------------------------------------===//

#include "Linker.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

using namespace llvm;

namespace {
/// The C++ driver used to link: $GPT3_CXX, else clang++-22, else c++.
Expected<std::string> findLinkerDriver() {
  if (const char *env = std::getenv("GPT3_CXX"))
    return std::string(env);
  for (StringRef name : {"clang++-22", "c++"})
    if (ErrorOr<std::string> path = sys::findProgramByName(name))
      return *path;
  return createStringError(inconvertibleErrorCode(),
                           "no C++ compiler driver found to link with (tried "
                           "$GPT3_CXX, clang++-22, c++)");
}
} // namespace

Error gpt3::linkExecutable(StringRef object, StringRef output, StringRef libDir,
                           bool mpi) {
  SmallString<256> runtime(libDir), driver(libDir), ranks(libDir);
  sys::path::append(runtime, "libgpt3_runtime.a");
  sys::path::append(driver, "libgpt3_driver.a");
  sys::path::append(ranks, "libgpt3_mpi.a");
  for (StringRef lib : {runtime.str(), driver.str(), ranks.str()})
    if (!sys::fs::exists(lib))
      return createStringError(inconvertibleErrorCode(),
                               "runtime library not found: " + lib);
  Expected<std::string> cxx = findLinkerDriver();
  if (!cxx)
    return cxx.takeError();

  SmallString<256> temp(output);
  temp += ".link-tmp";
  std::string rpath = "-Wl,-rpath," GPT3_OPENMP_LIB_DIR;
  std::string libPath = "-L" GPT3_OPENMP_LIB_DIR;
  SmallVector<StringRef> args = {
      *cxx, "-fuse-ld=lld", "-o", temp, object, driver, runtime, libPath, rpath,
      "-lomp", "-ldl", "-lpthread",
      // The tokenizer's regular expressions, linked in so the binary needs
      // no PCRE2 at run time.
      "-l:libpcre2-8.a",
      // The runtime finds the entry points of the binary it is linked into.
      "-Wl,--export-dynamic-symbol=gpt3_*"};
  // The driver reaches MPI through weak references, which do not pull
  // members out of an archive.
  if (mpi)
    args.append(
        {"-Wl,--whole-archive", ranks, "-Wl,--no-whole-archive", "-lmpi"});
  // A sanitizer build of the runtime needs the sanitizer runtime too.
  StringRef sanitize = GPT3_SANITIZE_FLAG;
  if (!sanitize.empty())
    args.push_back(sanitize);
  std::string error;
  int rc = sys::ExecuteAndWait(*cxx, args, std::nullopt, {}, 0, 0, &error);
  if (rc != 0) {
    sys::fs::remove(temp);
    return createStringError(inconvertibleErrorCode(),
                             "linking failed (" + *cxx + " exited with " +
                                 std::to_string(rc) + ")" +
                                 (error.empty() ? "" : ": " + error));
  }
  if (std::error_code ec = sys::fs::rename(temp, output)) {
    sys::fs::remove(temp);
    return createStringError(ec, "cannot write %s: %s", output.str().c_str(),
                             ec.message().c_str());
  }
  return Error::success();
}
