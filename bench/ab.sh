#!/usr/bin/env bash
# Same-minute A/B of two builds of the compiler: GPT-3 Small forward + loss
# (B=1, T=1024), the training step (B=4, T=64) and a decode step at the
# last position of T=1024, each compiled by both
# builds and timed in alternation, so the machine's noise hits both alike.
# Prints whether the two compile to the same code (LLVM IR without the
# manifest), each median and the
# ratio B / A of the medians of the per-round times. Not a test: nothing
# here passes or fails on time.
#
#   bash bench/ab.sh BUILD_A BUILD_B [rounds] [case regex]
#
# BUILD_A is usually a build of the previous commit:
#   git worktree add /tmp/prev HEAD~1 && GPT3_BUILD_DIR=/tmp/prev/build \
#     bash /tmp/prev/scripts/build.sh
set -euo pipefail
a=$(realpath "$1")
b=$(realpath "$2")
rounds=${3:-5}
only=${4:-.}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field_ms() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }

printf '%-36s %8s %10s %10s %8s\n' case IR "A ms" "B ms" "B / A"
while read -r name batch seq entries entry <&3; do
  [[ $name =~ $only ]] || continue
  for side in a b; do
    build=${!side}
    "$build/bin/gpt3-compile" --config gpt3-small --batch "$batch" \
      --seq "$seq" --entries "$entries" --emit=exe -o "$work/$side.model"
    "$build/bin/gpt3-compile" --config gpt3-small --batch "$batch" \
      --seq "$seq" --entries "$entries" --emit=llvm -o "$work/$side.ll"
  done
  # The code, without the manifest string (which names what the runtime
  # reads, not what runs).
  ir=$(cmp -s <(grep -v '^@gpt3_manifest' "$work/a.ll") \
    <(grep -v '^@gpt3_manifest' "$work/b.ll") && echo same || echo differs)
  : >"$work/times"
  for ((r = 0; r < rounds; ++r)); do
    ta=$("$work/a.model" bench --entry "$entry" --iters 3 | field_ms)
    tb=$("$work/b.model" bench --entry "$entry" --iters 3 | field_ms)
    echo "$ta $tb" >>"$work/times"
  done
  ma=$(awk '{print $1}' "$work/times" | median)
  mb=$(awk '{print $2}' "$work/times" | median)
  ratio=$(awk '{print $2 / $1}' "$work/times" | median)
  printf '%-36s %8s %10.2f %10.2f %8.3f\n' "$name" "$ir" "$ma" "$mb" "$ratio"
done 3<<'EOF'
gpt3-small-forward-B1-T1024 1 1024 forward forward
gpt3-small-loss-B1-T1024 1 1024 loss loss
gpt3-small-train_step-B4-T64 4 64 train_step,loss train_step
gpt3-small-decode-B1-T1024 1 1024 decode decode
EOF
