"""An unchanged AWS Lambda Powertools batch handler against kinesim's partial batch responses.

Powertools reports each failing record's sequence number in ``batchItemFailures``; Lambda
restarts from the lowest one, so exactly the failing record and the records after it in the
batch come again. Needs the ``powertools`` extra: ``pip install -e ".[powertools]"``.
"""

import base64

import pytest

pytest.importorskip("aws_lambda_powertools", reason="needs the powertools extra")

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import (
    KinesisStreamRecord,
)

from kinesim import invariants

# -- the user's module, as it would be deployed ---------------------------------------------------

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)
processed: list[str] = []
failing_once: set[str] = set()


def record_handler(record: KinesisStreamRecord) -> None:
    payload = record.kinesis.data_as_text()
    if payload in failing_once:
        failing_once.discard(payload)
        raise ValueError(f"cannot process {payload} yet")
    processed.append(payload)


def lambda_handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


# -- the test -------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _fresh_module_state():
    processed.clear()
    failing_once.clear()


def run(kinesim, *, payloads, report_batch_item_failures=True, **mapping):
    events = []

    def handler(event, context):
        events.append(event)
        return lambda_handler(event, context)

    stream = kinesim.kinesis.create_stream("orders", shard_count=1)
    function = kinesim.lambda_.create_function("orders", handler, timeout=30)
    esm = kinesim.lambda_.create_event_source_mapping(
        function,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=10,
        report_batch_item_failures=report_batch_item_failures,
        **mapping,
    )
    for payload in payloads:
        stream.put_record(payload.encode(), "customer-1")
    kinesim.drain()
    batches = [
        [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
        for event in events
    ]
    return esm, batches


def test_one_failing_record_redelivers_it_and_the_records_after_it(kinesim):
    failing_once.add("r3")
    esm, batches = run(kinesim, payloads=["r1", "r2", "r3", "r4", "r5"])
    assert batches == [["r1", "r2", "r3", "r4", "r5"], ["r3", "r4", "r5"]]
    # Powertools processed r4 and r5 in the first invocation too: at-least-once, as on AWS.
    assert processed == ["r1", "r2", "r4", "r5", "r3", "r4", "r5"]
    assert esm.ledger.summary() == {
        "fates": {"succeeded": 5},
        "deliveries": {"first": 5, "partial-failure": 3},
        "invocations": 2,
        "unresolved": 0,
    }
    invariants.check_order_per_key(invariants.deliveries(esm))
    invariants.check_no_silent_loss(esm)


def test_the_response_lambda_reads_is_powertools_own(kinesim):
    failing_once.add("b")
    esm, _ = run(kinesim, payloads=["a", "b", "c"])
    responses = [invocation.response for invocation in esm.function.invocations]
    assert responses == [
        {"batchItemFailures": [{"itemIdentifier": esm.stream.shards[0].sequence_number(1)}]},
        {"batchItemFailures": []},
    ]


def test_without_report_batch_item_failures_the_whole_batch_is_retried(kinesim):
    failing_once.add("r2")
    _, batches = run(kinesim, payloads=["r1", "r2", "r3"], report_batch_item_failures=False)
    # The mapping ignores the response body: the invocation succeeded, so nothing is retried
    # and r2 is silently skipped. This is why the setting matters.
    assert batches == [["r1", "r2", "r3"]]
    assert processed == ["r1", "r3"]
