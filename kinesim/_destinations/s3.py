"""An in-memory S3 bucket (``sim.s3``): put, get, list by prefix."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kinesim._core.text import utf8
from kinesim._errors import (
    BucketAlreadyOwnedByYou,
    InvalidBucketName,
    KinesimTypeError,
    NoSuchBucket,
    NoSuchKey,
)

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = ["Bucket", "S3Object", "S3Service"]

_BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass(frozen=True, slots=True)
class S3Object:
    key: str
    body: bytes
    etag: str
    last_modified_ms: int

    @property
    def size(self) -> int:
        return len(self.body)

    def text(self) -> str:
        return self.body.decode()

    def json(self) -> Any:
        return json.loads(self.body)


class Bucket:
    """An S3 bucket. Create it with ``sim.s3.create_bucket(name)``."""

    kind = "s3"

    def __init__(self, sim: Simulator, name: str) -> None:
        self._sim = sim
        self.name = name
        self.arn = f"arn:aws:s3:::{name}"
        self._objects: dict[str, S3Object] = {}

    def put_object(self, key: str, body: bytes | str) -> str:
        """Store ``body`` (str is UTF-8 encoded) under ``key``; returns the ETag (quoted MD5)."""
        if not isinstance(key, str) or not 1 <= len(utf8(key, "key")) <= 1024:
            raise KinesimTypeError(f"an S3 key is a str of 1-1,024 UTF-8 bytes, got {key!r}")
        if isinstance(body, str):
            body = utf8(body, "body")
        if not isinstance(body, (bytes, bytearray)):
            raise KinesimTypeError(f"an S3 body is bytes or str, got {type(body).__name__}")
        data = bytes(body)
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        self._objects[key] = S3Object(key, data, etag, self._sim.now_ms)
        return etag

    def get_object(self, key: str) -> S3Object:
        """The object under ``key``; ``NoSuchKey`` if there is none."""
        obj = self._objects.get(key)
        if obj is None:
            raise NoSuchKey("The specified key does not exist.", Key=key)
        return obj

    def delete_object(self, key: str) -> None:
        self._objects.pop(key, None)

    def list_objects(self, prefix: str = "") -> list[S3Object]:
        """Objects whose key starts with ``prefix``, in S3's order (UTF-8 binary key order)."""
        keys = sorted((k for k in self._objects if k.startswith(prefix)), key=str.encode)
        return [self._objects[k] for k in keys]

    # -- reading for tests ----------------------------------------------------------------------

    def keys(self, prefix: str = "") -> list[str]:
        """Keys under ``prefix``, in S3's listing order."""
        return [obj.key for obj in self.list_objects(prefix)]

    def get(self, key: str) -> bytes:
        """The body under ``key``."""
        return self.get_object(key).body

    def json_objects(self, prefix: str = "") -> list[Any]:
        """Bodies under ``prefix`` parsed as JSON, in listing order."""
        return [obj.json() for obj in self.list_objects(prefix)]

    def __len__(self) -> int:
        return len(self._objects)

    def __repr__(self) -> str:
        return f"<Bucket {self.name} objects={len(self._objects)}>"


class S3Service:
    """``sim.s3``: buckets by name or ARN."""

    def __init__(self, sim: Simulator) -> None:
        self._sim = sim
        self._buckets: dict[str, Bucket] = {}

    def create_bucket(self, name: str) -> Bucket:
        """Create a bucket; names follow S3's rules (3-63 lowercase letters, digits, ``.``,
        ``-``)."""
        if not isinstance(name, str) or not _BUCKET_NAME.fullmatch(name):
            raise InvalidBucketName("The specified bucket is not valid.", BucketName=name)
        if name in self._buckets:
            raise BucketAlreadyOwnedByYou(
                "Your previous request to create the named bucket succeeded and you already "
                "own it.",
                BucketName=name,
            )
        bucket = self._buckets[name] = Bucket(self._sim, name)
        return bucket

    def bucket(self, name_or_arn: str) -> Bucket:
        """The bucket with this name or ARN; ``NoSuchBucket`` if none."""
        name = name_or_arn.removeprefix("arn:aws:s3:::")
        bucket = self._buckets.get(name)
        if bucket is None:
            raise NoSuchBucket("The specified bucket does not exist", BucketName=name)
        return bucket

    def bucket_by_arn(self, arn: str) -> Bucket | None:
        return (
            self._buckets.get(arn.removeprefix("arn:aws:s3:::"))
            if arn.startswith("arn:aws:s3:::")
            else None
        )

    def list_buckets(self) -> list[Bucket]:
        return list(self._buckets.values())
