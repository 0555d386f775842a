#!/usr/bin/env bash
# Decode benchmark: one KV-cache step of GPT-3 Small (f32, batch 1) at
# positions 128 and 1024, as tokens/s and as a fraction of the memory-
# bandwidth bound (weights plus the KV cache read per step, over the read
# bandwidth this benchmark measures itself, bench/read_bandwidth.c); and a
# prompt prefill chunk of 64 tokens at the same positions, as tokens/s and
# GFLOP/s. Not a test: nothing here passes or fails on time.
#
#   bash bench/decode.sh [steps]
steps=${1:-20}
source "$(dirname "$0")/common.sh"
measure_read_bandwidth
print_machine
printf '%-30s %10s %10s %12s %14s\n' case ms/token tokens/s "MB/token" "of bandwidth"
for pos in 128 1024; do
  line=$("$work/model" bench --entry decode --pos "$pos" --iters "$steps")
  ms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$line")
  tps=$(sed -n 's/.* \([0-9.]*\) tokens\/s.*/\1/p' <<<"$line")
  mb=$(sed -n 's/.*(\([0-9.]*\) MB per step).*/\1/p' <<<"$line")
  frac=$(echo "scale=3; ($mb / 1000 / $bandwidth) / ($ms / 1000)" | bc)
  printf '%-30s %10s %10s %12s %14s\n' "gpt3-small decode pos=$pos" "$ms" "$tps" "$mb" "$frac"
done
printf '%-30s %10s %10s %12s\n' case ms/token tokens/s GFLOP/s
for pos in 0 1024; do
  line=$("$work/model" bench --entry prefill --pos "$pos" --iters "$steps")
  ms=$(sed -n 's/.*median \([0-9.]*\) ms.*/\1/p' <<<"$line")
  tps=$(sed -n 's/.* \([0-9.]*\) tokens\/s.*/\1/p' <<<"$line")
  gflops=$(sed -n 's/.* \([0-9.]*\) GFLOP\/s.*/\1/p' <<<"$line")
  printf '%-30s %10.2f %10s %12s\n' "gpt3-small prefill 64 pos=$pos" \
    "$(echo "scale=4; $ms / 64" | bc)" "$tps" "$gflops"
done
