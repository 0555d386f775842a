#!/usr/bin/env bash
# Compile time against depth: every entry point of GPT-3 Small, XL, 13B and
# 175B at B=1, T=1024, to an object file (nothing has to fit in memory),
# timed in one run. Prints seconds per preset and the ratio to Small's; with
# the layers as a loop the ratio stays near 1. Not a test: nothing here
# passes or fails on time.
#
#   bash bench/compile-time.sh [BUILD_DIR] [presets...]
set -euo pipefail
build=$(realpath "${1:-build}")
shift || true
presets=("$@")
[[ ${#presets[@]} -gt 0 ]] || presets=(gpt3-small gpt3-xl gpt3-13b gpt3-175b)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-12s %7s %8s %8s\n' preset layers seconds ratio
base=
for preset in "${presets[@]}"; do
  start=$(date +%s.%N)
  "$build/bin/gpt3-compile" --config "$preset" --batch 1 --seq 1024 \
    --emit=obj -o "$work/$preset.o"
  end=$(date +%s.%N)
  seconds=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}')
  layers=$("$build/bin/gpt3-compile" --config "$preset" --print-summary |
    awk '$1 == "layers" {print $2}')
  base=${base:-$seconds}
  ratio=$(awk -v s="$seconds" -v b="$base" 'BEGIN {printf "%.2f", s / b}')
  printf '%-12s %7s %8s %8s\n' "$preset" "$layers" "$seconds" "$ratio"
done
