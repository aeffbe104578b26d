"""Execution roles: a small IAM policy model, enough for what Lambda checks and calls.

``sim.iam.create_role(name, policies=[...])`` makes a role whose ARN a function takes as its
``role``. A policy is an IAM JSON document (a dict or a JSON string), a managed policy ARN that
kinesim knows, or a :class:`Policy`. Evaluation is IAM's, deterministic and without conditions:
an explicit ``Deny`` wins, else any matching ``Allow`` allows, else the call is denied. ``Action``
and ``NotAction`` match case-insensitively, ``Resource`` and ``NotResource`` case-sensitively,
both with the wildcards ``*`` (any run of characters) and ``?`` (one character).

A role ARN that was not created through ``sim.iam`` (the default role of a function, or any ARN
a test writes by hand) is not modelled: it has :data:`DEFAULT_ROLE_POLICIES`, the managed
AWSLambdaKinesisExecutionRole plus what kinesim's default role adds, so simple setups need no
IAM at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    KinesimTypeError,
    KinesimValueError,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = [
    "DEFAULT_ROLE_POLICIES",
    "KINESIS_EXECUTION_POLICY",
    "MANAGED_POLICIES",
    "IAMService",
    "Policy",
    "Role",
    "Statement",
]


def _glob(pattern: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _strings(value: Any, what: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)) or not items:
        raise KinesimValueError(f"a policy statement's {what} is a string or a list, got {value!r}")
    for item in items:
        if not isinstance(item, str):
            raise KinesimTypeError(f"a policy statement's {what} holds strings, got {item!r}")
    return tuple(items)


@dataclass(frozen=True, slots=True)
class Statement:
    """One policy statement: ``effect`` "Allow" or "Deny"; exactly one of ``actions`` /
    ``not_actions``, and of ``resources`` / ``not_resources`` (IAM patterns with ``*``/``?``)."""

    effect: str = "Allow"
    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ("*",)
    not_actions: tuple[str, ...] = ()
    not_resources: tuple[str, ...] = ()
    _compiled: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.effect not in ("Allow", "Deny"):
            raise KinesimValueError(f'Effect is "Allow" or "Deny", got {self.effect!r}')
        if bool(self.actions) == bool(self.not_actions):
            raise KinesimValueError("a policy statement has exactly one of Action, NotAction")
        if bool(self.resources) == bool(self.not_resources):
            raise KinesimValueError("a policy statement has exactly one of Resource, NotResource")
        compiled = (
            tuple(_glob(a, ignore_case=True) for a in self.actions or self.not_actions),
            tuple(_glob(r, ignore_case=False) for r in self.resources or self.not_resources),
        )
        object.__setattr__(self, "_compiled", compiled)

    @classmethod
    def from_dict(cls, doc: Any) -> Statement:
        """A statement from IAM JSON (``{"Effect", "Action", "Resource"}``...)."""
        if not isinstance(doc, dict):
            raise KinesimTypeError(f"a policy statement is a dict, got {doc!r}")
        unsupported = sorted(
            set(doc) - {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource"}
        )
        if unsupported:
            raise KinesimValueError(
                f"policy statement keys {unsupported} are not modelled by kinesim (no "
                "conditions or principals in execution-role policies); remove them"
            )
        return cls(
            effect=doc.get("Effect", ""),
            actions=_strings(doc["Action"], "Action") if "Action" in doc else (),
            not_actions=_strings(doc["NotAction"], "NotAction") if "NotAction" in doc else (),
            resources=_strings(doc["Resource"], "Resource") if "Resource" in doc else (),
            not_resources=(
                _strings(doc["NotResource"], "NotResource") if "NotResource" in doc else ()
            ),
        )

    def applies(self, action: str, resource: str) -> bool:
        """Whether this statement covers ``action`` on ``resource``."""
        action_patterns, resource_patterns = self._compiled
        action_hit = any(p.fullmatch(action) for p in action_patterns)
        if self.not_actions:
            action_hit = not action_hit
        if not action_hit:
            return False
        resource_hit = any(p.fullmatch(resource) for p in resource_patterns)
        return resource_hit != bool(self.not_resources)


@dataclass(frozen=True, slots=True)
class Policy:
    """A policy: statements, in order (order does not change the outcome)."""

    statements: tuple[Statement, ...]
    name: str = ""

    @classmethod
    def from_document(cls, document: Any, *, name: str = "") -> Policy:
        """A policy from an IAM JSON document (dict or string)."""
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                raise KinesimValueError(f"a policy document is JSON, got {document!r}") from None
        if not isinstance(document, dict) or "Statement" not in document:
            raise KinesimValueError(
                'a policy document is {"Version": "2012-10-17", "Statement": [...]}, '
                f"got {document!r}"
            )
        statements = document["Statement"]
        if isinstance(statements, dict):
            statements = [statements]
        return cls(tuple(Statement.from_dict(s) for s in statements), name=name)


#: AWSLambdaKinesisExecutionRole, policy version v2 (edited 2018-11-19), verbatim from the AWS
#: managed policy reference.
KINESIS_EXECUTION_POLICY = Policy.from_document(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                    "kinesis:ListStreams",
                    "kinesis:SubscribeToShard",
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                ],
                "Resource": "*",
            }
        ],
    },
    name="arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole",
)

#: AWSLambdaBasicExecutionRole (v1): CloudWatch Logs only.
BASIC_EXECUTION_POLICY = Policy.from_document(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ],
    },
    name="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
)

MANAGED_POLICIES = {p.name: p for p in (KINESIS_EXECUTION_POLICY, BASIC_EXECUTION_POLICY)}

#: ASSUMED: what kinesim's default role adds to the managed policy so that a mapping with an
#: on-failure destination or a fan-out consumer works without IAM setup (the managed policy has
#: neither the send permissions nor DescribeStreamConsumer; the Lambda console adds destination
#: permissions to a role when a destination is configured there).
DEFAULT_ROLE_EXTRAS = Policy.from_document(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "kinesis:DescribeStreamConsumer",
                    "sqs:SendMessage",
                    "sns:Publish",
                    "s3:PutObject",
                ],
                "Resource": "*",
            }
        ],
    },
    name="kinesim-default-role-extras",
)

DEFAULT_ROLE_POLICIES = (KINESIS_EXECUTION_POLICY, DEFAULT_ROLE_EXTRAS)


class Role:
    """An execution role: a name, an ARN and its policies. :meth:`allows` evaluates."""

    __slots__ = ("arn", "modelled", "name", "policies")

    def __init__(
        self, name: str, arn: str, policies: tuple[Policy, ...], *, modelled: bool = True
    ) -> None:
        self.name = name
        self.arn = arn
        self.policies = policies
        #: False for a role kinesim was not told about (it has the default permissions).
        self.modelled = modelled

    def allows(self, action: str, resource: str) -> bool:
        """IAM's evaluation: an explicit Deny wins; else an Allow allows; else denied."""
        allowed = False
        for policy in self.policies:
            for statement in policy.statements:
                if statement.applies(action, resource):
                    if statement.effect == "Deny":
                        return False
                    allowed = True
        return allowed

    def __repr__(self) -> str:
        return f"<Role {self.arn} policies={[p.name or '<inline>' for p in self.policies]}>"


_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


class IAMService:
    """``sim.iam``: the roles functions run with."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._roles: dict[str, Role] = {}

    def create_role(self, name: str, *, policies: Iterable[Any] = (), path: str = "/") -> Role:
        """A role with ``policies``: IAM JSON documents (dicts or strings), managed policy
        ARNs kinesim knows (:data:`MANAGED_POLICIES`) or :class:`Policy` values."""
        if not isinstance(name, str) or not _ROLE_NAME.fullmatch(name):
            raise ValidationException(
                f"1 validation error detected: Value '{name}' at 'roleName' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
            )
        if not (isinstance(path, str) and path.startswith("/") and path.endswith("/")):
            raise KinesimValueError(f"path starts and ends with '/', got {path!r}")
        arn = f"arn:aws:iam::{self._sim.account_id}:role{path}{name}"
        if any(role.name == name for role in self._roles.values()):
            raise KinesimValueError(f"a role named {name!r} already exists in this simulator")
        role = Role(name, arn, tuple(self._policy(p) for p in policies))
        self._roles[arn] = role
        return role

    def _policy(self, policy: Any) -> Policy:
        if isinstance(policy, Policy):
            return policy
        if isinstance(policy, str) and policy.startswith("arn:"):
            managed = MANAGED_POLICIES.get(policy)
            if managed is None:
                raise KinesimValueError(
                    f"{policy} is not a managed policy kinesim knows ({sorted(MANAGED_POLICIES)});"
                    " pass its JSON document instead"
                )
            return managed
        return Policy.from_document(policy)

    def role(self, name_or_arn: str) -> Role:
        """A role created here, by name or ARN."""
        for role in self._roles.values():
            if name_or_arn in (role.name, role.arn):
                return role
        raise ResourceNotFoundException(f"The role with name {name_or_arn} cannot be found.")

    def role_of(self, role_arn: str) -> Role:
        """The permissions behind a function's role ARN: the role created here, or (for an ARN
        kinesim was not told about) one with :data:`DEFAULT_ROLE_POLICIES`."""
        role = self._roles.get(role_arn)
        if role is None:
            name = role_arn.rsplit("/", 1)[-1]
            return Role(name, role_arn, DEFAULT_ROLE_POLICIES, modelled=False)
        return role

    def list_roles(self) -> list[Role]:
        return list(self._roles.values())
