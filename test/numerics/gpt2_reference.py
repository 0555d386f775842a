#!/usr/bin/python3
"""Independent float64 NumPy reference of the GPT-2/GPT-3 forward pass.

Written from the GPT-2 definition, not from the compiler: pre-LayerNorm
blocks, causal attention (optionally banded to the last `window` positions),
tanh GELU, tied output projection. Used by the numerical tests to check the
logits of compiled model binaries.
"""

import json
import struct
import subprocess

import numpy as np


def load_manifest(binary):
    """The manifest of a compiled model binary (`info --json`)."""
    return json.loads(subprocess.run([binary, "info", "--json"], check=True,
                                     capture_output=True, text=True).stdout)


def bf16_bits(array):
    """The bfloat16 bit patterns (uint16) of float32 `array`, rounded to
    nearest even (finite values only)."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    rounded = bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))
    return (rounded >> 16).astype(np.uint16)


def round_bf16(array):
    """float32 `array` rounded to the nearest bfloat16, as float32."""
    return (bf16_bits(array).astype(np.uint32) << 16).view(np.float32)


def matmul_weights(manifest):
    """Names of the weights a --dtype bf16 model's matmuls read in bf16
    (kept in bf16, or rounded from f32 master weights when it trains)."""
    if manifest.get("matmul_dtype") != "bf16":
        return []
    suffixes = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
                "mlp.c_proj.weight")
    return [p["name"] for p in manifest["params"]
            if p["name"] == "wte.weight" or p["name"].endswith(suffixes)]


def write_safetensors(path, tensors, bf16=()):
    """Writes {name: float32 array} in the safetensors format; the tensors
    named in `bf16` as BF16 (rounded to nearest even)."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        if name in bf16:
            data = bf16_bits(array).tobytes()
        else:
            data = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {
            "dtype": "BF16" if name in bf16 else "F32",
            "shape": list(array.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def read_safetensors(path):
    """{name: float32 array} of an F32 safetensors file."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        assert info["dtype"] == "F32", info
        tensors[name] = np.frombuffer(data[begin:end], dtype=np.float32
                                      ).reshape(info["shape"])
    return tensors


def random_weights(manifest, seed):
    """GPT-2-style random parameters: N(0, 0.02) matrices, small biases,
    LayerNorm gains near 1."""
    rng = np.random.default_rng(seed)
    weights = {}
    for p in manifest["params"]:
        shape = tuple(p["shape"])
        name = p["name"]
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
            w = 1.0 + 0.1 * rng.standard_normal(shape)
        elif len(shape) == 1:
            w = 0.02 * rng.standard_normal(shape)
        else:
            w = 0.02 * rng.standard_normal(shape)
        weights[name] = w.astype(np.float32)
    return weights


def layer_norm(x, g, b, eps):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))


def attention(qkv, n_head, window):
    B, T, C3 = qkv.shape
    C = C3 // 3
    D = C // n_head
    q, k, v = np.split(qkv, 3, axis=-1)
    q = q.reshape(B, T, n_head, D).transpose(0, 2, 1, 3)
    k = k.reshape(B, T, n_head, D).transpose(0, 2, 1, 3)
    v = v.reshape(B, T, n_head, D).transpose(0, 2, 1, 3)
    att = q @ k.transpose(0, 1, 3, 2) / np.sqrt(D)
    t = np.arange(T)[:, None]
    s = np.arange(T)[None, :]
    visible = s <= t
    if window:
        visible &= (t - s) < window
    att = np.where(visible, att, -np.inf)
    att = att - att.max(-1, keepdims=True)
    att = np.exp(att)
    att = att / att.sum(-1, keepdims=True)
    y = att @ v
    return y.transpose(0, 2, 1, 3).reshape(B, T, C)


def forward(config, w, tokens):
    """Logits (B, T, V) in float64."""
    W = {k: v.astype(np.float64) for k, v in w.items()}
    eps = config["layer_norm_epsilon"]
    B, T = tokens.shape
    x = W["wte.weight"][tokens] + W["wpe.weight"][:T]
    for i, window in enumerate(config["windows"]):
        h = f"h.{i}."
        a = layer_norm(x, W[h + "ln_1.weight"], W[h + "ln_1.bias"], eps)
        qkv = a @ W[h + "attn.c_attn.weight"] + W[h + "attn.c_attn.bias"]
        y = attention(qkv, config["n_head"], window)
        x = x + y @ W[h + "attn.c_proj.weight"] + W[h + "attn.c_proj.bias"]
        m = layer_norm(x, W[h + "ln_2.weight"], W[h + "ln_2.bias"], eps)
        f = gelu(m @ W[h + "mlp.c_fc.weight"] + W[h + "mlp.c_fc.bias"])
        x = x + f @ W[h + "mlp.c_proj.weight"] + W[h + "mlp.c_proj.bias"]
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)
    return x @ W["wte.weight"].T


def cross_entropy(logits, targets):
    m = logits.max(-1, keepdims=True)
    lse = np.log(np.exp(logits - m).sum(-1)) + m[..., 0]
    picked = np.take_along_axis(logits, targets[..., None], -1)[..., 0]
    return float((lse - picked).mean())
