"""The single spec of every activation fastact provides.

Standard library only: ``setup.py`` loads this file by path (before the package is
built) to render the Cython loop template, so it must not import numpy or fastact.

Everything else is derived from the tables below: the public callables and their
docstrings (``fastact._api``), the kernels generated from ``kernels/_elementwise.pyx.tp``,
the tests (``tests/``) and the README's API table.  Adding an activation means:

1. a :class:`Spec` row in :data:`ELEMENTWISE` (and a kernel name in its ``kernels``),
2. ``<kernel>_fwd`` / ``<kernel>_der`` (and ``<kernel>_der_y`` when the gradient can be
   taken from the output) in ``kernels/activations.pxd``,
3. the NumPy twin ``<kernel>`` entry in ``fastact/reference.py``.

``tests/test_registry.py`` fails when one of the pieces is missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Gradient-from-output rules (``Spec.grad_from_output``).
NEVER = "never"  # f' cannot be recovered from y = f(x)
ALWAYS = "always"  # f'(x) is a function of y
IF_ALPHA_POSITIVE = "alpha>0"  # only when the parameter alpha is > 0 (y keeps the sign of x)

# Parameter rules (``Param.rule``).
REAL = "real"  # any finite real number
POSITIVE = "positive"  # finite, > 0
NONZERO = "nonzero"  # finite, != 0
NOT_NAN = "not_nan"  # any real number, +-inf allowed

# Work classes: used to pick the size below which a kernel runs on one thread.
CHEAP = "cheap"  # a compare/select or a multiply per element: memory bound
TRANSCENDENTAL = "transcendental"  # exp/log/tanh/erf per element: compute bound
CHEAP_BACKWARD = "cheap backward"  # as CHEAP, over two inputs (dy and x or y) and out

# Serial thresholds (elements).  Measured on the 2-core reference machine (AVX-512
# kernels, float32 in place) with ``python bench/threshold.py``: 2 threads first win
# at 262144 elements for relu (1.2x; 0.9-1.0x below) and at 65536 for sigmoid (1.8x;
# 1.0x at 32768), and for a cheap backward (sigmoid's from y, three arrays) at 65536
# too (1.25x; 0.93x at 32768, 1.6x at 131072 where 262144 kept it on one thread).
# Below these sizes a second thread costs more (fork/join ~1-2 us, and milliseconds
# when a core is stolen by another process) than it saves.
PARALLEL_MIN_SIZE = {CHEAP: 262_144, TRANSCENDENTAL: 65_536, CHEAP_BACKWARD: 65_536}


def work_class(spec: "Spec", direction: str) -> str:
    """The work class of one direction of an activation's kernels: the spec's own,
    except that the backward from y -- a multiply, select or division for every
    activation -- and the backward from x of a cheap activation are CHEAP_BACKWARD
    (memory bound, over three arrays)."""
    if direction == "bwd_y" or (direction == "bwd_x" and spec.work == CHEAP):
        return CHEAP_BACKWARD
    return spec.work


@dataclass(frozen=True)
class Param:
    """A keyword parameter of an activation."""

    name: str
    default: float | str
    rule: str = REAL
    choices: tuple[str, ...] = ()  # for string parameters
    doc: str = ""


@dataclass(frozen=True)
class Spec:
    """One elementwise activation.

    ``kernels`` lists the compiled kernels behind the activation.  The first one is
    used unless a string parameter selects another: the kernel for choice ``c`` of
    parameter ``p`` is ``f"{name}_{c}"`` when ``c`` is not the default.

    Numeric parameters are passed to the kernels in declaration order as ``p0``
    and ``p1``.
    """

    name: str
    formula: str
    doc: str
    params: tuple[Param, ...] = ()
    grad_from_output: str = NEVER
    work: str = CHEAP
    kernels: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    # points where f' jumps (numbers or parameter names); finite-difference tests
    # keep away from them
    kinks: tuple[float | str, ...] = ()
    # test domain used for the dense accuracy sweep
    domain: tuple[float, float] = (-100.0, 100.0)
    # parameter sets exercised by the tests in addition to the defaults
    test_params: tuple[dict, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if not self.kernels:
            object.__setattr__(self, "kernels", (self.name,))

    @property
    def numeric_params(self) -> tuple[Param, ...]:
        return tuple(p for p in self.params if not p.choices)

    def kernel_for(self, params: dict) -> str:
        """Name of the kernel that computes this activation for ``params``."""
        for p in self.params:
            if p.choices and params.get(p.name, p.default) != p.default:
                return f"{self.name}_{params[p.name]}"
        return self.kernels[0]

    def backward_from_y_allowed(self, params: dict) -> bool:
        if self.grad_from_output == ALWAYS:
            return True
        if self.grad_from_output == IF_ALPHA_POSITIVE:
            return params["alpha"] > 0
        return False


_ALPHA = Param("alpha", 1.0, REAL, doc="slope/scale of the negative part")

ELEMENTWISE: tuple[Spec, ...] = (
    Spec("relu", "max(x, 0)", "Rectified linear unit.",
         grad_from_output=ALWAYS, kinks=(0.0,)),
    Spec("relu6", "min(max(x, 0), 6)", "ReLU clipped at 6.",
         grad_from_output=ALWAYS, kinks=(0.0, 6.0)),
    Spec("leaky_relu", "x if x > 0 else alpha*x", "Leaky ReLU.",
         params=(Param("alpha", 0.01, REAL, doc="slope for x <= 0"),),
         grad_from_output=IF_ALPHA_POSITIVE, kinks=(0.0,),
         test_params=({"alpha": 0.2}, {"alpha": -0.5}, {"alpha": 0.0})),
    Spec("prelu", "x if x > 0 else weight*x",
         "Parametric ReLU: leaky ReLU with a learned slope ``weight`` broadcast to x "
         "(ONNX PRelu rules: a 1-D weight applies along the last axis).",
         kinks=(0.0,)),
    Spec("elu", "x if x > 0 else alpha*expm1(x)", "Exponential linear unit.",
         params=(_ALPHA,), grad_from_output=IF_ALPHA_POSITIVE, work=TRANSCENDENTAL,
         kinks=(0.0,), test_params=({"alpha": 0.5}, {"alpha": -1.5})),
    Spec("selu", "scale*(x if x > 0 else alpha*expm1(x)), "
         "scale=1.0507009873554805, alpha=1.6732632423543772",
         "Scaled exponential linear unit.",
         grad_from_output=ALWAYS, work=TRANSCENDENTAL, kinks=(0.0,)),
    Spec("celu", "x if x > 0 else alpha*expm1(x/alpha)", "Continuously differentiable ELU.",
         params=(Param("alpha", 1.0, NONZERO, doc="scale, != 0"),),
         grad_from_output=IF_ALPHA_POSITIVE, work=TRANSCENDENTAL, kinks=(0.0,),
         test_params=({"alpha": 0.5}, {"alpha": 3.0})),
    Spec("gelu", "x*Phi(x) = x/2*erfc(-x/sqrt(2)); tanh form: x*sigmoid(2*sqrt(2/pi)*(x+0.044715*x^3))",
         "Gaussian error linear unit (exact, or the tanh approximation).",
         params=(Param("approximate", "none", choices=("none", "tanh"),
                       doc='"none" (erf form) or "tanh"'),),
         work=TRANSCENDENTAL, kernels=("gelu", "gelu_tanh"),
         test_params=({"approximate": "tanh"},)),
    Spec("silu", "x*sigmoid(x)", "Sigmoid-weighted linear unit (swish).",
         work=TRANSCENDENTAL, aliases=("swish",)),
    Spec("mish", "x*tanh(softplus(x))", "Mish.", work=TRANSCENDENTAL),
    Spec("softplus", "x if beta*x > threshold else log1p(exp(beta*x))/beta",
         "Smooth approximation of ReLU.",
         params=(Param("beta", 1.0, POSITIVE, doc="sharpness, > 0"),
                 Param("threshold", 20.0, NOT_NAN, doc="linear above beta*x > threshold")),
         work=TRANSCENDENTAL,
         test_params=({"beta": 2.0, "threshold": 10.0}, {"beta": 0.5, "threshold": 1.0})),
    Spec("softsign", "x/(1+|x|)", "Softsign."),
    Spec("hardtanh", "min(max(x, min_val), max_val)", "Hard tanh (clip).",
         params=(Param("min_val", -1.0, NOT_NAN, doc="lower bound"),
                 Param("max_val", 1.0, NOT_NAN, doc="upper bound, >= min_val")),
         grad_from_output=ALWAYS, kinks=("min_val", "max_val"),
         test_params=({"min_val": -2.0, "max_val": 3.0}, {"min_val": 0.5, "max_val": 0.5})),
    Spec("hardsigmoid", "min(max(x + 3, 0), 6)/6", "Hard sigmoid.", kinks=(-3.0, 3.0)),
    Spec("hardswish", "x*min(max(x + 3, 0), 6)/6", "Hard swish.", kinks=(-3.0, 3.0)),
    Spec("sigmoid", "1/(1+exp(-x))", "Logistic sigmoid.",
         grad_from_output=ALWAYS, work=TRANSCENDENTAL, aliases=("logistic",)),
    Spec("logsigmoid", "min(x, 0) - log1p(exp(-|x|))", "Log of the sigmoid.",
         work=TRANSCENDENTAL),
    Spec("tanh", "tanh(x)", "Hyperbolic tangent.", grad_from_output=ALWAYS,
         work=TRANSCENDENTAL),
    Spec("identity", "x", "Identity (linear).", grad_from_output=ALWAYS,
         aliases=("linear",)),
)

# Row-wise functions: written by hand (fastact._api.Softmax), kernels in
# kernels/_softmax.pyx.tp; the gradient is always taken from the output y.
ROWWISE: tuple[str, ...] = ("softmax", "log_softmax")

SPECS: dict[str, Spec] = {s.name: s for s in ELEMENTWISE}
ACTIVATIONS: tuple[str, ...] = tuple(s.name for s in ELEMENTWISE) + ROWWISE
ALIASES: dict[str, str] = {a: s.name for s in ELEMENTWISE for a in s.aliases}

# prelu takes a weight array instead of scalar parameters: it has its own loops.
PER_ELEMENT_WEIGHT = ("prelu",)

# Kernels generated from the elementwise loop template (prelu excluded).
KERNELS: tuple[str, ...] = tuple(
    k for s in ELEMENTWISE if s.name not in PER_ELEMENT_WEIGHT for k in s.kernels
)
# Kernels whose derivative can be computed from the output.
KERNELS_WITH_DER_Y: tuple[str, ...] = tuple(
    k for s in ELEMENTWISE if s.name not in PER_ELEMENT_WEIGHT
    and s.grad_from_output != NEVER for k in s.kernels
)


# ---------------------------------------------------------------- elementwise ops
# Every compiled elementwise operation: a name, a form and the point function it
# calls.  The Cython loop template (kernels/_elementwise.pyx.tp) and the Numba loops
# (fastact/_numba/elementwise.py, gpu.py) are both generated from this table.
#
# Forms, with a, b, c the input elements in order and p0, p1 the scalar parameters:
FORMS: dict[str, tuple[int, str]] = {
    # form: (number of input arrays, expression; {fn} is the point function)
    "f(a)": (1, "{fn}({a}, p0, p1)"),
    "a*f(b)": (2, "{a} * {fn}({b}, p0, p1)"),        # backward: a = dy, b = x or y
    "f(a,b)": (2, "{fn}({a}, {b})"),                 # prelu: a = x, b = weight
    "a*f(b,c)": (3, "{a} * {fn}({b}, {c})"),         # prelu backward: dy, x, weight
    "a*g(b)": (2, "{a} * {fn}({b})"),                # prelu weight terms: dy, x
    "a*p0": (1, "{a} * p0"),                         # the bandwidth reference
}


@dataclass(frozen=True)
class Op:
    name: str
    form: str
    fn: str = ""  # the point function (activations.pxd / fastact/_numba/pointwise.py)

    @property
    def arity(self) -> int:
        return FORMS[self.form][0]


def _elementwise_ops() -> tuple[Op, ...]:
    ops = []
    for k in KERNELS:
        ops.append(Op(f"{k}_fwd", "f(a)", f"{k}_fwd"))
        ops.append(Op(f"{k}_der", "f(a)", f"{k}_der"))
        ops.append(Op(f"{k}_bwd_x", "a*f(b)", f"{k}_der"))
        if k in KERNELS_WITH_DER_Y:
            ops.append(Op(f"{k}_bwd_y", "a*f(b)", f"{k}_der_y"))
    ops += [
        # prelu: the slope is an array operand (broadcast by strides) instead of p0
        Op("prelu_fwd", "f(a,b)", "prelu_fwd"),
        Op("prelu_der", "f(a,b)", "prelu_der"),
        Op("prelu_bwd_x", "a*f(b,c)", "prelu_der"),
        Op("prelu_bwd_weight_terms", "a*g(b)", "prelu_der_weight"),  # summed by the caller
        # the memory-bandwidth reference of `python -m fastact bench`: a streaming scale
        Op("stream_scale", "a*p0"),
    ]
    return tuple(ops)


ELEMENTWISE_OPS: tuple[Op, ...] = _elementwise_ops()
OPS_BY_NAME: dict[str, Op] = {op.name: op for op in ELEMENTWISE_OPS}
