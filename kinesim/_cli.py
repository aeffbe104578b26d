"""The ``kinesim`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kinesim._version import __version__


def _demo(args: argparse.Namespace) -> int:
    from kinesim._demo import run_demo

    print(run_demo(seed=args.seed))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kinesim",
        description="Deterministic virtual-time simulator of Kinesis Data Streams and Lambda.",
    )
    parser.add_argument("--version", action="version", version=f"kinesim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="simulate a small scenario and print what happened")
    demo.add_argument("--seed", type=int, default=0, help="the simulator's seed (default 0)")
    demo.set_defaults(run=_demo)
    from kinesim.whatif._cli import add_commands as add_whatif_commands

    add_whatif_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    result: int = args.run(args)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
