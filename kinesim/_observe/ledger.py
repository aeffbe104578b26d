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
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

__all__ = ["DELIVERY_REASONS", "FATES", "Delivery", "Fate", "Ledger", "Unresolved"]

DELIVERY_REASONS = ("first", "retry", "bisect", "partial-failure")
FATES = ("succeeded", "RetryAttemptsExhausted", "RecordAgeExceeded", "expired", "filtered")


class _Shard(Protocol):
    @property
    def shard_id(self) -> str: ...
    @property
    def end_index(self) -> int: ...
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


class _Book:
    __slots__ = (
        "deliveries",
        "fate_ends",
        "fate_kinds",
        "fate_starts",
        "fate_times",
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
        # (start, end, reason, time_ms, request_id, positions or None when contiguous)
        self.deliveries: list[tuple[int, int, str, int, str, tuple[int, ...] | None]] = []


class Ledger:
    """The fate of every record of one mapping. Tests read :meth:`fates`, :meth:`fate`,
    :meth:`deliveries` and :meth:`unresolved`."""

    def __init__(self) -> None:
        self._books: dict[str, _Book] = {}

    # -- recording (the poller calls these once per batch) -------------------------------------

    def open(self, shard: _Shard, scope_start: int) -> None:
        """The mapping is responsible for ``shard``'s records from position ``scope_start``."""
        if shard.shard_id not in self._books:
            self._books[shard.shard_id] = _Book(shard, scope_start)

    def delivered(
        self, shard_id: str, start: int, end: int, reason: str, time_ms: int, request_id: str
    ) -> None:
        self._books[shard_id].deliveries.append((start, end, reason, time_ms, request_id, None))

    def delivered_at(
        self,
        shard_id: str,
        positions: tuple[int, ...],
        reason: str,
        time_ms: int,
        request_id: str,
    ) -> None:
        """A delivery of the records at ``positions`` (ascending, not contiguous: one lane's)."""
        self._books[shard_id].deliveries.append(
            (positions[0], positions[-1] + 1, reason, time_ms, request_id, positions)
        )

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
        return [
            Delivery(reason, time_ms, request_id)
            for start, end, reason, time_ms, request_id, positions in book.deliveries
            if start <= position < end and (positions is None or _holds(positions, position))
        ]

    def delivery_reasons(self) -> dict[str, int]:
        """Record-deliveries per reason (a record in a batch of 10 delivered twice counts 2)."""
        counts: Counter[str] = Counter()
        for book in self._books.values():
            for start, end, reason, _, _, positions in book.deliveries:
                counts[reason] += end - start if positions is None else len(positions)
        return {reason: counts[reason] for reason in DELIVERY_REASONS if counts[reason]}

    def invocations(self) -> int:
        return sum(len(book.deliveries) for book in self._books.values())

    def batches(self) -> list[InvokedBatch]:
        """Every invocation, shard by shard (shards in the order the mapping opened them),
        oldest first within a shard."""
        return [
            InvokedBatch(
                book.shard,
                range(start, end) if positions is None else positions,
                reason,
                time_ms,
                request_id,
            )
            for book in self._books.values()
            for start, end, reason, time_ms, request_id, positions in book.deliveries
        ]

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


def _holds(positions: tuple[int, ...], position: int) -> bool:
    i = bisect_left(positions, position)
    return i < len(positions) and positions[i] == position
