"""A ready hypothesis state machine that hunts for bugs in a Kinesis-triggered handler.

Subclass :class:`KinesimMachine`, give it your handler, and collect ``.TestCase``::

    from kinesim.stateful import KinesimMachine

    class OrdersMachine(KinesimMachine):
        mapping_config = {"batch_size": 5, "max_retry_attempts": 2}

        def __init__(self):
            super().__init__()
            self.totals = {}

        def handler(self, event, context):        # your handler's logic, unchanged
            ...

    TestOrders = OrdersMachine.TestCase

The machine owns a simulator, a stream, a function running your handler and an event source
mapping (with an SQS queue as on-failure destination). Its rules put records, advance virtual
time, inject faults (poison records, failed invocations, timeouts, throttling through reserved
concurrency, disable/enable, and reshards when asked), change concurrency and drain. After every
step it checks per-key order of what your handler saw and every model's ``_check()``
(checkpoints never move backwards); at quiescence (the ``drain`` rule and the end of each run)
it checks that no record was lost silently and that every record the mapping settled reached
your handler. Add your own ``@rule``\\ s and ``@invariant``\\ s as in any hypothesis machine;
:meth:`KinesimMachine.check_idempotent` checks your side effects against the records your
handler was given.

``import kinesim`` does not import this module (it imports hypothesis).
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, ClassVar

from hypothesis import Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kinesim import invariants
from kinesim._errors import AWSError, KinesimError, KinesimTypeError, KinesimValueError
from kinesim._lambda.durations import as_duration_model
from kinesim._simulator import Simulator
from kinesim.invariants import Delivery, InvariantViolation, SeenRecord
from kinesim.strategies import InjectedFailure, PoisonRecordError, is_poison, poisoned

__all__ = ["FAULTS", "KinesimMachine"]

# A violation's traceback ends at the user's rule or invariant: kinesim's frames are hidden.
__tracebackhide__ = invariants._hide_for_violations

#: The faults the machine can inject; a subclass picks some with ``faults = (...)``.
FAULTS = ("poison", "failure", "timeout", "throttle", "concurrency", "disable", "reshard")
_DEFAULT_FAULTS = FAULTS

_MAPPING_DEFAULTS: dict[str, Any] = {
    "starting_position": "TRIM_HORIZON",
    "batch_size": 10,
    "max_retry_attempts": 2,
    # Splitting failing batches isolates poison records, so the records around them succeed.
    "bisect_on_error": True,
}
_MAPPING_KEYS = frozenset(
    {
        "starting_position",
        "batch_size",
        "batching_window",
        "parallelization_factor",
        "parallel_failure_policy",
        "bisect_on_error",
        "max_retry_attempts",
        "max_record_age",
        "report_batch_item_failures",
        "retry_backoff",
        "tumbling_window",
        "filters",
        "iterator_age_at",
    }
)
_FUNCTION_DEFAULTS: dict[str, Any] = {"timeout": 3, "duration": 0.05}
_FUNCTION_KEYS = frozenset(
    {"timeout", "memory_mb", "duration", "cold_start", "reserved_concurrency"}
)


class KinesimMachine(RuleBasedStateMachine):
    """Base state machine: a stream, your handler as a function, and a mapping between them.

    Configure it with class attributes in your subclass (all optional except ``handler``):

    - ``handler(self, event, context)``: your handler (or ``handler = staticmethod(fn)``).
    - ``mapping_config``: keyword arguments for ``create_event_source_mapping`` (defaults:
      ``starting_position="TRIM_HORIZON", batch_size=10, max_retry_attempts=2,
      bisect_on_error=True``).
    - ``function_config``: for ``create_function`` (defaults ``timeout=3, duration=0.05``).
    - ``shards`` (1), ``keys`` (``("a", "b", "c")``: the partition keys puts draw from),
      ``faults`` (which of :data:`FAULTS` to inject; all of them by default),
      ``max_shards`` (4, for reshards), ``on_failure`` (True: an SQS on-failure destination),
      ``seed`` (0) and ``drain_timeout_s`` (virtual seconds a drain may take, 86,400).

    A subclass that is only a base for others says so: ``class Base(KinesimMachine,
    abstract=True)``. Mistakes in the configuration fail when the class is defined.

    Attributes for your rules and invariants: ``sim``, ``stream``, ``function``, ``mapping``,
    ``dlq``, ``seen`` (the :class:`~kinesim.invariants.Delivery` list of what your handler was
    called with, oldest first) and ``records`` (every :class:`~kinesim.invariants.SeenRecord`
    Kinesis accepted, in put order).
    """

    shards: ClassVar[int] = 1
    keys: ClassVar[Sequence[str]] = ("a", "b", "c")
    mapping_config: ClassVar[Mapping[str, Any]] = {}
    function_config: ClassVar[Mapping[str, Any]] = {}
    faults: ClassVar[Sequence[str]] = _DEFAULT_FAULTS
    max_shards: ClassVar[int] = 4
    on_failure: ClassVar[bool] = True
    seed: ClassVar[int] = 0
    drain_timeout_s: ClassVar[float] = 86_400.0

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:
            return
        _check_definition(cls)
        _attach_rules(cls)
        # Hypothesis's "explain" phase lists lines run only by failing examples: here, kinesim's
        # own lines, which say nothing about the handler. Leave it out to keep failures short
        # (a subclass's @settings(...) or TestCase.settings still decides).
        test_case = cls.TestCase
        phases = tuple(p for p in test_case.settings.phases if p is not Phase.explain)
        test_case.settings = settings(test_case.settings, phases=phases)

    # -- the pipeline ---------------------------------------------------------------------------

    def __init__(self) -> None:
        super().__init__()
        cls = type(self)
        self.sim = Simulator(seed=cls.seed)
        sim = self.sim
        self.seen: list[Delivery] = []
        self.records: list[SeenRecord] = []
        self._fail_next = 0
        self._timeout_next = 0
        self._ordinal = 0
        self._throttled_until_ms = -1
        function_config = {**_FUNCTION_DEFAULTS, **cls.function_config}
        self._reserved: int | None = function_config.get("reserved_concurrency")
        self._timeout_s = float(function_config["timeout"])
        self._base_duration = as_duration_model(function_config.pop("duration"), "duration")
        self._duration_rng = sim.random("kinesim.stateful.duration")
        self._user_handler: Callable[[Any, Any], Any] = self.handler  # type: ignore[attr-defined]
        self.stream = sim.kinesis.create_stream("machine", shard_count=cls.shards)
        self.dlq = sim.sqs.create_queue("machine-on-failure") if cls.on_failure else None
        self.function = sim.lambda_.create_function(
            "machine", self._invoke, duration=self._duration, **function_config
        )
        self.mapping = sim.lambda_.create_event_source_mapping(
            self.function, self.stream, on_failure=self.dlq, **_mapping_settings(cls)
        )
        sim.advance(0)

    def _invoke(self, event: Any, context: Any) -> Any:
        """The function's handler: your handler, with the machine's faults around it."""
        batch = event["Records"]
        time_ms = self.sim.now_ms
        request_id = context.aws_request_id
        for index, record in enumerate(batch):
            if is_poison(_data(record)):
                if index:
                    head = {**event, "Records": batch[:index]}
                    self.seen.append(
                        Delivery.from_event(head, time_ms=time_ms, request_id=request_id)
                    )
                    self._user_handler(head, context)
                raise PoisonRecordError(
                    f"poison record {record['kinesis']['sequenceNumber']} "
                    f"(partition key {record['kinesis']['partitionKey']!r})"
                )
        self.seen.append(Delivery.from_event(event, time_ms=time_ms, request_id=request_id))
        result = self._user_handler(event, context)
        if self._fail_next:
            self._fail_next -= 1
            raise InjectedFailure(f"injected failure after processing {len(batch)} records")
        return result

    def _duration(self, event: Any, context: Any) -> float:
        if self._timeout_next:
            self._timeout_next -= 1
            return self._timeout_s + 1.0
        return self._base_duration.sample(self._duration_rng, event, context)

    # -- helpers for rules and invariants -----------------------------------------------------

    def put(self, entries: Sequence[tuple[bytes, str]]) -> None:
        """Put ``(data, partition_key)`` records; the accepted ones join :attr:`records`."""
        result = self.stream.put_records(list(entries))
        for (data, key), entry in zip(entries, result.records, strict=True):
            if entry.ok and entry.shard_id and entry.sequence_number:
                self.records.append(SeenRecord(entry.shard_id, entry.sequence_number, key, data))

    def next_data(self) -> bytes:
        """A fresh payload (``b"0"``, ``b"1"``...): every record the machine puts is distinct."""
        data = b"%d" % self._ordinal
        self._ordinal += 1
        return data

    def check_idempotent(self, actual: Any, expected: Callable[[list[SeenRecord]], Any]) -> None:
        """Your side effect ``actual`` equals ``expected(records)`` over the distinct records your
        handler was given (see :func:`kinesim.invariants.check_idempotent`)."""
        try:
            invariants.check_idempotent(actual, self.seen, expected=expected)
        except InvariantViolation:
            pass  # checked again below, outside this block, so one exception is raised
        else:
            return
        # Say why each delivery happened (first, retry, bisect...), as the ledger knows it.
        reasons = {d.request_id: d.reason for d in invariants.deliveries(self.mapping)}
        seen = [replace(d, reason=reasons.get(d.request_id, "")) for d in self.seen]
        invariants.check_idempotent(actual, seen, expected=expected)
        # The first check failed, so the second does (same records, same expectation).
        raise InvariantViolation("check_idempotent failed once and then passed: report this")

    def quiesce(self) -> None:
        """Lift throttles, enable the mapping and drain; then check no record was lost silently
        and every settled record reached the handler."""
        sim = self.sim
        if self._throttled_until_ms >= 0:
            self._throttled_until_ms = -1
            self._apply_concurrency()
        sim.advance(0)  # let a transition begun this instant (Disabling...) complete
        if self.mapping.state == "Disabled":
            sim.lambda_.update_event_source_mapping(self.mapping, enabled=True)
        try:
            sim.drain(timeout=type(self).drain_timeout_s)
        except KinesimError as exc:
            raise InvariantViolation(f"the mapping never caught up: {exc}") from None
        invariants.check_no_silent_loss(self.mapping)
        invariants.check_at_least_once(self.mapping, self.seen)

    def _apply_concurrency(self) -> None:
        lambda_ = self.sim.lambda_
        if self._reserved is None:
            lambda_.delete_function_concurrency(self.function)
        else:
            lambda_.put_function_concurrency(self.function, self._reserved)

    def _end_throttle(self) -> None:
        if 0 <= self._throttled_until_ms <= self.sim.now_ms:
            self._throttled_until_ms = -1
            self._apply_concurrency()

    # -- invariants after every step ----------------------------------------------------------

    @invariant()
    def kinesim_invariants(self) -> None:
        """Records of a partition key reach the handler in order; and every model is consistent
        (the stream's shards; the mapping: checkpoints never move backwards, at most one batch
        in flight per shard, the ledger adds up). One invariant, so a counterexample prints
        one line per step for kinesim's checks."""
        invariants.check_order_per_key(self.seen, self.records)
        self.stream._check()
        self.mapping._check()

    def teardown(self) -> None:
        # At the end of a run that did not fail, reach quiescence and check for silent loss.
        # (During a failure, sys.exc_info() holds it: do not hide it behind a second one.)
        if sys.exc_info()[0] is None:
            self.quiesce()


# -- rules, built per subclass (their strategies read the subclass's configuration) -----------


def _attach_rules(cls: type[KinesimMachine]) -> None:
    faults = set(cls.faults)
    keys = st.sampled_from(list(cls.keys))

    def put_records(self: KinesimMachine, keys: list[str]) -> None:
        self.put([(self.next_data(), key) for key in keys])

    def advance(self: KinesimMachine, seconds: float) -> None:
        self.sim.advance(seconds)

    def drain(self: KinesimMachine) -> None:
        self.quiesce()

    rules: dict[str, Callable[..., None]] = {
        "put_records": rule(keys=st.lists(keys, min_size=1, max_size=5))(put_records),
        "advance": rule(seconds=st.sampled_from([0.5, 1.0, 5.0, 30.0, 300.0]))(advance),
        "drain": rule()(drain),
    }

    if "poison" in faults:

        def put_poison(self: KinesimMachine, key: str) -> None:
            self.put([(poisoned(self.next_data()), key)])

        rules["put_poison"] = rule(key=keys)(put_poison)

    if "failure" in faults:

        def fail_next_invocations(self: KinesimMachine, count: int) -> None:
            self._fail_next += count

        rules["fail_next_invocations"] = rule(count=st.integers(1, 3))(fail_next_invocations)

    if "timeout" in faults:

        def time_out_next_invocations(self: KinesimMachine, count: int) -> None:
            self._timeout_next += count

        rules["time_out_next_invocations"] = rule(count=st.integers(1, 2))(
            time_out_next_invocations
        )

    if "throttle" in faults:

        def throttle(self: KinesimMachine, seconds: float) -> None:
            sim = self.sim
            sim.lambda_.put_function_concurrency(self.function, 0)
            until_ms = sim.now_ms + round(seconds * 1000)
            self._throttled_until_ms = max(self._throttled_until_ms, until_ms)
            sim.call_at_ms(until_ms, self._end_throttle)

        rules["throttle"] = rule(seconds=st.sampled_from([1.0, 10.0, 120.0]))(throttle)

    if "concurrency" in faults:

        def set_reserved_concurrency(self: KinesimMachine, reserved: int | None) -> None:
            self._reserved = reserved
            if self._throttled_until_ms < 0:
                self._apply_concurrency()

        rules["set_reserved_concurrency"] = rule(reserved=st.one_of(st.none(), st.integers(1, 3)))(
            set_reserved_concurrency
        )

    if "disable" in faults:

        def disable(self: KinesimMachine) -> None:
            self.sim.lambda_.update_event_source_mapping(self.mapping, enabled=False)

        def enable(self: KinesimMachine) -> None:
            self.sim.lambda_.update_event_source_mapping(self.mapping, enabled=True)

        rules["disable"] = precondition(lambda self: self.mapping.state == "Enabled")(
            rule()(disable)
        )
        rules["enable"] = precondition(lambda self: self.mapping.state == "Disabled")(
            rule()(enable)
        )

    if "reshard" in faults:

        def reshard(self: KinesimMachine, shard_count: int) -> None:
            open_count = len(self.stream.open_shards())
            low, high = (open_count + 1) // 2, min(2 * open_count, type(self).max_shards)
            shard_count = min(max(shard_count, low), high)
            if shard_count == open_count:
                return
            # Over the UpdateShardCount rate limit, or still UPDATING: skip this one.
            with contextlib.suppress(AWSError):
                self.stream.update_shard_count(shard_count)

        rules["reshard"] = rule(shard_count=st.integers(1, cls.max_shards))(reshard)

    for name, function in rules.items():
        if name in vars(cls):
            continue  # the subclass defines its own rule or method of that name
        function._kinesim_rule = True  # type: ignore[attr-defined]
        setattr(cls, name, function)
    # A rule inherited from a parent machine whose faults differ is switched off here.
    for name in dir(cls):
        if name not in rules and name not in vars(cls):
            inherited = getattr(cls, name, None)
            if getattr(inherited, "_kinesim_rule", False):
                setattr(cls, name, None)


# -- definition checks ------------------------------------------------------------------------


def _mapping_settings(cls: type[KinesimMachine]) -> dict[str, Any]:
    return {**_MAPPING_DEFAULTS, **cls.mapping_config}


def _definition_error(cls: type, attribute: str, problem: str, fix: str) -> KinesimValueError:
    return KinesimValueError(f"{cls.__name__}.{attribute}: {problem}; {fix}")


def _check_definition(cls: type[KinesimMachine]) -> None:
    name = cls.__name__
    handler = inspect.getattr_static(cls, "handler", None)
    if handler is None:
        raise KinesimTypeError(
            f"{name} has no handler: define `def handler(self, event, context): ...` in the "
            "class (or `handler = staticmethod(your_handler)`), or declare a base class with "
            f"`class {name}(KinesimMachine, abstract=True)`"
        )
    function = handler.__func__ if isinstance(handler, staticmethod) else handler
    if not callable(function):
        raise KinesimTypeError(f"{name}.handler must be callable, got {handler!r}")
    arity = 2 if isinstance(handler, staticmethod) else 3
    try:
        inspect.signature(function).bind(*range(arity))
    except TypeError:
        form = (
            "staticmethod(fn) with fn(event, context)"
            if arity == 2
            else ("a method handler(self, event, context)")
        )
        raise KinesimTypeError(
            f"{name}.handler{inspect.signature(function)} cannot be called as {form}"
        ) from None
    except ValueError:  # pragma: no cover - builtins without a signature
        pass
    unknown = sorted(set(cls.faults) - set(FAULTS))
    if unknown or isinstance(cls.faults, str):
        raise _definition_error(
            cls, "faults", f"unknown fault(s) {unknown or cls.faults!r}", f"choose from {FAULTS}"
        )
    keys = cls.keys
    if (
        isinstance(keys, str)
        or not keys
        or not all(isinstance(key, str) and 1 <= len(key) <= 256 for key in keys)
    ):
        raise _definition_error(
            cls,
            "keys",
            f"{keys!r} is not a non-empty sequence of partition keys",
            "give 1-256-character strings, e.g. keys = ('a', 'b')",
        )
    for attribute, allowed in (
        ("mapping_config", _MAPPING_KEYS),
        ("function_config", _FUNCTION_KEYS),
    ):
        config = getattr(cls, attribute)
        if not isinstance(config, Mapping):
            raise _definition_error(cls, attribute, f"{config!r} is not a dict", "use a dict")
        extra = sorted(set(config) - allowed)
        if extra:
            raise _definition_error(
                cls, attribute, f"unknown setting(s) {extra}", f"it takes {sorted(allowed)}"
            )
    settings = _mapping_settings(cls)
    if (
        "poison" in cls.faults
        and settings.get("max_retry_attempts", -1) == -1
        and settings.get("max_record_age", -1) == -1
    ):
        raise _definition_error(
            cls,
            "mapping_config",
            "with max_retry_attempts=-1 and max_record_age=-1 a poison record blocks its shard "
            "until retention expires it",
            "set max_retry_attempts (e.g. 2) or max_record_age, or leave 'poison' out of faults",
        )
    # Build the pipeline once in a scratch simulator: AWS's own validation names the problem.
    sim = Simulator(seed=0)
    try:
        stream = sim.kinesis.create_stream("check", shard_count=cls.shards)
    except (KinesimError, TypeError, ValueError) as exc:
        raise _definition_error(cls, "shards", str(exc), "use an int from 1") from None
    function_config = {**_FUNCTION_DEFAULTS, **cls.function_config}
    try:
        function = sim.lambda_.create_function("check", None, **function_config)
    except (KinesimError, TypeError, ValueError) as exc:
        raise _definition_error(cls, "function_config", str(exc), "fix that setting") from None
    try:
        sim.lambda_.create_event_source_mapping(function, stream, **settings)
    except (KinesimError, TypeError, ValueError) as exc:
        raise _definition_error(cls, "mapping_config", str(exc), "fix that setting") from None


def _data(record: Any) -> bytes:
    return base64.b64decode(record["kinesis"]["data"])
