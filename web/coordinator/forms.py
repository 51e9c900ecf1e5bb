"""Forms of the coordinators' pages (``web.coordinator``).

They check what a person typed (dates, times, lengths); the services check the rest and
their messages are shown on the form.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.dates import DayField
from matching.models import Evaluation, RejectionReason, ReviewDecision
from organizations.models import Area, Field, Organization
from proposals.models import CollaborationForm, Status

Decision = ReviewDecision.Decision


class QueueFilterForm(forms.Form):
    """The review queue's filters (GET): every one optional."""

    field = forms.ChoiceField(label=_("活動分野"), required=False)
    area = forms.ChoiceField(label=_("地域"), required=False)
    department = forms.ChoiceField(label=_("ニーズを出した部署・団体"), required=False)
    form = forms.ChoiceField(label=_("協働の形態"), required=False)
    min_score = forms.FloatField(
        label=_("最低点（0〜1）"), required=False, min_value=0, max_value=1
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        anything = [("", _("すべて"))]
        self.fields["field"].choices = anything + [(f.code, f.name) for f in Field.objects.all()]
        self.fields["area"].choices = anything + Area.tree_choices()
        # Only departments with an open theme: the others have nothing in the queue.
        self.fields["department"].choices = anything + [
            (str(pk), name)
            for pk, name in Organization.objects.filter(
                is_active=True,
                kind=Organization.Kind.CITY_DEPARTMENT,
                need__status=Status.OPEN,
            )
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        ]
        self.fields["form"].choices = anything + [
            (m.code, m.name) for m in CollaborationForm.objects.all()
        ]
        self.fields["min_score"].widget.attrs.update(step="0.05", inputmode="decimal")


class DecisionFields(forms.Form):
    """What a coordinator decides on one pair, or on all the selected pairs."""

    decision = forms.ChoiceField(label=_("判断"), choices=Decision.choices)
    reason = forms.ModelChoiceField(
        label=_("見送りの理由"),
        queryset=RejectionReason.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        empty_label=_("（見送りのときに選ぶ）"),
    )
    comment = forms.CharField(label=_("コメント"), max_length=2000, required=False)
    deferred_until = DayField(
        label=_("保留の期限"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("コメント"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RequiredCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("見送りの理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StepForm(CommentForm):
    """Start or complete a match; before the agreed start date only with a reason."""

    override_reason = forms.CharField(
        label=_("開始日より前に進める理由（コーディネーターの例外）"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CoordinatorEvaluationForm(forms.Form):
    """The coordinator's evaluation of a completed match (A–D, effects, problems)."""

    grade = forms.ChoiceField(
        label=_("評価"), choices=Evaluation.Grade.choices, widget=forms.RadioSelect
    )
    effects = forms.CharField(
        label=_("効果"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems = forms.CharField(
        label=_("問題点"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    next_steps = forms.CharField(
        label=_("今後の方向性"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class PublicationTextForm(forms.Form):
    """The text the case book shows; saving it approves it."""

    text = forms.CharField(
        label=_("事例集に載せる文章"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("個人名や連絡先は書かないでください。保存すると承認したことになります。"),
    )


class CancelMatchForm(forms.Form):
    reason = forms.CharField(
        label=_("中止の理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SlotForm(forms.Form):
    """A consultation slot: a day, a start and an end time, where, how many."""

    date = DayField(label=_("日付"), widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label=_("開始時刻"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    end_time = forms.TimeField(
        label=_("終了時刻"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    place = forms.CharField(label=_("場所"), max_length=300, required=False)
    online_url = forms.URLField(
        label=_("オンライン会議のURL"), required=False, assume_scheme="https"
    )
    capacity = forms.IntegerField(label=_("受付できる件数"), min_value=1, max_value=50, initial=1)
    note = forms.CharField(label=_("備考"), max_length=500, required=False)

    def clean(self) -> dict:
        data = super().clean()
        day, start, end = data.get("date"), data.get("start_time"), data.get("end_time")
        if day and start and end:
            starts_at = timezone.make_aware(dt.datetime.combine(day, start))
            ends_at = timezone.make_aware(dt.datetime.combine(day, end))
            if ends_at <= starts_at:
                self.add_error("end_time", _("終了時刻は開始時刻より後にしてください。"))
            elif starts_at <= timezone.now():
                self.add_error("date", _("過去の日時にはコマを作れません。"))
            data["starts_at"], data["ends_at"] = starts_at, ends_at
        if not (data.get("place") or data.get("online_url")) and "online_url" not in self.errors:
            self.add_error("place", _("場所かオンライン会議のURLのどちらかを入力してください。"))
        return data


class SlotCancelForm(forms.Form):
    reason = forms.CharField(label=_("取り消しの理由"), max_length=500, required=False)


class ImportUploadForm(forms.Form):
    """The registry file; at most ``TSUNAGU_MAX_UPLOAD_MB`` MiB (the reverse proxy lets
    that much through: docs/deployment.md)."""

    file = forms.FileField(label=_("団体名簿のCSVファイル"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "UTF-8 または Shift_JIS のCSV（%(mb)dMBまで）。1行目は見出しです。"
        ) % {"mb": settings.TSUNAGU_MAX_UPLOAD_MB}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.TSUNAGU_MAX_UPLOAD_MB * 1024 * 1024:
            raise forms.ValidationError(
                _("ファイルが大きすぎます（%(mb)dMBまで）。")
                % {"mb": settings.TSUNAGU_MAX_UPLOAD_MB}
            )
        return upload
