"""Checks a model binary's memory plan against the memory it really uses.

usage: memory_plan.py MODEL_BINARY ENTRY [bench flags...]

Runs `M info` (the code and runtime with nothing allocated: the baseline),
then `M bench --entry ENTRY` (weights, gradients, moments, workspace,
caches and inputs/outputs all touched), and compares the peak resident
memory of the second minus the first with the total `M info` reports for
ENTRY. Exits 1 when they differ by more than 5%.
"""

import re
import resource
import subprocess
import sys


def peak_kib():
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def main():
    model, entry, flags = sys.argv[1], sys.argv[2], sys.argv[3:]
    info = subprocess.run([model, "info"], check=True, capture_output=True,
                          text=True).stdout
    baseline = peak_kib()
    match = re.search(r"^memory %s:.* total (\d+)$" % re.escape(entry), info,
                      re.M)
    if not match:
        sys.exit("no memory plan for %s in `info`:\n%s" % (entry, info))
    planned = int(match.group(1))
    subprocess.run([model, "bench", "--entry", entry, "--iters", "1"] + flags,
                   check=True, capture_output=True)
    used = (peak_kib() - baseline) * 1024
    error = abs(used - planned) / planned
    verdict = "within 5%" if error <= 0.05 else "NOT within 5%"
    print("%s: planned %.1f MiB, used %.1f MiB above the baseline, %s "
          "(%.1f%%)" % (entry, planned / 2**20, used / 2**20, verdict,
                        100 * error))
    sys.exit(0 if error <= 0.05 else 1)


main()
