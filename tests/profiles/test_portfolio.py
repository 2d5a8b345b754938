from __future__ import annotations

import asyncio
import io
import struct
import zlib

import pytest
from httpx import AsyncClient
from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from getmygrapher.billing.service.lifecycle import grant_by_admin
from getmygrapher.core.runtime import Runtime
from getmygrapher.core.security import Role
from getmygrapher.core.storage import StoredObjectMissing
from tests.conftest import LiveDatabase
from tests.factories import Person, make_user
from tests.profiles.helpers import jpeg, make_professional
from tests.taskqueue import run_jobs

URL = "/v1/me/portfolio"


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x0110] = "Canon EOS R5"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90°
    exif_ifd = exif.get_ifd(0x8769)
    exif_ifd[0x829D] = 2.8  # FNumber
    exif_ifd[0x829A] = 1 / 250  # ExposureTime
    exif_ifd[0x8827] = 400  # ISO
    exif_ifd[0x920A] = 85.0  # FocalLength
    exif_ifd[0xA434] = "RF85mm F1.2 L USM"  # LensModel
    exif_ifd[0x9209] = 1  # Flash fired
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (9.0, 58.0, 12.0)  # somewhere in Kochi
    gps[3], gps[4] = "E", (76.0, 16.0, 48.0)
    return exif


async def upload(
    api: AsyncClient,
    person: Person,
    data: bytes,
    *,
    filename: str = "wedding-kochi.jpg",
    **fields: str,
) -> object:
    return await api.post(
        URL, headers=person.headers, data=fields, files={"file": (filename, data, "image/jpeg")}
    )


async def test_an_upload_is_cleaned_measured_and_resized(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)

    response = await upload(
        api,
        pro,
        jpeg(1600, 1000, exif=camera_exif()),
        category="Wedding Photography",
        tags=["haldi"],
    )

    assert response.status_code == 201, response.text
    item = response.json()
    assert item["title"] == "wedding-kochi"
    assert (item["width"], item["height"]) == (1000, 1600)  # orientation applied
    assert item["camera"]["make"] == "Canon"
    assert item["camera"]["model"] == "Canon EOS R5"
    assert item["camera"]["aperture"] == 2.8
    assert item["camera"]["shutter"] == "1/250"
    assert item["camera"]["iso"] == 400
    assert item["camera"]["flash"] is True
    assert set(item["urls"]) == {"thumb", "medium", "large"}  # the original is never served
    keys = await session.scalar(text("SELECT media_keys FROM portfolio_items"))
    storage = runtime.storage
    for name, key in keys.items():
        stored = Image.open(io.BytesIO(await storage.get(key)))
        assert not stored.getexif(), name
        assert "exif" not in stored.info
        assert "xmp" not in stored.info
        if name == "thumb":
            assert stored.size == (300, 300)
        if name == "medium":
            assert stored.width <= 800
            assert stored.height <= 600
    signed = item["urls"]["thumb"].removeprefix("http://test")
    served = await api.get(signed)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"
    assert (await api.get(signed.split("?")[0])).status_code == 404  # unsigned


@pytest.mark.parametrize(
    ("data", "filename", "code"),
    [
        (b"GIF89a" + b"\x00" * 200, "holiday.jpg", "invalid_file_type"),
        (b"%PDF-1.7 not an image", "photo.jpg", "invalid_file_type"),
        (b"just some text, definitely not a picture", "photo.png", "invalid_file_type"),
        (jpeg(800, 600)[:2000], "truncated.jpg", "invalid_file_type"),
        (jpeg(150, 150), "tiny.jpg", "out_of_range"),
    ],
)
async def test_files_that_are_not_acceptable_images_are_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime, data: bytes, filename: str, code: str
) -> None:
    pro = await make_professional(session, runtime)
    response = await upload(api, pro, data, filename=filename)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == code
    assert await session.scalar(text("SELECT count(*) FROM portfolio_items")) == 0


def decompression_bomb() -> bytes:
    """A small PNG that declares 40,000 by 40,000 pixels of zeros."""
    width = height = 40_000
    header = b"\x89PNG\r\n\x1a\n"

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload))
            + kind
            + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (width // 8)
    data = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    return header + chunk(b"IHDR", ihdr) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


async def test_a_decompression_bomb_is_refused_without_decoding(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    response = await upload(api, pro, decompression_bomb(), filename="bomb.png")
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "file_too_large"


async def test_files_over_ten_megabytes_are_refused(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    response = await upload(api, pro, b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024 + 10))
    assert response.status_code == 413


async def test_the_free_plan_holds_five_images(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    statuses = [
        (
            await upload(
                api,
                pro,
                jpeg(400, 300, color=(n * 40, 10, 10)),
                hidden="true" if n == 0 else "false",
            )
        ).status_code
        for n in range(6)
    ]

    assert statuses == [201] * 5 + [402]
    refused = await upload(api, pro, jpeg(400, 300))
    problem = refused.json()
    assert problem["code"] == "quota_exceeded"
    assert (problem["feature"], problem["limit"], problem["used"]) == ("portfolio_images", 5, 5)
    entitlements = (await api.get("/v1/me/entitlements", headers=pro.headers)).json()
    usage = {f["key"]: f["usage"] for f in entitlements["features"]}["portfolio_images"]
    assert (usage["used"], usage["remaining"]) == (5, 0)


async def test_pro_holds_more(api: AsyncClient, session: AsyncSession, runtime: Runtime) -> None:
    pro = await make_professional(session, runtime)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Test")
    await session.commit()
    statuses = [(await upload(api, pro, jpeg(300, 300))).status_code for _ in range(7)]
    assert statuses == [201] * 7


@pytest.mark.live
async def test_twenty_parallel_uploads_stop_at_five(live: LiveDatabase) -> None:
    live.configure(writes_per_minute=100)
    async with live.sessionmaker() as session:
        pro = await make_professional(session, live.runtime)

    responses = await asyncio.gather(
        *[
            live.api.post(
                URL,
                headers=pro.headers,
                files={"file": (f"p{n}.jpg", jpeg(320, 240, color=(n * 10, 0, 0)), "image/jpeg")},
            )
            for n in range(20)
        ]
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 5 + [402] * 15
    assert await live.scalar("SELECT count(*) FROM portfolio_items") == 5
    positions = await live.scalar(
        "SELECT array_agg(position ORDER BY position) FROM portfolio_items"
    )
    assert positions == [0, 1, 2, 3, 4]


async def test_owners_reorder_feature_hide_and_delete(
    api: AsyncClient, session: AsyncSession, connection: AsyncConnection, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    stranger = await make_professional(session, runtime, phone="+919812300009")
    ids = [
        (await upload(api, pro, jpeg(300, 300, color=(n * 50, 0, 0)))).json()["id"]
        for n in range(4)
    ]

    reordered = await api.put(
        f"{URL}/order", headers=pro.headers, json={"ids": list(reversed(ids))}
    )
    partial = await api.put(f"{URL}/order", headers=pro.headers, json={"ids": ids[:2]})
    repeated = await api.put(f"{URL}/order", headers=pro.headers, json={"ids": [ids[0]] * 4})
    featured = await api.patch(
        f"{URL}/{ids[1]}", headers=pro.headers, json={"is_featured": True, "title": "Sangeet night"}
    )
    hidden = await api.patch(f"{URL}/{ids[2]}", headers=pro.headers, json={"is_visible": False})
    not_mine = await api.patch(
        f"{URL}/{ids[0]}", headers=stranger.headers, json={"title": "Mine now"}
    )

    assert [item["id"] for item in reordered.json()["items"]] == list(reversed(ids))
    assert partial.status_code == repeated.status_code == 422
    assert featured.json()["is_featured"] is True
    assert hidden.json()["is_visible"] is False
    assert not_mine.status_code == 404
    public = (await api.get(f"/v1/profiles/{pro.id}/portfolio")).json()["items"]
    assert [item["id"] for item in public] == [ids[1], ids[3], ids[0]]
    own = (await api.get(URL, headers=pro.headers)).json()["items"]
    assert len(own) == 4

    keys = await session.scalar(
        text("SELECT media_keys FROM portfolio_items WHERE id = :id"), {"id": ids[0]}
    )
    deleted = await api.delete(f"{URL}/{ids[0]}", headers=pro.headers)
    assert deleted.status_code == 204
    await run_jobs(connection)
    for key in keys.values():
        with pytest.raises(StoredObjectMissing):
            await runtime.storage.get(key)
    assert (await api.delete(f"{URL}/{ids[0]}", headers=pro.headers)).status_code == 404


async def test_at_most_six_featured(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Test")
    await session.commit()
    ids = [(await upload(api, pro, jpeg(300, 300))).json()["id"] for _ in range(7)]
    statuses = [
        (
            await api.patch(f"{URL}/{item}", headers=pro.headers, json={"is_featured": True})
        ).status_code
        for item in ids
    ]
    assert statuses == [200] * 6 + [409]


async def test_portfolio_fields_are_validated(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    wrong_category = await upload(api, pro, jpeg(), category="Logo Design")
    long_title = await upload(api, pro, jpeg(), title="t" * 101)
    control = await upload(api, pro, jpeg(), title="bad\x07title")
    too_many_tags = await upload(api, pro, jpeg(), tags=[f"tag{n}" for n in range(11)])
    no_file = await api.post(URL, headers=pro.headers, data={"title": "x"})
    anonymous = await api.post(URL, files={"file": ("a.jpg", jpeg(), "image/jpeg")})
    assert wrong_category.status_code == long_title.status_code == control.status_code == 422
    assert too_many_tags.status_code == no_file.status_code == 422
    assert anonymous.status_code == 401


async def test_after_pro_ends_others_see_the_first_five_and_pro_again_shows_all(
    api: AsyncClient, session: AsyncSession, runtime: Runtime
) -> None:
    pro = await make_professional(session, runtime)
    admin = await make_user(session, runtime, role=Role.ADMIN, totp=True)
    visitor = await make_user(session, runtime)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Test")
    await session.commit()
    ids = [(await upload(api, pro, jpeg(300, 300))).json()["id"] for _ in range(7)]  # type: ignore[attr-defined]

    async def seen(person: Person) -> tuple[list[str], list[str]]:
        listed = await api.get(f"/v1/profiles/{pro.id}/portfolio", headers=person.headers)
        profile = await api.get(f"/v1/profiles/{pro.id}", headers=person.headers)
        return (
            [item["id"] for item in listed.json()["items"]],
            [item["id"] for item in profile.json()["portfolio"]],
        )

    while_pro = await seen(visitor)
    revoked = await api.post(
        f"/v1/admin/users/{pro.id}/pro/revoke", json={"reason": "Test"}, headers=admin.headers
    )
    after_pro = await seen(visitor)
    owner_view = await seen(pro)
    # The owner chooses which five stay by hiding one of the first five.
    await api.patch(f"{URL}/{ids[0]}", json={"is_visible": False}, headers=pro.headers)
    chosen = await seen(visitor)
    await grant_by_admin(session, actor_id=admin.id, user_id=pro.id, months=1, reason="Back")
    await session.commit()
    pro_again = await seen(visitor)

    assert while_pro == (ids, ids)
    assert revoked.json() == {"ended": 1}
    assert after_pro == (ids[:5], ids[:5])
    assert owner_view == (ids, ids)  # nothing is deleted or hidden from the owner
    assert chosen == (ids[1:6], ids[1:6])
    assert pro_again == (ids[1:], ids[1:])
