"""Voice notes (MSG-4): the container is recognised from the bytes, never from the name or
the declared type, and the duration read from the file itself."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from mutagen import MutagenError
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus


class AudioRejected(ValueError):
    pass


@dataclass(frozen=True)
class Audio:
    content_type: str
    duration_seconds: float


def sniff_audio(data: bytes) -> str | None:
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return "audio/mp4"
    if data.startswith(b"OggS") and b"OpusHead" in data[:200]:
        return "audio/ogg"
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "audio/webm"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    return None


def probe_audio(data: bytes) -> Audio:
    """The type and length of a voice note; AudioRejected when it is neither."""
    content_type = sniff_audio(data)
    if content_type is None:
        raise AudioRejected("not an AAC/MP4, Ogg Opus, MPEG or WebM audio file")
    try:
        if content_type == "audio/webm":
            duration = _webm_duration(data)
        else:
            reader: Any = {"audio/mp4": MP4, "audio/ogg": OggOpus, "audio/mpeg": MP3}[content_type]
            duration = float(reader(io.BytesIO(data)).info.length)
    except (MutagenError, ValueError, IndexError, KeyError) as error:
        raise AudioRejected(f"unreadable audio: {error}") from None
    if not duration > 0:
        raise AudioRejected("the audio has no length")
    return Audio(content_type, duration)


# WebM (Matroska): the Segment's Info element holds TimecodeScale (ns per tick, default 1 ms)
# and Duration (a float, in ticks).
_SEGMENT, _INFO = 0x18538067, 0x1549A966
_TIMECODE_SCALE, _DURATION = 0x2AD7B1, 0x4489


def _vint(data: bytes, at: int, *, keep_marker: bool) -> tuple[int, int]:
    first = data[at]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError("bad EBML length")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[at + 1 : at + length]:
        value = (value << 8) | byte
    return value, at + length


def _elements(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(id, payload start, payload end) of the elements between start and end."""
    found, at = [], start
    while at < end:
        element, at = _vint(data, at, keep_marker=True)
        size, at = _vint(data, at, keep_marker=False)
        stop = min(end, at + size)
        found.append((element, at, stop))
        at = stop
    return found


def _webm_duration(data: bytes) -> float:
    import struct

    for element, start, end in _elements(data, 0, len(data)):
        if element != _SEGMENT:
            continue
        for child, child_start, child_end in _elements(data, start, end):
            if child != _INFO:
                continue
            scale, ticks = 1_000_000, None
            for field, field_start, field_end in _elements(data, child_start, child_end):
                raw = data[field_start:field_end]
                if field == _TIMECODE_SCALE:
                    scale = int.from_bytes(raw, "big")
                elif field == _DURATION:
                    ticks = struct.unpack(">f" if len(raw) == 4 else ">d", raw)[0]
            if ticks is not None:
                return float(ticks) * scale / 1e9
    raise ValueError("no duration in the WebM file")
