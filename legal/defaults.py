# ruff: noqa: E501 — legal text reads best one paragraph per line.
"""The texts a new installation starts with (version 1 of each document), in Japanese and
English. A city edits them before going live (/coord/legal/): its name, its 窓口, its
retention rules. Written for the Act on the Protection of Personal Information (個人情報の
保護に関する法律, APPI): purposes of use, what is shared with whom, retention, safety
measures, and where to ask for disclosure, correction or deletion.

``install`` is used by the data migration and by the tests after a database flush; it
takes the model so that the migration can pass its historical one.
"""

from __future__ import annotations

from typing import Any

TERMS_JA = """\
この利用規約（以下「本規約」）は、市と市民活動団体・NPO・自治会・企業・学校などの協働をつなぐサービス「つなぐ」（以下「本サービス」）の利用条件を定めるものです。本サービスを利用するすべての方（以下「利用者」）に適用されます。

# 第1条（目的）
本サービスは、市の部署が示す協働テーマと、団体が提供できること・求めていることを結び付け、コーディネーターの支援のもとで協働を進めることを目的とします。

# 第2条（利用登録）
団体の登録を希望する方は、本規約とプライバシーポリシーに同意のうえ、所定の方法で登録を申請します。
コーディネーターが団体の実在を確認するまで、団体の投稿は公開されず、マッチングの候補にもなりません。
登録内容に誤りや変更があった場合は、速やかに修正してください。

# 第3条（アカウントの管理）
利用者は、ユーザー名とパスワードを自らの責任で管理し、第三者に利用させてはなりません。
団体の管理者は、団体のメンバーの追加・削除を適切に行ってください。

# 第4条（投稿と公開）
公開状態のニーズ・シーズ、団体名・種別・活動分野・活動地域・紹介文・ウェブサイトは、どなたでも閲覧できます。
連絡先（担当者名・メールアドレス・電話番号・所在地）は公開されず、コーディネーターと、紹介を受けた協働の相手にだけ示されます。
利用者は、投稿する内容について必要な権利を有し、その内容を本サービスで表示することを運営者に許諾するものとします。
協働の評価や事例は、関係するすべての団体が同意した場合に限り、事例集に掲載します。

# 第5条（禁止事項）
利用者は、次の行為をしてはなりません。
- 法令または公序良俗に反する行為
- 虚偽の情報を登録・投稿する行為、他人になりすます行為
- 他の利用者や第三者の権利・利益・名誉を侵害する行為
- 営利のみを目的とした勧誘、宗教・政治活動への勧誘
- 本サービスで知った連絡先を、協働の検討・実施以外の目的に使う行為
- 本サービスの運営を妨げる行為、不正なアクセスや過度な負荷をかける行為

# 第6条（マッチングと協働）
本サービスが示すマッチングの候補は、登録内容にもとづく参考情報です。協働の内容・役割分担・費用などは、当事者どうしの話し合いと合意によって決まります。
市と団体の間の委託・補助などの契約は、本サービスとは別に、市の定める手続きによって行います。

# 第7条（サービスの変更・停止）
運営者は、保守、障害、その他やむを得ない事情により、予告なく本サービスの全部または一部を変更・停止することがあります。

# 第8条（利用の停止・登録の取消し）
利用者が本規約に違反した場合、運営者は事前の通知なく、投稿の非公開、利用の停止または登録の取消しを行うことがあります。

# 第9条（免責）
運営者は、利用者どうしの協働や連絡によって生じた損害について、運営者の故意または重大な過失による場合を除き、責任を負いません。

# 第10条（本規約の変更）
運営者は、必要に応じて本規約を変更します。重要な変更を行ったときは、ログイン時に新しい内容を示し、改めて同意をお願いします。

# 第11条（準拠法・管轄）
本規約は日本法に準拠します。本サービスに関して紛争が生じた場合は、運営者の所在地を管轄する地方裁判所を第一審の専属的合意管轄裁判所とします。
"""

TERMS_EN = """\
These terms of use ("the Terms") set out the conditions for using Tsunagu ("the Service"), which connects a city with citizen groups, NPOs, neighbourhood associations, businesses and schools for collaboration (協働). They apply to everyone who uses the Service ("users").

# Article 1 (Purpose)
The Service matches the collaboration themes of city departments with what groups can offer and what they need, and supports the resulting collaboration with coordinators.

# Article 2 (Registration)
A group registers by agreeing to these Terms and the Privacy Policy and applying in the way the Service provides.
A group's posts are not public and are not suggested to anyone until a coordinator has verified that the group exists.
Keep your registration up to date and correct it when it is wrong.

# Article 3 (Accounts)
Users keep their username and password to themselves and must not let anyone else use them.
A group's administrators add and remove its members as appropriate.

# Article 4 (Posts and what is public)
Open needs and offers, and a group's name, kind, fields, areas, description and website, can be seen by anyone.
Contact details (contact person, e-mail address, telephone number, address) are not public: they are shown to coordinators and to the partners of a collaboration once introduced.
Users hold the rights needed for what they post and allow the operator to show it on the Service.
Evaluations and cases are published in the case book only when every group involved agrees.

# Article 5 (Prohibited acts)
Users must not:
- break the law or public order and morals;
- register or post false information, or pretend to be someone else;
- infringe the rights, interests or reputation of other users or third parties;
- solicit for purely commercial, religious or political purposes;
- use contact details learned through the Service for anything other than considering or carrying out a collaboration;
- disrupt the Service, access it without authorisation or put an excessive load on it.

# Article 6 (Matching and collaboration)
Suggested partners are information based on what was registered. The content, roles and costs of a collaboration are decided by the parties' discussion and agreement.
Contracts between the city and a group (commissions, subsidies…) are made outside the Service, through the city's own procedures.

# Article 7 (Changes and interruptions)
The operator may change or stop all or part of the Service without notice for maintenance, faults or other unavoidable reasons.

# Article 8 (Suspension and cancellation)
When a user breaks these Terms, the operator may hide posts, suspend use or cancel the registration without prior notice.

# Article 9 (Disclaimer)
The operator is not liable for damage arising from collaboration or contact between users, except in cases of the operator's intent or gross negligence.

# Article 10 (Changes to these Terms)
The operator changes these Terms when needed. After an important change, users are shown the new text when they sign in and asked to agree again.

# Article 11 (Governing law and jurisdiction)
These Terms are governed by Japanese law. The district court with jurisdiction over the operator's location is the exclusive court of first instance for disputes about the Service.
"""

PRIVACY_JA = """\
本サービスの運営者（以下「運営者」）は、個人情報の保護に関する法律その他の法令を守り、利用者の個人情報を次のとおり取り扱います。

# 1. 取得する情報
- アカウントの情報：ユーザー名、表示名、メールアドレス、パスワード（復元できない形で保存します）、使用言語
- 団体の情報：団体名、種別、活動分野・地域、紹介文、ウェブサイト、連絡担当者の氏名・メールアドレス・電話番号・所在地
- 利用の記録：投稿（ニーズ・シーズ）、マッチング・紹介の経過、事前相談の予約と記録、評価、継続状況の回答、お知らせ
- 安全のための記録：ログインに失敗したときのユーザー名とIPアドレス、コーディネーターが連絡先を閲覧した記録
- 利用規約・本ポリシーに同意した版と日時
- クッキー：ログイン状態と表示言語の保持にだけ使います（広告や外部の解析サービスには使いません）

# 2. 利用目的
- 利用登録、本人確認、アカウントの管理
- 協働の相手の候補の提示（マッチング）と、コーディネーターによる紹介・調整
- 事前相談の日程調整、お知らせ・メールの送信
- 協働の評価・継続状況の確認と、個人を特定できない形での統計（協働の件数、継続率など）の作成
- 不正利用の防止と、障害・問い合わせへの対応
- 本サービスの改善

# 3. 第三者への提供
法令にもとづく場合を除き、本人の同意なく第三者に提供しません。本サービスの中では、次のとおり示されます。
- 団体の公開情報（団体名、種別、活動分野・地域、紹介文、ウェブサイト）と公開中の投稿は、どなたでも閲覧できます。
- 連絡先（担当者名・メールアドレス・電話番号・所在地）は、その団体のメンバー、コーディネーター、紹介を受けた協働の相手（紹介の時点から）にだけ示されます。コーディネーターによる閲覧は記録されます。
- 協働の経過・評価は、当事者の団体とコーディネーターが閲覧します。事例集への掲載は、関係するすべての団体が同意した場合に限ります。
- サーバーの運用やメール送信を外部の事業者に委託する場合は、契約により安全管理を求め、監督します。

# 4. 保存期間
- アカウントと団体の情報：登録が続く間。削除の請求があった場合は、コーディネーターが確認のうえ、原則として14日以内に消去します。
- 協働の経過・評価：市の協働の記録として保存します。団体を削除した後は、団体名と個人の情報を消去した形で残します。
- ログイン失敗の記録：不正利用の調査に必要な期間。
- バックアップ：最大12か月。消去した情報も、この期間はバックアップの中に残ることがあります。

# 5. 安全管理措置
- 役割に応じた閲覧・操作の制限（団体のメンバー、コーディネーター、管理者）
- 通信の暗号化（HTTPS）、パスワードのハッシュ化、ログイン失敗の回数制限
- 連絡先を閲覧した記録の保存と点検
- バックアップの暗号化と、管理者の限定
- 取り扱う職員への教育

# 6. 開示・訂正・利用停止・削除の請求
- 団体の管理者は、マイページの「団体のデータ（個人情報）」から、団体に関するデータをすべて書き出すことと、削除を請求することができます。
- 登録内容の訂正は、マイページからいつでも行えます。
- そのほかの開示・訂正・利用停止・削除の請求や、個人情報の取扱いに関する苦情・相談は、問い合わせ先の窓口で受け付けます。ご本人であることを確認したうえで、法令に従って対応します。

# 7. 本ポリシーの変更
必要に応じて本ポリシーを変更します。重要な変更を行ったときは、ログイン時に新しい内容を示し、改めて同意をお願いします。

# 8. 窓口
個人情報の取扱いに関するお問い合わせは、問い合わせ先のページに記載の窓口までご連絡ください。
"""

PRIVACY_EN = """\
The operator of the Service ("the operator") complies with the Act on the Protection of Personal Information and other laws, and handles users' personal information as follows.

# 1. What is collected
- Account: username, display name, e-mail address, password (stored so that it cannot be recovered), language
- Organization: name, kind, fields and areas of activity, description, website, and the contact person's name, e-mail address, telephone number and address
- Use of the Service: posts (needs and offers), the course of matches and introductions, consultation bookings and minutes, evaluations, follow-up answers, notifications
- Security records: the username and IP address of failed logins, and records of coordinators viewing contact details
- The version of the Terms and of this Policy you agreed to, and when
- Cookies: only to keep you signed in and to remember your language (no advertising, no third-party analytics)

# 2. Purposes of use
- registration, identity checks and account management
- suggesting collaboration partners (matching), and introductions and coordination by coordinators
- scheduling consultations, sending notifications and e-mails
- checking the evaluation and continuation of collaborations, and statistics that identify no one (numbers of collaborations, continuation rate…)
- preventing misuse, and handling faults and enquiries
- improving the Service

# 3. Disclosure to third parties
Personal information is not given to third parties without the person's consent, except where the law requires it. Within the Service it is shown as follows:
- An organization's public information (name, kind, fields and areas, description, website) and its open posts can be seen by anyone.
- Contact details (contact person, e-mail address, telephone number, address) are shown only to the organization's members, to coordinators and to the partners of a collaboration once introduced. Coordinators' viewing is logged.
- The course and evaluation of a collaboration are seen by the organizations involved and by coordinators. A case is published in the case book only when every organization involved agrees.
- When server operation or e-mail delivery is entrusted to a contractor, the contract requires safe handling and the operator supervises it.

# 4. Retention
- Accounts and organizations: while the registration lasts. After a request for deletion, a coordinator checks it and erases the data, as a rule within 14 days.
- The course and evaluation of collaborations: kept as the city's record of collaboration; after an organization is deleted, without its name or any personal information.
- Failed-login records: as long as needed to investigate misuse.
- Backups: up to 12 months; erased information may remain in backups for that long.

# 5. Safety measures
- access limited by role (organization members, coordinators, administrators)
- encrypted connections (HTTPS), hashed passwords, limits on failed logins
- records of who viewed contact details, and their review
- encrypted backups with a limited set of administrators
- training of the staff who handle the data

# 6. Requests for disclosure, correction, suspension or deletion
- An organization's administrators can download all of the organization's data and ask for its deletion on My page, "Organization data (personal information)".
- Registration details can be corrected on My page at any time.
- Other requests for disclosure, correction, suspension of use or deletion, and complaints about the handling of personal information, are received at the contact desk. We confirm your identity and respond as the law requires.

# 7. Changes to this Policy
The operator changes this Policy when needed. After an important change, users are shown the new text when they sign in and asked to agree again.

# 8. Contact
For questions about personal information, contact the desk given on the contact page.
"""

CONTACT_JA = """\
本サービスの運営、登録・利用方法、個人情報の取扱い（開示・訂正・利用停止・削除の請求、苦情・相談）についてのお問い合わせは、次の窓口で受け付けています。

# 窓口
〇〇市 市民自治推進課（協働推進担当）（例）
所在地：〒000-0000 〇〇市〇〇町1-1 市役所本庁舎3階（例）
電話：000-000-0000（例）
メール：kyodo@city.example.lg.jp（例）
受付時間：平日 8時30分〜17時15分（土日・祝日・年末年始を除く）

# お問い合わせの前に
- パスワードを忘れた場合は、ログイン画面の「パスワードを忘れた方」から再設定できます。
- 団体のデータの書き出しと削除の請求は、団体の管理者がマイページの「団体のデータ（個人情報）」から行えます。
- メールでのお問い合わせには、ユーザー名と団体名をお書き添えください。パスワードは書かないでください。
"""

CONTACT_EN = """\
For questions about the Service, registration and use, and the handling of personal information (requests for disclosure, correction, suspension of use or deletion, and complaints), contact:

# Contact desk
Civic Autonomy Promotion Division (collaboration), XX City (example)
Address: 1-1 XX-cho, XX City, 000-0000, City Hall main building 3F (example)
Telephone: 000-000-0000 (example)
E-mail: kyodo@city.example.lg.jp (example)
Hours: weekdays 8:30–17:15 (closed on weekends, public holidays and the New Year holidays)

# Before you ask
- If you forgot your password, reset it from "Forgot your password?" on the sign-in page.
- An organization's administrators can download its data and ask for its deletion on My page, "Organization data (personal information)".
- When writing by e-mail, give your username and organization's name. Never write your password.
"""

DEFAULTS: dict[str, dict[str, str]] = {
    "terms": {
        "title": "利用規約",
        "body": TERMS_JA,
        "title_en": "Terms of use",
        "body_en": TERMS_EN,
    },
    "privacy": {
        "title": "プライバシーポリシー（個人情報の取扱い）",
        "body": PRIVACY_JA,
        "title_en": "Privacy policy (handling of personal information)",
        "body_en": PRIVACY_EN,
    },
    "contact": {
        "title": "問い合わせ先",
        "body": CONTACT_JA,
        "title_en": "Contact",
        "body_en": CONTACT_EN,
    },
}


def install(document_model: Any) -> int:
    """Publish version 1 of each kind that has no version yet; returns how many."""
    added = 0
    for kind, text in DEFAULTS.items():
        if document_model.objects.filter(kind=kind).exists():
            continue
        document_model.objects.create(
            kind=kind,
            version=1,
            title=text["title"],
            body=text["body"].strip(),
            title_en=text["title_en"],
            body_en=text["body_en"].strip(),
            summary="",
            requires_consent=kind != "contact",
        )
        added += 1
    return added
