"""Fixtures of the pytest-benchmark suite (its data: _bench_support.py)."""

import pytest

from _bench_support import DTYPES


@pytest.fixture(params=DTYPES)
def dtype(request):
    return request.param
