"""``sim.client("s3")``: buckets and objects, translated to ``sim.s3``."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from kinesim._api._base import Client, StreamingBody, operation, read_blob
from kinesim._destinations.s3 import S3Object

__all__ = ["S3Client"]


def _modified(obj: S3Object) -> datetime:
    return datetime.fromtimestamp(obj.last_modified_ms // 1000, timezone.utc)


class S3Client(Client):
    service_name = "s3"

    @operation("CreateBucket")
    def _create_bucket(self, *, Bucket: str) -> dict[str, Any]:
        self._sim.s3.create_bucket(Bucket)
        return {"Location": f"/{Bucket}"}

    @operation("PutObject")
    def _put_object(self, *, Bucket: str, Key: str, Body: Any = b"") -> dict[str, Any]:
        etag = self._sim.s3.bucket(Bucket).put_object(Key, read_blob(Body))
        return {"ETag": etag}

    @operation("GetObject")
    def _get_object(self, *, Bucket: str, Key: str) -> dict[str, Any]:
        """``Body`` is a readable :class:`StreamingBody`."""
        obj = self._sim.s3.bucket(Bucket).get_object(Key)
        return {
            "Body": StreamingBody(obj.body),
            "ContentLength": obj.size,
            "ETag": obj.etag,
            "LastModified": _modified(obj),
            "ContentType": "binary/octet-stream",
        }

    @operation("ListObjectsV2")
    def _list_objects_v2(
        self,
        *,
        Bucket: str,
        Prefix: str = "",
        MaxKeys: int = 1000,
        StartAfter: str | None = None,
    ) -> dict[str, Any]:
        """Keys in S3's order after ``StartAfter``; ``IsTruncated`` when more than ``MaxKeys``
        (no continuation tokens: continue with ``StartAfter``)."""
        objects = self._sim.s3.bucket(Bucket).list_objects(Prefix)
        if StartAfter is not None:
            objects = [o for o in objects if o.key.encode() > StartAfter.encode()]
        page = objects[:MaxKeys]
        out: dict[str, Any] = {
            "IsTruncated": len(objects) > len(page),
            "Name": Bucket,
            "Prefix": Prefix,
            "MaxKeys": MaxKeys,
            "KeyCount": len(page),
        }
        if page:
            out["Contents"] = [
                {
                    "Key": o.key,
                    "LastModified": _modified(o),
                    "ETag": o.etag,
                    "Size": o.size,
                    "StorageClass": "STANDARD",
                }
                for o in page
            ]
        if StartAfter is not None:
            out["StartAfter"] = StartAfter
        return out
