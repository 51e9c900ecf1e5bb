"""After the meeting: the minutes (議事録) and the public report (開催報告) with photos.

- The minutes are for the people who were involved: the organizer (members of the
  organizer organization, coordinators) and the members of the organizations that were
  registered (参加確定). Nobody else reads them.
- The report is what the city tells everyone: public once published (and the meeting not
  a draft); until then only the organizer sees it.
- Photos (at most 10, JPEG/PNG/WebP up to 5 MB) belong to the report. Each is decoded and
  written again by Pillow, which leaves the EXIF and every other metadata behind: the
  location a participant's phone wrote into a photo must not be published.

Both are written by the organizer, from the meeting's start on (not for a draft or a
cancelled meeting).
"""

from __future__ import annotations

import io
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from lib.errors import Conflict, Forbidden, Invalid, NotFound
from meetings.models import Meeting, MeetingPhoto, Registration
from meetings.services import is_organizer

MeetingStatus = Meeting.Status

MAX_MINUTES = 20000
MAX_REPORT = 10000
MAX_CAPTION = 200
MAX_PHOTOS = 10
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# Larger pictures are made smaller: a report page needs no more, and a decompression bomb
# (a small file that unpacks into gigabytes) is refused before it is decoded.
MAX_PIXELS = 40_000_000
MAX_SIDE = 2560
# Pillow's format name → (what is saved, the file's extension).
FORMATS = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "WEBP": ("WEBP", "webp")}

MSG_NOT_ORGANIZER = _("議事録と開催報告は主催団体のメンバーかコーディネーターだけが書けます。")
MSG_BEFORE_START = _("議事録と開催報告は会合の開始後に書けます。")
MSG_MEETING_STATE = _("中止または下書きの会合には議事録と開催報告を書けません。")


# --- Who sees what ---------------------------------------------------------------------
def may_see_minutes(user: Any, meeting: Meeting) -> bool:
    """The organizer, coordinators, and members of the organizations registered."""
    if is_organizer(user, meeting):
        return True
    if not (user and user.is_authenticated and user.is_active):
        return False
    return meeting.registrations.filter(
        status=Registration.Status.REGISTERED, organization_id__in=user.organization_ids()
    ).exists()


def is_report_public(meeting: Meeting) -> bool:
    return meeting.report_published_at is not None and meeting.status != MeetingStatus.DRAFT


def may_see_report(user: Any, meeting: Meeting) -> bool:
    """Everyone once published; the organizer (to write it) before."""
    return is_report_public(meeting) or is_organizer(user, meeting)


# --- Writing ---------------------------------------------------------------------------
def _lock(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update(of=("self",)).get(pk=meeting.pk)


def _require_writer(user: Any, meeting: Meeting) -> None:
    if not is_organizer(user, meeting):
        raise Forbidden(MSG_NOT_ORGANIZER)
    if meeting.status in (MeetingStatus.CANCELLED, MeetingStatus.DRAFT):
        raise Conflict(MSG_MEETING_STATE, code="meeting_state")
    if timezone.now() < meeting.starts_at:
        raise Conflict(MSG_BEFORE_START, code="too_early")


def _text(value: Any, most: int, field: str) -> str:
    text = str(value or "").strip()
    if len(text) > most:
        raise Invalid(_("%(n)d文字以内にしてください。") % {"n": most}, field=field)
    return text


@transaction.atomic
def save_minutes(meeting: Meeting, user: Any, text: str) -> Meeting:
    """The minutes (議事録), replaced as a whole."""
    meeting = _lock(meeting)
    _require_writer(user, meeting)
    meeting.minutes = _text(text, MAX_MINUTES, "minutes")
    meeting.save(update_fields=["minutes", "updated_at"])
    return meeting


@transaction.atomic
def save_report(meeting: Meeting, user: Any, text: str, publish: bool) -> Meeting:
    """The 開催報告: ``publish`` makes it public (it keeps the date it first went public
    while it stays published); False takes it back to the organizer only."""
    meeting = _lock(meeting)
    _require_writer(user, meeting)
    meeting.report = _text(text, MAX_REPORT, "report")
    if publish and not meeting.report:
        raise Invalid(_("公開する開催報告の本文を入力してください。"), field="report")
    if publish:
        meeting.report_published_at = meeting.report_published_at or timezone.now()
    else:
        meeting.report_published_at = None
    meeting.save(update_fields=["report", "report_published_at", "updated_at"])
    return meeting


def _read(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise _too_large()
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise _too_large()
    return data


def _too_large() -> Invalid:
    return Invalid(_("写真は5MBまでにしてください。"), field="image")


def clean_image(data: bytes) -> tuple[bytes, str]:
    """The picture decoded and written again without its metadata (EXIF: the place and
    the phone; PNG text chunks; XMP). Returns (bytes, extension)."""
    not_image = Invalid(_("JPEG・PNG・WebP の画像を選んでください。"), field="image")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            width, height = probe.size
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise not_image from None
    if kind not in FORMATS:
        raise not_image
    if width * height > MAX_PIXELS:
        raise Invalid(_("画像の画素数が大きすぎます。"), field="image")
    save_as, extension = FORMATS[kind]
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            # Turned as the camera meant: the orientation lives in the EXIF that goes away.
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((MAX_SIDE, MAX_SIDE))
            if save_as == "JPEG" and picture.mode not in ("RGB", "L"):
                picture = picture.convert("RGB")
            out = io.BytesIO()
            # No exif=, no pnginfo=, no icc_profile=: nothing of the original's metadata.
            options = {"quality": 88} if save_as in ("JPEG", "WEBP") else {"optimize": True}
            picture.save(out, format=save_as, **options)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise not_image from None
    return out.getvalue(), extension


def add_photo(meeting: Meeting, user: Any, upload: Any, caption: str = "") -> MeetingPhoto:
    """A photo for the report (its metadata removed), at most ``MAX_PHOTOS`` per meeting."""
    written: list[tuple[Any, str]] = []
    try:
        with transaction.atomic():
            meeting = _lock(meeting)
            _require_writer(user, meeting)
            caption = _text(caption, MAX_CAPTION, "caption")
            if meeting.photos.count() >= MAX_PHOTOS:
                raise Conflict(
                    _("写真は1つの会合に%(n)d枚までです。") % {"n": MAX_PHOTOS},
                    code="too_many_photos",
                )
            if upload is None:
                raise Invalid(_("写真を選んでください。"), field="image")
            cleaned, extension = clean_image(_read(upload))
            photo = MeetingPhoto(meeting=meeting, caption=caption, uploaded_by=user)
            # The participant's file name stays behind too (it may carry a name or a place).
            photo.image.save(f"photo.{extension}", ContentFile(cleaned), save=False)
            written.append((photo.image.storage, photo.image.name))
            photo.save()
    except Exception:
        # Nothing saved: no file left behind either.
        for storage, name in written:
            storage.delete(name)
        raise
    return photo


@transaction.atomic
def remove_photo(meeting: Meeting, user: Any, photo_id: int) -> None:
    meeting = _lock(meeting)
    if not is_organizer(user, meeting):
        raise Forbidden(MSG_NOT_ORGANIZER)
    photo = meeting.photos.filter(pk=photo_id).first()
    if photo is None:
        raise NotFound(_("写真が見つかりません。"))
    name, storage = photo.image.name, photo.image.storage
    photo.delete()
    # The file goes once the row is surely gone.
    transaction.on_commit(lambda: storage.delete(name))


def visible_photo(meeting: Meeting, user: Any, photo_id: int) -> MeetingPhoto:
    """A photo for someone who may see the report (404 otherwise: not even its existence)."""
    photo = meeting.photos.filter(pk=photo_id).first()
    if photo is None or not may_see_report(user, meeting):
        raise NotFound(_("写真が見つかりません。"))
    return photo
