"""The ``kinesim`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from kinesim._version import __version__


def _trace_show(args: argparse.Namespace) -> int:
    from kinesim._errors import TraceFormatError
    from kinesim._observe.render import format_epoch_ms, format_events, kind_matches
    from kinesim._observe.trace import Trace

    try:
        trace = Trace.load(args.file)
    except OSError as exc:
        print(f"kinesim: error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    except TraceFormatError as exc:
        print(
            f"kinesim: error: {args.file} is not a readable kinesim trace: {exc}", file=sys.stderr
        )
        return 1
    since_ms = None if args.since is None else trace.start_ms + round(args.since * 1000)
    until_ms = None if args.until is None else trace.start_ms + round(args.until * 1000)
    events = [
        event
        for event in trace
        if (not args.kind or kind_matches(event.kind, args.kind))
        and not (args.exclude and kind_matches(event.kind, args.exclude))
        and (since_ms is None or event.time_ms >= since_ms)
        and (until_ms is None or event.time_ms <= until_ms)
    ]
    matching = len(events)
    if args.limit is not None:
        events = events[: args.limit]
    elif args.tail is not None:
        events = events[-args.tail :] if args.tail else []
    filtered = bool(args.kind or args.exclude or since_ms is not None or until_ms is not None)
    counts = f"{len(trace)} events"
    if filtered:
        counts += f", {matching} matching"
    if len(events) < matching:
        counts += f", showing {len(events)}"
    print(
        f"kinesim trace {args.file}: seed {trace.seed}, kinesim {trace.kinesim_version}, "
        f"start {format_epoch_ms(trace.start_ms)}; {counts}"
    )
    for line in format_events(events, trace.start_ms):
        print(line)
    return 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be finite seconds >= 0, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kinesim",
        description="Deterministic virtual-time simulator of Kinesis Data Streams and Lambda.",
    )
    parser.add_argument("--version", action="version", version=f"kinesim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    trace = commands.add_parser(
        "trace",
        help="read saved traces",
        description="Read traces saved by sim.trace.save() or pytest --kinesim-trace-dir.",
    )
    trace_commands = trace.add_subparsers(dest="trace_command", metavar="COMMAND")
    trace.set_defaults(run=lambda args: _help(trace), parser=trace)
    show = trace_commands.add_parser(
        "show",
        help="print a saved trace, one event per line",
        description=(
            "Print a trace saved by sim.trace.save() or pytest --kinesim-trace-dir, one event "
            "per line with its time after the start (+HH:MM:SS.mmm). A KIND is an event kind "
            "(esm.batch), an area (esm: every esm.* kind) or a wildcard ('*.throttle')."
        ),
    )
    show.add_argument("file", metavar="FILE", help="the trace file (msgpack)")
    show.add_argument(
        "--kind", action="append", metavar="KIND", help="only these kinds (repeatable)"
    )
    show.add_argument(
        "--exclude", action="append", metavar="KIND", help="leave these kinds out (repeatable)"
    )
    show.add_argument(
        "--since", type=_seconds, metavar="S", help="only events at or after S seconds in"
    )
    show.add_argument(
        "--until", type=_seconds, metavar="S", help="only events at or before S seconds in"
    )
    amount = show.add_mutually_exclusive_group()
    amount.add_argument("--limit", type=_count, metavar="N", help="only the first N events")
    amount.add_argument("--tail", type=_count, metavar="N", help="only the last N events")
    show.set_defaults(run=_trace_show, parser=show)

    from kinesim.whatif._cli import add_commands as add_whatif_commands

    add_whatif_commands(commands)
    return parser


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Say what the subcommand takes, not what the top-level command does.
        command_parser: argparse.ArgumentParser = getattr(args, "parser", parser)
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
    except BrokenPipeError:  # pragma: no cover - `kinesim trace show big.msgpack | head`
        # The reader went away: stop quietly, and keep Python from failing to flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
