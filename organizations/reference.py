"""Reference classifications seeded by data migrations (the same codes as the datasets)."""

# (code, official name in the NPO Act's annexed table, short name)
FIELDS: list[tuple[str, str, str]] = [
    ("welfare", "保健、医療又は福祉の増進を図る活動", "保健・医療・福祉"),
    ("social_education", "社会教育の推進を図る活動", "社会教育"),
    ("community", "まちづくりの推進を図る活動", "まちづくり"),
    ("tourism", "観光の振興を図る活動", "観光"),
    ("rural", "農山漁村又は中山間地域の振興を図る活動", "農山漁村・中山間地域"),
    (
        "culture_arts_sports",
        "学術、文化、芸術又はスポーツの振興を図る活動",
        "学術・文化・芸術・スポーツ",
    ),
    ("environment", "環境の保全を図る活動", "環境"),
    ("disaster", "災害救援活動", "災害救援"),
    ("community_safety", "地域安全活動", "地域安全"),
    ("human_rights_peace", "人権の擁護又は平和の推進を図る活動", "人権・平和"),
    ("international", "国際協力の活動", "国際協力"),
    ("gender_equality", "男女共同参画社会の形成の促進を図る活動", "男女共同参画"),
    ("children", "子どもの健全育成を図る活動", "子どもの健全育成"),
    ("information_society", "情報化社会の発展を図る活動", "情報化社会"),
    ("science_technology", "科学技術の振興を図る活動", "科学技術"),
    ("economy", "経済活動の活性化を図る活動", "経済活動"),
    ("vocational", "職業能力の開発又は雇用機会の拡充を支援する活動", "職業能力・雇用"),
    ("consumer", "消費者の保護を図る活動", "消費者保護"),
    (
        "npo_support",
        "前各号に掲げる活動を行う団体の運営又は活動に関する連絡、助言又は援助の活動",
        "団体の運営・活動支援",
    ),
    (
        "municipal_ordinance",
        "前各号に掲げる活動に準ずる活動として都道府県又は指定都市の条例で定める活動",
        "条例で定める活動",
    ),
]

RESOURCE_KINDS: list[tuple[str, str]] = [
    ("people", "人材"),
    ("knowledge", "知識・経験"),
    ("place", "場所"),
    ("funds", "資金"),
    ("network", "情報・ネットワーク"),
]

# (code, name, description)
FORMS: list[tuple[str, str, str]] = [
    ("commission", "委託", "市が事業を委託し、費用を支払う。"),
    ("co_host", "共催", "双方が主催者として共同で実施する。"),
    ("cooperation", "事業協力", "それぞれの強みを持ち寄り、相手の事業に協力する。"),
    ("executive_committee", "実行委員会", "共同の実行委員会が事業を運営する。"),
    ("designated_manager", "指定管理", "公の施設の管理を担う。"),
    ("subsidy", "補助", "市が団体の活動に補助する。"),
    ("endorsement", "後援", "名義の後援や広報で支援する。"),
    ("information_exchange", "情報交換・意見交換", "情報や意見の交換のみを行う。"),
]

SUPPORTS: list[tuple[str, str]] = [
    ("venue", "会場・施設の提供"),
    ("publicity", "広報（広報紙・ウェブサイト等）"),
    ("school_coordination", "学校との調整"),
    ("facility_coordination", "公共施設・博物館等との調整"),
    ("cost_share", "費用の一部負担"),
    ("equipment", "備品・資材の貸出"),
    ("expertise", "専門知識・データの提供"),
    ("volunteers", "人員の派遣"),
]
