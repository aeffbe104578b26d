"""The ``json`` (Kinesis, SQS, CloudWatch) and ``rest-json`` (Lambda) protocols: members as JSON
in the body; for rest-json, members the model locates in headers, the status code or a raw
payload go there. Event-stream output (SubscribeToShard) is framed by :mod:`.eventstream`."""

from __future__ import annotations

import json
from binascii import b2a_base64
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from kinesim._api.wire import eventstream
from kinesim._api.wire._common import WireResponse, blob_bytes, blob_text, timestamp
from kinesim._errors import AWSError

__all__ = ["error", "success"]


Encoder = Callable[[Any], Any]

# NOTE: encoders are compiled once per shape, so a response of 10,000 records walks no model:
# bench_boto3 measures mock_aws's share of a put/get round trip. Keyed by service, API version
# and shape name (unique within a model), so the cache is bounded by the models in use.
_ENCODERS: dict[tuple[str, str, str], Encoder] = {}


def encode(shape: Any, value: Any, service: tuple[str, str]) -> Any:
    """``value`` as JSON data for ``shape`` of ``service`` (name, API version): timestamps as
    epoch seconds, blobs base64."""
    return _encoder(shape, service)(value)


def _same(value: Any) -> Any:
    return value


def _encoder(shape: Any, service: tuple[str, str]) -> Encoder:
    key = (*service, shape.name)
    found = _ENCODERS.get(key)
    if found is not None:
        return found
    kind = shape.type_name
    encoder: Encoder
    if kind == "structure":
        wire_names: dict[str, str] = {}
        encoders: dict[str, Encoder] = {}

        def structure(value: Any) -> Any:
            # A member the shape lacks raises KeyError: a kinesim bug, failing loudly.
            return {wire_names[name]: encoders[name](item) for name, item in value.items()}

        # Registered before its members compile, so a recursive shape finds itself.
        _ENCODERS[key] = encoder = structure
        for name, member in shape.members.items():
            wire_names[name] = member.serialization.get("name", name)
            encoders[name] = _encoder(member, service)
        return encoder
    if kind == "list":
        item_encoder = _encoder(shape.member, service)
        if item_encoder is _same:
            encoder = list
        else:

            def encoder(value: Any) -> Any:
                return [item_encoder(item) for item in value]

    elif kind == "map":
        value_encoder = _encoder(shape.value, service)

        def encoder(value: Any) -> Any:
            return {key: value_encoder(item) for key, item in value.items()}

    elif kind == "blob":

        def encoder(value: Any) -> Any:
            if type(value) is bytes:  # NOTE: the common case, one C call
                return b2a_base64(value, newline=False).decode()
            return blob_text(value)

    elif kind == "timestamp":
        fmt = shape.serialization.get("timestampFormat", "unixTimestamp")

        def encoder(value: Any) -> Any:
            if fmt == "unixTimestamp" and type(value) is datetime and value.tzinfo is not None:
                return round(value.timestamp(), 3)  # NOTE: the common case, no detour
            return timestamp(value, fmt)

    else:
        encoder = _same
    _ENCODERS[key] = encoder
    return encoder


def _service(operation_model: Any) -> tuple[str, str]:
    service_model = operation_model.service_model
    return service_model.service_name, service_model.api_version


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _content_type(protocol: str, operation_model: Any) -> str:
    if protocol == "rest-json":
        return "application/json"
    version = operation_model.service_model.metadata.get("jsonVersion", "1.0")
    return f"application/x-amz-json-{version}"


def success(
    protocol: str, operation_model: Any, response: dict[str, Any], status: int, request_id: str
) -> WireResponse:
    shape = operation_model.output_shape
    service = _service(operation_model)
    headers = {
        "x-amzn-RequestId": request_id,
        "Content-Type": _content_type(protocol, operation_model),
    }
    if shape is None:
        return WireResponse(status, headers, b"{}")
    body_members: dict[str, Any] = {}
    payload_name = shape.serialization.get("payload")
    payload: bytes | None = None
    stream = None
    for name, value in response.items():
        member = shape.members[name]
        location = member.serialization.get("location")
        if member.serialization.get("eventstream"):
            stream = (member, value)
        elif location == "header":
            headers[member.serialization["name"]] = _header_value(member, value)
        elif location == "statusCode":
            status = int(value)
        elif name == payload_name:
            if member.type_name in ("blob", "string"):
                payload = blob_bytes(value)
            else:
                payload = _dumps(encode(member, value, service))
        elif location is None:
            body_members[name] = value
    if stream is not None:
        headers["Content-Type"] = "application/vnd.amazon.eventstream"
        member, events = stream
        initial = _dumps(encode(shape, body_members, service))
        chunks = _event_chunks(member, events, initial, service)
        return WireResponse(status, headers, chunks=chunks, close=events.close)
    if payload is None:
        payload = _dumps(encode(shape, body_members, service))
    return WireResponse(status, headers, payload)


def _header_value(member: Any, value: Any) -> str:
    if member.type_name == "timestamp":
        return str(timestamp(value, member.serialization.get("timestampFormat", "rfc822")))
    if member.type_name == "boolean":
        return "true" if value else "false"
    return str(value)


def _event_chunks(
    member: Any, events: Any, initial: bytes, service: tuple[str, str]
) -> Iterator[bytes]:
    """The initial response, then one message per event, encoded as the events come (so a
    reader that stops early leaves the rest of the subscription unread)."""
    yield eventstream.message(
        {":message-type": "event", ":event-type": "initial-response"}, initial
    )
    for event in events:
        ((name, body),) = event.items()
        yield eventstream.message(
            {
                ":message-type": "event",
                ":event-type": name,
                ":content-type": "application/json",
            },
            _dumps(encode(member.members[name], body, service)),
        )


def error(protocol: str, operation_model: Any, err: AWSError, request_id: str) -> WireResponse:
    service_model = operation_model.service_model
    headers = {
        "x-amzn-RequestId": request_id,
        "Content-Type": _content_type(protocol, operation_model),
    }
    body: dict[str, Any] = {"message": err.message, **err.extra}
    if protocol == "rest-json":
        headers["x-amzn-ErrorType"] = err.code
        body.setdefault("Type", "User")
    else:
        body["__type"] = err.code
        # A service that was once query-protocol (SQS) sends the query code alongside.
        if "awsQueryCompatible" in service_model.metadata:
            query_code = _query_code(service_model, err.code)
            if query_code is not None:
                headers["x-amzn-query-error"] = f"{query_code};Sender"
    return WireResponse(err.http_status, headers, _dumps(body))


def _query_code(service_model: Any, code: str) -> str | None:
    for shape in service_model.error_shapes:
        if shape.name == code:
            query_code = shape.metadata.get("error", {}).get("code")
            return None if query_code is None else str(query_code)
    return None
