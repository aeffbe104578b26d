"""``kinesim whatif`` and ``kinesim sweep``: the command-line face of :mod:`kinesim.whatif`.

No third-party library draws the progress bar or the tables: both are a few lines of plain text,
and the README's main command must run on a fresh ``pip install kinesim`` with nothing else.
The progress bar appears on a terminal only, and only once a run has taken more than a second.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from dataclasses import fields
from typing import Any, TextIO

from kinesim._errors import KinesimError
from kinesim.whatif._aggregate_parts import AUTO_RECORDS_THRESHOLD
from kinesim.whatif._engines import ENGINES, choose_engine
from kinesim.whatif._scenario import Scenario, parse_seconds

__all__ = ["add_commands", "demo_scenario"]

# Scenario fields that take one value on the command line (nested ones go through --set).
_SCALARS = {
    f.name: f
    for f in fields(Scenario)
    if f.name not in {"duration", "arrivals", "record_size", "keys", "faults", "producer", "prices"}
}


def demo_scenario() -> Scenario:
    """The built-in demo: a poison record stalls one shard of four."""
    from kinesim._lambda.durations import LogNormal
    from kinesim.whatif._faults import Faults
    from kinesim.whatif._workload import FixedSize, Poisson, UniformKeys

    return Scenario(
        name="demo: a poison record stalls one shard of four",
        shards=4,
        simulated_s=3600.0,
        arrivals=Poisson(rate=200.0),
        record_size=FixedSize(bytes=512),
        keys=UniformKeys(count=1000),
        duration=LogNormal(median=0.08, p99=0.4),
        batch_size=100,
        faults=Faults(poison_at_s=(600.0,), poison_key="key-7"),
    )


class _Progress:
    """A one-line progress bar on stderr, shown once the work has taken more than a second."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.monotonic()  # wall clock for the bar only, never for simulation
        self.enabled = self.stream.isatty() and not os.environ.get("CI")
        self.shown = False

    def __call__(self, fraction: float) -> None:
        if not self.enabled or time.monotonic() - self.started < 1.0:
            return
        self.shown = True
        width = 30
        filled = round(fraction * width)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {fraction * 100:3.0f}%"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * (len(self.label) + 40) + "\r")
            self.stream.flush()


def _coerce(text: str, current: Any, name: str) -> Any:
    """Read ``text`` as the type of the field's current value."""
    low = text.strip().lower()
    if low in ("none", "null"):
        return None
    if isinstance(current, bool):
        if low in ("true", "yes", "1", "on"):
            return True
        if low in ("false", "no", "0", "off"):
            return False
        raise KinesimError(f"{name} takes true or false, got {text!r}")
    if isinstance(current, int) or (current is None and name == "reserved_concurrency"):
        try:
            return int(text)
        except ValueError:
            raise KinesimError(f"{name} takes a whole number, got {text!r}") from None
    if isinstance(current, float):
        if name.endswith(("_s", "duration")):
            return parse_seconds(text)
        try:
            return float(text)
        except ValueError:
            raise KinesimError(f"{name} takes a number, got {text!r}") from None
    if isinstance(current, (list, tuple)):
        return [_coerce(part, current[0] if current else 0.0, name) for part in text.split(",")]
    if isinstance(current, str) or current is None:
        return text
    # A nested table (e.g. duration=0.2): a number replaces it.
    try:
        return float(text)
    except ValueError:
        return text


def _current(scenario: Scenario, dotted: str) -> Any:
    data: Any = scenario.to_dict()
    for part in dotted.split("."):
        if not isinstance(data, dict) or part not in data:
            known = sorted(data) if isinstance(data, dict) else []
            raise KinesimError(f"unknown scenario field {dotted!r} (known here: {known})")
        data = data[part]
    return data


def _overrides(args: argparse.Namespace, base: Scenario) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in _SCALARS:
        value = getattr(args, f"field_{name}", None)
        if value is not None:
            out[name] = _coerce(value, getattr(base, name), name)
    for item in args.set or ():
        name, sep, value = item.partition("=")
        if not sep:
            raise KinesimError(f"--set takes NAME=VALUE, got {item!r}")
        out[name.strip()] = _coerce(value, _current(base, name.strip()), name.strip())
    if args.seed is not None:
        out["seed"] = args.seed
    return out


def _base(args: argparse.Namespace) -> Scenario:
    return Scenario.from_toml(args.scenario) if args.scenario else demo_scenario()


def _whatif(args: argparse.Namespace) -> int:
    try:
        base = _base(args)
        scenario = base.with_overrides(_overrides(args, base))
        choose_engine(scenario, args.engine)  # refuses what the asked-for engine cannot run
    except (KinesimError, ValueError, TypeError, OSError) as exc:
        print(f"kinesim whatif: {exc}", file=sys.stderr)
        return 2
    bar = _Progress("simulating")
    try:
        report = scenario.run(progress=bar, engine=args.engine)
    finally:
        bar.close()
    if args.plot:
        try:
            report.plot(args.plot)
        except ValueError as exc:
            print(f"kinesim whatif: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(report.to_json())
    else:
        print(report.text())
        if args.plot:
            print(f"\nplot written to {args.plot}")
    return 0


def _parse_grid(items: list[str], base: Scenario) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not values:
            raise KinesimError(f"--grid takes NAME=V1,V2,..., got {item!r}")
        current = _current(base, name)
        grid[name] = [_coerce(v, current, name) for v in values.split(",")]
    return grid


def _sweep(args: argparse.Namespace) -> int:
    from concurrent.futures import Executor, ProcessPoolExecutor

    from kinesim.whatif._sweep import sweep

    try:
        base = _base(args)
        base = base.with_overrides(_overrides(args, base))
        grid = _parse_grid(args.grid or [], base)
        choose_engine(base, args.engine)  # refuses what the asked-for engine cannot run
        if not grid:
            raise KinesimError("give at least one --grid NAME=V1,V2,...")
        target = (
            None if args.target_iterator_age is None else parse_seconds(args.target_iterator_age)
        )
    except (KinesimError, ValueError, TypeError, OSError) as exc:
        print(f"kinesim sweep: {exc}", file=sys.stderr)
        return 2
    bar = _Progress("sweeping")

    def progress(done: int, total: int) -> None:
        bar(done / total)

    executor: Executor | None
    client: Any = None
    if args.dask:
        try:
            # NOTE: imported by name so that mypy needs no dask stubs (dask is an optional extra).
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            print('kinesim sweep: --dask needs pip install "kinesim[dask]"', file=sys.stderr)
            return 2
        client = distributed.Client(args.dask)
        executor = client.get_executor()
    elif args.workers == 1:
        executor = None
    else:
        executor = ProcessPoolExecutor(max_workers=args.workers)
    try:
        result = sweep(
            base,
            grid,
            executor=executor,
            target_iterator_age_s=target,
            progress=progress,
            engine=args.engine,
        )
    finally:
        bar.close()
        if isinstance(executor, ProcessPoolExecutor):
            executor.shutdown()
        if client is not None:
            client.close()
    print(result.to_json() if args.json else result.table())
    return 0


def _add_scenario_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario", nargs="?", help="a scenario TOML file (default: the built-in demo)"
    )
    parser.add_argument("--seed", type=int, help="override the scenario's seed")
    flags = parser.add_argument_group("scenario fields (override the file's values)")
    for name in _SCALARS:
        if name == "seed":
            continue
        flags.add_argument(
            f"--{name.replace('_', '-')}",
            dest=f"field_{name}",
            metavar="VALUE",
            help=argparse.SUPPRESS,
        )
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override any field, nested ones by dotted name (arrivals.rate=2000, "
        "faults.error_probability=0.01); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="records: simulate every record; aggregate: records as counts (production sizes "
        "in seconds, within a validated error bound); auto (default): aggregate above "
        f"{AUTO_RECORDS_THRESHOLD:,} expected records",
    )


def add_commands(commands: Any) -> None:
    """Add ``whatif`` and ``sweep`` to the ``kinesim`` command's subparsers."""
    scalar_names = ", ".join(f"--{n.replace('_', '-')}" for n in _SCALARS if n != "seed")
    whatif = commands.add_parser(
        "whatif",
        help="simulate a capacity scenario (default: the built-in poison-record demo)",
        description="Run a what-if scenario and print its summary and a chart of iterator age. "
        f"Every scenario field has a flag: {scalar_names}.",
    )
    _add_scenario_flags(whatif)
    whatif.add_argument("--plot", metavar="PATH", help="also draw the report (needs kinesim[plot])")
    whatif.set_defaults(run=_whatif)

    sweep = commands.add_parser(
        "sweep",
        help="run a scenario over a grid of settings and name the cheapest that meets a target",
    )
    _add_scenario_flags(sweep)
    sweep.add_argument(
        "--grid",
        action="append",
        metavar="NAME=V1,V2",
        help="a field and its values, e.g. shards=2,4,8; repeatable (the grid is the product)",
    )
    sweep.add_argument(
        "--target-iterator-age", metavar="AGE", help="e.g. 60s: the largest acceptable max age"
    )
    sweep.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="processes (default: CPUs)"
    )
    sweep.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    sweep.set_defaults(run=_sweep)
