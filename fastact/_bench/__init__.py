"""``python -m fastact bench``: fastact against the NumPy baselines and the installed
peers (PyTorch, ONNX Runtime, numexpr, SciPy), with the machine's memory-bandwidth
limit measured in the same run.  Imported only by the CLI."""

from __future__ import annotations

import argparse
import datetime
import platform
import shlex
import sys

import numpy as np

from .. import _config, _kernels
from .._version import __version__
from . import neighbour, peers, report, suite


def add_arguments(p: argparse.ArgumentParser):
    p.add_argument("--quick", action="store_true",
                   help=f"a representative subset ({', '.join(suite.QUICK_OPS)}; forward and "
                        "backward; sizes 1e3, 1e5, 4e6; softmax 8192x1024), under a minute")
    p.add_argument("--ops", help="comma-separated op names (default: all; 'gelu(tanh)' for the tanh form)")
    p.add_argument("--sizes", help="comma-separated element counts (default 1e3,1e5,1e6,1.6e7)")
    p.add_argument("--shapes", help="softmax shapes, e.g. 8192x1024,64x32000")
    p.add_argument("--directions", help="subset of fwd,der,bwd (default: all; --quick: fwd,bwd)")
    p.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    p.add_argument("--threads", help="comma-separated thread counts (default: 1 and all usable CPUs)")
    p.add_argument("--backends", default="cython",
                   help="fastact backends to time on the CPU: cython, numba, numpy (the twin); "
                        "or cuda alone (GPU arrays, vs the device copy and PyTorch CUDA)")
    p.add_argument("--peers", default=",".join(peers.PEERS),
                   help=f"peers to compare with when installed (default: {','.join(peers.PEERS)}; "
                        "'none' for none)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds of timing per case (default 0.25, --quick 0.08)")
    p.add_argument("--json", metavar="FILE", help="write all records as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the table as Markdown")
    p.add_argument("--plot", metavar="FILE.png", help="write PNG charts (needs matplotlib)")
    p.add_argument("--neighbour", action="store_true",
                   help="keep a CPU-burning process running during the run (a core lost to "
                        "another process, as on shared machines)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _parse_list(text, conv):
    return [conv(v) for v in text.split(",") if v.strip()]


def directions_for(args) -> list:
    return (_parse_list(args.directions, str) if args.directions else
            list(suite.QUICK_DIRECTIONS if args.quick else ("fwd", "der", "bwd")))


def run(args, argv_for_footer) -> int:
    ops = _parse_list(args.ops, str) if args.ops else (
        list(suite.QUICK_OPS) if args.quick else suite.op_names())
    unknown = [o for o in ops if o not in suite.op_names()]
    if unknown:
        print(f"unknown ops: {', '.join(unknown)}; valid: {', '.join(suite.op_names())}",
              file=sys.stderr)
        return 2
    sizes = (_parse_list(args.sizes, lambda v: int(float(v))) if args.sizes else
             list(suite.QUICK_SIZES if args.quick else suite.SIZES))
    shapes = ([tuple(int(float(s)) for s in v.split("x")) for v in args.shapes.split(",")]
              if args.shapes else list(suite.QUICK_SOFTMAX_SHAPES if args.quick else suite.SOFTMAX_SHAPES))
    n = _config.usable_cpus()
    threads = _parse_list(args.threads, int) if args.threads else sorted({1, n})
    backends = _parse_list(args.backends, str)
    if backends == ["cuda"]:
        from . import gpu

        return gpu.run(args, ops, sizes, shapes, directions_for(args), argv_for_footer)
    bad = [b for b in backends if b not in ("cython", "numba", "numpy")]
    if bad or not backends:
        print(f"--backends: choose from cython, numba, numpy, or cuda alone (got "
              f"{args.backends!r})", file=sys.stderr)
        return 2
    if "cython" not in backends:
        backends.insert(0, "cython")
    peer_names = [] if args.peers == "none" else _parse_list(args.peers, str)
    bad = [p for p in peer_names if p not in peers.PEERS]
    if bad:
        print(f"--peers: unknown {', '.join(bad)}; choose from {', '.join(peers.PEERS)}", file=sys.stderr)
        return 2
    directions = directions_for(args)
    budget = args.budget if args.budget is not None else (0.08 if args.quick else 0.25)

    with neighbour.burning(args.neighbour):
        results = suite.run_suite(ops, sizes, shapes, args.dtype, threads, backends,
                                  peer_names, budget, progress=not args.no_progress,
                                  directions=directions)
    results.meta.update({
        "cpu": report.cpu_model(), "variant": _kernels.selected_variant(), "cpus": n,
        "dtype": args.dtype, "fastact": __version__, "numpy": np.__version__,
        "neighbour": bool(args.neighbour),
        "python": platform.python_version(),
        "command": "python -m fastact bench " + " ".join(shlex.quote(a) for a in argv_for_footer),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    })
    print(report.table(results))
    print()
    for line in report.footer(results):
        print(line)
    if args.json:
        report.write_json(results, args.json)
    if args.markdown:
        report.write_markdown(results, args.markdown)
    if args.plot:
        report.plot(results, args.plot)
    return 0
