"""A producer that behaves like an AWS SDK client putting records with PutRecords.

Every ``flush_interval_s`` (like the Kinesis Producer Library's ``RecordMaxBufferedTime``,
100 ms by default) the producer sends what arrived since the last flush, in PutRecords calls of at
most 500 entries. Entries that come back throttled (``ProvisionedThroughputExceededException``)
are retried with capped exponential backoff and full jitter, the AWS SDKs' "standard" retry
strategy, until ``max_attempts`` attempts have been made; then the producer gives up on them and
counts them (``gave_up``). AWS documents the SDK's strategy but not a producer's batching, so
every number here is a named parameter (:class:`ProducerConfig`).

Records are added in bulk: one list of keys and one of sizes per flush. Data bytes are shared
objects (one ``bytes`` per distinct size), so a retained record costs no payload memory.
"""

from __future__ import annotations

import random
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from operator import add
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimValueError
from kinesim._kinesis.bulk import put_bulk
from kinesim.whatif._pricing import PUT_PAYLOAD_UNIT_BYTES

if TYPE_CHECKING:
    from kinesim._kinesis.stream import Stream
    from kinesim._simulator import Simulator

__all__ = ["Producer", "ProducerConfig", "ProducerStats"]

MAX_ENTRIES_PER_CALL = 500
#: Marks the poison records (never produced by a size distribution: sizes give zero bytes).
POISON_DATA = b"kinesim-whatif-poison"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProducerConfig:
    """How the producer batches and retries (ASSUMED defaults; see the module docstring).

    - ``flush_interval_s`` 0.1: the KPL's ``RecordMaxBufferedTime`` default (100 ms).
    - ``max_attempts`` 3: the AWS SDKs' standard retry mode default (1 try + 2 retries).
    - ``backoff_base_s`` 0.1 and ``backoff_cap_s`` 20: retry n (1, 2, ...) waits
      ``uniform(0, min(cap, base * 2 ** n))`` seconds (full jitter; 20 s is the SDKs' cap).
    """

    flush_interval_s: float = 0.1
    max_attempts: int = 3
    backoff_base_s: float = 0.1
    backoff_cap_s: float = 20.0

    def __post_init__(self) -> None:
        if not 0.001 <= self.flush_interval_s <= 60:
            raise KinesimValueError(
                f"ProducerConfig.flush_interval_s must be in [0.001, 60], got "
                f"{self.flush_interval_s!r}"
            )
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise KinesimValueError(
                f"ProducerConfig.max_attempts must be an int >= 1, got {self.max_attempts!r}"
            )
        if self.max_attempts < 1:
            raise KinesimValueError(
                f"ProducerConfig.max_attempts must be an int >= 1, got {self.max_attempts!r}"
            )
        if not 0 <= self.backoff_base_s <= self.backoff_cap_s:
            raise KinesimValueError(
                "ProducerConfig needs 0 <= backoff_base_s <= backoff_cap_s, got "
                f"{self.backoff_base_s!r}, {self.backoff_cap_s!r}"
            )

    @property
    def flush_interval_ms(self) -> int:
        return max(1, round(self.flush_interval_s * 1000))

    def backoff_ms(self, retry: int, rng: random.Random) -> int:
        """Delay before retry number ``retry`` (1-based), full jitter."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * 2 ** min(retry, 60))
        return int(rng.random() * ceiling * 1000)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class ProducerStats:
    """Counters the report reads (records, not calls, unless the name says calls)."""

    generated: int = 0
    put_ok: int = 0
    put_calls: int = 0
    throttled_entries: int = 0
    retried: int = 0
    gave_up: int = 0
    bytes_ok: int = 0
    put_payload_units: int = 0
    on_demand_bytes: int = 0


class _Pending:
    """Entries waiting for a retry, with their attempt count so far."""

    __slots__ = ("attempts", "data", "due_ms", "keys")

    def __init__(self, due_ms: int, attempts: int, data: list[bytes], keys: list[str]) -> None:
        self.due_ms = due_ms
        self.attempts = attempts
        self.data = data
        self.keys = keys


class Producer:
    """Feeds ``stream`` from ``source(start_ms, end_ms) -> (keys, sizes)`` until ``stop_ms``.

    ``on_poison(shard_id, position)`` is called for each poison record the stream accepts.
    """

    def __init__(
        self,
        sim: Simulator,
        stream: Stream,
        source: Callable[[int, int], tuple[list[str], list[int]]],
        *,
        config: ProducerConfig,
        stop_ms: int,
        poison_times_ms: list[int] | None = None,
        poison_key: Callable[[], str] | None = None,
        on_poison: Callable[[str, int], object] | None = None,
    ) -> None:
        self.sim = sim
        self.stream = stream
        self.source = source
        self.config = config
        self.stop_ms = stop_ms
        self.stats = ProducerStats()
        self._rng = sim.random("whatif.producer.backoff")
        self._retries: list[_Pending] = []
        self._payloads: dict[int, bytes] = {}
        self._units: dict[int, tuple[int, int]] = {}
        self._key_sizes: dict[str, int] = {}
        self._poison = deque(poison_times_ms or ())
        self._poison_key = poison_key
        self._on_poison = on_poison
        self._start_ms = sim.now_ms
        self._last_ms = sim.now_ms

    def start(self) -> None:
        self.sim.call_later_ms(self.config.flush_interval_ms, self._flush)

    def _key_bytes(self, key: str) -> int:
        size = self._key_sizes.get(key)
        if size is None:
            size = self._key_sizes[key] = len(key.encode("utf-8"))
        return size

    def _payload(self, size: int) -> bytes:
        data = self._payloads.get(size)
        if data is None:
            data = self._payloads[size] = bytes(size)
        return data

    def _flush(self) -> None:
        sim = self.sim
        now_ms = sim.now_ms
        start, end = self._last_ms - self._start_ms, now_ms - self._start_ms
        self._last_ms = now_ms
        keys, sizes = self.source(start, end)
        stats = self.stats
        stats.generated += len(keys)
        payloads = self._payloads
        if len(payloads) < 4096:
            for size in sizes:
                if size not in payloads:
                    self._payload(size)
            data = [payloads[size] for size in sizes]
        else:  # pragma: no cover - very many distinct sizes: do not cache them all
            data = [bytes(size) for size in sizes]
        self._send(data, list(keys), attempts=0)
        poison = self._poison
        while poison and poison[0] < end:
            poison.popleft()
            key = self._poison_key() if self._poison_key is not None else "poison"
            stats.generated += 1
            self._send([POISON_DATA], [key], attempts=0, poison=True)
        if self._retries:
            due = [p for p in self._retries if p.due_ms <= now_ms]
            if due:
                self._retries = [p for p in self._retries if p.due_ms > now_ms]
                for pending in due:
                    stats.retried += len(pending.keys)
                    self._send(pending.data, pending.keys, attempts=pending.attempts)
        if now_ms + self.config.flush_interval_ms <= self._start_ms + self.stop_ms or (
            self._retries
        ):
            sim.call_later_ms(self.config.flush_interval_ms, self._flush)

    def _send(
        self, data: list[bytes], keys: list[str], *, attempts: int, poison: bool = False
    ) -> None:
        if not keys:
            return
        stats = self.stats
        stream = self.stream
        units = self._units
        failed_data: list[bytes] = []
        failed_keys: list[str] = []
        for first in range(0, len(keys), MAX_ENTRIES_PER_CALL):
            chunk_data = data[first : first + MAX_ENTRIES_PER_CALL]
            chunk_keys = keys[first : first + MAX_ENTRIES_PER_CALL]
            result = put_bulk(stream, chunk_data, chunk_keys)
            stats.put_calls += 1
            failed = result.failed
            if failed:
                failed_set = set(failed)
                failed_data.extend(chunk_data[i] for i in failed)
                failed_keys.extend(chunk_keys[i] for i in failed)
                keep = [i for i in range(len(chunk_keys)) if i not in failed_set]
                chunk_data = [chunk_data[i] for i in keep]
                chunk_keys = [chunk_keys[i] for i in keep]
            # NOTE: per-call sums through C-level maps; the cost units are cached per size.
            sizes = list(map(add, map(len, chunk_data), map(self._key_bytes, chunk_keys)))
            stats.bytes_ok += sum(sizes)
            for size, count in Counter(sizes).items():
                cost = units.get(size)
                if cost is None:
                    cost = units[size] = (
                        max(1, -(-size // PUT_PAYLOAD_UNIT_BYTES)),
                        max(1, -(-size // 1024)) * 1024,
                    )
                stats.put_payload_units += cost[0] * count
                stats.on_demand_bytes += cost[1] * count
            stats.put_ok += len(chunk_keys)
            if poison and result.appended and self._on_poison is not None:
                shard, position, _ = result.appended[0]
                self._on_poison(shard.shard_id, position)
        if failed_keys:
            stats.throttled_entries += len(failed_keys)
            attempts += 1
            if attempts >= self.config.max_attempts:
                stats.gave_up += len(failed_keys)
                return
            delay_ms = self.config.backoff_ms(attempts, self._rng)
            self._retries.append(
                _Pending(self.sim.now_ms + delay_ms, attempts, failed_data, failed_keys)
            )
