"""The :class:`Scenario`: everything a what-if run needs, as one frozen value.

A scenario is keyword-only, frozen and comparable, so it can be hashed into a sweep, pickled to a
worker process or a Dask cluster, and written back as TOML-shaped data. :meth:`Scenario.from_toml`
reads a file; :meth:`Scenario.with_overrides` applies ``{"shards": 8, "arrivals.rate": 2000}``
(dotted names reach into the workload, faults, producer and price tables), which is what the
command line's flags and a sweep's grid do.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimTypeError, KinesimValueError
from kinesim._lambda.durations import Constant, DurationModel, Empirical, LogNormal, Uniform
from kinesim.whatif._faults import Faults
from kinesim.whatif._pricing import US_EAST_1, PriceTable
from kinesim.whatif._producer import ProducerConfig
from kinesim.whatif._workload import (
    ArrivalProcess,
    ConstantRate,
    FixedSize,
    KeyDistribution,
    SizeDistribution,
    UniformKeys,
    spec_from_dict,
)

if TYPE_CHECKING:
    from kinesim.whatif._report import Report

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

__all__ = ["Scenario", "duration_from_spec", "duration_to_spec", "parse_seconds"]

_MODES = ("PROVISIONED", "ON_DEMAND")
_POSITIONS = ("TRIM_HORIZON", "LATEST")


def parse_seconds(text: str | float) -> float:
    """``"60s"``, ``"5m"``, ``"2h"``, ``"1d"``, ``"250ms"`` or a bare number of seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    if not isinstance(text, str):
        raise KinesimTypeError(f"expected a duration such as '60s' or '5m', got {text!r}")
    value = text.strip().lower()
    number, scale = value, 1.0
    for suffix, factor in (("ms", 0.001), ("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86400.0)):
        if value.endswith(suffix):
            number, scale = value[: -len(suffix)], factor
            break
    try:
        seconds = float(number) * scale
    except ValueError:
        raise KinesimValueError(
            f"cannot read {text!r} as a duration: write e.g. '60s', '5m', '2h' or '250ms'"
        ) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise KinesimValueError(f"a duration must be finite and >= 0, got {text!r}")
    return seconds


# -- handler duration models as TOML-shaped data ----------------------------------------------


def duration_from_spec(spec: Any) -> DurationModel:
    """A Lambda duration model from seconds or ``{"kind": "lognormal", "median": .., "p99": ..}``
    (kinds: ``constant`` (``seconds``), ``uniform`` (``low``, ``high``), ``lognormal``,
    ``empirical`` (``samples``)); a model passes through."""
    if isinstance(spec, DurationModel):
        return spec
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return Constant(float(spec))
    if isinstance(spec, Mapping) and "kind" in spec:
        kind = spec["kind"]
        args = {k: v for k, v in spec.items() if k != "kind"}
        try:
            if kind == "constant":
                return Constant(**args)
            if kind == "uniform":
                return Uniform(**args)
            if kind == "lognormal":
                return LogNormal(**args)
            if kind == "empirical":
                return Empirical(list(args["samples"]))
        except (TypeError, KeyError) as exc:
            raise KinesimValueError(f"duration {dict(spec)!r}: {exc}") from None
    raise KinesimValueError(
        f"duration takes seconds or a table with kind = constant, uniform, lognormal or "
        f"empirical, got {spec!r}"
    )


def duration_to_spec(model: DurationModel) -> dict[str, Any]:
    if isinstance(model, Constant):
        return {"kind": "constant", "seconds": model.seconds}
    if isinstance(model, Uniform):
        return {"kind": "uniform", "low": model.low, "high": model.high}
    if isinstance(model, LogNormal):
        return {"kind": "lognormal", "median": model.median, "p99": model.p99}
    if isinstance(model, Empirical):
        return {"kind": "empirical", "samples": list(model.samples)}
    raise KinesimValueError(f"cannot write the duration model {model!r} as data")


# -- the scenario ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A what-if: a stream, a function, a mapping, a workload and faults, run for
    ``simulated_s`` virtual seconds from ``seed``. Every field has a default; see
    ``docs/reference/whatif.md`` for each."""

    name: str = "what-if"
    seed: int = 0
    simulated_s: float = 3600.0
    #: Width of the report's per-period series, in seconds.
    period_s: int = 60
    # stream
    shards: int = 4
    mode: str = "PROVISIONED"
    retention_hours: int = 24
    #: Enhanced fan-out consumers reading the stream besides the mapping (each with its own
    #: 2 MiB/s pipe per shard, so they do not slow the mapping; they are priced).
    fan_out_consumers: int = 0
    #: Other applications reading every shard through GetRecords (shared throughput: they
    #: share each shard's 5 reads/s and 2 MiB/s with the mapping), each polling every
    #: ``shared_reader_interval_s`` (1 s: KCL's default ``idleTimeBetweenReadsInMillis``).
    shared_readers: int = 0
    shared_reader_interval_s: float = 1.0
    # function
    duration: DurationModel = field(default_factory=lambda: Constant(0.05))
    cold_start_s: float = 0.0
    memory_mb: int = 128
    timeout_s: int = 30
    reserved_concurrency: int | None = None
    account_concurrency: int = 1000
    # mapping
    batch_size: int = 100
    batching_window_s: float = 0.0
    parallelization_factor: int = 1
    bisect_on_error: bool = False
    max_retry_attempts: int = -1
    max_record_age_s: int = -1
    report_batch_item_failures: bool = False
    on_failure: bool = True
    starting_position: str = "TRIM_HORIZON"
    # workload
    arrivals: ArrivalProcess = field(default_factory=lambda: ConstantRate(rate=100.0))
    record_size: SizeDistribution = field(default_factory=lambda: FixedSize(bytes=1024))
    keys: KeyDistribution = field(default_factory=lambda: UniformKeys(count=1000))
    faults: Faults = field(default_factory=Faults)
    producer: ProducerConfig = field(default_factory=ProducerConfig)
    prices: PriceTable = US_EAST_1

    def __post_init__(self) -> None:
        def whole(name: str, low: int, high: int | None = None) -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise KinesimTypeError(f"Scenario.{name} must be an int, got {value!r}")
            if value < low or (high is not None and value > high):
                bound = f">= {low}" if high is None else f"in [{low}, {high}]"
                raise KinesimValueError(f"Scenario.{name} must be {bound}, got {value!r}")

        whole("seed", -(2**63))
        whole("period_s", 1)
        whole("shards", 1)
        whole("retention_hours", 24, 8760)
        whole("fan_out_consumers", 0, 20)
        whole("shared_readers", 0)
        if not (
            isinstance(self.shared_reader_interval_s, (int, float))
            and 0.001 <= self.shared_reader_interval_s < math.inf
        ):
            raise KinesimValueError(
                "Scenario.shared_reader_interval_s must be >= 0.001 s, got "
                f"{self.shared_reader_interval_s!r}"
            )
        whole("memory_mb", 128, 10240)
        whole("timeout_s", 1, 900)
        whole("account_concurrency", 1)
        whole("batch_size", 1, 10000)
        whole("parallelization_factor", 1, 10)
        whole("max_retry_attempts", -1, 10000)
        whole("max_record_age_s", -1, 604800)
        if self.reserved_concurrency is not None:
            whole("reserved_concurrency", 0)
        if not (isinstance(self.simulated_s, (int, float)) and 0 < self.simulated_s < math.inf):
            raise KinesimValueError(f"Scenario.simulated_s must be > 0, got {self.simulated_s!r}")
        if self.mode not in _MODES:
            raise KinesimValueError(f"Scenario.mode must be one of {_MODES}, got {self.mode!r}")
        if self.starting_position not in _POSITIONS:
            raise KinesimValueError(
                f"Scenario.starting_position must be one of {_POSITIONS}, got "
                f"{self.starting_position!r}"
            )
        object.__setattr__(self, "duration", duration_from_spec(self.duration))
        for name, base in (
            ("arrivals", ArrivalProcess),
            ("record_size", SizeDistribution),
            ("keys", KeyDistribution),
            ("faults", Faults),
            ("producer", ProducerConfig),
            ("prices", PriceTable),
        ):
            if not isinstance(getattr(self, name), base):
                raise KinesimTypeError(
                    f"Scenario.{name} must be a {base.__name__}, got {getattr(self, name)!r}"
                )

    # -- running ----------------------------------------------------------------------------

    def run(
        self, *, progress: Callable[[float], object] | None = None, engine: str = "auto"
    ) -> Report:
        """Simulate this scenario and return its :class:`~kinesim.whatif.Report`.

        ``engine``: ``"records"`` simulates every record; ``"aggregate"`` moves records as counts
        (production sizes in seconds, within a validated error bound; needs numpy, the
        ``aggregate`` extra); ``"auto"`` (default) picks the aggregate engine for runs expected
        to put more than :data:`~kinesim.whatif.AUTO_RECORDS_THRESHOLD` records. The report
        names the engine. ``progress(fraction)`` is called after each report period.
        """
        from kinesim.whatif._engines import run_with_engine

        return run_with_engine(self, engine=engine, progress=progress)

    # -- data -------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """TOML/JSON-shaped data that :meth:`from_dict` reads back into an equal scenario."""
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "duration":
                data[f.name] = duration_to_spec(value)
            elif hasattr(value, "to_dict"):
                data[f.name] = value.to_dict()
            else:
                data[f.name] = value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """A scenario from TOML-shaped data; unknown keys are refused with the known ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise KinesimValueError(
                f"unknown scenario field(s) {unknown}; the fields are {sorted(known)}"
            )
        kwargs: dict[str, Any] = {}
        for name, value in data.items():
            if name in ("arrivals", "record_size", "keys"):
                value = value if not isinstance(value, Mapping) else spec_from_dict(name, value)
            elif name == "faults" and isinstance(value, Mapping):
                value = Faults.from_dict(value)
            elif name == "producer" and isinstance(value, Mapping):
                value = _build(ProducerConfig, value, "producer")
            elif name == "prices" and isinstance(value, Mapping):
                value = _build(PriceTable, value, "prices")
            elif name == "duration":
                value = duration_from_spec(value)
            kwargs[name] = value
        return cls(**kwargs)

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Read a scenario from a TOML file (top-level keys are fields; tables for the
        workload parts, faults, producer and prices)."""
        with open(path, "rb") as handle:
            try:
                data = tomllib.load(handle)
            except tomllib.TOMLDecodeError as exc:
                raise KinesimValueError(f"{path}: not valid TOML: {exc}") from None
        return cls.from_dict(data)

    def with_overrides(self, overrides: Mapping[str, Any]) -> Scenario:
        """A copy with fields replaced: ``{"shards": 8}``; dotted names reach into nested
        parts (``"arrivals.rate"``, ``"faults.error_probability"``, ``"prices.shard_hour"``);
        ``"arrivals.kind"`` switches the kind, keeping the fields that still apply."""
        data = self.to_dict()
        for name, value in overrides.items():
            head, _, rest = name.partition(".")
            if head not in data:
                raise KinesimValueError(
                    f"unknown scenario field {head!r}; the fields are {sorted(data)}"
                )
            if not rest:
                data[head] = value
                continue
            nested = data[head]
            if not isinstance(nested, dict):
                raise KinesimValueError(f"{head} has no fields; write {head}=VALUE")
            nested = dict(nested)
            nested[rest] = value
            if rest == "kind" and head in ("arrivals", "record_size", "keys", "duration"):
                nested = _keep_applicable(head, nested)
            data[head] = nested
        return Scenario.from_dict(data)

    def describe(self) -> str:
        """One line saying what this scenario is."""
        reserved = (
            "unreserved" if self.reserved_concurrency is None else f"{self.reserved_concurrency}"
        )
        stream = (
            "an on-demand stream"
            if self.mode == "ON_DEMAND"
            else f"{self.shards} shard(s) provisioned"
        )
        return (
            f"{self.name}: {stream}, "
            f"{_short(self.arrivals)} x {_short(self.record_size)} over {_short(self.keys)}; "
            f"handler {_short(self.duration)}, batch {self.batch_size}, "
            f"PF {self.parallelization_factor}, concurrency {reserved}; "
            f"{_span(self.simulated_s)} of virtual time, seed {self.seed}"
        )


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"


def _short(spec: Any) -> str:
    data = duration_to_spec(spec) if isinstance(spec, DurationModel) else spec.to_dict()
    kind = data.pop("kind")
    args = ", ".join(f"{k}={v}" for k, v in data.items() if v not in ((), [], None))
    return f"{kind}({args})"


def _build(cls: Any, data: Mapping[str, Any], what: str) -> Any:
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise KinesimValueError(f"{what} has no field(s) {unknown}; its fields are {sorted(known)}")
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    return cls(**values)


def _keep_applicable(family: str, data: dict[str, Any]) -> dict[str, Any]:
    """After a kind switch, keep only the fields the new kind has."""
    if family == "duration":
        allowed = {
            "constant": {"seconds"},
            "uniform": {"low", "high"},
            "lognormal": {"median", "p99"},
            "empirical": {"samples"},
        }.get(data["kind"], set())
    else:
        from kinesim.whatif._workload import _FAMILIES

        classes = {cls.kind: cls for cls in _FAMILIES[family]}
        cls = classes.get(data["kind"])
        allowed = {f.name for f in fields(cls)} if cls else set()  # type: ignore[arg-type]
    return {k: v for k, v in data.items() if k == "kind" or k in allowed}
