#!/usr/bin/env bash
# Forward-pass benchmark of GPT-3 Small (f32, batch 1) at T = 128 and 1024,
# as GFLOP/s and as a fraction of this machine's FP32 FMA peak, which the
# benchmark measures itself (bench/fma_peak.c). Not a test: nothing here
# passes or fails on time.
#
#   bash bench/forward.sh [iterations]
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-5}
build=${GPT3_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash scripts/build.sh >/dev/null
clang-22 -O3 -march=native -ffp-contract=fast -fopenmp bench/fma_peak.c \
  -o "$work/fma_peak" -L/usr/lib/llvm-22/lib -Wl,-rpath,/usr/lib/llvm-22/lib
"$work/fma_peak" | tee "$work/peak.txt"
peak=$(awk '/threads/ && !/1thread/ {print $2}' "$work/peak.txt")

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
printf '%-28s %12s %10s %12s %10s\n' case ms/pass tokens/s GFLOP/s "of peak"
for seq in 128 1024; do
  start=$(date +%s.%N)
  "$build/bin/gpt3-compile" --config gpt3-small --seq "$seq" --entries forward \
    --emit=exe -o "$work/model-$seq"
  compile=$(echo "$(date +%s.%N) - $start" | bc)
  line=$("$work/model-$seq" bench --iters "$iters")
  ms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$line")
  tps=$(sed -n 's/.* \([0-9.]*\) tokens\/s.*/\1/p' <<<"$line")
  gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$line")
  frac=$(echo "scale=3; $gflops / $peak" | bc)
  printf '%-28s %12s %10s %12s %10s   (compile %.1f s)\n' \
    "gpt3-small forward T=$seq" "$ms" "$tps" "$gflops" "$frac" "$compile"
done
