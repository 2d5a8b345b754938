"""Small, valid voice-note files built byte by byte (the machine has no encoder)."""

from __future__ import annotations

import struct


def mp3(seconds: float) -> bytes:
    """MPEG-1 Layer III frames of silence at 128 kbit/s, 44.1 kHz: 1152 samples each."""
    header = b"\xff\xfb\x90\x64"  # 128 kbit/s, 44.1 kHz, no padding, stereo
    frame = header + b"\x00" * (417 - len(header))
    frames = round(seconds * 44100 / 1152)
    return frame * frames


def _ebml(element_id: int, payload: bytes) -> bytes:
    size = len(payload) | (0x01 << 56)  # an 8-byte size field
    return (
        element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
        + size.to_bytes(8, "big")
        + payload
    )


def webm(seconds: float, *, duration: bytes | None = None) -> bytes:
    """An EBML header saying webm, and a Segment whose Info holds the duration (in ms), or
    `duration` as the raw Duration payload."""
    header = _ebml(0x1A45DFA3, _ebml(0x4282, b"webm"))
    info = _ebml(
        0x1549A966,
        _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big"))
        + _ebml(0x4489, struct.pack(">d", seconds * 1000) if duration is None else duration),
    )
    return header + _ebml(0x18538067, info + _ebml(0x1F43B675, b"\x00" * 32))


def webm_recorded(seconds: float) -> bytes:
    """As a browser's MediaRecorder writes it: no Duration, Segment and Clusters of unknown
    size, one 20 ms Opus block at the start of each second."""
    unknown = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    header = _ebml(0x1A45DFA3, _ebml(0x4282, b"webm"))
    info = _ebml(0x1549A966, _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big")))
    clusters = b""
    whole = int(seconds)
    for second in range(whole):
        block = _ebml(0xA3, b"\x81" + (0).to_bytes(2, "big") + b"\x80" + b"\xfc" * 20)
        clusters += b"\x1f\x43\xb6\x75" + unknown + _ebml(0xE7, (second * 1000).to_bytes(4, "big"))
        clusters += block
    # The last block, `seconds` after the start, in the last cluster.
    tail = round((seconds - (whole - 1)) * 1000)
    clusters += _ebml(0xA3, b"\x81" + tail.to_bytes(2, "big") + b"\x80" + b"\xfc" * 20)
    return header + b"\x18\x53\x80\x67" + unknown + info + clusters


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(payload: bytes, *, sequence: int, granule: int, flags: int) -> bytes:
    segments = [255] * (len(payload) // 255) + [len(payload) % 255]
    header = (
        b"OggS"
        + bytes([0, flags])
        + struct.pack("<qII", granule, 1, sequence)
        + b"\x00\x00\x00\x00"
        + bytes([len(segments)])
        + bytes(segments)
    )
    page = header + payload
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def ogg_opus(seconds: float) -> bytes:
    """OpusHead, OpusTags and one audio page whose granule position gives the length."""
    head = b"OpusHead" + bytes([1, 1]) + struct.pack("<HIhB", 312, 48000, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    audio = bytes([0xF8, 0xFF, 0xFE])  # one 20 ms frame of silence
    return (
        _ogg_page(head, sequence=0, granule=0, flags=2)
        + _ogg_page(tags, sequence=1, granule=0, flags=0)
        + _ogg_page(audio, sequence=2, granule=312 + round(seconds * 48000), flags=4)
    )


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: float) -> bytes:
    """An M4A with one sound track whose media header gives the length."""
    hdlr = _box(b"hdlr", b"\x00" * 8 + b"soun" + b"\x00" * 12 + b"\x00")
    mdhd = _box(
        b"mdhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, round(seconds * 1000)) + b"\x00" * 4
    )
    moov = _box(b"moov", _box(b"trak", _box(b"mdia", mdhd + hdlr)))
    return _box(b"ftyp", b"M4A \x00\x00\x00\x00M4A isom") + moov + _box(b"mdat", b"\x00" * 64)
