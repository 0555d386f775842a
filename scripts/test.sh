#!/usr/bin/env bash
# Sets up the machine, builds, and runs every test (lit + FileCheck tests and
# the GoogleTest unit tests through lit). Exits non-zero if any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "${GPT3_BUILD_DIR:-build}/test" 2>&1 | tee "$log" || status=$?

count() { sed -n "s/^ *$1: *\([0-9]*\).*/\1/p" "$log" | head -n 1; }
passed=$(count Passed); failed=$(count Failed)
skipped=$(( $(count Unsupported || true) + 0 ))
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped} skipped"
exit "$status"
