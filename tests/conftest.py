"""Fixtures; the shared helpers and error bounds live in _support.py.

The CUDA backend is tested under Numba's CUDA simulator unless FASTACT_TEST_CUDA=gpu
asks for the real device (set before numba is first imported, i.e. here)."""

import os

if os.environ.get("FASTACT_TEST_CUDA", "simulator") != "gpu":
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"

import numpy as np
import pytest

import fastact

from _support import DTYPES


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)


@pytest.fixture(scope="module", params=["auto", "numba"], ids=["cython", "numba"])
def compiled_backend(request):
    """Runs every test of a module that uses it once per compiled backend: "auto" (the
    Cython kernels, through the default fast path) and "numba" (set as the default
    backend with ``fastact.config`` for the whole module)."""
    if request.param == "auto":
        yield "cython"
        return
    with fastact.config(backend=request.param):
        yield request.param
