"""GPT-3 Small in PyTorch: the peer that bench/peers.sh times side by side
with the compiled model.

The model is the one gpt3-compile builds for `--config gpt3-small`: 12
pre-LayerNorm blocks of width 768 with 12 heads, tanh GELU, a tied output
projection over 50257 tokens, and attention that alternates dense and
locally banded (window 256) layers, written as PyTorch users write it
(nanoGPT's explicit attention with a mask; torch 1.13 has no fused
attention on the CPU). Training uses torch.optim.AdamW with GPT-3's
settings and clip_grad_norm_. Prints one line: `<case>: median <ms> ms`.
With `--dtype bf16`, training runs under `torch.autocast` (f32 master
weights, bf16 matmuls), and the forward and decode cases hold bf16 weights
and caches (the loss is taken in f32).

  python3 bench/torch_gpt3.py train --batch 4 --seq 64 --iters 3
  python3 bench/torch_gpt3.py loss --batch 4 --seq 64 --iters 5 --dtype bf16
  python3 bench/torch_gpt3.py decode --pos 128 --iters 20
  python3 bench/torch_gpt3.py adamw --elements 33554432 --iters 5
  python3 bench/torch_gpt3.py check

`check` prints the configuration PyTorch runs with (its BLAS library and
that library's kernels, threads, allocator settings) and exits 1 unless a
float32 matmul through that BLAS matches float64 NumPy.
"""

import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn.functional as F

LAYERS, WIDTH, HEADS, VOCAB, CONTEXT, WINDOW = 12, 768, 12, 50257, 2048, 256


class Block(torch.nn.Module):
    def __init__(self, window):
        super().__init__()
        self.window = window
        self.ln_1 = torch.nn.LayerNorm(WIDTH)
        self.c_attn = torch.nn.Linear(WIDTH, 3 * WIDTH)
        self.attn_proj = torch.nn.Linear(WIDTH, WIDTH)
        self.ln_2 = torch.nn.LayerNorm(WIDTH)
        self.c_fc = torch.nn.Linear(WIDTH, 4 * WIDTH)
        self.mlp_proj = torch.nn.Linear(4 * WIDTH, WIDTH)

    def mask(self, queries, keys, start):
        q = torch.arange(start, start + queries).unsqueeze(1)
        k = torch.arange(keys).unsqueeze(0)
        allowed = k <= q
        if self.window:
            allowed &= q - k < self.window
        return allowed

    def attention(self, x, cache, pos):
        b, t, _ = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(WIDTH, dim=2)
        split = lambda y: y.view(b, t, HEADS, WIDTH // HEADS).transpose(1, 2)
        q, k, v = split(q), split(k), split(v)
        if cache is not None:
            cache[0][:, :, pos:pos + t] = k
            cache[1][:, :, pos:pos + t] = v
            first = max(0, pos + t - self.window) if self.window else 0
            k = cache[0][:, :, first:pos + t]
            v = cache[1][:, :, first:pos + t]
            mask = self.mask(t, pos + t, pos)[:, first:]
        else:
            mask = self.mask(t, t, 0)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(WIDTH // HEADS)
        scores = scores.masked_fill(~mask, float("-inf"))
        y = F.softmax(scores, dim=-1) @ v
        return self.attn_proj(y.transpose(1, 2).reshape(b, t, WIDTH))

    def forward(self, x, cache=None, pos=0):
        x = x + self.attention(x, cache, pos)
        mlp = self.c_fc(self.ln_2(x))
        return x + self.mlp_proj(F.gelu(mlp, approximate="tanh"))


class Gpt3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = torch.nn.Embedding(VOCAB, WIDTH)
        self.wpe = torch.nn.Embedding(CONTEXT, WIDTH)
        self.blocks = torch.nn.ModuleList(
            Block(WINDOW if layer % 2 else 0) for layer in range(LAYERS))
        self.ln_f = torch.nn.LayerNorm(WIDTH)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, tokens, caches=None, pos=0):
        t = tokens.shape[1]
        x = self.wte(tokens) + self.wpe(torch.arange(pos, pos + t))
        for i, block in enumerate(self.blocks):
            x = block(x, caches[i] if caches else None, pos)
        return self.ln_f(x) @ self.wte.weight.t()


def timed(run, iters, warmup=1):
    for _ in range(warmup):
        run()
    times = []
    for _ in range(iters):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def tokens(batch, seq):
    return torch.randint(0, VOCAB, (batch, seq))


def blas_library():
    """The BLAS shared library this process loaded, and OpenBLAS's name for
    the kernels it chose (None for another BLAS)."""
    import ctypes
    torch.ones(64, 64) @ torch.ones(64, 64)
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps
                 if "blas" in line.split()[-1]}
    for path in sorted(paths):
        library = ctypes.CDLL(path)
        if hasattr(library, "openblas_get_corename"):
            library.openblas_get_corename.restype = ctypes.c_char_p
            return path, library.openblas_get_corename().decode()
    return ", ".join(sorted(paths)) or "none", None


def check(threads):
    """The configuration, and a float32 matmul against float64 NumPy."""
    import os
    import numpy as np
    path, kernels = blas_library()
    print(f"PyTorch {torch.__version__}, {threads} threads; BLAS {path}, "
          f"kernels {kernels}")
    for name in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "GLIBC_TUNABLES",
                 "ATEN_CPU_CAPABILITY"]:
        print(f"  {name}={os.environ.get(name, '(unset)')}")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 768))
    b = rng.standard_normal((768, 3072))
    got = (torch.from_numpy(a).float() @ torch.from_numpy(b).float()).numpy()
    expected = a.astype(np.float32).astype(np.float64) @ \
        b.astype(np.float32).astype(np.float64)
    err = float(np.abs(got - expected).max() / np.abs(expected).max())
    ok = err <= 1e-5
    print(f"float32 matmul 512x3072x768 against float64 NumPy: max error "
          f"{err:.1e} of the largest value ({'ok' if ok else 'WRONG'}, "
          f"bar 1e-5)")
    return 0 if ok else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case",
                        choices=["train", "loss", "decode", "adamw", "check"])
    parser.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--pos", type=int, default=128)
    parser.add_argument("--elements", type=int, default=1 << 25)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.case == "check":
        return check(args.threads)
    bf16 = args.dtype == "bf16"
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16)

    if args.case == "adamw":
        param = torch.nn.Parameter(torch.randn(args.elements))
        param.grad = torch.randn(args.elements)
        opt = torch.optim.AdamW([param], lr=1e-4, betas=(0.9, 0.95),
                                eps=1e-8, weight_decay=0.1)
        ms = timed(opt.step, args.iters)
        print(f"adamw {args.elements} elements: median {ms:.3f} ms")
        return 0

    model = Gpt3()
    if args.case == "train":
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4,
                                betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
        x, y = tokens(args.batch, args.seq), tokens(args.batch, args.seq)

        def step():
            with autocast:
                logits = model(x)
            loss = F.cross_entropy(logits.float().view(-1, VOCAB), y.view(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)

        ms = timed(step, args.iters)
    elif args.case == "loss":
        x, y = tokens(args.batch, args.seq), tokens(args.batch, args.seq)
        if bf16:
            model = model.to(torch.bfloat16)

        def loss():
            with torch.no_grad():
                logits = model(x).float()
                F.cross_entropy(logits.view(-1, VOCAB), y.view(-1))

        ms = timed(loss, args.iters)
    else:
        dtype = torch.bfloat16 if bf16 else torch.float32
        model = model.to(dtype)
        shape = (1, HEADS, CONTEXT, WIDTH // HEADS)
        caches = [(torch.randn(shape, dtype=dtype),
                   torch.randn(shape, dtype=dtype)) for _ in range(LAYERS)]
        x = tokens(1, 1)

        def decode():
            with torch.no_grad():
                model(x, caches, args.pos)

        ms = timed(decode, args.iters, warmup=2)
    print(f"{args.case} {args.dtype} B={args.batch} T={args.seq} "
          f"pos={args.pos}: "
          f"median {ms:.3f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
