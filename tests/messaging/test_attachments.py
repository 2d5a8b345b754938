"""Attachments (MSG-4): checked from their bytes, cleaned, private, linked for 15 minutes."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import pytest
from httpx import AsyncClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.core.runtime import Runtime
from getmygrapher.core.tasks import run_task
from tests.factories import Person, make_user
from tests.fakes.audio import mp3, mp4, ogg_opus, webm, webm_recorded
from tests.jobs.helpers import error_fields
from tests.messaging.helpers import start
from tests.profiles.helpers import jpeg
from tests.taskqueue import run_jobs


@pytest.fixture
async def asha(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True, full_name="Asha Rao")


@pytest.fixture
async def bilal(session: AsyncSession, runtime: Runtime) -> Person:
    return await make_user(session, runtime, onboarded=True, full_name="Bilal Khan")


@pytest.fixture
async def chat(api: AsyncClient, asha: Person, bilal: Person) -> str:
    return str((await start(api, asha, bilal))["conversation"]["id"])


async def _upload(
    api: AsyncClient,
    person: Person,
    chat: str,
    data: bytes,
    name: str = "file.bin",
    content_type: str = "application/octet-stream",
) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = await api.post(
        f"/v1/conversations/{chat}/attachments",
        headers=person.headers,
        files={"file": (name, data, content_type)},
    )
    return response.status_code, response.json()


def _gps_jpeg() -> bytes:
    exif = Image.Exif()
    exif.get_ifd(0x8825)[2] = (9.0, 56.0, 0.0)  # a latitude: must not survive
    return jpeg(1600, 1000, exif=exif)


async def test_an_image_is_cleaned_thumbnailed_and_sent(
    api: AsyncClient, asha: Person, bilal: Person, chat: str
) -> None:
    status, uploaded = await _upload(
        api, asha, chat, _gps_jpeg(), "../../etc/passwd.png", "image/png"
    )
    sent = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"kind": "image", "attachment_ids": [uploaded["id"]], "client_message_id": "img"},
        headers=asha.headers,
    )
    seen = (await api.get(f"/v1/conversations/{chat}/messages", headers=bilal.headers)).json()[
        "items"
    ][0]
    fetched = await api.get(f"/v1/attachments/{uploaded['id']}", headers=bilal.headers)
    file = await api.get(fetched.json()["url"])

    assert status == 201, uploaded
    assert uploaded["kind"] == "image"
    assert uploaded["content_type"] == "image/jpeg"
    assert uploaded["filename"] == "passwd.jpg"
    assert (uploaded["width"], uploaded["height"]) == (1600, 1000)
    assert uploaded["thumbnail_url"] is not None
    assert sent.status_code == 201, sent.text
    assert seen["attachments"][0]["id"] == uploaded["id"]
    assert seen["text"] == ""
    assert file.status_code == 200
    assert Image.open(io.BytesIO(file.content)).getexif().get_ifd(0x8825) == {}
    chats = (await api.get("/v1/conversations", headers=bilal.headers)).json()["items"]
    assert chats[0]["preview"] == "[attachment]"


@pytest.mark.parametrize(
    ("make", "content_type", "seconds"),
    [
        (mp3, "audio/mpeg", 12.5),
        (ogg_opus, "audio/ogg", 7.25),
        (webm, "audio/webm", 42.0),
        (webm_recorded, "audio/webm", 17.5),
        (mp4, "audio/mp4", 33.0),
    ],
)
async def test_voice_notes_of_each_kind_with_their_length(
    api: AsyncClient,
    asha: Person,
    chat: str,
    make: Callable[[float], bytes],
    content_type: str,
    seconds: float,
) -> None:
    status, uploaded = await _upload(api, asha, chat, make(seconds), "note", "image/jpeg")

    assert status == 201, uploaded
    assert uploaded["kind"] == "voice"
    assert uploaded["content_type"] == content_type
    assert abs(uploaded["duration_seconds"] - seconds) < 0.1


async def test_a_pdf_is_a_document(api: AsyncClient, asha: Person, chat: str) -> None:
    status, uploaded = await _upload(api, asha, chat, b"%PDF-1.7\n" + b"x" * 2000, "Quote.pdf")

    assert status == 201
    assert uploaded["kind"] == "document"
    assert uploaded["filename"] == "Quote.pdf"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"MZ\x90\x00 a windows program", "invalid_file_type"),
        (b"<html><script>alert(1)</script></html>", "invalid_file_type"),
        (b"ID3" + b"\x00" * 100, "invalid_file_type"),
        (mp3(301), "out_of_range"),
        (b"%PDF-" + b"x" * (20 * 1024 * 1024), "payload_too_large"),
        (b"ID3" + mp3(1)[3:] + b"\x00" * (10 * 1024 * 1024), "file_too_large"),
        (b"\xff\xd8\xff" + b"not really a jpeg", "invalid_file_type"),
        # A WebM whose Duration is three bytes long: neither a float nor a double.
        (webm(3.0, duration=b"\x01\x02\x03"), "invalid_file_type"),
        (b"", "required_field"),
    ],
)
async def test_what_is_not_an_allowed_file_is_refused(
    api: AsyncClient, session: AsyncSession, asha: Person, chat: str, data: bytes, code: str
) -> None:
    status, body = await _upload(api, asha, chat, data)

    assert status in {413, 422}, body
    assert (body["errors"][0]["code"] if body["errors"] else body["code"]) == code
    assert await session.scalar(text("SELECT count(*) FROM message_attachments")) == 0


async def test_uploads_belong_to_their_uploader_and_chat(
    api: AsyncClient,
    session: AsyncSession,
    runtime: Runtime,
    asha: Person,
    bilal: Person,
    chat: str,
) -> None:
    stranger = await make_user(session, runtime, onboarded=True)
    other_chat = (await start(api, asha, stranger))["conversation"]["id"]
    _, mine = await _upload(api, asha, chat, b"%PDF-1.4 quote")
    _, elsewhere = await _upload(api, asha, other_chat, b"%PDF-1.4 other")

    by_bilal = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"kind": "file", "attachment_ids": [mine["id"]], "client_message_id": "b"},
        headers=bilal.headers,
    )
    wrong_chat = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"kind": "file", "attachment_ids": [elsewhere["id"]], "client_message_id": "w"},
        headers=asha.headers,
    )
    wrong_kind = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"kind": "voice", "attachment_ids": [mine["id"]], "client_message_id": "k"},
        headers=asha.headers,
    )
    unsent_for_bilal = await api.get(f"/v1/attachments/{mine['id']}", headers=bilal.headers)
    for_stranger = await api.get(f"/v1/attachments/{mine['id']}", headers=stranger.headers)
    upload_by_stranger = await api.post(
        f"/v1/conversations/{chat}/attachments",
        headers=stranger.headers,
        files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")},
    )
    sent = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={
            "kind": "file",
            "text": "The quote",
            "attachment_ids": [mine["id"]],
            "client_message_id": "s",
        },
        headers=asha.headers,
    )
    reused = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"kind": "file", "attachment_ids": [mine["id"]], "client_message_id": "r"},
        headers=asha.headers,
    )
    unknown = await api.get(f"/v1/attachments/{uuid.uuid4()}", headers=asha.headers)

    assert error_fields(by_bilal)["attachment_ids"] == "not_allowed"
    assert error_fields(wrong_chat)["attachment_ids"] == "not_allowed"
    assert error_fields(wrong_kind)["kind"] == "not_allowed"
    assert unsent_for_bilal.status_code == 404
    assert for_stranger.status_code == 404
    assert upload_by_stranger.status_code == 404
    assert sent.status_code == 201
    assert error_fields(reused)["attachment_ids"] == "not_allowed"
    assert unknown.status_code == 404
    assert (
        await api.get(f"/v1/attachments/{mine['id']}", headers=bilal.headers)
    ).status_code == 200


async def test_deleting_a_message_removes_its_files_and_unsent_uploads_go_after_a_day(
    api: AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    asha: Person,
    chat: str,
    runtime: Runtime,
) -> None:
    _, sent_file = await _upload(api, asha, chat, b"%PDF-1.4 sent")
    _, left_file = await _upload(api, asha, chat, b"%PDF-1.4 left")
    message = await api.post(
        f"/v1/conversations/{chat}/messages",
        json={"kind": "file", "attachment_ids": [sent_file["id"]], "client_message_id": "d"},
        headers=asha.headers,
    )
    keys = (
        (await session.execute(text("SELECT keys->>'original' FROM message_attachments")))
        .scalars()
        .all()
    )

    await api.delete(f"/v1/messages/{message.json()['id']}", headers=asha.headers)
    await session.execute(
        text("UPDATE message_attachments SET created_at = now() - interval '2 days'")
    )
    await session.commit()
    await run_task("messaging.purge", {"timestamp": 0})
    await run_jobs(connection)

    assert await session.scalar(text("SELECT count(*) FROM message_attachments")) == 0
    for key in keys:
        with pytest.raises(Exception, match="not"):
            await runtime.storage.get(key)
    assert left_file["id"] != sent_file["id"]
