"""Adapters for the peers fastact is compared with: PyTorch (CPU), ONNX Runtime,
numexpr and SciPy.  A peer that is not installed is reported as absent.  Each adapter
returns a zero-argument callable for (op, direction) on prepared arrays, or None when
the peer has no such operation; setup (sessions, bindings, tensors) is never timed.

Importing torch pins the process to one core through its OpenMP runtime; the CPU
mask is restored after each import so that every library gets the same cores.
"""

from __future__ import annotations

import importlib
import os

import numpy as np

PEERS = ("torch", "onnxruntime", "numexpr", "scipy")


def _restore_affinity(mask):
    if mask is not None:
        try:
            os.sched_setaffinity(0, mask)
        except OSError:  # pragma: no cover - not Linux
            pass


def load(names):
    """name -> module (or None if absent), importing each with the CPU mask restored."""
    mask = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    found = {}
    for name in names:
        try:
            found[name] = importlib.import_module(name)
            if name == "onnxruntime":
                importlib.import_module("onnx")  # builds the one-node models
            if name == "scipy":
                importlib.import_module("scipy.special")
        except ImportError:
            found[name] = None
        _restore_affinity(mask)
    return found


def version(module):
    return getattr(module, "__version__", "?") if module is not None else None


# ---------------------------------------------------------------- torch

_TORCH_FWD = {  # op -> (function name in torch.nn.functional or torch, kwargs, in place?)
    "relu": ("relu_", {}, True), "relu6": ("relu6", {"inplace": True}, True),
    "leaky_relu": ("leaky_relu_", {"negative_slope": 0.01}, True),
    "elu": ("elu_", {}, True), "selu": ("selu_", {}, True), "celu": ("celu_", {}, True),
    "gelu": ("gelu", {}, False), "gelu(tanh)": ("gelu", {"approximate": "tanh"}, False),
    "silu": ("silu", {"inplace": True}, True), "mish": ("mish", {"inplace": True}, True),
    "softplus": ("softplus", {}, False), "softsign": ("softsign", {}, False),
    "hardtanh": ("hardtanh_", {}, True), "hardsigmoid": ("hardsigmoid", {"inplace": True}, True),
    "hardswish": ("hardswish", {"inplace": True}, True), "sigmoid": ("sigmoid_", {}, True),
    "logsigmoid": ("logsigmoid", {}, False), "tanh": ("tanh_", {}, True),
}


def torch_forward(torch, op, x, threads):
    if op not in _TORCH_FWD:
        return None
    torch.set_num_threads(threads)
    name, kwargs, _ = _TORCH_FWD[op]
    F = torch.nn.functional
    fn = getattr(F, name, None) or getattr(torch, name)
    xt = torch.from_numpy(x)
    return lambda: fn(xt, **kwargs)


_TORCH_BWD = ("relu", "sigmoid", "tanh", "gelu", "gelu(tanh)", "silu", "mish", "elu", "softplus",
              "hardtanh", "hardsigmoid", "hardswish", "leaky_relu")
_SCIPY_FWD = ("sigmoid", "logsigmoid", "gelu")


def supports(peer, op, direction):
    """Whether ``peer`` has ``op`` in ``direction`` (fwd/der/bwd) here."""
    softmax = op in ("softmax", "log_softmax")
    if peer == "torch":
        return direction == "fwd" and (softmax or op in _TORCH_FWD) or (
            direction == "bwd" and (softmax or op in _TORCH_BWD))
    if peer == "onnxruntime":
        return direction == "fwd" and op in _ORT_NODES
    if peer == "numexpr":
        return direction == "fwd" and op in _NUMEXPR
    if peer == "scipy":
        return direction == "fwd" and (softmax or op in _SCIPY_FWD)
    return False


def torch_backward(torch, op, dy, x, y, threads):
    """PyTorch's fused backward kernels (aten *_backward), out of place."""
    torch.set_num_threads(threads)
    a = torch.ops.aten
    g, xt, yt = torch.from_numpy(dy), torch.from_numpy(x), torch.from_numpy(y)
    table = {
        "relu": lambda: a.threshold_backward(g, xt, 0),
        "sigmoid": lambda: a.sigmoid_backward(g, yt),
        "tanh": lambda: a.tanh_backward(g, yt),
        "gelu": lambda: a.gelu_backward(g, xt),
        "gelu(tanh)": lambda: a.gelu_backward(g, xt, approximate="tanh"),
        "silu": lambda: a.silu_backward(g, xt),
        "mish": lambda: a.mish_backward(g, xt),
        "elu": lambda: a.elu_backward(g, 1.0, 1.0, 1.0, False, xt),
        "softplus": lambda: a.softplus_backward(g, xt, 1.0, 20.0),
        "hardtanh": lambda: a.hardtanh_backward(g, xt, -1.0, 1.0),
        "hardsigmoid": lambda: a.hardsigmoid_backward(g, xt),
        "hardswish": lambda: a.hardswish_backward(g, xt),
        "leaky_relu": lambda: a.leaky_relu_backward(g, xt, 0.01, False),
    }
    return table.get(op)


def torch_softmax(torch, log, backward, x, dy, y, threads):
    torch.set_num_threads(threads)
    xt = torch.from_numpy(x)
    if not backward:
        fn = torch.log_softmax if log else torch.softmax
        return lambda: fn(xt, -1)
    g, yt = torch.from_numpy(dy), torch.from_numpy(y)
    fn = torch._log_softmax_backward_data if log else torch._softmax_backward_data
    return lambda: fn(g, yt, -1, yt.dtype)


# ---------------------------------------------------------------- ONNX Runtime

_ORT_NODES = {  # op -> (op_type, attributes, opset, domain)
    "relu": ("Relu", {}, 17, ""), "leaky_relu": ("LeakyRelu", {"alpha": 0.01}, 17, ""),
    "elu": ("Elu", {"alpha": 1.0}, 17, ""), "selu": ("Selu", {}, 17, ""),
    "celu": ("Celu", {"alpha": 1.0}, 17, ""), "gelu": ("Gelu", {}, 20, ""),
    "gelu(tanh)": ("Gelu", {"approximate": "tanh"}, 20, ""),
    "silu": ("QuickGelu", {"alpha": 1.0}, 17, "com.microsoft"),  # x*sigmoid(alpha*x)
    "mish": ("Mish", {}, 18, ""), "softplus": ("Softplus", {}, 17, ""),
    "softsign": ("Softsign", {}, 17, ""),
    "hardsigmoid": ("HardSigmoid", {"alpha": 1 / 6, "beta": 0.5}, 17, ""),
    "hardswish": ("HardSwish", {}, 17, ""), "sigmoid": ("Sigmoid", {}, 17, ""),
    "tanh": ("Tanh", {}, 17, ""), "identity": ("Identity", {}, 17, ""),
    "softmax": ("Softmax", {"axis": -1}, 17, ""), "log_softmax": ("LogSoftmax", {"axis": -1}, 17, ""),
}


def ort_run(ort, op, x, out, threads):
    """A one-node model run through IOBinding on the caller's buffers (no copies)."""
    if op not in _ORT_NODES:
        return None
    from onnx import TensorProto, helper

    op_type, attrs, opset, domain = _ORT_NODES[op]
    elem = TensorProto.FLOAT if x.dtype == np.float32 else TensorProto.DOUBLE
    node = helper.make_node(op_type, ["x"], ["y"], domain=domain or None, **attrs)
    graph = helper.make_graph([node], op, [helper.make_tensor_value_info("x", elem, list(x.shape))],
                              [helper.make_tensor_value_info("y", elem, list(x.shape))])
    imports = [helper.make_opsetid("", opset)]
    if domain:
        imports.append(helper.make_opsetid(domain, 1))
    model = helper.make_model(graph, opset_imports=imports)
    model.ir_version = min(model.ir_version, 10)
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    try:
        sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    except Exception:  # this op/dtype is not implemented by this build
        return None
    io = sess.io_binding()
    io.bind_input("x", "cpu", 0, x.dtype, list(x.shape), x.ctypes.data)
    io.bind_output("y", "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)

    def run():
        sess.run_with_iobinding(io)

    run.buffers = (x, out)  # the binding holds raw pointers: keep the arrays alive
    return run


# ---------------------------------------------------------------- numexpr

_NUMEXPR = {
    "relu": "where(x > 0, x, 0)", "relu6": "where(x < 0, 0, where(x > 6, 6, x))",
    "leaky_relu": "where(x > 0, x, 0.01 * x)", "elu": "where(x > 0, x, expm1(x))",
    "silu": "x / (1 + exp(-x))", "mish": "x * tanh(log1p(exp(x)))",
    "softplus": "where(x > 20, x, log1p(exp(x)))", "softsign": "x / (1 + abs(x))",
    "hardtanh": "where(x < -1, -1, where(x > 1, 1, x))",
    "hardsigmoid": "where(x < -3, 0, where(x > 3, 1, x / 6 + 0.5))",
    "hardswish": "where(x < -3, 0, where(x > 3, x, x * (x + 3) / 6))",
    "sigmoid": "1 / (1 + exp(-x))", "logsigmoid": "-log1p(exp(-x))", "tanh": "tanh(x)",
    "gelu(tanh)": "0.5 * x * (1 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))",
}


def numexpr_forward(ne, op, x, threads):
    if op not in _NUMEXPR:
        return None
    ne.set_num_threads(threads)
    expr = _NUMEXPR[op]
    try:
        ne.evaluate(expr, local_dict={"x": x}, out=x.copy(), casting="unsafe")
    except Exception:  # an expression this numexpr version cannot compile
        return None
    return lambda: ne.evaluate(expr, local_dict={"x": x}, out=x, casting="unsafe")


# ---------------------------------------------------------------- SciPy

def scipy_forward(sp, op, x, scratch):
    special = sp.special
    if op == "sigmoid":
        return lambda: special.expit(x, out=x)
    if op == "logsigmoid" and hasattr(special, "log_expit"):
        return lambda: special.log_expit(x, out=x)
    if op == "gelu":
        def gelu():
            special.ndtr(x, out=scratch)
            np.multiply(x, scratch, out=x)
        return gelu
    return None


def scipy_softmax(sp, log, x):
    fn = sp.special.log_softmax if log else sp.special.softmax
    return lambda: fn(x, axis=-1)
