"""Forms of the logged-in pages. They only parse what the user typed; the rules are the
services' (proposals.services, matching.*), reached through the same functions as the
API, so web and API answer alike."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from matching.models.outcomes import ContinuationFollowUp, Evaluation
from notifications.models import Channel
from organizations.models import Area, Field, Organization
from proposals.models import CollaborationForm, Need, Status, Support


def member_organizations(user):
    """The organizations a user may post for: their own; coordinators every active one."""
    orgs = Organization.objects.filter(is_active=True).order_by("name")
    if user.can_coordinate:
        return orgs
    return orgs.filter(pk__in=user.organization_ids())


class PostForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("投稿団体"), queryset=Organization.objects.none(), empty_label=None
    )
    title = forms.CharField(label=_("タイトル"), max_length=200)
    description = forms.CharField(label=_("内容"), max_length=5000, widget=forms.Textarea)
    fields = forms.ModelMultipleChoiceField(
        label=_("活動分野"),
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
    starts_on = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    status = forms.ChoiceField(label=_("状態"), choices=Status.choices)
    # Last: from here on, "forms" in this class body is the field, not django.forms.
    forms = forms.ModelMultipleChoiceField(
        label=_("協働の形態"),
        queryset=CollaborationForm.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    field_order = [
        "organization",
        "title",
        "description",
        "fields",
        "areas",
        "forms",
        "starts_on",
        "ends_on",
        "status",
    ]

    def __init__(self, *args, user, instance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance = instance
        self.fields["organization"].queryset = member_organizations(user)
        self.fields["areas"].choices = Area.tree_choices()
        if instance is not None:
            self.fields["organization"].disabled = True
            self.fields["organization"].queryset = Organization.objects.filter(
                pk=instance.organization_id
            )
            self.fields["status"].choices = [
                (value, label)
                for value, label in Status.choices
                if instance.can_change_status_to(value)
            ]

    def api_data(self) -> dict:
        """What the API serializer expects (codes and primary keys)."""
        data = self.cleaned_data
        out = {
            "organization": data["organization"].pk,
            "title": data["title"],
            "description": data["description"],
            "fields": [f.code for f in data.get("fields", [])],
            "areas": list(data.get("areas", [])),
            "forms": [f.code for f in data.get("forms", [])],
            "starts_on": data.get("starts_on"),
            "ends_on": data.get("ends_on"),
            "status": data["status"],
        }
        return out


class NeedForm(PostForm):
    kind = forms.ChoiceField(
        label=_("提案の種類"),
        choices=[("", _("団体に合わせて自動で決める")), *Need.Kind.choices],
        required=False,
    )
    poster_supports = forms.ModelMultipleChoiceField(
        label=_("投稿者が提供できること"),
        queryset=Support.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    poster_support_note = forms.CharField(
        label=_("提供できることの詳細"), max_length=2000, required=False, widget=forms.Textarea
    )
    beneficiaries = forms.CharField(label=_("受益者・対象"), max_length=300, required=False)
    budget_note = forms.CharField(label=_("予算について"), max_length=500, required=False)
    partners_wanted = forms.IntegerField(
        label=_("募集数"),
        min_value=1,
        max_value=20,
        initial=1,
        required=False,  # left empty: one partner
        help_text=_("一緒に取り組む相手を何団体募集するか（1〜20）。"),
    )

    def api_data(self) -> dict:
        data = super().api_data()
        cleaned = self.cleaned_data
        data["partners_wanted"] = cleaned.get("partners_wanted") or 1
        if cleaned.get("kind"):
            data["kind"] = cleaned["kind"]
        data["poster_supports"] = [s.code for s in cleaned.get("poster_supports", [])]
        for name in ("poster_support_note", "beneficiaries", "budget_note"):
            data[name] = cleaned.get(name, "")
        return data


class OfferForm(PostForm):
    capacity = forms.IntegerField(
        label=_("同時に受けられる件数"),
        min_value=1,
        max_value=20,
        initial=1,
        help_text=_("同時に進められる協働の数（1〜20）。"),
    )

    def api_data(self) -> dict:
        data = super().api_data()
        data["capacity"] = self.cleaned_data["capacity"]
        return data


def initial_for(post) -> dict:
    """A post's values for the edit form."""
    initial = {
        "organization": post.organization_id,
        "title": post.title,
        "description": post.description,
        "fields": [f.code for f in post.fields.all()],
        "areas": [a.code for a in post.areas.all()],
        "forms": [f.code for f in post.forms.all()],
        "starts_on": post.starts_on,
        "ends_on": post.ends_on,
        "status": post.status,
    }
    if isinstance(post, Need):
        initial.update(
            kind=post.kind,
            poster_supports=[s.code for s in post.poster_supports.all()],
            poster_support_note=post.poster_support_note,
            beneficiaries=post.beneficiaries,
            budget_note=post.budget_note,
            partners_wanted=post.partners_wanted,
        )
    else:
        initial["capacity"] = post.capacity
    return initial


class InterestForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=_("依頼する団体"), queryset=Organization.objects.none(), empty_label=None
    )
    message = forms.CharField(
        label=_("メッセージ（任意）"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("話してみたい理由や、できそうなことを書いてください。"),
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("辞退の理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class EvaluationForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("評価"), choices=Evaluation.Grade.choices, widget=forms.RadioSelect
    )
    effects = forms.CharField(
        label=_("効果"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    problems = forms.CharField(
        label=_("課題"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    next_steps = forms.CharField(
        label=_("今後の進め方"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    publish_consent = forms.BooleanField(label=_("事例集への掲載に同意する"), required=False)


class AgreeForm(forms.Form):
    """What the parties agreed in consultation (協定): the form, each party's role
    (役割分担), the period and the budget. The rules are workflow.agree's."""

    form = forms.ModelChoiceField(
        label=_("協働の形態"),
        queryset=CollaborationForm.objects.all(),
        empty_label=_("選んでください"),
        required=False,
    )
    starts_on = forms.DateField(
        label=_("開始日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("終了日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    budget_note = forms.CharField(
        label=_("予算・費用負担"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例: 会場費は市が負担、材料費は団体が負担"),
    )

    def __init__(self, *args, parties, **kwargs):
        super().__init__(*args, **kwargs)
        self.role_fields = []
        for party in parties:
            name = f"role_{party.organization_id}"
            self.fields[name] = forms.CharField(
                label=_("%(org)sの役割") % {"org": party.organization.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.role_fields.append(name)

    def responsibilities(self) -> dict[int, str]:
        return {
            int(name.removeprefix("role_")): self.cleaned_data.get(name, "")
            for name in self.role_fields
        }


def agree_initial(match) -> dict:
    """Start from what is known: the match's terms, else the need's period and form."""
    need = match.need
    initial = {
        "form": match.form_id,
        "starts_on": match.starts_on or (need.starts_on if need else None),
        "ends_on": match.ends_on or (need.ends_on if need else None),
        "budget_note": match.budget_note or (need.budget_note if need else ""),
    }
    for party in match.parties.all():
        initial[f"role_{party.organization_id}"] = party.responsibilities
    return initial


class FollowUpForm(forms.Form):
    answer = forms.ChoiceField(
        label=_("協働は続いていますか"),
        choices=ContinuationFollowUp.Answer.choices,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("理由・状況"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("「終了した」ときは理由を必ず書いてください。"),
    )


def preference_form_class(rows):
    """A form with one select per notification kind."""
    attrs = {
        f"kind__{row['kind']}": forms.ChoiceField(
            label=row["label"], choices=Channel.choices, initial=row["channel"], required=False
        )
        for row in rows
    }
    return type("PreferenceForm", (forms.Form,), attrs)
