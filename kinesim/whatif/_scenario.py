"""The :class:`Scenario`: everything a what-if run needs, as one frozen value.

A scenario is keyword-only, frozen and comparable, so it can be hashed into a sweep, pickled to a
worker process or a Dask cluster, and written back as TOML-shaped data. :meth:`Scenario.from_toml`
reads a file; :meth:`Scenario.with_overrides` applies ``{"shards": 8, "arrivals.rate": 2000}``
(dotted names reach into the workload, faults, producer and price tables), which is what the
command line's flags and a sweep's grid do.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimTypeError, KinesimValueError
from kinesim._kinesis.control import MAX_SHARDS_PER_STREAM
from kinesim._kinesis.service import ACCOUNT_SHARD_LIMIT
from kinesim._kinesis.shard import MIB
from kinesim._lambda.durations import Constant, DurationModel, Empirical, LogNormal, Uniform
from kinesim.whatif._faults import Faults
from kinesim.whatif._pricing import US_EAST_1, PriceTable
from kinesim.whatif._producer import ProducerConfig
from kinesim.whatif._workload import (
    ArrivalProcess,
    ConstantRate,
    CycleKeys,
    EmpiricalSize,
    FixedSize,
    HotKey,
    KeyDistribution,
    LogNormalSize,
    SizeDistribution,
    UniformKeys,
    UniformSize,
    ZipfKeys,
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
        def whole(name: str, low: int, high: int | None = None, why: str = "") -> None:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise KinesimTypeError(f"Scenario.{name} must be an int, got {value!r}")
            if value < low or (high is not None and value > high):
                bound = f">= {low}" if high is None else f"in [{low}, {high}]"
                raise KinesimValueError(f"Scenario.{name} must be {bound}{why}, got {value!r}")

        whole("seed", -(2**63))
        whole("period_s", 1)
        whole(
            "shards",
            1,
            min(MAX_SHARDS_PER_STREAM, ACCOUNT_SHARD_LIMIT),
            " (the simulator's shards-per-stream limit, as Kinesis's default quota)",
        )
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
        if 0 <= self.max_record_age_s < 60:
            raise KinesimValueError(
                "Scenario.max_record_age_s must be -1 (no limit) or 60-604800 seconds (AWS's "
                f"MaximumRecordAgeInSeconds), got {self.max_record_age_s!r}"
            )
        window = self.batching_window_s
        if (
            isinstance(window, bool)
            or not isinstance(window, (int, float))
            or not 0 <= window <= 300
        ):
            raise KinesimValueError(
                "Scenario.batching_window_s must be 0-300 seconds (AWS's "
                f"MaximumBatchingWindowInSeconds), got {window!r}"
            )
        if self.reserved_concurrency is not None:
            whole("reserved_concurrency", 0)
        if not (
            isinstance(self.simulated_s, (int, float))
            and not isinstance(self.simulated_s, bool)
            and 0.001 <= self.simulated_s < math.inf
        ):
            raise KinesimValueError(
                "Scenario.simulated_s must be at least 0.001 (one millisecond, the clock's "
                f"resolution), got {self.simulated_s!r}"
            )
        if self.reserved_concurrency is not None:
            # Lambda keeps min(100, the account's quota) unreserved (Limits' default).
            most = self.account_concurrency - min(100, self.account_concurrency)
            if self.reserved_concurrency > most:
                raise KinesimValueError(
                    f"Scenario.reserved_concurrency must be at most {most} (account_concurrency "
                    f"{self.account_concurrency} less the 100 Lambda keeps unreserved), got "
                    f"{self.reserved_concurrency!r}"
                )
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
        _check_prices(self.prices)
        _check_finite("Scenario", self.to_dict())
        _check_record_size(self)

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

    def to_toml(self) -> str:
        """This scenario as TOML text that :meth:`from_toml` reads back into an equal scenario
        (fields left at None, which TOML cannot write, are left out: None is their default)."""
        return _toml_document(self.to_dict())

    def with_overrides(
        self, overrides: Mapping[str, Any] | None = None, /, **fields: Any
    ) -> Scenario:
        """A copy with fields replaced: ``with_overrides(shards=8)`` or
        ``with_overrides({"shards": 8})``; dotted names (in the mapping) reach into nested
        parts (``"arrivals.rate"``, ``"faults.error_probability"``, ``"prices.shard_hour"``);
        ``"arrivals.kind"`` switches the kind, keeping the fields that still apply."""
        if overrides is not None and not isinstance(overrides, Mapping):
            raise KinesimTypeError(
                "Scenario.with_overrides takes a mapping and/or keyword arguments, e.g. "
                f"with_overrides(shards=8) or with_overrides({{'arrivals.rate': 2000}}), got "
                f"{overrides!r}"
            )
        data = self.to_dict()
        for name, value in {**(overrides or {}), **fields}.items():
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


# -- validation against the simulator's own limits ------------------------------------------


def _check_prices(prices: PriceTable) -> None:
    """Every price is a finite number >= 0 (a string or NaN would only fail at the end of a run)."""
    for f in fields(prices):
        if f.name in ("region", "as_of", "sources"):
            continue
        value = getattr(prices, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise KinesimTypeError(f"Scenario.prices.{f.name} must be a number, got {value!r}")
        if not (math.isfinite(value) and value >= 0):
            raise KinesimValueError(
                f"Scenario.prices.{f.name} must be a finite number >= 0, got {value!r}"
            )


def _check_finite(path: str, data: Any) -> None:
    """No NaN or infinity anywhere in the scenario's data (rates, probabilities, times)."""
    if isinstance(data, float) and not math.isfinite(data):
        raise KinesimValueError(f"{path} must be a finite number, got {data!r}")
    if isinstance(data, dict):
        for key, value in data.items():
            _check_finite(f"{path}.{key}", value)
    elif isinstance(data, (list, tuple)):
        for index, value in enumerate(data):
            _check_finite(f"{path}[{index}]", value)


def _largest_data_bytes(sizes: SizeDistribution) -> tuple[int, str] | None:
    """The largest data size a distribution can give, and the field that says so."""
    if isinstance(sizes, FixedSize):
        return sizes.bytes, "record_size.bytes"
    if isinstance(sizes, UniformSize):
        return sizes.high, "record_size.high"
    if isinstance(sizes, EmpiricalSize):
        return max(sizes.samples), "record_size.samples"
    if isinstance(sizes, LogNormalSize):
        # The cap defaults to 1 MiB; the distribution's own numbers are what a user set.
        return round(sizes.p99), "record_size.p99"
    return None


def _longest_key(scenario: Scenario) -> int:
    keys = scenario.keys
    longest = 256  # Kinesis's partition-key limit, for distributions kinesim cannot see into
    if isinstance(keys, (UniformKeys, ZipfKeys, HotKey)):
        longest = len(f"key-{max(keys.count - 1, 0)}")
    elif isinstance(keys, CycleKeys):
        longest = max(len(key.encode()) for key in keys.keys)
    if scenario.faults.poison_key is not None:
        longest = max(longest, len(scenario.faults.poison_key.encode()))
    return longest


def _check_record_size(scenario: Scenario) -> None:
    """A record (data plus partition key) fits Kinesis's 1 MiB limit."""
    largest = _largest_data_bytes(scenario.record_size)
    if largest is None:
        return
    data_bytes, where = largest
    key_bytes = _longest_key(scenario)
    if data_bytes + key_bytes > MIB:
        raise KinesimValueError(
            f"Scenario.{where} allows records of {data_bytes:,} bytes, which with partition keys "
            f"of up to {key_bytes} bytes exceed Kinesis's record limit of {MIB:,} bytes (data "
            f"plus key); use at most {MIB - key_bytes:,}"
        )


# -- TOML output -------------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # finite (validated); repr gives TOML's float syntax (1e-05, 2.5)
    if isinstance(value, str):
        # JSON's escapes are TOML's, except DEL, which TOML wants escaped too.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(
            f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if v is not None
        )
        return "{" + items + "}" if items else "{}"
    raise KinesimTypeError(f"cannot write {value!r} as TOML")


def _toml_key(key: str) -> str:
    return (
        key
        if key.replace("_", "").replace("-", "").isalnum() and key.isascii()
        else (json.dumps(key))
    )


def _toml_document(data: Mapping[str, Any]) -> str:
    top = [
        f"{_toml_key(k)} = {_toml_value(v)}"
        for k, v in data.items()
        if v is not None and not isinstance(v, Mapping)
    ]
    lines = [*top]
    for name, table in data.items():
        if isinstance(table, Mapping):
            lines += ["", f"[{_toml_key(name)}]"]
            lines += [
                f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items() if v is not None
            ]
    return "\n".join(lines) + "\n"
