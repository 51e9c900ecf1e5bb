"""Forms of the pages for the day of a meeting and after (受付, 議事録・開催報告, 参加後
アンケート) and of the organizer's guest pages (招待する団体の提案, グループ分け).

They only collect what the person typed: every rule (who may, when, how many people, the
limits of a text or a photo, who may be named, how the tables are filled) is the meetings
services', whose refusals ``web.errors.report`` puts on these forms' fields by the same
names (``people``, ``minutes``, ``report``, ``image``, ``caption``, ``targets``,
``message``, ``organizations``). That is why the texts have no ``max_length`` here: the
service's own message is the one shown; the limits are said in the help texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.day import reports, wishes
from organizations.models import Organization

NUMBER = {"min": 1, "inputmode": "numeric"}


# --- 受付 (check-in) ---------------------------------------------------------------------
class CheckInForm(forms.Form):
    people = forms.IntegerField(
        label=_("来た人数"),
        required=False,
        widget=forms.NumberInput(attrs={**NUMBER, "class": "people-input"}),
        help_text=_("空欄なら申込の人数で受付します。"),
    )

    def people_value(self) -> int | None:
        return self.cleaned_data.get("people")


# --- 議事録・開催報告 --------------------------------------------------------------------
class MinutesForm(forms.Form):
    minutes = forms.CharField(
        label=_("議事録"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_(
            "%(n)s文字まで。主催者、コーディネーターと参加が確定していた団体だけが読めます。"
        )
        % {"n": f"{reports.MAX_MINUTES:,}"},
    )


class ReportForm(forms.Form):
    report = forms.CharField(
        label=_("開催報告"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("%(n)s文字まで。公開すると、だれでも会合のページで読めます。")
        % {"n": f"{reports.MAX_REPORT:,}"},
    )
    publish = forms.BooleanField(label=_("公開する"), required=False)


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=_("写真"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text=_(
            "JPEG・PNG・WebP、1枚%(mb)dMBまで、1つの会合に%(n)d枚まで。撮影場所などの情報"
            "（Exif）は取り除いて保存します。写っている人の了解を得た写真を選んでください。"
        )
        % {"mb": reports.MAX_PHOTO_BYTES // (1024 * 1024), "n": reports.MAX_PHOTOS},
    )
    caption = forms.CharField(
        label=_("写真の説明（任意）"),
        required=False,
        help_text=_("%(n)d文字まで。画面を読み上げる人にも伝わるように書きます。")
        % {"n": reports.MAX_CAPTION},
    )


# --- 参加後アンケート（もっと話したい団体） --------------------------------------------
class WishesForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("回答する団体"), queryset=Organization.objects.none(), empty_label=None
    )
    targets = forms.TypedMultipleChoiceField(
        label=_("もっと話したい団体"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "選んだ団体ごとに、コーディネーターへの紹介の依頼になります。"
            "選ばずに送ると、前の回答のうち依頼になっていないものを取り消します。"
        ),
    )
    message = forms.CharField(
        label=_("ひとこと（任意）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("%(n)s文字まで。紹介の依頼に添えて、コーディネーターに届きます。")
        % {"n": f"{wishes.MAX_MESSAGE:,}"},
    )

    def __init__(
        self,
        *args: Any,
        organizations: Any,
        participants: Sequence[Organization],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations
        own = {org.pk for org in organizations}
        # One organization answering: it is not offered to itself. Several: the service
        # refuses the one answering (it may name another of the user's organizations).
        skip = own if len(own) == 1 else set()
        self.fields["targets"].choices = [(o.pk, o.name) for o in participants if o.pk not in skip]


# --- 招待する団体の提案 ------------------------------------------------------------------
class InviteSuggestedForm(forms.Form):
    """The organizations checked on the list (the page draws one checkbox per row, with
    its reasons). Any active organization is accepted here: whether it may be invited
    (already invited, the organizer itself…) is the service's to say."""

    organizations = forms.ModelMultipleChoiceField(
        label=_("招待する団体"),
        queryset=Organization.objects.filter(is_active=True),
        error_messages={"required": _("招待する団体を選んでください。")},
    )
