"""``kinesim whatif`` and ``kinesim sweep``: the command-line face of :mod:`kinesim.whatif`.

No third-party library draws the progress bar or the tables: both are a few lines of plain text,
and the README's main command must run on a fresh ``pip install -e .`` with nothing else.

Everything a run needs is checked before it starts (the scenario's values against the
simulator's limits, replay files, the plot's path and matplotlib, the sweep's grid and workers),
and a run too big to be reasonable is refused with an estimate of its time and memory unless
``--force`` is given: a mistake costs one clear line (exit status 2), never a traceback or an
hour.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.resources
import importlib.util
import itertools
import math
import os
import sys
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from kinesim._errors import AWSError, KinesimError, TraceFormatError
from kinesim.whatif._aggregate_parts import AUTO_RECORDS_THRESHOLD
from kinesim.whatif._engines import ENGINES, choose_engine
from kinesim.whatif._progress import Progress
from kinesim.whatif._scenario import Scenario, parse_seconds
from kinesim.whatif._sweep import grid_points, sweep

__all__ = ["ESTIMATE_LIMIT_BYTES", "ESTIMATE_LIMIT_S", "add_commands", "demo_scenario", "estimate"]

#: A run estimated to need more wall-clock seconds than this is refused without --force.
ESTIMATE_LIMIT_S = 1800.0
#: A run estimated to need more memory than this is refused without --force (4 GiB).
ESTIMATE_LIMIT_BYTES = 4 * 1024**3
#: Estimates above this many seconds are printed before the run starts.
_SAY_ESTIMATE_ABOVE_S = 30.0
# The estimate's costs, measured on the reference machine with `kinesim whatif` (see
# docs/reference/whatif.md): per record put and processed, per shard per virtual second (the
# pollers), per report period; memory per record kept and per period, over a base.
_S_PER_RECORD = 5e-6
_S_PER_SHARD_SECOND = 1.5e-5
_S_PER_PERIOD = 5e-5
_BYTES_PER_RECORD = 100
_BYTES_PER_PERIOD = 1500
_BASE_BYTES = 60 * 1024**2
# The aggregate engine's costs (benchmarks/bench_whatif.py: 1,000 shards for a virtual day took
# 35 s of CPU, 0.4 µs per lane-second, in 56 MB), rounded up as the others are.
_AGGREGATE_S_PER_LANE_SECOND = 2e-6
_AGGREGATE_BYTES_PER_LANE = 64 * 1024
# What matplotlib's Agg canvas writes (Report.plot picks the format from the suffix).
_PLOT_SUFFIXES = frozenset(
    {
        "",
        ".eps",
        ".jpeg",
        ".jpg",
        ".pdf",
        ".pgf",
        ".png",
        ".ps",
        ".raw",
        ".rgba",
        ".svg",
        ".svgz",
        ".tif",
        ".tiff",
        ".webp",
    }
)

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


class UsageError(KinesimError):
    """A command-line mistake found before running: printed as one line, exit status 2."""


# -- checks before running ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a run is expected to cost: records, wall-clock seconds and peak memory (bytes)."""

    records: float
    seconds: float
    memory_bytes: float

    def text(self) -> str:
        return (
            f"about {self.records:,.0f} records: roughly {_wall(self.seconds)} and "
            f"{self.memory_bytes / 1024**3:,.1f} GiB of memory"
        )


def _wall(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:,.0f} days"


def estimate(scenario: Scenario, engine: str = "records") -> Estimate:
    """A rough, deliberately pessimistic estimate of a run's cost, from the scenario alone.

    ``engine`` is the engine that will run it (see :func:`choose_engine`): the record-level
    engine pays per record, the aggregate engine per lane and virtual second."""
    span_ms = round(scenario.simulated_s * 1000)
    arrivals = scenario.arrivals
    if arrivals.is_replay:
        records = float(len(arrivals.load().times_ms))  # type: ignore[attr-defined]
    else:
        # Sum the expected arrivals over at most 10,000 slices (a daily curve varies by hour).
        slices = max(1, min(10_000, math.ceil(span_ms / 3_600_000)))
        edges = [span_ms * k // slices for k in range(slices + 1)]
        records = sum(arrivals.expected(a, b) for a, b in itertools.pairwise(edges))
    periods = scenario.simulated_s / scenario.period_s
    if engine == "aggregate":
        lanes = scenario.shards * scenario.parallelization_factor
        seconds = lanes * scenario.simulated_s * _AGGREGATE_S_PER_LANE_SECOND
        memory = _BASE_BYTES + lanes * _AGGREGATE_BYTES_PER_LANE + periods * _BYTES_PER_PERIOD
        return Estimate(records, seconds + periods * _S_PER_PERIOD, memory)
    seconds = (
        records * _S_PER_RECORD
        + scenario.shards
        * scenario.parallelization_factor
        * scenario.simulated_s
        * _S_PER_SHARD_SECOND
        + periods * _S_PER_PERIOD
    )
    memory = _BASE_BYTES + records * _BYTES_PER_RECORD + periods * _BYTES_PER_PERIOD
    return Estimate(records, seconds, memory)


def _check_replay(scenario: Scenario) -> None:
    """A replayed workload's file exists and reads (now, not after the set-up)."""
    if not scenario.arrivals.is_replay:
        return
    try:
        scenario.arrivals.load()  # type: ignore[attr-defined]
    except (OSError, TraceFormatError, ValueError, TypeError) as exc:
        path = getattr(scenario.arrivals, "path", "?")
        raise UsageError(f"cannot replay {path}: {exc}") from None


def _check_plot(path: str | None) -> None:
    """``--plot PATH``: matplotlib importable, a format it writes, a folder we can write in."""
    if path is None:
        return
    if importlib.util.find_spec("matplotlib") is None:
        raise UsageError('--plot needs matplotlib: pip install -e ".[plot]" (from the clone)')
    target = Path(path)
    if target.suffix.lower() not in _PLOT_SUFFIXES:
        raise UsageError(
            f"--plot {path}: matplotlib cannot write {target.suffix!r} files; use .png, .svg "
            "or .pdf"
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"--plot {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        raise UsageError(f"--plot {path}: cannot write there (permission denied)")
    if target.is_dir():
        raise UsageError(f"--plot {path} is a folder; give a file name such as report.png")


def _check_size(total: Estimate, args: argparse.Namespace, what: str) -> None:
    """Refuse an absurd run unless --force; say the estimate of a long one."""
    too_slow = total.seconds > ESTIMATE_LIMIT_S
    too_big = total.memory_bytes > ESTIMATE_LIMIT_BYTES
    if (too_slow or too_big) and not args.force:
        limits = (
            f"the limits are {_wall(ESTIMATE_LIMIT_S)} and {ESTIMATE_LIMIT_BYTES / 1024**3:.0f} GiB"
        )
        raise UsageError(
            f"{what} would take {total.text()}; {limits}: shorten simulated_s, lower the rate "
            "or the shards, or pass --force to run it anyway"
        )
    if total.seconds > _SAY_ESTIMATE_ABOVE_S and not args.quiet:
        print(f"{what}: expect {total.text()}", file=sys.stderr)


def _preflight(scenarios: Sequence[Scenario], args: argparse.Namespace, what: str) -> None:
    """Replays read, the asked-for engine able to run every scenario (``choose_engine`` refuses
    what it cannot), and the estimated size within the limits."""
    for scenario in scenarios:
        _check_replay(scenario)
    estimates = [
        estimate(scenario, choose_engine(scenario, args.engine)[0]) for scenario in scenarios
    ]
    workers = max(1, min(getattr(args, "workers", 1) or 1, len(scenarios)))
    total = Estimate(
        sum(e.records for e in estimates),
        sum(e.seconds for e in estimates) / workers,
        max(e.memory_bytes for e in estimates) * workers,
    )
    _check_size(total, args, what)


# -- whatif ------------------------------------------------------------------------------------


def example_scenario_text() -> str:
    """The commented example scenario that ``kinesim whatif --init`` writes."""
    return (importlib.resources.files("kinesim.whatif") / "orders.toml").read_text(encoding="utf-8")


def _init(path: str) -> int:
    target = Path(path)
    if target.exists():
        print(
            f"kinesim whatif: {path} exists; not overwriting it (remove it, or give another "
            "name: kinesim whatif --init FILE)",
            file=sys.stderr,
        )
        return 2
    try:
        target.write_text(example_scenario_text(), encoding="utf-8")
    except OSError as exc:
        print(f"kinesim whatif: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}; run it with: kinesim whatif {path}")
    return 0


def _whatif(args: argparse.Namespace) -> int:
    if args.init is not None:
        return _init(args.init)
    try:
        base = _base(args)
        scenario = base.with_overrides(_overrides(args, base))
        _check_plot(args.plot)
        _preflight([scenario], args, "this run")
    except (KinesimError, ValueError, TypeError, OSError) as exc:
        print(f"kinesim whatif: {exc}", file=sys.stderr)
        return 2
    bar = Progress("simulating", total_s=scenario.simulated_s, quiet=args.quiet)
    try:
        report = scenario.run(progress=bar, engine=args.engine)
    except AWSError as exc:
        # The simulated AWS refused the set-up: a value the checks above do not know yet.
        print(f"kinesim whatif: the simulator refused this scenario: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    if args.plot:
        try:
            report.plot(args.plot)
        except (KinesimError, ValueError, OSError) as exc:
            print(f"kinesim whatif: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(report.to_json())
    else:
        print(report.text())
        if args.plot:
            print(f"\nplot written to {args.plot}")
    return 0


# -- sweep -------------------------------------------------------------------------------------


def _parse_grid(items: list[str], base: Scenario) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        name = name.strip()
        if not sep or not values:
            raise UsageError(f"--grid takes NAME=V1,V2,..., got {item!r}")
        current = _current(base, name)
        grid[name] = [_coerce(v, current, name) for v in values.split(",")]
    return grid


def _grid_scenarios(base: Scenario, grid: dict[str, list[Any]]) -> list[Scenario]:
    """Every grid point's scenario, built (and so checked) before anything runs."""
    scenarios = []
    for point in grid_points(grid):
        try:
            scenarios.append(base.with_overrides(point))
        except (KinesimError, ValueError, TypeError) as exc:
            settings = ", ".join(f"{k}={v}" for k, v in point.items())
            raise UsageError(f"--grid point {settings}: {exc}") from None
    return scenarios


def _sweep(args: argparse.Namespace) -> int:
    try:
        base = _base(args)
        base = base.with_overrides(_overrides(args, base))
        grid = _parse_grid(args.grid or [], base)
        if not grid:
            raise UsageError("give at least one --grid NAME=V1,V2,...")
        scenarios = _grid_scenarios(base, grid)
        target = (
            None if args.target_iterator_age is None else parse_seconds(args.target_iterator_age)
        )
        _preflight(scenarios, args, f"this sweep of {len(scenarios)} runs")
    except (KinesimError, ValueError, TypeError, OSError) as exc:
        print(f"kinesim sweep: {exc}", file=sys.stderr)
        return 2
    bar = Progress(
        f"sweeping {len(scenarios)} runs",
        total_s=sum(s.simulated_s for s in scenarios),
        quiet=args.quiet,
    )
    executor: Executor | None
    client: Any = None
    if args.dask:
        try:
            # NOTE: imported by name so that mypy needs no dask stubs (dask is an optional extra).
            distributed: Any = importlib.import_module("distributed")
        except ImportError:
            print(
                'kinesim sweep: --dask needs the dask extra: pip install -e ".[dask]" (from '
                "the clone)",
                file=sys.stderr,
            )
            return 2
        try:
            client = distributed.Client(args.dask, timeout=30)
        except (OSError, TimeoutError, ValueError) as exc:
            print(
                f"kinesim sweep: cannot reach the Dask scheduler {args.dask}: {exc}",
                file=sys.stderr,
            )
            return 2
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
            progress=None if args.quiet else lambda done_s, _total_s: bar.update(done_s),
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


# -- the parsers -------------------------------------------------------------------------------


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"takes a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _default_text(name: str) -> str:
    f = next(f for f in fields(Scenario) if f.name == name)
    default = f.default_factory() if f.default is MISSING else f.default  # type: ignore[operator]
    return "none" if default is None else str(default)


def _add_scenario_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "scenario",
        nargs="?",
        metavar="SCENARIO.toml",
        help="a scenario file (default: the built-in demo; kinesim whatif --init writes one)",
    )
    parser.add_argument("--seed", type=int, metavar="N", help="override the scenario's seed")
    parser.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="override any field, nested ones by dotted name (arrivals.rate=2000, "
        "faults.error_probability=0.01); repeatable",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--quiet", action="store_true", help="no progress or estimates on stderr")
    parser.add_argument(
        "--force",
        action="store_true",
        help=f"run even when the estimate is over {_wall(ESTIMATE_LIMIT_S)} or "
        f"{ESTIMATE_LIMIT_BYTES / 1024**3:.0f} GiB of memory",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="auto",
        help="records: simulate every record; aggregate: records as counts (production sizes "
        "in seconds, within a validated error bound); auto (default): aggregate above "
        f"{AUTO_RECORDS_THRESHOLD:,} expected records",
    )
    flags = parser.add_argument_group(
        "scenario fields", "override the file's (or the demo's) value of one field"
    )
    for name in _SCALARS:
        if name == "seed":
            continue
        flags.add_argument(
            f"--{name.replace('_', '-')}",
            dest=f"field_{name}",
            metavar="VALUE",
            help=f"(default {_default_text(name)})",
        )


def add_commands(commands: Any) -> None:
    """Add ``whatif`` and ``sweep`` to the ``kinesim`` command's subparsers."""
    whatif = commands.add_parser(
        "whatif",
        help="simulate a capacity scenario (default: the built-in poison-record demo)",
        description="Run a what-if scenario and print its summary and a chart of iterator age. "
        "Progress goes to stderr (a bar on a terminal, a line every few seconds elsewhere).",
    )
    _add_scenario_flags(whatif)
    whatif.add_argument(
        "--plot",
        metavar="PATH",
        help='also draw the report to PATH (needs the plot extra: pip install -e ".[plot]")',
    )
    whatif.add_argument(
        "--init",
        nargs="?",
        const="scenario.toml",
        metavar="FILE",
        help="write a commented example scenario to FILE (default scenario.toml) and stop",
    )
    whatif.set_defaults(run=_whatif, parser=whatif)

    sweep = commands.add_parser(
        "sweep",
        help="run a scenario over a grid of settings and name the cheapest that meets a target",
        description="Run a scenario for every combination of --grid values and print a table "
        "(largest and p99 iterator age, records lost, cost); with --target-iterator-age, name "
        "the cheapest configuration that meets it. Progress goes to stderr.",
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
        "--workers",
        type=_positive_int,
        default=os.cpu_count() or 1,
        metavar="N",
        help="processes (default: the number of CPUs; 1 runs here, one after another)",
    )
    sweep.add_argument(
        "--dask", metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    sweep.set_defaults(run=_sweep, parser=sweep)
