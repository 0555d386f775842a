#!/usr/bin/python3
"""Checks that training resumes bit for bit: runs `train` for STEPS steps
straight, then runs it again with a checkpoint every STEPS/2 steps, kills
it with SIGKILL as soon as it reports the first checkpoint, resumes it with
--resume, and compares the step lines of both runs.

usage: check_resume.py MODEL_BINARY WORKDIR CORPUS TOKENIZER [--steps 20]
Exits 1 when a step line differs, or when the kill came too late to
interrupt the run.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys


def step_lines(text):
    """The per-step lines without their timings."""
    lines = []
    for line in text.splitlines():
        if line.startswith("step "):
            fields = line.split(" | ")
            lines.append(" | ".join(f for f in fields
                                    if not f.endswith(("ms", "tok/s"))))
    return lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("workdir")
    parser.add_argument("corpus")
    parser.add_argument("tokenizer")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    half = args.steps // 2
    common = ["--data", args.corpus, "--tokenizer", args.tokenizer,
              "--steps", str(args.steps), "--lr", "3e-3", "--warmup", "4",
              "--val-every", "5", "--seed", "7"]
    straight_dir = os.path.join(args.workdir, "straight")
    killed_dir = os.path.join(args.workdir, "killed")
    for d in (straight_dir, killed_dir):
        shutil.rmtree(d, ignore_errors=True)

    straight = subprocess.run(
        [args.binary, "train", "--out", straight_dir] + common,
        check=True, capture_output=True, text=True).stdout

    run = subprocess.Popen(
        [args.binary, "train", "--out", killed_dir,
         "--checkpoint-every", str(half)] + common,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    before = ""
    for line in run.stdout:
        before += line
        if line.startswith(f"checkpoint at step {half} "):
            run.send_signal(signal.SIGKILL)
            break
    before += run.stdout.read()
    run.wait()
    if run.returncode != -signal.SIGKILL:
        print(f"the run ended (status {run.returncode}) before it was killed")
        return 1
    interrupted = len(step_lines(before))
    resumed = subprocess.run(
        [args.binary, "train", "--out", killed_dir, "--resume",
         "--tokenizer", args.tokenizer],
        check=True, capture_output=True, text=True).stdout

    expected = step_lines(straight)
    got = step_lines(before)[:half] + step_lines(resumed)
    same = expected == got and len(expected) == args.steps
    print(f"{args.steps} steps straight vs killed after step {interrupted} "
          f"(checkpoint at {half}) and resumed: "
          f"{'identical' if same else 'DIFFERENT'} step lines")
    if not same:
        for a, b in zip(expected, got):
            if a != b:
                print(f"  straight: {a}\n  resumed:  {b}")
                break
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
