#!/usr/bin/env python3
"""The GPU checks that scripts/gpu-check.sh prepares, run on the GPU machine.

usage: gpu_check.py DIR [--only numerics,cache,speed,kernels,training]
       gpu_check.py --self-test

DIR is build/gpu-check as prepared (bin/, tokenizer/, py/). Prints one table:
numerics of the model binaries against a PyTorch float64 reference on the
GPU, greedy text through the KV cache against full re-forward, speed beside
PyTorch on the same GPU, and kernel by kernel (GPT3_CUDA_PROFILE) each
model matmul beside torch.matmul (cuBLAS) and attention beside
scaled_dot_product_attention, in bf16; and training: a step against
PyTorch autograd and AdamW, its repeat bit for bit, GPT-3 Small's step
speed and MFU beside a compiled PyTorch step. Exits 1 when a numerical
check fails.

--self-test checks the PyTorch reference against the NumPy one (any
machine, CPU).
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np

import gpt2_reference as ref

# Max |error| of logits against float64, per matmul precision: the f32
# path (SIMT units) is exact up to summation order; tf32 keeps 10 mantissa
# bits of each operand, bf16 7.
TOLERANCE = {"f32": 1e-4, "tf32": 5e-3, "bf16": 5e-2}


def torch_forward(torch, config, weights, tokens, device):
    """Logits (B, T, V) in float64, computed by PyTorch on `device`."""
    f64 = torch.float64
    W = {k: torch.as_tensor(v).to(device=device, dtype=f64)
         for k, v in weights.items()}
    eps = config["layer_norm_epsilon"]
    ids = torch.as_tensor(tokens, dtype=torch.long, device=device)
    B, T = ids.shape
    H = config["n_head"]

    def norm(x, name):
        return torch.nn.functional.layer_norm(
            x, x.shape[-1:], W[name + ".weight"], W[name + ".bias"], eps)

    def gelu(x):
        return 0.5 * x * (1.0 + torch.tanh(
            math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))

    t = torch.arange(T, device=device)[:, None]
    s = torch.arange(T, device=device)[None, :]
    x = W["wte.weight"][ids] + W["wpe.weight"][:T]
    for i, window in enumerate(config["windows"]):
        h = f"h.{i}."
        a = norm(x, h + "ln_1")
        qkv = a @ W[h + "attn.c_attn.weight"] + W[h + "attn.c_attn.bias"]
        q, k, v = (z.reshape(B, T, H, -1).transpose(1, 2)
                   for z in qkv.split(qkv.shape[-1] // 3, dim=-1))
        att = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        visible = s <= t
        if window:
            visible = visible & ((t - s) < window)
        att = att.masked_fill(~visible, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, -1)
        x = x + y @ W[h + "attn.c_proj.weight"] + W[h + "attn.c_proj.bias"]
        m = norm(x, h + "ln_2")
        f = gelu(m @ W[h + "mlp.c_fc.weight"] + W[h + "mlp.c_fc.bias"])
        x = x + f @ W[h + "mlp.c_proj.weight"] + W[h + "mlp.c_proj.bias"]
    x = norm(x, "ln_f")
    return (x @ W["wte.weight"].T).cpu().numpy()


class Table:
    def __init__(self):
        self.rows = []
        self.failed = False

    def add(self, check, measured, bar="", result=""):
        self.rows.append((check, measured, bar, result))
        self.failed |= result == "FAIL"
        print(f"  {check}: {measured} {bar} {result}".rstrip())

    def print(self):
        widths = [max(len(r[i]) for r in self.rows + [self.header()])
                  for i in range(4)]
        for row in [self.header()] + self.rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths))
                  + " |")

    @staticmethod
    def header():
        return ("check", "measured", "bar", "result")


# No single model run of the checks takes near this; a hung kernel must
# not take the machine's whole lease.
RUN_TIMEOUT_S = 120


def run(cmd, **kw):
    try:
        return subprocess.run(cmd, check=True, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT_S, **kw)
    except subprocess.TimeoutExpired as e:
        raise subprocess.CalledProcessError(
            124, cmd, stderr=f"timed out after {RUN_TIMEOUT_S} s") from e


def numerics(torch, binaries, work, table):
    device = "cuda" if torch.cuda.is_available() else "cpu"
    runs = [("tiny", "f32"), ("tiny-local", "f32"), ("gpt3-small-t128", "f32")]
    runs += [(f"{model}-{p}", p) for p in ["tf32", "bf16"]
             for model in ["tiny", "gpt3-small-t128"]]
    for name, precision in runs:
        binary = os.path.join(binaries, name)
        manifest = ref.load_manifest(binary)
        config = manifest["config"]
        B, T = manifest["batch"], manifest["seq"]
        weights = ref.random_weights(manifest, 0)
        path = os.path.join(work, name)
        os.makedirs(path, exist_ok=True)
        ref.write_safetensors(os.path.join(path, "model.safetensors"),
                              weights)
        tokens = np.random.default_rng(1).integers(
            0, config["vocab_size"], size=(B, T)).astype(np.int32)
        np.save(os.path.join(path, "tokens.npy"), tokens)
        out = os.path.join(path, "logits.npy")
        try:
            run([binary, "forward", "--weights", path, "--tokens",
                 os.path.join(path, "tokens.npy"), "--out", out])
        except subprocess.CalledProcessError as e:
            table.add(f"{name} logits, {precision}", "did not run: " +
                      e.stderr.strip().splitlines()[-1], "", "FAIL")
            continue
        expected = torch_forward(torch, config, weights, tokens, device)
        err = float(np.abs(np.load(out) - expected).max())
        bar = TOLERANCE[precision]
        table.add(f"{name} B={B} T={T} logits, {precision} matmuls",
                  f"max abs error {err:.2e}", f"<= {bar:.0e}",
                  "ok" if err <= bar else "FAIL")


# Dense bf16 tensor-core peak of the H100/H200 SXM, for the MFU.
PEAK_BF16_FLOPS = 989e12


def training(torch, binaries, work, table):
    """One training step on the GPU against PyTorch autograd and AdamW in
    float64 (the f32 path to 1e-4, the bf16 path by loss and gradient
    cosine); the same step twice, bit for bit; GPT-3 Small's step speed
    beside a PyTorch GPT-2 step (torch.compile, bf16 autocast, SDPA)."""
    script = os.path.join(os.path.dirname(__file__), "check_train_step.py")
    for name, extra, bar in [
            ("tiny-train-f32", ["--param-tolerance", "1e-4"],
             "gradients, parameters <= 1e-4 rel."),
            ("tiny-train-bf16", ["--tolerance", "1e-2", "--min-cosine",
                                 "0.999"],
             "loss <= 1e-2 rel., cosine >= 0.999")]:
        path = os.path.join(work, name)
        result = subprocess.run(
            [sys.executable, script, os.path.join(binaries, name), path,
             *extra], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
        lines = (result.stdout.strip() or result.stderr.strip() or
                 "no output").splitlines()
        table.add(f"{name}: step vs PyTorch autograd + AdamW (fp64)",
                  lines[-1], bar, "ok" if result.returncode == 0 else "FAIL")
    # The check left its weights and tokens: the same step twice.
    path = os.path.join(work, "tiny-train-bf16")
    digests = []
    for repeat in range(2):
        out = os.path.join(path, f"repeat{repeat}")
        run([os.path.join(binaries, "tiny-train-bf16"), "step", "--weights",
             path, "--tokens", os.path.join(path, "tokens.npy"), "--targets",
             os.path.join(path, "targets.npy"), "--lr", "1e-3", "--out", out])
        with open(os.path.join(out, "params.safetensors"), "rb") as f:
            digests.append(f.read())
    same = digests[0] == digests[1]
    table.add("tiny-train-bf16: two runs of the same step",
              "bit-identical parameters" if same else "parameters differ",
              "identical", "ok" if same else "FAIL")

    small = os.path.join(binaries, "gpt3-small-train-bf16")
    manifest = ref.load_manifest(small)
    config = manifest["config"]
    batch, seq = manifest["batch"], manifest["seq"]
    params = sum(int(np.prod(p["shape"])) for p in manifest["params"])
    flops = 6 * params + 6 * config["n_layer"] * seq * config["n_embd"]
    out = run([small, "bench", "--entry", "train_step", "--iters", "3"]).stdout
    ours = float(re.search(r"([0-9.]+) tokens/s", out).group(1))
    mfu = ours * flops / PEAK_BF16_FLOPS
    table.add(f"GPT-3 Small train step B={batch} T={seq} (ours, bf16)",
              f"{ours:,.0f} tokens/s, MFU {100 * mfu:.1f}%", "MFU >= 30%",
              "ok" if mfu >= 0.30 else "below bar")
    if not torch.cuda.is_available():
        return
    from transformers import AutoModelForCausalLM, GPT2Config
    model = AutoModelForCausalLM.from_config(
        GPT2Config(n_positions=seq), attn_implementation="sdpa").cuda()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    compiled = torch.compile(model)
    ids = torch.randint(0, 50257, (batch, seq), device="cuda")

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = compiled(ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    theirs = batch * seq / (cuda_us(torch, step, iters=5) * 1e-6)
    ratio = ours / theirs
    table.add(f"GPT-2 Small train step B={batch} T={seq} (PyTorch, "
              "torch.compile, bf16 autocast, SDPA)",
              f"{theirs:,.0f} tokens/s; ours {ratio:.2f}x",
              ">= 0.8x PyTorch", "ok" if ratio >= 0.8 else "below bar")


def step_losses(text):
    """{step: loss} of a train run's output."""
    return {int(m.group(1)): float(m.group(2)) for m in re.finditer(
        r"^step +(\d+)/\d+ \| loss ([0-9.]+)", text, re.MULTILINE)}


def resume(binaries, work, corpus, tokenizer, table):
    """train --device cuda killed with SIGKILL resumes bit for bit; a
    checkpoint written on the GPU resumes on the CPU and the reverse, to
    the f32 paths' tolerance; generate reads a GPU run's checkpoint."""
    script = os.path.join(os.path.dirname(__file__), "check_resume.py")
    result = subprocess.run(
        [sys.executable, script, os.path.join(binaries, "train-cuda"),
         os.path.join(work, "kills"), corpus, tokenizer, "--steps", "12",
         "--every", "4", "--kill-random", "3"],
        capture_output=True, text=True, timeout=6 * RUN_TIMEOUT_S)
    line = (result.stdout.strip() or result.stderr.strip() or
            "no output").splitlines()[-1]
    table.add("train --device cuda (bf16): SIGKILL at random moments, "
              "--resume", line, "bit for bit",
              "ok" if result.returncode == 0 else "FAIL")

    models = {"cpu": os.path.join(binaries, "train-cpu"),
              "cuda": os.path.join(binaries, "train-cuda-f32")}
    common = ["--data", corpus, "--tokenizer", tokenizer, "--warmup", "4",
              "--lr", "3e-3", "--val-every", "0", "--seed", "7"]
    straight = {}
    for device, binary in models.items():
        out = os.path.join(work, f"straight-{device}")
        straight[device] = step_losses(run(
            [binary, "train", "--out", out, *common, "--steps", "8"]).stdout)
    # Warm-up covers the first 4 steps, so a 4-step run and the first half of
    # an 8-step run follow the same schedule.
    for first, second in [("cuda", "cpu"), ("cpu", "cuda")]:
        out = os.path.join(work, f"{first}-then-{second}")
        run([models[first], "train", "--out", out, *common, "--steps", "4"])
        resumed = step_losses(run([models[second], "train", "--out", out,
                                   *common, "--steps", "8",
                                   "--resume"]).stdout)
        reference = straight[second]
        if sorted(resumed) != [5, 6, 7, 8]:
            table.add(f"step 4 checkpoint of {first}, resumed on {second}",
                      f"resumed steps {sorted(resumed)}", "steps 5-8", "FAIL")
            continue
        err = max(abs(resumed[s] - reference[s]) / abs(reference[s])
                  for s in resumed)
        table.add(f"step 4 checkpoint of {first}, resumed on {second} (f32)",
                  f"losses 5-8 within {err:.1e} rel. of {second}'s own run",
                  "<= 1e-4", "ok" if err <= 1e-4 else "FAIL")
    text = run([models["cpu"], "generate", "--weights",
                os.path.join(work, "straight-cuda"), "--prompt", "The",
                "--temp", "0", "--max-new-tokens", "8"]).stdout
    table.add("generate (CPU) from a GPU run's checkpoint",
              f"{len(text)} characters of text", "reads it", "ok")


def cache(binaries, work, tokenizer, table):
    script = os.path.join(os.path.dirname(__file__), "check_cache.py")
    for name in ["cache-dense", "cache-banded"]:
        try:
            result = subprocess.run(
                [sys.executable, script, os.path.join(binaries, name),
                 os.path.join(work, name), tokenizer, "--prompt-repeat", "14"],
                capture_output=True, text=True, timeout=2 * RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            table.add(f"{name}: greedy text, cache vs re-forward",
                      "timed out", "equal", "FAIL")
            continue
        line = (result.stdout.strip().splitlines() or
                [result.stderr.strip()])[0]
        table.add(f"{name}: greedy text, cache vs re-forward", line, "equal",
                  "ok" if result.returncode == 0 else "FAIL")


def bench_ms(binary, *args):
    out = run([binary, "bench", *args]).stdout
    match = re.search(r"median ([0-9.]+) ms", out)
    return float(match.group(1))


def speed(torch, binaries, table):
    tokens = 8 * 1024
    for precision in ["f32", "bf16"]:
        small = os.path.join(binaries, f"gpt3-small-b8-{precision}")
        ms = bench_ms(small, "--entry", "forward", "--iters", "5")
        table.add(f"GPT-3 Small forward B=8 T=1024 (ours, {precision} "
                  "matmuls)", f"{tokens / ms * 1e3:,.0f} tokens/s "
                  f"({ms:.1f} ms)")
        decode = os.path.join(binaries, f"gpt3-small-decode-{precision}")
        for pos in [128, 1023]:
            ms = bench_ms(decode, "--entry", "decode", "--pos", str(pos),
                          "--iters", "20")
            table.add(f"GPT-3 Small decode at position {pos} (ours, "
                      f"{precision})", f"{ms:.2f} ms/token", "<= 1 ms",
                      "ok" if ms <= 1.0 else "below bar")
    if not torch.cuda.is_available():
        return
    try:
        from transformers import GPT2Config, GPT2LMHeadModel
    except ImportError:
        table.add("PyTorch peers", "transformers missing")
        return
    model = GPT2LMHeadModel(GPT2Config(n_positions=2048)).cuda().eval()
    ids = torch.randint(0, 50257, (8, 1024), device="cuda")
    for dtype, label in [(torch.float32, "f32"), (torch.bfloat16, "bf16")]:
        with torch.no_grad(), torch.autocast("cuda", dtype=dtype,
                                             enabled=dtype != torch.float32):
            for _ in range(2):
                model(ids)
            torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(5):
                model(ids)
            torch.cuda.synchronize()
            ms = (time.perf_counter() - start) / 5 * 1e3
        table.add(f"GPT-2 Small forward B=8 T=1024 (PyTorch eager, {label})",
                  f"{tokens / ms * 1e3:,.0f} tokens/s ({ms:.1f} ms)")
    prompt = torch.randint(0, 50257, (1, 128), device="cuda")
    with torch.no_grad():
        model.generate(prompt, max_new_tokens=8, do_sample=False,
                       cache_implementation="static")
        torch.cuda.synchronize()
        start = time.perf_counter()
        model.generate(prompt, max_new_tokens=64, min_new_tokens=64,
                       do_sample=False, cache_implementation="static")
        torch.cuda.synchronize()
        ms = (time.perf_counter() - start) / 64 * 1e3
    table.add("GPT-2 Small generate() from 128, static cache (HF, f32)",
              f"{ms:.2f} ms/token")


PROFILE_ROW = re.compile(
    r"\s*([0-9.]+)\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)%\s+(\S+)$")


def kernel_times(binary, *args):
    """GPU time per kernel of a bench run: {name: (ms in all, launches)}."""
    env = dict(os.environ, GPT3_CUDA_PROFILE="1")
    result = run([binary, "bench", *args], env=env)
    times = {}
    for line in result.stderr.splitlines():
        match = PROFILE_ROW.match(line)
        if match:
            times[match.group(5)] = (float(match.group(1)),
                                     int(match.group(2)))
    if not times:
        raise subprocess.CalledProcessError(
            1, binary, stderr="no kernel profile in the bench's output")
    return times


def per_launch_us(times, pattern):
    """Microseconds per launch of the kernels whose name matches `pattern`,
    grouped by the pattern's groups (a kernel's copies, one per layer loop,
    are one group)."""
    groups = {}
    for name, (ms, launches) in times.items():
        match = re.fullmatch(pattern, name)
        if match:
            total = groups.setdefault(match.groups(), [0.0, 0])
            total[0] += ms
            total[1] += launches
    return {key: 1e3 * ms / n for key, (ms, n) in groups.items()}


def cuda_us(torch, fn, iters=20):
    """Microseconds per call of `fn` on the GPU, after a warm-up."""
    for _ in range(3):
        fn()
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    end.record()
    torch.cuda.synchronize()
    return 1e3 * start.elapsed_time(end) / iters


def kernels(torch, binaries, table):
    """Our kernels one by one against the libraries PyTorch calls."""
    if not torch.cuda.is_available():
        table.add("kernels", "no GPU visible to PyTorch")
        return
    small = os.path.join(binaries, "gpt3-small-b8-bf16")
    times = kernel_times(small, "--entry", "forward", "--iters", "3")
    matmuls = per_launch_us(times, r"forward_matmul_(\d+)x(\d+)x(\d+)(?:_\d+)?")
    for (m, n, k), ours in sorted(matmuls.items(),
                                  key=lambda kv: -int(kv[0][1])):
        m, n, k = int(m), int(n), int(k)
        a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16)
        b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16)
        cublas = cuda_us(torch, lambda: torch.matmul(a, b))
        ratio = cublas / ours
        tflops = 2.0 * m * n * k / (ours * 1e-6) / 1e12
        table.add(f"matmul {m}x{n}x{k} bf16 (with its epilogue)",
                  f"{ours:.1f} us ({tflops:.0f} TFLOP/s), cuBLAS "
                  f"{cublas:.1f} us: {ratio:.2f}x", ">= 0.6x cuBLAS",
                  "ok" if ratio >= 0.6 else "below bar")
    sdpa = torch.nn.functional.scaled_dot_product_attention
    for name, batch, seq in [("gpt3-small-b8-bf16", 8, 1024),
                             ("gpt3-small-t2048-bf16", 4, 2048)]:
        if name != "gpt3-small-b8-bf16":
            times = kernel_times(os.path.join(binaries, name), "--entry",
                                 "forward", "--iters", "3")
        attention = per_launch_us(times, r"forward_attention(_\d+)?")
        # The dense layers' kernel (the slowest); banded layers see fewer
        # keys than causal SDPA computes.
        ours = max(attention.values())
        q, k, v = (torch.randn(batch, 12, seq, 64, device="cuda",
                               dtype=torch.bfloat16) for _ in range(3))
        theirs = cuda_us(torch, lambda: sdpa(q, k, v, is_causal=True))
        ratio = theirs / ours
        table.add(f"attention forward B={batch} H=12 T={seq} D=64 causal "
                  "bf16", f"{ours:.1f} us, SDPA {theirs:.1f} us: "
                  f"{ratio:.2f}x", ">= 0.5x SDPA",
                  "ok" if ratio >= 0.5 else "below bar")


def self_test():
    import torch
    manifest = {"params": []}
    config = {"n_head": 4, "layer_norm_epsilon": 1e-5, "windows": [0, 3],
              "vocab_size": 50}
    rng = np.random.default_rng(0)
    C, V, T = 16, 50, 8
    shapes = {"wte.weight": (V, C), "wpe.weight": (T, C),
              "ln_f.weight": (C,), "ln_f.bias": (C,)}
    for i in range(2):
        for name, shape in [("ln_1.weight", (C,)), ("ln_1.bias", (C,)),
                            ("attn.c_attn.weight", (C, 3 * C)),
                            ("attn.c_attn.bias", (3 * C,)),
                            ("attn.c_proj.weight", (C, C)),
                            ("attn.c_proj.bias", (C,)),
                            ("ln_2.weight", (C,)), ("ln_2.bias", (C,)),
                            ("mlp.c_fc.weight", (C, 4 * C)),
                            ("mlp.c_fc.bias", (4 * C,)),
                            ("mlp.c_proj.weight", (4 * C, C)),
                            ("mlp.c_proj.bias", (C,))]:
            shapes[f"h.{i}.{name}"] = shape
    manifest["params"] = [{"name": n, "shape": list(s)}
                          for n, s in shapes.items()]
    weights = ref.random_weights(manifest, 0)
    for w in weights.values():
        w *= 10.0
    tokens = rng.integers(0, V, size=(2, T))
    expected = ref.forward(config, weights, tokens)
    got = torch_forward(torch, config, weights, tokens, "cpu")
    err = float(np.abs(got - expected).max())
    print(f"PyTorch reference vs NumPy reference: max |difference| {err:.1e}")
    # A row as the runtime prints it (test/unit/CudaLaunchTest.cpp).
    row = PROFILE_ROW.match("     6.000         4    1500.00  100.0%  "
                            "forward_matmul_8x8x8")
    parsed = per_launch_us({row.group(5): (float(row.group(1)),
                                           int(row.group(2)))},
                           r"forward_matmul_(\d+)x(\d+)x(\d+)(?:_\d+)?")
    print(f"kernel profile row: {parsed}")
    return 0 if err < 1e-9 and parsed == {("8", "8", "8"): 1500.0} else 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir", nargs="?")
    parser.add_argument("--only",
                        default="numerics,cache,speed,kernels,training,"
                        "resume")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    if not args.dir:
        parser.error("give the prepared directory (build/gpu-check)")
    import torch
    if torch.cuda.is_available():
        print(f"GPU: {torch.cuda.get_device_name()}, PyTorch "
              f"{torch.__version__}")
    else:
        print("no GPU visible to PyTorch: the reference runs on the CPU")
    binaries = os.path.join(args.dir, "bin")
    table = Table()
    parts = args.only.split(",")
    with tempfile.TemporaryDirectory() as work:
        if "numerics" in parts:
            numerics(torch, binaries, work, table)
        if "cache" in parts:
            cache(binaries, work, os.path.join(args.dir, "tokenizer"), table)
        if "speed" in parts:
            try:
                speed(torch, binaries, table)
            except (subprocess.CalledProcessError, AttributeError) as e:
                detail = getattr(e, "stderr", "") or str(e)
                table.add("speed", "did not run: " +
                          detail.strip().splitlines()[-1], "", "FAIL")
        corpus = os.path.join(args.dir, "fortunes.txt")
        tokenizer = os.path.join(args.dir, "tokenizer")
        for part, check in [
                ("kernels", lambda: kernels(torch, binaries, table)),
                ("training", lambda: training(torch, binaries, work, table)),
                ("resume",
                 lambda: resume(binaries, work, corpus, tokenizer, table))]:
            if part not in parts:
                continue
            try:
                check()
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired,
                    ValueError, AttributeError, ImportError) as e:
                detail = getattr(e, "stderr", "") or str(e)
                table.add(part, "did not run: " +
                          detail.strip().splitlines()[-1], "", "FAIL")
    print()
    table.print()
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(main())
