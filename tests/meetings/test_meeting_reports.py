"""After the meeting (meetings.day.reports): the minutes for those involved only, the public
report once published, photos checked and stripped of their EXIF; and through the API."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from day_support import meeting_with_registrants, started
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from lib.errors import Conflict, Forbidden, Invalid, NotFound
from meetings import services
from meetings.day import reports
from meetings.models import Meeting, MeetingPhoto, Registration

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def day(people):
    return meeting_with_registrants(people)


def jpeg_with_location(size=(60, 30), orientation: int = 1) -> bytes:
    """A phone's photo: EXIF with the GPS position, the camera and the orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "ExamplePhone"  # Make
    exif[ORIENTATION] = orientation
    exif.get_ifd(GPS_IFD).update({1: "N", 2: (35.0, 27.0, 0.0), 3: "E", 4: (139.0, 38.0, 0.0)})
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, name: str = "IMG_0001.jpg", kind: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=kind)


# --- minutes ------------------------------------------------------------------------------
def test_minutes_are_written_by_the_organizer_after_the_start(day):
    meeting = day["meeting"]
    with pytest.raises(Conflict):
        reports.save_minutes(meeting, day["organizer"], "まだ始まっていない")
    started(meeting)
    with pytest.raises(Forbidden):
        reports.save_minutes(meeting, day["reg"][0]["user"], "参加者が書く")
    with pytest.raises(Invalid) as exc:
        reports.save_minutes(meeting, day["organizer"], "あ" * (reports.MAX_MINUTES + 1))
    assert exc.value.field == "minutes"
    reports.save_minutes(meeting, day["organizer"], "  各団体の活動紹介のあと意見交換。  ")
    meeting.refresh_from_db()
    assert meeting.minutes == "各団体の活動紹介のあと意見交換。"


def test_minutes_are_read_by_the_organizer_coordinators_and_registered_organizations(day, people):
    meeting = day["meeting"]
    cancelled = day["reg"][2]
    services.cancel_registration(cancelled["registration"], cancelled["user"])
    started(meeting)
    assert reports.may_see_minutes(day["organizer"], meeting)
    assert reports.may_see_minutes(day["coordinator"], meeting)
    assert reports.may_see_minutes(day["reg"][0]["user"], meeting)
    assert not reports.may_see_minutes(cancelled["user"], meeting)
    assert not reports.may_see_minutes(day["outsider"], meeting)
    assert not reports.may_see_minutes(people["member"], meeting)
    from django.contrib.auth.models import AnonymousUser

    assert not reports.may_see_minutes(AnonymousUser(), meeting)


def test_nothing_is_written_for_a_cancelled_meeting(day):
    services.cancel_meeting(day["meeting"], day["organizer"])
    started(day["meeting"])
    with pytest.raises(Conflict):
        reports.save_minutes(day["meeting"], day["organizer"], "中止")
    with pytest.raises(Conflict):
        reports.save_report(day["meeting"], day["organizer"], "中止", True)


# --- the report ---------------------------------------------------------------------------
def test_the_report_is_public_once_published(day, people):
    meeting = started(day["meeting"])
    reports.save_report(meeting, day["organizer"], "12団体、30人が参加しました。", False)
    meeting.refresh_from_db()
    assert meeting.report and meeting.report_published_at is None
    assert not reports.may_see_report(people["member"], meeting)
    assert reports.may_see_report(day["organizer"], meeting)
    with pytest.raises(Invalid):
        reports.save_report(meeting, day["organizer"], "   ", True)
    reports.save_report(meeting, day["organizer"], "12団体、30人が参加しました。", True)
    meeting.refresh_from_db()
    first = meeting.report_published_at
    assert first is not None and reports.may_see_report(people["member"], meeting)
    # Corrected while published: it keeps the day it went public.
    reports.save_report(meeting, day["organizer"], "13団体、31人が参加しました。", True)
    meeting.refresh_from_db()
    assert meeting.report_published_at == first and meeting.report.startswith("13団体")
    reports.save_report(meeting, day["organizer"], meeting.report, False)
    meeting.refresh_from_db()
    assert meeting.report_published_at is None
    assert not reports.may_see_report(people["member"], meeting)


# --- photos -------------------------------------------------------------------------------
def test_a_photo_loses_its_location_and_keeps_its_orientation(day):
    meeting = started(day["meeting"])
    # Orientation 6: the camera held upright; the picture must come out turned.
    original = jpeg_with_location(size=(60, 30), orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)
    photo = reports.add_photo(meeting, day["organizer"], upload(original), "グループ討議")
    assert photo.caption == "グループ討議"
    assert "IMG_0001" not in photo.image.name  # the phone's file name stays behind too
    with photo.image.open("rb") as stored:
        data = stored.read()
    saved = Image.open(io.BytesIO(data))
    assert saved.format == "JPEG"
    assert not saved.getexif()  # no EXIF at all: no GPS, no camera
    assert b"ExamplePhone" not in data
    assert saved.size == (30, 60)


def test_png_text_and_webp_metadata_are_dropped(day):
    meeting = started(day["meeting"])
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "撮影場所: 市民会館")
    png = io.BytesIO()
    Image.new("RGBA", (20, 20), (0, 0, 255, 128)).save(png, format="PNG", pnginfo=info)
    photo = reports.add_photo(meeting, day["organizer"], upload(png.getvalue(), "a.png"))
    with photo.image.open("rb") as stored:
        data = stored.read()
    assert Image.open(io.BytesIO(data)).format == "PNG"
    assert "撮影場所".encode() not in data and b"Comment" not in data
    webp = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "ExamplePhone"
    Image.new("RGB", (20, 20)).save(webp, format="WEBP", exif=exif.tobytes())
    photo = reports.add_photo(meeting, day["organizer"], upload(webp.getvalue(), "b.webp"))
    with photo.image.open("rb") as stored:
        data = stored.read()
    assert Image.open(io.BytesIO(data)).format == "WEBP" and b"ExamplePhone" not in data


def test_only_images_up_to_5_mb(day, settings):
    meeting = started(day["meeting"])
    for data, name in (
        (b"%PDF-1.4 not an image", "report.jpg"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "x.svg"),
    ):
        with pytest.raises(Invalid) as exc:
            reports.add_photo(meeting, day["organizer"], upload(data, name))
        assert exc.value.field == "image"
    gif = io.BytesIO()
    Image.new("RGB", (5, 5)).save(gif, format="GIF")
    with pytest.raises(Invalid):
        reports.add_photo(meeting, day["organizer"], upload(gif.getvalue(), "a.gif"))
    big = jpeg_with_location() + b"\0" * (reports.MAX_PHOTO_BYTES)
    with pytest.raises(Invalid) as exc:
        reports.add_photo(meeting, day["organizer"], upload(big))
    assert "5MB" in str(exc.value)
    assert not MeetingPhoto.objects.exists()
    assert not [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]


def test_at_most_ten_photos_by_the_organizer(day):
    meeting = started(day["meeting"])
    with pytest.raises(Forbidden):
        reports.add_photo(meeting, day["reg"][0]["user"], upload(jpeg_with_location()))
    for _i in range(reports.MAX_PHOTOS):
        reports.add_photo(meeting, day["organizer"], upload(jpeg_with_location()))
    with pytest.raises(Conflict):
        reports.add_photo(meeting, day["coordinator"], upload(jpeg_with_location()))
    assert meeting.photos.count() == reports.MAX_PHOTOS


def test_no_photo_before_the_start(day):
    with pytest.raises(Conflict):
        reports.add_photo(day["meeting"], day["organizer"], upload(jpeg_with_location()))


def test_a_removed_photo_leaves_no_file(day, django_capture_on_commit_callbacks):
    meeting = started(day["meeting"])
    photo = reports.add_photo(meeting, day["organizer"], upload(jpeg_with_location()))
    path = photo.image.path
    with pytest.raises(Forbidden):
        reports.remove_photo(meeting, day["reg"][0]["user"], photo.pk)
    with django_capture_on_commit_callbacks(execute=True):
        reports.remove_photo(meeting, day["organizer"], photo.pk)
    assert not MeetingPhoto.objects.exists()
    assert not Path(path).exists()
    with pytest.raises(NotFound):
        reports.remove_photo(meeting, day["organizer"], photo.pk)


# --- the API ------------------------------------------------------------------------------
def _url(meeting, tail=""):
    return f"/api/v1/meetings/{meeting.pk}/{tail}"


def test_api_minutes_never_reach_outsiders(api, day, people):
    meeting = started(day["meeting"])
    api.force_authenticate(day["organizer"])
    r = api.put(_url(meeting, "minutes/"), {"minutes": "非公開の議事録の本文"}, format="json")
    assert r.status_code == 200 and r.data["minutes"] == "非公開の議事録の本文"
    api.force_authenticate(None)
    assert api.get(_url(meeting, "minutes/")).status_code == 401
    for outsider in (day["outsider"], people["member"]):
        api.force_authenticate(outsider)
        r = api.get(_url(meeting, "minutes/"))
        assert r.status_code == 403 and "非公開の議事録" not in r.content.decode()
        assert "非公開の議事録" not in api.get(_url(meeting)).content.decode()
        r = api.put(_url(meeting, "minutes/"), {"minutes": "書き換え"}, format="json")
        assert r.status_code == 403
    api.force_authenticate(day["reg"][0]["user"])
    assert api.get(_url(meeting, "minutes/")).data["minutes"] == "非公開の議事録の本文"


def test_api_report_and_photos(api, day):
    meeting = started(day["meeting"])
    api.force_authenticate(day["organizer"])
    r = api.post(
        _url(meeting, "photos/"),
        {"image": upload(jpeg_with_location()), "caption": "全体写真"},
        format="multipart",
    )
    assert r.status_code == 201, r.data
    photo_url = r.data["url"]
    r = api.put(
        _url(meeting, "report/"), {"report": "開催しました。", "publish": False}, format="json"
    )
    assert r.status_code == 200 and r.data["report_published_at"] is None
    # Not yet public: neither the text nor the photo.
    api.force_authenticate(None)
    assert api.get(_url(meeting, "report/")).status_code == 404
    assert api.get(photo_url).status_code == 404
    api.force_authenticate(day["organizer"])
    assert api.get(photo_url).status_code == 200
    r = api.put(
        _url(meeting, "report/"), {"report": "開催しました。", "publish": True}, format="json"
    )
    assert r.status_code == 200 and r.data["report_published_at"]
    api.force_authenticate(None)
    r = api.get(_url(meeting, "report/"))
    assert r.status_code == 200 and r.data["report"] == "開催しました。"
    assert r.data["photos"][0]["caption"] == "全体写真"
    r = api.get(photo_url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(r.content)).getexif()
    # Outsiders do not delete it.
    api.force_authenticate(day["reg"][0]["user"])
    assert api.delete(photo_url).status_code == 403
    api.force_authenticate(day["organizer"])
    assert api.delete(photo_url).status_code == 204
    assert not MeetingPhoto.objects.exists()


def test_api_photo_refusals_are_400_not_500(api, day):
    meeting = started(day["meeting"])
    api.force_authenticate(day["organizer"])
    r = api.post(_url(meeting, "photos/"), {"image": upload(b"not an image")}, format="multipart")
    assert r.status_code == 400 and "image" in r.data
    r = api.post(_url(meeting, "photos/"), {"caption": "写真なし"}, format="multipart")
    assert r.status_code == 400 and "image" in r.data


def test_a_draft_meetings_report_is_not_public(day):
    meeting = day["meeting"]
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.DRAFT)
    started(meeting)
    Meeting.objects.filter(pk=meeting.pk).update(report="x", report_published_at=meeting.starts_at)
    meeting.refresh_from_db()
    assert not reports.is_report_public(meeting)
    assert Registration.objects.filter(meeting=meeting).exists()
