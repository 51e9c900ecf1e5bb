"""Deterministic generator of realistic synthetic Japanese needs and offers, at any scale.

Posts combine civic vocabulary by theme (welfare, children, disaster, environment, culture,
tourism, safety, international, gender, digital, economy, employment, consumer, NPO
support...), a fictional city's wards and districts, fields, forms and periods. Same seed →
same posts. Used by ``bench/engine_bench.py``; no Django.

    python bench/synth.py --needs 5 --offers 5      # print a few posts
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from datetime import date, timedelta

from matching.engine import AreaHierarchy, Need, Offer

WARDS = ["中央区", "北区", "南区", "東区", "西区", "港区", "緑区", "青葉区", "泉区", "若葉区"]

# theme: (fields, need titles, offer titles, need sentences, offer sentences, groups)
THEMES: dict[str, dict[str, list[str]]] = {
    "elderly": {
        "fields": ["welfare", "community"],
        "need_titles": [
            "一人暮らし高齢者の見守り体制づくり",
            "高齢者サロンの運営協力",
            "介護予防の体操教室の開催",
            "認知症の方と家族の居場所づくり",
            "買い物が難しい高齢者への支援",
        ],
        "offer_titles": [
            "シニアへの定期訪問と電話での安否確認",
            "介護予防体操の出張指導",
            "傾聴ボランティアの派遣",
            "認知症カフェの運営ノウハウ",
            "移動販売と買い物の付き添い",
        ],
        "need_text": [
            "高齢化率が上がり、一人暮らしの高齢者が増えています。",
            "民生委員だけでは見守りが行き届きません。",
            "定期的な訪問や声かけを担っていただける団体を募集します。",
            "地域包括支援センターとの連携をお願いします。",
        ],
        "offer_text": [
            "独居のお年寄りを週に一度訪ねています。",
            "介護の経験がある会員が多数います。",
            "公民館や集会所での出張講座が可能です。",
            "体操の指導ができるスタッフがいます。",
        ],
    },
    "children": {
        "fields": ["children", "welfare"],
        "need_titles": [
            "子育てひろばの運営",
            "子ども食堂の立ち上げ支援",
            "放課後の学習支援",
            "親子の交流イベントの共催",
            "不登校の子どもの居場所づくり",
        ],
        "offer_titles": [
            "乳幼児親子のサロンと育児相談",
            "子ども食堂の運営ノウハウの提供",
            "大学生による学習支援ボランティア",
            "絵本の読み聞かせ会",
            "フリースクールの運営経験",
        ],
        "need_text": [
            "子育て中の保護者が孤立しがちです。",
            "乳幼児と保護者が気軽に集まれる場所が不足しています。",
            "保育の経験があるスタッフによる運営を委託したいと考えています。",
            "放課後に子どもが安心して過ごせる場が必要です。",
        ],
        "offer_text": [
            "保育士の資格を持つメンバーが在籍しています。",
            "赤ちゃんとママ・パパが集える場を開いています。",
            "学生ボランティアが宿題を見ています。",
            "子供たちの居場所を週三回開いています。",
        ],
    },
    "disaster": {
        "fields": ["disaster", "community"],
        "need_titles": [
            "避難所運営訓練の企画・進行",
            "地区防災計画づくりの支援",
            "要配慮者の避難支援の仕組みづくり",
            "防災講座の開催",
            "災害ボランティアセンターの設置訓練",
        ],
        "offer_titles": [
            "避難所運営ゲームの指導",
            "防災ワークショップの企画と進行",
            "災害への備え講座",
            "被災地支援の経験を生かした助言",
            "防災マップづくりの支援",
        ],
        "need_text": [
            "大地震に備え、地域住民が主体となって避難所を運営する必要があります。",
            "自主防災組織の活動が停滞しています。",
            "高齢者や障がいのある方への配慮について助言をお願いします。",
            "訓練の進行役を務めていただける団体を探しています。",
        ],
        "offer_text": [
            "被災地で避難所の運営を支援した経験があります。",
            "図上訓練のファシリテーションができます。",
            "防災士の資格を持つ会員がいます。",
            "子育て世帯の目線で備蓄を考える講座を開いています。",
        ],
    },
    "environment": {
        "fields": ["environment", "rural"],
        "need_titles": [
            "放置竹林の整備",
            "河川敷の清掃活動",
            "外来種の駆除と生き物調査",
            "ごみ減量の啓発",
            "里山の保全活動の担い手づくり",
        ],
        "offer_titles": [
            "竹やぶの手入れと安全作業講習",
            "川のごみ拾いと水辺の観察会",
            "生物多様性の調査と助言",
            "リサイクルの出前講座",
            "雑木林の間伐ボランティア",
        ],
        "need_text": [
            "手入れされない竹林が広がっています。",
            "河川敷にごみが散乱しています。",
            "市民ボランティアとともに定期的な作業を行いたいと考えています。",
            "環境学習の機会をつくりたいと考えています。",
        ],
        "offer_text": [
            "毎月、里山で下草刈りを行っています。",
            "チェーンソーの安全講習ができます。",
            "自然観察会を年十回開いています。",
            "大学の研究室と連携した調査の実績があります。",
        ],
    },
    "culture": {
        "fields": ["culture_arts_sports", "social_education"],
        "need_titles": [
            "伝統芸能の後継者育成",
            "地域の祭りの運営協力",
            "郷土資料の記録とデジタル化",
            "市民音楽祭の共催",
            "文化財の案内ボランティア",
        ],
        "offer_titles": [
            "郷土芸能の指導者派遣",
            "祭りの運営ボランティア",
            "記録映像の制作",
            "合唱団の出演",
            "史跡のガイド",
        ],
        "need_text": [
            "担い手の高齢化で伝統が途絶えるおそれがあります。",
            "若い世代に技術を引き継ぎたいと考えています。",
            "演奏の記録や映像化に協力いただける方を求めています。",
            "会場の提供と広報を市が担います。",
        ],
        "offer_text": [
            "子ども向けの練習会を開いてきました。",
            "地域の行事への出演実績が多数あります。",
            "映像の撮影と編集ができます。",
            "太鼓や笛の指導ができる会員がいます。",
        ],
    },
    "safety": {
        "fields": ["community_safety", "children"],
        "need_titles": [
            "通学路の見守り活動",
            "高齢者の交通安全教室",
            "特殊詐欺の被害防止の啓発",
            "防犯パトロールの担い手確保",
            "自転車の安全利用講習",
        ],
        "offer_titles": [
            "登下校の見守りと声かけ",
            "シニア向けの体験型交通安全講習",
            "詐欺被害防止の寸劇",
            "青色防犯パトロール",
            "自転車の点検と乗り方講習",
        ],
        "need_text": [
            "交通事故のうち高齢者の割合が高くなっています。",
            "子どもの登下校の安全を確保したいと考えています。",
            "警察署との調整は市が行います。",
            "参加型の教室を一緒に企画してくださる団体を募集します。",
        ],
        "offer_text": [
            "元警察官がメンバーにいます。",
            "反射材の効果を体験する講習ができます。",
            "老人クラブへの出張が年間三十回以上あります。",
            "地域の見守りボランティアと協力しています。",
        ],
    },
    "international": {
        "fields": ["international", "social_education"],
        "need_titles": [
            "外国人住民向け日本語教室の運営",
            "多文化共生の地域づくり",
            "やさしい日本語の普及",
            "外国につながる子どもの学習支援",
            "災害時の多言語支援",
        ],
        "offer_titles": [
            "日本語学習支援ボランティア",
            "通訳・翻訳の協力",
            "国際交流イベントの企画",
            "留学生との交流会",
            "多言語の生活情報の発信",
        ],
        "need_text": [
            "外国籍の住民が年々増えています。",
            "ごみの出し方など生活情報が伝わっていません。",
            "日本語を学ぶ場を増やしたいと考えています。",
            "地域の行事への参加を促したいと考えています。",
        ],
        "offer_text": [
            "英語、中国語、ベトナム語の通訳ができる会員がいます。",
            "日本語教室を十年続けています。",
            "国際交流協会と連携しています。",
            "留学生のネットワークがあります。",
        ],
    },
    "gender": {
        "fields": ["gender_equality", "vocational"],
        "need_titles": [
            "父親向け育児講座",
            "女性の再就職支援セミナー",
            "男女共同参画の啓発講座",
            "DV被害の相談体制づくり",
            "男性の育児休業の推進",
        ],
        "offer_titles": [
            "パパ講座の講師派遣",
            "女性のキャリア相談",
            "ジェンダー平等の出前講座",
            "両立支援の社内研修",
            "育休取得の事例共有",
        ],
        "need_text": [
            "男性の家事・育児参加が進んでいません。",
            "職場に出向く講座を開きたいと考えています。",
            "企業との協働を求めます。",
            "講座の後援や周知に協力いただける部署を探しています。",
        ],
        "offer_text": [
            "企業の研修として講座を受け入れています。",
            "男性育休の取得率向上に取り組んでいます。",
            "センターの研修室を無料で提供できます。",
            "情報誌で周知に協力します。",
        ],
    },
    "digital": {
        "fields": ["information_society", "welfare"],
        "need_titles": [
            "高齢者のスマホ教室",
            "デジタル活用の相談会",
            "地域団体のホームページ作成支援",
            "オンライン会議の導入支援",
            "子ども向けプログラミング教室",
        ],
        "offer_titles": [
            "スマートフォンの使い方講座",
            "ITボランティアによる相談",
            "ウェブサイト制作の支援",
            "プログラミング体験の出前授業",
            "SNS発信の講座",
        ],
        "need_text": [
            "デジタル機器に不慣れな高齢者が多くいます。",
            "行政手続きのオンライン化が進んでいます。",
            "身近な場所で気軽に相談できる場が必要です。",
            "講師を派遣していただける団体を募集します。",
        ],
        "offer_text": [
            "エンジニアの社員が講師を務めます。",
            "公民館での講座の実績があります。",
            "パソコンを持ち込んで教えることができます。",
            "初心者向けの教材を用意しています。",
        ],
    },
    "economy": {
        "fields": ["economy", "vocational", "tourism"],
        "need_titles": [
            "商店街のにぎわいづくり",
            "中学生の職場体験の受け入れ先",
            "空き店舗の活用",
            "特産品の開発と販路づくり",
            "観光ボランティアガイドの育成",
        ],
        "offer_titles": [
            "加盟店での仕事体験の受け入れ",
            "空き店舗を使ったチャレンジショップ",
            "地元食材の商品開発",
            "観光案内ボランティア",
            "起業相談",
        ],
        "need_text": [
            "商店街の空き店舗が増えています。",
            "生徒を受け入れていただける事業所を探しています。",
            "観光客に地域の魅力を伝えたいと考えています。",
            "地域経済の活性化につなげたいと考えています。",
        ],
        "offer_text": [
            "商店会の事務局が取りまとめを担います。",
            "一店あたり一、二名の生徒を受け入れられます。",
            "観光ガイドの養成講座を開いています。",
            "中小企業の経営者が多く参加しています。",
        ],
    },
    "npo_support": {
        "fields": ["npo_support", "community"],
        "need_titles": [
            "市民活動団体の運営相談",
            "ボランティアの募集と仲介",
            "協働事業の事例集づくり",
            "団体間のネットワークづくり",
            "助成金の申請支援",
        ],
        "offer_titles": [
            "ボランティア募集の仲介とコーディネート",
            "NPOの会計・運営相談",
            "団体交流会の企画",
            "助成金情報の提供",
            "中間支援のノウハウ",
        ],
        "need_text": [
            "市民活動団体の担い手不足が課題です。",
            "団体同士の橋渡しをお願いしたいと考えています。",
            "活動の情報発信が十分ではありません。",
            "相談窓口を一緒に運営する団体を求めています。",
        ],
        "offer_text": [
            "登録ボランティアが千名以上います。",
            "団体の運営に関する相談に応じています。",
            "説明会や交流会を開いています。",
            "助成金の情報を定期的に発信しています。",
        ],
    },
    "consumer": {
        "fields": ["consumer", "welfare"],
        "need_titles": [
            "消費者被害の防止講座",
            "若者向けの金融教育",
            "悪質商法の啓発",
            "消費生活の出前講座",
            "高齢者の契約トラブルの防止",
        ],
        "offer_titles": [
            "消費者トラブルの寸劇と講座",
            "金銭教育の出前授業",
            "悪質商法の事例紹介",
            "消費生活相談員の派遣",
            "家計管理の講座",
        ],
        "need_text": [
            "高齢者をねらった悪質商法が後を絶ちません。",
            "成年年齢の引き下げで若者の被害が心配されています。",
            "学校や老人クラブに出向く講座を開きたいと考えています。",
            "消費生活センターと連携します。",
        ],
        "offer_text": [
            "元消費生活相談員が講師を務めます。",
            "学校への出前授業の実績があります。",
            "寸劇を使った分かりやすい講座が好評です。",
            "相談窓口の紹介もできます。",
        ],
    },
}

FORMS = [
    "commission",
    "co_host",
    "cooperation",
    "executive_committee",
    "designated_manager",
    "subsidy",
    "endorsement",
    "information_exchange",
]
KINDS = [
    "npo_corporation",
    "citizen_group",
    "neighborhood_association",
    "community_council",
    "business",
    "university",
    "school",
    "intermediary",
    "city_department",
]
# A long tail of words so the vocabulary looks like a real corpus (tens of thousands of
# terms), not a dozen templates: civic words from the engine's dictionary plus two-kanji
# compounds.
_KANJI = (
    "安全心地域住民活動支援交流生活環境文化教育福祉健康防災子育高齢障害国際情報経済観光農業"
    "漁業森林河川公園道路学校病院図書館市民協働計画調査研究技術資源循環再生歴史伝統芸能音楽"
    "美術体育運動食品保存記録映像写真広報相談窓口講座研修会議施設運営管理維持改善整備開発"
)


def _tail_words() -> list[str]:
    import yaml

    from matching.engine.text import SYNONYMS_PATH

    raw = yaml.safe_load(SYNONYMS_PATH.read_text(encoding="utf-8"))
    words = sorted({str(w) for g in raw["synonyms"] for w in g})
    rng = random.Random("tail")
    words += sorted({rng.choice(_KANJI) + rng.choice(_KANJI) for _ in range(20000)})
    return words


TAIL_WORDS = _tail_words()
SALES = ["商品の販売も承ります。", "レンタルもご相談ください。", "料金はお見積もりします。"]


@dataclass(frozen=True)
class City:
    hierarchy: AreaHierarchy
    wards: list[str]
    districts: dict[str, list[str]]


def make_city(n_wards: int = 10, districts_per_ward: int = 6) -> City:
    parents: dict[str, str | None] = {}
    names: dict[str, str] = {}
    districts: dict[str, list[str]] = {}
    wards = []
    for w in range(n_wards):
        code = f"w{w:02d}"
        wards.append(code)
        parents[code] = None
        names[code] = WARDS[w % len(WARDS)]
        districts[code] = []
        for d in range(districts_per_ward):
            dc = f"{code}d{d}"
            parents[dc] = code
            names[dc] = f"{names[code]}第{d + 1}地区"
            districts[code].append(dc)
    return City(AreaHierarchy(parents, names), wards, districts)


def _areas(rng: random.Random, city: City) -> list[str]:
    r = rng.random()
    if r < 0.3:
        return list(city.wards)  # citywide, spelled as every ward
    if r < 0.7:
        return rng.sample(city.wards, rng.randint(1, 3))
    ward = rng.choice(city.wards)
    return rng.sample(city.districts[ward], rng.randint(1, 2))


def _theme(rng: random.Random) -> tuple[str, dict[str, list[str]]]:
    name = rng.choice(sorted(THEMES))
    return name, THEMES[name]


def _text(rng: random.Random, theme: dict, side: str, city: City, areas: list[str]) -> str:
    own = rng.sample(theme[f"{side}_text"], k=min(3, len(theme[f"{side}_text"])))
    # A sentence from another theme: real posts mention adjacent topics.
    other = THEMES[rng.choice(sorted(THEMES))][f"{side}_text"]
    place = city.hierarchy.name(areas[0]) if areas else "市内"
    sentences = [f"{place}で活動しています。" if side == "offer" else f"{place}での取組です。"]
    sentences += [*own, rng.choice(other)]
    a, b = rng.choice(TAIL_WORDS), rng.choice(TAIL_WORDS)
    sentences.append(
        f"{a}や{b}にも取り組んでいます。" if side == "offer" else f"{a}と{b}も課題です。"
    )
    if side == "offer" and rng.random() < 0.05:
        sentences += rng.sample(SALES, 2)
    rng.shuffle(sentences)
    return "".join(sentences)


def make_needs(n: int, city: City, seed: int = 1, prefix: str = "need") -> list[Need]:
    rng = random.Random(f"needs-{seed}")
    out = []
    base = date(2025, 4, 1)
    for i in range(n):
        _, theme = _theme(rng)
        areas = _areas(rng, city)
        start = base + timedelta(days=rng.randint(0, 240))
        out.append(
            Need(
                id=f"{prefix}-{i:06d}",
                organization_id=f"org-n{rng.randint(0, max(n // 10, 1)):05d}",
                organization_kind=rng.choice(KINDS),
                title=rng.choice(theme["need_titles"]),
                description=_text(rng, theme, "need", city, areas),
                fields=rng.sample(theme["fields"], k=rng.randint(1, len(theme["fields"]))),
                areas=areas,
                forms=rng.sample(FORMS, k=rng.randint(1, 3)),
                starts_on=start,
                ends_on=start + timedelta(days=rng.randint(60, 540)),
            )
        )
    return out


def make_offers(n: int, city: City, seed: int = 1, prefix: str = "offer") -> list[Offer]:
    rng = random.Random(f"offers-{seed}")
    out = []
    base = date(2025, 4, 1)
    for i in range(n):
        _, theme = _theme(rng)
        areas = _areas(rng, city)
        start = base + timedelta(days=rng.choice([0, 0, 0, 30, 120, 240]))
        capacity = rng.randint(1, 3)
        out.append(
            Offer(
                id=f"{prefix}-{i:07d}",
                organization_id=f"org-o{rng.randint(0, max(n // 3, 1)):06d}",
                organization_kind=rng.choice(KINDS),
                title=rng.choice(theme["offer_titles"]),
                description=_text(rng, theme, "offer", city, areas),
                fields=rng.sample(theme["fields"], k=rng.randint(1, len(theme["fields"]))),
                areas=areas,
                forms=rng.sample(FORMS, k=rng.randint(1, 4)),
                available_from=start,
                available_until=start + timedelta(days=rng.randint(180, 1000)),
                capacity=capacity,
                active_matches=rng.randint(0, capacity),
            )
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--needs", type=int, default=3)
    parser.add_argument("--offers", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    city = make_city()
    for p in [*make_needs(args.needs, city, args.seed), *make_offers(args.offers, city, args.seed)]:
        print(p.id, p.title, "|", p.description, sorted(p.fields), sorted(p.areas), sorted(p.forms))


if __name__ == "__main__":
    main()
