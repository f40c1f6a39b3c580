"""Fixtures; the shared helpers and error bounds live in _support.py."""

import numpy as np
import pytest

from _support import DTYPES


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
