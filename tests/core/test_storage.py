"""The storage port: local files with signed URLs and their route, and S3 through moto's server."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3  # type: ignore[import-untyped]  # no stubs; the admin client is Any
import httpx
import pytest
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from pydantic import SecretStr

from getmygrapher.core.config import Settings
from getmygrapher.core.errors import install_error_handlers
from getmygrapher.core.storage import (
    MAX_URL_SECONDS,
    LocalStorage,
    S3Storage,
    StoredObjectMissing,
    media_router,
    storage_from_settings,
)

SECRET = b"test-secret-for-media-urls"
BASE_URL = "http://test"
JPEG = b"\xff\xd8\xff\xe0 pretend jpeg"
PDF = b"%PDF-1.7 pretend pdf"


class Clock:
    def __init__(self) -> None:
        self.now = 1_765_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def local(tmp_path: Path, clock: Clock) -> LocalStorage:
    return LocalStorage(tmp_path / "media", base_url=BASE_URL, secret=SECRET, clock=clock)


def signed_parts(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path.removeprefix("/media/"), int(query["expires"][0]), query["signature"][0]


# LocalStorage ------------------------------------------------------------------------------------


async def test_local_put_get_delete_round_trip(local: LocalStorage) -> None:
    await local.put("chat/c1/photo.jpg", JPEG, content_type="image/jpeg", public=False)
    await local.put("public/avatars/u1/512.webp", b"webp", content_type="image/webp", public=True)

    assert await local.get("chat/c1/photo.jpg") == JPEG
    assert local.path_for("chat/c1/photo.jpg").read_bytes() == JPEG
    assert local.content_type("public/avatars/u1/512.webp") == "image/webp"

    await local.delete(["chat/c1/photo.jpg", "public/avatars/u1/512.webp", "never/stored.jpg"])

    with pytest.raises(StoredObjectMissing) as caught:
        await local.get("chat/c1/photo.jpg")
    assert caught.value.code == "file_not_found"
    assert caught.value.status == 404
    assert local.content_type("public/avatars/u1/512.webp") is None


async def test_local_put_overwrites_and_leaves_no_temp_files(local: LocalStorage) -> None:
    await local.put("chat/c1/a.pdf", PDF, content_type="application/pdf", public=False)
    await local.put("chat/c1/a.pdf", PDF + b"2", content_type="application/pdf", public=False)

    assert await local.get("chat/c1/a.pdf") == PDF + b"2"
    assert [p.name for p in local.path_for("chat/c1/a.pdf").parent.iterdir()] == ["a.pdf"]


@pytest.mark.parametrize(
    ("key", "public"), [("chat/c1/doc.pdf", True), ("public/avatars/u1.webp", False)]
)
async def test_visibility_must_match_the_public_prefix(
    local: LocalStorage, key: str, public: bool
) -> None:
    with pytest.raises(ValueError, match="public/"):
        await local.put(key, PDF, content_type="application/pdf", public=public)
    with pytest.raises(FileNotFoundError):
        local.path_for(key).stat()


def test_signed_url_verifies_until_it_expires(local: LocalStorage, clock: Clock) -> None:
    url = local.url("verification/u1/aadhaar.jpg", public=False, expires_in=600)

    key, expires, signature = signed_parts(url)
    assert url.startswith(f"{BASE_URL}/media/verification/u1/aadhaar.jpg?expires=")
    assert key == "verification/u1/aadhaar.jpg"
    assert expires == int(clock.now) + 600
    assert len(signature) == 64
    assert local.verify(key, expires, signature)

    assert not local.verify(key, expires, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    assert not local.verify("verification/u2/aadhaar.jpg", expires, signature)
    assert not local.verify(key, expires + 1, signature)
    assert not local.verify(key, expires, "")
    assert not local.verify(key, expires, "é" * 64)
    clock.now += 601
    assert not local.verify(key, expires, signature)


def test_signatures_depend_on_the_secret(tmp_path: Path, local: LocalStorage, clock: Clock) -> None:
    other = LocalStorage(tmp_path / "media", base_url=BASE_URL, secret=b"another", clock=clock)
    key, expires, signature = signed_parts(other.url("chat/x.jpg", public=False))

    assert not local.verify(key, expires, signature)


def test_signed_urls_never_outlive_15_minutes(local: LocalStorage) -> None:
    for expires_in in (0, -5, MAX_URL_SECONDS + 1):
        with pytest.raises(ValueError, match="expire"):
            local.url("chat/x.jpg", public=False, expires_in=expires_in)


def test_public_url_is_stable(local: LocalStorage) -> None:
    url = local.url("public/portfolio/p1/large.webp", public=True)

    assert url == f"{BASE_URL}/media/public/portfolio/p1/large.webp"
    assert url == local.url("public/portfolio/p1/large.webp", public=True)
    with pytest.raises(ValueError, match="public/"):
        local.url("chat/c1/photo.jpg", public=True)


@pytest.mark.parametrize(
    "key",
    [
        "../outside.jpg",
        "chat/../../outside.jpg",
        "public/../../etc/passwd",
        "/etc/passwd",
        "chat\\..\\x.jpg",
        "chat/x\x00.jpg",
        "chat/x\n.jpg",
        "",
        "chat//x.jpg",
        "chat/./x.jpg",
        "chat/",
        ".types/chat/x.jpg",
        "chat/.tmp-abc",
        "x" * 1025,
    ],
)
async def test_keys_that_could_escape_the_root_are_refused(local: LocalStorage, key: str) -> None:
    with pytest.raises(ValueError, match="key"):
        local.path_for(key)
    with pytest.raises(ValueError, match="key"):
        await local.put(key, b"x", content_type="image/jpeg", public=False)


def test_a_symlink_out_of_the_root_is_refused(local: LocalStorage, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    local.root.mkdir(parents=True)
    os.symlink(tmp_path / "elsewhere", local.root / "chat")

    with pytest.raises(ValueError, match="leaves"):
        local.path_for("chat/x.jpg")


# The media route ---------------------------------------------------------------------------------


@pytest.fixture
async def media(local: LocalStorage) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media_router)
    app.state.runtime = SimpleNamespace(storage=local)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        yield http


async def test_public_files_are_served_with_long_cache_headers(
    local: LocalStorage, media: httpx.AsyncClient
) -> None:
    await local.put(
        "public/portfolio/p1/large.webp", b"RIFFwebp", content_type="image/webp", public=True
    )

    response = await media.get(local.url("public/portfolio/p1/large.webp", public=True))

    assert response.status_code == 200
    assert response.content == b"RIFFwebp"
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == "inline"
    assert "sandbox" in response.headers["content-security-policy"]


async def test_private_files_need_a_live_signature(
    local: LocalStorage, media: httpx.AsyncClient, clock: Clock
) -> None:
    await local.put("chat/c1/photo.jpg", JPEG, content_type="image/jpeg", public=False)
    url = local.url("chat/c1/photo.jpg", public=False, expires_in=300)
    key, expires, signature = signed_parts(url)

    unsigned = await media.get("/media/chat/c1/photo.jpg")
    assert unsigned.status_code == 404
    assert unsigned.headers["content-type"] == "application/problem+json"
    assert unsigned.json()["code"] == "file_not_found"

    signed = await media.get(url)
    assert signed.status_code == 200
    assert signed.content == JPEG
    assert signed.headers["content-type"] == "image/jpeg"
    assert signed.headers["cache-control"] == "private, max-age=300"
    assert signed.headers["x-content-type-options"] == "nosniff"

    for query in (
        {"expires": str(expires)},
        {"signature": signature},
        {"expires": str(expires + 1), "signature": signature},
        {"expires": "soon", "signature": signature},
        {"expires": "²", "signature": signature},
        {"expires": "9" * 5000, "signature": signature},
        {"expires": str(expires), "signature": signature.upper()},
    ):
        assert (await media.get(f"/media/{key}", params=query)).status_code == 404, query

    clock.now += 301
    expired = await media.get(url)
    assert expired.status_code == 404
    assert expired.json() == {**unsigned.json(), "instance": expired.json()["instance"]}


async def test_refusals_and_missing_files_look_the_same(
    local: LocalStorage, media: httpx.AsyncClient
) -> None:
    await local.put("chat/c1/photo.jpg", JPEG, content_type="image/jpeg", public=False)

    forbidden = await media.get("/media/chat/c1/photo.jpg")
    missing = await media.get(local.url("chat/c1/nothing.jpg", public=False))
    missing_public = await media.get("/media/public/none.webp")

    for response in (forbidden, missing, missing_public):
        assert response.status_code == 404
        body = response.json()
        assert (body["code"], body["detail"]) == ("file_not_found", forbidden.json()["detail"])


async def test_pdfs_download_rather_than_display(
    local: LocalStorage, media: httpx.AsyncClient
) -> None:
    await local.put("chat/c1/quote.pdf", PDF, content_type="application/pdf", public=False)

    response = await media.get(local.url("chat/c1/quote.pdf", public=False))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == "attachment"


@pytest.mark.parametrize(
    "path",
    [
        "/media/public/%2e%2e/chat/c1/photo.jpg",
        "/media/public/..%2Fchat/c1/photo.jpg",
        "/media/public/.types/chat/c1/photo.jpg",
        "/media/public/",
        "/media/public",
    ],
)
async def test_the_route_does_not_walk_out_of_public(
    local: LocalStorage, media: httpx.AsyncClient, path: str
) -> None:
    await local.put("chat/c1/photo.jpg", JPEG, content_type="image/jpeg", public=False)
    (local.root / "public").mkdir(exist_ok=True)

    assert (await media.get(path)).status_code == 404


async def test_the_route_serves_nothing_when_storage_is_not_local(tmp_path: Path) -> None:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(media_router)
    app.state.runtime = SimpleNamespace(storage=object())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http:
        assert (await http.get("/media/public/a.webp")).status_code == 404


# Settings ----------------------------------------------------------------------------------------


def test_local_storage_is_the_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 32))

    storage = storage_from_settings(settings)

    assert isinstance(storage, LocalStorage)
    assert storage.root == (tmp_path / "media").resolve()
    assert storage.url("public/a.webp", public=True) == f"{settings.base_url}/media/public/a.webp"


def test_s3_url_selects_s3_storage_with_its_prefix(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        secret_key=SecretStr("k" * 32),
        storage_url="s3://gmg-media/prod/",
        s3_endpoint_url="http://127.0.0.1:9",
        s3_access_key_id="AKIDEXAMPLE",
        s3_secret_access_key=SecretStr("example"),
        s3_public_base_url="https://cdn.example.in/",
    )

    storage = storage_from_settings(settings)

    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == ("gmg-media", "prod/")
    assert storage.url("public/a.webp", public=True) == "https://cdn.example.in/prod/public/a.webp"


def test_storage_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_URL", "s3://bucket")
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://r2.example.com")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "shh")

    config = Settings()

    assert config.storage_url == "s3://bucket"
    assert config.s3_endpoint_url == "https://r2.example.com"
    assert config.s3_region == "ap-south-1"
    assert config.s3_secret_access_key == SecretStr("shh")
    assert config.s3_public_base_url is None


@pytest.mark.parametrize("url", ["file:///srv/media", "s3://", "gs://bucket"])
def test_unknown_storage_urls_are_refused(tmp_path: Path, url: str) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("k" * 32), storage_url=url)

    with pytest.raises(ValueError, match="STORAGE_URL"):
        storage_from_settings(settings)


# S3 against moto's server ------------------------------------------------------------------------

BUCKET = "gmg-test-media"
REGION = "ap-south-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    admin: Any = boto3.session.Session().client(
        "s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS
    )
    admin.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield endpoint
    server.stop()


def s3_storage(endpoint: str, *, public_base_url: str | None = None) -> S3Storage:
    return S3Storage(
        bucket=BUCKET,
        prefix="media",
        endpoint_url=endpoint,
        region=REGION,
        access_key=CREDENTIALS["aws_access_key_id"],
        secret_key=CREDENTIALS["aws_secret_access_key"],
        public_base_url=public_base_url,
    )


async def test_s3_put_get_delete_and_presigned_urls(moto_endpoint: str) -> None:
    storage = s3_storage(moto_endpoint)
    await storage.put("chat/c1/quote.pdf", PDF, content_type="application/pdf", public=False)

    assert await storage.get("chat/c1/quote.pdf") == PDF
    url = storage.url("chat/c1/quote.pdf", public=False, expires_in=120)
    assert "X-Amz-Expires=120" in url
    assert "/media/chat/c1/quote.pdf" in url
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
        assert response.status_code == 200
        assert response.content == PDF
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == "attachment"

    await storage.delete(["chat/c1/quote.pdf", "chat/c1/never-there.pdf"])
    with pytest.raises(StoredObjectMissing):
        await storage.get("chat/c1/quote.pdf")


async def test_s3_public_urls(moto_endpoint: str) -> None:
    storage = s3_storage(moto_endpoint)
    await storage.put("public/avatars/u1/512.webp", b"webp", content_type="image/webp", public=True)

    presigned = storage.url("public/avatars/u1/512.webp", public=True)
    assert "X-Amz-Expires=900" in presigned
    async with httpx.AsyncClient() as http:
        response = await http.get(presigned)
    assert response.content == b"webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-disposition"] == "inline"

    with_cdn = s3_storage(moto_endpoint, public_base_url="https://media.getmygrapher.in")
    assert (
        with_cdn.url("public/avatars/u1/512.webp", public=True)
        == "https://media.getmygrapher.in/media/public/avatars/u1/512.webp"
    )
    await storage.delete(["public/avatars/u1/512.webp"])


async def test_s3_deletes_many_keys_in_batches(moto_endpoint: str) -> None:
    storage = s3_storage(moto_endpoint)
    keys = [f"exports/u1/part-{number:04}.json" for number in range(1003)]
    for key in (keys[0], keys[-1]):
        await storage.put(key, b"{}", content_type="application/json", public=False)

    await storage.delete(keys)
    await storage.delete([])

    for key in (keys[0], keys[-1]):
        with pytest.raises(StoredObjectMissing):
            await storage.get(key)


async def test_s3_refuses_bad_keys_and_long_urls(moto_endpoint: str) -> None:
    storage = s3_storage(moto_endpoint)

    with pytest.raises(ValueError, match="key"):
        await storage.put("../escape.jpg", JPEG, content_type="image/jpeg", public=False)
    with pytest.raises(ValueError, match="public/"):
        await storage.put("chat/x.jpg", JPEG, content_type="image/jpeg", public=True)
    with pytest.raises(ValueError, match="expire"):
        storage.url("chat/x.jpg", public=False, expires_in=3600)
