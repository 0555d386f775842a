#!/usr/bin/env bash
# Forward-pass benchmark of GPT-3 Small (f32, batch 1) at T = 128 and 1024,
# as GFLOP/s and as a fraction of this machine's FP32 FMA peak, which the
# benchmark measures itself (bench/fma_peak.c). Not a test: nothing here
# passes or fails on time.
#
#   bash bench/forward.sh [iterations]
iters=${1:-5}
source "$(dirname "$0")/common.sh"
measure_fma_peak
print_machine
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
