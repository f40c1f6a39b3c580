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


# ---------------------------------------------------------------- GPU (CUDA) arrays
# Checked from __cuda_array_interface__ alone: nothing here imports a GPU library.

def is_device_array(x) -> bool:
    """A GPU array: it exposes ``__cuda_array_interface__`` (CuPy, PyTorch CUDA, Numba),
    or is an array of Numba's CUDA simulator."""
    if type(x).__name__ == "FakeCUDAArray":
        return True
    try:
        return hasattr(x, "__cuda_array_interface__")
    except RuntimeError as exc:  # e.g. a PyTorch tensor that requires grad
        raise TypeError(f"a GPU array that does not share its memory: {exc} (PyTorch: pass "
                        "tensor.detach())") from exc


def _device_interface(x) -> dict:
    if hasattr(x, "__cuda_array_interface__"):
        return x.__cuda_array_interface__
    return x.__array_interface__  # the CUDA simulator wraps host memory


def device_typestr_dtype(x) -> np.dtype:
    return np.dtype(_device_interface(x)["typestr"])


def device_dtype(x, name: str) -> np.dtype:
    """The dtype of a GPU array; the CUDA backend computes on float32 and float64."""
    dt = device_typestr_dtype(x)
    if dt not in (F32, F64):
        raise TypeError(f"{name} is a GPU array of dtype {dt}: the CUDA backend computes on "
                        "float32 and float64 device arrays")
    return dt


def device_shape(x) -> tuple:
    return tuple(_device_interface(x)["shape"])


def _device_extent(x) -> tuple[int, int, tuple]:
    """(first byte, one past the last byte, strides) of a GPU array."""
    iface = _device_interface(x)
    shape = tuple(iface["shape"])
    itemsize = np.dtype(iface["typestr"]).itemsize
    strides = iface.get("strides")
    if strides is None:  # C-contiguous
        strides, step = [], itemsize
        for n in reversed(shape):
            strides.insert(0, step)
            step *= n
    strides = tuple(strides)
    lo = hi = iface["data"][0]
    if 0 in shape:
        return lo, lo, strides
    for n, s in zip(shape, strides):
        lo += min(0, (n - 1) * s)
        hi += max(0, (n - 1) * s)
    return lo, hi + itemsize, strides


def check_device_operands(arrays: list, names: tuple) -> np.dtype:
    """Every operand a GPU array of one float dtype; returns that dtype."""
    for a, n in zip(arrays, names):
        if not is_device_array(a):
            raise TypeError(f"{n} is a {type(a).__name__} but other operands are GPU arrays: "
                            "fastact never copies between host and device; pass GPU arrays "
                            "only (or host arrays only)")
    dtypes = [device_dtype(a, n) for a, n in zip(arrays, names)]
    if any(d != dtypes[0] for d in dtypes):
        raise TypeError(f"GPU operands {', '.join(names)} have dtypes "
                        f"{', '.join(map(str, dtypes))}: the CUDA backend needs one dtype")
    return dtypes[0]


def check_device_out(out, shape: tuple, dtype: np.dtype, inputs: dict) -> None:
    """``out`` must be a writeable GPU array of ``shape`` and ``dtype`` that is either an
    input's very memory (in place) or shares no byte with any input."""
    if not is_device_array(out):
        raise TypeError(f"out must be a GPU array like the inputs, not {type(out).__name__} "
                        "(fastact never copies between host and device)")
    if device_shape(out) != tuple(shape):
        raise ValueError(f"out has shape {device_shape(out)}, expected {tuple(shape)}")
    odt = device_typestr_dtype(out)
    if odt != dtype:
        raise TypeError(f"out has dtype {odt}, expected {dtype}")
    if _device_interface(out)["data"][1]:
        raise ValueError("out is read-only")
    olo, ohi, ost = _device_extent(out)
    for name, arr in inputs.items():
        lo, hi, st = _device_extent(arr)
        if (lo, st) == (olo, ost) and hi == ohi:
            continue  # in place
        if lo < ohi and olo < hi:
            raise ValueError(f"out overlaps {name} without being the same memory; pass "
                             f"out={name} for in place, or a separate array")
