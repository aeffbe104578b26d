"""Function lifecycle: names, ranges, ARNs, roles, update, delete."""

from __future__ import annotations

from typing import Any

import pytest

import kinesim
from kinesim import Simulator

PATTERN = (
    r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
    r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
)


def test_create_defaults_arn_and_role() -> None:
    sim = Simulator(account_id="111122223333", region="eu-central-1")
    fn = sim.lambda_.create_function("orders-processor_1")
    assert fn.name == "orders-processor_1"
    assert fn.arn == "arn:aws:lambda:eu-central-1:111122223333:function:orders-processor_1"
    assert fn.role == "arn:aws:iam::111122223333:role/service-role/orders-processor_1-role"
    assert fn.role_policies == (
        "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
    )
    assert (fn.timeout, fn.memory_mb, fn.reserved_concurrency) == (3, 128, None)
    assert fn.log_group_name == "/aws/lambda/orders-processor_1"
    custom = sim.lambda_.create_function("g", role="arn:aws:iam::111122223333:role/my-role")
    assert custom.role == "arn:aws:iam::111122223333:role/my-role"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"timeout": 0},
            "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
            "Member must have value greater than or equal to 1",
        ),
        (
            {"timeout": 901},
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900",
        ),
        (
            {"memory_mb": 127},
            "1 validation error detected: Value '127' at 'memorySize' failed to satisfy "
            "constraint: Member must have value greater than or equal to 128",
        ),
        (
            {"memory_mb": 10241},
            "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy "
            "constraint: Member must have value less than or equal to 10240",
        ),
    ],
)
def test_out_of_range_configuration_is_a_validation_exception(
    kwargs: dict[str, Any], message: str
) -> None:
    sim = Simulator()
    with pytest.raises(kinesim.ValidationException) as info:
        sim.lambda_.create_function("f", **kwargs)
    assert info.value.message == message
    assert sim.lambda_.list_functions() == []


def test_limits_of_ranges_are_accepted() -> None:
    sim = Simulator()
    sim.lambda_.create_function("a", timeout=1, memory_mb=128)
    sim.lambda_.create_function("b", timeout=900, memory_mb=10240)


def test_function_names() -> None:
    sim = Simulator()
    sim.lambda_.create_function("x" * 64)
    with pytest.raises(kinesim.ValidationException) as info:
        sim.lambda_.create_function("x" * 65)
    assert info.value.message.endswith("Member must have length less than or equal to 64")
    for bad in ["f\n", "", "a.b"]:
        with pytest.raises(kinesim.ValidationException):
            sim.lambda_.create_function(bad)
    with pytest.raises(kinesim.ValidationException, match="at 'role' failed"):
        sim.lambda_.create_function("r", role="arn:aws:iam::123456789012:role/x\n")
    with pytest.raises(kinesim.ValidationException) as info:
        sim.lambda_.create_function("bad name")
    assert info.value.message == (
        "1 validation error detected: Value 'bad name' at 'functionName' failed to satisfy "
        f"constraint: Member must satisfy regular expression pattern: {PATTERN}"
    )


def test_duplicate_and_missing_functions() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f")
    with pytest.raises(kinesim.ResourceConflictException) as conflict:
        sim.lambda_.create_function("f")
    assert conflict.value.message == "Function already exist: f"
    assert conflict.value.http_status == 409
    assert sim.lambda_.function("f") is fn
    assert sim.lambda_.function(fn.arn) is fn
    with pytest.raises(kinesim.ResourceNotFoundException) as missing:
        sim.lambda_.function("nope")
    assert missing.value.message == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )
    assert missing.value.http_status == 404


def test_update_changes_behaviour_and_the_next_invocation_is_cold() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", lambda e, c: "v1", duration=0.1)
    assert fn.invoke().cold
    sim.advance(1)
    assert not fn.invoke().cold
    sim.advance(1)
    sim.lambda_.update_function(fn, handler=lambda e, c: "v2", timeout=10, memory_mb=256)
    after = fn.invoke()
    assert after.cold
    assert after.response == "v2"
    assert (fn.timeout, fn.memory_mb) == (10, 256)
    with pytest.raises(kinesim.ValidationException):
        sim.lambda_.update_function(fn, timeout=1000)
    assert fn.timeout == 10  # the failed update changed nothing


def test_running_invocation_finishes_after_update_in_its_old_environment() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, duration=1.0)
    done: list[kinesim.Invocation] = []
    running = fn.start_invocation({}, done.append)
    sim.lambda_.update_function(fn, duration=0.5)
    sim.advance(1)
    assert done == [running]
    assert fn.warm_environments == 0  # the old environment is not reused
    assert fn.invoke().cold


def test_delete_function() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, duration=1.0, reserved_concurrency=5)
    done: list[kinesim.Invocation] = []
    fn.start_invocation({}, done.append)
    sim.lambda_.delete_function("f")
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.lambda_.function("f")
    with pytest.raises(kinesim.ResourceNotFoundException):
        fn.invoke()
    sim.advance(1)
    assert len(done) == 1  # the running invocation still completed
    assert sim.lambda_.unreserved_concurrency == 1000
    again = sim.lambda_.create_function("f")
    assert again is not fn


def test_invocation_log_rows() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, duration=0.2, cold_start=0.1)
    fn.invoke()
    sim.advance(1)
    fn.invoke()
    start = sim.start_ms
    rows = sim.lambda_.invocation_log()
    assert [(r["start_ms"] - start, r["end_ms"] - start, r["cold"]) for r in rows] == [
        (0, 300, True),
        (1000, 1200, False),
    ]
    assert [r["billed_duration_ms"] for r in rows] == [300, 200]
    assert [r["outcome"] for r in rows] == ["success", "success"]
    assert rows[0]["request_id"] == fn.invocations[0].request_id


def test_keep_invocations_false_records_metrics_only() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, keep_invocations=False)
    fn.invoke()
    sim.advance(1)
    assert fn.invocations == []
    assert sim.metrics.series("AWS/Lambda", "Invocations", FunctionName="f").sum() == 1


def test_payload_must_be_json() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f")
    with pytest.raises(kinesim.KinesimTypeError, match="must be JSON-serialisable"):
        fn.invoke({"s": {1}})


def test_lambda_settings_are_validated() -> None:
    assert kinesim.Timings().lambda_keep_alive_s == 600
    limits = kinesim.Limits()
    assert (limits.lambda_unreserved_minimum, limits.lambda_scaling_rate) == (100, 1000)
    assert limits.lambda_scaling_window_s == 10
    with pytest.raises(kinesim.KinesimValueError, match="lambda_scaling_rate must be an int >= 1"):
        kinesim.Limits(lambda_scaling_rate=0)
    with pytest.raises(kinesim.KinesimValueError, match="lambda_unreserved_minimum"):
        kinesim.Limits(lambda_unreserved_minimum=-1)
    with pytest.raises(kinesim.KinesimValueError, match="lambda_scaling_window_s"):
        kinesim.Limits(lambda_scaling_window_s=0)
    with pytest.raises(kinesim.KinesimValueError, match="lambda_keep_alive_s"):
        kinesim.Timings(lambda_keep_alive_s=-1)
