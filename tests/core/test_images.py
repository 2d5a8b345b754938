"""The upload image pipeline: type by content, limits, orientation, EXIF, metadata stripping."""

from __future__ import annotations

import io
import random
import struct
import time
import zlib
from datetime import datetime, timedelta

import pytest
from PIL import Image, ImageCms, ImageDraw, PngImagePlugin, TiffImagePlugin

from getmygrapher.core.images import (
    MAX_BYTES,
    MAX_PIXELS,
    ImageRejected,
    ProcessedImage,
    process_image,
    sniff_type,
)
from getmygrapher.core.time import IST

SRGB_ICC = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
GPS_IFD, EXIF_IFD = 0x8825, 0x8769


def picture(size: tuple[int, int], *, seed: int = 1, mode: str = "RGB") -> Image.Image:
    """A 9 by 8 grid of flat blocks, neighbours far apart in brightness: dHash sees the same
    bits at any size that keeps the grid."""
    rng = random.Random(seed)
    image = Image.new(mode, size)
    draw = ImageDraw.Draw(image)
    width, height = size
    for row in range(8):
        shade = rng.randrange(256)
        for column in range(9):
            shade = (shade + rng.randrange(48, 208)) % 256
            fill = shade if mode == "L" else (shade, shade, 255 - shade)
            box = (
                column * width // 9,
                row * height // 8,
                (column + 1) * width // 9 - 1,
                (row + 1) * height // 8 - 1,
            )
            draw.rectangle(box, fill=fill)
    return image


def encode(image: Image.Image, image_format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **params)
    return buffer.getvalue()


def camera_exif(*, orientation: int = 1, exposure: tuple[int, int] = (1, 250)) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0110] = "Canon EOS R5"
    exif[0x0112] = orientation
    exif[0x013B] = "Asha Menon"  # Artist: an owner name
    gps = exif.get_ifd(GPS_IFD)
    gps.update({1: "N", 2: (9.0, 58.0, 12.5), 3: "E", 4: (76.0, 17.0, 3.25)})
    details = exif.get_ifd(EXIF_IFD)
    details.update(
        {
            0x829A: TiffImagePlugin.IFDRational(*exposure),
            0x829D: TiffImagePlugin.IFDRational(28, 10),
            0x8827: 400,
            0x9003: "2024:12:05 18:30:00",
            0x9209: 0x19,  # fired, auto mode
            0x920A: TiffImagePlugin.IFDRational(70, 1),
            0xA430: "Asha Menon",  # CameraOwnerName
            0xA431: "SN-0042-7788",  # BodySerialNumber
            0xA434: "RF24-70mm F2.8 L IS USM",
        }
    )
    return exif


def reopen(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def assert_no_metadata(processed: ProcessedImage) -> None:
    for rendition in processed.renditions.values():
        image = reopen(rendition.data)
        assert len(image.getexif()) == 0, rendition.name
        assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment"} & set(image.info), rendition.name
        for secret in (b"Exif\x00\x00", b"ns.adobe.com/xap", b"Asha", b"SN-0042", b"Canon"):
            assert secret not in rendition.data, (rendition.name, secret)


def rejection(data: bytes, *, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS) -> str:
    with pytest.raises(ImageRejected) as caught:
        process_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return caught.value.reason


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge picture: decoding it would need gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def webp_declaring(width: int, height: int) -> bytes:
    body = b"VP8X" + struct.pack("<I", 10) + b"\x00" * 4
    body += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


# What is accepted, and what comes out ------------------------------------------------------------


def test_jpeg_camera_exif_is_read_before_everything_is_stripped() -> None:
    data = encode(
        picture((1200, 800)),
        "JPEG",
        exif=camera_exif(),
        icc_profile=SRGB_ICC,
        comment=b"Asha Menon, Kochi",
        xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:ns="http://ns.adobe.com/xap/1.0/"/>',
    )

    processed = process_image(data)

    exif = processed.exif
    assert (exif.make, exif.model, exif.lens) == (
        "Canon",
        "Canon EOS R5",
        "RF24-70mm F2.8 L IS USM",
    )
    assert (exif.aperture, exif.shutter, exif.iso, exif.focal_length_mm) == (
        2.8,
        "1/250",
        400,
        70.0,
    )
    assert exif.flash is True
    assert exif.taken_at == datetime(2024, 12, 5, 18, 30, tzinfo=IST)
    assert exif.taken_at.utcoffset() == timedelta(hours=5, minutes=30)
    assert exif.confidence() == 1.0
    assert processed.source_format == "JPEG"
    assert_no_metadata(processed)
    for rendition in processed.renditions.values():
        assert reopen(rendition.data).info.get("icc_profile") == SRGB_ICC, rendition.name


def test_orientation_6_is_applied_to_the_pixels() -> None:
    stored = picture((1200, 800))
    ImageDraw.Draw(stored).rectangle((0, 0, 199, 199), fill=(255, 0, 0))
    data = encode(stored, "JPEG", exif=camera_exif(orientation=6), quality=95)

    processed = process_image(data)

    assert (processed.width, processed.height) == (800, 1200)
    large = reopen(processed.renditions["large"].data).convert("RGB")
    assert large.size == (800, 1200)
    # Orientation 6 means "rotate 90° clockwise to view": the stored top-left is now top-right.
    pixel = large.getpixel((780, 20))
    assert isinstance(pixel, tuple)
    assert pixel[0] > 200
    assert max(pixel[1:]) < 60
    assert_no_metadata(processed)


def test_derivatives_have_the_spec_sizes_and_are_webp() -> None:
    processed = process_image(encode(picture((3000, 2000)), "JPEG"))

    renditions = processed.renditions
    assert set(renditions) == {"original", "large", "medium", "thumb"}
    assert renditions["original"].content_type == "image/jpeg"
    assert (renditions["original"].width, renditions["original"].height) == (3000, 2000)
    assert (renditions["large"].width, renditions["large"].height) == (2048, 1365)
    assert (renditions["medium"].width, renditions["medium"].height) == (800, 533)
    assert (renditions["thumb"].width, renditions["thumb"].height) == (300, 300)
    for name in ("large", "medium", "thumb"):
        rendition = renditions[name]
        assert rendition.content_type == "image/webp"
        image = reopen(rendition.data)
        assert image.format == "WEBP"
        assert image.size == (rendition.width, rendition.height)
    assert reopen(renditions["original"].data).format == "JPEG"


def test_small_pictures_are_not_upscaled_except_the_square_thumb() -> None:
    processed = process_image(encode(picture((640, 240)), "PNG"))

    sizes = {name: (r.width, r.height) for name, r in processed.renditions.items()}
    assert sizes == {
        "original": (640, 240),
        "large": (640, 240),
        "medium": (640, 240),
        "thumb": (300, 300),
    }


def test_without_variants_only_the_original_is_made() -> None:
    processed = process_image(encode(picture((400, 300)), "WEBP"), variants=False)

    assert set(processed.renditions) == {"original"}


def test_png_with_alpha_keeps_alpha_and_stays_png() -> None:
    image = picture((400, 300)).convert("RGBA")
    ImageDraw.Draw(image).rectangle((0, 0, 199, 299), fill=(0, 0, 0, 0))
    processed = process_image(encode(image, "PNG"))

    original = processed.renditions["original"]
    assert original.content_type == "image/png"
    assert reopen(original.data).mode == "RGBA"
    thumb = reopen(processed.renditions["thumb"].data)
    assert thumb.mode == "RGBA"
    assert thumb.getchannel("A").getextrema() == (0, 255)
    assert processed.source_format == "PNG"
    assert processed.exif.confidence() == 0.0
    assert_no_metadata(processed)


def test_opaque_rgba_png_becomes_a_jpeg_original() -> None:
    processed = process_image(encode(picture((400, 300)).convert("RGBA"), "PNG"))

    assert processed.renditions["original"].content_type == "image/jpeg"


def test_png_exif_and_text_chunks_are_dropped() -> None:
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Asha Menon")
    data = encode(picture((400, 300)), "PNG", exif=camera_exif(), pnginfo=text)

    processed = process_image(data)

    assert processed.exif.model == "Canon EOS R5"
    assert_no_metadata(processed)


def test_webp_is_accepted_and_its_exif_read() -> None:
    data = encode(picture((640, 480)), "WEBP", exif=camera_exif(exposure=(2, 1)))

    processed = process_image(data)

    assert processed.source_format == "WEBP"
    assert processed.exif.shutter == "2s"
    assert_no_metadata(processed)


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    processed = process_image(encode(picture((400, 300)).convert("CMYK"), "JPEG"))

    for rendition in processed.renditions.values():
        assert reopen(rendition.data).mode == "RGB", rendition.name


def test_grey_and_palette_images_are_converted_sensibly() -> None:
    sixteen_bit = Image.new("I;16", (300, 300), 32768)
    processed = process_image(encode(sixteen_bit, "PNG"))
    # Pillow's plain conversion would clip a mid-grey 16-bit value to white.
    assert reopen(processed.renditions["thumb"].data).convert("L").getpixel((150, 150)) in range(
        120, 136
    )

    palette = picture((300, 300)).convert("P")
    palette.info["transparency"] = 0
    assert process_image(encode(palette, "PNG")).renditions["original"].content_type in {
        "image/png",
        "image/jpeg",
    }


def test_exif_time_with_an_offset_keeps_that_offset() -> None:
    exif = camera_exif()
    exif.get_ifd(EXIF_IFD)[0x9011] = "+04:00"
    processed = process_image(encode(picture((300, 300)), "JPEG", exif=exif))

    assert processed.exif.taken_at is not None
    assert processed.exif.taken_at.utcoffset() == timedelta(hours=4)


def test_flash_counts_only_when_it_fired() -> None:
    exif = camera_exif()
    exif.get_ifd(EXIF_IFD)[0x9209] = 0x10  # "off, did not fire": non-zero yet no flash
    processed = process_image(encode(picture((300, 300)), "JPEG", exif=exif))

    assert processed.exif.flash is False


def test_partial_exif_lowers_confidence() -> None:
    exif = Image.Exif()
    exif[0x0110] = "Pixel 8"
    exif.get_ifd(EXIF_IFD)[0x8827] = 100
    processed = process_image(encode(picture((300, 300)), "JPEG", exif=exif))

    assert processed.exif.confidence() == 0.5
    assert processed.exif.aperture is None


# Difference hash ---------------------------------------------------------------------------------


def test_dhash_matches_the_same_picture_at_another_size() -> None:
    big = process_image(encode(picture((1800, 1600), seed=7), "PNG"))
    small = process_image(encode(picture((450, 400), seed=7), "JPEG", quality=92))
    other = process_image(encode(picture((1800, 1600), seed=8), "PNG"))

    assert len(big.phash) == 16
    int(big.phash, 16)
    assert big.phash == small.phash
    assert big.phash != other.phash


# What is refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(encode(picture((300, 300)), "GIF"), id="gif-named-jpg"),
        pytest.param(b"%PDF-1.7\n1 0 obj<<>>endobj\n" + b"0" * 500, id="pdf"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="text"),
        pytest.param(random.Random(3).randbytes(4096), id="random-bytes"),
        pytest.param(b"\xff\xd8\xff\xe0" + random.Random(4).randbytes(4096), id="jpeg-magic-junk"),
        pytest.param(b"", id="empty"),
    ],
)
def test_anything_but_jpeg_png_webp_content_is_an_invalid_file_type(data: bytes) -> None:
    assert rejection(data) == "invalid_file_type"


def test_truncated_jpeg_is_an_invalid_file_type() -> None:
    data = encode(picture((1200, 800)), "JPEG")

    assert rejection(data[: len(data) // 2]) == "invalid_file_type"


def test_truncated_png_is_an_invalid_file_type() -> None:
    data = encode(picture((600, 600)), "PNG", compress_level=0)

    assert rejection(data[: len(data) // 2]) == "invalid_file_type"


@pytest.mark.parametrize("image_format", ["WEBP", "PNG", "GIF"])
def test_animated_images_are_an_invalid_file_type(image_format: str) -> None:
    frames = [picture((300, 300), seed=seed) for seed in (1, 2, 3)]
    data = encode(frames[0], image_format, save_all=True, append_images=frames[1:], duration=100)

    assert rejection(data) == "invalid_file_type"


@pytest.mark.parametrize("size", [(150, 150), (199, 800), (12_001, 200)])
def test_sides_outside_200_to_12000_are_out_of_range(size: tuple[int, int]) -> None:
    assert rejection(encode(Image.new("L", size), "PNG")) == "out_of_range"


def test_more_bytes_than_the_limit_is_file_too_large() -> None:
    data = encode(picture((400, 300)), "JPEG")

    assert rejection(data, max_bytes=len(data) - 1) == "file_too_large"
    assert rejection(b"x" * 2048, max_bytes=1024) == "file_too_large"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_declaring(20_000, 20_000), id="png-400mp-pillow-refuses"),
        pytest.param(png_declaring(10_000, 10_000), id="png-100mp-pillow-warns"),
        pytest.param(png_declaring(9_000, 9_000), id="png-81mp-below-pillow-limit"),
        pytest.param(webp_declaring(16_000, 16_000), id="webp-256mp"),
        pytest.param(webp_declaring(9_000, 9_000), id="webp-81mp"),
    ],
)
def test_decompression_bombs_are_refused_before_decoding(data: bytes) -> None:
    started = time.perf_counter()

    assert rejection(data) == "file_too_large"
    assert time.perf_counter() - started < 0.5


def test_a_real_large_image_over_the_pixel_limit_is_refused_unread() -> None:
    data = encode(Image.new("1", (7000, 7000)), "PNG")
    started = time.perf_counter()

    assert rejection(data, max_pixels=40_000_000) == "file_too_large"
    assert time.perf_counter() - started < 0.5


def test_rejections_name_the_field_for_the_problem_body() -> None:
    with pytest.raises(ImageRejected) as caught:
        process_image(b"nope", field="avatar")

    error = caught.value
    assert error.status == 422
    assert error.code == "validation_failed"
    assert error.errors == [
        {"field": "avatar", "code": "invalid_file_type", "message": error.detail}
    ]


# Sniffing ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (encode(picture((10, 10)), "JPEG"), "image/jpeg"),
        (encode(picture((10, 10)), "PNG"), "image/png"),
        (encode(picture((10, 10)), "WEBP"), "image/webp"),
        (b"%PDF-1.4\n", "application/pdf"),
        (encode(picture((10, 10)), "GIF"), None),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", None),
        (b"", None),
    ],
)
def test_sniff_type_reads_magic_bytes(data: bytes, expected: str | None) -> None:
    assert sniff_type(data) == expected


def test_camera_mpo_jpeg_with_an_embedded_second_picture_is_accepted() -> None:
    primary, preview = picture((1200, 800), seed=1), picture((640, 480), seed=2)
    data = encode(primary, "MPO", save_all=True, append_images=[preview], exif=camera_exif())
    assert reopen(data).format == "MPO"

    processed = process_image(data)

    assert processed.source_format == "JPEG"
    assert (processed.width, processed.height) == (1200, 800)
    assert processed.exif.model == "Canon EOS R5"
    assert_no_metadata(processed)
