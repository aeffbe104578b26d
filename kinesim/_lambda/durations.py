"""Duration models: how long an invocation (or a cold start's init) takes in virtual time.

A model is asked for a number of seconds once per invocation, with the event, the context and a
named, seeded generator (``sim.random(f"lambda.{function}.duration")`` or ``...init``), so the
same seed gives the same durations. :func:`as_duration_model` turns what users pass
(``0.05``, a callable, a model) into a model and says what to pass when it cannot.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kinesim._errors import KinesimTypeError, KinesimValueError

__all__ = [
    "Constant",
    "DurationModel",
    "Empirical",
    "FromCallable",
    "LogNormal",
    "Uniform",
    "as_duration_model",
]

# The standard normal's 99th percentile: a log-normal's p99 is exp(mu + Z99 * sigma).
_Z99 = 2.3263478740408408

_WHAT_TO_PASS = (
    "pass seconds (e.g. 0.05), a callable (event, context) -> seconds, or a model such as "
    "kinesim.Constant(0.05), kinesim.Uniform(0.02, 0.1), kinesim.LogNormal(median=0.08, p99=0.4) "
    "or kinesim.Empirical([0.05, 0.07, 0.2])"
)


def _seconds(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KinesimTypeError(f"{what} must be a number of seconds, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise KinesimValueError(f"{what} must be finite and >= 0 seconds, got {value!r}")
    return float(value)


class DurationModel:
    """Base class of duration models. Subclasses implement :meth:`sample`."""

    __slots__ = ()

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        """Seconds this invocation takes; ``rng`` is the function's named generator."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Constant(DurationModel):
    """Always ``seconds``."""

    seconds: float

    def __post_init__(self) -> None:
        _seconds(self.seconds, "Constant(seconds)")

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        return self.seconds


@dataclass(frozen=True, slots=True)
class Uniform(DurationModel):
    """Uniformly distributed between ``low`` and ``high`` seconds."""

    low: float
    high: float

    def __post_init__(self) -> None:
        low = _seconds(self.low, "Uniform(low)")
        high = _seconds(self.high, "Uniform(high)")
        if high < low:
            raise KinesimValueError(
                f"Uniform(low={self.low!r}, high={self.high!r}): low must be <= high"
            )

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        return rng.uniform(self.low, self.high)


@dataclass(frozen=True, slots=True, kw_only=True)
class LogNormal(DurationModel):
    """Log-normally distributed with the given median and 99th percentile (seconds).

    ``mu = ln(median)`` and ``sigma = (ln(p99) - ln(median)) / 2.326``, so half the draws are
    below ``median`` and 1% above ``p99``. ``cap`` (optional) clips the long tail.
    """

    median: float
    p99: float
    cap: float | None = None

    def __post_init__(self) -> None:
        median = _seconds(self.median, "LogNormal(median)")
        p99 = _seconds(self.p99, "LogNormal(p99)")
        if median <= 0 or p99 < median:
            raise KinesimValueError(
                f"LogNormal(median={self.median!r}, p99={self.p99!r}) needs 0 < median <= p99, "
                "e.g. LogNormal(median=0.08, p99=0.4)"
            )
        if self.cap is not None:
            _seconds(self.cap, "LogNormal(cap)")

    @property
    def mu(self) -> float:
        return math.log(self.median)

    @property
    def sigma(self) -> float:
        return (math.log(self.p99) - math.log(self.median)) / _Z99

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        value = rng.lognormvariate(self.mu, self.sigma)
        return value if self.cap is None else min(value, self.cap)


@dataclass(frozen=True, slots=True)
class Empirical(DurationModel):
    """One of the observed ``samples`` (seconds), each equally likely (resampling)."""

    samples: tuple[float, ...]

    def __init__(self, samples: Sequence[float]) -> None:
        if isinstance(samples, (str, bytes)) or not isinstance(samples, Sequence):
            raise KinesimTypeError(
                f"Empirical takes a sequence of seconds such as [0.05, 0.07], got {samples!r}"
            )
        if not samples:
            raise KinesimValueError("Empirical needs at least one sample, got an empty sequence")
        values = tuple(_seconds(s, "Empirical sample") for s in samples)
        object.__setattr__(self, "samples", values)

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        return self.samples[rng.randrange(len(self.samples))]


@dataclass(frozen=True, slots=True)
class FromCallable(DurationModel):
    """``fn(event, context) -> seconds``: a duration that depends on the input."""

    fn: Callable[[Any, Any], float]

    def sample(self, rng: random.Random, event: Any, context: Any) -> float:
        return _seconds(self.fn(event, context), f"the duration callable {self.fn!r} returned")


def as_duration_model(value: object, what: str = "duration") -> DurationModel:
    """The model for what a user passed as ``duration=`` / ``cold_start=``."""
    if isinstance(value, DurationModel):
        return value
    if isinstance(value, bool):
        raise KinesimTypeError(f"{what}={value!r} is not a duration: {_WHAT_TO_PASS}")
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or value < 0:
            raise KinesimValueError(
                f"{what}={value!r}: seconds must be finite and >= 0; {_WHAT_TO_PASS}"
            )
        return Constant(float(value))
    if callable(value):
        return FromCallable(value)
    raise KinesimTypeError(f"{what}={value!r} is not a duration: {_WHAT_TO_PASS}")
