"""kinesim's pytest plugin, registered through the ``pytest11`` entry point.

Importing it must stay light: it imports pytest (which is running anyway) and kinesim's core,
never hypothesis.

- Fixtures: ``kinesim`` (a fresh :class:`kinesim.Simulator` per test), the same under a name that
  does not hide the ``kinesim`` module inside the test, ``kinesim_sim``, and ``class_kinesim``,
  ``module_kinesim``, ``package_kinesim``, ``session_kinesim`` for wider scopes, all from one
  private generator. ``kinesim_aws`` is the ``kinesim`` fixture's Simulator with
  :func:`kinesim.mock_aws` routing active (boto3 clients the test creates talk to it). (A
  ``@given`` test builds a simulator per example instead: :func:`kinesim.testing.simulator`.)
- Marker: ``@pytest.mark.kinesim(seed=..., start=..., region=..., ...)`` passes keyword
  arguments to the Simulator (on a test, a class or a module through ``pytestmark``).
- Seed: the marker's ``seed``, else ``--kinesim-seed N``, else the ``kinesim_seed`` ini setting,
  else 0.
- When a test that used a simulator fails, its report gets a ``kinesim`` section: the seed and
  where it came from, what every event source mapping's ledger says (settled, stuck, lost) and
  the tail of the trace. ``--kinesim-trace-dir DIR`` also saves the failing test's whole trace
  there as msgpack (read it with ``kinesim trace show FILE``).
"""

from __future__ import annotations

import hashlib
import inspect
import re
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kinesim._observe.render import format_epoch_ms, format_events
from kinesim._simulator import Simulator

__all__ = [
    "class_kinesim",
    "kinesim",
    "kinesim_aws",
    "kinesim_sim",
    "module_kinesim",
    "package_kinesim",
    "session_kinesim",
]

_FIXTURES = (
    "kinesim",
    "kinesim_sim",
    "class_kinesim",
    "module_kinesim",
    "package_kinesim",
    "session_kinesim",
)
# The per-test fixture's two names: their report section and saved trace carry no suffix.
_PER_TEST = ("kinesim", "kinesim_sim")
_OPTIONS = tuple(
    name
    for name, parameter in inspect.signature(Simulator).parameters.items()
    if parameter.kind is inspect.Parameter.KEYWORD_ONLY
)
_DEFAULT_TAIL = 20


@dataclass(frozen=True, slots=True)
class _Used:
    """A simulator a fixture handed out, with how its seed was chosen."""

    fixture: str
    sim: Simulator
    seed_source: str


# Per scope node (the test item, or the class / module / package / session), the simulators the
# fixtures handed out there. The report hook walks a failing item's chain of nodes to find them.
_USED = pytest.StashKey[dict[str, _Used]]()
# The ini settings, read and checked once when pytest starts.
_INI = pytest.StashKey[tuple[int | None, int]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kinesim", "kinesim simulator")
    group.addoption(
        "--kinesim-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed for the kinesim fixtures' simulators (a marker's seed= still wins)",
    )
    group.addoption(
        "--kinesim-trace-dir",
        default=None,
        metavar="DIR",
        help="save the full trace of each failing test that used kinesim to DIR (msgpack)",
    )
    parser.addini("kinesim_seed", "default seed for the kinesim fixtures (an int)", default="")
    parser.addini(
        "kinesim_trace_tail",
        "how many trace events a failing test's kinesim report shows (an int)",
        default=str(_DEFAULT_TAIL),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "kinesim(**options): keyword arguments for the kinesim fixture's Simulator "
        f"({', '.join(_OPTIONS)})",
    )
    tail = _ini_int(config, "kinesim_trace_tail")
    config.stash[_INI] = (_ini_int(config, "kinesim_seed"), _DEFAULT_TAIL if tail is None else tail)


def _ini_int(config: pytest.Config, name: str) -> int | None:
    raw = str(config.getini(name)).strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(f"ini setting {name} must be an int, got {raw!r}") from None


def _options(request: pytest.FixtureRequest) -> tuple[dict[str, Any], str]:
    """The Simulator's keyword arguments for this request, and where the seed came from."""
    marker = request.node.get_closest_marker("kinesim")
    options: dict[str, Any] = {}
    if marker is not None:
        if marker.args:
            pytest.fail(
                f"@pytest.mark.kinesim takes keyword arguments only, got {marker.args!r}; "
                "write e.g. @pytest.mark.kinesim(seed=7)",
                pytrace=False,
            )
        unknown = sorted(set(marker.kwargs) - set(_OPTIONS))
        if unknown:
            pytest.fail(
                f"@pytest.mark.kinesim got unknown option(s) {', '.join(unknown)}; "
                f"it takes {', '.join(_OPTIONS)}",
                pytrace=False,
            )
        options.update(marker.kwargs)
    if "seed" in options:
        return options, "@pytest.mark.kinesim"
    seed = request.config.getoption("kinesim_seed")
    if seed is not None:
        options["seed"] = seed
        return options, "--kinesim-seed"
    seed = request.config.stash[_INI][0]
    if seed is not None:
        options["seed"] = seed
        return options, "ini kinesim_seed"
    return options, "default"


def _kinesim(request: pytest.FixtureRequest) -> Generator[Simulator, None, None]:
    options, source = _options(request)
    sim = Simulator(**options)
    name = request.fixturename or "kinesim"
    used = request.node.stash.setdefault(_USED, {})
    used[name] = _Used(name, sim, source)
    yield sim
    if request.scope != "function":
        # A function's simulator stays until its teardown is reported (a failing teardown is
        # reported too); the report hook then drops it so that finished tests hold no memory.
        used.pop(name, None)


kinesim = pytest.fixture()(_kinesim)
kinesim.__doc__ = "A fresh :class:`kinesim.Simulator` per test (configure: @pytest.mark.kinesim)."
# The same fixture under a name that leaves the `kinesim` module usable inside the test.
kinesim_sim = pytest.fixture()(_kinesim)
kinesim_sim.__doc__ = (
    "A fresh :class:`kinesim.Simulator` per test, like ``kinesim``, under a name that does not "
    "hide the kinesim module (configure: @pytest.mark.kinesim)."
)
class_kinesim = pytest.fixture(scope="class")(_kinesim)
module_kinesim = pytest.fixture(scope="module")(_kinesim)
package_kinesim = pytest.fixture(scope="package")(_kinesim)
session_kinesim = pytest.fixture(scope="session")(_kinesim)


@pytest.fixture
def kinesim_aws(kinesim: Simulator) -> Generator[Simulator, None, None]:
    """The ``kinesim`` fixture's Simulator (its marker, seed and failure report apply) with
    ``kinesim.mock_aws`` routing active for the test."""
    # mock_aws imports the API layer and botocore on entry: only tests that use this fixture
    # pay for them, and importing the plugin stays light.
    from kinesim._api.mock import mock_aws

    with mock_aws(kinesim) as sim:
        yield sim


# -- failure report ---------------------------------------------------------------------------


def _used_by(item: pytest.Item) -> list[_Used]:
    names = set(getattr(item, "fixturenames", ()))
    found: list[_Used] = []
    for node in item.listchain():
        for used in node.stash.get(_USED, {}).values():
            if used.fixture in names:
                found.append(used)
    return found


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    used = _used_by(item) if report.failed else []
    if call.when == "teardown" and _USED in item.stash:
        del item.stash[_USED]
    if not used:
        return
    trace_dir = item.config.getoption("kinesim_trace_dir")
    tail = item.config.stash[_INI][1]
    for entry in used:
        saved = None
        if trace_dir is not None:
            saved = _save_trace(Path(trace_dir), item.nodeid, entry)
        title = "kinesim" if entry.fixture in _PER_TEST else f"kinesim ({entry.fixture})"
        report.sections.append(
            (title, describe(entry.sim, entry.seed_source, tail=tail, saved=saved))
        )


def describe(
    sim: Simulator, seed_source: str = "", *, tail: int | None = None, saved: Path | None = None
) -> str:
    """What a failing test's report says about ``sim``: seed, mappings' ledgers, trace tail."""
    tail = _DEFAULT_TAIL if tail is None else tail
    source = f" (from {seed_source})" if seed_source else ""
    lines = [
        f"seed: {sim.seed}{source}",
        f"virtual time: {format_epoch_ms(sim.now_ms)} ({sim.elapsed:g} s after the start)",
    ]
    lines.extend(_mapping_lines(sim))
    events = sim.trace.tail(tail)
    if not sim.trace.enabled and not len(sim.trace):
        lines.append("trace: recording was off")
    elif not len(sim.trace):
        lines.append("trace: no events")
    else:
        shown = f", the last {len(events)}" if len(events) < len(sim.trace) else ""
        # A long run's trace holds only its latest events (Simulator trace_limit).
        held = f" ({len(sim.trace)} held)" if sim.trace.dropped else ""
        lines.append(f"trace: {sim.trace.recorded} events{held}{shown}:")
        lines.extend("  " + line for line in format_events(events, sim.start_ms))
    if saved is not None:
        what = f"the last {len(sim.trace)} trace events" if sim.trace.dropped else "full trace"
        lines.append(f"{what} saved to {saved}; read it with: kinesim trace show {saved}")
    return "\n".join(lines)


def _mapping_lines(sim: Simulator) -> list[str]:
    """One block per event source mapping: its ledger's summary and what is stuck."""
    lines: list[str] = []
    for mapping in sim.lambda_.list_event_source_mappings():
        lines.append(
            f"mapping {mapping.uuid} ({mapping.function.name} <- {mapping.stream.name}, "
            f"{mapping.state}): {_summary_text(mapping.ledger.summary())}"
        )
        fates = mapping.ledger.fates()
        unprocessed = []
        expired = fates.get("expired", 0)
        if expired:
            unprocessed.append(f"{expired} trimmed by retention before they were processed")
        given_up = fates.get("RetryAttemptsExhausted", 0) + fates.get("RecordAgeExceeded", 0)
        if given_up:
            where = (
                "with no on-failure destination: lost"
                if mapping.destination is None
                else f"reported to {mapping.destination.arn}"
            )
            unprocessed.append(f"{given_up} given up, {where}")
        if mapping.destination_delivery_failures:
            unprocessed.append(
                f"{mapping.destination_delivery_failures} failure record(s) the destination "
                "refused: lost"
            )
        if unprocessed:
            lines.append(f"  not processed: {'; '.join(unprocessed)}")
        if not mapping.caught_up:
            prefix = f"mapping {mapping.uuid} "
            lines.extend(f"  stuck: {line.removeprefix(prefix)}" for line in mapping.stuck())
    return lines


def _summary_text(summary: dict[str, Any]) -> str:
    parts = []
    for key, value in summary.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{name} {count}" for name, count in value.items()) or "none"
            parts.append(f"{key}: {inner}")
        else:
            parts.append(f"{key}: {value}")
    return "; ".join(parts)


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _save_trace(directory: Path, nodeid: str, entry: _Used) -> Path:
    stem = _UNSAFE.sub("_", nodeid).strip("_")
    if entry.fixture not in _PER_TEST:
        stem += f"-{entry.fixture}"
    if len(stem) > 120:
        # Long parametrized ids: keep the file name legal, and unique through a digest.
        stem = stem[:100] + "-" + hashlib.sha256(stem.encode()).hexdigest()[:16]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{stem}.msgpack"
    entry.sim.trace.save(path)
    return path
