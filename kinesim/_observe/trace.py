"""The trace: structured events ``(time_ms, kind, fields)`` in the order they happened.

Recording is one bounds check and one list append, cheap enough to leave on in tests; it can be
switched off, or limited to some kinds. By default the trace holds the last ``limit`` events
(:data:`DEFAULT_LIMIT`, 1,000) in memory, trimmed in steps so it holds up to a tenth more
between trims; ``limit=None`` keeps every event. :meth:`Trace.stream_to` also writes every event
to a msgpack file as it is recorded, and :meth:`Trace.digest` covers every event ever recorded
(held or not), so a determinism check sees the whole run whatever the limit.

Field values must be msgpack-safe: ``None``, ``bool``, ``int`` (64-bit), ``float``, ``str``,
``bytes``, and lists and ``str``-keyed dicts of those.

On disk a trace is a msgpack stream: a header map (magic, format version, kinesim version, seed,
start, event count) followed by one ``[time_ms, kind, fields]`` array per event. No pickle.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple, Protocol

import msgpack

from kinesim._errors import KinesimTypeError, KinesimValueError, TraceFormatError
from kinesim._version import __version__

__all__ = ["DEFAULT_LIMIT", "FORMAT_VERSION", "Trace", "TraceEvent"]

#: Events a trace holds in memory by default (the latest; the digest covers every one).
DEFAULT_LIMIT = 1_000

MAGIC = "kinesim-trace"
FORMAT_VERSION = 1
# Deeper nesting than this in a loaded field is refused: no kinesim event nests that deep, and
# it bounds the validator's work on hostile input.
_MAX_DEPTH = 32
_HEADER_KEYS = {"magic", "format", "kinesim", "seed", "start_ms", "count"}
#: Most elements one list or map in a loaded trace may hold (no kinesim event comes close).
MAX_ELEMENTS = 100_000
# The times a trace may hold: what datetime can show (the same bounds as the simulator's clock).
_MIN_MS = -62_135_596_800_000
_MAX_MS = 253_402_300_799_999
# The smallest event on disk, [0, "", {}], is 4 bytes: a header declaring more is refused.
_MIN_EVENT_BYTES = 4
# Lists and maps nested inside events: at most this many, plus one per this many bytes of input.
_BASE_CONTAINERS = 1024
_BYTES_PER_NESTED_CONTAINER = 8


class _Clock(Protocol):
    @property
    def now_ms(self) -> int: ...


class TraceEvent(NamedTuple):
    """One thing that happened: when (epoch ms), what kind, and its fields."""

    time_ms: int
    kind: str
    fields: dict[str, Any]


class Trace:
    """Structured events in virtual time.

    ``enabled`` switches recording on and off; ``kinds`` (a collection of kind names, or None for
    all) keeps only those kinds. Events already recorded are kept either way. ``limit`` is how
    many of the latest events stay in memory (None: every one).
    """

    def __init__(
        self,
        *,
        clock: _Clock | None = None,
        enabled: bool = True,
        kinds: Iterable[str] | None = None,
        seed: int = 0,
        start_ms: int = 0,
        limit: int | None = DEFAULT_LIMIT,
    ) -> None:
        if limit is not None and (
            isinstance(limit, bool) or not isinstance(limit, int) or limit < 0
        ):
            raise KinesimValueError(
                f"Trace limit must be a whole number >= 0 (events held) or None (every event), "
                f"got {limit!r}"
            )
        self._clock = clock
        self._events: list[TraceEvent] = []
        self._limit = limit
        # NOTE: trimming a tenth at a time amortises the list deletion and the digest's packing.
        self._trim_at = _trim_at(limit)
        self._dropped = 0
        self._sha = hashlib.sha256()
        self._packer = msgpack.Packer(use_bin_type=True)
        self._stream: IO[bytes] | None = None
        self._streamed = 0
        self.seed = seed
        self.start_ms = start_ms
        self.kinesim_version = __version__
        self.enabled = enabled
        self.kinds = kinds

    # -- configuration ------------------------------------------------------------------------

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise KinesimTypeError(f"Trace.enabled takes True or False, got {value!r}")
        self._enabled = value

    @property
    def kinds(self) -> frozenset[str] | None:
        """The kinds recorded, or None for every kind."""
        return self._kinds

    @kinds.setter
    def kinds(self, value: Iterable[str] | None) -> None:
        if value is None:
            self._kinds: frozenset[str] | None = None
            return
        if isinstance(value, str):
            raise KinesimTypeError(
                f"Trace.kinds takes a collection of kind names, got the string {value!r}; "
                f"write kinds={{{value!r}}}"
            )
        self._kinds = frozenset(value)

    @property
    def limit(self) -> int | None:
        """How many of the latest events are held in memory (None: every one)."""
        return self._limit

    def wants(self, kind: str) -> bool:
        """Whether an event of ``kind`` would be recorded now (to skip building costly fields)."""
        return self._enabled and (self._kinds is None or kind in self._kinds)

    # -- recording ----------------------------------------------------------------------------

    def record(self, time_ms: int, kind: str, fields: dict[str, Any]) -> None:
        """Append an event at ``time_ms`` if recording is on and ``kind`` is wanted."""
        if self._enabled and (self._kinds is None or kind in self._kinds):
            self._append(TraceEvent(time_ms, kind, fields))

    def emit(self, kind: str, **fields: Any) -> None:
        """Record an event of ``kind`` at the clock's current time."""
        if self._enabled and (self._kinds is None or kind in self._kinds):
            if self._clock is None:
                raise KinesimTypeError("this trace has no clock (it was loaded); use record()")
            self._append(TraceEvent(self._clock.now_ms, kind, fields))

    def _append(self, event: TraceEvent) -> None:
        events = self._events
        events.append(event)
        if len(events) > self._trim_at:
            self._trim()
        if self._stream is not None:
            self._stream.write(self._pack_event(event))
            self._streamed += 1

    def _trim(self) -> None:
        """Fold the oldest events into the digest and forget them, keeping ``limit``."""
        assert self._limit is not None
        cut = len(self._events) - self._limit
        self._sha.update(self._pack_events(self._events[:cut]))
        del self._events[:cut]
        self._dropped += cut

    def _pack_event(self, event: TraceEvent) -> bytes:
        try:
            packed: bytes = self._packer.pack(event)
            return packed
        except (TypeError, ValueError, OverflowError) as exc:
            # A field that msgpack cannot encode is a kinesim bug: crash, naming the event.
            raise TypeError(f"trace event {event!r} is not msgpack-safe: {exc}") from exc

    def _pack_events(self, events: list[TraceEvent]) -> bytes:
        """The events' encodings one after the other (what packing each one gives, joined)."""
        # NOTE: one pack() call for the whole list runs msgpack's loop in C; the array header
        # it puts in front (1, 3 or 5 bytes by length) is cut off.
        if not events:
            return b""
        try:
            packed: bytes = self._packer.pack(events)
        except (TypeError, ValueError, OverflowError):
            return b"".join(self._pack_event(event) for event in events)  # names the culprit
        n = len(events)
        return packed[1 if n < 16 else 3 if n < 65536 else 5 :]

    def clear(self) -> None:
        """Forget every event, held or folded into the digest (a stream keeps what it wrote)."""
        self._events.clear()
        self._dropped = 0
        self._sha = hashlib.sha256()

    # -- streaming ----------------------------------------------------------------------------

    def stream_to(self, path: str | Path) -> None:
        """Write every event recorded from now on to ``path`` (a trace file, as :meth:`save`
        writes), as it is recorded; :meth:`close_stream` (or the next :meth:`flush`) brings
        the header's event count up to date. A file already there is replaced."""
        if self._stream is not None:
            raise KinesimValueError("this trace already streams to a file; close_stream() first")
        # The file stays open across calls, for as long as the stream: no `with` block fits.
        stream = Path(path).open("wb")  # noqa: SIM115
        stream.write(self._header_bytes(0, fixed_count=True))
        self._stream = stream
        self._streamed = 0

    def flush(self) -> None:
        """Write what the stream buffers and the current event count into its header."""
        stream = self._stream
        if stream is None:
            return
        stream.flush()
        position = stream.tell()
        stream.seek(0)
        stream.write(self._header_bytes(self._streamed, fixed_count=True))
        stream.seek(position)
        stream.flush()

    def close_stream(self) -> None:
        """Finish the file :meth:`stream_to` writes (a no-op when not streaming)."""
        if self._stream is None:
            return
        self.flush()
        self._stream.close()
        self._stream = None

    # -- reading ------------------------------------------------------------------------------

    @property
    def events(self) -> list[TraceEvent]:
        """Every held event, oldest first (a copy)."""
        return list(self._events)

    @property
    def recorded(self) -> int:
        """Events recorded since the trace began or was cleared, held or not."""
        return self._dropped + len(self._events)

    @property
    def dropped(self) -> int:
        """Events recorded but no longer held (past ``limit``); the digest still covers them."""
        return self._dropped

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self._events)

    def of_kind(self, *kinds: str) -> list[TraceEvent]:
        """The held events of the given kinds, oldest first."""
        wanted = set(kinds)
        return [event for event in self._events if event.kind in wanted]

    def tail(self, n: int = 20) -> list[TraceEvent]:
        """The last ``n`` events."""
        return self._events[-n:] if n > 0 else []

    # -- encoding -----------------------------------------------------------------------------

    def digest(self) -> str:
        """A sha256 hex digest over the msgpack encoding of every event recorded (held or not,
        in order; each event as ``[time_ms, kind, fields]``, fields in the order recorded).

        Two runs with the same seed and the same calls give the same digest in any process,
        and a saved and loaded trace gives its original's digest (when it held every event).
        """
        sha = self._sha.copy()
        sha.update(self._pack_events(self._events))
        return sha.hexdigest()

    def _header_bytes(self, count: int, *, fixed_count: bool = False) -> bytes:
        header = {
            "magic": MAGIC,
            "format": FORMAT_VERSION,
            "kinesim": self.kinesim_version,
            "seed": str(self.seed),
            "start_ms": self.start_ms,
            "count": count,
        }
        if not fixed_count:
            encoded: bytes = self._packer.pack(header)
            return encoded
        # A streamed file's count is rewritten in place as events come, so it is written as a
        # uint64 (0xcf and 8 bytes), a size that does not change with the value.
        del header["count"]
        body: bytes = self._packer.pack(header)
        count_bytes = b"\xa5count\xcf" + struct.pack(">Q", count)
        return bytes([body[0] + 1]) + body[1:] + count_bytes

    def to_bytes(self) -> bytes:
        """The held events in kinesim's msgpack trace format."""
        return self._header_bytes(len(self._events)) + self._pack_events(self._events)

    def save(self, path: str | Path) -> None:
        """Write the trace to ``path`` (msgpack, see the module docs)."""
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Trace:
        """Parse a trace; anything that is not a valid trace raises :class:`TraceFormatError`."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TraceFormatError(f"a trace is bytes, got {type(data).__name__}")
        data = bytes(data)
        if not data:
            raise TraceFormatError("empty input: a trace starts with a header")
        # Bounding every length by the input's size means a forged length field can never make
        # the unpacker reserve more memory than the input itself; the budget bounds how many
        # lists and maps (Python objects of 56+ bytes from one byte each) it builds.
        budget = _ContainerBudget(len(data))
        unpacker = msgpack.Unpacker(
            raw=False,
            strict_map_key=True,
            use_list=True,
            max_buffer_size=len(data),
            max_array_len=MAX_ELEMENTS,
            max_map_len=MAX_ELEMENTS,
            ext_hook=_refuse_ext,
            list_hook=budget.take_list,
            object_hook=budget.take_map,
        )
        unpacker.feed(data)
        try:
            header = next(unpacker)
            count = _check_header(header, len(data))
            budget.allow_events(count)
            trace = cls(seed=int(header["seed"]), start_ms=header["start_ms"], enabled=True)
            trace.kinesim_version = header["kinesim"]
            for index, item in enumerate(unpacker):
                if index >= count:
                    raise TraceFormatError(f"more events than the header's count of {count}")
                trace._events.append(_check_event(index, item))
        except TraceFormatError:
            raise
        except StopIteration:
            raise TraceFormatError("truncated: no complete header") from None
        except Exception as exc:  # msgpack raises many types for malformed input
            raise TraceFormatError(f"malformed msgpack data: {type(exc).__name__}: {exc}") from exc
        if len(trace._events) != count:
            raise TraceFormatError(
                f"truncated: header declares {count} events, found {len(trace._events)}"
            )
        return trace

    @classmethod
    def load(cls, path: str | Path) -> Trace:
        """Read a trace saved by :meth:`save`; invalid content raises :class:`TraceFormatError`."""
        return cls.from_bytes(Path(path).read_bytes())

    def __repr__(self) -> str:
        return f"<Trace {len(self._events)} events, seed={self.seed}>"


def _trim_at(limit: int | None) -> float:
    return float("inf") if limit is None else limit + max(1, limit // 10)


def _refuse_ext(code: int, data: bytes) -> Any:
    raise TraceFormatError(f"msgpack extension type {code} is not part of the trace format")


def _check_header(header: Any, size: int) -> int:
    if not isinstance(header, dict) or header.get("magic") != MAGIC:
        raise TraceFormatError("not a kinesim trace: the header's magic is missing or wrong")
    if set(header) != _HEADER_KEYS:
        raise TraceFormatError(f"bad header keys {sorted(header)}; expected {sorted(_HEADER_KEYS)}")
    if header["format"] != FORMAT_VERSION or type(header["format"]) is not int:
        raise TraceFormatError(
            f"unsupported trace format version {header['format']!r}; "
            f"this kinesim reads version {FORMAT_VERSION}"
        )
    seed, count = header["seed"], header["count"]
    if not isinstance(seed, str) or not seed.lstrip("-").isdigit() or len(seed) > 100:
        raise TraceFormatError(f"header seed must be a decimal string, got {seed!r}")
    if type(header["start_ms"]) is not int or not isinstance(header["kinesim"], str):
        raise TraceFormatError("header start_ms must be an int and kinesim a version string")
    if not _MIN_MS <= header["start_ms"] <= _MAX_MS:
        raise TraceFormatError(
            f"header start_ms {header['start_ms']} is outside the times a trace can hold "
            "(years 1 to 9999)"
        )
    if type(count) is not int or count < 0:
        raise TraceFormatError(f"header count must be a non-negative int, got {count!r}")
    if count > size // _MIN_EVENT_BYTES:
        raise TraceFormatError(
            f"header count {count} is more events than a {size}-byte file can hold"
        )
    return count


def _check_event(index: int, item: Any) -> TraceEvent:
    if not isinstance(item, list) or len(item) != 3:
        raise TraceFormatError(f"event {index} is not a [time_ms, kind, fields] array")
    time_ms, kind, fields = item
    if type(time_ms) is not int or not isinstance(kind, str) or not isinstance(fields, dict):
        raise TraceFormatError(f"event {index} has wrong types: time_ms int, kind str, fields map")
    if not _MIN_MS <= time_ms <= _MAX_MS:
        raise TraceFormatError(
            f"event {index} time_ms {time_ms} is outside the times a trace can hold "
            "(years 1 to 9999)"
        )
    _check_value(index, fields)
    return TraceEvent(time_ms, kind, fields)


def _check_value(index: int, root: dict[str, Any]) -> None:
    # Only containers go on the stack (a tuple per scalar would double a big event's memory).
    stack: list[tuple[dict[str, Any] | list[Any], int]] = [(root, 0)]
    while stack:
        container, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise TraceFormatError(f"event {index} nests deeper than {_MAX_DEPTH} levels")
        if isinstance(container, dict):
            for key in container:
                if not isinstance(key, str):
                    raise TraceFormatError(
                        f"event {index} has a map key of type {type(key).__name__}; "
                        "field names are str"
                    )
            values: Iterable[Any] = container.values()
        else:
            values = container
        for value in values:
            if isinstance(value, (dict, list)):
                stack.append((value, depth + 1))
            elif value is not None and not isinstance(value, (bool, int, float, str, bytes)):
                raise TraceFormatError(f"event {index} has a value of type {type(value).__name__}")


class _ContainerBudget:
    """Counts the lists and maps the unpacker builds (its hooks) and stops it past a budget:
    two per event (the event's array and its fields), plus 1,024, plus one nested container per
    ``_BYTES_PER_NESTED_CONTAINER`` bytes of input, so loading memory is a bounded multiple
    of the file's size whatever the file says."""

    __slots__ = ("_left",)

    def __init__(self, size: int) -> None:
        self._left = _BASE_CONTAINERS + size // _BYTES_PER_NESTED_CONTAINER

    def allow_events(self, count: int) -> None:
        self._left += 2 * count

    def _take(self) -> None:
        self._left -= 1
        if self._left < 0:
            raise TraceFormatError(
                "more lists and maps than a trace of this size holds (at most two per event, "
                f"plus {_BASE_CONTAINERS:,}, plus one per {_BYTES_PER_NESTED_CONTAINER} bytes)"
            )

    def take_list(self, value: list[Any]) -> list[Any]:
        self._take()
        return value

    def take_map(self, value: dict[Any, Any]) -> dict[Any, Any]:
        self._take()
        return value
