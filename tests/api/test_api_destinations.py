"""sim.client("sqs" | "sns" | "s3"): the destination services through boto3's shapes."""

from __future__ import annotations

import hashlib
import json

import pytest
from api_helpers import check_shape


def test_sqs_round_trip(sim, sqs):
    url = check_shape(
        "sqs",
        "CreateQueue",
        sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "5"}),
    )["QueueUrl"]
    queue = sim.sqs.queue("q")
    assert url == queue.url
    assert queue.visibility_timeout == 5
    assert check_shape("sqs", "GetQueueUrl", sqs.get_queue_url(QueueName="q"))["QueueUrl"] == url
    sent = check_shape("sqs", "SendMessage", sqs.send_message(QueueUrl=url, MessageBody="hi"))
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"hi").hexdigest()
    attrs = check_shape(
        "sqs", "GetQueueAttributes", sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    )["Attributes"]
    assert attrs["QueueArn"] == queue.arn
    assert attrs["ApproximateNumberOfMessages"] == "1"
    only = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert only == {"QueueArn": queue.arn}
    got = check_shape(
        "sqs", "ReceiveMessage", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    )
    [message] = got["Messages"]
    assert (message["Body"], message["MessageId"]) == ("hi", sent["MessageId"])
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # in flight now
    sim.advance(5)
    again = sqs.receive_message(QueueUrl=url)["Messages"][0]
    check_shape(
        "sqs",
        "DeleteMessage",
        sqs.delete_message(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"]),
    )
    assert len(queue) == 0


def test_sqs_errors(sqs):
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="missing")
    with pytest.raises(sqs.exceptions.InvalidParameterValue):
        sqs.create_queue(QueueName="q", Attributes={"FifoQueue": "true"})
    with pytest.raises(sqs.exceptions.InvalidParameterValue):
        sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "soon"})


def test_sns_to_sqs(sim, sns, sqs):
    topic = check_shape("sns", "CreateTopic", sns.create_topic(Name="alerts"))["TopicArn"]
    assert topic == sim.sns.topic("alerts").arn
    url = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sim.sqs.queue(url).arn
    sub = check_shape(
        "sns",
        "Subscribe",
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn),
    )["SubscriptionArn"]
    listed = check_shape(
        "sns", "ListSubscriptionsByTopic", sns.list_subscriptions_by_topic(TopicArn=topic)
    )["Subscriptions"]
    assert listed == [
        {
            "SubscriptionArn": sub,
            "Owner": sim.account_id,
            "Protocol": "sqs",
            "Endpoint": queue_arn,
            "TopicArn": topic,
        }
    ]
    published = check_shape(
        "sns", "Publish", sns.publish(TopicArn=topic, Message="hello", Subject="s")
    )
    body = json.loads(sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert (body["Message"], body["MessageId"]) == ("hello", published["MessageId"])


def test_sns_raw_delivery_and_errors(sns, sqs, sim):
    topic = sns.create_topic(Name="t")["TopicArn"]
    url = sqs.create_queue(QueueName="raw")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=sim.sqs.queue(url).arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    sns.publish(TopicArn=topic, Message="plain")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "plain"
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com")
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn=topic + "x", Message="m")


def test_s3_round_trip(sim, s3):
    check_shape("s3", "CreateBucket", s3.create_bucket(Bucket="archive"))
    put = check_shape("s3", "PutObject", s3.put_object(Bucket="archive", Key="a/1", Body=b"one"))
    assert put["ETag"] == f'"{hashlib.md5(b"one").hexdigest()}"'
    s3.put_object(Bucket="archive", Key="a/2", Body="two")
    s3.put_object(Bucket="archive", Key="b/1", Body=b"")
    got = check_shape("s3", "GetObject", s3.get_object(Bucket="archive", Key="a/2"))
    assert got["Body"].read() == b"two"
    assert got["ContentLength"] == 3
    assert got["LastModified"] == sim.datetime
    listed = check_shape(
        "s3", "ListObjectsV2", s3.list_objects_v2(Bucket="archive", Prefix="a/", MaxKeys=1)
    )
    assert [o["Key"] for o in listed["Contents"]] == ["a/1"]
    assert (listed["IsTruncated"], listed["KeyCount"]) == (True, 1)
    rest = s3.list_objects_v2(Bucket="archive", Prefix="a/", StartAfter="a/1")
    assert [o["Key"] for o in rest["Contents"]] == ["a/2"]
    assert "Contents" not in s3.list_objects_v2(Bucket="archive", Prefix="z")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket="archive", Key="nope")
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.put_object(Bucket="missing", Key="k", Body=b"")
