"""Every check of user input, in one place.  Nothing here writes to a caller's array:
all checks of a call run before any kernel does, so after an error the caller's
arrays are unchanged.  Kernels never re-check."""

from __future__ import annotations

import math
import numbers
import operator

import numpy as np

from . import _registry as reg

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)


# ---------------------------------------------------------------- arrays and dtypes

def as_array(x, name: str) -> np.ndarray:
    """``x`` as an ndarray (array-likes are converted) with a dtype fastact accepts."""
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    result_dtype(arr.dtype, name)
    return arr


def result_dtype(dtype: np.dtype, name: str) -> np.dtype:
    """The dtype a function returns for input of ``dtype``: float16/32/64 keep theirs
    (native byte order); bool and integers give float64; anything else is a TypeError."""
    kind = dtype.kind
    if kind == "f":
        if dtype.itemsize not in (2, 4, 8):
            raise TypeError(f"{name} has dtype {dtype}: fastact supports float16, float32 and "
                            "float64 (and integer/bool input, computed as float64)")
        return dtype.newbyteorder("=")
    if kind in "biu":
        return F64
    what = {"c": "complex", "O": "object", "U": "str", "S": "bytes", "V": "structured/void",
            "M": "datetime", "m": "timedelta"}.get(kind, str(dtype))
    raise TypeError(f"{name} has dtype {dtype} ({what}); fastact computes on real floating-point "
                    "data: float16, float32, float64 (integer/bool input is computed as float64)")


def compute_dtype(result: np.dtype) -> np.dtype:
    """float16 is computed in float32; float32 and float64 natively."""
    return F32 if result == F16 else result


def common_result_dtype(arrays, names) -> np.dtype:
    return np.result_type(*(result_dtype(a.dtype, n) for a, n in zip(arrays, names)))


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; "
                         "they must be equal")


def check_broadcastable_to(arr: np.ndarray, shape: tuple, name: str, target: str = "x") -> None:
    """``arr`` must broadcast to ``shape`` without changing it (ONNX unidirectional)."""
    try:
        ok = np.broadcast_shapes(arr.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{name} with shape {arr.shape} cannot be broadcast to the shape of "
                         f"{target} {tuple(shape)}")


def check_mask(mask, shape: tuple) -> np.ndarray:
    mask = mask if isinstance(mask, np.ndarray) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"mask must be a boolean array (True = keep), got dtype {mask.dtype}")
    check_broadcastable_to(mask, shape, "mask")
    return mask


def _same_memory(a: np.ndarray, b: np.ndarray) -> bool:
    ai, bi = a.__array_interface__, b.__array_interface__
    return (ai["data"][0] == bi["data"][0] and a.shape == b.shape
            and a.strides == b.strides and a.dtype.itemsize == b.dtype.itemsize)


def check_out(out, shape: tuple, dtype: np.dtype, inputs: dict) -> np.ndarray:
    """``out`` must be a writeable ndarray of exactly ``shape`` and ``dtype`` that is
    either the very memory of an input (in place) or shares no byte with any input."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray, not {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"out has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != dtype or not out.dtype.isnative:
        hint = ""
        for name, arr in inputs.items():
            if arr is out or (isinstance(arr, np.ndarray) and _same_memory(arr, out)):
                if arr.dtype.kind in "biu":
                    hint = (f"; {name} has dtype {arr.dtype}: integer/bool input is computed as "
                            "float64 out of place, so it cannot be the output")
        raise TypeError(f"out has dtype {out.dtype}, expected {dtype} (native byte order){hint}")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if not out.flags.aligned:
        raise ValueError("out is not aligned to its dtype")
    for name, arr in inputs.items():
        if not isinstance(arr, np.ndarray) or arr is out or _same_memory(arr, out):
            continue
        if np.may_share_memory(arr, out):
            try:
                overlap = np.shares_memory(arr, out, max_work=100_000)
            except np.exceptions.TooHardError:
                overlap = True  # cannot prove the contrary cheaply: refuse
            if overlap:
                raise ValueError(f"out overlaps {name} without being the same memory; pass "
                                 f"out={name} for in place, or a separate array")
    return out


def normalize_axis(axis, ndim: int) -> int:
    if isinstance(axis, bool):
        raise TypeError("axis must be an int, not bool")
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an int, not {type(axis).__name__}") from None
    n = max(ndim, 1)  # a 0-d array is treated as one row of one element
    if not -n <= axis < n:
        raise np.exceptions.AxisError(axis, n)
    return axis % n


# ---------------------------------------------------------------- scalar parameters

def _real(value, what: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} must be a real number, not {type(value).__name__}")
    return float(value)


def check_params(spec: reg.Spec, params: dict, where: str) -> dict:
    """Complete ``params`` with defaults and check each against its registry rule."""
    known = {p.name: p for p in spec.params}
    for key in params:
        if key not in known:
            valid = ", ".join(known) or "none"
            raise TypeError(f"{where}() got an unexpected keyword argument {key!r} "
                            f"(parameters of {spec.name}: {valid})")
    checked = {}
    for p in spec.params:
        value = params.get(p.name, p.default)
        if p.choices:
            if not isinstance(value, str) or value not in p.choices:
                raise ValueError(f"{p.name} must be one of {', '.join(map(repr, p.choices))}, "
                                 f"got {value!r}")
            checked[p.name] = value
            continue
        v = _real(value, p.name)
        if math.isnan(v):
            raise ValueError(f"{p.name} must not be NaN")
        if p.rule in (reg.REAL, reg.POSITIVE, reg.NONZERO) and math.isinf(v):
            raise ValueError(f"{p.name} must be finite, got {v}")
        if p.rule == reg.POSITIVE and not v > 0:
            raise ValueError(f"{p.name} must be > 0, got {v}")
        if p.rule == reg.NONZERO and v == 0:
            raise ValueError(f"{p.name} must be != 0, got {v}")
        checked[p.name] = v
    if spec.name == "hardtanh" and checked["min_val"] > checked["max_val"]:
        raise ValueError(f"hardtanh needs min_val <= max_val, got min_val={checked['min_val']} "
                         f"> max_val={checked['max_val']}")
    return checked


def check_temperature(temperature) -> float:
    t = _real(temperature, "temperature")
    if not (math.isfinite(t) and t > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    return t
