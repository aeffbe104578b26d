"""Tumbling windows: state flows between invocations, a final invocation per window, early
termination at 1 MB, responses without state fail, partial batch responses, shard ends."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from typing import Any

import pytest

import kinesim
from kinesim._api._lambda_responses import event_source_mapping as aws_mapping


class Summer:
    """Sums the integer data of a window's records into ``state["total"]``."""

    def __init__(self, *, pad: int = 0, no_state_once: bool = False) -> None:
        self.events: list[dict[str, Any]] = []
        self.finals: list[dict[str, Any]] = []
        self.pad = pad
        self.no_state_once = no_state_once

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(json.loads(json.dumps(event)))  # as delivered
        state = event["state"]
        if event["isFinalInvokeForWindow"]:
            self.finals.append(json.loads(json.dumps(event)))
            return {"state": {}}
        if self.no_state_once:
            self.no_state_once = False
            return {"total": "forgot the state"}
        for record in event["Records"]:
            state["total"] = state.get("total", 0) + int(
                base64.b64decode(record["kinesis"]["data"])
            )
            if self.pad:
                state.setdefault("pad", []).append("x" * self.pad)
        return {"state": state}

    @property
    def aggregations(self) -> list[dict[str, Any]]:
        return [e for e in self.events if not e["isFinalInvokeForWindow"]]


def _setup(handler: Any, **kwargs: Any) -> tuple[kinesim.Simulator, Any, Any]:
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    options: dict[str, Any] = {"batch_size": 2, "tumbling_window": 60}
    options.update(kwargs)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", **options
    )
    sim.advance(0)
    return sim, stream, esm


def test_state_flows_between_invocations_and_the_final_sees_the_window_total() -> None:
    handler = Summer()
    sim, stream, esm = _setup(handler)
    for value in range(1, 11):
        stream.put_record(str(value).encode(), partition_key="k")
        sim.advance(2)
    sim.drain()
    esm._check()
    assert len(handler.aggregations) >= 2  # the state crossed invocations
    totals = [e["state"].get("total", 0) for e in handler.aggregations]
    assert totals == sorted(totals)
    assert totals[0] == 0
    assert len(handler.finals) == 1
    final = handler.finals[0]
    assert final["state"] == {"total": 55}
    assert final["Records"] == []
    assert final["window"] == {"start": "2026-01-01T00:00:00Z", "end": "2026-01-01T00:01:00Z"}
    assert final["isWindowTerminatedEarly"] is False
    assert final["shardId"] == "shardId-000000000000"
    assert final["eventSourceARN"] == stream.arn
    # The final invocation runs once the window's end has passed.
    assert sim.datetime >= datetime(2026, 1, 1, 0, 1, tzinfo=timezone.utc)
    first = handler.aggregations[0]
    assert list(first)[:7] == [
        "Records",
        "window",
        "state",
        "shardId",
        "eventSourceARN",
        "isFinalInvokeForWindow",
        "isWindowTerminatedEarly",
    ]
    assert esm.ledger.fates() == {"succeeded": 10}


def test_windows_align_on_arrival_time_and_a_batch_never_spans_two() -> None:
    handler = Summer()
    sim, stream, _esm = _setup(handler, batch_size=100, batching_window=5)
    sim.advance(50)
    for value in (1, 2):
        stream.put_record(str(value).encode(), partition_key="k")
    sim.advance(15)  # 00:01:05: the next record is in the second window
    stream.put_record(b"40", partition_key="k")
    sim.drain()
    assert [f["state"] for f in handler.finals] == [{"total": 3}, {"total": 40}]
    assert [f["window"]["start"] for f in handler.finals] == [
        "2026-01-01T00:00:00Z",
        "2026-01-01T00:01:00Z",
    ]
    for event in handler.aggregations:
        start = datetime.fromisoformat(event["window"]["start"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(event["window"]["end"].replace("Z", "+00:00"))
        for record in event["Records"]:
            arrival = record["kinesis"]["approximateArrivalTimestamp"]
            assert start.timestamp() <= arrival < end.timestamp()
    assert [len(e["Records"]) for e in handler.aggregations] == [2, 1]


def test_a_response_without_state_is_a_failed_invocation() -> None:
    handler = Summer(no_state_once=True)
    sim, stream, esm = _setup(handler)
    stream.put_record(b"5", partition_key="k")
    sim.drain()
    assert len(handler.aggregations) == 2  # retried after the stateless response
    assert handler.finals[0]["state"] == {"total": 5}
    assert esm.ledger.delivery_reasons() == {"first": 1, "retry": 1}


def test_a_stateless_response_exhausts_retries_like_any_failure() -> None:
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", lambda event, context: {"nope": 1}, duration=0.05)
    dlq = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        tumbling_window=30,
        max_retry_attempts=1,
        on_failure=dlq,
    )
    stream.put_record(b"1", partition_key="k")
    sim.drain()
    assert esm.ledger.fates() == {"RetryAttemptsExhausted": 1}
    body = json.loads(dlq.receive_messages()[0].body)
    assert body["requestContext"]["approximateInvokeCount"] == 2
    assert body["responseContext"]["functionError"] is None


def test_state_over_one_megabyte_ends_the_window_early() -> None:
    handler = Summer(pad=300_000)
    sim, stream, esm = _setup(handler, batch_size=1)
    for value in range(1, 7):
        stream.put_record(str(value).encode(), partition_key="k")
    sim.drain()
    esm._check()
    early = [f for f in handler.finals if f["isWindowTerminatedEarly"]]
    assert early, "the window should have been terminated early"
    assert len(json.dumps(early[0]["state"])) > 1024 * 1024
    # Every record is counted exactly once across the windows; later ones start fresh.
    assert sum(f["state"]["total"] for f in handler.finals) == 21
    assert handler.finals[0]["state"]["total"] == 1 + 2 + 3 + 4
    after = handler.aggregations[4]
    assert after["state"] == {}
    assert esm.ledger.fates() == {"succeeded": 6}


def test_batch_item_failures_in_a_window_response_are_honoured() -> None:
    reported: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        state = event["state"]
        if event["isFinalInvokeForWindow"]:
            reported.append(state)
            return {"state": state}
        failures = []
        for record in event["Records"]:
            value = base64.b64decode(record["kinesis"]["data"]).decode()
            if value == "b" and "b-failed" not in state:
                state["b-failed"] = True
                failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
                break
            state.setdefault("seen", []).append(value)
        return {"state": state, "batchItemFailures": failures}

    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        tumbling_window=60,
        batch_size=10,
        report_batch_item_failures=True,
    )
    for value in "abc":
        stream.put_record(value.encode(), partition_key="k")
    sim.drain()
    assert reported == [{"b-failed": True, "seen": ["a", "b", "c"]}]
    assert esm.ledger.delivery_reasons() == {"first": 3, "partial-failure": 2}
    assert esm.ledger.fates() == {"succeeded": 3}


def test_the_shard_end_closes_the_window_and_children_start_fresh() -> None:
    handler = Summer()
    sim, stream, esm = _setup(handler, batch_size=10)
    stream.put_record(b"7", partition_key="k")
    sim.advance(5)
    stream.split_shard("shardId-000000000000", str(2**127))
    sim.advance(1)
    stream.put_record(b"100", partition_key="k")
    sim.drain()
    esm._check()
    parent_final, child_final = handler.finals
    assert parent_final["shardId"] == "shardId-000000000000"
    assert parent_final["state"] == {"total": 7}
    assert parent_final["isWindowTerminatedEarly"] is True
    assert child_final["state"] == {"total": 100}
    assert child_final["shardId"] != "shardId-000000000000"


def test_a_failing_final_invocation_holds_the_shard_until_it_succeeds() -> None:
    calls: list[bool] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        calls.append(event["isFinalInvokeForWindow"])
        if event["isFinalInvokeForWindow"] and calls.count(True) < 3:
            raise RuntimeError("flush failed")
        return {"state": event["state"]}

    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", tumbling_window=10
    )
    stream.put_record(b"1", partition_key="k")
    sim.advance(12)
    stream.put_record(b"2", partition_key="k")  # next window: waits for the final to succeed
    sim.drain()
    assert calls[:4] == [False, True, True, True]
    assert calls[4:] == [False, True]
    assert esm.ledger.fates() == {"succeeded": 2}


def test_tumbling_window_validation() -> None:
    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", lambda e, c: None)
    with pytest.raises(kinesim.ValidationException, match="less than or equal to 900"):
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", tumbling_window=901
        )
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", tumbling_window=900
    )
    assert aws_mapping(esm.describe())["TumblingWindowInSeconds"] == 900


def test_turning_the_window_off_closes_the_open_one_first() -> None:
    summer = Summer()
    plain: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        if "window" not in event:
            plain.append(event)
            return None
        return summer(event, context)

    sim, stream, esm = _setup(handler)
    stream.put_record(b"3", partition_key="k")
    sim.advance(5)
    sim.lambda_.update_event_source_mapping(esm, tumbling_window=0)
    sim.advance(0)
    stream.put_record(b"4", partition_key="k")
    sim.drain()
    assert summer.finals[0]["state"] == {"total": 3}
    assert summer.finals[0]["isWindowTerminatedEarly"] is True
    # The record after the update went to the function without window fields.
    assert [len(e["Records"]) for e in plain] == [1]
    assert aws_mapping(esm.describe())["TumblingWindowInSeconds"] == 0
    esm._check()


def test_the_state_counts_towards_the_six_mib_event() -> None:
    sizes: list[int] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        sizes.append(len(json.dumps(event)))
        state = event["state"]
        state.setdefault("blob", "y" * 1_000_000)  # about 1 MB of state, under the limit
        return {"state": state}

    sim = kinesim.Simulator(seed=0, limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10_000, tumbling_window=300
    )
    for _ in range(30):
        stream.put_records([(b"z" * 100_000, f"k{i}") for i in range(5)])
    sim.drain()
    assert esm.ledger.fates() == {"succeeded": 150}
    assert max(sizes) <= 6 * 1024 * 1024
    assert len(sizes) >= 3  # the batch was cut earlier once the state took 1 MB


def test_a_throttled_final_invocation_is_retried_without_counting() -> None:
    handler = Summer()
    sim, stream, esm = _setup(handler, max_retry_attempts=0)
    fn = sim.lambda_.get_function("f")
    stream.put_record(b"2", partition_key="k")
    sim.advance(30)
    sim.lambda_.put_function_concurrency(fn, 0)  # the final invocation will be throttled
    sim.advance(60)
    assert handler.finals == []
    esm._check()
    sim.lambda_.delete_function_concurrency(fn)
    sim.drain()
    assert [f["state"] for f in handler.finals] == [{"total": 2}]


def test_disabled_while_the_final_invocation_waits_it_runs_after_enable() -> None:
    handler = Summer()
    sim, stream, esm = _setup(handler)
    fn = sim.lambda_.get_function("f")
    stream.put_record(b"2", partition_key="k")
    sim.advance(30)
    sim.lambda_.put_function_concurrency(fn, 0)
    sim.advance(40)  # the final invocation is being retried after throttles
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    sim.advance(5)
    sim.lambda_.delete_function_concurrency(fn)
    sim.advance(60)
    assert handler.finals == []
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.drain()
    esm._check()
    assert [f["state"] for f in handler.finals] == [{"total": 2}]


def test_a_state_that_is_not_json_fails_the_invocation() -> None:
    answers = iter([{"state": {1, 2}}])

    def handler(event: dict[str, Any], context: Any) -> Any:
        return next(answers, {"state": event["state"]})

    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", tumbling_window=10
    )
    stream.put_record(b"1", partition_key="k")
    sim.drain()
    assert esm.ledger.delivery_reasons() == {"first": 1, "retry": 1}


def test_a_window_turned_on_by_an_update_applies_to_later_records() -> None:
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> Any:
        seen.append(event)
        return {"state": event.get("state", {})}

    sim = kinesim.Simulator(seed=0)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    stream.put_record(b"1", partition_key="k")
    sim.drain()
    sim.lambda_.update_event_source_mapping(esm, tumbling_window=30)
    sim.advance(1)
    stream.put_record(b"2", partition_key="k")
    sim.drain()
    assert "window" not in seen[0]
    assert seen[1]["window"]["end"].endswith(":30Z") or seen[1]["window"]["end"].endswith(":00Z")
    assert seen[-1]["isFinalInvokeForWindow"] is True
