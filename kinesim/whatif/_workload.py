"""What the producer sends: arrival processes, record sizes and partition keys.

Three independent choices make a workload, each a small frozen dataclass:

- an **arrival process** (:class:`ConstantRate`, :class:`Poisson`, :class:`Bursts`,
  :class:`DailyCurve`, or a replay: :class:`CsvReplay`, :class:`TraceReplay`);
- a **record-size distribution** (:class:`FixedSize`, :class:`UniformSize`,
  :class:`LogNormalSize`, :class:`EmpiricalSize`), in bytes of data;
- a **partition-key distribution** (:class:`UniformKeys`, :class:`ZipfKeys`, :class:`HotKey`).

Rate-based processes answer "how many records are expected in ``[t0, t1)``" (virtual ms since the
start of the run); the producer turns that into counts, evenly (a fractional carry, so 1,000/s is
exactly 1,000 each second) or as Poisson draws. All randomness comes from a generator the caller
passes in, one of ``sim.random(name)``.
"""

from __future__ import annotations

import csv
import functools
import math
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, ClassVar

from kinesim._errors import KinesimTypeError, KinesimValueError

__all__ = [
    "ArrivalProcess",
    "Bursts",
    "ConstantRate",
    "CsvReplay",
    "CycleKeys",
    "DailyCurve",
    "EmpiricalSize",
    "FixedSize",
    "HotKey",
    "KeyDistribution",
    "LogNormalSize",
    "Poisson",
    "ReplayData",
    "SizeDistribution",
    "TraceReplay",
    "UniformKeys",
    "UniformSize",
    "ZipfKeys",
    "spec_from_dict",
]

# Inverse of the standard normal CDF at 0.99: a LogNormal given (median, p99) has
# sigma = ln(p99 / median) / Z99.
_Z99 = 2.3263478740408408


def _positive(owner: str, name: str, value: object, *, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KinesimTypeError(f"{owner}.{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise KinesimValueError(f"{owner}.{name} must be finite and {bound}, got {value!r}")
    return float(value)


def _whole(owner: str, name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise KinesimValueError(f"{owner}.{name} must be an int >= {minimum}, got {value!r}")
    return value


class _Spec:
    """A named, TOML-loadable choice: ``{"kind": KIND, **fields}``."""

    kind: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        for name, value in asdict(self).items():  # type: ignore[call-overload]
            data[name] = list(value) if isinstance(value, tuple) else value
        return data


# -- arrival processes -------------------------------------------------------------------------


class ArrivalProcess(_Spec):
    """Base of the arrival processes. Rate-based ones implement :meth:`rate_at`."""

    def poisson_counts(self) -> bool:
        """Whether per-tick counts are Poisson draws (else even arrivals with a carry)."""
        return False

    def rate_at(self, t_s: float) -> float:
        """Expected records per second at ``t_s`` virtual seconds into the run."""
        raise NotImplementedError

    def expected(self, start_ms: int, end_ms: int) -> float:
        """Expected records in ``[start_ms, end_ms)`` (midpoint rule; exact for piecewise-constant
        rates whose steps fall on tick boundaries, which the built-in ones' do)."""
        return self.rate_at((start_ms + end_ms) / 2000) * (end_ms - start_ms) / 1000

    @property
    def is_replay(self) -> bool:
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class ConstantRate(ArrivalProcess):
    """``rate`` records per second, evenly spread."""

    kind: ClassVar[str] = "constant"
    rate: float

    def __post_init__(self) -> None:
        _positive("ConstantRate", "rate", self.rate, allow_zero=True)

    def rate_at(self, t_s: float) -> float:
        return self.rate


@dataclass(frozen=True, slots=True, kw_only=True)
class Poisson(ArrivalProcess):
    """Poisson arrivals at ``rate`` records per second on average."""

    kind: ClassVar[str] = "poisson"
    rate: float

    def __post_init__(self) -> None:
        _positive("Poisson", "rate", self.rate, allow_zero=True)

    def poisson_counts(self) -> bool:
        return True

    def rate_at(self, t_s: float) -> float:
        return self.rate


@dataclass(frozen=True, slots=True, kw_only=True)
class Bursts(ArrivalProcess):
    """``base_rate`` records/s, rising to ``burst_rate`` for ``burst_s`` seconds every
    ``every_s`` seconds, the first burst starting at ``first_s``; ``poisson`` draws counts
    from a Poisson law."""

    kind: ClassVar[str] = "bursts"
    base_rate: float
    burst_rate: float
    every_s: float = 600.0
    burst_s: float = 60.0
    first_s: float = 0.0
    poisson: bool = False

    def poisson_counts(self) -> bool:
        return self.poisson

    def __post_init__(self) -> None:
        _positive("Bursts", "base_rate", self.base_rate, allow_zero=True)
        _positive("Bursts", "burst_rate", self.burst_rate, allow_zero=True)
        _positive("Bursts", "every_s", self.every_s)
        _positive("Bursts", "burst_s", self.burst_s)
        _positive("Bursts", "first_s", self.first_s, allow_zero=True)
        if self.burst_s > self.every_s:
            raise KinesimValueError(
                f"Bursts.burst_s ({self.burst_s}) must not exceed every_s ({self.every_s})"
            )

    def rate_at(self, t_s: float) -> float:
        if t_s < self.first_s:
            return self.base_rate
        in_cycle = (t_s - self.first_s) % self.every_s
        return self.burst_rate if in_cycle < self.burst_s else self.base_rate


@dataclass(frozen=True, slots=True, kw_only=True)
class DailyCurve(ArrivalProcess):
    """A daily cycle: a cosine between ``trough_rate`` and ``peak_rate`` peaking at
    ``peak_hour`` (UTC hours after the run's start of day), or, if ``hourly`` is given, 24
    multipliers of ``peak_rate``, one per hour. ``poisson`` draws counts from a Poisson law."""

    kind: ClassVar[str] = "daily"
    peak_rate: float
    trough_rate: float = 0.0
    peak_hour: float = 14.0
    hourly: tuple[float, ...] = ()
    poisson: bool = False

    def __post_init__(self) -> None:
        _positive("DailyCurve", "peak_rate", self.peak_rate, allow_zero=True)
        _positive("DailyCurve", "trough_rate", self.trough_rate, allow_zero=True)
        if self.trough_rate > self.peak_rate:
            raise KinesimValueError(
                f"DailyCurve.trough_rate ({self.trough_rate}) exceeds peak_rate ({self.peak_rate})"
            )
        if not 0 <= self.peak_hour < 24:
            raise KinesimValueError(
                f"DailyCurve.peak_hour must be in [0, 24), got {self.peak_hour}"
            )
        object.__setattr__(self, "hourly", tuple(self.hourly))
        if self.hourly and len(self.hourly) != 24:
            raise KinesimValueError(
                f"DailyCurve.hourly takes 24 multipliers (one per hour), got {len(self.hourly)}"
            )
        for factor in self.hourly:
            _positive("DailyCurve", "hourly[]", factor, allow_zero=True)

    def rate_at(self, t_s: float) -> float:
        hour = (t_s / 3600) % 24
        if self.hourly:
            return self.peak_rate * self.hourly[int(hour)]
        phase = math.cos(2 * math.pi * (hour - self.peak_hour) / 24)
        return self.trough_rate + (self.peak_rate - self.trough_rate) * (1 + phase) / 2

    def poisson_counts(self) -> bool:
        return self.poisson


@dataclass(frozen=True, slots=True)
class ReplayData:
    """Loaded replay records, sorted by time: virtual ms offsets, data sizes and keys."""

    times_ms: tuple[int, ...]
    sizes: tuple[int, ...]
    keys: tuple[str | None, ...]


class _Replay(ArrivalProcess):
    @property
    def is_replay(self) -> bool:
        return True

    def rate_at(self, t_s: float) -> float:  # pragma: no cover - replays are not rate-based
        raise NotImplementedError("a replay has records, not a rate")

    def load(self) -> ReplayData:
        raise NotImplementedError


@functools.lru_cache(maxsize=8)
def _load_csv(path: str, mtime_ns: int) -> ReplayData:
    rows: list[tuple[int, int, str | None]] = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        for number, row in enumerate(reader, start=1):
            if not row or row[0].strip().startswith("#"):
                continue
            if number == 1 and row[0].strip().lower() in {"time", "time_s", "t"}:
                continue  # a header line
            if len(row) < 2:
                raise KinesimValueError(
                    f"{path}:{number}: a replay row is time_s,size_bytes[,partition_key], "
                    f"got {row!r}"
                )
            try:
                time_ms = round(float(row[0]) * 1000)
                size = int(row[1])
            except ValueError:
                raise KinesimValueError(
                    f"{path}:{number}: time_s must be a number and size_bytes an int, got {row!r}"
                ) from None
            if time_ms < 0 or size < 0:
                raise KinesimValueError(f"{path}:{number}: time and size must be >= 0: {row!r}")
            key = row[2] if len(row) > 2 and row[2] != "" else None
            rows.append((time_ms, size, key))
    rows.sort(key=lambda r: r[0])  # stable: equal times keep file order
    return ReplayData(
        tuple(r[0] for r in rows), tuple(r[1] for r in rows), tuple(r[2] for r in rows)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CsvReplay(_Replay):
    """Replay a CSV of ``time_s,size_bytes[,partition_key]`` rows (an optional header line;
    ``#`` comments). ``time_s`` is seconds from the start of the run. Rows without a key take
    one from the scenario's key distribution."""

    kind: ClassVar[str] = "csv"
    path: str

    def load(self) -> ReplayData:
        path = Path(self.path)
        if not path.is_file():
            raise KinesimValueError(f"CsvReplay.path {self.path!r} is not a file")
        return _load_csv(str(path.resolve()), path.stat().st_mtime_ns)


@dataclass(frozen=True, slots=True, kw_only=True)
class TraceReplay(_Replay):
    """Replay the puts of a saved kinesim trace (``sim.trace.save(path)``).

    Each ``kinesis.put`` event becomes its records at the event's time, relative to the trace's
    start. Sizes and keys come from the event's ``sizes``/``partition_keys`` lists when it has
    them, else from ``size``/``partition_key`` (one record), else the event's ``records`` count
    with ``bytes`` shared evenly, keys then drawn from the scenario's key distribution.
    """

    kind: ClassVar[str] = "trace"
    path: str
    kinds: tuple[str, ...] = ("kinesis.put",)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kinds", tuple(self.kinds))

    def load(self) -> ReplayData:
        from kinesim._observe.trace import Trace

        trace = Trace.load(self.path)
        times: list[int] = []
        sizes: list[int] = []
        keys: list[str | None] = []
        for event in trace:
            if event.kind not in self.kinds:
                continue
            offset = event.time_ms - trace.start_ms
            fields_ = event.fields
            if isinstance(fields_.get("sizes"), list):
                event_sizes = [int(s) for s in fields_["sizes"]]
                event_keys = fields_.get("partition_keys") or [None] * len(event_sizes)
            elif "size" in fields_:
                event_sizes = [int(fields_["size"])]
                event_keys = [fields_.get("partition_key")]
            else:
                count = int(fields_.get("records", 1))
                total = int(fields_.get("bytes", 0))
                event_sizes = [total // count if count else 0] * count
                event_keys = fields_.get("partition_keys") or [None] * count
            for size, key in zip(event_sizes, event_keys, strict=True):
                times.append(offset)
                sizes.append(size)
                keys.append(key)
        return ReplayData(tuple(times), tuple(sizes), tuple(keys))


# -- record sizes ------------------------------------------------------------------------------


class SizeDistribution(_Spec):
    """Base of the record-size distributions (bytes of data, not counting the key)."""

    def sample(self, n: int, rng: random.Random) -> list[int]:
        raise NotImplementedError


_MAX_RECORD = 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedSize(SizeDistribution):
    kind: ClassVar[str] = "fixed"
    bytes: int = 1024

    def __post_init__(self) -> None:
        _whole("FixedSize", "bytes", self.bytes, minimum=0)

    def sample(self, n: int, rng: random.Random) -> list[int]:
        return [self.bytes] * n


@dataclass(frozen=True, slots=True, kw_only=True)
class UniformSize(SizeDistribution):
    kind: ClassVar[str] = "uniform"
    low: int
    high: int

    def __post_init__(self) -> None:
        _whole("UniformSize", "low", self.low, minimum=0)
        _whole("UniformSize", "high", self.high, minimum=self.low)

    def sample(self, n: int, rng: random.Random) -> list[int]:
        randint = rng.randint
        return [randint(self.low, self.high) for _ in range(n)]


@dataclass(frozen=True, slots=True, kw_only=True)
class LogNormalSize(SizeDistribution):
    """Log-normal sizes given by their median and 99th percentile, capped at ``max_bytes``."""

    kind: ClassVar[str] = "lognormal"
    median: float
    p99: float
    max_bytes: int = _MAX_RECORD

    def __post_init__(self) -> None:
        _positive("LogNormalSize", "median", self.median)
        _positive("LogNormalSize", "p99", self.p99)
        if self.p99 < self.median:
            raise KinesimValueError(
                f"LogNormalSize.p99 ({self.p99}) must be >= median ({self.median})"
            )

    def sample(self, n: int, rng: random.Random) -> list[int]:
        mu, sigma = math.log(self.median), math.log(self.p99 / self.median) / _Z99
        cap, lognorm = self.max_bytes, rng.lognormvariate
        return [min(cap, round(lognorm(mu, sigma))) for _ in range(n)]


@dataclass(frozen=True, slots=True, kw_only=True)
class EmpiricalSize(SizeDistribution):
    """Sizes drawn uniformly from observed ``samples``."""

    kind: ClassVar[str] = "empirical"
    samples: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "samples", tuple(self.samples))
        if not self.samples:
            raise KinesimValueError("EmpiricalSize.samples must not be empty")
        for value in self.samples:
            _whole("EmpiricalSize", "samples[]", value, minimum=0)

    def sample(self, n: int, rng: random.Random) -> list[int]:
        return rng.choices(self.samples, k=n)


# -- partition keys ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _key_names(count: int) -> tuple[str, ...]:
    return tuple(f"key-{i}" for i in range(count))


@functools.lru_cache(maxsize=64)
def _zipf_cum_weights(count: int, s: float) -> tuple[float, ...]:
    total, out = 0.0, []
    for rank in range(1, count + 1):
        total += rank**-s
        out.append(total)
    return tuple(out)


class KeyDistribution(_Spec):
    """Base of the partition-key distributions. Keys are ``key-0``, ``key-1``, ..."""

    def sample(self, n: int, rng: random.Random) -> list[str]:
        raise NotImplementedError

    def sample_at(self, offset: int, n: int, rng: random.Random) -> list[str]:
        """``n`` keys, the first being the ``offset``-th the workload draws (only
        deterministic sequences such as :class:`CycleKeys` use ``offset``)."""
        return self.sample(n, rng)


@dataclass(frozen=True, slots=True, kw_only=True)
class UniformKeys(KeyDistribution):
    kind: ClassVar[str] = "uniform"
    count: int = 1000

    def __post_init__(self) -> None:
        _whole("UniformKeys", "count", self.count)

    def sample(self, n: int, rng: random.Random) -> list[str]:
        return rng.choices(_key_names(self.count), k=n)


@dataclass(frozen=True, slots=True, kw_only=True)
class ZipfKeys(KeyDistribution):
    """Key of rank r (1-based) drawn with probability proportional to ``r ** -s``."""

    kind: ClassVar[str] = "zipf"
    count: int = 1000
    s: float = 1.1

    def __post_init__(self) -> None:
        _whole("ZipfKeys", "count", self.count)
        _positive("ZipfKeys", "s", self.s, allow_zero=True)

    def sample(self, n: int, rng: random.Random) -> list[str]:
        return rng.choices(
            _key_names(self.count), cum_weights=_zipf_cum_weights(self.count, self.s), k=n
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HotKey(KeyDistribution):
    """One hot key (``key-0``) takes ``share`` of the records; the rest spread uniformly over
    the other ``count - 1`` keys. ``count=1`` is a single-key workload."""

    kind: ClassVar[str] = "hot"
    count: int = 1000
    share: float = 0.5

    def __post_init__(self) -> None:
        _whole("HotKey", "count", self.count)
        if not 0 <= self.share <= 1:
            raise KinesimValueError(f"HotKey.share must be in [0, 1], got {self.share!r}")

    def sample(self, n: int, rng: random.Random) -> list[str]:
        names = _key_names(self.count)
        if self.count == 1:
            return [names[0]] * n
        rest = self.count - 1
        cum = (self.share, *(self.share + (1 - self.share) * (i + 1) / rest for i in range(rest)))
        return rng.choices(names, cum_weights=cum, k=n)


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleKeys(KeyDistribution):
    """The given ``keys`` in turn, over and over (deterministic round robin): for a workload
    spread exactly evenly, e.g. one key per shard."""

    kind: ClassVar[str] = "cycle"
    keys: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "keys", tuple(self.keys))
        if not self.keys or not all(isinstance(k, str) and k for k in self.keys):
            raise KinesimValueError(f"CycleKeys.keys takes non-empty strings, got {self.keys!r}")

    def sample(self, n: int, rng: random.Random) -> list[str]:
        return self.sample_at(0, n, rng)

    def sample_at(self, offset: int, n: int, rng: random.Random) -> list[str]:
        keys, m = self.keys, len(self.keys)
        return [keys[(offset + i) % m] for i in range(n)]


# -- loading from TOML-shaped dicts ------------------------------------------------------------

_FAMILIES: dict[str, tuple[type[_Spec], ...]] = {
    "arrivals": (ConstantRate, Poisson, Bursts, DailyCurve, CsvReplay, TraceReplay),
    "record_size": (FixedSize, UniformSize, LogNormalSize, EmpiricalSize),
    "keys": (UniformKeys, ZipfKeys, HotKey, CycleKeys),
}


def spec_from_dict(family: str, data: Mapping[str, Any]) -> Any:
    """Build the ``family`` choice (``arrivals``, ``record_size``, ``keys``) a dict describes:
    ``{"kind": "poisson", "rate": 500}``."""
    choices = {cls.kind: cls for cls in _FAMILIES[family]}
    if not isinstance(data, Mapping) or "kind" not in data:
        raise KinesimValueError(
            f"{family} takes a table with a 'kind' ({', '.join(sorted(choices))}), got {data!r}"
        )
    kind = data["kind"]
    cls = choices.get(kind)
    if cls is None:
        raise KinesimValueError(
            f"unknown {family} kind {kind!r}; choose from {', '.join(sorted(choices))}"
        )
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    extra = sorted(set(data) - known - {"kind"})
    if extra:
        raise KinesimValueError(
            f"{family} kind {kind!r} has no field(s) {extra}; its fields are {sorted(known)}"
        )
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "kind"}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise KinesimValueError(f"{family} kind {kind!r}: {exc}") from None
