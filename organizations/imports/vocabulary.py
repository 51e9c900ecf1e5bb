"""The words a registry file may use, mapped to ours: column headers (Japanese and English
aliases) and the values of the 種別, NPO法人区分, 活動分野 and 活動地域 cells.

Kept apart from the checks so that a new alias is one line here. Keys are compared with
:func:`_norm` (width, case, kana and punctuation folded)."""

from __future__ import annotations

import functools
import re
import unicodedata

from lib.japanese import fold
from organizations.models import Organization
from organizations.reference import FIELDS

# --- Columns ----------------------------------------------------------------------------

# key → (label shown in messages, accepted header names: Japanese first, then English)
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "name": ("団体名", ("団体名", "団体の名称", "名称", "name")),
    "name_kana": (
        "ふりがな",
        (
            "ふりがな",
            "フリガナ",
            "団体名ふりがな",
            "団体名(ふりがな)",
            "よみがな",
            "name_kana",
            "kana",
        ),
    ),
    "kind": ("種別", ("種別", "団体種別", "団体の種別", "kind", "type")),
    "npo_status": (
        "NPO法人区分",
        ("NPO法人区分", "NPO区分", "法人区分", "認証・認定", "npo_status"),
    ),
    "fields": ("活動分野", ("活動分野", "分野", "fields")),
    "areas": ("活動地域", ("活動地域", "地域", "活動区域", "areas")),
    "description": (
        "団体紹介",
        ("団体紹介", "団体の紹介", "紹介", "活動内容", "description"),
    ),
    "website": ("ウェブサイト", ("ウェブサイト", "ホームページ", "URL", "website", "web")),
    "contact_name": (
        "連絡担当者",
        ("連絡担当者", "担当者", "担当者名", "連絡先担当者", "contact_name", "contact"),
    ),
    "contact_email": (
        "メールアドレス",
        ("メールアドレス", "メール", "電子メール", "email", "e-mail", "mail", "contact_email"),
    ),
    "contact_phone": (
        "電話番号",
        ("電話番号", "電話", "TEL", "連絡先電話番号", "phone", "contact_phone"),
    ),
    "address": ("所在地", ("所在地", "住所", "address")),
    "activity_checked_on": (
        "活動状況確認日",
        ("活動状況確認日", "活動状況の確認日", "確認日", "activity_checked_on", "checked_on"),
    ),
    "external_id": (
        "登録番号",
        ("登録番号", "ID", "団体ID", "団体番号", "external_id"),
    ),
}

# Plain text columns copied to the model field of the same name.
TEXT_COLUMNS = ("name", "name_kana", "description", "contact_name", "address", "contact_phone")


_NOISE = re.compile(r"[\s()\[\]【】「」・/\-_.*＊※]|必須")


@functools.lru_cache(maxsize=16384)
def _norm(text: str) -> str:
    """Key for comparing labels: NFKC, lower case, hiragana, no spaces/brackets/dots.
    Cached: a registry repeats the same kinds, fields and areas on every row."""
    return _NOISE.sub("", fold(text))


_HEADER_KEYS: dict[str, str] = {
    _norm(alias): key for key, (_label, aliases) in COLUMNS.items() for alias in aliases
}

# --- Kinds and NPO status ---------------------------------------------------------------

_KIND_ALIASES: dict[str, tuple[str, ...]] = {
    Organization.Kind.NPO_CORPORATION: (
        "NPO法人",
        "特定非営利活動法人",
        "認証NPO法人",
        "認定NPO法人",
        "特例認定NPO法人",
        "指定NPO法人",
        "認定特定非営利活動法人",
    ),
    Organization.Kind.CITIZEN_GROUP: (
        "市民活動団体",
        "任意団体",
        "市民団体",
        "ボランティア団体",
        "ボランティアグループ",
        "サークル",
    ),
    Organization.Kind.NEIGHBORHOOD_ASSOCIATION: (
        "自治会・町内会",
        "自治会",
        "町内会",
        "町会",
        "区会",
    ),
    Organization.Kind.COMMUNITY_COUNCIL: (
        "地区協議会・まちづくり協議会",
        "地区協議会",
        "まちづくり協議会",
        "地域協議会",
        "地域コミュニティ",
        "連合自治会",
        "自治会連合会",
    ),
    Organization.Kind.BUSINESS: (
        "事業者",
        "企業",
        "会社",
        "株式会社",
        "有限会社",
        "合同会社",
        "民間企業",
        "商店",
        "商店会",
        "商店街",
    ),
    Organization.Kind.UNIVERSITY: ("大学", "短期大学", "短大", "大学等"),
    Organization.Kind.SCHOOL: ("学校", "小学校", "中学校", "高等学校", "高校", "専門学校"),
    Organization.Kind.CITY_DEPARTMENT: ("市の部署", "市の部署・施設", "担当課", "行政"),
    Organization.Kind.INTERMEDIARY: (
        "中間支援組織",
        "中間支援",
        "社会福祉協議会",
        "社協",
        "国際交流協会",
        "商工会議所",
        "市民活動サポートセンター",
    ),
}

_KINDS: dict[str, str] = {}
for _kind, _aliases in _KIND_ALIASES.items():
    for _alias in (*_aliases, _kind, Organization.Kind(_kind).label):
        _KINDS[_norm(str(_alias))] = str(_kind)

# A kind label that also says the NPO status (used when NPO法人区分 is blank).
_STATUS_FROM_KIND: dict[str, str] = {
    _norm("認定NPO法人"): Organization.NpoStatus.ACCREDITED,
    _norm("認定特定非営利活動法人"): Organization.NpoStatus.ACCREDITED,
    _norm("特例認定NPO法人"): Organization.NpoStatus.ACCREDITED,
    _norm("指定NPO法人"): Organization.NpoStatus.DESIGNATED,
    _norm("認証NPO法人"): Organization.NpoStatus.CERTIFIED,
}

_NPO_STATUSES: dict[str, str] = {}
for _status, _words in (
    (Organization.NpoStatus.NONE, ("なし", "該当なし", "無", "-", "ー", "none")),
    (Organization.NpoStatus.CERTIFIED, ("認証", "認証NPO法人", "certified")),
    (
        Organization.NpoStatus.ACCREDITED,
        ("認定", "特例認定", "仮認定", "認定NPO法人", "accredited"),
    ),
    (Organization.NpoStatus.DESIGNATED, ("指定", "条例指定", "指定NPO法人", "designated")),
):
    for _word in _words:
        _NPO_STATUSES[_norm(_word)] = str(_status)

# --- Fields -----------------------------------------------------------------------------

# Common short words in registries, on top of codes, short names and official names.
_FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "welfare": ("福祉", "保健", "医療", "保健福祉", "医療福祉", "高齢者福祉", "障がい者福祉"),
    "social_education": ("社会教育", "生涯学習", "教育"),
    "community": ("まちづくり", "街づくり", "地域づくり"),
    "tourism": ("観光",),
    "rural": ("農山漁村", "中山間地域", "農業", "農村"),
    "culture_arts_sports": ("学術", "文化", "芸術", "スポーツ", "文化芸術", "文化・芸術"),
    "environment": ("環境", "環境保全"),
    "disaster": ("災害救援", "災害", "防災"),
    "community_safety": ("地域安全", "防犯", "交通安全"),
    "human_rights_peace": ("人権", "平和", "人権・平和"),
    "international": ("国際協力", "国際交流", "国際", "多文化共生"),
    "gender_equality": ("男女共同参画",),
    "children": ("子どもの健全育成", "子ども", "子供", "こども", "子育て", "青少年"),
    "information_society": ("情報化社会", "情報化", "IT", "デジタル"),
    "science_technology": ("科学技術", "科学"),
    "economy": ("経済活動", "経済", "産業振興"),
    "vocational": ("職業能力", "雇用", "就労", "職業能力・雇用", "就労支援"),
    "consumer": ("消費者保護", "消費者"),
    "npo_support": ("団体の運営・活動支援", "中間支援", "団体支援", "NPO支援"),
    "municipal_ordinance": ("条例で定める活動",),
}

_FIELD_WORDS: dict[str, str] = {}
for _code, _official, _short in FIELDS:
    for _word in (_code, _official, _short, *_FIELD_ALIASES.get(_code, ())):
        _FIELD_WORDS[_norm(_word)] = _code

# Names containing a separator character (、・) are replaced before splitting a cell.
_FIELD_PHRASES: list[tuple[str, str]] = sorted(
    (
        (unicodedata.normalize("NFKC", word), code)
        for code, official, short in FIELDS
        for word in (official, short, *_FIELD_ALIASES.get(code, ()))
        if re.search(r"[、・]", word)
    ),
    key=lambda pair: -len(pair[0]),
)

_SEPARATORS = re.compile(r"[、,，;；/／・\n\r\t|｜]+")
_CITYWIDE = {_norm(w) for w in ("市全域", "全域", "全市", "市内全域", "市内全般", "市全体")}
