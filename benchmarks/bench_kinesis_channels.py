"""What a Kinesis channel adds to writing records: the same producer run with and without an S3
channel on the stream, as a ratio measured in the same run.

Each case makes an on-demand stream (4 shards, throughput limits off), optionally a channel
delivering to a ``sim.s3`` bucket (freshness 300 s), then writes ``records`` records of 100
bytes with PutRecords (500 per call) spread over ``span_s`` virtual seconds and advances past the
last delivery. The baseline is the same run without a channel. ``idle`` measures a channel
on a stream that receives nothing for a virtual day (it should cost nothing: it waits on arrival
notifications, it does not tick).

Run: ``python benchmarks/run.py kinesis_channels`` (writes
``benchmarks/results/kinesis_channels.json``).
"""

from __future__ import annotations

from typing import Any

from harness import measure

import kinesim

ACCOUNT = "123456789012"


def _scenario(records: int, span_s: int, *, channel: bool, idle_s: int = 0) -> Any:
    def run() -> int:
        sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
        stream = sim.kinesis.create_stream("bench")
        bucket = sim.s3.create_bucket("lake")
        if channel:
            sim.kinesis.channels.create_channel(
                "to-lake",
                role_arn=f"arn:aws:iam::{ACCOUNT}:role/r",
                streams=[
                    {"StreamARN": stream.arn, "RecordConfiguration": {"RecordFormatType": "JSON"}}
                ],
                s3={
                    "StorageConfiguration": {
                        "BucketARN": bucket.arn,
                        "ExpectedBucketOwner": ACCOUNT,
                        "CompressionType": "NONE",
                    }
                },
            )
        sim.advance(idle_s)
        calls = max(1, records // 500)
        step_s = span_s / calls
        data = b"x" * 100
        for call in range(calls):
            stream.put_records([(data, f"k{call}-{i}") for i in range(500)])
            sim.advance(step_s)
        sim.advance(901)
        return len(bucket)

    return run


def run(quick: bool) -> dict[str, Any]:
    records = 5_000 if quick else 200_000
    span_s = 60 if quick else 3_600
    repeats = 1 if quick else 5
    base = measure(_scenario(records, span_s, channel=False), repeats=repeats)
    with_channel = measure(_scenario(records, span_s, channel=True), repeats=repeats)
    idle_base = measure(_scenario(0, 1, channel=False, idle_s=86_400), repeats=repeats)
    idle = measure(_scenario(0, 1, channel=True, idle_s=86_400), repeats=repeats)
    return {
        "records": records,
        "span_s": span_s,
        "channel_over_no_channel": with_channel["median_s"] / base["median_s"],
        "idle_day_channel_over_no_channel": idle["median_s"] / idle_base["median_s"],
        "no_channel": base,
        "channel": with_channel,
        "idle_no_channel": idle_base,
        "idle_channel": idle,
    }
