"""Attachments (MSG-4): checked from their bytes, images cleaned, kept private, fetched by
participants through links signed for 15 minutes."""

from __future__ import annotations

import uuid

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from getmygrapher.core.audio import AudioRejected, probe_audio, sniff_audio
from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.images import process_image, sniff_type
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Principal
from getmygrapher.messaging.errors import AttachmentNotFound, ConversationNotFound
from getmygrapher.messaging.models import Attachment, AttachmentKind
from getmygrapher.messaging.repository import MessagingRepository
from getmygrapher.messaging.schemas import AttachmentRead
from getmygrapher.messaging.service.common import attachment_read, member

MB = 1024 * 1024
IMAGE_LIMIT, DOCUMENT_LIMIT, VOICE_LIMIT = 10 * MB, 20 * MB, 10 * MB
VOICE_SECONDS = 300
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
    "audio/mp4": "m4a",
    "audio/ogg": "ogg",
    "audio/mpeg": "mp3",
    "audio/webm": "webm",
}


def _too_large(limit: int) -> ValidationFailed:
    return ValidationFailed.field(
        "file", "file_too_large", f"The file is larger than {limit // MB} MB."
    )


async def upload(
    session: AsyncSession,
    runtime: Runtime,
    *,
    uploader: Principal,
    conversation_id: uuid.UUID,
    filename: str,
    data: bytes,
) -> AttachmentRead:
    """An image (JPEG, PNG, WebP; metadata stripped, thumbnail made), a PDF or a voice note
    (AAC/MP4, Ogg Opus, MPEG, WebM; at most 300 s). Attached to a message when sent."""
    conversation, _ = await member(session, uploader.id, conversation_id)
    detected = sniff_type(data)
    base = f"private/messages/{conversation.id}/{uuid.uuid4().hex}"
    width = height = None
    duration = None
    if detected in {"image/jpeg", "image/png", "image/webp"}:
        if len(data) > IMAGE_LIMIT:
            raise _too_large(IMAGE_LIMIT)
        processed = await anyio.to_thread.run_sync(lambda: process_image(data, field="file"))
        original, thumb = processed.renditions["original"], processed.renditions["thumb"]
        keys = {
            "original": f"{base}.{EXTENSIONS[original.content_type]}",
            "thumb": f"{base}-thumb.{EXTENSIONS[thumb.content_type]}",
        }
        await runtime.storage.put(
            keys["original"], original.data, content_type=original.content_type, public=False
        )
        await runtime.storage.put(
            keys["thumb"], thumb.data, content_type=thumb.content_type, public=False
        )
        kind, content_type, size = AttachmentKind.IMAGE, original.content_type, len(original.data)
        width, height = processed.width, processed.height
    elif detected == "application/pdf":
        if len(data) > DOCUMENT_LIMIT:
            raise _too_large(DOCUMENT_LIMIT)
        kind, content_type, size = AttachmentKind.DOCUMENT, detected, len(data)
        keys = {"original": f"{base}.pdf"}
        await runtime.storage.put(keys["original"], data, content_type=detected, public=False)
    elif sniff_audio(data) is not None:
        if len(data) > VOICE_LIMIT:
            raise _too_large(VOICE_LIMIT)
        try:
            audio = await anyio.to_thread.run_sync(lambda: probe_audio(data))
        except AudioRejected:
            raise ValidationFailed.field(
                "file", "invalid_file_type", "The voice note cannot be read."
            ) from None
        if audio.duration_seconds > VOICE_SECONDS:
            raise ValidationFailed.field(
                "file", "out_of_range", "Voice notes are at most 300 seconds."
            )
        kind, content_type, size = AttachmentKind.VOICE, audio.content_type, len(data)
        duration = round(audio.duration_seconds, 2)
        keys = {"original": f"{base}.{EXTENSIONS[content_type]}"}
        await runtime.storage.put(keys["original"], data, content_type=content_type, public=False)
    else:
        raise ValidationFailed.field(
            "file", "invalid_file_type", "Send a JPEG, PNG or WebP image, a PDF or a voice note."
        )
    row = Attachment(
        conversation_id=conversation.id,
        uploader_id=uploader.id,
        kind=kind,
        content_type=content_type,
        filename=_clean_name(filename, content_type),
        size_bytes=size,
        keys=keys,
        width=width,
        height=height,
        duration_seconds=duration,
    )
    await MessagingRepository(session).add(row)
    return attachment_read(runtime, row)


def _clean_name(filename: str, content_type: str) -> str:
    stem = (
        "".join(
            ch
            for ch in filename.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            if ch.isalnum() or ch in " -_"
        )[:80].strip()
        or "file"
    )
    return f"{stem}.{EXTENSIONS[content_type]}"


async def get(
    session: AsyncSession, runtime: Runtime, *, viewer: Principal, attachment_id: uuid.UUID
) -> AttachmentRead:
    """Participants only (who could see its message), with fresh signed links."""
    row = await MessagingRepository(session).attachment(attachment_id)
    if row is None:
        raise AttachmentNotFound("No file you can see has this id.")
    try:
        _, participant = await member(session, viewer.id, row.conversation_id)
    except ConversationNotFound:
        raise AttachmentNotFound("No file you can see has this id.") from None
    if row.message_id is None and row.uploader_id != viewer.id:
        raise AttachmentNotFound("No file you can see has this id.")
    if row.message_id is not None:
        message = await MessagingRepository(session).message(row.message_id)
        if message is None or message.seq <= participant.joined_seq:
            raise AttachmentNotFound("No file you can see has this id.")
    return attachment_read(runtime, row)
