"""Account-level and by-ARN operations of ``sim.kinesis``: tags and resource policies of any
Kinesis resource (a stream, an enhanced fan-out consumer or a queue), and the account's minimum
throughput billing commitment (DescribeAccountSettings / UpdateAccountSettings).

Resource policies are stored and returned, not enforced: kinesim runs every call as the account
owner, so a policy could only ever allow what is already allowed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kinesim._errors import InvalidArgumentException, KinesimTypeError, LimitExceededException
from kinesim._kinesis.validate import check_enum, check_list, check_str, fail

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._kinesis.fanout.consumers import Consumer
    from kinesim._kinesis.queues import Queue, QueueService
    from kinesim._kinesis.stream import Stream
    from kinesim._simulator import Simulator

__all__ = ["MAX_TAGS", "BillingCommitment", "KinesisResourcesMixin", "check_tag_keys", "check_tags"]

#: "You can assign up to 50 tags to a Kinesis resource." (TagResource)
MAX_TAGS = 50
#: "Commitments have a minimum duration of 24 hours that must be honored before they can be
#: disabled." (MinimumThroughputBillingCommitmentInput)
COMMITMENT_MIN_MS = 24 * 3_600_000
#: ResourceARN's pattern for a stream or consumer (the botocore model's, anchored).
_RESOURCE_ARN = r"arn:aws.*:kinesis:.*:\d{12}:.*(stream|queue)/\S+"
_QUEUE_ARN = re.compile(r"arn:aws[^:]*:kinesis:[^:]*:\d{12}:queue/\S+")
_CONSUMER_PART = re.compile(r"/consumer/[a-zA-Z0-9_.-]+:[0-9]+$")
#: PutResourcePolicy's Policy: at most 20,480 characters (AWS API reference).
MAX_POLICY_CHARS = 20_480


@dataclass(frozen=True, slots=True)
class BillingCommitment:
    """The account's minimum throughput billing commitment. ``status`` is ``ENABLED``,
    ``DISABLED`` or ``ENABLED_UNTIL_EARLIEST_ALLOWED_END`` (a disable asked for before the
    24-hour minimum, which takes effect at ``earliest_allowed_end_ms``); times are epoch ms."""

    status: str
    started_ms: int | None = None
    ended_ms: int | None = None
    earliest_allowed_end_ms: int | None = None


class KinesisResourcesMixin:
    """Tags and resource policies by ARN, and account settings (a base class of the service)."""

    # Provided by the Kinesis service.
    sim: Simulator
    queues: QueueService

    def stream_by_arn(self, arn: str) -> Stream:
        raise NotImplementedError

    def consumer_by_arn(self, consumer_arn: str) -> Consumer:
        raise NotImplementedError

    # -- resources by ARN ---------------------------------------------------------------------

    def resource_by_arn(self, resource_arn: str) -> Stream | Consumer | Queue:
        """The stream, enhanced fan-out consumer or queue this ARN names
        (``ResourceNotFoundException`` if it does not exist)."""
        check_str(resource_arn, "resourceARN", max_len=2048, pattern=_RESOURCE_ARN)
        if _QUEUE_ARN.fullmatch(resource_arn):
            return self.queues.queue(resource_arn)
        if _CONSUMER_PART.search(resource_arn):
            return self.consumer_by_arn(resource_arn)
        return self.stream_by_arn(resource_arn)

    def tag_resource(self, resource_arn: str, tags: Mapping[str, str]) -> None:
        """TagResource: add or overwrite tags (at most 50 per resource)."""
        resource = self.resource_by_arn(resource_arn)
        merged = {**resource.tags, **check_tags(tags)}
        if len(merged) > MAX_TAGS:
            raise LimitExceededException(
                f"Failed to add tags to resource {resource_arn} because a given resource cannot "
                f"have more than {MAX_TAGS} tags associated with it."
            )
        resource.tags = merged

    def untag_resource(self, resource_arn: str, tag_keys: Iterable[str]) -> None:
        """UntagResource (unknown keys are ignored)."""
        resource = self.resource_by_arn(resource_arn)
        for key in check_tag_keys(tag_keys):
            resource.tags.pop(key, None)

    def list_tags_for_resource(self, resource_arn: str) -> dict[str, str]:
        """ListTagsForResource: every tag, in key order."""
        return dict(sorted(self.resource_by_arn(resource_arn).tags.items()))

    def put_resource_policy(self, resource_arn: str, policy: str) -> None:
        """PutResourcePolicy: store ``policy`` (JSON text) on the stream or consumer. kinesis
        stores it and returns it; it does not enforce it."""
        resource = self.resource_by_arn(resource_arn)
        resource.resource_policy = check_str(policy, "policy", max_len=MAX_POLICY_CHARS)

    def get_resource_policy(self, resource_arn: str) -> str:
        """GetResourcePolicy: the stored policy, ``"{}"`` when none is attached (assumed)."""
        policy = self.resource_by_arn(resource_arn).resource_policy
        return "{}" if policy is None else policy

    def delete_resource_policy(self, resource_arn: str) -> None:
        """DeleteResourcePolicy (deleting an absent policy is not an error; assumed)."""
        self.resource_by_arn(resource_arn).resource_policy = None

    # -- account settings ---------------------------------------------------------------------

    _commitment: BillingCommitment
    _commitment_end: Handle | None

    @property
    def billing_commitment(self) -> BillingCommitment:
        """DescribeAccountSettings' ``MinimumThroughputBillingCommitment``."""
        return self._commitment

    def update_billing_commitment(self, status: str) -> BillingCommitment:
        """UpdateAccountSettings: enable or disable the minimum throughput billing commitment.
        A disable before 24 hours is scheduled for the earliest allowed end; enabling again
        before then cancels it."""
        check_enum(status, "minimumThroughputBillingCommitment.status", ["ENABLED", "DISABLED"])
        now_ms = self.sim.now_ms
        current = self._commitment
        if status == "ENABLED":
            if current.status == "ENABLED_UNTIL_EARLIEST_ALLOWED_END":
                self._cancel_commitment_end()
                self._commitment = BillingCommitment(
                    "ENABLED", current.started_ms, None, current.earliest_allowed_end_ms
                )
            elif current.status == "DISABLED":
                self._commitment = BillingCommitment(
                    "ENABLED", now_ms, None, now_ms + COMMITMENT_MIN_MS
                )
            return self._commitment
        if current.status == "DISABLED":
            raise InvalidArgumentException(
                "The minimum throughput billing commitment is already disabled."
            )
        end_ms = current.earliest_allowed_end_ms
        assert end_ms is not None
        if now_ms >= end_ms:
            self._commitment = BillingCommitment("DISABLED", current.started_ms, now_ms, end_ms)
        elif current.status == "ENABLED":
            self._commitment = BillingCommitment(
                "ENABLED_UNTIL_EARLIEST_ALLOWED_END", current.started_ms, None, end_ms
            )
            self._commitment_end = self.sim.call_at_ms(end_ms, self._end_commitment)
        return self._commitment

    def _end_commitment(self) -> None:
        self._commitment_end = None
        current = self._commitment
        self._commitment = BillingCommitment(
            "DISABLED", current.started_ms, self.sim.now_ms, current.earliest_allowed_end_ms
        )
        self.sim.trace.emit("kinesis.billing_commitment", status="DISABLED")

    def _cancel_commitment_end(self) -> None:
        if self._commitment_end is not None:
            self._commitment_end.cancel()
            self._commitment_end = None


def check_tags(tags: Any) -> dict[str, str]:
    """Validated tags: 1-50 keys of 1-128 characters, values of 0-256."""
    if not isinstance(tags, Mapping):
        raise KinesimTypeError(f"tags must be a dict of str to str, got {tags!r}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        out[check_str(key, "tags.key", max_len=128)] = check_str(
            value, "tags.value", min_len=0, max_len=256
        )
    if not 1 <= len(out) <= MAX_TAGS:
        raise fail("tags", out, f"Member must have between 1 and {MAX_TAGS} entries")
    return out


def check_tag_keys(tag_keys: Any) -> list[str]:
    """Validated tag keys: 1-50 of 1-128 characters."""
    keys = [
        check_str(k, "tagKeys.member", max_len=128)
        for k in check_list(tag_keys, "tag_keys", "tag keys")
    ]
    if not 1 <= len(keys) <= MAX_TAGS:
        raise fail("tagKeys", keys, f"Member must have length between 1 and {MAX_TAGS}")
    return keys
