#!/usr/bin/python3
"""Runs a compiled model binary's `step` (one AdamW update from fresh
moments) on random weights and tokens, and compares the loss, the pre-clip
gradient norm, every parameter's gradient and every parameter after the
update with PyTorch in float64: torch autograd on a GPT-2 written here from
its definition, torch.nn.utils.clip_grad_norm_ and torch.optim.AdamW.

usage: check_train_step.py MODEL_BINARY WORKDIR [--tolerance 1e-4]
                           [--lr 1e-3] [--seed 0] [--min-cosine 0.999]
Errors are relative, per tensor: ||ours - torch|| / ||torch||. Prints the
largest of each kind with its tensor; exits 1 above the tolerance.

The parameters are compared twice. AdamW's first step moves each element
by about lr * g / (|g| + 1e-8): an element whose true gradient is below the
float32 rounding of the gradient sum (1e-9 where the others are 1e-4) may
move by anything up to lr either way, whoever computes it in float32. So
the optimizer is checked on our own gradients (torch's AdamW fed the
gradients the binary wrote, held to the tolerance), and the whole step
against torch end to end, held to --param-tolerance (default lr) relative
to the parameters.
"""

import argparse
import math
import os
import subprocess
import sys

import numpy as np
import torch

import gpt2_reference as ref


def torch_loss(config, w, tokens, targets):
    """Mean next-token cross-entropy of GPT-2 with Conv1D [in, out] weights,
    causal attention banded per layer, tanh GELU, tied output projection."""
    B, T = tokens.shape
    C, H = config["n_embd"], config["n_head"]
    eps = config["layer_norm_epsilon"]
    x = w["wte.weight"][tokens] + w["wpe.weight"][:T]
    pos = torch.arange(T)
    for i in range(config["n_layer"]):
        p = f"h.{i}."
        window = config["windows"][i]
        h = torch.nn.functional.layer_norm(
            x, (C,), w[p + "ln_1.weight"], w[p + "ln_1.bias"], eps)
        qkv = h @ w[p + "attn.c_attn.weight"] + w[p + "attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=-1)
        q, k, v = (t.view(B, T, H, C // H).transpose(1, 2) for t in (q, k, v))
        scores = q @ k.transpose(-1, -2) / math.sqrt(C // H)
        visible = pos[None, :] <= pos[:, None]
        if window:
            visible &= (pos[:, None] - pos[None, :]) < window
        scores = scores.masked_fill(~visible, float("-inf"))
        attn = (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = x + attn @ w[p + "attn.c_proj.weight"] + w[p + "attn.c_proj.bias"]
        h = torch.nn.functional.layer_norm(
            x, (C,), w[p + "ln_2.weight"], w[p + "ln_2.bias"], eps)
        h = h @ w[p + "mlp.c_fc.weight"] + w[p + "mlp.c_fc.bias"]
        h = torch.nn.functional.gelu(h, approximate="tanh")
        x = x + h @ w[p + "mlp.c_proj.weight"] + w[p + "mlp.c_proj.bias"]
    x = torch.nn.functional.layer_norm(x, (C,), w["ln_f.weight"],
                                       w["ln_f.bias"], eps)
    logits = x @ w["wte.weight"].T
    return torch.nn.functional.cross_entropy(
        logits.reshape(B * T, -1), targets.reshape(-1))


def relative(ours, theirs):
    theirs = theirs.detach().numpy()
    return float(np.linalg.norm(ours - theirs) /
                 max(np.linalg.norm(theirs), 1e-30))


def cosine(ours, theirs):
    theirs = theirs.detach().numpy().ravel()
    ours = ours.astype(np.float64).ravel()
    denominator = np.linalg.norm(ours) * np.linalg.norm(theirs)
    return float(ours @ theirs / denominator) if denominator > 0 else 1.0


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("workdir")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param-tolerance", type=float,
                        help="bound on the end-to-end parameter error "
                             "(default: lr)")
    parser.add_argument("--min-cosine", type=float,
                        help="for reduced-precision matmuls (bf16): hold the "
                             "loss to --tolerance and each gradient tensor "
                             "to this cosine similarity with torch's, "
                             "instead of the float32 bounds")
    args = parser.parse_args()
    param_tolerance = args.param_tolerance or args.lr

    os.makedirs(args.workdir, exist_ok=True)
    manifest = ref.load_manifest(args.binary)
    config = manifest["config"]
    B, T = manifest["batch"], manifest["seq"]
    weights = ref.random_weights(manifest, args.seed)
    # Under --dtype bf16 the matmuls read their weights rounded to bf16:
    # both sides start from weights that bf16 holds exactly.
    for name in ref.matmul_weights(manifest):
        weights[name] = ref.round_bf16(weights[name])
    ref.write_safetensors(os.path.join(args.workdir, "model.safetensors"),
                          weights)
    rng = np.random.default_rng(args.seed + 1)
    tokens = rng.integers(0, config["vocab_size"], size=(B, T)).astype(np.int32)
    targets = rng.integers(0, config["vocab_size"], size=(B, T)).astype(np.int32)
    np.save(os.path.join(args.workdir, "tokens.npy"), tokens)
    np.save(os.path.join(args.workdir, "targets.npy"), targets)
    out = os.path.join(args.workdir, "step")
    printed = subprocess.run(
        [args.binary, "step", "--weights", args.workdir,
         "--tokens", os.path.join(args.workdir, "tokens.npy"),
         "--targets", os.path.join(args.workdir, "targets.npy"),
         "--lr", str(args.lr), "--out", out],
        check=True, capture_output=True, text=True).stdout.split()
    loss, norm = float(printed[1]), float(printed[3])
    grads = ref.read_safetensors(os.path.join(out, "grads.safetensors"))
    params = ref.read_safetensors(os.path.join(out, "params.safetensors"))

    w = {name: torch.tensor(array, dtype=torch.float64, requires_grad=True)
         for name, array in weights.items()}
    expected = torch_loss(config, w, torch.tensor(tokens, dtype=torch.long),
                          torch.tensor(targets, dtype=torch.long))
    expected.backward()
    # Gradients before clipping, which scales them in place.
    grad_errors = {n: relative(grads[n], t.grad) for n, t in w.items()}
    cosines = {n: cosine(grads[n], t.grad) for n, t in w.items()}
    expected_norm = torch.nn.utils.clip_grad_norm_(list(w.values()), 1.0)
    def adamw(tensors):
        decay = [t for t in tensors.values() if t.dim() == 2]
        rest = [t for t in tensors.values() if t.dim() != 2]
        torch.optim.AdamW(
            [{"params": decay, "weight_decay": 0.1},
             {"params": rest, "weight_decay": 0.0}],
            lr=args.lr, betas=(0.9, 0.95), eps=1e-8).step()

    adamw(w)
    param_errors = {n: relative(params[n], t) for n, t in w.items()}
    # The same update from the gradients the binary computed.
    ours = {n: torch.tensor(a, dtype=torch.float64, requires_grad=True)
            for n, a in weights.items()}
    scale = min(1.0, 1.0 / (norm + 1e-6))
    for n, t in ours.items():
        t.grad = torch.tensor(grads[n], dtype=torch.float64) * scale
    adamw(ours)
    update_errors = {n: relative(params[n], t) for n, t in ours.items()}

    loss_error = abs(loss - expected.item()) / abs(expected.item())
    norm_error = abs(norm - expected_norm.item()) / expected_norm.item()
    worst_grad = max(grad_errors, key=grad_errors.get)
    worst_param = max(param_errors, key=param_errors.get)
    worst_update = max(update_errors, key=update_errors.get)
    print(f"{config['name']} B={B} T={T}: loss {loss:.6f} (error "
          f"{loss_error:.1e}), grad norm {norm:.6f} (error {norm_error:.1e}), "
          f"max gradient error {grad_errors[worst_grad]:.1e} ({worst_grad}), "
          f"max AdamW error {update_errors[worst_update]:.1e} "
          f"({worst_update}), max parameter error "
          f"{param_errors[worst_param]:.1e} ({worst_param}), tolerance "
          f"{args.tolerance:.0e} (parameters {param_tolerance:.0e})")
    if args.min_cosine is not None:
        least = min(cosines, key=cosines.get)
        print(f"min gradient cosine {cosines[least]:.6f} ({least}), bound "
              f"{args.min_cosine}; loss error {loss_error:.1e}, bound "
              f"{args.tolerance:.0e}")
        return 0 if (cosines[least] >= args.min_cosine and
                     loss_error <= args.tolerance) else 1
    worst = max(loss_error, norm_error, grad_errors[worst_grad],
                update_errors[worst_update])
    if worst > args.tolerance or param_errors[worst_param] > param_tolerance:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
