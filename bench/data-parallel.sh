#!/usr/bin/env bash
# Data-parallel scaling of the training step on this machine: GPT-3 Small's
# shape (f32) at B = 4, T = 64 per rank, one thread per rank. One process
# on one core, then 2 ranks (gpt3-compile --ranks 2, mpirun -np 2, shared
# memory between them) on two cores, each on its own batch of 4: the
# scaling efficiency is the 2-rank run's tokens/s over twice the one
# rank's; the same with ZeRO-1 (--zero 1). For reference, one process of
# batch 8 on both cores' threads (OpenMP), the other way to use them. Not a test: nothing here passes or
# fails on time.
#
#   bash bench/data-parallel.sh [steps]
steps=${1:-3}
source "$(dirname "$0")/common.sh"
print_machine
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
compile() {
  "$build/bin/gpt3-compile" --config gpt3-small --seq 64 --entries train_step \
    --emit=exe "$@"
}
compile --batch 4 -o "$work/one"
compile --batch 4 --ranks 2 -o "$work/two"
compile --batch 4 --ranks 2 --zero 1 -o "$work/zero"
compile --batch 8 -o "$work/wide"
field() { sed -n "s/.* \([0-9.]*\) $1.*/\1/p"; }
median_ms() { sed -n 's/.*median \([0-9.]*\) ms.*/\1/p'; }

one=$(OMP_NUM_THREADS=1 "$work/one" bench --entry train_step --iters "$steps")
two=$(OMP_NUM_THREADS=1 mpirun -np 2 --bind-to core "$work/two" bench \
  --entry train_step --iters "$steps")
zero=$(OMP_NUM_THREADS=1 mpirun -np 2 --bind-to core "$work/zero" bench \
  --entry train_step --iters "$steps")
wide=$(OMP_NUM_THREADS=2 "$work/wide" bench --entry train_step --iters "$steps")
t1=$(median_ms <<<"$one") t2=$(median_ms <<<"$two") tw=$(median_ms <<<"$wide")
tz=$(median_ms <<<"$zero")
printf '%-44s %10s %10s\n' case ms/step tokens/s
printf '%-44s %10s %10.0f\n' "1 rank, batch 4, 1 thread" "$t1" \
  "$(echo "4 * 64 * 1000 / $t1" | bc -l)"
printf '%-44s %10s %10.0f\n' "2 ranks, batch 4 each, 1 thread each" "$t2" \
  "$(echo "8 * 64 * 1000 / $t2" | bc -l)"
printf '%-44s %10s %10.0f\n' "2 ranks, ZeRO-1, batch 4 each, 1 thread each" \
  "$tz" "$(echo "8 * 64 * 1000 / $tz" | bc -l)"
printf '%-44s %10s %10.0f\n' "1 process, batch 8, 2 threads" "$tw" \
  "$(echo "8 * 64 * 1000 / $tw" | bc -l)"
printf 'scaling efficiency, 2 ranks: %.2f, with ZeRO-1 %.2f (tokens/s over twice one rank'"'"'s)\n' \
  "$(echo "$t1 / $t2" | bc -l)" "$(echo "$t1 / $tz" | bc -l)"
printf '2 ranks against 1 process on both cores: %.2fx the tokens/s\n' \
  "$(echo "$tw / $t2" | bc -l)"
