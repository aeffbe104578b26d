"""The simulator core: an integer-millisecond virtual clock, an event queue and seeded randomness.

It knows nothing of AWS. Every other part of kinesim is a client of :meth:`Scheduler.call_at_ms`.

The queue is a binary heap of ``(time_ms, priority, insertion counter, handle)`` tuples. The counter
is unique, so tuples never fall through to comparing handles, and events due at the same time with
the same priority run first-in first-out. That ordering is a contract: determinism rests on it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import random
from collections.abc import Callable
from datetime import datetime, timezone
from heapq import heappop, heappush
from itertools import count
from typing import Any

from kinesim._errors import KinesimTypeError, KinesimValueError

__all__ = ["DEFAULT_START", "Handle", "Scheduler", "seconds_to_ms", "to_epoch_ms"]

#: The default start of virtual time: 2026-01-01T00:00:00Z. A fixed instant, never the wall clock.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def seconds_to_ms(seconds: float, what: str = "seconds") -> int:
    """Convert a non-negative, finite number of seconds to whole milliseconds (nearest, ties even).

    kinesim's resolution is one millisecond; ``what`` names the argument in the error message.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise KinesimTypeError(
            f"{what} must be a number of seconds (int or float), got {seconds!r} "
            f"of type {type(seconds).__name__}"
        )
    if not math.isfinite(seconds):
        raise KinesimValueError(f"{what} must be finite, got {seconds!r}")
    if seconds < 0:
        raise KinesimValueError(f"{what} must not be negative, got {seconds!r}: time can't go back")
    return round(seconds * 1000)


def to_epoch_ms(when: datetime | float, what: str = "when") -> int:
    """Convert an aware ``datetime`` or epoch seconds to integer epoch milliseconds."""
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise KinesimValueError(
                f"{what} must be timezone-aware, got naive {when!r}; "
                "pass e.g. datetime(2026, 1, 1, tzinfo=timezone.utc)"
            )
        delta = when - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    if isinstance(when, bool) or not isinstance(when, (int, float)):
        raise KinesimTypeError(
            f"{what} must be a datetime or epoch seconds, "
            f"got {when!r} of type {type(when).__name__}"
        )
    if not math.isfinite(when):
        raise KinesimValueError(f"{what} must be finite, got {when!r}")
    return round(when * 1000)


class Handle:
    """A scheduled call. :meth:`cancel` it to stop it from running.

    Cancellation is lazy: the queue entry stays where it is and is skipped when it comes up, so
    cancelling is O(1) (the batching window that closes early because its batch filled does this).
    """

    __slots__ = ("_args", "_callback", "_cancelled", "when_ms")

    def __init__(self, when_ms: int, callback: Callable[..., object], args: tuple[Any, ...]):
        self.when_ms = when_ms
        self._callback = callback
        self._args = args
        self._cancelled = False

    def cancel(self) -> None:
        """Stop the call from running. Cancelling twice, or after it ran, does nothing."""
        self._cancelled = True

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    def __repr__(self) -> str:
        state = " cancelled" if self._cancelled else ""
        name = getattr(self._callback, "__qualname__", repr(self._callback))
        return f"<Handle {name} at {self.when_ms} ms{state}>"


class Scheduler:
    """Virtual time and the queue of things due to happen.

    Time is an integer number of milliseconds since the Unix epoch (:attr:`now_ms`); :attr:`now`
    gives it as float seconds and :attr:`datetime` as an aware UTC ``datetime``. Time moves only
    when :meth:`advance`, :meth:`run_until` or :meth:`step` is called, and never backwards.

    An exception raised by a scheduled callback propagates out of the call that ran it; the clock
    stays at the time of the failing event.
    """

    def __init__(self, *, seed: int = 0, start: datetime | float = DEFAULT_START) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise KinesimTypeError(
                f"seed must be an int, got {seed!r} of type {type(seed).__name__}"
            )
        self._seed = seed
        self._start_ms = to_epoch_ms(start, "start")
        self._now_ms = self._start_ms
        self._queue: list[tuple[int, int, int, Handle]] = []
        self._counter = count()
        self._randoms: dict[str, random.Random] = {}

    # -- time ---------------------------------------------------------------------------------

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def start_ms(self) -> int:
        """When this simulator's virtual time began, in epoch milliseconds."""
        return self._start_ms

    @property
    def now_ms(self) -> int:
        """Virtual time in integer milliseconds since the Unix epoch."""
        return self._now_ms

    @property
    def now(self) -> float:
        """Virtual time in seconds since the Unix epoch."""
        return self._now_ms / 1000

    @property
    def datetime(self) -> datetime:
        """Virtual time as an aware UTC ``datetime`` (millisecond precision)."""
        return datetime.fromtimestamp(self._now_ms // 1000, timezone.utc).replace(
            microsecond=(self._now_ms % 1000) * 1000
        )

    @property
    def elapsed(self) -> float:
        """Virtual seconds since the simulator started."""
        return (self._now_ms - self._start_ms) / 1000

    # -- scheduling ---------------------------------------------------------------------------

    def call_at_ms(
        self, when_ms: int, callback: Callable[..., object], *args: Any, priority: int = 0
    ) -> Handle:
        """Run ``callback(*args)`` at epoch millisecond ``when_ms``.

        Among calls due at the same time, a lower ``priority`` runs first, then the one scheduled
        first. ``when_ms`` must not be in the past.
        """
        if when_ms < self._now_ms:
            raise KinesimValueError(
                f"cannot schedule at {when_ms} ms: it is before now ({self._now_ms} ms)"
            )
        handle = Handle(when_ms, callback, args)
        heappush(self._queue, (when_ms, priority, next(self._counter), handle))
        return handle

    def call_later_ms(
        self, delay_ms: int, callback: Callable[..., object], *args: Any, priority: int = 0
    ) -> Handle:
        """Run ``callback(*args)`` ``delay_ms`` milliseconds from now (``delay_ms >= 0``)."""
        if delay_ms < 0:
            raise KinesimValueError(f"delay_ms must not be negative, got {delay_ms}")
        # NOTE: inlined call_at_ms: this is the path every domain timer takes.
        when_ms = self._now_ms + delay_ms
        handle = Handle(when_ms, callback, args)
        heappush(self._queue, (when_ms, priority, next(self._counter), handle))
        return handle

    def call_later(
        self, delay_s: float, callback: Callable[..., object], *args: Any, priority: int = 0
    ) -> Handle:
        """Run ``callback(*args)`` ``delay_s`` virtual seconds from now (rounded to the ms)."""
        return self.call_later_ms(
            seconds_to_ms(delay_s, "delay_s"), callback, *args, priority=priority
        )

    def call_at(
        self,
        when: _dt.datetime | float,
        callback: Callable[..., object],
        *args: Any,
        priority: int = 0,
    ) -> Handle:
        """Run ``callback(*args)`` at ``when``: an aware ``datetime`` or epoch seconds."""
        return self.call_at_ms(to_epoch_ms(when), callback, *args, priority=priority)

    # -- running ------------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Run everything due up to ``now + seconds``; the clock then stands there."""
        self._run_to(self._now_ms + seconds_to_ms(seconds, "seconds"))

    def advance_ms(self, delay_ms: int) -> None:
        """Like :meth:`advance`, in integer milliseconds."""
        if delay_ms < 0:
            raise KinesimValueError(
                f"delay_ms must not be negative, got {delay_ms}: time can't go back"
            )
        self._run_to(self._now_ms + delay_ms)

    def run_until(self, when: _dt.datetime | float) -> None:
        """Run everything due up to the absolute time ``when`` (aware ``datetime`` or epoch s)."""
        target_ms = to_epoch_ms(when)
        if target_ms < self._now_ms:
            raise KinesimValueError(
                f"cannot run until {when!r}: it is before now ({self.datetime.isoformat()}); "
                "time can't go back"
            )
        self._run_to(target_ms)

    def _run_to(self, target_ms: int) -> None:
        queue = self._queue
        while queue and queue[0][0] <= target_ms:
            when_ms, _, _, handle = heappop(queue)
            if handle._cancelled:
                continue
            self._now_ms = when_ms
            handle._callback(*handle._args)
        self._now_ms = target_ms

    def step(self) -> bool:
        """Run the next due call, moving the clock to its time; False if nothing is queued."""
        queue = self._queue
        while queue:
            when_ms, _, _, handle = heappop(queue)
            if handle._cancelled:
                continue
            self._now_ms = when_ms
            handle._callback(*handle._args)
            return True
        return False

    def peek_ms(self) -> int | None:
        """When the next live call is due, in epoch ms, or None if nothing is queued."""
        queue = self._queue
        while queue and queue[0][3]._cancelled:
            heappop(queue)
        return queue[0][0] if queue else None

    def peek(self) -> float | None:
        """When the next live call is due, in epoch seconds, or None if nothing is queued."""
        when_ms = self.peek_ms()
        return None if when_ms is None else when_ms / 1000

    @property
    def pending(self) -> int:
        """How many calls are queued (cancelled ones that were not yet skipped included)."""
        return len(self._queue)

    # -- randomness ---------------------------------------------------------------------------

    def random(self, name: str) -> random.Random:
        """The generator named ``name``, seeded from this simulator's seed and the name.

        The same name always gives the same generator object; its seed is
        ``sha256(f"{seed}:{name}")``, so it is the same in every process whatever
        ``PYTHONHASHSEED`` is, and adding a new named generator does not shift the others.
        """
        rng = self._randoms.get(name)
        if rng is None:
            if not isinstance(name, str):
                raise KinesimTypeError(f"random() takes a str name, got {name!r}")
            digest = hashlib.sha256(f"{self._seed}:{name}".encode()).digest()
            rng = self._randoms[name] = random.Random(int.from_bytes(digest, "big"))
        return rng
