#!/usr/bin/env bash
# The performance table: generated kernels and GPT-3 Small (f32, vocabulary
# 50257, 2 threads) against this machine's limits and against peers, all
# measured in this run.
#
#   limits   FP32 FMA and vdpbf16ps peaks (register-blocked,
#            bench/fma_peak.c), read and triad bandwidth
#            (bench/read_bandwidth.c, bench/triad_bandwidth.c)
#   kernels  our matmuls against oneDNN's sgemm on the same operands, in one
#            process (bench/matmul.c); bf16 matmuls against oneDNN's bf16
#            matmul, at its best and on vdpbf16ps only; the decode output
#            projection 1 x 50304 x 768 against the read bandwidth; AdamW
#            alone against the triad bandwidth (bench/adamw.c)
#   model    train step, forward + loss and decode against PyTorch
#            (bench/torch_gpt3.py) in f32 and in bf16, as the median over
#            alternating rounds of time(ours) / time(PyTorch)
#
# PyTorch runs at its best on this machine: the OpenMP OpenBLAS with its
# AVX-512 kernels (OPENBLAS_CORETYPE=SkylakeX, OPENBLAS_L2_SIZE unset: the
# environment may force Haswell's AVX2 kernels) and glibc's allocator told
# to keep freed memory, so that steps after the first reuse their pages
# instead of faulting fresh ones. Its configuration is printed, and a
# float32 matmul through that BLAS is checked against float64 NumPy first.
#
# Not a test: nothing here passes or fails on time.
#
#   bash bench/peers.sh [pairs]     # default 5 pairs
pairs=${1:-5}
source "$(dirname "$0")/common.sh"

bash scripts/setup.sh libdnnl-dev libopenblas0-openmp >/dev/null
torch=(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=SkylakeX
  GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736:glibc.malloc.top_pad=268435456
  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp
  /usr/bin/python3 bench/torch_gpt3.py --threads 2)
export OMP_NUM_THREADS=2
"${torch[@]}" check >"$work/torch_config.txt" || {
  cat "$work/torch_config.txt"
  echo "error: PyTorch's float32 matmul is wrong with this BLAS; no table" >&2
  exit 1
}

# Limits, measured at the start and again at the end, keeping the larger
# of each: on a shared machine a neighbour can hold a core through one
# measurement, which would make every fraction of it look too good.
larger() { awk -v a="$1" -v b="$2" 'BEGIN {print (a > b) ? a : b}'; }
peak1=0 peak=0 bandwidth=0 triad=0 bf16peak1=0 bf16peak=0
has_bf16=$(grep -q ' avx512_bf16' /proc/cpuinfo && echo 1 || echo 0)
measure_limits() {
  local before_peak=$peak before_bandwidth=$bandwidth
  measure_fma_peak >/dev/null
  peak=$(larger "$peak" "$before_peak")
  peak1=$(larger "$peak1" "$(awk '/^fma_peak.*1thread/ {print $2}' "$work/fma_peak.txt")")
  measure_read_bandwidth >/dev/null
  bandwidth=$(larger "$bandwidth" "$before_bandwidth")
  run_probe triad_bandwidth -ffast-math >/dev/null
  triad=$(larger "$triad" "$(awk '{print $2}' "$work/triad_bandwidth.txt")")
  if [ "$has_bf16" = 1 ]; then
    bf16peak1=$(larger "$bf16peak1" "$(awk '/^bf16_dot_peak.*1thread/ {print $2}' "$work/fma_peak.txt")")
    bf16peak=$(larger "$bf16peak" "$(awk '/^bf16_dot_peak.*threads/ && !/1thread/ {print $2}' "$work/fma_peak.txt")")
  fi
}
measure_limits

# Compiles the func.func @kernel in $1 with our CPU pipeline and links it
# with harness bench/$2.c into $work/$2; sets $workspace.
compile_kernel() {
  "$build/bin/gpt3-opt" "$1" --tfm-lower-to-cpu-pipeline -o "$work/kernel.mlir"
  workspace=$(grep -o 'tfm.workspace_bytes = [0-9]*' "$work/kernel.mlir" |
    grep -o '[0-9]*$')
  /usr/lib/llvm-22/bin/mlir-translate --mlir-to-llvmir "$work/kernel.mlir" \
    -o "$work/kernel.ll"
  clang-22 -O3 -march=native -c -Wno-override-module "$work/kernel.ll" \
    -o "$work/kernel.o"
  clang-22 -O3 -march=native -fopenmp "bench/$2.c" "$work/kernel.o" \
    -o "$work/$2" -ldnnl -lm -L/usr/lib/llvm-22/lib \
    -Wl,-rpath,/usr/lib/llvm-22/lib
}

# matmul M N K N|T [bf16]: C = A B with B as (K, N), or as (N, K) read in
# place; A and B in f32, or in bf16 (C stays f32).
matmul_ir() {
  local m=$1 n=$2 k=$3 rhs="$3x$2" maps="" e=${5:-f32}
  if [ "$4" = T ]; then
    rhs="$2x$3"
    maps='indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]'
  fi
  cat <<EOF
func.func @kernel(%a: tensor<${m}x${k}x$e>, %b: tensor<${rhs}x$e>) -> tensor<${m}x${n}xf32> {
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty() : tensor<${m}x${n}xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%empty : tensor<${m}x${n}xf32>) -> tensor<${m}x${n}xf32>
  %c = linalg.matmul ${maps} ins(%a, %b : tensor<${m}x${k}x$e>, tensor<${rhs}x$e>) outs(%acc : tensor<${m}x${n}xf32>) -> tensor<${m}x${n}xf32>
  return %c : tensor<${m}x${n}xf32>
}
EOF
}

adamw_ir() {
  local t="tensor<$1x$2xf32>"
  cat <<EOF
func.func @kernel(%step: tensor<i32> {tfm.input = "step"}, %lr: tensor<f32> {tfm.input = "lr"}, %norm: tensor<f32> {tfm.input = "norm"},
                  %p: $t {tfm.param = "p"}, %g: $t {tfm.input = "g"}, %m: $t {tfm.state = "m"}, %v: $t {tfm.state = "v"})
    -> ($t {tfm.param = "p"}, $t {tfm.state = "m"}, $t {tfm.state = "v"}) {
  %0:3 = tfm.adamw %p, %g, %m, %v, %step, %lr, %norm {beta1 = 0.9 : f64, beta2 = 0.95 : f64, epsilon = 1.0e-08 : f64, weight_decay = 0.1 : f64, max_norm = 1.0 : f64}
      : ($t, $t, $t, $t, tensor<i32>, tensor<f32>, tensor<f32>) -> ($t, $t, $t)
  return %0#0, %0#1, %0#2 : $t, $t, $t
}
EOF
}

median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
field() { sed -n "s|.*$1 \([0-9.]*\) $2.*|\1|p"; }
ratio() { printf "%.3f" "$(echo "scale=6; $1 / $2" | bc)"; }

# row NAME OURS PEER RATIO VALUE LIMIT LABEL TARGET: the fraction VALUE /
# $LIMIT is taken when the table is printed, against the final limits.
rows=() fractions=()
row() {
  rows+=("$(printf '| %s | %s | %s | %s | @ | %s |' "$1" "$2" "$3" "$4" "$8")")
  fractions+=("$5 $6 $7")
}

# Kernels.
for shape in "768 768 768" "1024 3072 768" "4096 768 3072" "256 2304 768"; do
  read -r m n k <<<"$shape"
  matmul_ir "$m" "$n" "$k" N >"$work/matmul.mlir"
  compile_kernel "$work/matmul.mlir" matmul
  for threads in 1 2; do
    line=$(OMP_NUM_THREADS=$threads "$work/matmul" "$m" "$n" "$k" N "$workspace")
    ours=$(field ours GFLOP <<<"$line")
    theirs=$(field oneDNN GFLOP <<<"$line")
    limit=$([ "$threads" = 1 ] && echo peak1 || echo peak)
    row "matmul ${m}x${n}x${k}, $threads thread$([ "$threads" = 2 ] && echo s)" \
      "$ours GFLOP/s" "oneDNN $theirs" "$(ratio "$ours" "$theirs")x" \
      "$ours" "$limit" "of FMA peak" \
      "$([ "$threads" = 1 ] && echo '>= 0.85' || echo '>= 0.80'), >= 1.0x"
  done
done
# bf16 matmuls (vdpbf16ps, f32 accumulation) against oneDNN's bf16 matmul
# at its best (AMX tiles on CPUs that have them) and limited to the same
# instruction (DNNL_MAX_CPU_ISA=AVX512_CORE_BF16), and the vdpbf16ps peak.
if [ "$has_bf16" = 1 ]; then
  for shape in "768 768 768" "1024 3072 768" "4096 768 3072" "256 2304 768"; do
    read -r m n k <<<"$shape"
    matmul_ir "$m" "$n" "$k" N bf16 >"$work/matmul.mlir"
    compile_kernel "$work/matmul.mlir" matmul
    for threads in 1 2; do
      line=$(OMP_NUM_THREADS=$threads "$work/matmul" "$m" "$n" "$k" N "$workspace" bf16 2>/dev/null)
      same=$(OMP_NUM_THREADS=$threads DNNL_MAX_CPU_ISA=AVX512_CORE_BF16 \
        "$work/matmul" "$m" "$n" "$k" N "$workspace" bf16 2>/dev/null |
        field oneDNN GFLOP)
      ours=$(field ours GFLOP <<<"$line")
      best=$(field oneDNN GFLOP <<<"$line")
      limit=$([ "$threads" = 1 ] && echo bf16peak1 || echo bf16peak)
      row "bf16 matmul ${m}x${n}x${k}, $threads thread$([ "$threads" = 2 ] && echo s)" \
        "$ours GFLOP/s" "oneDNN $best; vdpbf16ps only $same" \
        "$(ratio "$ours" "$best")x; $(ratio "$ours" "$same")x" \
        "$ours" "$limit" "of vdpbf16ps peak" ">= 0.8, >= 1.0x"
    done
  done
fi
matmul_ir 1 50304 768 T >"$work/matvec.mlir"
compile_kernel "$work/matvec.mlir" matmul
line=$("$work/matmul" 1 50304 768 T "$workspace")
gbs=$(field ours GB/s <<<"$line")
row "output projection 1x50304x768 (table in place)" "$gbs GB/s" \
  "oneDNN $(field oneDNN GFLOP <<<"$line") GFLOP/s" \
  "$(ratio "$(field ours GFLOP <<<"$line")" "$(field oneDNN GFLOP <<<"$line")")x" \
  "$gbs" bandwidth "of read bandwidth" ">= 0.80"

adamw_rows=4096 adamw_cols=8192
adamw_ir "$adamw_rows" "$adamw_cols" >"$work/adamw.mlir"
compile_kernel "$work/adamw.mlir" adamw
line=$("$work/adamw" "$adamw_rows" "$adamw_cols" "$workspace")
ours_ms=$(field threads=2: ms <<<"$line")
gbs=$(sed -n 's/.* \([0-9.]*\) GB\/s.*/\1/p' <<<"$line")
peer_ms=$("${torch[@]}" adamw --elements $((adamw_rows * adamw_cols)) --iters 5 |
  field median ms)
row "AdamW, $((adamw_rows * adamw_cols)) parameters" "$ours_ms ms, $gbs GB/s" \
  "PyTorch $peer_ms ms" "$(ratio "$ours_ms" "$peer_ms") of the time" \
  "$gbs" triad "of triad bandwidth" ">= 0.75"

# The model: one binary per shape.
gpt3() {
  "$build/bin/gpt3-compile" --config gpt3-small "$@" --emit=exe
}
# The forward + loss and decode binaries are inference-only: their layers'
# weights are packed once, at load, as a user evaluating or serving gets.
gpt3 --batch 4 --seq 64 --entries loss,train_step -o "$work/b4t64"
gpt3 --batch 4 --seq 64 --entries loss -o "$work/loss"
gpt3 --batch 1 --seq 1024 --entries train_step -o "$work/b1t1024"
gpt3 --entries decode -o "$work/decode"
if [ "$has_bf16" = 1 ]; then
  gpt3 --batch 4 --seq 64 --entries train_step --dtype bf16 -o "$work/b4t64-bf16"
  gpt3 --batch 4 --seq 64 --entries loss --dtype bf16 -o "$work/loss-bf16"
  gpt3 --entries decode --dtype bf16 -o "$work/decode-bf16"
fi

# Alternating rounds of ours, PyTorch f32 and PyTorch bf16: prints their
# three times per round, in ms.
rounds_of() {
  local ours_cmd=$1 peer_cmd=$2
  for _ in $(seq "$pairs"); do
    echo "$($ours_cmd | field median ms)" \
      "$($peer_cmd --dtype f32 | field median ms)" \
      "$($peer_cmd --dtype bf16 | field median ms)"
  done
}
column() { awk -v c="$1" '{print $c}' "$work/rounds.txt" | median; }
ratio_column() { awk -v c="$1" '{print $1 / $c}' "$work/rounds.txt" | median; }
model_row() {
  local name=$1 target=$2 ours_cmd=$3 peer_cmd=$4 flops=$5
  rounds_of "$ours_cmd" "$peer_cmd" >"$work/rounds.txt"
  local ours
  ours=$(column 1)
  f32_ms[$name]=$ours
  row "$name" "$ours ms" "PyTorch f32 $(column 2) ms" \
    "$(printf '%.3f' "$(ratio_column 2)") of the time" \
    "$(echo "scale=6; $flops / ($ours / 1000) / 1000000000" | bc)" peak \
    "of FMA peak" "$target"
  row "$name, against PyTorch bf16" "$ours ms (f32)" \
    "PyTorch bf16 $(column 3) ms" \
    "$(printf '%.3f' "$(ratio_column 3)") of the time" \
    "$(echo "scale=6; $flops / ($ours / 1000) / 1000000000" | bc)" peak \
    "of FMA peak" "none (ours f32)"
}
declare -A f32_ms
# --dtype bf16 against PyTorch bf16 (alternating rounds) and against our f32
# time from model_row; its fraction is of the vdpbf16ps peak.
bf16_row() {
  local name=$1 target=$2 ours_cmd=$3 peer_cmd=$4 flops=$5
  for _ in $(seq "$pairs"); do
    echo "$($ours_cmd | field median ms)" "$($peer_cmd --dtype bf16 | field median ms)"
  done >"$work/rounds.txt"
  local ours
  ours=$(column 1)
  row "$name, bf16" "$ours ms ($(ratio "$ours" "${f32_ms[$name]}") of our f32)" \
    "PyTorch bf16 $(column 2) ms" \
    "$(printf '%.3f' "$(ratio_column 2)") of the time" \
    "$(echo "scale=6; $flops / ($ours / 1000) / 1000000000" | bc)" bf16peak \
    "of vdpbf16ps peak" "$target"
}
flops_of() { "$1" bench --entry "$2" --iters 1 | sed -n 's/.*(\([0-9.]*\) GFLOP per.*/\1/p' |
  awk '{printf "%.0f\n", $1 * 1e9}'; }

model_row "train step B=4 T=64" "<= 0.75, >= 0.60 of peak" \
  "$work/b4t64 bench --entry train_step --iters 3" \
  "${torch[*]} train --batch 4 --seq 64 --iters 3" "$(flops_of "$work/b4t64" train_step)"
model_row "train step B=1 T=1024" "<= 0.75" \
  "$work/b1t1024 bench --entry train_step --iters 2" \
  "${torch[*]} train --batch 1 --seq 1024 --iters 2" "$(flops_of "$work/b1t1024" train_step)"
model_row "forward + loss B=4 T=64" ">= 0.75 of peak" \
  "$work/loss bench --entry loss --iters 5" \
  "${torch[*]} loss --batch 4 --seq 64 --iters 5" "$(flops_of "$work/b4t64" loss)"
if [ "$has_bf16" = 1 ]; then
  bf16_row "train step B=4 T=64" "<= 0.6 of our f32, < 1.0" \
    "$work/b4t64-bf16 bench --entry train_step --iters 3" \
    "${torch[*]} train --batch 4 --seq 64 --iters 3" "$(flops_of "$work/b4t64" train_step)"
  bf16_row "forward + loss B=4 T=64" "none" \
    "$work/loss-bf16 bench --entry loss --iters 5" \
    "${torch[*]} loss --batch 4 --seq 64 --iters 5" "$(flops_of "$work/b4t64" loss)"
fi

# Decode at position 128: tokens/s, and the bytes a step must read.
for _ in $(seq "$pairs"); do
  line=$("$work/decode" bench --entry decode --pos 128 --iters 20)
  echo "$(field median ms <<<"$line")" \
    "$(${torch[*]} decode --pos 128 --iters 20 --dtype f32 | field median ms)" \
    "$(${torch[*]} decode --pos 128 --iters 20 --dtype bf16 | field median ms)" \
    "$(sed -n 's/.*(\([0-9.]*\) MB per step).*/\1/p' <<<"$line")"
done >"$work/rounds.txt"
ours=$(column 1)
mb=$(awk 'NR == 1 {print $4}' "$work/rounds.txt")
for c in 2 3; do
  dtype=$([ "$c" = 2 ] && echo f32 || echo bf16)
  speedup=$(awk -v c="$c" '{print $c / $1}' "$work/rounds.txt" | median)
  row "decode B=1 pos=128$([ "$c" = 3 ] && echo ', against PyTorch bf16')" \
    "$(echo "scale=1; 1000 / $ours" | bc) tokens/s" \
    "PyTorch $dtype $(echo "scale=1; 1000 / $(column "$c")" | bc) tokens/s" \
    "$(printf '%.2f' "$speedup")x" \
    "$(echo "scale=6; $mb / $ours" | bc)" bandwidth "of bandwidth bound" \
    "$([ "$c" = 2 ] && echo '>= 2x, >= 0.70' || echo 'none (ours f32)')"
done
f32_decode=$ours

# Decode with bf16 weights: half the bytes per step.
if [ "$has_bf16" = 1 ]; then
  for _ in $(seq "$pairs"); do
    line=$("$work/decode-bf16" bench --entry decode --pos 128 --iters 20)
    echo "$(field median ms <<<"$line")" \
      "$(${torch[*]} decode --pos 128 --iters 20 --dtype bf16 | field median ms)" \
      "$(sed -n 's/.*(\([0-9.]*\) MB per step).*/\1/p' <<<"$line")"
  done >"$work/rounds.txt"
  ours=$(column 1)
  mb=$(awk 'NR == 1 {print $3}' "$work/rounds.txt")
  row "decode B=1 pos=128, bf16 weights" \
    "$(echo "scale=1; 1000 / $ours" | bc) tokens/s ($(ratio "$f32_decode" "$ours")x our f32)" \
    "PyTorch bf16 $(echo "scale=1; 1000 / $(column 2)" | bc) tokens/s" \
    "$(printf '%.2f' "$(awk '{print $2 / $1}' "$work/rounds.txt" | median)")x" \
    "$(echo "scale=6; $mb / $ours" | bc)" bandwidth "of bandwidth bound" \
    ">= 0.8, >= 1.7x our f32, > ggml f16 (~80 tokens/s)"
fi

measure_limits
print_machine
echo "limits (the larger of two measurements): FMA peak $peak1 GFLOP/s on 1 thread, $peak on 2; vdpbf16ps peak $bf16peak1 on 1 thread, $bf16peak on 2 (0: no AVX512-BF16, no bf16 rows); read $bandwidth GB/s; triad $triad GB/s"
echo "peer: $(cat "$work/torch_config.txt" | tr '\n' ' ' | sed 's/  */ /g')"
echo
echo "| case | ours | peer | ratio | of measured limit | target |"
echo "| --- | --- | --- | --- | --- | --- |"
for i in "${!rows[@]}"; do
  read -r value limit label <<<"${fractions[$i]}"
  echo "${rows[$i]/@/$(ratio "$value" "${!limit}") $label}"
done
