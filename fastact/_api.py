"""The public activation objects, built from the registry.

Every activation is a callable object: ``f(x)``, ``f.derivative(x)`` and
``f.backward(dy, x=... | y=...)``; prelu takes a weight array; softmax and
log_softmax take an axis, a temperature and a mask.
"""

from __future__ import annotations

import inspect

from . import _engine, _registry as reg

_COMMON_DOC = """
    out : ndarray, optional
        Where to write the result: ``x`` itself (in place) or a separate array of the
        result's shape and dtype.  Partial overlap with an input is refused.
    backend : {"auto", "cython", "numba", "cuda", "numpy"}
        "auto" (default): the compiled Cython kernels, or the CUDA kernels for GPU
        arrays; "numba": the Numba CPU kernels; "numpy": the NumPy reference twin.
    n_threads : int, optional
        Threads for this call (default: ``fastact.get_num_threads()``; negative counts
        back from the usable CPUs).  Small arrays always run on one thread."""


def _param_doc(spec: reg.Spec) -> str:
    lines = []
    for p in spec.params:
        lines.append(f"    {p.name} : {'str' if p.choices else 'float'}, default {p.default!r}\n"
                     f"        {p.doc}")
    return "\n".join(lines)


def _signature(positional, params, keywords=("out", "backend", "n_threads")):
    P = inspect.Parameter
    ps = [P(n, P.POSITIONAL_ONLY) for n in positional]
    ps += [P(n, P.KEYWORD_ONLY, default=d) for n, d in
           (("out", None), ("backend", "auto"), ("n_threads", None)) if n in keywords]
    ps += [P(p.name, P.KEYWORD_ONLY, default=p.default) for p in params]
    return inspect.Signature(ps)


def _backward_signature(params):
    P = inspect.Parameter
    head = [P("dy", P.POSITIONAL_ONLY), P("x", P.POSITIONAL_OR_KEYWORD, default=None),
            P("y", P.KEYWORD_ONLY, default=None)]
    return inspect.Signature(head + list(_signature((), params).parameters.values()))


class _Method:
    """Gives a bound method of an activation its own docstring and signature."""

    def __init__(self, func, doc, signature):
        self.func, self.__doc__, self.__signature__ = func, doc, signature
        self.__name__ = func.__name__

    def __call__(self, *args, **kwargs):
        return self.func(*args, **kwargs)

    def __repr__(self):
        return f"<fastact method {self.__name__}>"


class Activation:
    """An elementwise activation: ``f(x)``, ``f.derivative(x)``, ``f.backward(dy, ...)``."""

    def __init__(self, spec: reg.Spec):
        self.spec = spec
        self.__name__ = self.__qualname__ = spec.name
        self._threshold = reg.PARALLEL_MIN_SIZE[reg.work_class(spec, "fwd")]
        self._threshold_from_x = reg.PARALLEL_MIN_SIZE[reg.work_class(spec, "bwd_x")]
        self._threshold_from_y = reg.PARALLEL_MIN_SIZE[reg.work_class(spec, "bwd_y")]
        # checked parameter sets, resolved to (ops, p0, p1, y allowed) for the fast path
        self._resolved = {}
        self._default = self._resolve({})
        self.__module__ = "fastact"
        params = _param_doc(spec)
        self.__doc__ = (
            f"{spec.doc}\n\n    f(x) = {spec.formula}\n\n    Parameters\n    ----------\n"
            f"    x : array_like\n        float16/32/64 (integer/bool computed as float64)."
            f"{_COMMON_DOC}\n{params}\n\n    Returns\n    -------\n    ndarray\n"
            f"        f(x), in ``out`` when given.\n")
        self.__signature__ = _signature(("x",), spec.params)
        self.derivative = _Method(
            self._derivative,
            f"Elementwise derivative f'(x) of {spec.name} (at a kink: the value PyTorch's "
            f"backward uses; NaN gives NaN).", _signature(("x",), spec.params))
        y_note = {reg.ALWAYS: "``y`` (the forward output) may be given instead of ``x``.",
                  reg.IF_ALPHA_POSITIVE: "``y`` may be given instead of ``x`` when alpha > 0.",
                  reg.NEVER: "Needs the forward input ``x`` (f' is not a function of y)."}
        self.backward = _Method(
            self._backward,
            f"Fused dy * f'(x) of {spec.name}, in one pass (IEEE product: NaN/inf in dy "
            f"propagate).  {y_note[spec.grad_from_output]}  ``out=dy`` works in place.",
            _backward_signature(spec.params))

    def _resolve(self, params: dict):
        """(op names by direction, p0, p1, backward-from-y allowed) for ``params``, from
        a small cache of parameter sets that passed the checks; None if ``params`` is
        new and invalid or unhashable (the general path then reports the error)."""
        if not params:
            key = ()
        else:
            key = tuple(params.items())
            try:
                hit = self._resolved.get(key)
            except TypeError:  # unhashable value: let the general path judge it
                return None
            if hit is not None:
                return hit
        try:
            checked = _engine.val.check_params(self.spec, params, self.spec.name)
        except (TypeError, ValueError):
            return None
        kernel = self.spec.kernel_for(checked)
        nums = [checked[p.name] for p in self.spec.numeric_params] + [0.0, 0.0]
        hit = ({d: f"{kernel}_{d}" for d in ("fwd", "der", "bwd_x", "bwd_y")}, nums[0], nums[1],
               self.spec.backward_from_y_allowed(checked))
        if len(self._resolved) < 64:
            self._resolved[key] = hit
        return hit

    def __repr__(self):
        return f"<fastact activation {self.spec.name}>"

    def _unary(self, direction, x, out, backend, n_threads, params, where):
        """f(x) or f'(x): the fast path when it applies, else the general one."""
        fast = self._resolve(params) if params else self._default
        if fast is not None:
            r = _engine.fast_elementwise(fast[0][direction], self._threshold, (x,), out, backend,
                                         n_threads, fast[1], fast[2])
            if r is not None:
                return r
        return _engine.elementwise(self.spec, direction, (x,), ("x",), out, backend, n_threads,
                                   params, where)

    def __call__(self, x, /, *, out=None, backend="auto", n_threads=None, **params):
        return self._unary("fwd", x, out, backend, n_threads, params, self.spec.name)

    def _derivative(self, x, /, *, out=None, backend="auto", n_threads=None, **params):
        return self._unary("der", x, out, backend, n_threads, params,
                           f"{self.spec.name}.derivative")

    def _backward(self, dy, /, x=None, *, y=None, out=None, backend="auto", n_threads=None,
                  **params):
        if (x is None) == (y is None):
            raise ValueError(f"{self.spec.name}.backward: give exactly one of x (the forward "
                             "input) or y (the forward output)")
        fast = self._resolve(params) if params else self._default
        if fast is not None and (x is not None or fast[3]):
            d = "bwd_x" if x is not None else "bwd_y"
            r = _engine.fast_elementwise(fast[0][d],
                                         self._threshold_from_x if x is not None else self._threshold_from_y,
                                         (dy, x if x is not None else y), out, backend,
                                         n_threads, fast[1], fast[2])
            if r is not None:
                return r
        where = f"{self.spec.name}.backward"
        if x is not None:
            return _engine.elementwise(self.spec, "bwd_x", (dy, x), ("dy", "x"), out, backend,
                                       n_threads, params, where)
        checked = _engine.val.check_params(self.spec, params, where)
        if not self.spec.backward_from_y_allowed(checked):
            why = ("alpha <= 0 makes f' ambiguous from y"
                   if self.spec.grad_from_output == reg.IF_ALPHA_POSITIVE
                   else "f'(x) is not a function of y = f(x)")
            raise ValueError(f"{where}: the gradient of {self.spec.name} cannot be computed "
                             f"from y ({why}); pass x, the forward input")
        return _engine.elementwise(self.spec, "bwd_y", (dy, y), ("dy", "y"), out, backend,
                                   n_threads, params, where)


class PReLU(Activation):
    """prelu(x, weight): leaky ReLU with a slope array broadcast to x (ONNX PRelu)."""

    def __init__(self, spec: reg.Spec):
        super().__init__(spec)
        self.__doc__ = (
            f"{spec.doc}\n\n    f(x) = {spec.formula}\n\n    Parameters\n    ----------\n"
            f"    x : array_like\n        float16/32/64 (integer/bool computed as float64).\n"
            f"    weight : array_like\n        slopes, broadcastable to x (a 1-D weight applies "
            f"along the last axis); cast to the dtype of the computation.{_COMMON_DOC}\n\n"
            f"    Returns\n    -------\n    ndarray\n        f(x), in ``out`` when given.\n")
        self.__signature__ = _signature(("x", "weight"), ())
        self.derivative = _Method(self._derivative, "prelu'(x) = 1 where x > 0, else weight.",
                                  _signature(("x", "weight"), ()))
        self.backward = _Method(
            self._backward,
            "(dx, dweight) = (dy * prelu'(x), sum of dy * min(x, 0) over the axes weight "
            "was broadcast along); ``out`` receives dx.",
            _signature(("dy", "x", "weight"), ()))

    def __call__(self, x, weight, /, *, out=None, backend="auto", n_threads=None):
        r = _engine.fast_prelu("fwd", x, weight, out, backend, n_threads)
        return r if r is not None else _engine.prelu("fwd", None, x, weight, out, backend, n_threads)

    def _derivative(self, x, weight, /, *, out=None, backend="auto", n_threads=None):
        r = _engine.fast_prelu("der", x, weight, out, backend, n_threads)
        return r if r is not None else _engine.prelu("der", None, x, weight, out, backend, n_threads)

    def _backward(self, dy, x, weight, /, *, out=None, backend="auto", n_threads=None):
        r = _engine.fast_prelu_backward(dy, x, weight, out, backend, n_threads)
        return r if r is not None else _engine.prelu("bwd", dy, x, weight, out, backend, n_threads)


class Softmax:
    """Numerically stable softmax / log_softmax along any axis."""

    def __init__(self, log: bool):
        self.log = log
        name = self._kind = "log_softmax" if log else "softmax"
        self.__name__ = self.__qualname__ = name
        self.__module__ = "fastact"
        masked = "-inf" if log else "0"
        formula = "x/T - max - log(sum(exp(x/T - max)))" if log else "exp(x/T - max) / sum(exp(x/T - max))"
        self.__doc__ = (
            f"{'Log-softmax' if log else 'Softmax'} along ``axis``: {formula}.\n\n"
            f"    Parameters\n    ----------\n    x : array_like\n    axis : int, default -1\n"
            f"    out : ndarray, optional\n        ``x`` itself (in place) or a separate array.\n"
            f"    temperature : float > 0, default 1.0\n        x is divided by it inside the kernel.\n"
            f"    mask : bool array broadcastable to x, optional\n        True = keep; masked "
            f"entries give {masked}.\n    backend, n_threads : as for every fastact function.\n\n"
            f"    A row with nothing kept, or whose kept entries are all -inf, gives {masked} "
            f"everywhere; a NaN among the kept entries makes the row NaN; +inf entries give "
            f"the limit.\n")
        self.backward = _Method(
            self._backward,
            f"Gradient of {name} with respect to x, from the output y: "
            + ("(dy - exp(y) * sum(dy)) / T" if log else "y * (dy - sum(dy * y)) / T")
            + " along ``axis``; masked entries get 0 and are left out of the sums.",
            inspect.Signature([
                inspect.Parameter("dy", inspect.Parameter.POSITIONAL_ONLY),
                *[inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d) for n, d in
                  (("y", inspect.Parameter.empty), ("axis", -1), ("out", None),
                   ("temperature", 1.0), ("mask", None), ("backend", "auto"),
                   ("n_threads", None))]]))

    def __repr__(self):
        return f"<fastact activation {self.__name__}>"

    def __call__(self, x, /, axis=-1, *, out=None, temperature=1.0, mask=None, backend="auto",
                 n_threads=None):
        r = _engine.fast_softmax(self._kind, False, (x,), axis, out, temperature, mask,
                                 backend, n_threads)
        if r is not None:
            return r
        return _engine.softmax(self.log, False, (x,), ("x",), axis, out, temperature, mask,
                               backend, n_threads)

    def _backward(self, dy, /, *, y, axis=-1, out=None, temperature=1.0, mask=None,
                  backend="auto", n_threads=None):
        r = _engine.fast_softmax(self._kind, True, (dy, y), axis, out, temperature, mask,
                                 backend, n_threads)
        if r is not None:
            return r
        return _engine.softmax(self.log, True, (dy, y), ("dy", "y"), axis, out, temperature,
                               mask, backend, n_threads)


def build() -> dict:
    """name -> activation object, for every canonical name in the registry."""
    objects = {}
    for spec in reg.ELEMENTWISE:
        cls = PReLU if spec.name in reg.PER_ELEMENT_WEIGHT else Activation
        objects[spec.name] = cls(spec)
    objects["softmax"] = Softmax(log=False)
    objects["log_softmax"] = Softmax(log=True)
    return objects
