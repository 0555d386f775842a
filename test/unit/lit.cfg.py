# -*- Python -*-
# lit configuration that runs the GoogleTest unit tests, one lit test each.

import os

import lit.formats

config.name = "GPT3-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.gpt3_obj_root, "test", "unit")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
