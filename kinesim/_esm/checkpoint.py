"""One shard's checkpoint: the lowest record of the shard not yet finished, and the ledger.

Records finish in any order (lanes of a ParallelizationFactor finish out of order; filters drop
records as soon as they are read; retention loses records nobody took in time). A finished record
waits until every record before it has finished too; then the checkpoint moves over it and it
settles in the mapping's ledger, in sequence order, with the ``esm.checkpoint`` trace event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimError

if TYPE_CHECKING:
    from kinesim._esm.mapping import EventSourceMapping
    from kinesim._kinesis.shard import Shard

__all__ = ["Checkpoint"]

#: The fate "lost to retention": settled through the mapping (its metric and trace event).
EXPIRED = "expired"
#: The fate of a record the mapping's filters dropped (counted in the trace event).
FILTERED = "filtered"


class Checkpoint:
    """The checkpoint of one shard for one mapping. See the module docstring."""

    __slots__ = ("_codes", "_fates", "_kinds", "mapping", "position", "shard")

    def __init__(self, mapping: EventSourceMapping, shard: Shard, position: int) -> None:
        self.mapping = mapping
        self.shard = shard
        #: The first record not yet settled.
        self.position = position
        # NOTE: finished-but-waiting records as one byte each (0: not finished, else a code of
        # ``_kinds``) for positions ``position, position + 1, ...``: C-level searches find the
        # next unfinished record and check that a run has one fate (bench_esm, PF 4).
        self._fates = bytearray()
        self._kinds: list[str] = [""]
        self._codes: dict[str, int] = {}

    def _code(self, kind: str) -> int:
        code = self._codes.get(kind)
        if code is None:
            code = self._codes[kind] = len(self._kinds)
            self._kinds.append(kind)
        return code

    def finished(self, position: int) -> bool:
        """Whether the record at ``position`` has its fate (settled or waiting)."""
        k = position - self.position
        return k < 0 or (k < len(self._fates) and self._fates[k] != 0)

    def finish(self, positions: Sequence[int], kind: str) -> None:
        """The records at ``positions`` (ascending) reached their fate ``kind``; a record that
        already has one keeps it."""
        if not positions:
            return
        start = self.position
        if isinstance(positions, range) and positions.start == start and not self._fates:
            # The common case (one lane, in order): settle at once.
            self._settle(start, positions.stop, kind)
            return
        fates = self._fates
        code = self._code(kind)
        need = positions[-1] + 1 - start
        if need > len(fates):
            fates.extend(bytes(need - len(fates)))
        if isinstance(positions, range):
            a, b = max(positions.start - start, 0), positions.stop - start
            if a < b and fates.count(0, a, b) == b - a:
                fates[a:b] = bytes((code,)) * (b - a)
            else:
                for k in range(a, b):
                    if not fates[k]:
                        fates[k] = code
        else:
            for p in positions:
                k = p - start
                if k >= 0 and not fates[k]:
                    fates[k] = code
        self.advance()

    def lose_before(self, trim: int) -> None:
        """Retention trimmed the records before ``trim``: those not finished are lost."""
        if trim > self.position:
            self.finish(range(self.position, trim), EXPIRED)

    def advance(self) -> None:
        """Move over the finished records at the front, settling them in order."""
        fates = self._fates
        if not fates or not fates[0]:
            return
        n = fates.find(0)
        if n < 0:
            n = len(fates)
        start = self.position
        kinds = self._kinds
        i = 0
        fate = ""  # the trace's: the last fate other than filtered, if any
        filtered = 0
        while i < n:
            code = fates[i]
            kind = kinds[code]
            if fates.count(code, i, n) == n - i:
                j = n
            else:
                j = i + 1
                while fates[j] == code:
                    j += 1
            self._settle_run(start + i, start + j, kind)
            if kind == FILTERED:
                filtered += j - i
                fate = fate or kind
            else:
                fate = kind
            i = j
        del fates[:n]
        self.position = start + n
        self._trace(start, fate, filtered)

    def _settle(self, start: int, end: int, kind: str) -> None:
        self._settle_run(start, end, kind)
        self.position = end
        self._trace(start, kind, end - start if kind == FILTERED else 0)

    def _settle_run(self, start: int, end: int, kind: str) -> None:
        mapping = self.mapping
        if kind == EXPIRED:
            mapping._lose(self.shard, start, end)
        else:
            mapping.ledger.settle(self.shard.shard_id, start, end, kind, mapping.sim.now_ms)

    def _trace(self, start: int, kind: str, filtered: int) -> None:
        mapping = self.mapping
        trace = mapping.sim.trace
        if not trace.wants("esm.checkpoint"):
            return
        end = self.position
        try:
            sequence_number = self.shard.sequence_number(end - 1)
        except KinesimError:  # trimmed meanwhile
            sequence_number = ""
        fields: dict[str, Any] = {}
        if mapping.record_filter is not None:
            fields["filtered"] = filtered
        trace.emit(
            "esm.checkpoint",
            uuid=mapping.uuid,
            shard=self.shard.shard_id,
            sequence_number=sequence_number,
            fate=kind,
            count=end - start - filtered,
            **fields,
        )

    def _check(self) -> None:
        fates = self._fates
        assert not fates or not fates[0], "a finished record at the checkpoint"
        ledger_checkpoint = self.mapping.ledger.checkpoint(self.shard.shard_id)
        assert ledger_checkpoint == self.position, (
            f"{self.shard.shard_id}: checkpoint {self.position} but the ledger settled up to "
            f"{ledger_checkpoint}"
        )
