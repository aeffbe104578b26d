"""Registered stream consumers: ARNs, lifecycle, limits and errors."""

from datetime import datetime, timezone

import pytest

import kinesim
from kinesim import Simulator, Timings
from kinesim._kinesis.descriptions import ConsumerDescription, ConsumerPage

ACCOUNT = "123456789012"


def make(timings=None):
    sim = Simulator(timings=timings)
    stream = sim.kinesis.create_stream("orders", shard_count=1)
    return sim, stream


def test_register_gives_aws_arn_and_is_active_at_once_by_default():
    sim, stream = make()
    sim.advance(12.5)
    consumer = stream.register_consumer("analytics")
    created_s = sim.now_ms // 1000
    assert created_s == 1_767_225_612
    assert consumer.arn == (
        f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders/consumer/analytics:{created_s}"
    )
    assert consumer.status == "ACTIVE"
    description = consumer.description()
    assert description == ConsumerDescription(
        "analytics", consumer.arn, "ACTIVE", created_s, stream.arn
    )
    assert description.creation_timestamp == datetime(2026, 1, 1, 0, 0, 12, tzinfo=timezone.utc)
    assert stream.arn == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"


def test_creating_then_active_after_the_register_timing():
    sim, stream = make(Timings(consumer_register_s=10.0, consumer_deregister_s=4.0))
    consumer = sim.kinesis.register_stream_consumer(stream.arn, "c1")
    assert consumer.status == "CREATING"
    sim.advance(9.999)
    assert consumer.status == "CREATING"
    with pytest.raises(kinesim.ResourceInUseException) as info:
        consumer.subscribe("shardId-000000000000", "LATEST")
    assert info.value.message == (
        f"Consumer c1 with creation timestamp {consumer.creation_epoch_s} under stream: "
        f"orders , account {ACCOUNT} is not in ACTIVE status."
    )
    sim.advance(0.001)
    assert consumer.status == "ACTIVE"
    described = sim.kinesis.describe_stream_consumer(consumer_arn=consumer.arn)
    assert described == ConsumerDescription("c1", consumer.arn, "ACTIVE", 1_767_225_600, stream.arn)
    assert described.creation_timestamp == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert (
        sim.kinesis.describe_stream_consumer(stream_arn=stream.arn, consumer_name="c1") == described
    )
    assert sim.kinesis.consumer_by_arn(consumer.arn) is consumer

    sim.kinesis.deregister_stream_consumer(consumer_arn=consumer.arn)
    assert consumer.status == "DELETING"
    listed = sim.kinesis.list_stream_consumers(stream.arn).consumers
    assert [c.status for c in listed] == ["DELETING"]
    with pytest.raises(kinesim.ResourceInUseException, match="is not in ACTIVE status"):
        consumer.subscribe("shardId-000000000000", "LATEST")
    sim.kinesis.deregister_stream_consumer(consumer_arn=consumer.arn)  # again: nothing
    sim.advance(4.0)
    assert sim.kinesis.list_stream_consumers(stream.arn) == ConsumerPage((), None)
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        sim.kinesis.describe_stream_consumer(consumer_arn=consumer.arn)
    assert info.value.message == (
        f"Consumer c1 under stream orders under account {ACCOUNT} not found."
    )
    kinds = [(e.fields["consumer"], e.fields["status"]) for e in sim.trace.of_kind("efo.consumer")]
    assert kinds == [("c1", "CREATING"), ("c1", "ACTIVE"), ("c1", "DELETING"), ("c1", "DELETED")]


def test_reregistering_a_name_later_gives_a_new_arn():
    sim, stream = make()
    first = stream.register_consumer("c")
    stream.deregister_consumer("c")
    sim.advance(1.0)
    second = stream.register_consumer("c")
    assert first.arn != second.arn
    assert second.arn.endswith(f":{first.creation_epoch_s + 1}")
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.describe_stream_consumer(consumer_arn=first.arn)


def test_list_is_in_registration_order_and_describe_has_stream_arn():
    sim, stream = make()
    for name in ["zeta", "alpha", "mid"]:
        stream.register_consumer(name)
    listed = sim.kinesis.list_stream_consumers(stream.arn).consumers
    assert [c.name for c in listed] == ["zeta", "alpha", "mid"]
    assert [c.name for c in stream.list_consumers()] == ["zeta", "alpha", "mid"]
    assert stream.consumer("alpha").description().name == "alpha"


def test_duplicate_name_is_refused_and_changes_nothing():
    _sim, stream = make()
    stream.register_consumer("dup")
    with pytest.raises(kinesim.ResourceInUseException, match="dup"):
        stream.register_consumer("dup")
    assert len(stream.list_consumers()) == 1


def test_twenty_consumers_per_stream():
    _sim, stream = make()
    for i in range(20):
        stream.register_consumer(f"c{i}")
    with pytest.raises(kinesim.LimitExceededException, match="20"):
        stream.register_consumer("c20")
    assert len(stream.list_consumers()) == 20
    stream.deregister_consumer("c0")  # gone at once with the default timings
    stream.register_consumer("c20")
    assert len(stream.list_consumers()) == 20


def test_at_most_five_creating_at_once():
    sim, stream = make(Timings(consumer_register_s=10.0))
    for i in range(5):
        stream.register_consumer(f"c{i}")
        sim.advance(1.0)
    with pytest.raises(kinesim.LimitExceededException, match="CREATING"):
        stream.register_consumer("c5")
    sim.advance(5.0)  # c0 became ACTIVE at 10 s
    assert stream.consumer("c0").status == "ACTIVE"
    stream.register_consumer("c5")
    assert [c.status for c in stream.list_consumers()] == ["ACTIVE"] + ["CREATING"] * 5


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("x" * 129, "Member must have length less than or equal to 128"),
        ("bad name", r"regular expression pattern: \[a-zA-Z0-9_.-\]\+"),
    ],
)
def test_bad_names_are_validation_errors(name, message):
    _sim, stream = make()
    with pytest.raises(kinesim.ValidationException, match=message):
        stream.register_consumer(name)


def test_name_of_wrong_type_is_a_kinesim_type_error():
    _sim, stream = make()
    with pytest.raises(TypeError, match="consumerName must be a str"):
        stream.register_consumer(3)


def test_unknown_stream_arn_and_bad_consumer_arn():
    sim, stream = make()
    with pytest.raises(kinesim.ResourceNotFoundException, match="Stream nope under account"):
        sim.kinesis.register_stream_consumer(
            f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/nope", "c"
        )
    with pytest.raises(kinesim.ValidationException, match="consumerARN"):
        sim.kinesis.describe_stream_consumer(consumer_arn="arn:aws:kinesis:nope")
    consumer = stream.register_consumer("c")
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.describe_stream_consumer(consumer_arn=consumer.arn[:-1] + "9")


def test_describe_needs_an_arn_or_stream_and_name_that_agree():
    sim, stream = make()
    consumer = stream.register_consumer("c")
    with pytest.raises(kinesim.InvalidArgumentException, match="Either ConsumerARN"):
        sim.kinesis.describe_stream_consumer(stream_arn=stream.arn)
    with pytest.raises(kinesim.InvalidArgumentException, match="conflicts"):
        sim.kinesis.describe_stream_consumer(consumer_arn=consumer.arn, consumer_name="other")
    described = sim.kinesis.describe_stream_consumer(
        consumer_arn=consumer.arn, stream_arn=stream.arn, consumer_name="c"
    )
    assert described.arn == consumer.arn


def test_deleting_a_stream_with_consumers_needs_the_force_flag():
    sim, stream = make()
    consumer = stream.register_consumer("c")
    sub = consumer.subscribe("shardId-000000000000", "LATEST")
    with pytest.raises(kinesim.ResourceInUseException, match="EnforceConsumerDeletion"):
        sim.kinesis.delete_stream("orders")
    assert stream.status == "ACTIVE"
    assert consumer.status == "ACTIVE"
    assert sub.active
    sim.kinesis.delete_stream("orders", enforce_consumer_deletion=True)
    assert consumer.status == "DELETING"
    assert sub.end_reason == "CONSUMER_DELETED"
    sim.advance(1.0)
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.describe_stream_consumer(consumer_arn=consumer.arn)


def test_deleting_a_stream_without_consumers_needs_no_flag():
    sim, stream = make()
    stream.register_consumer("c")
    stream.deregister_consumer("c")
    sim.kinesis.delete_stream("orders")
    sim.advance(1.0)
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.stream("orders")


def test_deregister_ends_the_consumers_subscriptions():
    sim, stream = make()
    consumer = stream.register_consumer("c")
    sub = consumer.subscribe("shardId-000000000000", "LATEST")
    ended = []
    sub.on_end = ended.append
    stream.deregister_consumer("c")
    assert ended == [sub]
    assert sub.end_reason == "CONSUMER_DELETED"
    assert sim.trace.of_kind("efo.end")[-1].fields["reason"] == "CONSUMER_DELETED"


def test_list_stream_consumers_pages_with_tokens_that_expire():
    sim, stream = make()
    for i in range(5):
        stream.register_consumer(f"c{i}")
    first = sim.kinesis.list_stream_consumers(stream.arn, max_results=2)
    assert [c.name for c in first.consumers] == ["c0", "c1"]
    second = sim.kinesis.list_stream_consumers(
        stream.arn, max_results=2, next_token=first.next_token
    )
    assert [c.name for c in second.consumers] == ["c2", "c3"]
    third = sim.kinesis.list_stream_consumers(stream.arn, next_token=second.next_token)
    assert [c.name for c in third.consumers] == ["c4"]
    assert third.next_token is None
    with pytest.raises(kinesim.InvalidArgumentException, match="Invalid NextToken"):
        sim.kinesis.list_stream_consumers(stream.arn, next_token="bogus")
    with pytest.raises(kinesim.ValidationException, match="maxResults"):
        sim.kinesis.list_stream_consumers(stream.arn, max_results=0)
    sim.advance(300.001)
    with pytest.raises(kinesim.ExpiredNextTokenException):
        sim.kinesis.list_stream_consumers(stream.arn, next_token=first.next_token)
