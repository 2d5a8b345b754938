"""Uploaded images: checked by content, decoded within limits, oriented, stripped of every
metadata block but the colour profile, and re-encoded with WebP derivatives (STO-2, STO-3, PF-4).

Synchronous and CPU-bound: callers run `process_image` in a worker thread.
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from typing import Any, Final

from PIL import Image, ImageCms, ImageOps

from getmygrapher.core.errors import ValidationFailed
from getmygrapher.core.time import IST

MIN_SIDE: Final = 200
MAX_SIDE: Final = 12_000
# STO-2: "stay within 50 megapixels"; a 45 MP camera file must pass.
MAX_PIXELS: Final = 50_000_000
MAX_BYTES: Final = 10 * 1024 * 1024

LARGE_SIDE: Final = 2048
MEDIUM_BOX: Final = (800, 600)
THUMB_BOX: Final = (300, 300)
WEBP_QUALITY: Final = 82
JPEG_QUALITY: Final = 90

_PILLOW_FORMATS: Final = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}

# What a corrupt or truncated file makes Pillow raise while parsing or decoding.
_DECODE_ERRORS: Final = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)

# EXIF tags (base IFD, then the Exif sub-IFD). GPS, serial numbers and owner names are never read.
_MAKE, _MODEL, _EXIF_IFD = 0x010F, 0x0110, 0x8769
_EXPOSURE_TIME, _F_NUMBER, _ISO = 0x829A, 0x829D, 0x8827
_TAKEN_AT, _TAKEN_AT_OFFSET = 0x9003, 0x9011
_FLASH, _FOCAL_LENGTH, _LENS_MODEL = 0x9209, 0x920A, 0xA434
_MAX_TEXT = 100


class ImageRejected(ValidationFailed):
    """An upload we will not store; `reason` is its SPEC §20 code."""

    @classmethod
    def field(cls, field: str, code: str, message: str) -> ImageRejected:
        return cls(message, errors=[{"field": field, "code": code, "message": message}])

    @classmethod
    def invalid_file_type(cls, field: str) -> ImageRejected:
        return cls.field(
            field, "invalid_file_type", "The file must be a JPEG, PNG or WebP image that opens."
        )

    @classmethod
    def file_too_large(cls, field: str, message: str) -> ImageRejected:
        return cls.field(field, "file_too_large", message)

    @classmethod
    def out_of_range(cls, field: str, message: str) -> ImageRejected:
        return cls.field(field, "out_of_range", message)

    @property
    def reason(self) -> str:
        return str(self.errors[0]["code"])


@dataclass(frozen=True)
class CameraExif:
    make: str | None = None
    model: str | None = None
    lens: str | None = None
    focal_length_mm: float | None = None
    aperture: float | None = None
    shutter: str | None = None
    iso: int | None = None
    flash: bool | None = None
    taken_at: datetime | None = None

    def confidence(self) -> float:
        """CPL-2: how many of model, aperture, shutter and ISO were found, over 4."""
        found = (self.model, self.aperture, self.shutter, self.iso)
        return sum(value is not None for value in found) / 4


@dataclass(frozen=True)
class Rendition:
    name: str
    content_type: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class ProcessedImage:
    renditions: dict[str, Rendition]
    width: int
    height: int
    source_format: str
    exif: CameraExif
    phash: str


def sniff_type(data: bytes) -> str | None:
    """The content type the leading bytes prove, whatever the file name or client says."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def process_image(
    data: bytes,
    *,
    max_bytes: int = MAX_BYTES,
    max_pixels: int = MAX_PIXELS,
    field: str = "file",
    variants: bool = True,
) -> ProcessedImage:
    """Validate and re-encode an upload; raises ImageRejected with the failing field's code."""
    if len(data) > max_bytes:
        raise ImageRejected.file_too_large(
            field, f"The file is larger than {max_bytes / 1024 / 1024:g} MB."
        )
    pillow_format = _PILLOW_FORMATS.get(sniff_type(data) or "")
    if pillow_format is None:
        raise ImageRejected.invalid_file_type(field)
    if pillow_format == "WEBP":
        # libwebp allocates the whole canvas when the file is opened, before any size check.
        _check_size(_webp_canvas_size(data), max_pixels, field)

    # Not closed: the source is a BytesIO, and closing a Pillow image discards its pixels.
    source = _open(data, pillow_format, field)
    _check_size(source.size, max_pixels, field)
    # MPO (a camera JPEG carrying a preview or depth map) counts its extra pictures as frames.
    if getattr(source, "n_frames", 1) > 1 and source.format != "MPO":
        raise ImageRejected.invalid_file_type(field)
    try:
        source.load()
    except _DECODE_ERRORS as exc:
        raise ImageRejected.invalid_file_type(field) from exc

    exif = _read_exif(source)
    camera = _camera_exif(exif) if exif is not None else CameraExif()
    if exif is not None:
        # A malformed orientation tag: keep the pixels as stored.
        with contextlib.suppress(*_DECODE_ERRORS):
            ImageOps.exif_transpose(source, in_place=True)
    picture, icc_profile = _to_display_mode(source)

    renditions = {"original": _encode_original(picture, icc_profile)}
    if variants:
        large = _fit_within(picture, (LARGE_SIDE, LARGE_SIDE))
        medium = _fit_within(large, MEDIUM_BOX)
        thumb = ImageOps.fit(large, THUMB_BOX, method=Image.Resampling.LANCZOS)
        for name, image in (("large", large), ("medium", medium), ("thumb", thumb)):
            renditions[name] = _encode_webp(name, image, icc_profile)
    return ProcessedImage(
        renditions=renditions,
        width=picture.width,
        height=picture.height,
        source_format="JPEG" if pillow_format == "JPEG" else pillow_format,
        exif=camera,
        phash=difference_hash(picture),
    )


def difference_hash(image: Image.Image) -> str:
    """64-bit dHash: is each cell of an 8 by 8 grid brighter than its right neighbour."""
    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS, reducing_gap=3.0)
    pixels = small.tobytes()  # one byte per pixel in mode L
    value = 0
    for row in range(8):
        for column in range(8):
            left, right = pixels[row * 9 + column], pixels[row * 9 + column + 1]
            value = (value << 1) | int(left > right)
    return f"{value:016x}"


# Decoding ----------------------------------------------------------------------------------------


def _open(data: bytes, pillow_format: str, field: str) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=[pillow_format])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard (or its warning, where warnings are errors) fired first.
        raise ImageRejected.file_too_large(field, "The image has too many pixels.") from exc
    except _DECODE_ERRORS as exc:
        raise ImageRejected.invalid_file_type(field) from exc


def _check_size(size: tuple[int, int] | None, max_pixels: int, field: str) -> None:
    if size is None:
        return
    width, height = size
    if width * height > max_pixels:
        raise ImageRejected.file_too_large(
            field, f"The image has more than {max_pixels / 1_000_000:g} megapixels."
        )
    if min(width, height) < MIN_SIDE or max(width, height) > MAX_SIDE:
        raise ImageRejected.out_of_range(
            field, f"Each side must measure between {MIN_SIDE} and {MAX_SIDE:,} pixels."
        )


def _webp_canvas_size(data: bytes) -> tuple[int, int] | None:
    """The canvas a WebP header declares (RIFF, then a VP8X, VP8L or VP8 chunk)."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _to_display_mode(image: Image.Image) -> tuple[Image.Image, bytes | None]:
    """8-bit RGB, or RGBA where some pixel is see-through, with a profile that matches it."""
    icc_profile: bytes | None = image.info.get("icc_profile") or None
    has_alpha = image.has_transparency_data
    if image.mode.startswith("I"):
        # 16-bit greyscale PNG: Pillow's own conversion clips everything above 255 to white.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    target = "RGBA" if has_alpha else "RGB"

    converted: Image.Image | None = None
    profile_space = _profile_colour_space(icc_profile)
    if icc_profile is not None and profile_space != "RGB":
        # An RGB copy tagged with a CMYK or grey profile would be read wrongly by every viewer.
        if not has_alpha and (image.mode, profile_space) in {("CMYK", "CMYK"), ("L", "GRAY")}:
            converted = _to_srgb(image, icc_profile)
        icc_profile = _srgb_profile() if converted is not None else None
    if converted is None:
        converted = image.convert(target) if image.mode != target else image
    if converted.mode == "RGBA" and converted.getchannel("A").getextrema() == (255, 255):
        converted = converted.convert("RGB")
    # Whatever the decoder put in `info` (EXIF, XMP, comments, text chunks) must not be written.
    converted.info = {}
    return converted, icc_profile


def _profile_colour_space(icc_profile: bytes | None) -> str | None:
    if icc_profile is None or len(icc_profile) < 128:
        return None
    return icc_profile[16:20].decode("ascii", "replace").strip()


def _to_srgb(image: Image.Image, icc_profile: bytes) -> Image.Image | None:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, _srgb_cms_profile(), outputMode="RGB")
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


@cache
def _srgb_cms_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@cache
def _srgb_profile() -> bytes:
    return _srgb_cms_profile().tobytes()


# Encoding ----------------------------------------------------------------------------------------


def _fit_within(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    scale = min(1.0, box[0] / image.width, box[1] / image.height)
    if scale == 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _encode_original(image: Image.Image, icc_profile: bytes | None) -> Rendition:
    buffer = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    if image.mode == "RGBA":
        image.save(buffer, format="PNG", **extra)
        content_type = "image/png"
    else:
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY, **extra)
        content_type = "image/jpeg"
    return Rendition("original", content_type, buffer.getvalue(), image.width, image.height)


def _encode_webp(name: str, image: Image.Image, icc_profile: bytes | None) -> Rendition:
    buffer = io.BytesIO()
    extra: dict[str, Any] = {"icc_profile": icc_profile} if icc_profile else {}
    image.save(buffer, format="WEBP", quality=WEBP_QUALITY, **extra)
    return Rendition(name, "image/webp", buffer.getvalue(), image.width, image.height)


# Camera EXIF (CPL-2) -----------------------------------------------------------------------------


def _read_exif(image: Image.Image) -> Image.Exif | None:
    try:
        exif = image.getexif()
    except _DECODE_ERRORS:
        return None
    return exif if len(exif) else None


def _camera_exif(exif: Image.Exif) -> CameraExif:
    try:
        details: dict[int, Any] = dict(exif.get_ifd(_EXIF_IFD))
    except _DECODE_ERRORS:
        details = {}

    def tag(number: int) -> Any:
        return details.get(number, exif.get(number))

    return CameraExif(
        make=_text(exif.get(_MAKE)),
        model=_text(exif.get(_MODEL)),
        lens=_text(tag(_LENS_MODEL)),
        focal_length_mm=_rounded(_positive(tag(_FOCAL_LENGTH))),
        aperture=_rounded(_positive(tag(_F_NUMBER))),
        shutter=_shutter(_positive(tag(_EXPOSURE_TIME))),
        iso=_iso(tag(_ISO)),
        flash=_flash(tag(_FLASH)),
        taken_at=_taken_at(tag(_TAKEN_AT), tag(_TAKEN_AT_OFFSET)),
    )


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    cleaned = "".join(ch for ch in value if ch.isprintable()).strip()
    return cleaned[:_MAX_TEXT] or None


def _positive(value: Any) -> float | None:
    if isinstance(value, tuple | list) and len(value) == 2:
        numerator, denominator = value
        value = numerator / denominator if denominator else math.nan
    try:
        number = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return number if math.isfinite(number) and number > 0 else None


def _rounded(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def _shutter(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    if seconds < 1:
        return f"1/{round(1 / seconds)}"
    return f"{seconds:g}s"


def _iso(value: Any) -> int | None:
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _flash(value: Any) -> bool | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return bool(value & 1)
    return None


def _taken_at(value: Any, offset: Any) -> datetime | None:
    text = _text(value)
    if text is None:
        return None
    try:
        naive = datetime.strptime(text[:19], "%Y:%m:%d %H:%M:%S")  # noqa: DTZ007 - zone added below
    except ValueError:
        return None
    return naive.replace(tzinfo=_utc_offset(_text(offset)) or IST)


def _utc_offset(text: str | None) -> timezone | None:
    """EXIF 2.31 OffsetTimeOriginal ("+05:30"); cameras that write it know better than IST."""
    if text is None or len(text) != 6 or text[0] not in "+-" or text[3] != ":":
        return None
    try:
        hours, minutes = int(text[1:3]), int(text[4:6])
    except ValueError:
        return None
    if hours > 14 or minutes > 59:
        return None
    sign = 1 if text[0] == "+" else -1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))
