# ruff: noqa: E501 — a table reads best one row per line.
"""The permission matrix: who may do what, through the API and the web pages.

This table is the single source. ``docs/security.md`` shows it rendered
(``python tests/security/permission_matrix.py`` prints it; a test fails when the document
and the table differ), and ``tests/security/test_permission_matrix.py`` sends every request below as every
role and checks the answer and its effect. To change a permission: change the code, change
the row here, paste the new rendering into docs/security.md, run the test.

Each row is one request (resource × action × channel). The six columns are the roles, in
``ROLES`` order, written as one string of six outcomes (``OUTCOMES`` says what each means).
"The owner" is always a member of the organization that owns the thing (its post, its
profile, its match, its booking); the "other organization" and the "department staff" are
members of organizations that take no part in it. No Django import: an auditor can read
and run this file alone.
"""

from __future__ import annotations

from dataclasses import dataclass

# (key, Japanese, English)
ROLES: tuple[tuple[str, str, str], ...] = (
    ("anonymous", "未ログイン", "anonymous"),
    ("owner", "所属団体のメンバー", "member of the owning organization"),
    ("other", "他団体のメンバー", "member of another organization"),
    ("staff", "担当課職員", "department staff (another department)"),
    ("coordinator", "コーディネーター", "coordinator"),
    ("admin", "プラットフォーム管理者", "platform admin (superuser)"),
)
ROLE_KEYS = tuple(key for key, _ja, _en in ROLES)

# outcome → (meaning, what the API answers, what the web answers)
OUTCOMES: dict[str, tuple[str, str, str]] = {
    "ok": ("allowed: done, or shown", "2xx", "2xx, or 302 to the next page"),
    "login": ("must sign in first; nothing done or shown", "401", "302 to the login page"),
    "403": ("refused; nothing done or shown", "403", "403"),
    "404": ("answered as if it did not exist; nothing done or shown", "404", "404"),
    "hidden": ("answered, but the item or the private fields are left out", "200", "200"),
    "invalid": (
        "the user may not choose that organization; nothing saved",
        "400 with the field's message",
        "200: the form again, with the message",
    ),
    "no-op": ("answered, but nothing changes", "2xx", "2xx or 302"),
    "405": ("no such operation for anyone (posts are archived, not deleted)", "405", "-"),
}

# How the table shows each outcome.
SYMBOLS = {
    "ok": "✅",
    "login": "🔑",
    "403": "⛔403",
    "404": "⛔404",
    "hidden": "➖",
    "invalid": "⛔400",
    "no-op": "➖",
    "405": "405",
}


@dataclass(frozen=True)
class Row:
    key: str  # the action's name in test ids: coordinator-approve_suggestion-api
    resource: str
    action: str
    channel: str  # "api" or "web"
    request: str  # method and path ({placeholders} are the test's objects)
    cells: str  # six outcomes, space-separated, in ROLES order

    @property
    def outcomes(self) -> dict[str, str]:
        values = self.cells.split()
        if len(values) != len(ROLE_KEYS):
            raise ValueError(f"{self.key}-{self.channel}: {len(values)} cells, not 6")
        unknown = set(values) - set(OUTCOMES)
        if unknown:
            raise ValueError(f"{self.key}-{self.channel}: unknown outcome {sorted(unknown)}")
        return dict(zip(ROLE_KEYS, values, strict=True))


def _rows(resource: str, *specs: tuple[str, str, str, str, str]) -> list[Row]:
    return [
        Row(key, resource, action, channel, req, cells)
        for key, action, channel, req, cells in specs
    ]


# fmt: off
#                 key, action, channel, request, cells:
#                 anonymous owner other staff coordinator admin
ROWS: list[Row] = [
    *_rows(
        "投稿（ニーズ・シーズ） posts",
        ("post_list", "公開中の一覧 list open posts", "api", "GET /api/v1/offers/", "ok ok ok ok ok ok"),
        ("post_list", "公開中の一覧 list open posts", "web", "GET /menu/?type=offers", "ok ok ok ok ok ok"),
        ("post_detail", "公開中の詳細 open post", "api", "GET /api/v1/offers/{open}/", "ok ok ok ok ok ok"),
        ("post_detail", "公開中の詳細 open post", "web", "GET /offers/{open}/", "ok ok ok ok ok ok"),
        ("draft_in_list", "下書きが一覧に出るか draft in the list", "api", "GET /api/v1/offers/?status=draft", "hidden ok hidden hidden ok ok"),
        ("draft_detail", "下書きの詳細 draft post", "api", "GET /api/v1/offers/{draft}/", "404 ok 404 404 ok ok"),
        ("draft_detail", "下書きの詳細 draft post (public page)", "web", "GET /offers/{draft}/", "404 404 404 404 404 404"),
        ("draft_edit_form", "下書きの編集画面 draft's edit form", "web", "GET /my/offers/{draft}/edit/", "login ok 404 404 ok ok"),
        ("closed_detail", "終了した投稿の詳細 closed post", "api", "GET /api/v1/needs/{closed}/", "404 ok 404 404 ok ok"),
        ("closed_detail", "終了した投稿の詳細 closed post (public page)", "web", "GET /needs/{closed}/", "404 404 404 404 404 404"),
        ("post_create", "団体として投稿 create for the organization", "api", "POST /api/v1/offers/", "login ok invalid invalid ok ok"),
        ("post_create", "団体として投稿 create for the organization", "web", "POST /my/offers/new/", "login ok invalid invalid ok ok"),
        ("post_edit", "編集 edit", "api", "PATCH /api/v1/offers/{open}/", "login ok 403 403 ok ok"),
        ("post_edit", "編集 edit", "web", "POST /my/offers/{open}/edit/", "login ok 403 403 ok ok"),
        ("post_delete", "削除 delete", "api", "DELETE /api/v1/offers/{open}/", "login 405 405 405 405 405"),
        ("suggestions", "提案された相手 suggestions", "api", "GET /api/v1/offers/{open}/suggestions/", "login ok 403 403 ok ok"),
        ("suggestions", "提案された相手 suggestions", "web", "GET /my/offers/{open}/suggestions/", "login ok 403 403 ok ok"),
    ),
    *_rows(
        "団体 organizations",
        ("org_list", "団体一覧 directory", "api", "GET /api/v1/organizations/", "ok ok ok ok ok ok"),
        ("org_list", "団体一覧 directory", "web", "GET /organizations/", "ok ok ok ok ok ok"),
        ("org_detail", "団体の詳細 detail", "api", "GET /api/v1/organizations/{owner_org}/", "ok ok ok ok ok ok"),
        ("org_detail", "団体の詳細 detail", "web", "GET /organizations/{owner_org}/", "ok ok ok ok ok ok"),
        ("org_contacts", "非公開の連絡先（担当者・メール・電話・所在地） private contacts", "api", "GET /api/v1/organizations/{owner_org}/", "hidden ok hidden hidden ok ok"),
        ("org_contacts_in_list", "一覧の中の非公開の連絡先 private contacts in the list", "api", "GET /api/v1/organizations/", "hidden ok hidden hidden ok ok"),
        ("org_contacts", "非公開の連絡先 private contacts (public page)", "web", "GET /organizations/{owner_org}/", "hidden hidden hidden hidden hidden hidden"),
        ("org_edit", "団体情報の編集 edit the profile", "api", "PATCH /api/v1/organizations/{owner_org}/", "login ok 403 403 ok ok"),
        ("pending_org_detail", "確認待ちの団体 organization awaiting verification", "api", "GET /api/v1/organizations/{pending_org}/", "404 ok 404 404 ok ok"),
        ("pending_org_detail", "確認待ちの団体 organization awaiting verification", "web", "GET /organizations/{pending_org}/", "404 404 404 404 404 404"),
        ("org_self_verify", "API で確認済みにする verify through the API (read-only field)", "api", "PATCH /api/v1/organizations/{pending_org}/ is_verified", "login no-op 404 404 no-op no-op"),
        ("org_kind_change", "団体の種別の変更（市の部署へ） change the kind (to city department)", "api", "PATCH /api/v1/organizations/{owner_org}/ kind", "login invalid 403 403 ok ok"),
        ("org_register_department", "市の部署として団体を登録 register a city department", "api", "POST /api/v1/organizations/ kind=city_department", "login invalid invalid invalid ok ok"),
        ("org_register_department", "市の部署として団体を登録 register a city department", "web", "POST /accounts/signup/ kind=city_department", "invalid no-op no-op no-op no-op no-op"),
        ("unverified_list", "確認待ちの一覧 organizations to verify", "web", "GET /coord/organizations/unverified/", "login 403 403 403 ok ok"),
        ("org_verify", "団体の確認 verify an organization", "web", "POST /coord/organizations/{pending_org}/verify/", "login 403 403 403 ok ok"),
        ("org_import", "名簿CSVの取り込み CSV registry import", "web", "POST /coord/import/ + /coord/import/confirm/", "login 403 403 403 ok ok"),
    ),
    *_rows(
        "審査・紹介依頼 review and interest requests",
        ("review_queue", "審査待ちの組合せ review queue", "api", "GET /api/v1/review-queue/", "login 403 403 403 ok ok"),
        ("review_queue", "審査待ちの組合せ review queue", "web", "GET /coord/review/", "login 403 403 403 ok ok"),
        ("approve_suggestion", "承認（マッチ作成） approve", "api", "POST /api/v1/review-queue/decide/", "login 403 403 403 ok ok"),
        ("approve_suggestion", "承認（マッチ作成） approve", "web", "POST /coord/review/decide/", "login 403 403 403 ok ok"),
        ("reject_suggestion", "見送り reject", "api", "POST /api/v1/review-queue/decide/", "login 403 403 403 ok ok"),
        ("reject_suggestion", "見送り reject", "web", "POST /coord/review/decide/", "login 403 403 403 ok ok"),
        ("interest_request", "「この団体と話したい」 interest request for the organization", "api", "POST /api/v1/interest-requests/", "login ok 403 403 403 403"),
        ("interest_request", "「この団体と話したい」 interest request for the organization", "web", "POST /my/needs/{partner_need}/interest/", "login ok invalid invalid 403 403"),
        ("interest_view", "紹介依頼を見る see a request", "api", "GET /api/v1/interest-requests/{interest}/", "login ok 404 404 ok ok"),
        ("interest_accept", "紹介依頼の受付 accept a request", "api", "POST /api/v1/interest-requests/{interest}/accept/", "login 403 404 404 ok ok"),
        ("interest_accept", "紹介依頼の受付 accept a request", "web", "POST /coord/interest/{interest}/accept/", "login 403 403 403 ok ok"),
    ),
    *_rows(
        "マッチ matches",
        ("match_list", "一覧 list", "api", "GET /api/v1/matches/", "login ok hidden hidden ok ok"),
        ("match_detail", "詳細 detail", "api", "GET /api/v1/matches/{introduced}/", "login ok 404 404 ok ok"),
        ("match_detail", "詳細 detail", "web", "GET /my/matches/{introduced}/", "login ok 404 404 ok ok"),
        ("coord_match_detail", "コーディネーター画面 coordinators' page", "web", "GET /coord/matches/{introduced}/", "login 403 403 403 ok ok"),
        ("contacts_before_intro", "相手の連絡先（紹介前） partner's contacts before introduced", "api", "GET /api/v1/matches/{proposed}/", "login hidden 404 404 ok ok"),
        ("contacts_before_intro", "相手の連絡先（紹介前） partner's contacts before introduced", "web", "GET /my/matches/{proposed}/", "login hidden 404 404 ok ok"),
        ("contacts_after_intro", "相手の連絡先（紹介後） partner's contacts from introduced on", "api", "GET /api/v1/matches/{introduced}/", "login ok 404 404 ok ok"),
        ("contacts_after_intro", "相手の連絡先（紹介後） partner's contacts from introduced on", "web", "GET /my/matches/{introduced}/", "login ok 404 404 ok ok"),
        ("introduce", "紹介する introduce", "api", "POST /api/v1/matches/{proposed}/transition/", "login 403 404 404 ok ok"),
        ("introduce", "紹介する introduce", "web", "POST /coord/matches/{proposed}/action/", "login 403 403 403 ok ok"),
        ("respond", "紹介に回答 respond", "api", "POST /api/v1/matches/{introduced}/respond/", "login ok 404 404 ok ok"),
        ("respond", "紹介に回答 respond", "web", "POST /my/matches/{introduced}/respond/", "login ok 404 404 403 403"),
        ("decline", "辞退 decline", "api", "POST /api/v1/matches/{introduced}/transition/", "login ok 404 404 ok ok"),
        ("decline", "辞退 decline", "web", "POST /my/matches/{introduced}/respond/", "login ok 404 404 403 403"),
        ("start_consulting", "相談を始める start consulting", "api", "POST /api/v1/matches/{accepted}/transition/", "login ok 404 404 ok ok"),
        ("start_consulting", "相談を始める start consulting", "web", "POST /my/matches/{accepted}/transition/", "login ok 404 404 ok ok"),
        ("coord_start_consulting", "相談を始める（コーディネーター画面） start consulting (coordinators' page)", "web", "POST /coord/matches/{accepted}/action/", "login 403 403 403 ok ok"),
        ("agree", "合意 agree", "api", "POST /api/v1/matches/{consulting}/transition/", "login ok 404 404 ok ok"),
        ("agree", "合意 agree", "web", "POST /my/matches/{consulting}/agree/", "login ok 404 404 ok ok"),
        ("confirm_terms", "合意内容の確認（相手団体が記録した内容） confirm the terms another party recorded", "api", "POST /api/v1/matches/{terms_recorded}/confirm/", "login ok 404 404 403 403"),
        ("confirm_terms", "合意内容の確認（相手団体が記録した内容） confirm the terms another party recorded", "web", "POST /my/matches/{terms_recorded}/transition/ confirm", "login ok 404 404 403 403"),
        ("activate", "実施を始める activate", "api", "POST /api/v1/matches/{agreed}/transition/", "login ok 404 404 ok ok"),
        ("activate", "実施を始める activate", "web", "POST /my/matches/{agreed}/transition/", "login ok 404 404 ok ok"),
        ("coord_activate", "実施を始める（コーディネーター画面） activate (coordinators' page)", "web", "POST /coord/matches/{agreed}/action/", "login 403 403 403 ok ok"),
        ("complete", "完了 complete", "api", "POST /api/v1/matches/{active}/transition/", "login ok 404 404 ok ok"),
        ("complete", "完了 complete", "web", "POST /my/matches/{active}/transition/", "login ok 404 404 ok ok"),
        ("coord_complete", "完了（コーディネーター画面） complete (coordinators' page)", "web", "POST /coord/matches/{active}/action/", "login 403 403 403 ok ok"),
        ("cancel", "中止 cancel", "api", "POST /api/v1/matches/{introduced}/transition/", "login 403 404 404 ok ok"),
        ("cancel", "中止 cancel", "web", "POST /coord/matches/{introduced}/action/", "login 403 403 403 ok ok"),
    ),
    *_rows(
        "事前相談 consultations",
        ("slot_create", "コマの公開 publish a slot", "api", "POST /api/v1/consultation-slots/", "login 403 403 403 ok ok"),
        ("slot_create", "コマの公開 publish a slot", "web", "POST /coord/slots/", "login 403 403 403 ok ok"),
        ("slot_edit", "コマの変更 change a slot", "api", "PATCH /api/v1/consultation-slots/{free_slot}/", "login 403 403 403 ok ok"),
        ("slot_cancel", "コマの取り消し withdraw a slot", "api", "POST /api/v1/consultation-slots/{free_slot}/cancel/", "login 403 403 403 ok ok"),
        ("slot_cancel", "コマの取り消し withdraw a slot", "web", "POST /coord/slots/{free_slot}/cancel/", "login 403 403 403 ok ok"),
        ("book", "予約 book for the match", "api", "POST /api/v1/consultation-slots/{free_slot}/book/", "login ok 403 403 ok ok"),
        ("book", "予約 book for the match", "web", "POST /my/matches/{consulting}/book/", "login ok 404 404 ok ok"),
        ("booking_cancel", "予約の取り消し cancel a booking", "api", "POST /api/v1/consultations/{booking}/cancel/", "login ok 404 404 ok ok"),
        ("booking_cancel", "予約の取り消し cancel a booking", "web", "POST /my/consultations/{booking}/cancel/", "login ok 404 404 ok ok"),
        ("booking_ics", ".ics ファイル calendar file", "api", "GET /api/v1/consultations/{booking}/ics/", "login ok 404 404 ok ok"),
        ("booking_ics", ".ics ファイル calendar file", "web", "GET /my/consultations/{booking}.ics", "login ok 404 404 ok ok"),
    ),
    *_rows(
        "交流の場 meetings",
        ("meeting_list", "公開中の一覧 list published meetings", "api", "GET /api/v1/meetings/", "ok ok ok ok ok ok"),
        ("meeting_list", "公開中の一覧 list published meetings", "web", "GET /meetings/", "ok ok ok ok ok ok"),
        ("my_meetings", "自分の団体の交流の場 my organizations' meetings", "web", "GET /my/meetings/", "login ok ok ok ok ok"),
        ("meeting_detail", "公開中の詳細（残席） published meeting (seats left)", "api", "GET /api/v1/meetings/{meeting}/", "ok ok ok ok ok ok"),
        ("meeting_detail", "公開中の詳細（残席） published meeting (seats left)", "web", "GET /meetings/{meeting}/", "ok ok ok ok ok ok"),
        ("meeting_names", "参加者の氏名（主催者・コーディネーターだけ） attendee names (organizer and coordinators)", "api", "GET /api/v1/meetings/{meeting}/", "hidden ok hidden hidden ok ok"),
        ("meeting_names", "参加者の氏名（公開ページには出さない） attendee names (never on the public page)", "web", "GET /meetings/{meeting}/", "hidden hidden hidden hidden hidden hidden"),
        ("meeting_manage", "主催者の画面（参加者の氏名つき） organizer's page (with attendee names)", "web", "GET /my/meetings/{meeting}/", "login ok 403 403 ok ok"),
        ("meeting_draft", "下書きの会合 draft meeting", "api", "GET /api/v1/meetings/{draft_meeting}/", "404 ok 404 404 ok ok"),
        ("meeting_draft", "下書きの会合 draft meeting", "web", "GET /meetings/{draft_meeting}/", "404 ok 404 404 ok ok"),
        ("meeting_create", "団体として主催 create for the organization", "api", "POST /api/v1/meetings/", "login ok invalid invalid ok ok"),
        ("meeting_create", "団体として主催 create for the organization", "web", "POST /my/meetings/new/", "login ok invalid invalid ok ok"),
        ("meeting_edit", "会合の変更 edit", "api", "PATCH /api/v1/meetings/{meeting}/", "login ok 403 403 ok ok"),
        ("meeting_edit", "会合の変更 edit", "web", "POST /my/meetings/{meeting}/edit/", "login ok 403 403 ok ok"),
        ("meeting_capacity", "定員の変更 change the capacity", "web", "POST /my/meetings/{meeting}/capacity/", "login ok 403 403 ok ok"),
        ("meeting_publish", "公開 publish a draft", "api", "POST /api/v1/meetings/{draft_meeting}/publish/", "login ok 404 404 ok ok"),
        ("meeting_publish", "公開 publish a draft", "web", "POST /my/meetings/{draft_meeting}/publish/", "login ok 404 404 ok ok"),
        ("meeting_cancel", "中止 cancel the meeting", "api", "POST /api/v1/meetings/{meeting}/cancel/", "login ok 403 403 ok ok"),
        ("meeting_cancel", "中止 cancel the meeting", "web", "POST /my/meetings/{meeting}/cancel/ confirmed", "login ok 403 403 ok ok"),
        ("meeting_invite", "団体の招待 invite an organization", "api", "POST /api/v1/meetings/{meeting}/invitations/", "login ok 403 403 ok ok"),
        ("meeting_invite", "団体の招待 invite an organization", "web", "POST /my/meetings/{meeting}/invite/", "login ok 403 403 ok ok"),
        ("meeting_invite_several", "複数の団体の招待（提案の一覧から） invite several organizations (from the suggestions)", "api", "POST /api/v1/meetings/{meeting}/invitations/ organizations", "login ok 403 403 ok ok"),
        ("meeting_invitation_suggestions", "招待する団体の提案 organizations suggested to invite", "api", "GET /api/v1/meetings/{meeting}/invitation-suggestions/", "login ok 403 403 ok ok"),
        ("meeting_tables", "グループ分け（保存したものか提案） table groups (saved or proposed)", "api", "GET /api/v1/meetings/{meeting}/table-groups/", "login ok 403 403 ok ok"),
        ("meeting_tables_propose", "グループ分けの提案 propose table groups", "api", "POST /api/v1/meetings/{meeting}/table-groups/propose/", "login ok 403 403 ok ok"),
        ("meeting_tables_save", "グループ分けの保存 save table groups", "api", "PUT /api/v1/meetings/{meeting}/table-groups/", "login ok 403 403 ok ok"),
        ("meeting_register", "団体として参加申込 register the organization", "api", "POST /api/v1/meetings/{open_meeting}/registrations/", "login ok invalid invalid invalid invalid"),
        ("meeting_register", "団体として参加申込 register the organization", "web", "POST /meetings/{open_meeting}/register/", "login ok invalid invalid invalid invalid"),
        ("registration_cancel", "参加申込の取消 cancel a registration", "api", "POST /api/v1/meetings/{partner_meeting}/registrations/{own_registration}/cancel/", "login ok 403 403 ok ok"),
        ("registration_cancel", "参加申込の取消 cancel a registration", "web", "POST /my/meetings/registrations/{own_registration}/cancel/ confirmed", "login ok 404 404 ok ok"),
        ("registration_ics", ".ics ファイル（参加申込） calendar file of a registration", "api", "GET /api/v1/meetings/{partner_meeting}/registrations/{own_registration}/ics/", "login ok 404 404 ok ok"),
        ("registration_approve", "参加申込の承認（承認制） approve a registration", "api", "POST /api/v1/meetings/{approval_meeting}/registrations/{pending_registration}/approve/", "login ok 403 403 ok ok"),
        ("registration_approve", "参加申込の承認（承認制） approve a registration", "web", "POST /my/meetings/{approval_meeting}/registrations/{pending_registration}/approve/", "login ok 403 403 ok ok"),
        ("registration_decline", "参加申込のお断り（承認制） decline a registration", "api", "POST /api/v1/meetings/{approval_meeting}/registrations/{pending_registration}/decline/", "login ok 403 403 ok ok"),
        ("registration_decline", "参加申込のお断り（承認制） decline a registration", "web", "POST /my/meetings/{approval_meeting}/registrations/{pending_registration}/decline/", "login ok 403 403 ok ok"),
    ),
    *_rows(
        "交流の場の当日と開催後 meetings: the day and after",
        ("meeting_attendance", "参加者名簿（氏名つき） attendance list with names", "api", "GET /api/v1/meetings/{started_meeting}/attendance/", "login ok 403 403 ok ok"),
        ("meeting_check_in", "受付（一覧から） check in from the list", "api", "POST /api/v1/meetings/{started_meeting}/registrations/{checkin_registration}/check-in/", "login ok 403 403 ok ok"),
        ("meeting_check_in_qr", "受付（QRコードから） check in by the QR code", "api", "POST /api/v1/meetings/checkin/{checkin_token}/", "login ok 403 403 ok ok"),
        ("meeting_qr_code", "参加申込のQRコード QR code of a registration", "api", "GET /api/v1/meetings/{partner_meeting}/registrations/{own_registration}/qr.svg/", "login ok 403 403 ok ok"),
        ("meeting_held", "開催済みにする mark as held", "api", "POST /api/v1/meetings/{started_meeting}/held/", "login ok 403 403 ok ok"),
        ("meeting_minutes_read", "議事録を読む（主催者・参加した団体） read the minutes (organizer, participants)", "api", "GET /api/v1/meetings/{ended_meeting}/minutes/", "login ok 403 403 ok ok"),
        ("meeting_minutes_write", "議事録を書く write the minutes", "api", "PUT /api/v1/meetings/{started_meeting}/minutes/", "login ok 403 403 ok ok"),
        ("meeting_report_publish", "開催報告の公開 publish the report", "api", "PUT /api/v1/meetings/{started_meeting}/report/", "login ok 403 403 ok ok"),
        ("meeting_report_read", "公開された開催報告 published report", "api", "GET /api/v1/meetings/{ended_meeting}/report/", "ok ok ok ok ok ok"),
        ("meeting_photo_add", "開催報告の写真 add a photo to the report", "api", "POST /api/v1/meetings/{started_meeting}/photos/", "login ok 403 403 ok ok"),
        ("meeting_wishes_submit", "参加後アンケート（もっと話したい団体） post-meeting form for the organization", "api", "POST /api/v1/meetings/{ended_meeting}/wishes/", "login ok 403 403 403 403"),
        ("meeting_wishes_read", "参加後アンケートの回答を見る see the wishes", "api", "GET /api/v1/meetings/{ended_meeting}/wishes/", "login ok 403 403 ok ok"),
        # The pages (web/member/meeting_day.py, meeting_guests.py, web/public/meeting_day.py).
        ("meeting_invitation_suggestions", "招待する団体の提案 organizations suggested to invite", "web", "GET /my/meetings/{meeting}/suggestions/", "login ok 403 403 ok ok"),
        ("meeting_invite_several", "複数の団体の招待（提案の一覧から） invite several organizations (from the suggestions)", "web", "POST /my/meetings/{meeting}/suggestions/ organizations", "login ok 403 403 ok ok"),
        ("meeting_tables", "グループ分け（保存したものか提案） table groups (saved or proposed)", "web", "GET /my/meetings/{meeting}/tables/", "login ok 403 403 ok ok"),
        ("meeting_tables_save", "グループ分けの保存 save table groups", "web", "POST /my/meetings/{meeting}/tables/", "login ok 403 403 ok ok"),
        ("meeting_seating_list", "座席表（印刷用、参加者の氏名つき） printable seating list (with attendee names)", "web", "GET /my/meetings/{meeting}/tables/print/", "login ok 403 403 ok ok"),
        ("meeting_attendance", "参加者名簿（氏名つき） attendance list with names", "web", "GET /my/meetings/{started_meeting}/checkin/", "login ok 403 403 ok ok"),
        ("meeting_check_in", "受付（一覧から） check in from the list", "web", "POST /my/meetings/{started_meeting}/checkin/{checkin_registration}/", "login ok 403 403 ok ok"),
        ("meeting_qr_sheet", "受付用QRコードの印刷（全団体） printable QR codes of every registration", "web", "GET /my/meetings/{started_meeting}/checkin/qr/", "login ok 403 403 ok ok"),
        ("meeting_check_in_qr", "受付（QRコードの画面：団体名と受付ボタン） check in by the QR code (the page: organization and button)", "web", "GET /meetings/checkin/{checkin_token}/", "login ok 403 403 ok ok"),
        ("meeting_check_in_qr_post", "受付（QRコードの画面で受付する） check in on the QR code's page", "web", "POST /meetings/checkin/{checkin_token}/", "login ok 403 403 ok ok"),
        ("meeting_qr_code", "参加申込のQRコード QR code of a registration", "web", "GET /my/meetings/registrations/{own_registration}/qr/", "login ok 404 404 ok ok"),
        ("registration_ics", ".ics ファイル（参加申込） calendar file of a registration", "web", "GET /my/meetings/registrations/{own_registration}.ics", "login ok 404 404 ok ok"),
        ("meeting_held", "開催済みにする mark as held", "web", "POST /my/meetings/{started_meeting}/held/", "login ok 403 403 ok ok"),
        ("meeting_minutes_read", "議事録を読む（主催者・参加した団体） read the minutes (organizer, participants)", "web", "GET /meetings/{ended_meeting}/minutes/", "login ok 403 403 ok ok"),
        ("meeting_minutes_write", "議事録を書く write the minutes", "web", "POST /my/meetings/{started_meeting}/minutes/", "login ok 403 403 ok ok"),
        ("meeting_report_publish", "開催報告の公開 publish the report", "web", "POST /my/meetings/{started_meeting}/report/", "login ok 403 403 ok ok"),
        ("meeting_report_read", "公開された開催報告（会合のページ） published report (the meeting's page)", "web", "GET /meetings/{ended_meeting}/", "ok ok ok ok ok ok"),
        ("meeting_photo_add", "開催報告の写真 add a photo to the report", "web", "POST /my/meetings/{started_meeting}/photos/", "login ok 403 403 ok ok"),
        ("meeting_photo_unpublished", "公開前の開催報告の写真 a photo of a report not yet published", "web", "GET /meetings/{started_meeting}/photos/{photo}/", "404 ok 404 404 ok ok"),
        ("meeting_wishes_submit", "参加後アンケート（もっと話したい団体） post-meeting form for the organization", "web", "POST /meetings/{ended_meeting}/wishes/", "login ok 403 403 invalid invalid"),
        ("meeting_wishes_read", "参加後アンケート（自分の団体の回答） the post-meeting form with one's own answers", "web", "GET /meetings/{ended_meeting}/wishes/", "login ok 403 403 ok ok"),
        ("meeting_wishes_all", "参加後の希望（全団体の回答、主催者） every answer (organizer)", "web", "GET /my/meetings/{started_meeting}/wishes/", "login ok 403 403 ok ok"),
    ),
    *_rows(
        "評価・継続確認 evaluations and follow-ups",
        ("evaluation_submit", "評価の記入 evaluate", "api", "POST /api/v1/matches/{completed}/evaluations/", "login ok 403 403 ok ok"),
        ("evaluation_submit", "評価の記入 evaluate", "web", "POST /my/matches/{completed}/evaluate/", "login ok 404 404 403 403"),
        ("evaluation_view", "相手団体の評価（全員の評価がそろう前） partner's evaluation before all are in", "api", "GET /api/v1/matches/{completed}/evaluations/", "login hidden 403 403 ok ok"),
        ("follow_up_answer", "継続確認への回答 answer a follow-up", "api", "POST /api/v1/follow-ups/{follow_up}/answer/", "login ok 403 403 403 403"),
        ("follow_up_answer", "継続確認への回答 answer a follow-up", "web", "POST /my/follow-ups/{follow_up}/", "login ok 404 404 no-op no-op"),
        ("case_book", "事例集 case book", "web", "GET /cases/", "ok ok ok ok ok ok"),
        ("case_consent", "事例集への掲載に同意 consent to publish the case", "api", "POST /api/v1/matches/{completed}/publication/ consent", "login ok 404 404 403 403"),
        ("case_consent", "事例集への掲載に同意 consent to publish the case", "web", "POST /my/matches/{completed}/transition/ consent", "login ok 404 404 403 403"),
        ("case_revoke", "掲載の同意の取消 revoke the consent", "api", "POST /api/v1/matches/{evaluated}/publication/ revoke", "login ok 404 404 403 403"),
        ("case_revoke", "掲載の同意の取消 revoke the consent", "web", "POST /my/matches/{evaluated}/transition/ revoke_consent", "login ok 404 404 403 403"),
        ("case_approve_text", "事例集の公開文の承認 approve the public text", "api", "POST /api/v1/matches/{completed}/publication/ approve", "login 403 404 404 ok ok"),
        ("case_approve_text", "事例集の公開文の承認 approve the public text", "web", "POST /coord/matches/{completed}/action/ approve_publication", "login 403 403 403 ok ok"),
    ),
    *_rows(
        "通知 notifications",
        ("inbox", "自分の受信箱 own inbox", "api", "GET /api/v1/notifications/", "login ok ok ok ok ok"),
        ("inbox", "自分の受信箱 own inbox", "web", "GET /my/notifications/", "login ok ok ok ok ok"),
        ("notification_of_other", "他人の通知を見る someone else's notification", "api", "GET /api/v1/notifications/{victim_notification}/", "login 404 404 404 404 404"),
        ("mark_read_own", "自分の通知を既読に mark own as read", "api", "POST /api/v1/notifications/{own_notification}/read/", "login ok ok ok ok ok"),
        ("mark_read_own", "自分の通知を既読に mark own as read", "web", "POST /my/notifications/ ids", "login ok ok ok ok ok"),
        ("mark_read_other", "他人の通知を既読に mark someone else's as read", "api", "POST /api/v1/notifications/{victim_notification}/read/", "login 404 404 404 404 404"),
        ("mark_read_other", "他人の通知を既読に mark someone else's as read", "web", "POST /my/notifications/ ids", "login no-op no-op no-op no-op no-op"),
        ("open_notification_own", "自分の通知を開く（リンク先へ・既読に） open own notification", "web", "GET /my/notifications/{own_notification}/open/", "login ok ok ok ok ok"),
        ("open_notification_other", "他人の通知を開く open someone else's notification", "web", "GET /my/notifications/{victim_notification}/open/", "login 404 404 404 404 404"),
        ("preferences", "自分の通知設定 own preferences", "api", "PUT /api/v1/notification-preferences/", "login ok ok ok ok ok"),
        ("preferences", "自分の通知設定 own preferences", "web", "POST /my/notifications/settings/", "login ok ok ok ok ok"),
    ),
    *_rows(
        "集計・運用 KPI and operations",
        ("kpi_dashboard", "KPIダッシュボード KPI dashboard", "web", "GET /coord/kpi/", "login 403 403 403 ok ok"),
        ("progress_sheet", "進行管理シート progress sheet (CSV)", "web", "GET /coord/kpi/progress-sheet.csv", "login 403 403 403 ok ok"),
        ("consultation_kpi", "相談コマの利用状況 slot use", "api", "GET /api/v1/consultations/kpi/", "login 403 403 403 ok ok"),
        ("continuation_rate", "継続率 continuation rate", "api", "GET /api/v1/reports/continuation-rate/", "login 403 403 403 ok ok"),
        ("rescore", "全体の再計算 full re-score", "api", "POST /api/v1/matching/rescores/", "login 403 403 403 ok ok"),
        ("rescore", "全体の再計算 full re-score", "web", "POST /coord/rescore/", "login 403 403 403 ok ok"),
        ("match_round", "マッチングラウンドを始める start a match round", "api", "POST /api/v1/match-rounds/", "login 403 403 403 ok ok"),
        ("match_round", "マッチングラウンドを始める start a match round", "web", "POST /coord/rounds/start/", "login 403 403 403 ok ok"),
        ("match_round_view", "ラウンドの進み具合と結果 a round's progress and results", "api", "GET /api/v1/match-rounds/{round}/", "login 403 403 403 ok ok"),
        ("match_round_view", "ラウンドの進み具合と結果 a round's progress and results", "web", "GET /coord/rounds/{round}/", "login 403 403 403 ok ok"),
    ),
    *_rows(
        "個人情報 personal data",
        ("privacy_page", "個人情報のページ（団体管理者の団体だけ） personal-data page (organizations one administers)", "web", "GET /my/privacy/", "login ok hidden hidden hidden hidden"),
        ("org_export", "団体のデータの書き出し（JSON） export the organization's data", "api", "GET /api/v1/organizations/{owner_org}/export/", "login ok 403 403 ok ok"),
        ("org_export", "団体のデータの書き出し（JSON） export the organization's data", "web", "GET /my/privacy/{owner_org}/export.json", "login ok 404 404 404 404"),
        ("deletion_request_list", "削除の請求を見る see the deletion requests", "api", "GET /api/v1/organizations/{owner_org}/deletion-requests/", "login ok 403 403 ok ok"),
        ("deletion_request", "削除の請求 ask for deletion", "api", "POST /api/v1/organizations/{owner_org}/deletion-requests/", "login ok 403 403 403 403"),
        ("deletion_request", "削除の請求 ask for deletion", "web", "POST /my/privacy/{owner_org}/delete/", "login ok 404 404 404 404"),
    ),
    *_rows(
        "管理画面 Django admin",
        ("admin_index", "管理画面 admin index", "web", "GET /admin/", "login login login login ok ok"),
        ("admin_changelist", "団体の一覧 organization changelist", "web", "GET /admin/organizations/organization/", "login login login login ok ok"),
        ("admin_org_contacts", "団体の連絡先 organization's contacts", "web", "GET /admin/organizations/organization/{owner_org}/change/", "login login login login ok ok"),
        ("admin_add_user", "利用者の追加（権限の付与） add a user (grant roles)", "web", "GET /admin/organizations/user/add/", "login login login login 403 ok"),
        ("admin_audit_log", "監査ログ audit log", "web", "GET /admin/auditlog/logentry/", "login login login login 403 ok"),
        ("admin_deletion_requests", "削除の請求の一覧 deletion requests", "web", "GET /admin/organizations/deletionrequest/", "login login login login ok ok"),
        ("admin_deletion_request_note", "削除の請求の対応記録 deletion request's handling note", "web", "POST /admin/organizations/deletionrequest/{deletion_request}/change/", "login login login login ok ok"),
        ("admin_access_log", "個人情報の閲覧記録 personal data access log", "web", "GET /admin/organizations/personaldataaccess/", "login login login login 403 ok"),
    ),
    *_rows(
        "規約・ポリシー terms and privacy policy",
        ("legal_pages", "利用規約・プライバシーポリシー・問い合わせ先 the three pages", "web", "GET /terms/ /privacy/ /contact/", "ok ok ok ok ok ok"),
        ("legal_documents", "現在の版 the current versions", "api", "GET /api/v1/legal/documents/", "ok ok ok ok ok ok"),
        ("legal_consent", "新しい版への自分の同意 own consent to a new version", "api", "POST /api/v1/legal/consents/", "login ok ok ok ok ok"),
        ("legal_consent", "新しい版への自分の同意 own consent to a new version", "web", "POST /consent/", "login ok ok ok ok ok"),
        ("legal_versions", "版と同意の状況 versions and consent counts", "web", "GET /coord/legal/", "login 403 403 403 ok ok"),
        ("legal_publish", "新しい版の公開 publish a new version", "web", "POST /coord/legal/privacy/edit/", "login 403 403 403 ok ok"),
        ("admin_legal_publish", "新しい版の公開（管理画面） publish a new version in the admin", "web", "POST /admin/legal/document/add/", "login login login login 403 ok"),
        ("admin_consents", "同意の記録 consent records", "web", "GET /admin/legal/consent/", "login login login login 403 ok"),
    ),
]
# fmt: on


def cells() -> list[tuple[str, Row, str]]:
    """Every (role, row, expected outcome): what the test runs, one test per cell."""
    return [(role, row, outcome) for row in ROWS for role, outcome in row.outcomes.items()]


def render_markdown() -> str:
    """The table as it appears in docs/security.md."""
    header = "| 対象 resource | 操作 action | | request | " + " | ".join(
        f"{ja}<br>{en}" for _key, ja, en in ROLES
    )
    lines = [header + " |", "|" + "---|" * (4 + len(ROLES))]
    for row in ROWS:
        marks = " | ".join(SYMBOLS[o] for o in row.outcomes.values())
        lines.append(
            f"| {row.resource} | {row.action} | {row.channel} | `{row.request}` | {marks} |"
        )
    lines.append("")
    lines.append("| | meaning | API | web |")
    lines.append("|---|---|---|---|")
    for name, (meaning, api, web) in OUTCOMES.items():
        lines.append(f"| {SYMBOLS[name]} `{name}` | {meaning} | {api} | {web} |")
    return "\n".join(lines) + "\n"


def _check() -> None:
    seen = set()
    for row in ROWS:
        row.outcomes  # noqa: B018 — validates the cells
        if (row.key, row.channel) in seen:
            raise ValueError(f"duplicate row {row.key}-{row.channel}")
        seen.add((row.key, row.channel))


_check()

if __name__ == "__main__":
    print(render_markdown(), end="")
