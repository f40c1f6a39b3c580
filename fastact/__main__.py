"""``python -m fastact info`` (the configuration) and ``python -m fastact bench``
(the benchmark against NumPy and the peers)."""

import argparse
import sys

from ._info import show_config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastact", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, backends, OpenMP, SIMD level and threads")
    bench = sub.add_parser("bench", help="benchmark against NumPy and the installed peers")
    from ._bench import add_arguments, run as run_bench  # light: peers load lazily

    add_arguments(bench)
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.command == "info":
        show_config()
        return 0
    return run_bench(args, argv[1:])


if __name__ == "__main__":
    sys.exit(main())
