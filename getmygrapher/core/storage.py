"""Where uploaded files live: the Storage port, a local-disk and an S3-compatible adapter, and
the route that serves local files (STO-4, STO-5).

Keys are relative paths chosen by the server. Objects anyone may fetch (avatars, visible
portfolio images, approved poses) have keys under `public/`; every other key is private and
is only reachable through a signed URL that expires within 15 minutes.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import quote, urlsplit

import anyio.to_thread
import boto3  # type: ignore[import-untyped]  # no stubs allowed; the client is typed Any below
from botocore.config import Config  # type: ignore[import-untyped]  # as above
from botocore.exceptions import ClientError  # type: ignore[import-untyped]  # as above
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from getmygrapher.core.config import Settings
from getmygrapher.core.errors import NotFound
from getmygrapher.core.security import derive_key

PUBLIC_PREFIX: Final = "public/"
MAX_URL_SECONDS: Final = 900  # STO-4: signed URLs live at most 15 minutes
MAX_KEY_LENGTH: Final = 1024  # S3's own limit, so a key works on either adapter
PUBLIC_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
# Served inline; anything else (PDFs included) downloads, so no upload renders as a page here.
INLINE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/webp"})
# What GitHub serves user content with: nothing in a file can run scripts or load resources.
USER_CONTENT_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
_S3_DELETE_BATCH: Final = 1000


class StoredObjectMissing(NotFound):
    code = "file_not_found"


class Storage(Protocol):
    async def put(self, key: str, data: bytes, *, content_type: str, public: bool) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def delete(self, keys: Iterable[str]) -> None: ...

    def url(self, key: str, *, public: bool, expires_in: int = MAX_URL_SECONDS) -> str: ...


def is_public_key(key: str) -> bool:
    return key.startswith(PUBLIC_PREFIX)


def check_key(key: str) -> str:
    """The key itself, if it is a plain relative path; raises ValueError otherwise."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError("storage key is empty or too long")
    if key.startswith("/") or "\\" in key or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in key):
        raise ValueError("storage key must be a plain relative path")
    # Dot-segments are refused outright; that also keeps ".types" and temp files out of reach.
    if any(not part or part.startswith(".") for part in key.split("/")):
        raise ValueError("storage key has an empty or dot segment")
    return key


def content_disposition(content_type: str) -> str:
    return "inline" if content_type in INLINE_TYPES else "attachment"


def _check_visibility(key: str, public: bool) -> None:
    # A private document under public/ would be served to anyone; the reverse would never load.
    if public != is_public_key(key):
        raise ValueError(f"public objects, and only they, have keys under {PUBLIC_PREFIX!r}")


def _check_expiry(expires_in: int) -> int:
    if not 0 < expires_in <= MAX_URL_SECONDS:
        raise ValueError(f"signed URLs expire within 1 to {MAX_URL_SECONDS} seconds")
    return expires_in


# Local disk --------------------------------------------------------------------------------------


class LocalStorage:
    """Files under `root`; the content type of each sits in a sidecar under `root/.types`."""

    def __init__(
        self,
        root: Path,
        *,
        base_url: str,
        secret: bytes,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.root = root.resolve()
        self.base_url = base_url.rstrip("/")
        self._signing_key = derive_key(secret, "media-urls")
        self._clock = clock

    def path_for(self, key: str) -> Path:
        path = self.root / check_key(key)
        if not path.resolve().is_relative_to(self.root):
            raise ValueError("storage key leaves the storage root")
        return path

    def _type_path(self, key: str) -> Path:
        return self.root / ".types" / check_key(key)

    async def put(self, key: str, data: bytes, *, content_type: str, public: bool) -> None:
        _check_visibility(key, public)
        path, type_path = self.path_for(key), self._type_path(key)
        await anyio.to_thread.run_sync(_write_atomically, type_path, content_type.encode())
        await anyio.to_thread.run_sync(_write_atomically, path, data)

    async def get(self, key: str) -> bytes:
        path = self.path_for(key)
        try:
            return await anyio.to_thread.run_sync(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise StoredObjectMissing("The file does not exist.") from exc

    async def delete(self, keys: Iterable[str]) -> None:
        paths = [path for key in keys for path in (self.path_for(key), self._type_path(key))]
        await anyio.to_thread.run_sync(_unlink_all, paths)

    def content_type(self, key: str) -> str | None:
        try:
            return self._type_path(key).read_text().strip() or None
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def url(self, key: str, *, public: bool, expires_in: int = MAX_URL_SECONDS) -> str:
        address = f"{self.base_url}/media/{quote(check_key(key))}"
        if public:
            _check_visibility(key, public)
            return address
        expires = int(self._clock()) + _check_expiry(expires_in)
        return f"{address}?expires={expires}&signature={self._sign(key, expires)}"

    def verify(self, key: str, expires: int, signature: str) -> bool:
        remaining = expires - self._clock()
        if not 0 <= remaining <= MAX_URL_SECONDS:
            return False
        expected = self._sign(key, expires).encode()
        return hmac.compare_digest(expected, signature.encode("utf-8", "replace"))

    def seconds_left(self, expires: int) -> int:
        return max(0, int(expires - self._clock()))

    def _sign(self, key: str, expires: int) -> str:
        message = f"{key}\n{expires}".encode()
        return hmac.new(self._signing_key, message, hashlib.sha256).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    # Readers see the old file or the new one, never half of one.
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _unlink_all(paths: Iterable[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


# S3-compatible -----------------------------------------------------------------------------------


class S3Storage:
    """Any S3-compatible bucket. Public visibility comes from a bucket policy (or CDN) on the
    `public/` prefix, not per-object ACLs: AWS disables ACLs by default and R2 has none."""

    def __init__(
        self,
        *,
        bucket: str,
        endpoint_url: str | None,
        region: str,
        access_key: str | None,
        secret_key: str | None,
        public_base_url: str | None,
        prefix: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        config = Config(
            signature_version="s3v4",
            # Custom endpoints are often bare hosts or IPs where bucket subdomains do not resolve.
            s3={"addressing_style": "path" if endpoint_url else "auto"},
            # botocore 1.36 began sending CRC checksums that several S3-compatible stores reject.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"mode": "standard", "max_attempts": 3},
            connect_timeout=5,
            read_timeout=30,
        )
        # A Session of our own: boto3's default session is not safe to share across threads.
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=config,
        )

    def _object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(self, key: str, data: bytes, *, content_type: str, public: bool) -> None:
        _check_visibility(key, public)
        await anyio.to_thread.run_sync(
            partial(
                self._client.put_object,
                Bucket=self.bucket,
                Key=self._object_key(key),
                Body=data,
                ContentType=content_type,
                ContentDisposition=content_disposition(content_type),
                CacheControl=PUBLIC_CACHE_CONTROL if public else "private, no-store",
            )
        )

    async def get(self, key: str) -> bytes:
        object_key = self._object_key(key)
        try:
            return await anyio.to_thread.run_sync(self._read, object_key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404", "NotFound"}:
                raise StoredObjectMissing("The file does not exist.") from exc
            raise

    def _read(self, object_key: str) -> bytes:
        response = self._client.get_object(Bucket=self.bucket, Key=object_key)
        with contextlib.closing(response["Body"]) as body:
            data: bytes = body.read()
        return data

    async def delete(self, keys: Iterable[str]) -> None:
        object_keys = [self._object_key(key) for key in keys]
        for start in range(0, len(object_keys), _S3_DELETE_BATCH):
            batch = object_keys[start : start + _S3_DELETE_BATCH]
            response: Mapping[str, Any] = await anyio.to_thread.run_sync(
                partial(
                    self._client.delete_objects,
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            )
            # S3 reports missing keys as deleted; anything listed here really failed.
            if errors := response.get("Errors"):
                first = errors[0]
                raise RuntimeError(
                    f"{len(errors)} objects not deleted, first {first.get('Key')}: "
                    f"{first.get('Code')}"
                )

    def url(self, key: str, *, public: bool, expires_in: int = MAX_URL_SECONDS) -> str:
        object_key = self._object_key(key)
        if public:
            _check_visibility(key, public)
            if self.public_base_url:
                return f"{self.public_base_url}/{quote(object_key)}"
            expires_in = MAX_URL_SECONDS
        url: str = self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": object_key},
            ExpiresIn=_check_expiry(expires_in),
        )
        return url


def storage_from_settings(settings: Settings) -> Storage:
    """Local files under DATA_DIR/media unless STORAGE_URL names an S3 bucket."""
    if not settings.storage_url:
        return LocalStorage(
            settings.data_dir / "media", base_url=settings.base_url, secret=settings.secret
        )
    parts = urlsplit(settings.storage_url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError("STORAGE_URL must look like s3://bucket or s3://bucket/prefix")
    secret = settings.s3_secret_access_key
    return S3Storage(
        bucket=parts.netloc,
        prefix=parts.path,
        endpoint_url=settings.s3_endpoint_url,
        region=settings.s3_region,
        access_key=settings.s3_access_key_id,
        secret_key=secret.get_secret_value() if secret else None,
        public_base_url=settings.s3_public_base_url,
    )


# Serving local files -----------------------------------------------------------------------------

media_router = APIRouter()


@media_router.get("/media/{key:path}", include_in_schema=False)
async def serve_media(request: Request, key: str) -> Response:
    """A LocalStorage file; private keys need a live signature. Every refusal is the same 404,
    so a probe cannot tell a missing file from a forbidden one."""
    missing = StoredObjectMissing("Nothing was found at this address.")
    storage = getattr(getattr(request.app.state, "runtime", None), "storage", None)
    if not isinstance(storage, LocalStorage):
        raise missing
    public = is_public_key(key)
    expires = _signed_expiry(storage, key, request.query_params) if not public else None
    if not public and expires is None:
        raise missing
    try:
        path = storage.path_for(key)
    except ValueError as exc:
        raise missing from exc
    found = await anyio.to_thread.run_sync(_regular_file, storage, key, path)
    if found is None:
        raise missing
    content_type, status = found
    cache_control = (
        PUBLIC_CACHE_CONTROL
        if expires is None
        else f"private, max-age={storage.seconds_left(expires)}"
    )
    return FileResponse(
        path,
        stat_result=status,
        media_type=content_type,
        headers={
            "Cache-Control": cache_control,
            "Content-Disposition": content_disposition(content_type),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": USER_CONTENT_CSP,
        },
    )


def _signed_expiry(storage: LocalStorage, key: str, query: Mapping[str, str]) -> int | None:
    expires, signature = query.get("expires", ""), query.get("signature", "")
    # Length first: int() of thousands of digits raises rather than returning a number.
    if not (len(expires) <= 12 and expires.isascii() and expires.isdigit() and signature):
        return None
    return int(expires) if storage.verify(key, int(expires), signature) else None


def _regular_file(storage: LocalStorage, key: str, path: Path) -> tuple[str, os.stat_result] | None:
    try:
        status = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(status.st_mode):
        return None
    return storage.content_type(key) or "application/octet-stream", status
