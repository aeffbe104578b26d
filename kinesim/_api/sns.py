"""``sim.client("sns")``: standard topics with SQS subscriptions, translated to ``sim.sns``."""

from __future__ import annotations

from typing import Any

from kinesim._api._base import Client, operation
from kinesim._destinations.sqs import Queue
from kinesim._errors import InvalidParameterException

__all__ = ["SNSClient"]


class SNSClient(Client):
    service_name = "sns"

    @operation("CreateTopic")
    def _create_topic(self, *, Name: str) -> dict[str, Any]:
        return {"TopicArn": self._sim.sns.create_topic(Name).arn}

    @operation("Subscribe")
    def _subscribe(
        self,
        *,
        TopicArn: str,
        Protocol: str,
        Endpoint: str | None = None,
        Attributes: dict[str, str] | None = None,
        ReturnSubscriptionArn: bool = False,
    ) -> dict[str, Any]:
        """``Protocol="sqs"`` with a queue ARN as ``Endpoint``; attribute
        ``RawMessageDelivery`` ("true"/"false"). SQS subscriptions need no confirmation."""
        if Protocol != "sqs":
            raise InvalidParameterException(
                f"Invalid parameter: Protocol: kinesim's SNS client subscribes sqs endpoints, "
                f"got {Protocol!r}"
            )
        if Endpoint is None:
            raise InvalidParameterException("Invalid parameter: Endpoint")
        attributes = Attributes or {}
        unknown = set(attributes) - {"RawMessageDelivery"}
        if unknown:
            raise InvalidParameterException(
                f"Invalid parameter: Attributes Reason: Unknown attribute {sorted(unknown)[0]}"
            )
        raw = attributes.get("RawMessageDelivery", "false").lower() == "true"
        topic = self._sim.sns.topic(TopicArn)
        subscription = topic.subscribe(Endpoint, raw_message_delivery=raw)
        return {"SubscriptionArn": subscription.arn}

    @operation("Publish")
    def _publish(
        self, *, Message: str, TopicArn: str | None = None, Subject: str | None = None
    ) -> dict[str, Any]:
        if TopicArn is None:
            raise InvalidParameterException("Invalid parameter: TopicArn")
        message_id = self._sim.sns.topic(TopicArn).publish(Message, subject=Subject)
        return {"MessageId": message_id}

    @operation("ListSubscriptionsByTopic")
    def _list_subscriptions_by_topic(self, *, TopicArn: str) -> dict[str, Any]:
        topic = self._sim.sns.topic(TopicArn)
        out = []
        for s in topic.subscriptions:
            endpoint = s.endpoint.arn if isinstance(s.endpoint, Queue) else repr(s.endpoint)
            out.append(
                {
                    "SubscriptionArn": s.arn,
                    "Owner": self._sim.account_id,
                    "Protocol": s.protocol,
                    "Endpoint": endpoint,
                    "TopicArn": topic.arn,
                }
            )
        return {"Subscriptions": out}
