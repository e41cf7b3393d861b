"""Case photos: only real JPEG or PNG photos are kept, shrunk and without EXIF (the location
goes to a field); a resolve keeps its photo in the same transaction, on both backends."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from PIL import ExifTags, Image

from geodata.casework import Action, ActionRefused, Request
from geodata.photos import KINDS, LONG_SIDE, MAX_BYTES, PhotoError, clean_photo
from geodata.store import ReportPhoto, StaleCase, StoreError
from tests import storekit
from tests import tiny_city as tc
from tests.test_case_work import DESK, NEW, T0, WORKER


def jpeg(size=(4000, 3000), gps=True) -> bytes:
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    if gps:
        exif[ExifTags.IFD.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (35.0, 47.0, 24.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (116.0, 4.0, 48.0),
        }
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_a_photo_is_shrunk_and_its_exif_kept_only_as_a_location() -> None:
    photo = clean_photo(jpeg())
    assert (photo.width, photo.height) == (LONG_SIDE, LONG_SIDE * 3 // 4)
    assert photo.lon == pytest.approx(116.08) and photo.lat == pytest.approx(35.79)
    kept = Image.open(io.BytesIO(photo.content))
    assert kept.format == "JPEG" and kept.size == (photo.width, photo.height)
    assert dict(kept.getexif()) == {} and b"TestPhone" not in photo.content
    assert clean_photo(jpeg((800, 600), gps=False)).lon is None


def test_a_transparent_png_becomes_a_jpeg_on_white() -> None:
    image = Image.new("RGBA", (100, 50), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    photo = clean_photo(out.getvalue())
    kept = Image.open(io.BytesIO(photo.content)).convert("RGB")
    assert kept.getpixel((10, 10))[0] > 240  # white, not black


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n" + b"x" * 5000, "not a JPEG or PNG"),  # a renamed PDF
        (b"GIF89a" + b"\0" * 100, "not a JPEG or PNG"),
        (jpeg((64, 64))[:300], "cannot be read"),  # cut short
        (b"\xff\xd8" + b"0" * (MAX_BYTES + 1), "at most 8 MB"),
    ],
)
def test_what_is_not_a_photo_is_refused_plainly(raw: bytes, said: str) -> None:
    with pytest.raises(PhotoError, match=said):
        clean_photo(raw)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"", "empty"),
        (b"%PDF-1.7\n" + b"x" * 5000, "not_photo"),
        (jpeg((64, 64))[:300], "unreadable"),
        (b"\xff\xd8" + b"0" * (MAX_BYTES + 1), "too_big"),
    ],
)
def test_a_refusal_names_its_kind_for_a_translated_text(raw: bytes, kind: str) -> None:
    with pytest.raises(PhotoError) as refused:
        clean_photo(raw)
    assert refused.value.kind == kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_refusal_is_said_in_both_languages_at_the_desk_and_on_the_phone(kind: str) -> None:
    from dashboard.i18n import contains_cjk, t

    for key in (f"cases.photo.{kind}", f"mobile.problem.photo.{kind}"):
        assert contains_cjk(t(key, "zh", mb=8)), key
        assert not contains_cjk(t(key, "en", mb=8)), key


def test_a_decompression_bomb_is_refused() -> None:
    image = Image.new("1", (12_000, 12_000))  # tiny as a PNG, 144 megapixels decoded
    out = io.BytesIO()
    image.save(out, "PNG")
    assert len(out.getvalue()) < 1_000_000
    with pytest.raises(PhotoError):
        clean_photo(out.getvalue())


@pytest.fixture
def store(store_factory):
    s = store_factory(create=True)
    s.write_city(tc.build())
    s.add_cases(pd.DataFrame([NEW]))
    for action, actor, fields in (
        ("register", DESK, {}),
        ("dispatch", DESK, {"org_id": "O1", "person_id": "P1"}),
        ("accept", WORKER, {}),
    ):
        version = s.case_state("N1").version
        s.act("N1", Request(Action(action), **fields), actor, version, T0)
    return s


def test_a_resolve_keeps_its_photo_in_its_transaction(store) -> None:
    photo = clean_photo(jpeg())
    version = store.case_state("N1").version
    with pytest.raises(StaleCase):  # a stale resolve keeps no photo either
        store.act("N1", Request(Action.RESOLVE, note="已清理"), WORKER, version - 1, T0, "-", photo)
    with pytest.raises(ActionRefused, match="resolve only"):
        store.act("N1", Request(Action.ASK_EXTENSION, note="x", hours=4), WORKER, version, T0,
                  "-", photo)  # fmt: skip
    assert store.case_photos("N1") == [] and store.case_state("N1").version == version
    at = T0 + dt.timedelta(hours=2)
    store.act("N1", Request(Action.RESOLVE, note="已清理"), WORKER, version, at, "-", photo)
    (kept,) = store.case_photos("N1")
    assert kept["version"] == version + 1 and kept["taken_by"] == "worker"
    assert (kept["width"], kept["height"]) == (photo.width, photo.height)
    assert kept["lon"] == pytest.approx(116.08) and "content" not in kept
    facts, content = store.case_photo(kept["id"])
    assert content == photo.content and facts["case_id"] == "N1"
    assert store.case_photo("nope") is None
    assert store.counts()["case_photos"] == 1


def test_a_version_3_store_gains_the_photo_table_when_opened_writable(store, store_factory):
    store.close()
    storekit.downgrade_to_v3(store_factory)
    old = store_factory(readonly=True)
    assert old.meta()["schema_version"] == "3" and old.case_photos("N1") == []
    assert "case_photos" not in old.counts()
    old.close()
    upgraded = store_factory()
    assert upgraded.case_photos("N1") == [] and upgraded.counts()["case_photos"] == 0
    version = upgraded.case_state("N1").version
    upgraded.act("N1", Request(Action.RESOLVE, note="好"), WORKER, version, T0, "-",
                 clean_photo(jpeg((200, 100))))  # fmt: skip
    assert len(upgraded.case_photos("N1")) == 1


def test_a_reported_case_keeps_its_photo_in_the_same_write(store) -> None:
    photo = clean_photo(jpeg())
    new = {**NEW, "id": "N2", "source": "grid_worker"}
    before = store.counts()
    with pytest.raises((StoreError, ValueError)):  # a photo of a case not among them: nothing
        store.add_cases(pd.DataFrame([new]), photos=[ReportPhoto("N9", "worker", photo)])
    assert store.counts() == before
    with pytest.raises(StoreError):  # a case id already taken: its photo is not kept either
        store.add_cases(pd.DataFrame([NEW]), photos=[ReportPhoto("N1", "worker", photo)])
    assert store.counts() == before
    assert store.add_cases(pd.DataFrame([new]), photos=[ReportPhoto("N2", "worker", photo)]) == 1
    (kept,) = store.case_photos("N2")
    assert (kept["version"], kept["taken_by"], kept["lon"] is not None) == (0, "worker", True)
    assert store.case_photo(kept["id"])[1] == photo.content
