#!/usr/bin/python3
"""Checks `eval` against a float64 reference on the same random weights.

The model binary (with a `loss` entry of batch B and sequence T) evaluates
TEXT with random GPT-2-style weights; the reference tokenizes TEXT with the
binary's own `tokenize`, cuts the ids into consecutive windows of T + 1
(sharing their last token), scores the windows that fill whole batches of
B with the float64 forward pass, and compares the mean loss and its
perplexity.

usage: check_eval.py BINARY TEXT TOKENIZER WORKDIR
Exits 1 when the loss differs by more than TOL.
"""

import math
import os
import re
import subprocess
import sys

import numpy as np

from gpt2_reference import (cross_entropy, forward, load_manifest,
                            random_weights, write_safetensors)

TOL = 1e-4


def main():
    binary, text, tokenizer, work = sys.argv[1:5]
    os.makedirs(work, exist_ok=True)
    manifest = load_manifest(binary)
    weights = os.path.join(work, "weights.safetensors")
    w = random_weights(manifest, seed=7)
    write_safetensors(weights, w)
    out = subprocess.run([binary, "eval", "--weights", weights, "--data",
                          text, "--tokenizer", tokenizer],
                         check=True, capture_output=True, text=True).stdout
    print(out, end="")
    loss = float(re.search(r"loss ([0-9.]+)", out).group(1))
    ids = np.array(subprocess.run(
        [binary, "tokenize", "--text-file", text, "--tokenizer", tokenizer],
        check=True, capture_output=True, text=True).stdout.split(), dtype=np.int64)
    batch, seq = manifest["batch"], manifest["seq"]
    windows = (len(ids) - 1) // seq // batch * batch
    starts = np.arange(windows) * seq
    tokens = np.stack([ids[s:s + seq] for s in starts])
    targets = np.stack([ids[s + 1:s + seq + 1] for s in starts])
    reference = cross_entropy(forward(manifest["config"], w, tokens), targets)
    err = abs(loss - reference)
    print(f"float64 reference: loss {reference:.6f}, perplexity "
          f"{math.exp(reference):.3f}; |err| {err:.1e} "
          f"({'ok' if err <= TOL else 'FAIL'}, bound {TOL:g})")
    return 0 if err <= TOL else 1


if __name__ == "__main__":
    sys.exit(main())
