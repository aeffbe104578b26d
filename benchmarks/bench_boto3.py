"""boto3 through kinesim.mock_aws, beside the same boto3 code through moto's mock_aws.

``kinesim_mock_aws``: ``boto3.client("kinesis")`` inside ``kinesim.mock_aws()``: create a
4-shard stream, put N records with put_records (500 a call, distinct partition keys), then read
every shard back with a get_records loop (Limit 10,000) until it is caught up. botocore does its
whole request and response work; kinesim answers at botocore's HTTP boundary. The stream's
throughput limits are off, so no call is throttled and the wall time is the work itself.

``moto_mock_aws``: the same function, unchanged, inside ``moto.mock_aws()``, when moto is
installed (``pip install moto``; it is no dependency of kinesim, and the benchmark records
``"moto": "not installed"`` without it). ``moto_over_kinesim`` is the goal ratio (>= 5).

``kinesim_sim_client``: the same workload through ``sim.client("kinesis")`` (no botocore), for
what botocore itself costs.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harness import measure_interleaved, write_results

import kinesim

SHARDS = 4
BATCH = 500


def _records(n: int) -> list[dict[str, Any]]:
    return [
        {"Data": b'{"order": %d, "amount": 12.5}' % i, "PartitionKey": f"customer-{i}"}
        for i in range(n)
    ]


def workload(kinesis: Any, records: list[dict[str, Any]]) -> int:
    """Ordinary boto3 code: put everything, then read every shard back. Returns records read."""
    kinesis.create_stream(StreamName="bench", ShardCount=SHARDS)
    for start in range(0, len(records), BATCH):
        response = kinesis.put_records(StreamName="bench", Records=records[start : start + BATCH])
        assert response["FailedRecordCount"] == 0
    read = 0
    for shard in kinesis.list_shards(StreamName="bench")["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName="bench", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while True:
            response = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            read += len(response["Records"])
            iterator = response["NextShardIterator"]
            if not response["Records"]:
                break
    assert read == len(records), read
    return read


def _unlimited() -> kinesim.Simulator:
    return kinesim.Simulator(trace=False, limits=kinesim.Limits(kinesis_throughput=False))


def through_kinesim(records: list[dict[str, Any]]) -> int:
    import boto3

    with kinesim.mock_aws(_unlimited()):
        return workload(boto3.client("kinesis", region_name="us-east-1"), records)


def through_sim_client(records: list[dict[str, Any]]) -> int:
    return workload(_unlimited().client("kinesis"), records)


@contextlib.contextmanager
def _moto() -> Iterator[None]:
    import moto  # optional: only this benchmark's environment has it

    with moto.mock_aws():
        yield


def through_moto(records: list[dict[str, Any]]) -> int:
    import boto3

    with _moto():
        return workload(boto3.client("kinesis", region_name="us-east-1"), records)


def run(quick: bool) -> dict[str, Any]:
    n = 500 if quick else 20_000
    repeats = 1 if quick else 7
    records = _records(n)
    results: dict[str, Any] = {"records": n, "shards": SHARDS, "batch": BATCH}
    results["versions"] = {
        name: importlib.metadata.version(name)
        for name in ("boto3", "botocore", "moto")
        if importlib.util.find_spec(name) is not None
    }
    # The machine's load says how much the ratios can be trusted (a shared 2-core box).
    results["load_average_1min_before"] = os.getloadavg()[0]
    timed: dict[str, Callable[[list[dict[str, Any]]], int]] = {
        "kinesim_mock_aws": through_kinesim,
        "kinesim_sim_client": through_sim_client,
    }
    if importlib.util.find_spec("boto3") is None:  # the boto3 extra is not installed
        results["boto3"] = "not installed"
        del timed["kinesim_mock_aws"]
    if importlib.util.find_spec("moto") is not None:
        timed["moto_mock_aws"] = through_moto
    else:
        results["moto"] = "not installed"
    runs = {name: (lambda fn=fn: fn(records)) for name, fn in timed.items()}
    results.update(measure_interleaved(runs, repeats=repeats, warmup=1))
    results["load_average_1min_after"] = os.getloadavg()[0]
    if "kinesim_mock_aws" not in results:
        return results
    kinesim_s = results["kinesim_mock_aws"]["min_s"]
    results["kinesim_mock_aws_records_per_s"] = n / kinesim_s
    results["botocore_over_sim_client"] = kinesim_s / results["kinesim_sim_client"]["min_s"]
    if "moto_mock_aws" in results:
        results["moto_over_kinesim"] = results["moto_mock_aws"]["min_s"] / kinesim_s
        results["moto_over_kinesim_median"] = (
            results["moto_mock_aws"]["median_s"] / results["kinesim_mock_aws"]["median_s"]
        )
    return results


if __name__ == "__main__":
    out = run(quick="--quick" in sys.argv)
    if "--quick" not in sys.argv:
        write_results("boto3", out)
    print(out)
