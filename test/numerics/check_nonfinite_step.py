#!/usr/bin/python3
"""A step whose loss and gradient norm are not finite changes nothing: one
weight is NaN, so every logit is; `step` must say the step was skipped and
write back the parameters it was given, bit for bit.

usage: check_nonfinite_step.py MODEL_BINARY WORKDIR
"""

import os
import subprocess
import sys

import numpy as np

import gpt2_reference as ref


def main():
    binary, workdir = sys.argv[1], sys.argv[2]
    os.makedirs(workdir, exist_ok=True)
    manifest = ref.load_manifest(binary)
    weights = ref.random_weights(manifest, 0)
    weights["ln_f.weight"][3] = np.nan
    ref.write_safetensors(os.path.join(workdir, "model.safetensors"), weights)
    B, T = manifest["batch"], manifest["seq"]
    ids = np.arange(B * T, dtype=np.int32).reshape(B, T) % 100
    np.save(os.path.join(workdir, "ids.npy"), ids)
    run = subprocess.run(
        [binary, "step", "--weights", workdir,
         "--tokens", os.path.join(workdir, "ids.npy"),
         "--targets", os.path.join(workdir, "ids.npy"), "--lr", "1e-3",
         "--out", os.path.join(workdir, "out")],
        check=True, capture_output=True, text=True)
    after = ref.read_safetensors(os.path.join(workdir, "out", "params.safetensors"))
    unchanged = all(np.array_equal(after[n], w, equal_nan=True)
                    for n, w in weights.items())
    print(run.stdout.strip().replace("\n", ", "))
    print(run.stderr.strip())
    print("parameters unchanged" if unchanged else "parameters CHANGED")
    return 0 if unchanged else 1


if __name__ == "__main__":
    sys.exit(main())
