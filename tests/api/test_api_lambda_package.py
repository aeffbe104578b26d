"""CreateFunction from a .zip deployment package: the handler is loaded from the zip, in the
function's own module namespace, with AWS's runtime errors when it cannot be."""

from __future__ import annotations

import io
import json
import sys
import textwrap
import zipfile

import pytest
from api_helpers import check_shape, service_model

import kinesim
from kinesim._lambda.package import RUNTIMES


def make_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, source in files.items():
            archive.writestr(path, textwrap.dedent(source))
    return buffer.getvalue()


APP = make_zip(
    {
        "app.py": """
            import json

            import helpers
            from shop import pricing
            from shop.tax import rate

            CALLS = []

            def handler(event, context):
                CALLS.append(event)
                total = pricing.total(event["items"]) * (1 + rate())
                return {"total": round(total, 2), "label": helpers.label(len(CALLS)),
                        "json": json.dumps(event["items"])}
        """,
        "helpers.py": """
            def label(n):
                return f"call-{n}"
        """,
        "shop/__init__.py": "",
        "shop/pricing.py": """
            from .tax import rate  # a relative import inside the package

            def total(items):
                return sum(items)
        """,
        "shop/tax.py": """
            def rate():
                return 0.5
        """,
    }
)


def create(lambda_, name, code, handler="app.handler", runtime="python3.12", **extra):
    return lambda_.create_function(
        FunctionName=name,
        Runtime=runtime,
        Handler=handler,
        Code={"ZipFile": code},
        Role="arn:aws:iam::123456789012:role/lambda",
        **extra,
    )


def invoke(lambda_, name, event):
    out = lambda_.invoke(FunctionName=name, Payload=json.dumps(event))
    return out, json.loads(out["Payload"].read())


def test_a_zip_with_modules_and_a_package_runs_in_process(sim, lambda_):
    modules_before = set(sys.modules)
    created = check_shape("lambda", "CreateFunction", create(lambda_, "shop", APP))
    assert (created["Runtime"], created["Handler"]) == ("python3.12", "app.handler")
    assert created["CodeSize"] == len(APP)
    out, payload = invoke(lambda_, "shop", {"items": [1, 2, 3]})
    check_shape("lambda", "Invoke", out)
    assert "FunctionError" not in out
    assert payload == {"total": 9.0, "label": "call-1", "json": "[1, 2, 3]"}
    _, again = invoke(lambda_, "shop", {"items": [4]})
    assert again["label"] == "call-2"  # module state lives on between invocations
    # Nothing of the package reached the process's modules.
    assert not {"app", "helpers", "shop", "shop.pricing", "shop.tax"} & set(sys.modules)
    new = set(sys.modules) - modules_before
    assert not [m for m in new if m.partition(".")[0] in ("app", "helpers", "shop")]
    got = check_shape("lambda", "GetFunction", lambda_.get_function(FunctionName="shop"))
    assert got["Configuration"]["CodeSha256"] == created["CodeSha256"]


def test_two_functions_with_the_same_module_name_do_not_collide(sim, lambda_):
    for name, word in (("first", "one"), ("second", "two")):
        code = make_zip(
            {
                "app.py": """
                    import util
                    def handler(event, context):
                        return util.WORD
                """,
                "util.py": f"WORD = {word!r}\n",
            }
        )
        create(lambda_, name, code)
    assert invoke(lambda_, "first", {})[1] == "one"
    assert invoke(lambda_, "second", {})[1] == "two"
    assert invoke(lambda_, "first", {})[1] == "one"


def test_a_missing_module_is_an_import_module_error_at_invoke(sim, lambda_):
    create(lambda_, "f", make_zip({"other.py": "x = 1\n"}), handler="lambda_function.handler")
    out, payload = invoke(lambda_, "f", {})
    assert out["FunctionError"] == "Unhandled"
    assert payload == {
        "errorMessage": "Unable to import module 'lambda_function': "
        "No module named 'lambda_function'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }
    # The module's own failed import says which module is missing.
    create(lambda_, "g", make_zip({"app.py": "import not_installed_anywhere\n"}))
    assert invoke(lambda_, "g", {})[1]["errorMessage"] == (
        "Unable to import module 'app': No module named 'not_installed_anywhere'"
    )


def test_a_missing_handler_function_is_handler_not_found(sim, lambda_):
    create(lambda_, "f", make_zip({"app.py": "def other(event, context):\n    return 1\n"}))
    out, payload = invoke(lambda_, "f", {})
    assert out["FunctionError"] == "Unhandled"
    assert payload == {
        "errorMessage": "Handler 'handler' missing on module 'app'",
        "errorType": "Runtime.HandlerNotFound",
        "requestId": "",
        "stackTrace": [],
    }
    fn = sim.lambda_.function("f")
    assert fn.invocations[-1].error_type == "Runtime.HandlerNotFound"


def test_other_runtime_faults(sim, lambda_):
    create(lambda_, "bad-name", APP, handler="app")
    assert invoke(lambda_, "bad-name", {})[1]["errorType"] == "Runtime.MalformedHandlerName"
    create(lambda_, "builtin", APP, handler="sys.handler")
    assert invoke(lambda_, "builtin", {})[1]["errorMessage"] == (
        "Cannot use built-in module sys as a handler module"
    )
    create(lambda_, "syntax", make_zip({"app.py": "def handler(:\n"}))
    assert invoke(lambda_, "syntax", {})[1]["errorType"] == "Runtime.UserCodeSyntaxError"
    create(lambda_, "raises", make_zip({"app.py": "raise RuntimeError('no config')\n"}))
    assert invoke(lambda_, "raises", {})[1]["errorType"] == "RuntimeError"
    native = make_zip({"app.py": "import fast\n", "fast.cpython-312-x86_64-linux-gnu.so": ""})
    create(lambda_, "native", native)
    assert "native extension module 'fast'" in invoke(lambda_, "native", {})[1]["errorMessage"]


def test_handler_in_a_folder(sim, lambda_):
    code = make_zip({"src/app.py": "def handler(event, context):\n    return 'in src'\n"})
    create(lambda_, "slash", code, handler="src/app.handler")
    create(lambda_, "dotted", code, handler="src.app.handler")
    assert invoke(lambda_, "slash", {})[1] == "in src"
    assert invoke(lambda_, "dotted", {})[1] == "in src"


def test_code_from_the_simulators_s3(sim, lambda_, s3):
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="shop.zip", Body=APP)
    lambda_.create_function(
        FunctionName="from-s3",
        Runtime="python3.13",
        Handler="app.handler",
        Code={"S3Bucket": "artifacts", "S3Key": "shop.zip"},
    )
    assert invoke(lambda_, "from-s3", {"items": [2]})[1]["total"] == 3.0
    with pytest.raises(kinesim.InvalidParameterValueException) as info:
        lambda_.create_function(
            FunctionName="missing",
            Runtime="python3.13",
            Handler="app.handler",
            Code={"S3Bucket": "artifacts", "S3Key": "nope.zip"},
        )
    assert info.value.message == (
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: "
        "The specified key does not exist."
    )


@pytest.mark.parametrize(
    ("runtime", "error", "text"),
    [
        ("python9", kinesim.ValidationException, "Member must satisfy enum value set: [nodejs,"),
        (
            "python3.7",
            kinesim.InvalidParameterValueException,
            "The runtime parameter of python3.7 is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use the new runtime (python3.12) while "
            "creating or updating functions.",
        ),
        ("nodejs20.x", kinesim.KinesimValueError, "Python deployment packages only"),
    ],
)
def test_runtimes_are_checked_at_create(sim, lambda_, runtime, error, text):
    with pytest.raises(error) as info:
        create(lambda_, "f", APP, runtime=runtime)
    assert text in str(info.value)
    with pytest.raises(error):  # also when kinesim's handler= gives the code
        lambda_.create_function(FunctionName="g", Runtime=runtime, handler=print)
    assert sim.lambda_.list_functions() == []


def test_create_refusals(sim, lambda_):
    with pytest.raises(kinesim.InvalidParameterValueException, match="Could not unzip"):
        create(lambda_, "f", b"not a zip")
    with pytest.raises(kinesim.InvalidParameterValueException, match="Runtime and Handler"):
        lambda_.create_function(FunctionName="f", Code={"ZipFile": APP})
    with pytest.raises(kinesim.KinesimValueError, match="not both"):
        lambda_.create_function(FunctionName="f", Code={"ZipFile": APP}, handler=print)
    assert sim.lambda_.list_functions() == []


POISON = make_zip(
    {
        "consumer.py": """
            import base64

            from logic import is_poison

            def handle(event, context):
                for record in event["Records"]:
                    if is_poison(base64.b64decode(record["kinesis"]["data"])):
                        raise ValueError("poison record")
        """,
        "logic.py": """
            def is_poison(data):
                return data == b"poison"
        """,
    }
)


def test_a_zip_handler_behind_a_mapping_sends_failures_to_sqs(sim):
    kinesis, lambda_, sqs = sim.client("kinesis"), sim.client("lambda"), sim.client("sqs")
    kinesis.create_stream(StreamName="orders", ShardCount=1)
    stream_arn = sim.kinesis.stream("orders").arn
    lambda_.create_function(
        FunctionName="consumer",
        Runtime="python3.12",
        Handler="consumer.handle",
        Code={"ZipFile": POISON},
        Timeout=30,
    )
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lambda_.create_event_source_mapping(
        FunctionName="consumer",
        EventSourceArn=stream_arn,
        StartingPosition="TRIM_HORIZON",
        BatchSize=10,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    kinesis.put_record(StreamName="orders", Data=b"poison", PartitionKey="k")
    sim.drain()
    messages = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    body = json.loads(messages[0]["Body"])
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["functionArn"] == sim.lambda_.function("consumer").arn
    assert body["KinesisBatchInfo"]["batchSize"] == 1
    assert body["responseContext"]["functionError"] == "Unhandled"
    # The first attempt and one retry, both failing in the zip's code.
    assert [i.error_type for i in sim.lambda_.function("consumer").invocations] == [
        "ValueError",
        "ValueError",
    ]


def test_runtime_enum_is_botocores():
    assert tuple(service_model("lambda").shape_for("Runtime").enum) == RUNTIMES
