"""``python -m fastact info``: print the configuration."""

import argparse
import sys

from ._info import show_config


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastact", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", help="version, backends, OpenMP, SIMD level and threads")
    args = parser.parse_args(argv)
    if args.command == "info":
        show_config()
    return 0


if __name__ == "__main__":
    sys.exit(main())
