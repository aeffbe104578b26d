"""The simulator core: an integer-millisecond virtual clock, an event queue and seeded randomness.

It knows nothing of AWS. Every other part of kinesim is a client of :meth:`Scheduler.call_at_ms`.

Two guards keep a run from corrupting the clock or hanging: the clock cannot be advanced from
inside a callback that the clock is running (:class:`~kinesim.KinesimReentryError`, else time
would jump forward inside the callback and back when the outer run ends), and one run executes
at most :data:`MAX_EVENTS_PER_INSTANT` events at one virtual instant
(:class:`~kinesim.LivelockError`, else a zero-delay loop spins for ever without the clock moving).

Times are checked to lie within what ``datetime`` can represent (:data:`MIN_MS` .. :data:`MAX_MS`),
so the clock can always be shown as a date.

The queue is a binary heap of ``(time_ms, priority, insertion counter, handle)`` tuples. The counter
is unique, so tuples never fall through to comparing handles, and events due at the same time with
the same priority run first-in first-out. That ordering is a contract: determinism rests on it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from heapq import heappop, heappush
from itertools import count
from typing import Any

from kinesim._errors import (
    KinesimReentryError,
    KinesimTypeError,
    KinesimValueError,
    LivelockError,
)

__all__ = [
    "DEFAULT_START",
    "MAX_EVENTS_PER_INSTANT",
    "MAX_MS",
    "MIN_MS",
    "Handle",
    "Scheduler",
    "check_ms",
    "seconds_to_ms",
    "to_epoch_ms",
]

#: The default start of virtual time: 2026-01-01T00:00:00Z. A fixed instant, never the wall clock.
DEFAULT_START = datetime(2026, 1, 1, tzinfo=timezone.utc)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

#: The earliest and latest virtual times, in epoch ms: what ``datetime`` can represent in UTC
#: (0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z).
MIN_MS = -62_135_596_800_000
MAX_MS = 253_402_300_799_999

#: The default of ``Simulator(max_events_per_instant=...)``: how many events one ``advance``
#: (or ``drain``) may run at one virtual instant before it stops with :class:`LivelockError`.
MAX_EVENTS_PER_INSTANT = 100_000


def _iso(epoch_ms: int) -> str:
    stamp = datetime.fromtimestamp(epoch_ms // 1000, timezone.utc)
    return f"{stamp:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


def _out_of_range(what: str, value: object) -> KinesimValueError:
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return KinesimValueError(
        f"{what}={shown} is outside the times kinesim can represent "
        f"(0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z, what datetime can show)"
    )


def check_ms(value: object, what: str) -> int:
    """``value`` if it is a whole number of milliseconds (an int, not a bool), else
    :class:`~kinesim.KinesimTypeError` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise KinesimTypeError(
            f"{what} must be a whole number of milliseconds (int), got {value!r} of type "
            f"{type(value).__name__}; for seconds use the method without _ms"
        )
    return value


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
    if seconds > _MAX_SPAN_S:
        raise _out_of_range(what, seconds)
    return round(seconds * 1000)


# No span of time between two representable instants is longer than this.
_MAX_SPAN_S = (MAX_MS - MIN_MS) / 1000


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
    # NOTE: compared before converting: math.isfinite(10**400) raises OverflowError.
    if isinstance(when, float) and not math.isfinite(when):
        raise KinesimValueError(f"{what} must be finite, got {when!r}")
    if not MIN_MS / 1000 <= when <= MAX_MS / 1000:
        raise _out_of_range(what, when)
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

    Calling :meth:`advance`, :meth:`advance_ms`, :meth:`run_until` or :meth:`step` from inside a
    callback raises :class:`~kinesim.KinesimReentryError` (see :attr:`advancing`). One run
    executes at most ``max_events_per_instant`` events at one virtual instant, then raises
    :class:`~kinesim.LivelockError` naming the events that keep coming.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        start: datetime | float = DEFAULT_START,
        max_events_per_instant: int = MAX_EVENTS_PER_INSTANT,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise KinesimTypeError(
                f"seed must be an int, got {seed!r} of type {type(seed).__name__}"
            )
        if (
            isinstance(max_events_per_instant, bool)
            or not isinstance(max_events_per_instant, int)
            or max_events_per_instant < 1
        ):
            raise KinesimValueError(
                f"max_events_per_instant must be a whole number >= 1, got "
                f"{max_events_per_instant!r} (default {MAX_EVENTS_PER_INSTANT:,})"
            )
        self._seed = seed
        self._start_ms = to_epoch_ms(start, "start")
        self._now_ms = self._start_ms
        self._queue: list[tuple[int, int, int, Handle]] = []
        self._counter = count()
        self._randoms: dict[str, random.Random] = {}
        self._advancing = False
        self.max_events_per_instant = max_events_per_instant

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

    @property
    def advancing(self) -> bool:
        """True while :meth:`advance`, :meth:`run_until` or :meth:`step` is running callbacks,
        or a block under :meth:`holding_clock` runs (a Lambda handler): code that runs then
        must not advance the clock itself."""
        return self._advancing

    @contextmanager
    def holding_clock(self) -> Iterator[None]:
        """Run a block during which the clock must not be advanced: kinesim runs a Lambda
        handler this way, since a handler takes no virtual time while its code runs (its time
        comes from its duration model and ``kinesim.spend``)."""
        previous = self._advancing
        self._advancing = True
        try:
            yield
        finally:
            self._advancing = previous

    # -- scheduling ---------------------------------------------------------------------------

    def call_at_ms(
        self, when_ms: int, callback: Callable[..., object], *args: Any, priority: int = 0
    ) -> Handle:
        """Run ``callback(*args)`` at epoch millisecond ``when_ms``.

        Among calls due at the same time, a lower ``priority`` runs first, then the one scheduled
        first. ``when_ms`` must not be in the past.
        """
        if type(when_ms) is not int or when_ms < self._now_ms or when_ms > MAX_MS:
            check_ms(when_ms, "when_ms")
            if when_ms > MAX_MS:
                raise _out_of_range("when_ms", when_ms)
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
        if type(delay_ms) is not int or delay_ms < 0 or self._now_ms + delay_ms > MAX_MS:
            self._check_delay_ms(delay_ms, "delay_ms")
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
        self._refuse_reentry("advance")
        self._run_to(self._now_ms + self._check_delay_ms(seconds_to_ms(seconds, "seconds")))

    def advance_ms(self, delay_ms: int) -> None:
        """Like :meth:`advance`, in integer milliseconds."""
        self._refuse_reentry("advance_ms")
        self._run_to(self._now_ms + self._check_delay_ms(delay_ms, "delay_ms"))

    def run_until(self, when: _dt.datetime | float) -> None:
        """Run everything due up to the absolute time ``when`` (aware ``datetime`` or epoch s)."""
        self._refuse_reentry("run_until")
        target_ms = to_epoch_ms(when)
        if target_ms < self._now_ms:
            raise KinesimValueError(
                f"cannot run until {when!r}: it is before now ({self.datetime.isoformat()}); "
                "time can't go back"
            )
        self._run_to(target_ms)

    def _check_delay_ms(self, delay_ms: object, what: str = "seconds") -> int:
        """``delay_ms`` if it is an int >= 0 that keeps the clock within :data:`MAX_MS`."""
        delay_ms = check_ms(delay_ms, what)
        if delay_ms < 0:
            raise KinesimValueError(
                f"{what} must not be negative, got {delay_ms}: time can't go back"
            )
        if self._now_ms + delay_ms > MAX_MS:
            raise KinesimValueError(
                f"{what}: {delay_ms:,} ms from now would take the clock past "
                "9999-12-31T23:59:59.999Z, the latest time kinesim can represent"
            )
        return delay_ms

    def _refuse_reentry(self, method: str) -> None:
        if self._advancing:
            raise KinesimReentryError(
                f"sim.{method}() was called while the clock is already advancing (from inside a "
                f"scheduled callback or a Lambda handler, at {_iso(self._now_ms)}); nothing ran "
                "and the clock did not move. Schedule the work with sim.call_later(...) instead, "
                "or call it after the outer advance/drain returns"
            )

    def _run_to(self, target_ms: int) -> None:
        queue = self._queue
        limit = self.max_events_per_instant
        instant_ms = -1
        at_instant = 0
        self._advancing = True
        try:
            while queue and queue[0][0] <= target_ms:
                entry = heappop(queue)
                when_ms, _, _, handle = entry
                if handle._cancelled:
                    continue
                if when_ms != instant_ms:
                    instant_ms = when_ms
                    at_instant = 0
                at_instant += 1
                if at_instant > limit:
                    heappush(queue, entry)  # not run: stays due, the state stays consistent
                    raise self._livelock(when_ms)
                self._now_ms = when_ms
                handle._callback(*handle._args)
            self._now_ms = target_ms
        finally:
            self._advancing = False

    def _livelock(self, when_ms: int) -> LivelockError:
        kinds = Counter(_kind(h) for w, _, _, h in self._queue if w == when_ms and not h._cancelled)
        named = sorted(kinds.items(), key=lambda item: (-item[1], item[0]))
        listed = ", ".join(f"{kind} ({n} due)" for kind, n in named)
        return LivelockError(
            f"stopped after {self.max_events_per_instant:,} events at one virtual instant "
            f"({_iso(when_ms)}) without the clock moving: something reschedules itself with "
            f"zero delay. Events due at that instant: {listed}. Give the retry or callback a "
            "delay (e.g. a backoff above 0 s, or a handler duration above 0), or raise "
            "Simulator(max_events_per_instant=...) if this many events at one instant is meant",
            kinds=[kind for kind, _ in named],
        )

    def step(self) -> bool:
        """Run the next due call, moving the clock to its time; False if nothing is queued."""
        self._refuse_reentry("step")
        queue = self._queue
        self._advancing = True
        try:
            while queue:
                when_ms, _, _, handle = heappop(queue)
                if handle._cancelled:
                    continue
                self._now_ms = when_ms
                handle._callback(*handle._args)
                return True
            return False
        finally:
            self._advancing = False

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
        if not isinstance(name, str):
            raise KinesimTypeError(f"random() takes a str name, got {name!r}")
        rng = self._randoms.get(name)
        if rng is None:
            digest = hashlib.sha256(f"{self._seed}:{name}".encode()).digest()
            rng = self._randoms[name] = random.Random(int.from_bytes(digest, "big"))
        return rng


def _kind(handle: Handle) -> str:
    callback = handle._callback
    return getattr(callback, "__qualname__", None) or type(callback).__name__
