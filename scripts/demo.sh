#!/usr/bin/env bash
# The main job on the built-in default model: sets up, builds, and shows
# GPT-3 Small as the compiler sees it (IR summary and parameter table).
set -euo pipefail
cd "$(dirname "$0")/.."

model=${1:-gpt3-small}
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
build/bin/gpt3-compile --config "$model" --print-summary --print-params
