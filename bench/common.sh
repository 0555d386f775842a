# Shared by the bench/ scripts (sourced, not run): a scratch directory, an
# up-to-date build, the machine line, and the limits a benchmark compares
# itself to, measured in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${GPT3_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/build.sh >/dev/null

# Compiles bench/$1.c with OpenMP and the flags after it, runs it and
# prints its output.
run_probe() {
  local probe=$1
  shift
  # 512-bit vectors even where -march=native prefers 256 (Intel's server
  # cores), which would split each zmm operation into two and halve the peak.
  clang-22 -O3 -march=native -mprefer-vector-width=512 "$@" -fopenmp \
    "bench/$probe.c" -o "$work/$probe" -L/usr/lib/llvm-22/lib \
    -Wl,-rpath,/usr/lib/llvm-22/lib
  "$work/$probe" | tee "$work/$probe.txt"
}

# Sets $peak: the FP32 FMA peak on all threads, in GFLOP/s.
measure_fma_peak() {
  run_probe fma_peak -ffp-contract=fast
  peak=$(awk '/^fma_peak.*threads/ && !/1thread/ {print $2}' "$work/fma_peak.txt")
}

# Sets $bandwidth: the read bandwidth, in GB/s.
measure_read_bandwidth() {
  run_probe read_bandwidth -ffast-math
  bandwidth=$(awk '{print $2}' "$work/read_bandwidth.txt")
}

print_machine() {
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
}
