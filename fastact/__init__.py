"""fastact: fast, accurate neural-network activations, their derivatives and
numerically stable softmax, in place on large arrays, on every core.

Every activation is a callable object named as in ``torch.nn.functional``::

    fastact.sigmoid(x, out=x)                  # in place
    fastact.gelu(x, approximate="tanh")
    fastact.relu.derivative(x)
    fastact.tanh.backward(dy, y=y, out=dy)    # gradient from the forward output
    fastact.softmax(logits, axis=-1, temperature=0.7, mask=keep)

See ``fastact.ACTIVATIONS`` for the list and ``fastact.show_config()`` for the build.
"""

from . import _api, _registry
from ._config import config, get_num_threads, set_num_threads
from ._info import show_config
from ._version import __version__

ACTIVATIONS: tuple = _registry.ACTIVATIONS

_objects = _api.build()

relu = _objects["relu"]
relu6 = _objects["relu6"]
leaky_relu = _objects["leaky_relu"]
prelu = _objects["prelu"]
elu = _objects["elu"]
selu = _objects["selu"]
celu = _objects["celu"]
gelu = _objects["gelu"]
silu = _objects["silu"]
mish = _objects["mish"]
softplus = _objects["softplus"]
softsign = _objects["softsign"]
hardtanh = _objects["hardtanh"]
hardsigmoid = _objects["hardsigmoid"]
hardswish = _objects["hardswish"]
sigmoid = _objects["sigmoid"]
logsigmoid = _objects["logsigmoid"]
tanh = _objects["tanh"]
identity = _objects["identity"]
softmax = _objects["softmax"]
log_softmax = _objects["log_softmax"]

# aliases
swish = silu
logistic = sigmoid
linear = identity


def get(name: str):
    """The activation object called ``name`` (aliases accepted)."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, not {type(name).__name__}")
    canonical = _registry.ALIASES.get(name, name)
    try:
        return _objects[canonical]
    except KeyError:
        names = ", ".join(ACTIVATIONS + tuple(_registry.ALIASES))
        raise ValueError(f"unknown activation {name!r}; valid names: {names}") from None


__all__ = list(ACTIVATIONS) + list(_registry.ALIASES) + [
    "ACTIVATIONS", "config", "get", "get_num_threads", "set_num_threads", "show_config",
    "__version__",
]
