"""The simulator users hold: the core's clock and queue, plus observation and the AWS services.

This module sits at the top of the domain layer: it composes the services (which receive the
simulator and read its clock, trace, metrics, timings and limits) and never the other way round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from kinesim._config import Limits, Timings
from kinesim._core.scheduler import (
    DEFAULT_START,
    MAX_EVENTS_PER_INSTANT,
    Scheduler,
    seconds_to_ms,
)
from kinesim._destinations import S3Service, SNSService, SQSService
from kinesim._errors import KinesimTypeError, KinesimValueError
from kinesim._esm.service import MappingService
from kinesim._iam import IAMService
from kinesim._kinesis.service import KinesisService
from kinesim._lambda.service import LambdaService
from kinesim._observe.metrics import DEFAULT_RAW_DATAPOINTS, Metrics
from kinesim._observe.trace import DEFAULT_LIMIT, Trace

if TYPE_CHECKING:
    from kinesim._api import Client
    from kinesim._api.types import (
        CloudWatchClientType,
        KinesisClientType,
        LambdaClientType,
        S3ClientType,
        SNSClientType,
        SQSClientType,
    )

__all__ = ["Simulator"]

_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class Simulator(Scheduler):
    """A simulated AWS account and Region on a virtual clock.

    All arguments are keyword-only. ``seed`` drives every random choice; ``start`` is when
    virtual time begins (default 2026-01-01T00:00:00Z, never the wall clock).

    ``trace`` is True (record every kind, holding the last ``trace_limit`` events, default
    1,000), ``"all"`` (hold every event: memory grows with the run), False, or a collection
    of the event kinds to record; ``trace_file`` also streams every recorded event to that
    msgpack trace file as it happens (finish it with ``sim.trace.close_stream()``).
    ``metric_datapoints`` is how many datapoints each metric keeps as they came before older
    ones are folded into CloudWatch-style 1-minute statistics (None keeps every datapoint).
    ``max_events_per_instant`` bounds how many events one ``advance``/``drain`` runs at one
    virtual instant before it stops with :class:`kinesim.LivelockError` (default 100,000; a
    guard against zero-delay loops).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        start: datetime | float = DEFAULT_START,
        account_id: str = "123456789012",
        region: str = "us-east-1",
        timings: Timings | None = None,
        limits: Limits | None = None,
        trace: bool | str | Iterable[str] = True,
        trace_limit: int | None = DEFAULT_LIMIT,
        trace_file: str | Path | None = None,
        metric_datapoints: int | None = DEFAULT_RAW_DATAPOINTS,
        max_events_per_instant: int = MAX_EVENTS_PER_INSTANT,
    ) -> None:
        super().__init__(seed=seed, start=start, max_events_per_instant=max_events_per_instant)
        if not isinstance(account_id, str) or not _ACCOUNT.match(account_id):
            raise KinesimValueError(f"account_id must be 12 digits, got {account_id!r}")
        if not isinstance(region, str) or not _REGION.match(region):
            raise KinesimValueError(f"region must look like 'us-east-1', got {region!r}")
        if timings is not None and not isinstance(timings, Timings):
            raise KinesimTypeError(f"timings must be a kinesim.Timings, got {timings!r}")
        if limits is not None and not isinstance(limits, Limits):
            raise KinesimTypeError(f"limits must be a kinesim.Limits, got {limits!r}")
        self.account_id = account_id
        self.region = region
        self.timings = timings if timings is not None else Timings()
        self.limits = limits if limits is not None else Limits()
        if isinstance(trace, str) and trace != "all":
            raise KinesimValueError(
                f"trace takes True, False, 'all' or a collection of event kinds, got {trace!r}"
            )
        if trace == "all":
            trace_limit = None
        if isinstance(trace, (bool, str)):
            self.trace = Trace(
                clock=self,
                enabled=bool(trace),
                seed=seed,
                start_ms=self.start_ms,
                limit=trace_limit,
            )
        else:
            self.trace = Trace(
                clock=self,
                kinds=_trace_kinds(trace),
                seed=seed,
                start_ms=self.start_ms,
                limit=trace_limit,
            )
        self.metrics = Metrics(self, raw_datapoints=metric_datapoints)
        if trace_file is not None:
            self.trace.stream_to(trace_file)
        self.sqs = SQSService(self)
        self.sns = SNSService(self)
        self.s3 = S3Service(self)
        self.iam = IAMService(self)
        self.lambda_ = LambdaService(self)
        self.kinesis = KinesisService(self)
        self._mappings = MappingService(self)

    def drain(self, timeout: float = 3600.0) -> float:
        """Advance until every enabled event source mapping is caught up and nothing is in
        flight; returns the virtual seconds that took. Raises :class:`kinesim.NotDrained`, naming
        the stuck shards, their records, since when and why, if ``timeout`` seconds pass first.
        Like :meth:`advance`, it cannot be called from inside a callback or handler."""
        self._refuse_reentry("drain")
        self._check_delay_ms(seconds_to_ms(timeout, "timeout"), "timeout")
        return self._mappings.drain(timeout)

    @overload
    def client(
        self, service_name: Literal["kinesis"], **boto3_kwargs: Any
    ) -> KinesisClientType: ...
    @overload
    def client(self, service_name: Literal["lambda"], **boto3_kwargs: Any) -> LambdaClientType: ...
    @overload
    def client(self, service_name: Literal["sqs"], **boto3_kwargs: Any) -> SQSClientType: ...
    @overload
    def client(self, service_name: Literal["sns"], **boto3_kwargs: Any) -> SNSClientType: ...
    @overload
    def client(self, service_name: Literal["s3"], **boto3_kwargs: Any) -> S3ClientType: ...
    @overload
    def client(
        self, service_name: Literal["cloudwatch"], **boto3_kwargs: Any
    ) -> CloudWatchClientType: ...
    @overload
    def client(self, service_name: str, **boto3_kwargs: Any) -> Client: ...

    def client(self, service_name: str, **boto3_kwargs: Any) -> Any:
        """A boto3-shaped client of this simulator's ``"kinesis"``, ``"lambda"``, ``"sqs"``,
        ``"sns"``, ``"s3"`` or ``"cloudwatch"``: boto3's snake_case operation names,
        PascalCase request members, boto3-shaped responses and kinesim's AWS errors (also as
        ``client.exceptions.<Code>``, and as botocore's ``ClientError`` when botocore is
        installed). boto3's client arguments (``region_name``, ``endpoint_url``, ``config``,
        credentials...) are accepted and ignored, but a ``region_name`` must be this
        simulator's. A new client each call; clients hold no state of their own."""
        # The API layer sits above the domain; importing it here, when a client is asked for,
        # keeps the dependency pointing down and `import kinesim` free of it.
        from kinesim._api import make_client

        return make_client(self, service_name, **boto3_kwargs)

    def __repr__(self) -> str:
        return f"<kinesim.Simulator seed={self.seed} now={self.datetime.isoformat()}>"


def _trace_kinds(trace: object) -> list[str]:
    """``Simulator(trace=...)``'s kinds, checked: an iterable of str (not a str itself)."""
    if isinstance(trace, (str, bytes)) or not isinstance(trace, Iterable):
        raise KinesimTypeError(
            f"trace takes True, False, 'all' or a collection of event kinds such as "
            f"['lambda.invoke', 'esm.batch'], got {trace!r}"
        )
    kinds = list(trace)
    for kind in kinds:
        if not isinstance(kind, str):
            raise KinesimTypeError(f"trace kinds are str such as 'lambda.invoke', got {kind!r}")
    return kinds
