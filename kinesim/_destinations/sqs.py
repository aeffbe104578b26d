"""An in-memory SQS standard queue in virtual time (``sim.sqs``).

Enough of SQS for a failure destination and for tests to read what arrived: send, receive with a
visibility timeout that runs on the virtual clock, delete, approximate counts, the message size
limit with SQS's error. Visibility is computed on read (no timers), so an idle queue costs nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms
from kinesim._errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    KinesimTypeError,
    MissingParameter,
    QueueDoesNotExist,
    ReceiptHandleIsInvalid,
)

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = ["Message", "Queue", "SQSService"]

#: SQS's default and largest MaximumMessageSize: 1 MiB since August 2025 (256 KiB before).
DEFAULT_MAXIMUM_MESSAGE_SIZE = 1_048_576
_QUEUE_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,80}$")


@dataclass(frozen=True, slots=True)
class Message:
    """A message as ReceiveMessage returns it."""

    message_id: str
    receipt_handle: str
    body: str
    md5_of_body: str
    sent_ms: int
    receive_count: int

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


# The characters SQS accepts in a message body (XML 1.0's Char production), as AWS documents.
_NOT_ALLOWED = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_message_characters(body: str) -> None:
    """``InvalidMessageContents`` if ``body`` holds a character SQS does not accept (a control
    character, a lone surrogate, U+FFFE/U+FFFF), with SQS's message text."""
    bad = _NOT_ALLOWED.search(body)
    if bad is not None:
        raise InvalidMessageContents(
            f"Invalid binary character '#x{ord(bad.group()):X}' was found in the message body, "
            "the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to "
            "#xFFFD | #x10000 to #x10FFFF"
        )


class _Stored:
    __slots__ = ("body", "message_id", "receipt_handle", "receive_count", "sent_ms", "visible_ms")

    def __init__(self, message_id: str, body: str, sent_ms: int, visible_ms: int) -> None:
        self.message_id = message_id
        self.body = body
        self.sent_ms = sent_ms
        self.visible_ms = visible_ms
        self.receive_count = 0
        self.receipt_handle: str | None = None


class Queue:
    """An SQS standard queue. Create it with ``sim.sqs.create_queue(name)``."""

    kind = "sqs"

    def __init__(
        self,
        sim: Simulator,
        name: str,
        *,
        visibility_timeout: int,
        maximum_message_size: int,
    ) -> None:
        self._sim = sim
        self.name = name
        self.arn = f"arn:aws:sqs:{sim.region}:{sim.account_id}:{name}"
        self.url = f"https://sqs.{sim.region}.amazonaws.com/{sim.account_id}/{name}"
        self.visibility_timeout = visibility_timeout
        self.maximum_message_size = maximum_message_size
        self._messages: list[_Stored] = []  # send order
        self._rng = sim.random(f"sqs.{name}.ids")
        self._receipts = 0
        self.sent_count = 0
        self.deleted = False

    # -- the AWS operations ---------------------------------------------------------------------

    def send_message(self, body: str, *, delay_seconds: int = 0) -> str:
        """Send a message; returns its MessageId. Over ``maximum_message_size`` bytes (UTF-8)
        raises ``InvalidParameterValue`` as SQS does."""
        self._check_alive()
        if not isinstance(body, str):
            raise KinesimTypeError(f"an SQS message body is a str, got {type(body).__name__}")
        if not body:
            raise MissingParameter("The request must contain the parameter MessageBody.")
        check_message_characters(body)
        size = len(body.encode())
        if size > self.maximum_message_size:
            raise InvalidParameterValue(
                "One or more parameters are invalid. Reason: Message must be shorter than "
                f"{self.maximum_message_size} bytes."
            )
        if isinstance(delay_seconds, bool) or not isinstance(delay_seconds, int):
            raise KinesimTypeError(f"delay_seconds is whole seconds, got {delay_seconds!r}")
        if not 0 <= delay_seconds <= 900:
            raise InvalidParameterValue(
                f"Value {delay_seconds} for parameter DelaySeconds is invalid. Reason: must be "
                "between 0 and 900, if provided."
            )
        now_ms = self._sim.now_ms
        message_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        self._messages.append(_Stored(message_id, body, now_ms, now_ms + delay_seconds * 1000))
        self.sent_count += 1
        return message_id

    def receive_messages(
        self, max_number: int = 1, *, visibility_timeout: int | None = None
    ) -> list[Message]:
        """Up to ``max_number`` (1-10) visible messages, oldest first; each becomes invisible
        for the visibility timeout (virtual seconds) unless deleted meanwhile."""
        self._check_alive()
        if isinstance(max_number, bool) or not isinstance(max_number, int):
            raise KinesimTypeError(f"max_number is a whole number 1-10, got {max_number!r}")
        if not 1 <= max_number <= 10:
            raise InvalidParameterValue(
                f"Value {max_number} for parameter MaxNumberOfMessages is invalid. Reason: Must "
                "be between 1 and 10, if provided."
            )
        timeout = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, int) or not 0 <= timeout <= 43200:
            raise InvalidParameterValue(
                f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Must be "
                "between 0 and 43200, if provided."
            )
        now_ms = self._sim.now_ms
        out: list[Message] = []
        for stored in self._messages:
            if len(out) == max_number:
                break
            if stored.visible_ms > now_ms:
                continue
            stored.visible_ms = now_ms + timeout * 1000
            stored.receive_count += 1
            self._receipts += 1
            handle = hashlib.sha256(
                f"{self.arn}:{stored.message_id}:{self._receipts}".encode()
            ).hexdigest()
            stored.receipt_handle = handle
            out.append(
                Message(
                    message_id=stored.message_id,
                    receipt_handle=handle,
                    body=stored.body,
                    md5_of_body=hashlib.md5(stored.body.encode()).hexdigest(),
                    sent_ms=stored.sent_ms,
                    receive_count=stored.receive_count,
                )
            )
        return out

    def delete_message(self, receipt_handle: str | Message) -> None:
        """Delete a received message by its receipt handle (the latest one issued for it)."""
        self._check_alive()
        handle = (
            receipt_handle.receipt_handle if isinstance(receipt_handle, Message) else receipt_handle
        )
        for i, stored in enumerate(self._messages):
            if stored.receipt_handle == handle:
                del self._messages[i]
                return
        raise ReceiptHandleIsInvalid(
            f'The input receipt handle "{handle}" is not a valid receipt handle.'
        )

    def change_message_visibility(self, receipt_handle: str | Message, timeout: int) -> None:
        """Make a received message visible again after ``timeout`` seconds from now."""
        handle = (
            receipt_handle.receipt_handle if isinstance(receipt_handle, Message) else receipt_handle
        )
        for stored in self._messages:
            if stored.receipt_handle == handle:
                stored.visible_ms = self._sim.now_ms + seconds_to_ms(timeout, "timeout")
                return
        raise ReceiptHandleIsInvalid(
            f'The input receipt handle "{handle}" is not a valid receipt handle.'
        )

    def purge(self) -> None:
        """Delete every message."""
        self._messages.clear()

    @property
    def approximate_number_of_messages(self) -> int:
        """Messages available now (ApproximateNumberOfMessages)."""
        now_ms = self._sim.now_ms
        return sum(1 for m in self._messages if m.visible_ms <= now_ms)

    @property
    def approximate_number_not_visible(self) -> int:
        """Received messages whose visibility timeout has not expired (in flight)."""
        now_ms = self._sim.now_ms
        return sum(1 for m in self._messages if m.visible_ms > now_ms and m.receive_count > 0)

    @property
    def approximate_number_delayed(self) -> int:
        """Sent with a delay that has not passed yet."""
        now_ms = self._sim.now_ms
        return sum(1 for m in self._messages if m.visible_ms > now_ms and m.receive_count == 0)

    def attributes(self) -> dict[str, str]:
        """A subset of GetQueueAttributes(All), values as strings like AWS returns them."""
        return {
            "QueueArn": self.arn,
            "ApproximateNumberOfMessages": str(self.approximate_number_of_messages),
            "ApproximateNumberOfMessagesNotVisible": str(self.approximate_number_not_visible),
            "ApproximateNumberOfMessagesDelayed": str(self.approximate_number_delayed),
            "VisibilityTimeout": str(self.visibility_timeout),
            "MaximumMessageSize": str(self.maximum_message_size),
        }

    # -- reading for tests (no state change) ------------------------------------------------------

    def __len__(self) -> int:
        """Messages in the queue (visible or not), like the sum of the approximate counts."""
        return len(self._messages)

    def bodies(self) -> list[str]:
        """Bodies of every message still in the queue, in send order, visible or not. Reading
        does not receive: nothing changes."""
        return [m.body for m in self._messages]

    def json_bodies(self) -> list[Any]:
        """:meth:`bodies` parsed as JSON."""
        return [json.loads(m.body) for m in self._messages]

    def _check_alive(self) -> None:
        if self.deleted:
            raise QueueDoesNotExist("The specified queue does not exist.")

    def __repr__(self) -> str:
        return f"<Queue {self.name} messages={len(self._messages)}>"


class SQSService:
    """``sim.sqs``: queues by name, URL or ARN."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._queues: dict[str, Queue] = {}

    def create_queue(
        self,
        name: str,
        *,
        visibility_timeout: int = 30,
        maximum_message_size: int = DEFAULT_MAXIMUM_MESSAGE_SIZE,
    ) -> Queue:
        """Create a standard queue (or return the existing one of that name, as SQS does when
        the attributes match). ``maximum_message_size`` is 1,024-1,048,576 bytes."""
        if not isinstance(name, str) or not _QUEUE_NAME.fullmatch(name):
            raise InvalidParameterValue(
                "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in "
                "length"
            )
        if (
            isinstance(visibility_timeout, bool)
            or not isinstance(visibility_timeout, int)
            or not 0 <= visibility_timeout <= 43200
        ):
            raise InvalidParameterValue(
                "Invalid value for the parameter VisibilityTimeout.", http_status=400
            )
        if (
            isinstance(maximum_message_size, bool)
            or not isinstance(maximum_message_size, int)
            or not 1024 <= maximum_message_size <= 1_048_576
        ):
            raise InvalidParameterValue("Invalid value for the parameter MaximumMessageSize.")
        existing = self._queues.get(name)
        if existing is not None:
            return existing
        queue = Queue(
            self._sim,
            name,
            visibility_timeout=visibility_timeout,
            maximum_message_size=maximum_message_size,
        )
        self._queues[name] = queue
        return queue

    def queue(self, name_url_or_arn: str) -> Queue:
        """The queue with this name, URL or ARN; ``QueueDoesNotExist`` if none."""
        key = (
            name_url_or_arn.rsplit(":", 1)[-1]
            if name_url_or_arn.startswith("arn:")
            else (name_url_or_arn.rsplit("/", 1)[-1])
        )
        queue = self._queues.get(key)
        if queue is None or name_url_or_arn not in (queue.name, queue.url, queue.arn):
            raise QueueDoesNotExist("The specified queue does not exist.")
        return queue

    def queue_by_arn(self, arn: str) -> Queue | None:
        queue = self._queues.get(arn.rsplit(":", 1)[-1])
        return queue if queue is not None and queue.arn == arn else None

    def list_queues(self) -> list[Queue]:
        return list(self._queues.values())

    def delete_queue(self, queue: str | Queue) -> None:
        q = queue if isinstance(queue, Queue) else self.queue(queue)
        q.deleted = True
        self._queues.pop(q.name, None)
