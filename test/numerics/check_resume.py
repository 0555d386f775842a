#!/usr/bin/python3
"""Checks that training survives SIGKILL at any moment and resumes bit for bit.

A reference run trains STEPS steps straight through, with a checkpoint every
EVERY steps. Each trial then trains the same run in a new directory, kills
it with SIGKILL, and resumes it with --resume (starting afresh when the kill
came before the first checkpoint) until it completes. A trial passes when
its step lines (the lines printed before the kill, up to the step it resumed
from, then the resumed run's) equal the reference's, and its final
checkpoint's files equal the reference's byte for byte.

Kills come from one of two sources:
  --kill-random N      N kills at uniformly random moments of the run
                       (seeded by --seed, printed for reproduction);
  --kill-syscalls      one kill at each file system call of the second
                       checkpoint write (the one that replaces a committed
                       checkpoint): every write, flush, rename, link and
                       unlink, injected with strace at the call's entry.

usage: check_resume.py MODEL_BINARY WORKDIR CORPUS TOKENIZER
           [--steps 20] [--every 5] (--kill-random N [--seed S] | --kill-syscalls)
Exits 1 when any trial differs, or when a kill did not land where intended.
"""

import argparse
import glob
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

# The calls a checkpoint write makes, traced with -y so that each shows the
# path of its file descriptor.
TRACED = "write,fsync,rename,link,symlink,unlink"


def step_lines(text):
    """The per-step lines without their timings."""
    lines = []
    for line in text.splitlines():
        if line.startswith("step "):
            fields = line.split(" | ")
            lines.append(" | ".join(f for f in fields
                                    if not f.endswith(("ms", "tok/s"))))
    return lines


def resumed_from(text):
    match = re.search(r"steps from step (\d+)", text)
    return int(match.group(1)) if match else None


def final_files(directory):
    """The committed checkpoint's tensor files, by kind, as bytes, and
    model.safetensors (which `generate --weights` reads)."""
    with open(os.path.join(directory, "checkpoint.json")) as f:
        manifest = json.load(f)
    files = {}
    for kind, entry in manifest["files"].items():
        with open(os.path.join(directory, entry["file"]), "rb") as f:
            files[kind] = f.read()
    with open(os.path.join(directory, "model.safetensors"), "rb") as f:
        files["model.safetensors"] = f.read()
    return manifest["step"], files


class Run:
    def __init__(self, args):
        self.args = args
        self.common = ["--data", args.corpus, "--tokenizer", args.tokenizer,
                       "--steps", str(args.steps), "--lr", "3e-3",
                       "--warmup", "4", "--val-every", "5", "--seed", "7",
                       "--checkpoint-every", str(args.every)]

    def command(self, directory):
        return [self.args.binary, "train", "--out", directory] + self.common

    def finish(self, directory, before):
        """Resumes (or restarts) a killed run to its end; returns its step
        lines as one uninterrupted run would have printed them, and the step
        it resumed from."""
        has_checkpoint = os.path.exists(
            os.path.join(directory, "checkpoint.json"))
        cmd = (self.command(directory) + ["--resume"] if has_checkpoint
               else self.command(directory))
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"resuming failed ({done.returncode}): "
                               f"{done.stderr.strip()}")
        start = resumed_from(done.stdout) if has_checkpoint else 0
        return step_lines(before)[:start] + step_lines(done.stdout), start

    def compare(self, label, directory, got, reference):
        expected_lines, expected_step, expected_files = reference
        step, files = final_files(directory)
        same_lines = got == expected_lines
        same_files = step == expected_step and files == expected_files
        if same_lines and same_files:
            return True
        print(f"{label}: DIFFERENT "
              f"({'step lines' if not same_lines else 'final files'})")
        for a, b in zip(expected_lines, got):
            if a != b:
                print(f"  straight: {a}\n  resumed:  {b}")
                break
        return False


def uncommitted_work(directory):
    """Files of a checkpoint write that did not commit: temporaries, or
    tensor files checkpoint.json does not name."""
    named = set()
    try:
        with open(os.path.join(directory, "checkpoint.json")) as f:
            named = {e["file"] for e in json.load(f)["files"].values()}
    except (OSError, ValueError, KeyError):
        pass
    work = [os.path.basename(p) for p in
            glob.glob(os.path.join(directory, "*.tmp.*")) +
            glob.glob(os.path.join(directory, "model-*.safetensors")) +
            glob.glob(os.path.join(directory, "optimizer-*.safetensors"))]
    return [w for w in work if w not in named]


def random_trials(run, reference, duration, count, seed):
    rng = random.Random(seed)
    passed, inside = 0, 0
    trial = 0
    while trial < count:
        directory = os.path.join(run.args.workdir, f"random{trial}")
        shutil.rmtree(directory, ignore_errors=True)
        delay = rng.uniform(0.05, 0.95) * duration
        start = time.monotonic()
        proc = subprocess.Popen(run.command(directory), stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
        before = proc.stdout.read()
        proc.wait()
        if proc.returncode == 0:
            # This run was faster than the reference: draw again within it.
            duration = time.monotonic() - start
            continue
        if proc.returncode != -signal.SIGKILL:
            print(f"trial {trial}: the run failed ({proc.returncode})")
            return 1
        work = uncommitted_work(directory)
        inside += bool(work)
        got, start = run.finish(directory, before)
        label = (f"trial {trial}: killed at {delay:.2f} s after step "
                 f"{len(step_lines(before))}"
                 f"{' inside a checkpoint write' if work else ''}, "
                 f"resumed from step {start}")
        if run.compare(label, directory, got, reference):
            passed += 1
            print(f"{label}: identical")
        trial += 1
    print(f"{passed} of {count} random kills (seed {seed}) resumed bit for "
          f"bit; {inside} landed inside a checkpoint write")
    return 0 if passed == count else 1


def normalize(line, directory):
    """A traced call up to its first argument, without pids."""
    line = re.sub(r"^\d+\s+", "", line).replace(directory, "DIR")
    line = re.sub(r"\.tmp\.\d+", ".tmp.PID", line)
    return re.split(r"[,)]| <unfinished", line, maxsplit=1)[0]


def traced_calls(trace_path):
    """The calls of the traced program's main thread (the first traced), as
    (syscall name, line)."""
    calls, main = [], None
    with open(trace_path) as f:
        for line in f:
            match = re.match(r"^(\d+)\s+(\w+)\(", line)
            if not match:
                continue
            main = main or match.group(1)
            if match.group(1) == main:
                calls.append((match.group(2), line))
    return calls


def syscall_points(trace_path, directory, second, third):
    """The calls on `directory` of the checkpoint write tagged `second`, up
    to that of `third`: each as (syscall name, its count among the main
    thread's calls of that name, normalized line); strace counts injections
    per thread. Of the writes into a file, only the first and the last."""
    counts, points, inside = {}, [], False
    for name, line in traced_calls(trace_path):
        counts[name] = counts.get(name, 0) + 1
        inside = inside or f"-{second}.safetensors" in line
        if f"-{third}.safetensors" in line:
            break
        if inside and directory in line and "log.jsonl" not in line:
            points.append((name, counts[name], normalize(line, directory)))
    writes = {}
    for i, (name, _, text) in enumerate(points):
        if name == "write":
            writes.setdefault(text, []).append(i)
    keep = {i for indices in writes.values() for i in (indices[0], indices[-1])}
    return [c for i, c in enumerate(points) if c[0] != "write" or i in keep]


def remove_dead_registrations():
    """Removes the registration files of the OpenMP runtime (one per
    process, in /dev/shm) whose process is gone. A killed process leaves its
    file, and a new process that gets the same pid removes it at start-up:
    one unlink more than the traced run made, which would shift strace's
    count of unlink calls."""
    for path in glob.glob("/dev/shm/__KMP_REGISTERED_LIB_*"):
        match = re.match(r".*_LIB_(\d+)_", path)
        if not match:
            continue
        try:
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:
            try:
                os.unlink(path)
            except OSError:
                pass
        except PermissionError:
            pass


def syscall_trials(run, reference):
    args = run.args
    trace = os.path.join(args.workdir, "trace.txt")
    directory = os.path.join(args.workdir, "syscall-trace")
    shutil.rmtree(directory, ignore_errors=True)
    strace = ["strace", "-f", "-y", "-qq", "-e", f"trace={TRACED}"]
    remove_dead_registrations()
    subprocess.run(strace + ["-o", trace] + run.command(directory),
                   check=True, capture_output=True)
    points = syscall_points(trace, directory, f"{2 * args.every:08d}",
                            f"{3 * args.every:08d}")
    if len(points) < 8:
        print(f"only {len(points)} calls found in the checkpoint write of "
              f"step {2 * args.every}")
        return 1
    passed = 0
    for i, (name, when, expected) in enumerate(points):
        directory = os.path.join(args.workdir, f"syscall{i}")
        shutil.rmtree(directory, ignore_errors=True)
        injected = os.path.join(args.workdir, f"syscall{i}.txt")
        remove_dead_registrations()
        proc = subprocess.run(
            strace + ["-o", injected, "-e",
                      f"inject={name}:signal=KILL:when={when}"]
            + run.command(directory), capture_output=True, text=True)
        calls = traced_calls(injected)
        landed = normalize(calls[-1][1], directory) if calls else ""
        if proc.returncode == 0 or landed != expected:
            print(f"kill {i}: meant for '{expected}' ({name} call {when}), "
                  f"landed at '{landed}' (exit {proc.returncode})")
            return 1
        got, start = run.finish(directory, proc.stdout)
        label = f"kill {i} at {expected}: resumed from step {start}"
        if run.compare(label, directory, got, reference):
            passed += 1
            print(f"{label}: identical")
    print(f"{passed} of {len(points)} kills inside the checkpoint write of "
          f"step {2 * args.every} resumed bit for bit")
    return 0 if passed == len(points) else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("workdir")
    parser.add_argument("corpus")
    parser.add_argument("tokenizer")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--kill-random", type=int, default=0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--kill-syscalls", action="store_true")
    args = parser.parse_args()
    if bool(args.kill_random) == args.kill_syscalls:
        parser.error("give one of --kill-random N and --kill-syscalls")
    os.makedirs(args.workdir, exist_ok=True)
    run = Run(args)

    straight_dir = os.path.join(args.workdir, "straight")
    shutil.rmtree(straight_dir, ignore_errors=True)
    start = time.monotonic()
    straight = subprocess.run(run.command(straight_dir), check=True,
                              capture_output=True, text=True).stdout
    duration = time.monotonic() - start
    expected = step_lines(straight)
    if len(expected) != args.steps:
        print(f"the straight run printed {len(expected)} step lines")
        return 1
    reference = (expected,) + final_files(straight_dir)

    if args.kill_syscalls:
        return syscall_trials(run, reference)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    return random_trials(run, reference, duration, args.kill_random, seed)


if __name__ == "__main__":
    sys.exit(main())
