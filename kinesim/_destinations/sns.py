"""An in-memory SNS standard topic (``sim.sns``).

``publish`` delivers at once (same virtual instant) to every subscriber, in subscription order:
an SQS queue receives the SNS JSON envelope (``Type: "Notification"``, ``MessageId``,
``TopicArn``, ``Message``, ``Timestamp``, signature fields), or the bare message with raw message
delivery; a callable receives the envelope as a dict. Messages over 256 KB (262,144 bytes)
raise ``InvalidParameter`` "Invalid parameter: Message too long", as SNS does.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._core.text import utf8
from kinesim._destinations.sqs import Queue
from kinesim._errors import (
    InvalidParameterException,
    InvalidParameterValue,
    KinesimTypeError,
    NotFoundException,
)

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = ["MAX_MESSAGE_BYTES", "Published", "SNSService", "Subscription", "Topic"]

#: Largest SNS message (UTF-8 bytes), "256 KB (262,144 bytes)" in the Publish API reference.
MAX_MESSAGE_BYTES = 262_144
_TOPIC_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,256}$")


@dataclass(frozen=True, slots=True)
class Published:
    """One message published to a topic."""

    message_id: str
    message: str
    subject: str | None
    published_ms: int

    def json(self) -> Any:
        """The message parsed as JSON."""
        return json.loads(self.message)


@dataclass(frozen=True, slots=True)
class Subscription:
    arn: str
    endpoint: Queue | Callable[[dict[str, Any]], object]
    raw_message_delivery: bool

    @property
    def protocol(self) -> str:
        return "sqs" if isinstance(self.endpoint, Queue) else "lambda"


class Topic:
    """An SNS standard topic. Create it with ``sim.sns.create_topic(name)``."""

    kind = "sns"

    def __init__(self, sim: Simulator, name: str) -> None:
        self._sim = sim
        self.name = name
        self.arn = f"arn:aws:sns:{sim.region}:{sim.account_id}:{name}"
        self.subscriptions: list[Subscription] = []
        self._published: list[Published] = []
        self._rng = sim.random(f"sns.{name}.ids")
        #: Deliveries to subscribed queues that failed (e.g. the envelope was over their limit).
        self.failed_deliveries = 0

    def subscribe(
        self,
        endpoint: Queue | str | Callable[[dict[str, Any]], object],
        *,
        raw_message_delivery: bool = False,
    ) -> Subscription:
        """Subscribe a queue (or its ARN) or a callable taking the envelope dict."""
        if isinstance(endpoint, str):
            queue = self._sim.sqs.queue_by_arn(endpoint)
            if queue is None:
                raise InvalidParameterException("Invalid parameter: Endpoint", http_status=400)
            endpoint = queue
        elif not isinstance(endpoint, Queue) and not callable(endpoint):
            raise KinesimTypeError(
                f"subscribe takes an SQS queue, a queue ARN or a callable, got {endpoint!r}"
            )
        sub_id = uuid.UUID(int=self._rng.getrandbits(128), version=4)
        subscription = Subscription(f"{self.arn}:{sub_id}", endpoint, raw_message_delivery)
        self.subscriptions.append(subscription)
        return subscription

    def publish(self, message: str, *, subject: str | None = None) -> str:
        """Publish ``message``; returns the MessageId. Delivered now to every subscriber."""
        if not isinstance(message, str):
            raise KinesimTypeError(f"an SNS message is a str, got {type(message).__name__}")
        if not message:
            raise InvalidParameterException("Invalid parameter: Empty message")
        if len(utf8(message, "message")) > MAX_MESSAGE_BYTES:
            raise InvalidParameterException("Invalid parameter: Message too long")
        now_ms = self._sim.now_ms
        message_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._published.append(Published(message_id, message, subject, now_ms))
        for subscription in self.subscriptions:
            envelope = self._envelope(message_id, message, subject, now_ms, subscription)
            endpoint = subscription.endpoint
            if isinstance(endpoint, Queue):
                if endpoint.deleted:
                    continue  # SNS drops deliveries to a queue that is gone
                body = message if subscription.raw_message_delivery else json.dumps(envelope)
                try:
                    endpoint.send_message(body)
                except InvalidParameterValue:
                    # Too big for the queue once wrapped: SNS cannot deliver it.
                    self.failed_deliveries += 1
            else:
                endpoint(envelope)
        return message_id

    def _envelope(
        self,
        message_id: str,
        message: str,
        subject: str | None,
        now_ms: int,
        subscription: Subscription,
    ) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(now_ms // 1000, timezone.utc)
        region = self._sim.region
        envelope: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": self.arn,
        }
        if subject is not None:
            envelope["Subject"] = subject
        # A stand-in signature: deterministic, the right shape, not verifiable.
        signature = base64.b64encode(
            hashlib.sha256(f"{message_id}:{message}".encode()).digest() * 8
        ).decode()
        envelope.update(
            {
                "Message": message,
                "Timestamp": f"{stamp:%Y-%m-%dT%H:%M:%S}.{now_ms % 1000:03d}Z",
                "SignatureVersion": "1",
                "Signature": signature,
                "SigningCertURL": f"https://sns.{region}.amazonaws.com/"
                "SimpleNotificationService-kinesim.pem",
                "UnsubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe"
                f"&SubscriptionArn={subscription.arn}",
            }
        )
        return envelope

    # -- reading for tests ----------------------------------------------------------------------

    def published(self) -> list[Published]:
        """Every message published, in order."""
        return list(self._published)

    def messages(self) -> list[str]:
        """The published message strings, in order."""
        return [p.message for p in self._published]

    def json_messages(self) -> list[Any]:
        """:meth:`messages` parsed as JSON."""
        return [json.loads(p.message) for p in self._published]

    def __repr__(self) -> str:
        return f"<Topic {self.name} published={len(self._published)}>"


class SNSService:
    """``sim.sns``: topics by name or ARN."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._topics: dict[str, Topic] = {}

    def create_topic(self, name: str) -> Topic:
        """Create a standard topic (or return the existing one: CreateTopic is idempotent)."""
        if not isinstance(name, str) or not _TOPIC_NAME.fullmatch(name):
            raise InvalidParameterException("Invalid parameter: Topic Name", http_status=400)
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = Topic(self._sim, name)
        return topic

    def topic(self, name_or_arn: str) -> Topic:
        """The topic with this name or ARN; ``NotFound`` if none."""
        topic = self._topics.get(name_or_arn.rsplit(":", 1)[-1])
        if topic is None or name_or_arn not in (topic.name, topic.arn):
            raise NotFoundException("Topic does not exist")
        return topic

    def topic_by_arn(self, arn: str) -> Topic | None:
        topic = self._topics.get(arn.rsplit(":", 1)[-1])
        return topic if topic is not None and topic.arn == arn else None

    def list_topics(self) -> list[Topic]:
        return list(self._topics.values())

    def delete_topic(self, topic: str | Topic) -> None:
        t = topic if isinstance(topic, Topic) else self.topic(topic)
        self._topics.pop(t.name, None)
