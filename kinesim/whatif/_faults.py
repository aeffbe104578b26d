"""Fault plans for a what-if run: poison records, random errors, slow periods, throttle periods.

A :class:`Faults` is a frozen value; the engine applies it while the run goes on:

- **poison records** are put at fixed times (``poison_at_s``) and/or at random at
  ``poison_per_hour``; any batch that contains one fails (a function error), every time;
- ``error_probability``: each invocation fails with this probability (a transient error: the
  retry may succeed);
- **slow periods** multiply the handler's duration by ``factor`` while they last;
- **throttle periods** cap the function's concurrency (reserved concurrency, default 0 = every
  invocation throttled) while they last.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kinesim._errors import KinesimValueError

__all__ = ["Faults", "SlowPeriod", "ThrottlePeriod"]


def _check_window(owner: str, start_s: float, duration_s: float) -> None:
    for name, value in (("start_s", start_s), ("duration_s", duration_s)):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise KinesimValueError(f"{owner}.{name} must be seconds, got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise KinesimValueError(f"{owner}.{name} must be finite and >= 0, got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class SlowPeriod:
    """From ``start_s`` for ``duration_s`` seconds, handler durations are ``factor`` times
    longer."""

    start_s: float
    duration_s: float
    factor: float = 10.0

    def __post_init__(self) -> None:
        _check_window("SlowPeriod", self.start_s, self.duration_s)
        if not (isinstance(self.factor, (int, float)) and 0 < self.factor < math.inf):
            raise KinesimValueError(f"SlowPeriod.factor must be > 0, got {self.factor!r}")

    def covers(self, t_s: float) -> bool:
        return self.start_s <= t_s < self.start_s + self.duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class ThrottlePeriod:
    """From ``start_s`` for ``duration_s`` seconds, the function may run at most
    ``concurrency`` invocations at once (0: all throttled)."""

    start_s: float
    duration_s: float
    concurrency: int = 0

    def __post_init__(self) -> None:
        _check_window("ThrottlePeriod", self.start_s, self.duration_s)
        if isinstance(self.concurrency, bool) or not isinstance(self.concurrency, int):
            raise KinesimValueError(
                f"ThrottlePeriod.concurrency must be an int >= 0, got {self.concurrency!r}"
            )
        if self.concurrency < 0:
            raise KinesimValueError(
                f"ThrottlePeriod.concurrency must be an int >= 0, got {self.concurrency!r}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class Faults:
    """What goes wrong during a run (nothing, by default)."""

    #: Put one poison record at each of these times (virtual seconds from the start).
    poison_at_s: tuple[float, ...] = ()
    #: Also put poison records at random, this many per hour on average (a Poisson process).
    poison_per_hour: float = 0.0
    #: The poison records' partition key (None: drawn from the workload's key distribution).
    poison_key: str | None = None
    #: Each invocation fails with this probability (independently; a retry may succeed).
    error_probability: float = 0.0
    slow_periods: tuple[SlowPeriod, ...] = ()
    throttle_periods: tuple[ThrottlePeriod, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "poison_at_s", tuple(float(t) for t in self.poison_at_s))
        object.__setattr__(self, "slow_periods", tuple(self.slow_periods))
        object.__setattr__(self, "throttle_periods", tuple(self.throttle_periods))
        for t in self.poison_at_s:
            _check_window("Faults.poison_at_s[]", t, 0.0)
        if not (isinstance(self.poison_per_hour, (int, float)) and self.poison_per_hour >= 0):
            raise KinesimValueError(
                f"Faults.poison_per_hour must be >= 0, got {self.poison_per_hour!r}"
            )
        if not (
            isinstance(self.error_probability, (int, float)) and 0 <= self.error_probability <= 1
        ):
            raise KinesimValueError(
                f"Faults.error_probability must be in [0, 1], got {self.error_probability!r}"
            )

    @property
    def any_record_faults(self) -> bool:
        """Whether some batches must be inspected (poison) or failed at random."""
        return bool(self.poison_at_s) or self.poison_per_hour > 0 or self.error_probability > 0

    def slow_factor(self, t_s: float) -> float:
        """The product of the slow periods' factors covering ``t_s`` (1.0 if none)."""
        factor = 1.0
        for period in self.slow_periods:
            if period.covers(t_s):
                factor *= period.factor
        return factor

    def poison_times_ms(self, run_ms: int, rng: random.Random) -> list[int]:
        """When poison records are put, in ms from the start, sorted, all before ``run_ms``."""
        times = [round(t * 1000) for t in self.poison_at_s if round(t * 1000) < run_ms]
        if self.poison_per_hour > 0:
            mean_gap_ms = 3_600_000 / self.poison_per_hour
            t = rng.expovariate(1 / mean_gap_ms)
            while t < run_ms:
                times.append(int(t))
                t += rng.expovariate(1 / mean_gap_ms)
        return sorted(times)

    def to_dict(self) -> dict[str, Any]:
        return {
            "poison_at_s": list(self.poison_at_s),
            "poison_per_hour": self.poison_per_hour,
            "poison_key": self.poison_key,
            "error_probability": self.error_probability,
            "slow_periods": [
                {"start_s": p.start_s, "duration_s": p.duration_s, "factor": p.factor}
                for p in self.slow_periods
            ],
            "throttle_periods": [
                {"start_s": p.start_s, "duration_s": p.duration_s, "concurrency": p.concurrency}
                for p in self.throttle_periods
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Faults:
        known = {
            "poison_at_s",
            "poison_per_hour",
            "poison_key",
            "error_probability",
            "slow_periods",
            "throttle_periods",
        }
        extra = sorted(set(data) - known)
        if extra:
            raise KinesimValueError(
                f"faults has no field(s) {extra}; its fields are {sorted(known)}"
            )
        kwargs: dict[str, Any] = dict(data)
        slow: Sequence[Mapping[str, Any]] = kwargs.pop("slow_periods", ())
        throttle: Sequence[Mapping[str, Any]] = kwargs.pop("throttle_periods", ())
        kwargs["poison_at_s"] = tuple(kwargs.get("poison_at_s", ()))
        try:
            return cls(
                slow_periods=tuple(SlowPeriod(**p) for p in slow),
                throttle_periods=tuple(ThrottlePeriod(**p) for p in throttle),
                **kwargs,
            )
        except TypeError as exc:
            raise KinesimValueError(f"faults: {exc}") from None
