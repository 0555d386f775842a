#!/usr/bin/env bash
# Configures (once) and builds the compiler in build/ with Ninja, clang++-22,
# lld and ccache when present. Extra arguments go to the first configure.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${GPT3_BUILD_DIR:-build}
if [ ! -f "$build_dir/build.ninja" ]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  cmake -G Ninja -S . -B "$build_dir" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit \
    "${launcher[@]}" "$@"
fi
ninja -C "$build_dir" -j2
