#!/usr/bin/python3
"""Flips the lowest bit of the middle byte of FILE in place: the smallest
damage a disk or a copy can do.

usage: flip_byte.py FILE
"""

import sys

path = sys.argv[1]
with open(path, "rb") as f:
    data = bytearray(f.read())
data[len(data) // 2] ^= 1
with open(path, "wb") as f:
    f.write(data)
