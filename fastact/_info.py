"""``fastact.show_config()`` / ``python -m fastact info``."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

import numpy as np

from . import _config
from ._version import __version__


def config_dict() -> dict:
    """Version, backends, OpenMP, SIMD levels and thread counts, as a dict."""
    info = {"fastact": __version__, "python": sys.version.split()[0], "numpy": np.__version__,
            "platform": platform.platform()}
    backends = []
    try:
        from . import _buildinfo as b, _kernels

        simd, flags = _kernels.load("elementwise").build_info()
        _kernels.load("softmax")  # checks that it loads too
        backends.append("cython")
        info.update({
            "openmp": b.openmp_enabled(),
            "kernel_variants_built": list(_kernels.built_variants()),
            "kernel_variant_used": _kernels.selected_variant(),
            "simd_compiled": simd,
            "simd_detected": b.simd_detected(),
            "build_flags": flags,
            "omp_max_threads": b.omp_max_threads(),
        })
    except (ImportError, RuntimeError) as exc:
        info.update({"compiled_kernels": f"NOT AVAILABLE ({exc})"})
    # the Numba backends, by installed distribution (nothing is imported here)
    for dist, backend in (("numba", "numba"), ("numba-cuda", "cuda")):
        try:
            info[dist.replace("-", "_")] = importlib.metadata.version(dist)
            backends.append(backend)
        except importlib.metadata.PackageNotFoundError:
            info[dist.replace("-", "_")] = "not installed"
    info["backends"] = backends + ["numpy"]
    info.update({
        "usable_cpus": _config.usable_cpus(),
        "default_threads": _config.default_n_threads(),
        "threads_now": _config.get_num_threads(),
    })
    return info


def show_config(file=None) -> None:
    """Print the fastact version, backends, OpenMP on/off, SIMD level compiled and
    detected, and thread counts."""
    info = config_dict()
    width = max(map(len, info))
    for key, value in info.items():
        if isinstance(value, list):
            value = ", ".join(value)
        elif isinstance(value, bool):
            value = "on" if value else "off (serial kernels)"
        print(f"{key:<{width}} : {value}", file=file or sys.stdout)


def api_table_markdown() -> str:
    """The README's API table, derived from the registry (a test keeps them equal)."""
    from . import _registry as reg

    rows = ["| function | f(x) | parameters (defaults) | `backward(dy, y=...)` |",
            "|---|---|---|---|"]
    y_rule = {reg.ALWAYS: "yes", reg.NEVER: "no (needs x)", reg.IF_ALPHA_POSITIVE: "if alpha > 0"}
    for spec in reg.ELEMENTWISE:
        params = ", ".join(f"`{p.name}={p.default!r}`" for p in spec.params)
        if spec.name in reg.PER_ELEMENT_WEIGHT:
            params = "`weight` array (broadcast to x)"
        names = f"`{spec.name}`" + "".join(f" / `{a}`" for a in spec.aliases)
        formula = spec.formula.replace("|", "\\|")
        rows.append(f"| {names} | {formula} | {params or '–'} | {y_rule[spec.grad_from_output]} |")
    rows.append("| `softmax` | exp(x/T − max) / Σ exp(x/T − max) along `axis` | `axis=-1`, "
                "`temperature=1.0`, `mask=None` | yes (y only) |")
    rows.append("| `log_softmax` | x/T − max − log Σ exp(x/T − max) along `axis` | `axis=-1`, "
                "`temperature=1.0`, `mask=None` | yes (y only) |")
    return "\n".join(rows)
