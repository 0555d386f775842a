#!/usr/bin/python3
"""Checks that a disk filling up during a checkpoint loses nothing.

Trains with a checkpoint every EVERY steps on a tmpfs sized to hold the
first checkpoint but not a second one beside it. The run must stop at the
second checkpoint with exit code 1 and an error that names the full disk
and the checkpoint kept; the directory must then hold the first checkpoint
exactly (no temporary or partial file), and resuming it elsewhere must end
bit for bit where a run straight through ends.

usage: check_full_disk.py MODEL_BINARY WORKDIR CORPUS TOKENIZER [--every 5]
Needs root, to mount the tmpfs (lit feature `tmpfs`).
"""

import argparse
import os
import shutil
import subprocess
import sys

from check_resume import final_files, uncommitted_work


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("workdir")
    parser.add_argument("corpus")
    parser.add_argument("tokenizer")
    parser.add_argument("--every", type=int, default=5)
    args = parser.parse_args()
    steps = 3 * args.every

    def train(out, steps, *extra):
        return subprocess.run(
            [args.binary, "train", "--out", out, "--data", args.corpus,
             "--tokenizer", args.tokenizer, "--steps", str(steps),
             "--lr", "3e-3", "--warmup", "2", "--val-every", "0",
             "--seed", "3", "--checkpoint-every", str(args.every)]
            + list(extra), capture_output=True, text=True)
    shutil.rmtree(args.workdir, ignore_errors=True)
    os.makedirs(args.workdir)

    # A run to the first checkpoint measures what the tmpfs must hold.
    probe = os.path.join(args.workdir, "probe")
    train(probe, args.every).check_returncode()
    used = sum(os.path.getsize(os.path.join(probe, f))
               for f in os.listdir(probe)
               if f != "model.safetensors" and f != "loss.png")
    _, files = final_files(probe)
    checkpoint = sum(len(b) for kind, b in files.items()
                     if kind != "model.safetensors")
    size = used + checkpoint // 2 + 64 * 1024

    straight = os.path.join(args.workdir, "straight")
    train(straight, steps).check_returncode()

    mount = os.path.join(args.workdir, "small-disk")
    os.makedirs(mount)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                    mount], check=True)
    try:
        out = os.path.join(mount, "run")
        full = train(out, steps)
        print(f"tmpfs of {size} bytes; a checkpoint is {checkpoint} bytes")
        print(f"exit {full.returncode}: {full.stderr.strip()}")
        left = uncommitted_work(out)
        step, _ = final_files(out)
        print(f"after the failure: checkpoint of step {step}, "
              f"{len(left)} uncommitted files {sorted(left)}")
        kept = os.path.join(args.workdir, "kept")
        shutil.copytree(out, kept, symlinks=True)
    finally:
        subprocess.run(["umount", mount], check=True)

    resumed = train(kept, steps, "--resume")
    if resumed.returncode != 0:
        print(f"resume failed: {resumed.stderr.strip()}")
        return 1
    same = final_files(kept) == final_files(straight)
    print(f"resumed from the kept checkpoint to step {steps}: "
          f"{'identical to' if same else 'DIFFERENT from'} the straight run")
    return 0 if same and full.returncode == 1 and not left else 1


if __name__ == "__main__":
    sys.exit(main())
