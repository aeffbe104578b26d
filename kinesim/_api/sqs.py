"""``sim.client("sqs")``: standard queues, translated to ``sim.sqs``."""

from __future__ import annotations

import hashlib
from typing import Any

from kinesim._api._base import Client, operation
from kinesim._errors import InvalidParameterValue

__all__ = ["SQSClient"]

#: CreateQueue attributes kinesim's queues have, and the create_queue keyword each sets.
_CREATE_ATTRIBUTES = {
    "VisibilityTimeout": "visibility_timeout",
    "MaximumMessageSize": "maximum_message_size",
}


class SQSClient(Client):
    service_name = "sqs"

    @operation("CreateQueue")
    def _create_queue(
        self, *, QueueName: str, Attributes: dict[str, str] | None = None
    ) -> dict[str, Any]:
        """Attributes ``VisibilityTimeout`` and ``MaximumMessageSize`` (strings, as AWS takes
        them); kinesim's queues have no others."""
        options: dict[str, int] = {}
        for name, value in (Attributes or {}).items():
            if name not in _CREATE_ATTRIBUTES:
                raise InvalidParameterValue(f"Unknown Attribute {name}.")
            try:
                options[_CREATE_ATTRIBUTES[name]] = int(value)
            except ValueError:
                raise InvalidParameterValue(f"Invalid value for the parameter {name}.") from None
        queue = self._sim.sqs.create_queue(QueueName, **options)
        return {"QueueUrl": queue.url}

    @operation("GetQueueUrl")
    def _get_queue_url(self, *, QueueName: str) -> dict[str, Any]:
        return {"QueueUrl": self._sim.sqs.queue(QueueName).url}

    @operation("GetQueueAttributes")
    def _get_queue_attributes(
        self, *, QueueUrl: str, AttributeNames: list[str] | None = None
    ) -> dict[str, Any]:
        """``All`` or named attributes, among ``QueueArn``, ``ApproximateNumberOfMessages``,
        ``...NotVisible``, ``...Delayed``, ``VisibilityTimeout``, ``MaximumMessageSize``."""
        attributes = self._sim.sqs.queue(QueueUrl).attributes()
        names = AttributeNames or []
        if "All" not in names:
            attributes = {k: v for k, v in attributes.items() if k in names}
        return {"Attributes": attributes} if attributes else {}

    @operation("SendMessage")
    def _send_message(
        self, *, QueueUrl: str, MessageBody: str, DelaySeconds: int = 0
    ) -> dict[str, Any]:
        queue = self._sim.sqs.queue(QueueUrl)
        message_id = queue.send_message(MessageBody, delay_seconds=DelaySeconds)
        return {
            "MD5OfMessageBody": hashlib.md5(MessageBody.encode()).hexdigest(),
            "MessageId": message_id,
        }

    @operation("ReceiveMessage")
    def _receive_message(
        self,
        *,
        QueueUrl: str,
        MaxNumberOfMessages: int = 1,
        VisibilityTimeout: int | None = None,
        WaitTimeSeconds: int = 0,
    ) -> dict[str, Any]:
        """Returns at once: ``WaitTimeSeconds`` is accepted but no long poll waits (advance
        the simulator instead). No ``Messages`` key when the queue has none, as boto3."""
        messages = self._sim.sqs.queue(QueueUrl).receive_messages(
            MaxNumberOfMessages, visibility_timeout=VisibilityTimeout
        )
        if not messages:
            return {}
        return {
            "Messages": [
                {
                    "MessageId": m.message_id,
                    "ReceiptHandle": m.receipt_handle,
                    "MD5OfBody": m.md5_of_body,
                    "Body": m.body,
                }
                for m in messages
            ]
        }

    @operation("DeleteMessage")
    def _delete_message(self, *, QueueUrl: str, ReceiptHandle: str) -> dict[str, Any]:
        self._sim.sqs.queue(QueueUrl).delete_message(ReceiptHandle)
        return {}
