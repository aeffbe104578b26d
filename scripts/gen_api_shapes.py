"""Write kinesim/_api/_shapes.py from botocore's service models (a development-time tool).

kinesim never imports botocore; this script copies what the API layer needs from it — the
operations kinesim's clients cover, their request members, required members and member types —
into a plain Python table. ``tests/api/test_shapes.py`` checks the table still matches the
installed botocore. Run it with botocore installed (``pip install -e ".[boto3]"``):

    python scripts/gen_api_shapes.py
"""

from __future__ import annotations

import pprint
import sys
from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

OPERATIONS = {
    "kinesis": [
        "AcknowledgeDeadLetterQueueRecords",
        "AcknowledgeQueueRecords",
        "AddTagsToStream",
        "CreateQueue",
        "CreateStream",
        "DecreaseStreamRetentionPeriod",
        "DeleteQueue",
        "DeleteResourcePolicy",
        "DeleteStream",
        "DeregisterStreamConsumer",
        "DescribeAccountSettings",
        "DescribeLimits",
        "DescribeQueue",
        "DescribeStream",
        "DescribeStreamConsumer",
        "DescribeStreamSummary",
        "DisableEnhancedMonitoring",
        "EnableEnhancedMonitoring",
        "GetRecords",
        "GetResourcePolicy",
        "GetShardIterator",
        "IncreaseStreamRetentionPeriod",
        "ListQueues",
        "ListShards",
        "ListStreamConsumers",
        "ListStreams",
        "ListTagsForResource",
        "ListTagsForStream",
        "MergeShards",
        "PutRecord",
        "PutRecords",
        "PutResourcePolicy",
        "ReceiveDeadLetterQueueRecords",
        "ReceiveQueueRecords",
        "RegisterStreamConsumer",
        "RemoveTagsFromStream",
        "RestoreDeadLetterQueueRecords",
        "SplitShard",
        "StartStreamEncryption",
        "StopStreamEncryption",
        "SubscribeToShard",
        "TagResource",
        "UntagResource",
        "UpdateAccountSettings",
        "UpdateDeadLetterQueueRecordsVisibility",
        "UpdateMaxRecordSize",
        "UpdateQueue",
        "UpdateQueueRecordsVisibility",
        "UpdateShardCount",
        "UpdateStreamMode",
        "UpdateStreamRecordDistributionStrategy",
        "UpdateStreamWarmThroughput",
    ],
    "lambda": [
        "CreateEventSourceMapping",
        "CreateFunction",
        "DeleteEventSourceMapping",
        "DeleteFunction",
        "DeleteFunctionConcurrency",
        "GetEventSourceMapping",
        "GetFunction",
        "GetFunctionConcurrency",
        "Invoke",
        "ListEventSourceMappings",
        "PutFunctionConcurrency",
        "UpdateEventSourceMapping",
    ],
    "sqs": [
        "CreateQueue",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ReceiveMessage",
        "SendMessage",
    ],
    "sns": ["CreateTopic", "ListSubscriptionsByTopic", "Publish", "Subscribe"],
    "s3": ["CreateBucket", "GetObject", "ListObjectsV2", "PutObject"],
    "cloudwatch": ["GetMetricData", "GetMetricStatistics", "ListMetrics"],
}


def compact(shape: Shape, depth: int = 0) -> Any:
    """A shape as kinesim's validator reads it: a type name, or a tuple for containers."""
    if depth > 8:
        raise RecursionError(f"{shape.name} nests too deep: a recursive shape needs new handling")
    if shape.type_name == "structure":
        members = {name: compact(s, depth + 1) for name, s in shape.members.items()}
        return ("structure", tuple(shape.required_members), members)
    if shape.type_name == "list":
        return ("list", compact(shape.member, depth + 1))
    if shape.type_name == "map":
        return ("map", compact(shape.value, depth + 1))
    return shape.type_name


def table() -> dict[str, dict[str, Any]]:
    loader = Loader()
    out: dict[str, dict[str, Any]] = {}
    for service, names in OPERATIONS.items():
        model = ServiceModel(loader.load_service_model(service, "service-2"), service)
        ops: dict[str, Any] = {}
        for name in names:
            shape = model.operation_model(name).input_shape
            ops[name] = ("structure", (), {}) if shape is None else compact(shape)
        out[service] = ops
    return out


def main() -> None:
    target = Path(__file__).resolve().parent.parent / "kinesim" / "_api" / "_shapes.py"
    body = pprint.pformat(table(), width=99, sort_dicts=False)
    target.write_text(
        '"""Request shapes of the operations kinesim\'s clients cover, copied from botocore '
        f"{botocore.__version__}'s\nservice models by scripts/gen_api_shapes.py (do not edit by "
        "hand; tests/api/test_shapes.py checks\nthe copy against the installed botocore).\n\n"
        "A shape is a type name (``string``, ``integer``, ``boolean``, ``blob``, ``timestamp``, "
        '...)\nor ``("structure", required, members)``, ``("list", member)``, '
        '``("map", value)``.\n"""\n\n'
        "from typing import Any\n\n"
        f"INPUTS: dict[str, dict[str, Any]] = {body}\n",
        encoding="utf-8",
    )
    print(f"wrote {target}", file=sys.stderr)


if __name__ == "__main__":
    main()
