"""Completeness: every registry entry has its kernel math, compiled loops, NumPy twin
and docstring, and the public API is exactly the registry."""

import pathlib
import re
import subprocess
import sys

import pytest

import fastact
from fastact import _kernels, _registry as reg, reference

ROOT = pathlib.Path(__file__).resolve().parents[1]
PXD = (ROOT / "kernels" / "activations.pxd").read_text()


def _point_functions():
    return set(re.findall(r"^cdef inline floating (\w+)\(", PXD, flags=re.M))


@pytest.mark.parametrize("kernel", reg.KERNELS)
def test_kernel_has_scalar_math(kernel):
    have = _point_functions()
    assert f"{kernel}_fwd" in have and f"{kernel}_der" in have
    assert (f"{kernel}_der_y" in have) == (kernel in reg.KERNELS_WITH_DER_Y)


@pytest.mark.parametrize("kernel", reg.KERNELS)
def test_kernel_has_compiled_loops(kernel):
    ops = set(_kernels.load("elementwise").OPS)
    for direction in ("fwd", "der", "bwd_x"):
        assert f"{kernel}_{direction}" in ops
    assert (f"{kernel}_bwd_y" in ops) == (kernel in reg.KERNELS_WITH_DER_Y)


@pytest.mark.parametrize("kernel", reg.KERNELS)
def test_kernel_has_numpy_twin(kernel):
    twin = reference.TWINS[kernel]
    assert callable(twin.fwd) and callable(twin.der)
    assert (twin.der_y is not None) == (kernel in reg.KERNELS_WITH_DER_Y)


def test_no_orphans():
    # nothing implemented that the registry does not know about
    assert set(reference.TWINS) == set(reg.KERNELS)
    generic = {n for n in _point_functions() if re.match(r".*_(fwd|der|der_y)$", n)}
    known = {f"{k}_{d}" for k in reg.KERNELS for d in ("fwd", "der")}
    known |= {f"{k}_der_y" for k in reg.KERNELS_WITH_DER_Y}
    known |= {"prelu_fwd", "prelu_der"}
    assert generic == known


def test_prelu_pieces():
    assert {"prelu_fwd", "prelu_der", "prelu_bwd_x", "prelu_bwd_weight_terms"} <= set(_kernels.load("elementwise").OPS)
    assert callable(reference.prelu) and callable(reference.prelu_backward)


def test_public_api_equals_registry():
    assert fastact.ACTIVATIONS == reg.ACTIVATIONS
    assert len(set(fastact.ACTIVATIONS)) == len(fastact.ACTIVATIONS)
    for name in fastact.ACTIVATIONS:
        obj = getattr(fastact, name)
        assert obj is fastact.get(name)
        assert obj.__name__ == name
        assert obj.__doc__ and len(obj.__doc__) > 40
        assert callable(obj.backward) and obj.backward.__doc__
        if name in reg.SPECS:
            assert obj.derivative.__doc__
    for alias, target in reg.ALIASES.items():
        assert getattr(fastact, alias) is getattr(fastact, target) is fastact.get(alias)
    expected = set(reg.ACTIVATIONS) | set(reg.ALIASES) | {
        "ACTIVATIONS", "config", "get", "get_num_threads", "set_num_threads", "show_config",
        "__version__"}
    assert set(fastact.__all__) == expected
    for name in fastact.__all__:
        assert hasattr(fastact, name)


def test_aliases_named_by_issue():
    assert fastact.swish is fastact.silu
    assert fastact.logistic is fastact.sigmoid
    assert fastact.linear is fastact.identity


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown activation 'relu7'.*sigmoid.*softmax"):
        fastact.get("relu7")
    with pytest.raises(TypeError):
        fastact.get(3)


def test_signatures_show_parameters():
    import inspect
    sig = inspect.signature(fastact.softplus)
    assert list(sig.parameters) == ["x", "out", "backend", "n_threads", "beta", "threshold"]
    assert sig.parameters["beta"].default == 1.0
    assert "y" in inspect.signature(fastact.tanh.backward).parameters
    assert list(inspect.signature(fastact.prelu).parameters)[:2] == ["x", "weight"]


def test_readme_api_table_is_the_registry():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("<!-- api-table -->")[1].split("<!-- /api-table -->")[0]
    for name in reg.ACTIVATIONS:
        assert f"`{name}`" in table, name
    assert table.strip() == fastact._info.api_table_markdown()


def test_import_does_not_import_numba():
    code = "import sys, fastact; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_subpackage_is_declared_for_installation():
    """A non-editable install ships only the packages pyproject.toml lists."""
    import tomllib

    declared = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.relative_to(ROOT).parts[:-1]) for p in (ROOT / "fastact").rglob("__init__.py")}
    assert found == declared


def test_backward_passes_take_the_cheap_backward_serial_threshold(monkeypatch):
    """A cheap activation's backward from x and every backward from y are a multiply,
    select or division over three arrays: between their threshold (CHEAP_BACKWARD) and
    the cheap forward's they run on two threads while relu's forward runs on one; below
    it all run on one."""
    import numpy as np

    import fastact
    from fastact import _engine

    assert reg.PARALLEL_MIN_SIZE[reg.CHEAP_BACKWARD] < reg.PARALLEL_MIN_SIZE[reg.CHEAP]
    fastact.sigmoid(np.zeros(4, np.float32))          # loads the kernels
    real, seen = _engine._run_elementwise, []

    def spy(op, out, inputs, p0, p1, nth, chunk):
        seen.append((op, nth))
        return real(op, out, inputs, p0, p1, nth, chunk)

    monkeypatch.setattr(_engine, "_run_elementwise", spy)
    monkeypatch.setattr(fastact._config, "threads_to_run", lambda n: n)  # not the busy check
    between = (reg.PARALLEL_MIN_SIZE[reg.CHEAP_BACKWARD] + reg.PARALLEL_MIN_SIZE[reg.CHEAP]) // 2
    for size, expected in ((between, [1, 2, 2, 2]),
                           (reg.PARALLEL_MIN_SIZE[reg.CHEAP_BACKWARD] // 2, [1, 1, 1, 1])):
        x = np.linspace(-3, 3, size, dtype=np.float32)
        y, dy = fastact.sigmoid(x, n_threads=1), np.ones(size, np.float32)
        seen.clear()
        fastact.relu(x, n_threads=2)
        fastact.relu.backward(dy, x, n_threads=2)
        from_y = fastact.sigmoid.backward(dy, y=y, n_threads=2)
        from_x = fastact.sigmoid.backward(dy, x, n_threads=2)   # (transcendental: 64 Ki)
        assert [nth for _, nth in seen] == expected, seen
        np.testing.assert_allclose(from_y, from_x, rtol=4e-6)  # y(1 - y) amplifies y's rounding
