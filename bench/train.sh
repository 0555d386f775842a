#!/usr/bin/env bash
# Training-step benchmark of GPT-3 Small's shape (f32, vocabulary 50257) at
# B = 4, T = 64 and B = 1, T = 1024: one compiled train_step (forward,
# backward by tfm-autodiff, clipping, AdamW), as tokens/s and GFLOP/s, and
# as a fraction of this machine's FP32 FMA peak, which the benchmark
# measures itself (bench/fma_peak.c). FLOPs are 6 per weight per token plus
# attention, 12 L T C per token. Not a test: nothing here passes or fails on
# time.
#
#   bash bench/train.sh [steps]
steps=${1:-3}
source "$(dirname "$0")/common.sh"
measure_fma_peak
print_machine
printf '%-32s %12s %10s %10s %10s\n' case ms/step tokens/s GFLOP/s "of peak"
for shape in "4 64" "1 1024"; do
  read -r batch seq <<<"$shape"
  start=$(date +%s.%N)
  "$build/bin/gpt3-compile" --config gpt3-small --batch "$batch" --seq "$seq" \
    --entries train_step --emit=exe -o "$work/model"
  compile=$(echo "$(date +%s.%N) - $start" | bc)
  line=$("$work/model" bench --entry train_step --iters "$steps")
  ms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$line")
  tps=$(sed -n 's/.* \([0-9.]*\) tokens\/s.*/\1/p' <<<"$line")
  gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$line")
  frac=$(echo "scale=3; $gflops / $peak" | bc)
  printf '%-32s %12s %10s %10s %10s   (compile %.1f s)\n' \
    "gpt3-small train_step B=$batch T=$seq" "$ms" "$tps" "$gflops" "$frac" \
    "$compile"
done
