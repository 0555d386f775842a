#!/usr/bin/python3
"""Runs a compiled model binary's `forward` on random weights and tokens and
compares the logits with the float64 NumPy reference.

usage: check_forward.py MODEL_BINARY WORKDIR [--tolerance 1e-4] [--seed 0]
                        [--file-dtype f32|bf16]
Prints the max absolute and relative error; exits 1 above the tolerance.
For a model that keeps its matmul weights in bf16 (--dtype bf16) the
reference runs on those weights rounded to bf16, everything else exact;
the weights file holds them as f32 (rounded at load) or, with --file-dtype
bf16, as BF16 (read as they are).
"""

import argparse
import os
import subprocess
import sys

import numpy as np

import gpt2_reference as ref


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("workdir")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--int64", action="store_true", help="write int64 token ids")
    parser.add_argument("--file-dtype", choices=["f32", "bf16"], default="f32")
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    manifest = ref.load_manifest(args.binary)
    config = manifest["config"]
    B, T = manifest["batch"], manifest["seq"]

    weights = ref.random_weights(manifest, args.seed)
    bf16 = ref.matmul_weights(manifest)
    weights_path = os.path.join(args.workdir, "model.safetensors")
    stored = [p["name"] for p in manifest["params"] if p["dtype"] == "bf16"]
    if args.file_dtype == "bf16" and not stored:
        print("--file-dtype bf16 needs a model that keeps weights in bf16")
        return 1
    ref.write_safetensors(weights_path, weights,
                          stored if args.file_dtype == "bf16" else ())
    for name in bf16:
        weights[name] = ref.round_bf16(weights[name])
    rng = np.random.default_rng(args.seed + 1)
    tokens = rng.integers(0, config["vocab_size"], size=(B, T))
    tokens = tokens.astype(np.int64 if args.int64 else np.int32)
    tokens_path = os.path.join(args.workdir, "tokens.npy")
    np.save(tokens_path, tokens)
    out_path = os.path.join(args.workdir, "logits.npy")

    subprocess.run([args.binary, "forward", "--weights", args.workdir,
                    "--tokens", tokens_path, "--out", out_path], check=True)
    logits = np.load(out_path)
    expected = ref.forward(config, weights, tokens.astype(np.int64))
    if logits.shape != expected.shape:
        print(f"shape {logits.shape} != reference {expected.shape}")
        return 1
    abs_err = np.abs(logits - expected)
    max_abs = float(abs_err.max())
    max_rel = float((abs_err / np.maximum(np.abs(expected), 1e-3)).max())
    dtype = " bf16" if bf16 else ""
    print(f"{config['name']}{dtype} B={B} T={T}: max |error| {max_abs:.3e}, "
          f"max relative error {max_rel:.3e}, tolerance {args.tolerance:.0e}, "
          f"logit range [{expected.min():.3f}, {expected.max():.3f}]")
    return 0 if max_abs <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
