#!/usr/bin/python3
"""Reads a model binary's `info --json` on stdin and prints the matmuls'
precision and each parameter's dtype (and layout, when packed at load), in
arena order, on one line."""

import json
import sys

manifest = json.load(sys.stdin)
print(f"matmuls {manifest['matmul_dtype']}: " +
      ", ".join(f"{p['name']} {p['dtype']}" +
                (f" {p['layout']}" if "layout" in p else "")
                for p in manifest["params"]))
