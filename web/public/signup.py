"""Sign-up (「団体を登録する」): a person registers their organization, which then waits
for a coordinator's verification (/coord/organizations/unverified/) before its posts are
public or suggested by the matching engine."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from legal import services as legal
from lib import ratelimit
from notifications.services import notify
from organizations.models import Area, Field, Membership, Organization, User
from organizations.services import self_service_kinds
from web.errors import REFUSALS, report

REQUIRED = {"required": _lazy("この項目は必須です。")}


def _kind_choices() -> list[tuple[str, str]]:
    # City departments are created by coordinators, not by sign-up (the kind rule:
    # organizations.services.check_kind).
    return self_service_kinds()


class SignupForm(forms.Form):
    # The person
    username = forms.CharField(
        label=_lazy("ユーザー名"),
        max_length=150,
        help_text=_lazy("半角英数字と @ . + - _ のみ、150文字以内。"),
        error_messages=REQUIRED,
    )
    display_name = forms.CharField(label=_lazy("表示名"), max_length=100, error_messages=REQUIRED)
    email = forms.EmailField(
        label=_lazy("メールアドレス"),
        error_messages={**REQUIRED, "invalid": _lazy("正しいメールアドレスを入力してください。")},
    )
    password1 = forms.CharField(
        label=_lazy("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages=REQUIRED,
    )
    password2 = forms.CharField(
        label=_lazy("パスワード（確認）"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages=REQUIRED,
    )
    # The organization
    org_name = forms.CharField(label=_lazy("団体名"), max_length=200, error_messages=REQUIRED)
    kind = forms.ChoiceField(
        label=_lazy("種別"),
        choices=_kind_choices,
        error_messages={**REQUIRED, "invalid_choice": _lazy("一覧から種別を選んでください。")},
    )
    fields = forms.ModelMultipleChoiceField(
        label=_lazy("活動分野"),
        queryset=Field.objects.all(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _lazy("一覧から活動分野を選んでください。")},
    )
    areas = forms.ModelMultipleChoiceField(
        label=_lazy("活動地域"),
        queryset=Area.objects.all(),
        to_field_name="code",
        required=False,
        error_messages={"invalid_choice": _lazy("一覧から活動地域を選んでください。")},
    )
    description = forms.CharField(
        label=_lazy("団体の紹介"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    website = forms.URLField(
        label=_lazy("ウェブサイト"),
        required=False,
        assume_scheme="https",
        error_messages={"invalid": _lazy("正しいURLを入力してください。")},
    )
    contact_name = forms.CharField(
        label=_lazy("連絡担当者"), max_length=100, error_messages=REQUIRED
    )
    contact_email = forms.EmailField(
        label=_lazy("連絡先メールアドレス"),
        error_messages={**REQUIRED, "invalid": _lazy("正しいメールアドレスを入力してください。")},
    )
    contact_phone = forms.CharField(label=_lazy("連絡先電話番号"), max_length=40, required=False)
    # Consent (legal.services): the box, and the versions the page showed.
    agree = forms.BooleanField(
        label=_lazy("利用規約とプライバシーポリシーに同意します"),
        error_messages={
            "required": _lazy("利用規約とプライバシーポリシーに同意いただく必要があります。")
        },
    )
    terms_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    privacy_version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.documents = legal.signup_documents()
        for doc in self.documents:
            self.fields[f"{doc.kind}_version"].initial = doc.version

    def forget_consent(self) -> None:
        """Untick the box: the versions it was ticked for are no longer current."""
        self.data = self.data.copy()
        self.data.pop("agree", None)

    def shown_versions(self) -> dict[str, int | None]:
        return {
            "terms": self.cleaned_data.get("terms_version"),
            "privacy": self.cleaned_data.get("privacy_version"),
        }

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        try:
            User.username_validator(username)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("ユーザー名には半角英数字と @ . + - _ のみ使えます。")
            ) from None
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("このユーザー名はすでに使われています。"))
        return username

    def clean(self) -> dict:
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("確認用のパスワードが一致しません。"))
        elif p1:
            user = User(
                username=data.get("username", ""),
                email=data.get("email", ""),
                display_name=data.get("display_name", ""),
            )
            try:
                password_validation.validate_password(p1, user)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        if data.get("agree"):
            try:
                legal.check_signup_consent(True, self.shown_versions())
            except REFUSALS as exc:
                self.add_error(None, exc)  # on "agree", the field the refusal names
                self.forget_consent()
        return data


def _language() -> str:
    lang = (get_language() or "ja")[:2]
    return (
        lang
        if lang in {code for code, _label in User._meta.get_field("language").choices}
        else "ja"
    )


@transaction.atomic
def _register(data: dict, shown_versions: dict[str, int | None]) -> tuple[User, Organization]:
    user = User.objects.create_user(
        username=data["username"],
        email=data["email"],
        password=data["password1"],
        display_name=data["display_name"],
        language=_language(),
    )
    org = Organization.objects.create(
        name=data["org_name"],
        kind=data["kind"],
        description=data["description"],
        website=data["website"],
        contact_name=data["contact_name"],
        contact_email=data["contact_email"],
        contact_phone=data["contact_phone"],
        is_verified=False,
    )
    org.fields.set(data["fields"])
    org.areas.set(data["areas"])
    Membership.objects.create(user=user, organization=org, role=Membership.Role.ADMIN)
    # The versions and the time of the consent; checked again in this transaction.
    legal.record_signup_consent(user, data["agree"], shown_versions)
    coordinators = User.objects.filter(
        Q(is_coordinator=True) | Q(is_superuser=True), is_active=True
    )
    notify(
        coordinators,
        "organization.registered",
        _("新しい団体の登録: %(name)s") % {"name": org.name},
        url="/coord/organizations/unverified/",
        dedupe_key=f"organization.registered:{org.pk}",
    )
    return user, org


def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("member-home")
    status = 200
    if request.method == "POST":
        form = SignupForm(request.POST)
        # At most ratelimit.SIGNUP.limit sign-ups per address per hour (lib/ratelimit.py).
        if ratelimit.SIGNUP.is_over(ratelimit.client_ip(request)):
            form.is_valid()  # bind, so that the typed values come back
            form.errors.clear()
            form.add_error(None, ratelimit.SIGNUP.message)
            status = 429
        elif form.is_valid():
            try:
                user, _org = _register(form.cleaned_data, form.shown_versions())
            except REFUSALS as exc:  # a new version published while the form was open
                report(request, exc, form)
                form.forget_consent()
            else:
                ratelimit.SIGNUP.hit(ratelimit.client_ip(request))
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(
                    request,
                    _("登録しました。コーディネーターが団体を確認するまで、お待ちください。"),
                )
                return redirect("member-home")
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form}, status=status)
