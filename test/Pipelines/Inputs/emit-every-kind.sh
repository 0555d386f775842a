#!/usr/bin/env bash
# Compiles every entry point of MODEL to every --emit kind with COMPILER
# and prints, for each kind, the entry points the output holds (and for
# linalg, how many tfm ops are left).
#
#   emit-every-kind.sh COMPILER MODEL OUTPUT_PREFIX
set -euo pipefail
compiler=$1 model=$2 out=$3
for kind in tfm linalg llvm obj exe; do
  file="$out.$kind"
  "$compiler" --config "$model" --seq 32 --emit="$kind" -o "$file"
  case $kind in
  tfm | linalg) found=$(sed -n 's/^ *func.func @\([a-z_]*\)(.*/\1/p' "$file") ;;
  llvm) found=$(sed -n 's/^define .*@gpt3_entry_\([a-z_]*\)(.*/\1/p' "$file") ;;
  obj) found=$(llvm-nm "$file" | sed -n 's/.* T gpt3_entry_//p') ;;
  exe) found=$("$file" info | sed -n 's/^entry \([a-z_]*\) .*/\1/p') ;;
  esac
  echo "$model $kind:" $(echo "$found" | sort)
  if [ "$kind" = linalg ]; then
    echo "$model linalg: $(grep -c '= tfm\.' "$file" || true) tfm ops left"
  fi
done
