"""The ``query`` (SNS) and ``rest-xml`` (S3) protocols: members as XML elements named by the
model, lists and maps as the model says (``member`` / ``entry`` wrappers or flattened); for
rest-xml, members the model locates in headers or a raw payload go there."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from kinesim._api.wire._common import WireResponse, blob_bytes, blob_text, timestamp
from kinesim._errors import AWSError

__all__ = ["error", "success"]


def _text(shape: Any, value: Any) -> str:
    kind = shape.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "blob":
        return blob_text(value)
    if kind == "timestamp":
        return str(timestamp(value, shape.serialization.get("timestampFormat", "iso8601")))
    return str(value)


def _element_name(shape: Any, name: str) -> str:
    """The element a structure member is written as (botocore's ``_member_key_name``)."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        item_name = shape.member.serialization.get("name")
        if item_name is not None:
            return str(item_name)
    return str(shape.serialization.get("name", name))


def _fill(parent: ElementTree.Element, shape: Any, value: Any) -> None:
    """Write ``value`` (of a structure ``shape``) as children of ``parent``."""
    for name, item in value.items():
        member = shape.members[name]  # a KeyError here is a kinesim bug: fail loudly
        _append(parent, member, _element_name(member, name), item)


def _append(parent: ElementTree.Element, shape: Any, tag: str, value: Any) -> None:
    kind = shape.type_name
    if kind == "list":
        flattened = shape.serialization.get("flattened")
        holder = parent if flattened else ElementTree.SubElement(parent, tag)
        item_tag = tag if flattened else shape.member.serialization.get("name", "member")
        for item in value:
            _append(holder, shape.member, item_tag, item)
    elif kind == "map":
        flattened = shape.serialization.get("flattened")
        holder = parent if flattened else ElementTree.SubElement(parent, tag)
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        for key, item in value.items():
            entry = ElementTree.SubElement(holder, tag if flattened else "entry")
            ElementTree.SubElement(entry, key_tag).text = str(key)
            _append(entry, shape.value, value_tag, item)
    elif kind == "structure":
        _fill(ElementTree.SubElement(parent, tag), shape, value)
    else:
        ElementTree.SubElement(parent, tag).text = _text(shape, value)


def _document(root: ElementTree.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>' + ElementTree.tostring(root)


def _namespace(operation_model: Any) -> dict[str, str]:
    namespace = operation_model.service_model.metadata.get("xmlNamespace")
    if isinstance(namespace, dict):  # rest-xml models give {"uri": ...}
        namespace = namespace.get("uri")
    return {"xmlns": namespace} if namespace else {}


def success(
    protocol: str, operation_model: Any, response: dict[str, Any], status: int, request_id: str
) -> WireResponse:
    headers = {"x-amzn-RequestId": request_id, "x-amz-request-id": request_id}
    headers["Content-Type"] = "text/xml"
    shape = operation_model.output_shape
    if protocol == "query":
        root = ElementTree.Element(f"{operation_model.name}Response", _namespace(operation_model))
        if shape is not None:
            wrapper = shape.serialization.get("resultWrapper", f"{operation_model.name}Result")
            _fill(ElementTree.SubElement(root, wrapper), shape, response)
        metadata = ElementTree.SubElement(root, "ResponseMetadata")
        ElementTree.SubElement(metadata, "RequestId").text = request_id
        return WireResponse(status, headers, _document(root))
    if shape is None:
        return WireResponse(status, headers)
    payload_name = shape.serialization.get("payload")
    body_members: dict[str, Any] = {}
    payload: bytes | None = None
    for name, value in response.items():
        member = shape.members[name]
        if member.serialization.get("location") == "header":
            headers[member.serialization["name"]] = _header(member, value)
        elif member.serialization.get("location") == "statusCode":
            status = int(value)
        elif name == payload_name and member.type_name in ("blob", "string"):
            payload = blob_bytes(value)
        elif name == payload_name:
            root = ElementTree.Element(member.serialization.get("name", name))
            _fill(root, member, value)
            payload = _document(root)
        else:
            body_members[name] = value
    if payload is None and (body_members or payload_name is None):
        root_name = shape.serialization.get("name", f"{operation_model.name}Result")
        root = ElementTree.Element(root_name, _namespace(operation_model))
        _fill(root, shape, body_members)
        payload = _document(root)
    return WireResponse(status, headers, payload or b"")


def _header(member: Any, value: Any) -> str:
    if member.type_name == "timestamp":
        return str(timestamp(value, member.serialization.get("timestampFormat", "rfc822")))
    return _text(member, value)


def error(protocol: str, operation_model: Any, err: AWSError, request_id: str) -> WireResponse:
    headers = {"x-amzn-RequestId": request_id, "x-amz-request-id": request_id}
    headers["Content-Type"] = "text/xml"
    if protocol == "query":
        root = ElementTree.Element("ErrorResponse", _namespace(operation_model))
        detail = ElementTree.SubElement(root, "Error")
        ElementTree.SubElement(detail, "Type").text = (
            "Sender" if err.http_status < 500 else "Receiver"
        )
    else:
        root = detail = ElementTree.Element("Error")
    ElementTree.SubElement(detail, "Code").text = err.code
    ElementTree.SubElement(detail, "Message").text = err.message
    for name, value in err.extra.items():
        ElementTree.SubElement(detail, name).text = str(value)
    ElementTree.SubElement(root, "RequestId").text = request_id
    return WireResponse(err.http_status, headers, _document(root))
