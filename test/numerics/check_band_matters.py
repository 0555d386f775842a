#!/usr/bin/python3
"""Guards the banded test against a vacuous pass: with a window smaller than
T, the reference's logits must differ clearly from dense attention's."""

import numpy as np

import gpt2_reference as ref

config = {"layer_norm_epsilon": 1e-5, "n_head": 4, "windows": [0, 8, 0, 8]}
manifest = {"params": []}
C, V, P, F = 64, 512, 64, 256
shapes = {"wte.weight": (V, C), "wpe.weight": (P, C)}
for i in range(4):
    h = f"h.{i}."
    shapes.update({
        h + "ln_1.weight": (C,), h + "ln_1.bias": (C,),
        h + "attn.c_attn.weight": (C, 3 * C), h + "attn.c_attn.bias": (3 * C,),
        h + "attn.c_proj.weight": (C, C), h + "attn.c_proj.bias": (C,),
        h + "ln_2.weight": (C,), h + "ln_2.bias": (C,),
        h + "mlp.c_fc.weight": (C, F), h + "mlp.c_fc.bias": (F,),
        h + "mlp.c_proj.weight": (F, C), h + "mlp.c_proj.bias": (C,),
    })
shapes.update({"ln_f.weight": (C,), "ln_f.bias": (C,)})
manifest["params"] = [{"name": k, "shape": list(v)} for k, v in shapes.items()]
weights = ref.random_weights(manifest, 0)
tokens = np.random.default_rng(1).integers(0, V, size=(1, 32))
banded = ref.forward(config, weights, tokens)
dense = ref.forward(dict(config, windows=[0, 0, 0, 0]), weights, tokens)
print(f"banded and dense logits differ by {np.abs(banded - dense).max():.3e}")
