"""The client machinery: sim.client(), botocore-style parameter validation, unknown operations,
client.exceptions, ResponseMetadata, the copied shapes, and import lightness."""

from __future__ import annotations

import importlib.util
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import kinesim

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ["kinesis", "lambda", "sqs", "sns", "s3"]


def test_unknown_service_names_the_supported_ones(sim):
    with pytest.raises(kinesim.KinesimValueError, match="'kinesis', 'lambda', 'sqs', 'sns', 's3'"):
        sim.client("dynamodb")


def test_unknown_operation_names_the_supported_ones(sim):
    client = sim.client("sqs")
    with pytest.raises(AttributeError, match=r"no operation 'purge_queue'.*create_queue"):
        client.purge_queue  # noqa: B018
    assert "send_message" in dir(client)
    assert client.operations == [
        "create_queue",
        "delete_message",
        "get_queue_attributes",
        "get_queue_url",
        "receive_message",
        "send_message",
    ]


def test_missing_unknown_and_mistyped_parameters(sim):
    kinesis = sim.client("kinesis")
    with pytest.raises(kinesim.ParamValidationError) as caught:
        kinesis.get_shard_iterator(StreamName=5, Bogus=1, ShardIteratorType="LATEST")
    assert str(caught.value) == (
        "Parameter validation failed:\n"
        'Missing required parameter in input: "ShardId"\n'
        "Invalid type for parameter StreamName, value: 5, type: <class 'int'>, "
        "valid types: <class 'str'>\n"
        'Unknown parameter in input: "Bogus", must be one of: StreamName, ShardId, '
        "ShardIteratorType, StartingSequenceNumber, Timestamp, StreamARN, StreamId, DryRun"
    )
    assert isinstance(caught.value, ValueError)
    with pytest.raises(kinesim.ParamValidationError, match=r"Records\[1\]: \"Data\""):
        kinesis.put_records(
            StreamName="s", Records=[{"Data": b"a", "PartitionKey": "k"}, {"PartitionKey": "k"}]
        )
    with pytest.raises(
        kinesim.ParamValidationError, match=r"parameter Limit, value: 5, type: <class 'str'>"
    ):
        kinesis.get_records(ShardIterator="x", Limit="5")


BAD_REQUESTS = [
    ("kinesis", "GetShardIterator", {"StreamName": 5, "ShardIteratorType": "LATEST", "Bogus": 1}),
    ("kinesis", "PutRecords", {"Records": [{"Data": 5}, {"Data": b"x", "Foo": 1}]}),
    ("kinesis", "AddTagsToStream", {"StreamName": "s", "Tags": {"a": 1}}),
    ("kinesis", "GetRecords", {"ShardIterator": "x", "Limit": "5"}),
    ("kinesis", "ListShards", {"ShardFilter": {"Type": "AT_TIMESTAMP", "Timestamp": []}}),
    ("lambda", "CreateEventSourceMapping", {"FunctionName": "f", "BatchSize": 1.5}),
    # (a real-length UUID: botocore's minimum-length checks are left to the domain)
    (
        "lambda",
        "UpdateEventSourceMapping",
        {"UUID": "u" * 36, "DestinationConfig": {"OnFailure": 1}},
    ),
    ("sqs", "ReceiveMessage", {"QueueUrl": None}),
    ("s3", "PutObject", {"Bucket": "b"}),
]


@pytest.mark.parametrize(("service", "operation", "request_"), BAD_REQUESTS)
def test_botocore_messages_match(sim, service, operation, request_):
    """botocore's own validator reports the same problems, in the same words."""
    validate = pytest.importorskip("botocore.validate")
    from api_helpers import service_model
    from botocore import xform_name

    shape = service_model(service).operation_model(operation).input_shape
    report = validate.ParamValidator().validate(request_, shape)
    with pytest.raises(kinesim.ParamValidationError) as caught:
        getattr(sim.client(service), xform_name(operation))(**request_)
    ours = sorted(str(caught.value).splitlines()[1:])
    theirs = sorted(line.strip() for line in report.generate_report().splitlines())
    assert ours == theirs


def test_positional_arguments_are_refused(sim):
    with pytest.raises(kinesim.KinesimTypeError, match="only accepts keyword arguments"):
        sim.client("sns").create_topic("t")


def test_untranslated_members_are_named(sim):
    with pytest.raises(kinesim.KinesimValueError, match="does not translate ACL"):
        sim.client("s3").put_object(Bucket="bucket-1", Key="k", ACL="private")


def test_exceptions_are_kinesims_classes(sim):
    client = sim.client("lambda")
    assert client.exceptions.ResourceNotFoundException is kinesim.ResourceNotFoundException
    assert client.exceptions.ClientError is kinesim.AWSError
    with pytest.raises(AttributeError, match="no error class 'Nope'"):
        client.exceptions.Nope  # noqa: B018


def test_response_metadata_is_deterministic():
    def ids():
        sim = kinesim.Simulator(seed=3)
        sqs = sim.client("sqs")
        first = sqs.create_queue(QueueName="q")["ResponseMetadata"]
        return first["RequestId"], sqs.get_queue_url(QueueName="q")["ResponseMetadata"]

    (a, meta), (b, _) = ids(), ids()
    assert a == b
    assert meta["HTTPStatusCode"] == 200
    assert meta["RequestId"] != a
    assert kinesim.Simulator(seed=3).client("sqs").meta.region_name == "us-east-1"


def _generator():
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts" / "gen_api_shapes.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_copied_shapes_match_botocore():
    pytest.importorskip("botocore")
    from kinesim._api._shapes import INPUTS

    assert _generator().table() == INPUTS, "run scripts/gen_api_shapes.py"


def test_method_names_and_required_members_match_botocore(sim):
    pytest.importorskip("botocore")
    from api_helpers import service_model
    from botocore import xform_name

    for service in SERVICES:
        client = sim.client(service)
        model = service_model(service)
        for public, aws in client._operations.items():
            assert xform_name(aws) == public
            method = getattr(type(client), public).__wrapped__
            shape = model.operation_model(aws).input_shape
            required = set(shape.required_members) if shape else set()
            for name, param in inspect.signature(method).parameters.items():
                if param.kind is inspect.Parameter.KEYWORD_ONLY and param.default is param.empty:
                    assert name in required, f"{aws}: {name} is optional in botocore"


def test_import_kinesim_does_not_import_botocore_or_the_api_layer():
    code = (
        "import sys, kinesim;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')"
        " or m.startswith('kinesim._api')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
    code = (
        "import sys, kinesim; kinesim.Simulator().client('kinesis');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('botocore', 'boto3')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"


def test_success_statuses_are_botocores(sim):
    pytest.importorskip("botocore")
    from api_helpers import service_model

    from kinesim._api._base import _Operation

    for service in SERVICES:
        client = sim.client(service)
        model = service_model(service)
        for public, aws in client._operations.items():
            op: _Operation = getattr(type(client), public).__wrapped__._kinesim_operation
            expected = model.operation_model(aws).http.get("responseCode", 200)
            assert op.status == expected, aws


def test_only_the_simulator_reaches_up_to_the_api_layer():
    """The API layer sits above the domain: no domain module imports it (Simulator.client
    does, inside the method; the package's face and the pytest plugin, above it, load
    mock_aws on use), and it imports no integration."""
    package = ROOT / "kinesim"
    for path in package.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(package).as_posix()
        if relative.startswith("_api/"):
            for upward in ("_pytest_plugin", "_cli", "stateful", "strategies", "whatif"):
                assert f"kinesim.{upward}" not in text, (relative, upward)
        elif relative not in ("_simulator.py", "__init__.py", "_pytest_plugin.py"):
            assert "kinesim._api" not in text, relative
