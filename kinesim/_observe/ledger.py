"""The ledger: what became of every record an event source mapping was responsible for.

Per mapping and shard it keeps

- every delivery, one entry per *invocation* (a position range, the reason and the time), with
  the reason one of ``first``, ``retry``, ``bisect`` or ``partial-failure`` (a redelivery of the
  records after the lowest reported failure);
- every record's final fate, as contiguous position ranges: ``succeeded``,
  ``RetryAttemptsExhausted`` or ``RecordAgeExceeded`` (given up; sent to the on-failure
  destination if there is one), ``expired`` (trimmed by retention before it was processed) or
  ``filtered`` (matched none of the mapping's filter patterns: skipped, never delivered).

A shard's records are settled in position order (with ParallelizationFactor > 1 the poller holds
back records its lanes finish out of order until the checkpoint reaches them), so the fates of a
shard are an append-only run of ranges, and neighbouring ranges of the same fate merge: a healthy
shard costs O(1) memory however many records pass (with filters, one range per run of records
that share a fate). Queries by sequence number bisect. A delivery whose records are not
contiguous (a lane's batch, or a filtered one) also keeps its positions.

Deliveries compact, so a long run's ledger is bounded by retained records and caps, not by
virtual time. Once a shard holds more than ``compact_after`` (default 2,000) delivery entries,
the settled ones are sorted out:

- *clean* deliveries (the only delivery of their records, reason ``first``, contiguous, every
  record ``succeeded``) become *runs*: ``[start, end)`` and how many invocations carried them.
  Adjacent runs merge, so a healthy shard costs O(1) however long it runs. A clean record's
  :meth:`Ledger.deliveries` is then one ``Delivery("first", time, "")``: the time of the run's
  first invocation, the request id not kept;
- deliveries with something to say (retried, bisected, redelivered, duplicated, a lane's, or of
  records given up or expired) keep their detail, the latest ``detail_limit`` (default 10,000)
  per shard; older ones are dropped and only counted;
- deliveries and runs whose records retention trimmed are released and only counted.

:meth:`Ledger.invocations` and :meth:`Ledger.delivery_reasons` count every delivery ever made;
fates are never compacted (they are runs already).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

__all__ = [
    "DEFAULT_COMPACT_AFTER",
    "DEFAULT_DETAIL_LIMIT",
    "DELIVERY_REASONS",
    "FATES",
    "Delivery",
    "Fate",
    "Ledger",
    "Unresolved",
]

#: Delivery entries a shard's book holds before its settled deliveries are compacted.
DEFAULT_COMPACT_AFTER = 2_000
#: Detailed deliveries (with something to say) a shard's book keeps at most, the latest.
DEFAULT_DETAIL_LIMIT = 10_000

DELIVERY_REASONS = ("first", "retry", "bisect", "partial-failure")
FATES = ("succeeded", "RetryAttemptsExhausted", "RecordAgeExceeded", "expired", "filtered")


class _Shard(Protocol):
    @property
    def shard_id(self) -> str: ...
    @property
    def end_index(self) -> int: ...
    @property
    def trim_index(self) -> int: ...
    def sequence_number(self, i: int) -> str: ...
    def position_of(self, sequence_number: str) -> int: ...


class Delivery(NamedTuple):
    """One invocation that carried the record: why, when (epoch ms), and its request id."""

    reason: str
    time_ms: int
    request_id: str


@dataclass(frozen=True, slots=True)
class Fate:
    """A record's final fate and when it was decided (epoch ms)."""

    kind: str
    time_ms: int


class Unresolved(NamedTuple):
    """Records ``[start, end)`` (positions) of a shard that have no final fate yet."""

    shard_id: str
    start: int
    end: int

    @property
    def record_count(self) -> int:
        return self.end - self.start


class InvokedBatch(NamedTuple):
    """One invocation of the mapping: the shard, the positions of the records it carried
    (a ``range``, or ascending positions for a ParallelizationFactor lane's batch), why, when
    (epoch ms) and its request id."""

    shard: Any  # the kinesim Shard
    positions: Sequence[int]
    reason: str
    time_ms: int
    request_id: str


class FateRun(NamedTuple):
    """Records ``[start, end)`` of a shard that reached the same final fate at ``time_ms``."""

    shard: Any  # the kinesim Shard
    start: int
    end: int
    kind: str
    time_ms: int


# (start, end, reason, time_ms, request_id, positions or None when contiguous)
_Entry = tuple[int, int, str, int, str, tuple[int, ...] | None]


class _Book:
    __slots__ = (
        "compacted_held",
        "deliveries",
        "detail_dropped",
        "dropped_ranges",
        "fate_ends",
        "fate_kinds",
        "fate_starts",
        "fate_times",
        "folded_invocations",
        "folded_reasons",
        "run_ends",
        "run_invocations",
        "run_starts",
        "run_times",
        "scope_start",
        "settled_end",
        "shard",
    )

    def __init__(self, shard: _Shard, scope_start: int) -> None:
        self.shard = shard
        self.scope_start = scope_start
        self.settled_end = scope_start
        self.fate_starts: list[int] = []
        self.fate_ends: list[int] = []
        self.fate_kinds: list[str] = []
        self.fate_times: list[int] = []
        self.deliveries: list[_Entry] = []
        self.compacted_held = 0  # entries the last compaction kept
        # Clean deliveries compacted into runs of records [start, end).
        self.run_starts: list[int] = []
        self.run_ends: list[int] = []
        self.run_invocations: list[int] = []
        self.run_times: list[int] = []  # the run's first invocation
        # Deliveries no longer held (released at retention, or detail past the cap): counts.
        self.folded_invocations = 0
        self.folded_reasons: Counter[str] = Counter()
        self.detail_dropped = 0
        # Ranges of dropped detail whose records are not settled yet (a stalled batch's
        # retries): they stay noisy, so their first delivery is never compacted as clean.
        self.dropped_ranges: list[tuple[int, int]] = []


class Ledger:
    """The fate of every record of one mapping. Tests read :meth:`fates`, :meth:`fate`,
    :meth:`deliveries` and :meth:`unresolved`.

    ``compact_after`` and ``detail_limit`` bound the delivery detail per shard (module docs).
    """

    def __init__(
        self,
        *,
        compact_after: int = DEFAULT_COMPACT_AFTER,
        detail_limit: int = DEFAULT_DETAIL_LIMIT,
    ) -> None:
        self._books: dict[str, _Book] = {}
        self.compact_after = compact_after
        self.detail_limit = detail_limit

    # -- recording (the poller calls these once per batch) -------------------------------------

    def open(self, shard: _Shard, scope_start: int) -> None:
        """The mapping is responsible for ``shard``'s records from position ``scope_start``."""
        if shard.shard_id not in self._books:
            self._books[shard.shard_id] = _Book(shard, scope_start)

    def delivered(
        self, shard_id: str, start: int, end: int, reason: str, time_ms: int, request_id: str
    ) -> None:
        book = self._books[shard_id]
        book.deliveries.append((start, end, reason, time_ms, request_id, None))
        if len(book.deliveries) - book.compacted_held > self.compact_after:
            self._compact(book)

    def delivered_at(
        self,
        shard_id: str,
        positions: tuple[int, ...],
        reason: str,
        time_ms: int,
        request_id: str,
    ) -> None:
        """A delivery of the records at ``positions`` (ascending, not contiguous: one lane's)."""
        book = self._books[shard_id]
        book.deliveries.append(
            (positions[0], positions[-1] + 1, reason, time_ms, request_id, positions)
        )
        if len(book.deliveries) - book.compacted_held > self.compact_after:
            self._compact(book)

    # -- compaction ---------------------------------------------------------------------------

    def _compact(self, book: _Book) -> None:
        """Runs for clean settled deliveries, detail (capped) for the others, and nothing but
        counts for those of records retention trimmed. O(entries log entries), amortised over
        ``compact_after`` deliveries."""
        trim = book.shard.trim_index
        settled_end = book.settled_end
        noisy = _noisy_ranges(book.deliveries, book.dropped_ranges)
        kept: list[_Entry] = []
        kept_settled = 0
        for entry in book.deliveries:
            start, end, reason, time_ms, _, positions = entry
            if end > settled_end:
                kept.append(entry)  # not settled yet: retries may still come
            elif end <= trim:
                _fold(book, entry)
            elif (
                reason == "first"
                and positions is None
                and not noisy.overlaps(start, end)
                and _all_succeeded(book, start, end)
                and (not book.run_ends or book.run_ends[-1] <= start)
            ):
                if book.run_ends and book.run_ends[-1] == start:
                    book.run_ends[-1] = end
                    book.run_invocations[-1] += 1
                else:
                    book.run_starts.append(start)
                    book.run_ends.append(end)
                    book.run_invocations.append(1)
                    book.run_times.append(time_ms)
            else:
                kept.append(entry)
                kept_settled += 1
        excess = kept_settled - self.detail_limit
        if excess > 0:
            # The oldest settled detail goes first.
            kept = _drop_detail(book, kept, excess, lambda entry: entry[1] <= settled_end)
        excess = len(kept) - self.detail_limit
        if excess > 0:
            # A stalled batch retried for days: its oldest redeliveries go, counted.
            for entry in kept:
                if entry[2] != "first" and excess > 0:
                    _note_dropped_range(book, entry[0], entry[1])
                    excess -= 1
            excess = len(kept) - self.detail_limit
            kept = _drop_detail(book, kept, excess, lambda entry: entry[2] != "first")
        book.dropped_ranges = [r for r in book.dropped_ranges if r[1] > settled_end]
        released = bisect_right(book.run_ends, trim)
        if released:
            for i in range(released):
                book.folded_invocations += book.run_invocations[i]
                book.folded_reasons["first"] += book.run_ends[i] - book.run_starts[i]
            for column in (book.run_starts, book.run_ends, book.run_invocations, book.run_times):
                del column[:released]
        book.deliveries = kept
        book.compacted_held = len(kept)

    def settle(self, shard_id: str, start: int, end: int, kind: str, time_ms: int) -> None:
        """Records ``[start, end)`` reached their final fate ``kind``."""
        if end <= start:
            return
        book = self._books[shard_id]
        if start != book.settled_end:
            raise AssertionError(
                f"ledger: {shard_id} settles [{start}, {end}) but the next unsettled record is "
                f"{book.settled_end}: a record would vanish or be settled twice"
            )
        book.settled_end = end
        if book.fate_kinds and book.fate_kinds[-1] == kind and book.fate_ends[-1] == start:
            book.fate_ends[-1] = end
            book.fate_times[-1] = time_ms
            return
        book.fate_starts.append(start)
        book.fate_ends.append(end)
        book.fate_kinds.append(kind)
        book.fate_times.append(time_ms)

    # -- queries ------------------------------------------------------------------------------

    def fates(self) -> dict[str, int]:
        """How many records reached each final fate (only fates that occurred)."""
        counts: Counter[str] = Counter()
        for book in self._books.values():
            for start, end, kind in zip(
                book.fate_starts, book.fate_ends, book.fate_kinds, strict=True
            ):
                counts[kind] += end - start
        return {kind: counts[kind] for kind in FATES if counts[kind]}

    def _locate(self, record: str | tuple[str, int]) -> tuple[_Book, int]:
        if isinstance(record, tuple):
            shard_id, position = record
            return self._books[shard_id], position
        for book in self._books.values():
            try:
                return book, book.shard.position_of(record)
            except Exception:  # "not this shard's", whatever the error class
                continue
        raise KeyError(f"no shard of this mapping holds sequence number {record!r}")

    def fate(self, record: str | tuple[str, int]) -> Fate | None:
        """The final fate of a record (by sequence number or ``(shard_id, position)``)."""
        book, position = self._locate(record)
        i = bisect_right(book.fate_starts, position) - 1
        if i < 0 or position >= book.fate_ends[i]:
            return None
        return Fate(book.fate_kinds[i], book.fate_times[i])

    def deliveries(self, record: str | tuple[str, int]) -> list[Delivery]:
        """Every invocation that carried the record, oldest first."""
        book, position = self._locate(record)
        found = [
            Delivery(reason, time_ms, request_id)
            for start, end, reason, time_ms, request_id, positions in book.deliveries
            if start <= position < end and (positions is None or _holds(positions, position))
        ]
        i = bisect_right(book.run_starts, position) - 1
        if i >= 0 and position < book.run_ends[i]:
            found.insert(0, Delivery("first", book.run_times[i], ""))
        return found

    def delivery_reasons(self) -> dict[str, int]:
        """Record-deliveries per reason (a record in a batch of 10 delivered twice counts 2)."""
        counts: Counter[str] = Counter()
        for book in self._books.values():
            for start, end, reason, _, _, positions in book.deliveries:
                counts[reason] += end - start if positions is None else len(positions)
            counts["first"] += sum(book.run_ends) - sum(book.run_starts)
            counts.update(book.folded_reasons)
        return {reason: counts[reason] for reason in DELIVERY_REASONS if counts[reason]}

    def invocations(self) -> int:
        """Invocations the mapping made, ever (compacted and released ones included)."""
        return sum(
            len(book.deliveries) + sum(book.run_invocations) + book.folded_invocations
            for book in self._books.values()
        )

    def batches(self) -> list[InvokedBatch]:
        """Every invocation held, shard by shard (shards in the order the mapping opened
        them), oldest first within a shard. A compacted run of clean deliveries comes as one
        batch of all its records, at its first invocation's time, with request id ``""``."""
        out: list[InvokedBatch] = []
        for book in self._books.values():
            out.extend(
                InvokedBatch(book.shard, range(start, end), "first", time_ms, "")
                for start, end, time_ms in zip(
                    book.run_starts, book.run_ends, book.run_times, strict=True
                )
            )
            out.extend(
                InvokedBatch(
                    book.shard,
                    range(start, end) if positions is None else positions,
                    reason,
                    time_ms,
                    request_id,
                )
                for start, end, reason, time_ms, request_id, positions in book.deliveries
            )
        return out

    def bookkeeping(self) -> dict[str, int]:
        """What the ledger holds: delivery entries, clean runs, fate runs, dropped detail."""
        books = self._books.values()
        return {
            "deliveries": sum(len(book.deliveries) for book in books),
            "runs": sum(len(book.run_starts) for book in books),
            "fate_runs": sum(len(book.fate_starts) for book in books),
            "detail_dropped": sum(book.detail_dropped for book in books),
        }

    def fate_runs(self) -> list[FateRun]:
        """The settled records as runs of equal fate, shard by shard, in position order."""
        return [
            FateRun(book.shard, start, end, kind, time_ms)
            for book in self._books.values()
            for start, end, kind, time_ms in zip(
                book.fate_starts, book.fate_ends, book.fate_kinds, book.fate_times, strict=True
            )
        ]

    def unresolved(self) -> list[Unresolved]:
        """Records in the mapping's scope (from its starting position) with no final fate yet."""
        return [
            Unresolved(shard_id, book.settled_end, book.shard.end_index)
            for shard_id, book in self._books.items()
            if book.shard.end_index > book.settled_end
        ]

    def checkpoint(self, shard_id: str) -> int:
        """One past the last settled position of a shard."""
        return self._books[shard_id].settled_end

    def shard_ids(self) -> Iterator[str]:
        return iter(self._books)

    def shards(self) -> list[Any]:
        """The shards the mapping is responsible for, in the order it opened them."""
        return [book.shard for book in self._books.values()]

    def summary(self) -> dict[str, Any]:
        """Fates, delivery reasons, invocations and unresolved records in one dict."""
        return {
            "fates": self.fates(),
            "deliveries": self.delivery_reasons(),
            "invocations": self.invocations(),
            "unresolved": sum(u.record_count for u in self.unresolved()),
        }

    def _check(self) -> None:
        for shard_id, book in self._books.items():
            cursor = book.scope_start
            for start, end in zip(book.fate_starts, book.fate_ends, strict=True):
                assert start == cursor, f"ledger {shard_id}: fate ranges not contiguous"
                assert end > start, f"ledger {shard_id}: empty fate range"
                cursor = end
            assert cursor == book.settled_end, f"ledger {shard_id}: settled_end out of step"
            for start, end, reason, _, _, positions in book.deliveries:
                if positions is not None:
                    assert list(positions) == sorted(set(positions)), "lane positions unordered"
                assert reason in DELIVERY_REASONS, f"ledger {shard_id}: unknown reason {reason}"
                assert book.scope_start <= start < end, f"ledger {shard_id}: bad delivery range"
            previous_end = book.scope_start
            for start, end in zip(book.run_starts, book.run_ends, strict=True):
                assert previous_end <= start < end <= book.settled_end, (
                    f"ledger {shard_id}: compacted runs overlap, are empty or unsettled"
                )
                previous_end = end


def _holds(positions: tuple[int, ...], position: int) -> bool:
    i = bisect_left(positions, position)
    return i < len(positions) and positions[i] == position


def _fold(book: _Book, entry: _Entry) -> None:
    """Count a delivery entry that is no longer held."""
    start, end, reason, _, _, positions = entry
    book.folded_invocations += 1
    book.folded_reasons[reason] += end - start if positions is None else len(positions)


def _all_succeeded(book: _Book, start: int, end: int) -> bool:
    i = bisect_right(book.fate_starts, start) - 1
    return i >= 0 and book.fate_kinds[i] == "succeeded" and book.fate_ends[i] >= end


class _Ranges:
    """Position ranges, asking whether any overlaps ``[start, end)`` in O(log n)."""

    __slots__ = ("_max_ends", "_starts")

    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        ranges.sort()
        self._starts = [start for start, _ in ranges]
        self._max_ends: list[int] = []
        highest = -1
        for _, end in ranges:
            highest = max(highest, end)
            self._max_ends.append(highest)

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_left(self._starts, end)  # ranges starting before `end`
        return i > 0 and self._max_ends[i - 1] > start


def _drop_detail(
    book: _Book, entries: list[_Entry], n: int, droppable: Callable[[_Entry], bool]
) -> list[_Entry]:
    """``entries`` without the oldest ``n`` that are ``droppable``, which are counted."""
    kept: list[_Entry] = []
    for entry in entries:
        if n > 0 and droppable(entry):
            _fold(book, entry)
            book.detail_dropped += 1
            n -= 1
        else:
            kept.append(entry)
    return kept


def _note_dropped_range(book: _Book, start: int, end: int) -> None:
    ranges = book.dropped_ranges
    if ranges and ranges[-1][0] <= end and start <= ranges[-1][1]:
        ranges[-1] = (min(start, ranges[-1][0]), max(end, ranges[-1][1]))
    else:
        ranges.append((start, end))


def _noisy_ranges(entries: list[_Entry], dropped: list[tuple[int, int]]) -> _Ranges:
    """The ranges of every delivery that makes its records worth keeping in detail: a
    redelivery (any reason but ``first``), a lane's, or a ``first`` overlapping another."""
    noisy: list[tuple[int, int]] = list(dropped)
    previous_end = -1
    previous: tuple[int, int] | None = None
    for start, end, reason, _, _, positions in entries:
        if reason != "first" or positions is not None:
            noisy.append((start, end))
            continue
        if start < previous_end and previous is not None:
            noisy.append(previous)
            noisy.append((start, end))
        if end > previous_end:
            previous_end, previous = end, (start, end)
    return _Ranges(noisy)
