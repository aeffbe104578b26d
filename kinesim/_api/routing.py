"""botocore's side of :func:`kinesim.mock_aws`: the event hooks that answer a botocore client's
requests from a kinesim Simulator, and the virtual-time retries.

botocore does all of the client's work itself: it validates and serialises the request, signs
it (with fake credentials), retries, and parses the response. Only the network round trip is
replaced: at ``before-parameter-build`` the hook records the operation and the caller's
parameters in the request context (and refuses, before anything is sent, a service, operation
or Region kinesim does not simulate); at ``before-send`` it calls the same translation layer
``sim.client`` uses and answers with an ``AWSResponse`` in the service's wire protocol
(:mod:`kinesim._api.wire`). Retries are botocore's own handler for the client's retry mode, its
jitter drawn from the simulator's seed and its sleep on the virtual clock; waiters wait on the
virtual clock too.

This module imports botocore; only ``mock_aws`` imports it, when a block is entered.
"""

from __future__ import annotations

import functools
import io
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import botocore.session
from botocore import retryhandler, translate
from botocore.awsrequest import AWSResponse
from botocore.loaders import Loader
from botocore.retries import standard
from botocore.waiter import NormalizedOperationMethod, Waiter

from kinesim._api import Client, make_client, wire
from kinesim._api._base import snake_case
from kinesim._core.scheduler import seconds_to_ms
from kinesim._errors import AWSError, KinesimValueError
from kinesim._lambda.context import current_context, spend

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = ["SERVED", "Router", "install", "uninstall"]

#: What mock_aws serves of each botocore service (None: whatever kinesim's client covers).
SERVED: dict[str, frozenset[str] | None] = {
    "kinesis": None,
    "lambda": None,
    "sqs": None,
    "sns": None,
    "s3": None,
    "cloudwatch": frozenset({"GetMetricStatistics", "GetMetricData", "ListMetrics"}),
}

_CONTEXT_KEY = "kinesim.call"


@dataclass(frozen=True, slots=True)
class _Call:
    """One request, as recorded at ``before-parameter-build``."""

    model: Any  # botocore's OperationModel
    client: Client
    operation: str  # snake_case
    params: dict[str, Any]


class Router:
    """The Simulators one ``mock_aws`` block serves, by Region, and the hooks it puts on each
    botocore client created inside it."""

    def __init__(self, sims: dict[str, Simulator]) -> None:
        self.sims = sims
        self.active = False
        self._clients: dict[tuple[int, str], Client] = {}

    def served(self) -> str:
        regions = ", ".join(sorted(self.sims))
        return f"Region(s) {regions}"

    # -- per client --------------------------------------------------------------------------

    def attach(self, client: Any) -> None:
        """Route ``client`` (a new botocore client) to this block's simulators."""
        events = client.meta.events
        events.register_first("before-parameter-build", self._capture)
        events.register("before-send", self._answer)
        sim = self.sims.get(client.meta.region_name)
        if sim is not None:
            _virtual_retries(client, sim)
            # NOTE: an instance attribute shadows the class's get_waiter for this client only.
            client.get_waiter = functools.partial(_virtual_waiter, client, sim)

    def _capture(
        self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        service = model.service_model.service_name
        where = f"{model.service_model.service_id} {model.name}"
        if not self.active:
            raise KinesimValueError(
                f"{where}: this client was created inside a kinesim.mock_aws block that has "
                "ended; create clients inside the block that uses them (nothing was sent)"
            )
        if service not in SERVED:
            raise KinesimValueError(
                f"kinesim.mock_aws does not simulate {model.service_model.service_id} "
                f"({service}.{snake_case(model.name)}); it serves "
                f"{', '.join(SERVED)}. The request was not sent."
            )
        region = context.get("client_region")
        sim = self.sims.get(region) if isinstance(region, str) else None
        if sim is None:
            raise KinesimValueError(
                f"{where}: this client is for Region {region!r}, but this kinesim.mock_aws "
                f"block simulates {self.served()}: create the client with one of them as "
                "region_name, or pass mock_aws(regions={...}) a Simulator per Region "
                "(nothing was sent)"
            )
        allowed = SERVED[service]
        client = self._client(sim, service)
        operation = snake_case(model.name)
        if operation not in client.operations or (
            allowed is not None and model.name not in allowed
        ):
            covered = sorted(allowed) if allowed is not None else client.operations
            raise KinesimValueError(
                f"kinesim does not simulate {where} yet; its {service} covers "
                f"{', '.join(covered)}. The request was not sent."
            )
        params = dict(params)
        if context.get("encoding_type_auto_set"):
            # botocore's S3 customisation asked for URL-encoded keys on the caller's behalf;
            # kinesim answers with plain keys, which botocore (seeing no EncodingType in the
            # response) leaves as they are.
            params.pop("EncodingType", None)
        context[_CONTEXT_KEY] = _Call(model, client, operation, params)

    def _client(self, sim: Simulator, service: str) -> Client:
        key = (id(sim), service)  # identity only keys a cache; never observable
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = make_client(sim, service)
        return client

    def _answer(self, request: Any, **_: Any) -> AWSResponse:
        call: _Call | None = request.context.get(_CONTEXT_KEY)
        if call is None:  # a request made without the client's API call (a presigned URL...)
            raise KinesimValueError(
                f"kinesim.mock_aws answers API calls only; refused to send {request.method} "
                f"{request.url}"
            )
        operation_model = call.model
        try:
            response = call.client.call_prevalidated(call.operation, call.params)
        except AWSError as error:
            request_id = call.client.new_request_id()
            out = wire.error_response(operation_model, error, request_id=request_id)
        else:
            metadata = response.pop("ResponseMetadata")
            out = wire.success_response(
                operation_model,
                response,
                status=metadata["HTTPStatusCode"],
                request_id=metadata["RequestId"],
            )
        headers = dict(out.headers)
        if out.chunks is None:
            headers.setdefault("Content-Length", str(len(out.body)))
        return AWSResponse(request.url, out.status, headers, _Body(out))


class _Body:
    """The ``raw`` of an AWSResponse: what botocore reads a body from (``stream()`` for
    whole and event-stream bodies, ``read()`` for streaming blobs)."""

    def __init__(self, out: wire.WireResponse) -> None:
        self._out = out
        self._buffer = io.BytesIO(out.body)

    def stream(self, **_: Any) -> Iterator[bytes]:
        if self._out.chunks is not None:
            yield from self._out.chunks
            return
        data = self._buffer.read()
        if data:
            yield data

    def read(self, amt: int | None = None) -> bytes:
        return self._buffer.read(amt)

    def close(self) -> None:
        if self._out.close is not None:
            self._out.close()


# -- virtual-time retries ----------------------------------------------------------------------


def _virtual_retries(client: Any, sim: Simulator) -> None:
    """Replace the client's retry handler by botocore's own for its retry mode, built again so
    kinesim holds it, and wrapped so that its jitter is drawn from the simulator's seeded
    randomness and its sleep is virtual."""
    service_model = client.meta.service_model
    event_name = f"needs-retry.{service_model.service_id.hyphenize()}"
    unique_id = f"retry-config-{service_model.service_id.hyphenize()}"
    retries = dict(client.meta.config.retries or {})
    mode = retries.get("mode", "standard")
    if mode not in ("standard", "legacy"):
        raise KinesimValueError(
            f"kinesim.mock_aws does not support retry mode {mode!r} (its client-side rate "
            "limiter waits in wall time); use Config(retries={'mode': 'standard'}) or 'legacy'"
        )
    client.meta.events.unregister(event_name, unique_id=unique_id)
    if mode == "standard":
        # As botocore's ClientCreator._register_v2_standard_retries; this registers the
        # handler again (and returns it), so it is taken off once more to be wrapped.
        max_attempts = retries.get("total_max_attempts")
        kwargs = {} if max_attempts is None else {"max_attempts": max_attempts}
        handler = standard.register_retry_handler(client, **kwargs).needs_retry
        client.meta.events.unregister(event_name, unique_id=unique_id)
    else:
        handler = _legacy_handler(service_model.endpoint_prefix, retries)
    client.meta.events.register(
        event_name,
        functools.partial(_retry_virtually, handler, sim, sim.random("mock_aws.retries")),
        unique_id=unique_id,
    )


@functools.cache
def _retry_model() -> dict[str, Any]:
    data: dict[str, Any] = Loader().load_data("_retry")
    return data


def _legacy_handler(endpoint_prefix: str, retries: dict[str, Any]) -> Callable[..., Any]:
    # As botocore's ClientCreator._register_legacy_retries.
    if "total_max_attempts" in retries:
        retries["max_attempts"] = retries.pop("total_max_attempts") - 1
    model = _retry_model()
    config = translate.build_retry_config(
        endpoint_prefix, model.get("retry", {}), model.get("definitions", {}), retries
    )
    handler: Callable[..., Any] = retryhandler.create_retry_handler(config, endpoint_prefix)
    return handler


def _retry_virtually(
    handler: Callable[..., Any], sim: Simulator, rng: random.Random, **kwargs: Any
) -> Any:
    """botocore's retry decision and delay; the delay passes in virtual time, and botocore is
    told to sleep 0 wall seconds. Inside a simulated Lambda handler the wait is spent by the
    invocation (:func:`kinesim.spend`); elsewhere the simulator advances."""
    # NOTE: botocore draws its jitter from the module-level random; seeding it from the
    # simulator's own stream for this one call, and restoring it after, makes the delay
    # deterministic without reaching into botocore's objects or disturbing anyone else's use.
    state = random.getstate()
    random.seed(rng.getrandbits(64))
    try:
        delay = handler(**kwargs)
    finally:
        random.setstate(state)
    if delay is None or delay is False:
        return delay
    if current_context() is not None:
        spend(delay)
    else:
        sim.advance_ms(seconds_to_ms(delay, "retry delay"))
    return 0


# -- virtual-time waiters ---------------------------------------------------------------------


def _virtual_waiter(client: Any, sim: Simulator, name: str) -> Waiter:
    """botocore's waiter ``name``, whose delay between attempts passes in virtual time."""
    model_waiter = type(client).get_waiter(client, name)
    config = model_waiter.config
    return _VirtualWaiter(
        name, config, NormalizedOperationMethod(getattr(client, snake_case(config.operation))), sim
    )


class _VirtualWaiter(Waiter):  # type: ignore[misc]
    """A botocore Waiter that asks botocore to sleep 0 wall seconds and advances the simulator
    by the delay instead, before each attempt after the first."""

    def __init__(self, name: str, config: Any, method: Callable[..., Any], sim: Simulator) -> None:
        self._delay_s: float = config.delay
        self._attempts = 0
        self._sim = sim
        super().__init__(name, config, self._attempt)
        self._method = method

    def _attempt(self, **kwargs: Any) -> Any:
        if self._attempts:
            self._sim.advance_ms(seconds_to_ms(self._delay_s, "waiter Delay"))
        self._attempts += 1
        return self._method(**kwargs)

    def wait(self, **kwargs: Any) -> None:
        config = dict(kwargs.pop("WaiterConfig", None) or {})
        self._delay_s = config.get("Delay", self.config.delay)
        self._attempts = 0
        super().wait(WaiterConfig={**config, "Delay": 0}, **kwargs)


# -- client creation -----------------------------------------------------------------------

_ROUTERS: list[Router] = []
_ORIGINAL_CREATE_CLIENT: Callable[..., Any] | None = None


def _create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
    assert _ORIGINAL_CREATE_CLIENT is not None
    client = _ORIGINAL_CREATE_CLIENT(self, *args, **kwargs)
    if _ROUTERS:
        _ROUTERS[-1].attach(client)
    return client


def install(router: Router) -> None:
    """Route every botocore client created from now on (from any Session) through ``router``
    until :func:`uninstall`. Blocks nest: the innermost serves new clients."""
    global _ORIGINAL_CREATE_CLIENT
    # NOTE: botocore has no global hook for "a client was created" across sessions that
    # already exist (boto3's default session, a user's Session); wrapping create_client
    # is the one place every client passes, and it is put back when the last block ends.
    if not _ROUTERS:
        _ORIGINAL_CREATE_CLIENT = botocore.session.Session.create_client
        botocore.session.Session.create_client = _create_client
    router.active = True
    _ROUTERS.append(router)


def uninstall(router: Router) -> None:
    global _ORIGINAL_CREATE_CLIENT
    router.active = False
    _ROUTERS.remove(router)
    if not _ROUTERS and _ORIGINAL_CREATE_CLIENT is not None:
        botocore.session.Session.create_client = _ORIGINAL_CREATE_CLIENT
        _ORIGINAL_CREATE_CLIENT = None
