"""Voice notes (MSG-4): the container is recognised from the bytes, never from the name or
the declared type, and the duration read from the file itself."""

from __future__ import annotations

import io
import struct
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
    except (MutagenError, ValueError, IndexError, KeyError, struct.error) as error:
        raise AudioRejected(f"unreadable audio: {error}") from None
    if not duration > 0:
        raise AudioRejected("the audio has no length")
    return Audio(content_type, duration)


# WebM (Matroska): the Segment's Info element holds TimecodeScale (ns per tick, default 1 ms)
# and, when the writer knew it, Duration (a float, in ticks). Browsers recording live
# (MediaRecorder) leave Duration out and give Segment and Clusters an unknown size; the length
# is then the last block's time: its Cluster's Timecode plus its own relative timecode.
_SEGMENT, _INFO, _CLUSTER = 0x18538067, 0x1549A966, 0x1F43B675
_TIMECODE_SCALE, _DURATION, _TIMECODE = 0x2AD7B1, 0x4489, 0xE7
_SIMPLE_BLOCK, _BLOCK_GROUP, _BLOCK = 0xA3, 0xA0, 0xA1
_WALKED_INTO = {_SEGMENT, _CLUSTER, _BLOCK_GROUP}  # read inline, so an unknown size is fine


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
    scale, cluster_time, last_block = 1_000_000, 0, None
    at = 0
    while at < len(data):
        element, at = _vint(data, at, keep_marker=True)
        size, at = _vint(data, at, keep_marker=False)
        if element in _WALKED_INTO:
            continue
        stop = min(len(data), at + size)
        raw = data[at:stop]
        if element == _INFO:
            for field, field_start, field_end in _elements(data, at, stop):
                value = data[field_start:field_end]
                if field == _TIMECODE_SCALE:
                    scale = int.from_bytes(value, "big")
                elif field == _DURATION:
                    ticks = struct.unpack(">f" if len(value) == 4 else ">d", value)[0]
                    return float(ticks) * scale / 1e9
        elif element == _TIMECODE:
            cluster_time = int.from_bytes(raw, "big")
        elif element in {_SIMPLE_BLOCK, _BLOCK}:
            _, offset = _vint(raw, 0, keep_marker=False)  # the track number
            relative = int.from_bytes(raw[offset : offset + 2], "big", signed=True)
            last_block = max(last_block or 0, cluster_time + relative)
        at = stop
    if last_block is None:
        raise ValueError("no duration and no audio blocks in the WebM file")
    return last_block * scale / 1e9
