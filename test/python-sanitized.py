#!/usr/bin/env python3
"""Runs pytest (arguments as given) in a sanitizer build's `python` test.

CTest starts this interpreter with LD_PRELOAD naming the sanitizer runtime,
which the instrumented extension (qopt._qopt) and model libraries need: an
uninstrumented python provides none. Once this process runs, the runtime is
loaded; the variable is dropped so that the processes the tests start do
not get it: qopt's tools carry their own (static) copy of the runtime and
refuse a second one, and the C compiler needs none. A test that starts a
python which imports qopt finds the runtime in QOPT_SANITIZER_PRELOAD.
"""
import os
import sys

import pytest

preload = os.environ.pop("LD_PRELOAD", None)
if preload:
    os.environ["QOPT_SANITIZER_PRELOAD"] = preload
sys.exit(pytest.main(sys.argv[1:]))
