#!/usr/bin/python3
"""Writes well-formed and malformed weight and token files for a model
binary's bad-input tests.

usage: make_bad_inputs.py MODEL_BINARY OUTDIR
"""

import json
import os
import struct
import sys

import numpy as np

import gpt2_reference as ref


def raw_safetensors(path, header, data):
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        f.write(data)


def header_of(tensors, dtype="F32", item=4):
    header, offset = {}, 0
    for name, array in tensors.items():
        size = array.size * item
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    return header, offset


def main():
    binary, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    manifest = ref.load_manifest(binary)
    vocab = manifest["config"]["vocab_size"]
    B, T = manifest["batch"], manifest["seq"]
    w = ref.random_weights(manifest, 0)
    path = lambda name: os.path.join(out, name)

    ref.write_safetensors(path("good.safetensors"), w)
    # Hugging Face spelling: prefix, causal-mask buffers, an explicit tied head.
    hf = {"transformer." + k: v for k, v in w.items()}
    hf["transformer.h.0.attn.bias"] = np.ones((1, 1, 4, 4), np.float32)
    hf["transformer.h.0.attn.masked_bias"] = np.ones((1,), np.float32)
    hf["lm_head.weight"] = w["wte.weight"]
    ref.write_safetensors(path("hf-names.safetensors"), hf)
    # BF16: the top halves of the f32 weights.
    bf16 = {k: (v.view(np.uint32) >> 16).astype(np.uint16) for k, v in w.items()}
    header, _ = header_of(bf16, "BF16", 2)
    raw_safetensors(path("bf16.safetensors"), header,
                    b"".join(a.tobytes() for a in bf16.values()))
    ref.write_safetensors(path("bf16-rounded.safetensors"),
                          {k: (v.astype(np.uint32) << 16).view(np.float32)
                           for k, v in bf16.items()})

    missing = dict(w)
    del missing["h.1.mlp.c_fc.bias"]
    ref.write_safetensors(path("missing.safetensors"), missing)
    ref.write_safetensors(path("extra.safetensors"),
                          dict(w, **{"h.9.attn.c_attn.weight": np.zeros((2, 2))}))
    wrong = dict(w)
    wrong["wpe.weight"] = wrong["wpe.weight"][:-1]
    ref.write_safetensors(path("shape.safetensors"), wrong)

    with open(path("good.safetensors"), "rb") as f:
        good = f.read()
    with open(path("truncated.safetensors"), "wb") as f:
        f.write(good[:-100])
    with open(path("short.safetensors"), "wb") as f:
        f.write(b"\x10\x00\x00")
    with open(path("cap.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 200_000_000) + b"{}")
    with open(path("past-end.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 1000) + b"{}")
    with open(path("not-json.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 6) + b"{oops}")
    with open(path("bad-utf8.safetensors"), "wb") as f:
        text = b'{"\xff\xfe": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}}'
        f.write(struct.pack("<Q", len(text)) + text + b"\0\0\0\0")

    small = {"a": np.zeros((4,), np.float32), "b": np.zeros((4,), np.float32)}
    header, size = header_of(small)
    header["b"]["data_offsets"] = [8, 24]
    raw_safetensors(path("overlap.safetensors"), header, bytes(24))
    header, size = header_of(small)
    header["b"]["data_offsets"] = [24, 40]
    raw_safetensors(path("gap.safetensors"), header, bytes(40))
    header, size = header_of(small)
    header["a"]["dtype"] = "Q4"
    raw_safetensors(path("dtype.safetensors"), header, bytes(size))
    header, size = header_of(small)
    header["a"]["shape"] = [5]
    raw_safetensors(path("size.safetensors"), header, bytes(size))
    header, size = header_of(small)
    raw_safetensors(path("trailing.safetensors"), header, bytes(size + 8))
    # __metadata__ is a map of strings to strings, and nothing else.
    header, size = header_of(w)
    header["__metadata__"] = {"format": "pt", "x": 1}
    raw_safetensors(path("metadata-number.safetensors"), header,
                    b"".join(a.astype(np.float32).tobytes() for a in w.values()))
    header["__metadata__"] = ["pt"]
    raw_safetensors(path("metadata-list.safetensors"), header,
                    b"".join(a.astype(np.float32).tobytes() for a in w.values()))
    header["__metadata__"] = {"format": "pt", "note": "plain text"}
    raw_safetensors(path("metadata-strings.safetensors"), header,
                    b"".join(a.astype(np.float32).tobytes() for a in w.values()))

    rng = np.random.default_rng(1)
    tokens = rng.integers(0, vocab, size=(B, T)).astype(np.int32)
    np.save(path("tokens.npy"), tokens)
    oob = tokens.copy()
    oob[0, 3] = vocab
    np.save(path("tokens-oob.npy"), oob)
    negative = tokens.copy()
    negative[0, 1] = -1
    np.save(path("tokens-negative.npy"), negative.astype(np.int64))
    np.save(path("tokens-shape.npy"), tokens[:, :-1])
    np.save(path("tokens-float.npy"), tokens.astype(np.float32))
    with open(path("tokens-garbage.npy"), "wb") as f:
        f.write(b"not an npy file")


if __name__ == "__main__":
    main()
