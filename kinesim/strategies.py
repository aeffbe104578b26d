"""Hypothesis strategies for Kinesis workloads, mapping configurations and fault plans.

``import kinesim`` does not import this module (it imports hypothesis); import it yourself::

    from kinesim import strategies as ks

    @given(batch=ks.record_batches(distribution="hot"))
    def test_handler(batch): ...

Every strategy draws values that AWS accepts, and each shrinks towards the simplest case: one
short ASCII key, empty payloads, one put, the default mapping settings, a plan with no faults.

- Keys and payloads: :func:`partition_keys`, :func:`key_sequences` (``uniform``, ``skewed`` or
  one ``hot`` key), :func:`payloads` (bytes or JSON, with size bounds), :func:`records`,
  :func:`record_batches`.
- Load over virtual time: :func:`put_schedules` (``steady`` or ``bursty``) gives a
  :class:`PutSchedule` that :meth:`PutSchedule.apply` turns into timed puts on a stream.
- Configuration: :func:`mapping_configs` gives keyword arguments for
  ``sim.lambda_.create_event_source_mapping``.
- Faults: :func:`fault_plans` gives a :class:`FaultPlan` (poison records, a failure
  probability per invocation, timeouts, throttle windows via reserved concurrency, reshards,
  disable/enable windows) that :meth:`FaultPlan.apply` schedules against a simulator.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

if TYPE_CHECKING:
    import random

    from kinesim._simulator import Simulator

__all__ = [
    "MAX_DATA_BYTES",
    "MAX_KEY_CHARS",
    "MAX_PUT_RECORDS",
    "POISON_PREFIX",
    "FaultEvent",
    "FaultPlan",
    "InjectedFailure",
    "PoisonRecordError",
    "PutSchedule",
    "ScheduledPut",
    "fault_plans",
    "is_poison",
    "key_sequences",
    "mapping_configs",
    "partition_keys",
    "payloads",
    "poisoned",
    "put_schedules",
    "record_batches",
    "records",
]

#: Kinesis partition keys are 1 to 256 Unicode characters.
MAX_KEY_CHARS = 256
#: The largest data blob of one record (1 MiB, before base64).
MAX_DATA_BYTES = 1024 * 1024
#: PutRecords takes at most 500 records per call.
MAX_PUT_RECORDS = 500
#: Data that starts with these bytes is a poison record for :meth:`FaultPlan.wrap`.
POISON_PREFIX = b"kinesim:poison:"

Distribution = Literal["uniform", "skewed", "hot"]
_DISTRIBUTIONS = ("uniform", "skewed", "hot")
Record = tuple[bytes, str]


def _check_bounds(name: str, low: int, high: int | None, floor: int, ceiling: int) -> None:
    for label, value in ((f"min_{name}", low), (f"max_{name}", high)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidArgument(f"{label} must be an int, got {value!r}")
    if low < floor:
        raise InvalidArgument(f"min_{name}={low} is below the smallest allowed, {floor}")
    if high is not None and high > ceiling:
        raise InvalidArgument(f"max_{name}={high} exceeds the largest allowed, {ceiling}")
    if high is not None and high < low:
        raise InvalidArgument(f"max_{name}={high} is less than min_{name}={low}")


# -- partition keys -------------------------------------------------------------------------------


def partition_keys(
    *,
    min_size: int = 1,
    max_size: int = MAX_KEY_CHARS,
    alphabet: st.SearchStrategy[str] | str | None = None,
) -> st.SearchStrategy[str]:
    """Valid partition keys: ``min_size`` to ``max_size`` characters (1 to 256).

    The default alphabet is any Unicode character that UTF-8 can encode (no lone surrogates),
    so keys exercise multi-byte characters and MD5 hashing of their UTF-8 bytes.
    """
    _check_bounds("size", min_size, max_size, 1, MAX_KEY_CHARS)
    if alphabet is None:
        alphabet = st.characters(codec="utf-8")
    return st.text(alphabet=alphabet, min_size=min_size, max_size=max_size)


def _pick_key(
    pool: list[str], distribution: Distribution, hot_share: float
) -> st.SearchStrategy[str]:
    if distribution == "uniform" or len(pool) == 1:
        return st.sampled_from(pool)
    percent = round(hot_share * 100)
    if distribution == "hot":
        # About hot_share of the records carry the first key; the rest spread over the others.
        hot, others = pool[0], pool[1:]
        return st.integers(0, 99).flatmap(
            lambda p: st.just(hot) if p < percent else st.sampled_from(others)
        )
    # skewed: key i is drawn about twice as often as key i + 1 (a geometric law over the pool):
    # the number of trailing one bits of a uniform u is i with probability 2 ** -(i + 1), and
    # u = 0 (where hypothesis shrinks to) picks the commonest key.
    last = len(pool) - 1
    return st.integers(0, 2**last - 1).map(lambda u: pool[_skewed_index(u, last)])


def _skewed_index(u: int, last: int) -> int:
    """The number of trailing one bits of ``u``, at most ``last``."""
    return min(last, (~u & (u + 1)).bit_length() - 1)


def _check_distribution(distribution: str, hot_share: float) -> None:
    if distribution not in _DISTRIBUTIONS:
        raise InvalidArgument(
            f"distribution={distribution!r} is not one of {', '.join(map(repr, _DISTRIBUTIONS))}"
        )
    if not (isinstance(hot_share, (int, float)) and 0 < hot_share < 1):
        raise InvalidArgument(f"hot_share must be between 0 and 1 (exclusive), got {hot_share!r}")


@st.composite
def _key_pools(draw: st.DrawFn, keys: st.SearchStrategy[str], max_keys: int) -> list[str]:
    return draw(st.lists(keys, min_size=1, max_size=max_keys, unique=True))


def key_sequences(
    *,
    distribution: Distribution = "uniform",
    min_size: int = 1,
    max_size: int = 50,
    max_keys: int = 16,
    hot_share: float = 0.8,
    keys: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[list[str]]:
    """Lists of partition keys drawn from a pool of up to ``max_keys`` distinct keys.

    ``distribution``: ``"uniform"`` (every key of the pool alike), ``"skewed"`` (each key about
    twice as common as the next: a few keys carry most records) or ``"hot"`` (about
    ``hot_share`` of the records share one key). Hypothesis steers its own draws, so these are
    tendencies, not exact frequencies.
    """
    _check_distribution(distribution, hot_share)
    _check_bounds("size", min_size, max_size, 0, 10**6)
    if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
        raise InvalidArgument(f"max_keys must be an int >= 1, got {max_keys!r}")
    key_strategy = partition_keys(max_size=16) if keys is None else keys
    return _key_pools(key_strategy, max_keys).flatmap(
        lambda pool: st.lists(
            _pick_key(pool, distribution, hot_share), min_size=min_size, max_size=max_size
        )
    )


# -- payloads -------------------------------------------------------------------------------------

_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
_JSON_OBJECTS: st.SearchStrategy[dict[str, Any]] = st.dictionaries(
    st.text(max_size=10),
    st.recursive(
        _JSON_LEAVES,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=8,
    ),
    max_size=6,
)


def _fit_json(document: dict[str, Any], min_size: int, max_size: int) -> bytes:
    """The document as compact UTF-8 JSON, trimmed (keys dropped) and padded into the bounds."""
    document = dict(document)
    encoded = json.dumps(document, separators=(",", ":")).encode()
    while len(encoded) > max_size and document:
        document.pop(next(reversed(document)))
        encoded = json.dumps(document, separators=(",", ":")).encode()
    if len(encoded) < min_size:
        # {"_pad":"xxx"} adds 10 bytes of framing (one fewer when the object was empty).
        framing = 9 if not document else 10
        document["_pad"] = "x" * max(0, min_size - len(encoded) - framing)
        encoded = json.dumps(document, separators=(",", ":")).encode()
    return encoded


def payloads(
    *,
    min_size: int = 0,
    max_size: int = 1024,
    format: Literal["bytes", "json"] = "bytes",
) -> st.SearchStrategy[bytes]:
    """Record data of ``min_size`` to ``max_size`` bytes (at most 1 MiB).

    ``format="bytes"`` gives arbitrary bytes; ``format="json"`` a JSON object encoded as UTF-8
    (what ``json.loads(base64.b64decode(record["kinesis"]["data"]))`` reads back), which needs
    ``max_size >= 2`` (``{}``) and ``min_size`` 0 or at least 11 (the smallest padded object).
    """
    _check_bounds("size", min_size, max_size, 0, MAX_DATA_BYTES)
    if format == "bytes":
        return st.binary(min_size=min_size, max_size=max_size)
    if format != "json":
        raise InvalidArgument(f"format={format!r} is not 'bytes' or 'json'")
    if max_size < 2:
        raise InvalidArgument(f"format='json' needs max_size >= 2 (for '{{}}'), got {max_size}")
    if 2 < min_size < 11 or (min_size >= 11 and max_size < min_size + 10):
        raise InvalidArgument(
            f"format='json' cannot hit min_size={min_size} within max_size={max_size}: padding "
            "takes a '_pad' member of at least 10 bytes; widen the bounds"
        )
    return _JSON_OBJECTS.map(lambda doc: _fit_json(doc, min_size, max_size))


# -- records and batches --------------------------------------------------------------------------


def records(
    *,
    keys: st.SearchStrategy[str] | None = None,
    data: st.SearchStrategy[bytes] | None = None,
) -> st.SearchStrategy[Record]:
    """``(data, partition_key)`` pairs, the entry format ``stream.put_records`` takes."""
    key_strategy = partition_keys() if keys is None else keys
    data_strategy = payloads(max_size=256) if data is None else data
    return st.tuples(data_strategy, key_strategy)


def record_batches(
    *,
    min_size: int = 1,
    max_size: int = 100,
    distribution: Distribution = "uniform",
    max_keys: int = 16,
    hot_share: float = 0.8,
    keys: st.SearchStrategy[str] | None = None,
    data: st.SearchStrategy[bytes] | None = None,
) -> st.SearchStrategy[list[Record]]:
    """Lists of ``(data, partition_key)`` for one ``put_records`` call (at most 500 records).

    Keys follow ``distribution`` as in :func:`key_sequences`.
    """
    _check_bounds("size", min_size, max_size, 0, MAX_PUT_RECORDS)
    data_strategy = payloads(max_size=64) if data is None else data
    return key_sequences(
        distribution=distribution,
        min_size=min_size,
        max_size=max_size,
        max_keys=max_keys,
        hot_share=hot_share,
        keys=keys,
    ).flatmap(
        lambda key_list: st.lists(
            data_strategy, min_size=len(key_list), max_size=len(key_list)
        ).map(lambda blobs: list(zip(blobs, key_list, strict=True)))
    )


# -- put schedules --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScheduledPut:
    """One ``put_records`` call, ``at_ms`` after the schedule is applied."""

    at_ms: int
    records: tuple[Record, ...]


@dataclass(frozen=True, slots=True)
class PutSchedule:
    """Puts spread over virtual time, oldest first (offsets from when it is applied)."""

    puts: tuple[ScheduledPut, ...]

    @property
    def duration_ms(self) -> int:
        """When the last put happens, after the start."""
        return self.puts[-1].at_ms if self.puts else 0

    @property
    def record_count(self) -> int:
        return sum(len(put.records) for put in self.puts)

    def records(self) -> list[Record]:
        """Every record in the order it is put."""
        return [record for put in self.puts for record in put.records]

    def apply(self, sim: Simulator, stream: Any, *, plan: FaultPlan | None = None) -> list[Any]:
        """Schedule the puts on ``stream`` from now; returns the list their results fill.

        Each entry is the result of one ``stream.put_records`` call, appended when the call
        happens (records throttled by the shard's write limit are reported there, not retried).
        With a ``plan``, the records whose ordinal (0-based, in put order) is in
        ``plan.poison`` are put :func:`poisoned`.
        """
        results: list[Any] = []
        poison = frozenset(plan.poison) if plan is not None else frozenset()
        ordinal = 0
        for put in self.puts:
            entries = []
            for data, key in put.records:
                entries.append((poisoned(data) if ordinal in poison else data, key))
                ordinal += 1
            sim.call_later_ms(put.at_ms, _put, stream, entries, results)
        return results


def _put(stream: Any, entries: list[Record], results: list[Any]) -> None:
    results.append(stream.put_records(entries))


@st.composite
def _schedules(
    draw: st.DrawFn,
    pattern: str,
    min_puts: int,
    max_puts: int,
    max_records_per_put: int,
    interval_ms: tuple[int, int],
    batches: Callable[[int], st.SearchStrategy[list[Record]]],
) -> PutSchedule:
    count = draw(st.integers(min_puts, max_puts))
    puts: list[ScheduledPut] = []
    at_ms = 0
    if pattern == "steady":
        step_ms = draw(st.integers(*interval_ms))
        size = draw(st.integers(1, max_records_per_put))
        for index in range(count):
            puts.append(ScheduledPut(index * step_ms, tuple(draw(batches(size)))))
        return PutSchedule(tuple(puts))
    # bursty: bursts of back-to-back puts (1 ms apart) separated by quiet gaps.
    while len(puts) < count:
        burst = draw(st.integers(1, count - len(puts)))
        for index in range(burst):
            size = draw(st.integers(1, max_records_per_put))
            puts.append(ScheduledPut(at_ms + index, tuple(draw(batches(size)))))
        at_ms += burst + draw(st.integers(interval_ms[0] * 5, interval_ms[1] * 10))
    return PutSchedule(tuple(puts))


def put_schedules(
    *,
    pattern: Literal["steady", "bursty"] | None = None,
    min_puts: int = 1,
    max_puts: int = 20,
    max_records_per_put: int = 10,
    interval_ms: tuple[int, int] = (100, 2000),
    distribution: Distribution = "uniform",
    max_keys: int = 8,
    data: st.SearchStrategy[bytes] | None = None,
) -> st.SearchStrategy[PutSchedule]:
    """A :class:`PutSchedule` of ``min_puts`` to ``max_puts`` ``put_records`` calls.

    ``pattern="steady"``: one put every ``interval_ms`` (one interval, drawn once), all of the
    same size. ``"bursty"``: bursts of puts 1 ms apart, separated by quiet gaps of 5 to 10
    intervals. ``None`` draws either. One key pool (``max_keys`` keys, ``distribution`` as in
    :func:`key_sequences`) serves the whole schedule, so keys repeat across puts.
    """
    if pattern not in (None, "steady", "bursty"):
        raise InvalidArgument(f"pattern={pattern!r} is not 'steady', 'bursty' or None")
    _check_bounds("puts", min_puts, max_puts, 0, 10**5)
    _check_bounds("records_per_put", 1, max_records_per_put, 1, MAX_PUT_RECORDS)
    low, high = interval_ms
    if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
        raise InvalidArgument(
            f"interval_ms must be (low, high) ints with 1 <= low <= high, got {interval_ms!r}"
        )
    _check_distribution(distribution, 0.8)
    data_strategy = payloads(max_size=64) if data is None else data
    patterns = st.sampled_from(["steady", "bursty"]) if pattern is None else st.just(pattern)

    def with_pool(pool: list[str], chosen: str) -> st.SearchStrategy[PutSchedule]:
        pick = _pick_key(pool, distribution, 0.8)

        def batches(size: int) -> st.SearchStrategy[list[Record]]:
            return st.lists(st.tuples(data_strategy, pick), min_size=size, max_size=size)

        return _schedules(chosen, min_puts, max_puts, max_records_per_put, interval_ms, batches)

    return st.tuples(_key_pools(partition_keys(max_size=16), max_keys), patterns).flatmap(
        lambda drawn: with_pool(*drawn)
    )


# -- mapping configurations -----------------------------------------------------------------------


def _as_strategy(value: Any, default: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    if value is None:
        return default
    if isinstance(value, st.SearchStrategy):
        return value
    return st.just(value)


def mapping_configs(
    *,
    starting_position: Any = None,
    batch_size: Any = None,
    batching_window: Any = None,
    parallelization_factor: Any = None,
    bisect_on_error: Any = None,
    max_retry_attempts: Any = None,
    max_record_age: Any = None,
    report_batch_item_failures: Any = None,
) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for ``create_event_source_mapping`` that AWS accepts.

    Each argument overrides one setting with a value or a strategy (e.g.
    ``max_retry_attempts=st.integers(0, 3)`` to keep retries short). By default every
    setting ranges over AWS's valid values, leaning towards small ones: batch size 1-10,000,
    batching window 0-300 s, parallelization factor 1-10, retries -1 (forever) to 10,000,
    record age -1 (forever) or 60-604,800 s. Tumbling windows, filters and on-failure
    destinations are left out (they change what a handler must do; add them yourself).
    """
    small_first = st.integers  # readability: integers() shrinks towards the low bound
    settings: dict[str, st.SearchStrategy[Any]] = {
        "starting_position": _as_strategy(starting_position, st.just("TRIM_HORIZON")),
        "batch_size": _as_strategy(
            batch_size, st.one_of(small_first(1, 100), small_first(1, 10_000))
        ),
        "batching_window": _as_strategy(
            batching_window, st.one_of(st.just(0), small_first(0, 300))
        ),
        "parallelization_factor": _as_strategy(parallelization_factor, small_first(1, 10)),
        "bisect_on_error": _as_strategy(bisect_on_error, st.booleans()),
        "max_retry_attempts": _as_strategy(
            max_retry_attempts, st.one_of(small_first(-1, 10), small_first(-1, 10_000))
        ),
        "max_record_age": _as_strategy(
            max_record_age, st.one_of(st.just(-1), small_first(60, 604_800))
        ),
        "report_batch_item_failures": _as_strategy(report_batch_item_failures, st.booleans()),
    }
    return st.fixed_dictionaries(settings)


# -- fault plans ----------------------------------------------------------------------------------


def poisoned(data: bytes) -> bytes:
    """``data`` marked as a poison record (:data:`POISON_PREFIX` in front)."""
    return POISON_PREFIX + data


def is_poison(data: bytes) -> bool:
    """Whether ``data`` (the record's decoded bytes) is marked as poison."""
    return data.startswith(POISON_PREFIX)


class PoisonRecordError(Exception):
    """Raised by a :meth:`FaultPlan.wrap`-ped handler on reaching a poison record."""


class InjectedFailure(Exception):
    """Raised by a :meth:`FaultPlan.wrap`-ped handler to fail an invocation on purpose."""


FaultKind = Literal["throttle", "concurrency", "reshard", "disable"]


@dataclass(frozen=True, slots=True)
class FaultEvent:
    """A control-plane fault ``at_ms`` after the plan is applied.

    ``throttle``: reserved concurrency 0 for ``duration_ms``, then back to what it was.
    ``concurrency``: reserved concurrency ``value`` from then on. ``reshard``:
    ``update_shard_count(value)``. ``disable``: the mapping disabled for ``duration_ms``.
    """

    at_ms: int
    kind: FaultKind
    value: int = 0
    duration_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultPlan:
    """Faults to inject into one simulated pipeline. The empty plan injects none.

    - ``poison``: ordinals of records (0-based, in put order) that :meth:`PutSchedule.apply`
      marks poisoned; a wrapped handler processes the records before the first poison one in
      its batch, then raises :class:`PoisonRecordError` (every time: a poison record never
      succeeds).
    - ``failure_probability``: each invocation of a wrapped handler fails with
      :class:`InjectedFailure` *after* the handler ran (its side effects happened: the retry
      repeats them, as a crash after processing does on AWS).
    - ``timeout_probability``: each invocation runs past the function's timeout (its
      :meth:`duration` says so), again after the handler ran.
    - ``events``: control-plane faults (:class:`FaultEvent`), oldest first.
    """

    poison: tuple[int, ...] = ()
    failure_probability: float = 0.0
    timeout_probability: float = 0.0
    events: tuple[FaultEvent, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("failure_probability", "timeout_probability"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and 0 <= value <= 1):
                raise InvalidArgument(f"{name} must be between 0 and 1, got {value!r}")
        times = [event.at_ms for event in self.events]
        if times != sorted(times):
            raise InvalidArgument("FaultPlan.events must be in time order")

    @property
    def empty(self) -> bool:
        return not (
            self.poison or self.failure_probability or self.timeout_probability or self.events
        )

    def wrap(
        self, handler: Callable[[Any, Any], Any], rng: random.Random
    ) -> Callable[[Any, Any], Any]:
        """``handler`` with this plan's data-plane faults (poison records, failures).

        ``rng`` decides which invocations fail: pass a named generator of the simulator
        (``sim.random("faults")``) so that the same seed fails the same invocations.
        """
        failure_probability = self.failure_probability

        def faulty(event: Any, context: Any) -> Any:
            batch = event.get("Records", []) if isinstance(event, dict) else []
            for index, record in enumerate(batch):
                if is_poison(_record_data(record)):
                    if index:
                        handler({**event, "Records": batch[:index]}, context)
                    raise PoisonRecordError(
                        f"poison record {record['kinesis']['sequenceNumber']} "
                        f"(partition key {record['kinesis']['partitionKey']!r})"
                    )
            result = handler(event, context)
            if failure_probability and rng.random() < failure_probability:
                raise InjectedFailure(f"injected failure after processing {len(batch)} records")
            return result

        return functools.wraps(handler)(faulty)

    def duration(
        self, base_s: float, timeout_s: float, rng: random.Random
    ) -> Callable[[Any, Any], float]:
        """A ``duration=`` callable: ``base_s``, or past ``timeout_s`` with the plan's odds."""
        probability = self.timeout_probability

        def seconds(event: Any, context: Any) -> float:
            if probability and rng.random() < probability:
                return timeout_s + 1.0
            return base_s

        return seconds

    def apply(
        self,
        sim: Simulator,
        *,
        function: Any = None,
        stream: Any = None,
        mapping: Any = None,
    ) -> None:
        """Schedule the plan's control-plane :attr:`events` from now.

        ``function`` is needed for ``throttle`` and ``concurrency``, ``stream`` for
        ``reshard`` and ``mapping`` for ``disable``.
        """
        targets = {
            "throttle": ("function", function),
            "concurrency": ("function", function),
            "reshard": ("stream", stream),
            "disable": ("mapping", mapping),
        }
        for event in self.events:  # check everything before scheduling anything
            name, target = targets[event.kind]
            if target is None:
                raise InvalidArgument(
                    f"this plan has a {event.kind} fault: pass {name}= to FaultPlan.apply"
                )
        runner = _FaultRunner(sim, function, stream, mapping)
        for event in self.events:
            sim.call_later_ms(event.at_ms, runner.start, event)


def _record_data(record: Any) -> bytes:
    try:
        return base64.b64decode(record["kinesis"]["data"])
    except (KeyError, TypeError, ValueError):
        return b""


class _FaultRunner:
    """Carries out one applied plan's control-plane events. Windows may overlap: the function
    stays throttled, and the mapping disabled, until the last overlapping window ends."""

    def __init__(self, sim: Simulator, function: Any, stream: Any, mapping: Any) -> None:
        self.sim = sim
        self.function = function
        self.stream = stream
        self.mapping = mapping
        self.throttles = 0
        self.baseline: int | None = None  # the reserved concurrency outside throttle windows
        self.disables = 0

    def start(self, event: FaultEvent) -> None:
        lambda_ = self.sim.lambda_
        if event.kind == "throttle":
            if not self.throttles:
                self.baseline = lambda_.get_function_concurrency(self.function)
                lambda_.put_function_concurrency(self.function, 0)
            self.throttles += 1
            self.sim.call_later_ms(event.duration_ms, self.end_throttle)
        elif event.kind == "concurrency":
            self.baseline = event.value
            if not self.throttles:
                lambda_.put_function_concurrency(self.function, event.value)
        elif event.kind == "reshard":
            self.stream.update_shard_count(event.value)
        else:
            self.disables += 1
            self.sync_enabled()
            self.sim.call_later_ms(event.duration_ms, self.end_disable)

    def end_throttle(self) -> None:
        self.throttles -= 1
        if not self.throttles:
            lambda_ = self.sim.lambda_
            if self.baseline is None:
                lambda_.delete_function_concurrency(self.function)
            else:
                lambda_.put_function_concurrency(self.function, self.baseline)

    def end_disable(self) -> None:
        self.disables -= 1
        self.sync_enabled()

    def sync_enabled(self) -> None:
        mapping = self.mapping
        if mapping.state not in ("Enabled", "Disabled"):
            # Still in a transition (sim.timings.mapping_transition_s): look again a second later.
            self.sim.call_later_ms(1000, self.sync_enabled)
            return
        wanted = not self.disables
        if mapping.enabled != wanted:
            self.sim.lambda_.update_event_source_mapping(mapping, enabled=wanted)


@st.composite
def _plans(
    draw: st.DrawFn,
    records: int,
    shards: int,
    max_shards: int,
    horizon_ms: int,
    kinds: Sequence[str],
    max_events: int,
    probabilities: bool,
) -> FaultPlan:
    poison: tuple[int, ...] = ()
    if records and "poison" in kinds:
        poison = tuple(sorted(draw(st.sets(st.integers(0, records - 1), max_size=min(3, records)))))
    odds = st.sampled_from([0.0, 0.1, 0.25, 0.5])
    failure = draw(odds) if probabilities and "failure" in kinds else 0.0
    timeout = draw(odds) if probabilities and "timeout" in kinds else 0.0
    event_kinds = [
        kind for kind in kinds if kind in ("throttle", "concurrency", "reshard", "disable")
    ]
    events: list[FaultEvent] = []
    count = shards
    if event_kinds and horizon_ms:
        count_events = draw(st.integers(0, max_events))
        times = sorted(draw(st.integers(0, horizon_ms)) for _ in range(count_events))
        for at_ms in times:
            kind = draw(st.sampled_from(event_kinds))
            if kind == "reshard":
                # UpdateShardCount goes from half to double the current count.
                low, high = math.ceil(count / 2), min(2 * count, max_shards)
                choices = [n for n in range(low, high + 1) if n != count]
                if not choices:
                    continue
                count = draw(st.sampled_from(choices))
                events.append(FaultEvent(at_ms, "reshard", count))
            elif kind == "concurrency":
                events.append(FaultEvent(at_ms, "concurrency", draw(st.integers(1, 10))))
            else:
                duration = draw(st.integers(1, max(1, horizon_ms // 4)))
                events.append(FaultEvent(at_ms, kind, 0, duration))  # type: ignore[arg-type]
    return FaultPlan(
        poison=poison,
        failure_probability=failure,
        timeout_probability=timeout,
        events=tuple(events),
    )


_FAULT_KINDS = ("poison", "failure", "timeout", "throttle", "concurrency", "reshard", "disable")


def fault_plans(
    *,
    records: int = 0,
    shards: int = 1,
    max_shards: int = 8,
    horizon_s: float = 600.0,
    kinds: Sequence[str] = _FAULT_KINDS,
    max_events: int = 4,
    probabilities: bool = True,
) -> st.SearchStrategy[FaultPlan]:
    """:class:`FaultPlan` values over ``horizon_s`` virtual seconds.

    ``records``: how many records the workload puts (poison ordinals are drawn below it; 0
    means no poison). ``shards``: the stream's shard count at the start (reshards go from half
    to double the current count, never above ``max_shards``). ``kinds``: the kinds of fault
    to draw from, any of ``poison``, ``failure``, ``timeout``, ``throttle``, ``concurrency``,
    ``reshard``, ``disable``. Shrinks towards the empty plan.
    """
    unknown = sorted(set(kinds) - set(_FAULT_KINDS))
    if unknown:
        raise InvalidArgument(f"unknown fault kinds {unknown}; choose from {list(_FAULT_KINDS)}")
    _check_bounds("shards", shards, max_shards, 1, 10_000)
    if isinstance(records, bool) or not isinstance(records, int) or records < 0:
        raise InvalidArgument(f"records must be an int >= 0, got {records!r}")
    if not (isinstance(horizon_s, (int, float)) and 0 <= horizon_s < math.inf):
        raise InvalidArgument(f"horizon_s must be finite seconds >= 0, got {horizon_s!r}")
    return _plans(
        records,
        shards,
        max_shards,
        round(horizon_s * 1000),
        tuple(kinds),
        max_events,
        probabilities,
    )
