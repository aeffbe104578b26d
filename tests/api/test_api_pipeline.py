"""A Kinesis -> Lambda pipeline set up entirely through clients: a poison record ends up in an
SQS on-failure destination, read back through the SQS client."""

from __future__ import annotations

import base64
import json


def handler(event, context):
    for record in event["Records"]:
        if base64.b64decode(record["kinesis"]["data"]) == b"poison":
            raise ValueError("poison record")
    return {"batchItemFailures": []}


def test_poison_record_reaches_the_dlq(sim):
    kinesis = sim.client("kinesis")
    lambda_ = sim.client("lambda")
    sqs = sim.client("sqs")

    kinesis.create_stream(StreamName="orders", ShardCount=1)
    sim.advance(60)
    stream_arn = kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"][
        "StreamARN"
    ]
    lambda_.create_function(FunctionName="proc", handler=handler, Timeout=30)
    dlq_url = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    mapping = lambda_.create_event_source_mapping(
        FunctionName="proc",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=2,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    assert mapping["ResponseMetadata"]["HTTPStatusCode"] == 202

    sequence = {}
    for data in (b"good-1", b"poison", b"good-2"):
        put = kinesis.put_record(StreamName="orders", Data=data, PartitionKey="customer-1")
        sequence[data] = put["SequenceNumber"]
    sim.drain()

    attributes = sqs.get_queue_attributes(
        QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"
    [message] = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    payload = json.loads(message["Body"])
    info = payload["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence[b"poison"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == stream_arn
    assert payload["requestContext"]["condition"] == "RetryAttemptsExhausted"
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq_url)

    state = lambda_.get_event_source_mapping(UUID=mapping["UUID"])
    assert state["State"] == "Enabled"
    # The good records went through: some invocations succeeded.
    assert any(inv.ok for inv in sim.lambda_.function("proc").invocations)
