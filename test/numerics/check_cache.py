#!/usr/bin/python3
"""Greedy generation through the KV cache against greedy generation by full
re-forward, on random weights with enough spread that the text varies.

usage: check_cache.py MODEL_BINARY WORKDIR TOKENIZER_DIR [--tokens 24]
                      [--prompt-repeat 1]
Prints whether the two texts are identical and how many distinct tokens
they hold; exits 1 when they differ or the text is degenerate (fewer than
4 distinct tokens would make the comparison weak).
"""

import argparse
import os
import subprocess
import sys

import gpt2_reference as ref


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("workdir")
    parser.add_argument("tokenizer")
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--prompt-repeat", type=int, default=1,
                        help="repeat the prompt sentence, to reach later "
                             "blocks of the cache")
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    manifest = ref.load_manifest(args.binary)
    weights = ref.random_weights(manifest, 3)
    # Larger weights spread the logits and let context matter, so greedy
    # choices vary from step to step.
    for name, w in weights.items():
        if w.ndim == 2:
            w *= 10.0
    ref.write_safetensors(os.path.join(args.workdir, "model.safetensors"),
                          weights)

    prompt = " ".join(["The quick brown fox jumps over the lazy dog."] *
                      args.prompt_repeat)

    def generate(cache):
        result = subprocess.run(
            [args.binary, "generate", "--weights", args.workdir, "--tokenizer",
             args.tokenizer, "--prompt", prompt, "--temp", "0",
             "--max-new-tokens", str(args.tokens), "--cache", cache],
            check=True, capture_output=True)
        return result.stdout

    cached, full = generate("on"), generate("off")
    ids = subprocess.run(
        [args.binary, "tokenize", "--tokenizer", args.tokenizer, "--text-file",
         "/dev/stdin"], input=cached, check=True,
        capture_output=True).stdout.split()
    distinct = len(set(ids))
    same = cached == full
    print(f"{manifest['config']['name']}: cache {'==' if same else '!='} "
          f"full re-forward over {args.tokens} greedy tokens, "
          f"{distinct} distinct")
    if not same:
        print("cached:", cached)
        print("full:  ", full)
    return 0 if same and distinct >= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
