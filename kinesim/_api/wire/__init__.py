"""AWS's wire protocols, for the response side only: a response dict (as ``sim.client``
returns it) or a kinesim :class:`~kinesim.AWSError` becomes the HTTP status, headers and body
that AWS would send, so that botocore parses it with its own parser.

Each serialiser walks botocore's output shape of the operation (the ``operation_model`` it
hands to its ``before-send`` hook), so member names, locations (headers, status code, payload),
list and map encodings and timestamp formats are the model's. Protocols served: ``json``
(Kinesis, SQS, CloudWatch), ``rest-json`` (Lambda), ``query`` (SNS) and ``rest-xml`` (S3);
SubscribeToShard's event stream uses AWS's binary event-stream framing (:mod:`.eventstream`).

This package reads botocore model objects but never imports botocore: only ``mock_aws``, which
imports botocore, calls it.
"""

from __future__ import annotations

from typing import Any

from kinesim._api.wire import json_, xml_
from kinesim._api.wire._common import WireResponse
from kinesim._errors import AWSError, KinesimValueError

__all__ = ["WireResponse", "error_response", "protocol_of", "success_response"]


def protocol_of(operation_model: Any) -> str:
    """The protocol botocore speaks for this service (its ``resolved_protocol`` where the
    installed botocore resolves one among several, else the model's ``protocol``)."""
    service_model = operation_model.service_model
    return str(getattr(service_model, "resolved_protocol", None) or service_model.protocol)


def _serialisers(protocol: str) -> Any:
    if protocol in ("json", "rest-json"):
        return json_
    if protocol in ("query", "rest-xml"):
        return xml_
    raise KinesimValueError(
        f"kinesim.mock_aws cannot answer in protocol {protocol!r}; it speaks json, rest-json, "
        "query and rest-xml (install a botocore that resolves this service to one of them)"
    )


def success_response(
    operation_model: Any, response: dict[str, Any], *, status: int, request_id: str
) -> WireResponse:
    """The HTTP response of a successful call whose parsed form is ``response`` (without
    ``ResponseMetadata``)."""
    protocol = protocol_of(operation_model)
    return _serialisers(protocol).success(protocol, operation_model, response, status, request_id)  # type: ignore[no-any-return]


def error_response(operation_model: Any, error: AWSError, *, request_id: str) -> WireResponse:
    """The HTTP response AWS sends for ``error``."""
    protocol = protocol_of(operation_model)
    return _serialisers(protocol).error(protocol, operation_model, error, request_id)  # type: ignore[no-any-return]
