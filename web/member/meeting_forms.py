"""Forms of the meeting pages (交流の場): a registration, a meeting's editor, the small
forms of the organizer's page.

They only parse what the person typed; every rule (seats, deadline, who may, the dates of
a meeting) is ``meetings.services``', whose refusals ``web.errors.report`` puts on these
forms' fields by name. Choices offered here (the user's organizations, the organizer's
posts) only spare people a refusal: the services check again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings import services
from meetings.models import ACTIVE_STATUSES, Invitation, Meeting
from organizations.models import Area, Field, Organization
from organizations.permissions import is_coordinator
from proposals.models import Need, Offer, Status

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _datetime_field(label: Any, required: bool = True, help_text: Any = "") -> forms.Field:
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        input_formats=[DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )


# --- Registration (the meeting's public page) --------------------------------------------
def registrable_organizations(user: Any, meeting: Meeting):
    """The user's organizations that may still register: no active registration yet, and
    for an invitation-only meeting, invited."""
    if not (user and user.is_authenticated):
        return Organization.objects.none()
    orgs = Organization.objects.filter(pk__in=user.organization_ids(), is_active=True)
    taken = meeting.registrations.filter(status__in=ACTIVE_STATUSES).values("organization_id")
    orgs = orgs.exclude(pk__in=taken)
    if meeting.registration_mode == Meeting.RegistrationMode.INVITATION:
        invited = Invitation.objects.filter(meeting=meeting).values("organization_id")
        orgs = orgs.filter(pk__in=invited)
    return orgs.order_by("name", "pk")


class RegistrationForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("申し込む団体"), queryset=Organization.objects.none(), empty_label=None
    )
    attendees = forms.IntegerField(
        label=_("参加人数"),
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        help_text=_("席は人数で数えます。"),
    )
    attendee_names = forms.CharField(
        label=_("参加者の氏名（任意・1行に1人）"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "氏名は主催者とコーディネーターだけが見ます。わからなければ空欄のままで構いません。"
        ),
    )

    def __init__(self, *args: Any, user: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = registrable_organizations(user, meeting)

    def names(self) -> list[str]:
        text = self.cleaned_data.get("attendee_names", "")
        return [line.strip() for line in text.splitlines() if line.strip()]


# --- A meeting (the organizer's editor) ----------------------------------------------------
def organizer_choices(user: Any):
    """Who the user may organize for: their organizations; a coordinator any active one."""
    orgs = Organization.objects.filter(is_active=True).order_by("name", "pk")
    if is_coordinator(user):
        return orgs
    return orgs.filter(pk__in=user.organization_ids())


def _post_choices(model: type[Need] | type[Offer], org_ids: set[int], linked: list[int]):
    """Posts a meeting may present: the organizer's (or, on a new meeting, the user's
    organizations') posts that are not archived, and those already linked."""
    return (
        model.objects.filter(
            Q(organization_id__in=org_ids) & ~Q(status=Status.ARCHIVED) | Q(pk__in=linked)
        )
        .select_related("organization")
        .order_by("organization__name", "title", "pk")
    )


class _PostChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Need | Offer) -> str:
        return f"{obj.title}（{obj.organization.name}）"


class MeetingForm(forms.Form):
    organizer = forms.ModelChoiceField(
        label=_("主催団体"), queryset=Organization.objects.none(), required=False
    )
    kind = forms.ChoiceField(label=_("種類"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=_("名称"), max_length=200)
    description = forms.CharField(
        label=_("内容"), max_length=10000, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    starts_at = _datetime_field(_("開始日時"))
    ends_at = _datetime_field(_("終了日時"))
    registration_deadline = _datetime_field(
        _("申込締切"), required=False, help_text=_("空欄: 開始日時まで。")
    )
    capacity = forms.IntegerField(
        label=_("定員（人）"),
        widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"}),
        help_text=_("人数で数えます。"),
    )
    registration_mode = forms.ChoiceField(
        label=_("申込方法"),
        choices=Meeting.RegistrationMode.choices,
        initial=Meeting.RegistrationMode.OPEN,
        widget=forms.RadioSelect,
    )
    venue_name = forms.CharField(label=_("会場名"), max_length=200, required=False)
    venue_address = forms.CharField(label=_("会場の住所"), max_length=300, required=False)
    is_public_facility = forms.BooleanField(label=_("公共施設"), required=False)
    online_url = forms.URLField(
        label=_("オンライン会議のURL"),
        required=False,
        assume_scheme="https",
        help_text=_("参加が確定した団体にだけ表示します。"),
    )
    barrier_free = forms.BooleanField(label=_("バリアフリー"), required=False)
    sign_language = forms.BooleanField(label=_("手話通訳"), required=False)
    childcare = forms.BooleanField(label=_("託児"), required=False)
    accessibility_note = forms.CharField(
        label=_("配慮についての補足"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    fields = forms.ModelMultipleChoiceField(
        label=_("分野"),
        queryset=Field.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    areas = forms.MultipleChoiceField(
        label=_("地域"),
        required=False,
        help_text=_("複数選ぶときは Ctrl（Mac は ⌘）キーを押しながら選びます。"),
    )
    needs = _PostChoice(
        label=_("関連するニーズ（協働テーマ）"),
        queryset=Need.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    offers = _PostChoice(
        label=_("関連するシーズ"),
        queryset=Offer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: Any, meeting: Meeting | None = None, **kwargs: Any):
        if meeting is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_for(meeting)
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.fields["areas"].choices = Area.tree_choices()
        organizer = self.fields["organizer"]
        if meeting is None:
            organizer.queryset = organizer_choices(user)
            if is_coordinator(user):
                organizer.empty_label = _("主催団体なし（コーディネーターの主催）")
                # Only the user's own organizations' posts are offered on a new meeting.
                organizer.help_text = _(
                    "主催団体の協働テーマ・できることは、保存したあと「内容を編集する」で選べます。"
                )
            else:
                organizer.required = True
                organizer.empty_label = None
            org_ids, linked = set(user.organization_ids()), {"needs": [], "offers": []}
        else:
            # A meeting keeps its organizer (as in the API).
            organizer.disabled = True
            organizer.queryset = Organization.objects.filter(pk=meeting.organizer_id)
            organizer.empty_label = _("主催団体なし（コーディネーターの主催）")
            org_ids = {meeting.organizer_id} if meeting.organizer_id else set()
            linked = {
                "needs": list(meeting.needs.values_list("pk", flat=True)),
                "offers": list(meeting.offers.values_list("pk", flat=True)),
            }
        self.fields["needs"].queryset = _post_choices(Need, org_ids, linked["needs"])
        self.fields["offers"].queryset = _post_choices(Offer, org_ids, linked["offers"])
        for name in ("needs", "offers"):
            # Nothing to present: no empty box on the page.
            if not self.fields[name].queryset.exists():
                del self.fields[name]

    # The page shows the fields in three groups, each a fieldset with its legend.
    GROUPS = (
        (
            _("会合の内容"),
            ("organizer", "kind", "title", "description", "fields", "areas", "needs", "offers"),
        ),
        (
            _("日時と申込"),
            ("starts_at", "ends_at", "registration_deadline", "capacity", "registration_mode"),
        ),
        (
            _("会場と配慮"),
            (
                "venue_name",
                "venue_address",
                "is_public_facility",
                "online_url",
                "barrier_free",
                "sign_language",
                "childcare",
                "accessibility_note",
            ),
        ),
    )

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in self.GROUPS
        ]

    def service_data(self) -> dict[str, Any]:
        """What ``create_meeting`` / ``update_meeting`` take. On a change, only the fields
        that changed: an unchanged deadline that has passed must not be checked again."""
        data = {name: self.cleaned_data.get(name) for name in services.MEETING_FIELDS}
        if self.meeting is not None:
            data = {k: v for k, v in data.items() if k in self.changed_data}
        data["fields"] = list(self.cleaned_data.get("fields", []))
        data["areas"] = list(Area.objects.filter(code__in=self.cleaned_data.get("areas", [])))
        data["needs"] = list(self.cleaned_data.get("needs", []))
        data["offers"] = list(self.cleaned_data.get("offers", []))
        for name in ("title", "description", "venue_name", "venue_address", "online_url"):
            if data.get(name) is None and name in data:
                data[name] = ""
        return data


def initial_for(meeting: Meeting) -> dict[str, Any]:
    initial: dict[str, Any] = {name: getattr(meeting, name) for name in services.MEETING_FIELDS}
    initial.update(
        organizer=meeting.organizer_id,
        fields=[f.code for f in meeting.fields.all()],
        areas=[a.code for a in meeting.areas.all()],
        needs=list(meeting.needs.values_list("pk", flat=True)),
        offers=list(meeting.offers.values_list("pk", flat=True)),
    )
    return initial


# --- The organizer's small forms ----------------------------------------------------------
class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("定員（人）"), widget=forms.NumberInput(attrs={"min": 1, "inputmode": "numeric"})
    )


class CancelMeetingForm(forms.Form):
    reason = forms.CharField(
        label=_("中止の理由（申込んだ団体への通知に書かれます）"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("招待する団体"), queryset=Organization.objects.filter(is_active=True)
    )
