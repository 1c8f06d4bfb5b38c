"""Words of the demo year (demo/projects.py, demo/pipeline.py): firms and their people,
minutes and issues, why leads were lost, what referrers wrote."""

import random
from typing import NamedTuple

import phonenumbers
from pypinyin import lazy_pinyin

from core.leads import DUPLICATE_COMPANY_SCORE
from core.matching import match_score, normalise_company

INDUSTRY_WEIGHTS = (
    ("precision-machinery", 22), ("auto-parts", 18), ("electronics", 16), ("new-materials", 14),
    ("food-processing", 10), ("biomedicine", 10), ("modern-logistics", 10),
)  # fmt: skip
INDUSTRIES = tuple(code for code, _ in INDUSTRY_WEIGHTS)
CHINESE_SHARE = 0.55
CITIES = "苏州 无锡 常州 宁波 温州 佛山 东莞 重庆 绵阳 德阳 武汉 长沙 合肥 烟台 厦门 天津".split()  # noqa: SIM905
# A Chinese firm's trade name: one character of each list, never the same sound twice.
BRAND_FIRST = "华恒金鼎宏天嘉德永博凯鑫安同远精利光宝弘昌聚启智通昊祥铭腾锦瀚凌泽海顺晨庆"
BRAND_SECOND = "瑞丰成禾兴峰达源诺信升泰创航诚康盛邦辉"
# Per industry (in INDUSTRIES' order): two trades, in Chinese and as the firm writes it in English.
TRADES = (
    (("精密机械", "Precision Machinery"), ("数控装备", "CNC Equipment")),
    (("汽车零部件", "Auto Parts"), ("汽车电子", "Automotive Electronics")),
    (("电子科技", "Electronic Technology"), ("光电科技", "Optoelectronics")),
    (("新材料", "New Materials"), ("复合材料", "Composite Materials")),
    (("食品", "Foods"), ("农产品加工", "Agricultural Products")),
    (("生物医药", "Biopharmaceutical"), ("医疗器械", "Medical Devices")),
    (("供应链管理", "Supply Chain"), ("冷链物流", "Cold Chain Logistics")),
)
SURNAMES_ZH, GIVEN_ZH = (
    "王李张刘陈杨黄周吴徐孙胡朱高林何郭马罗",
    "伟芳敏静丽强磊军洋勇艳杰涛明超霞平刚",
)
ENGLISH = ("Precision", "Automotive", "Electronics", "Materials", "Foods", "Life Sciences",
           "Logistics")  # fmt: skip
# Country: (language, weight, surnames, first names, legal forms, a word per industry)
EUROPE = {
    "DE": ("de", 30, "Hartmann Brandt Vogel Krüger Lehmann Seidel Albrecht Winkler Lorenz "
           "Baumann Kaiser Engel Böhm Franke Schuster Sommer Ziegler Kuhn Graf",
           "Lukas Katrin Stefan Julia Matthias Sabine", ("GmbH", "AG", "GmbH & Co. KG"),
           ("Antriebstechnik", "Fahrzeugtechnik", "Elektronik", "Werkstofftechnik",
            "Lebensmitteltechnik", "Medizintechnik", "Logistik")),
    "FR": ("fr", 18, "Lefèvre Garnier Rousseau Fontaine Chevalier Girard Mercier Perrin Bonnet "
           "Lambert Faure", "Camille Nicolas Isabelle Julien Élodie", ("SAS", "SA"),
           ("Mécanique", "Équipements Automobiles", "Électronique", "Composites",
            "Agroalimentaire", "Santé", "Logistique")),
    "IT": ("en", 14, "Ferraro Galli Colombo Ricci Marini Fontana Greco Conti Bruno",
           "Giulia Marco Francesca Luca", ("S.p.A.", "S.r.l."), ("Meccanica", "Componenti Auto",
           "Elettronica", "Materiali", "Alimentare", "Farmaceutici", "Logistica")),
    "AT": ("de", 8, "Gruber Huber Pichler Steiner Wimmer Moser", "Florian Theresa", ("GmbH",),
           ("Maschinenbau", "Automotive", "Sensorik", "Kunststoffe", "Nahrungsmittel", "Pharma",
            "Spedition")),
    "NL": ("en", 8, "Visser Bakker Mulder Smit Jansen Dekker", "Sanne Daan", ("B.V.",), ENGLISH),
    "SE": ("en", 6, "Lindqvist Holm Sandberg Ekström", "Johan Maria", ("AB",), ENGLISH),
    "ES": ("en", 6, "Navarro Ortega Castillo Romero Vidal", "Lucía Javier", ("S.A.", "S.L."),
           ("Mecánica", "Automoción", "Electrónica", "Materiales", "Alimentación", "Farma",
            "Logística")),
}  # fmt: skip
ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "é": "e", "è": "e", "í": "i", "ú": "u"})
# The year's pipeline (demo/pipeline.py) needs hundreds of names beyond the projects': more
# brand characters and surnames, two more countries, and fewer European firms.
MORE_BRAND_SECOND = "佳隆润福和宇维普捷元汇朗森"
MORE_SURNAMES = {
    "DE": "Schröder Neumann Schwarz Zimmermann Braun Hofmann Schmitt Werner Krause Wolf Schulz "
          "Jung Hahn Keller Fuchs Vogt Roth Beck Haas Busch Bergmann Pohl Ludwig Dietrich Horn "
          "Walter Heinrich Thiele Jäger Otto Schumacher Pfeiffer Wagner Lange Berger Scholz",
    "FR": "Moreau Laurent Michel Leroy Roux Morel Fournier Gauthier Blanc Guérin Boyer André "
          "Renaud Picard Lemoine Roussel Vincent Masson Marchand Dumas Brun Meunier Barbier "
          "Arnaud Carpentier Aubert Leclerc Colin",
    "IT": "Rossi Russo Esposito Romano Gallo Costa Giordano Mancini Lombardi Moretti Barbieri "
          "Rinaldi Caruso Ferri Santoro Leone Longo Gentile Villa Serra Cattaneo",
    "AT": "Leitner Eder Aigner Hofer Lechner Bauer Haider Schwaiger Reiter Brunthaler",
    "NL": "Bos Vos Peters Hendriks Dijkstra Smits Kok Brouwer Meijer Willems",
    "SE": "Berglund Nyström Lundgren Sjöberg Forsberg Wallin Engström",
    "ES": "Moreno Jiménez Ruiz Serrano Molina Delgado Rubio Marín Sanz Iglesias Medina",
}  # fmt: skip


class Firm(NamedTuple):
    company: str
    latin: str | None
    country: str
    language: str
    person: str
    email: str
    phone: str | None


class Pool(NamedTuple):
    """Where draw_firm takes its names from."""

    chinese_share: float
    brand_first: str
    brand_second: str
    europe: dict


YEAR = Pool(CHINESE_SHARE, BRAND_FIRST, BRAND_SECOND, EUROPE)
PIPELINE = Pool(
    0.7, BRAND_FIRST, BRAND_SECOND + MORE_BRAND_SECOND,
    {
        **{c: (*spec[:2], f"{spec[2]} {MORE_SURNAMES[c]}", *spec[3:])
           for c, spec in EUROPE.items()},
        "CH": ("de", 6, "Brunner Gerber Baumgartner Frei Widmer Zürcher Kälin Suter Egli",
               "Reto Andrea Urs", ("AG", "GmbH"), EUROPE["DE"][5]),
        "BE": ("fr", 5, "Peeters Janssens Claes Goossens Wouters Lemaire Dumont Jacobs",
               "Pierre Els Wim", ("SA", "SRL"), EUROPE["FR"][5]),
    },
)  # fmt: skip


def _pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text))


def _chinese(rng: random.Random, industry: str, taken: set[str], pool: Pool) -> Firm:
    city = rng.choice(CITIES)
    brand = rng.choice(pool.brand_first) + rng.choice(pool.brand_second)
    # As many tries as there are brands: should they all be taken, one is used again elsewhere.
    for _ in range(len(pool.brand_first) * len(pool.brand_second)):
        if _pinyin(brand) not in taken:
            break
        brand = rng.choice(pool.brand_first) + rng.choice(pool.brand_second)
    taken.add(_pinyin(brand))
    trade, trade_en = rng.choice(TRADES[INDUSTRIES.index(industry)])
    legal = "股份有限公司" if rng.random() < 0.2 else "有限公司"
    city_py, brand_py = _pinyin(city).title(), _pinyin(brand).title()
    latin = f"{city_py} {brand_py} {trade_en} Co., Ltd." if rng.random() < 0.5 else None
    person = rng.choice(SURNAMES_ZH) + "".join(rng.choices(GIVEN_ZH, k=rng.choice((1, 2))))
    email = f"{_pinyin(person)}@{brand_py.lower()}-{city_py.lower()}.example"
    phone = f"+8613{rng.randrange(10**8, 10**9)}"  # E.164, as staff forms store it
    return Firm(f"{city}{brand}{trade}{legal}", latin, "CN", "zh", person, email, phone)


def _mobile(rng: random.Random, country: str) -> str:
    """A valid mobile number of the country (E.164, as staff forms store them): editing the
    contact later must not trip over the demo's own number."""
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    digits = str(example.national_number)
    number = phonenumbers.parse(f"+{example.country_code}{digits[:-4]}{rng.randrange(10**4):04d}")
    number = number if phonenumbers.is_valid_number(number) else example
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _european(rng: random.Random, industry: str, taken: set[str], left: dict) -> Firm:
    country = rng.choices(list(left), [spec[1] for spec in left.values()])[0]
    language, _, surnames, firsts, forms, words = left[country]
    surname = rng.choice([s for s in surnames.split() if s not in taken])
    taken.add(surname)
    first = rng.choice(firsts.split())
    domain = surname.lower().translate(ASCII).replace(" ", "-")
    phone = _mobile(rng, country)
    email = f"{first.lower().translate(ASCII)}.{domain}@{domain}.example"
    company = f"{surname} {words[INDUSTRIES.index(industry)]} {rng.choice(forms)}"
    phone = phone if rng.random() < 0.7 else None
    return Firm(company, None, country, language, f"{first} {surname}", email, phone)


def draw_firm(
    rng: random.Random, industry: str, taken: set[str], keys: list[str], pool: Pool = YEAR
) -> Firm:
    """A Chinese or European firm of the industry, its names unlike every one in keys (the
    normalised names of core.matching; its own is added) so no duplicate is flagged: the check
    of core.leads compares the Chinese name and the Latin one with every lead's key."""
    while True:
        left = {c: spec for c, spec in pool.europe.items() if set(spec[2].split()) - taken}
        if rng.random() < pool.chinese_share or not left:
            found = _chinese(rng, industry, taken, pool)
        else:
            found = _european(rng, industry, taken, left)
        names = {normalise_company(name) for name in (found.company, found.latin) if name}
        if all(
            match_score(name, other) < DUPLICATE_COMPANY_SCORE for name in names for other in keys
        ):
            keys.append(normalise_company(found.latin or found.company))
            return found


# (title, minutes, decisions, actions: (text, owner in words or None for the project's agent,
# due so many days after the meeting, done so many days after it or None: still open))
MEETINGS = (
    ("项目推进协调会", "企业介绍建设计划；发改、自然资源、生态环境部门说明审批要求。",
     "环评与规划许可并联办理；园区代办员每周向企业通报进度。",
     (("提交环境影响报告书（送审稿）", "企业", 14, 10),
      ("确定施工临时用电接入方案", None, 10, None),
      ("出具规划设计条件", "县自然资源和规划局", 20, 15))),
    ("水电气接入专题会", "供电、供水、燃气单位到会，逐项核对接入容量和时间。",
     "10kV专线由供电公司建设，园区承担红线外管网。",
     (("报送用电负荷申请", "企业", 7, 5), ("完成红线外供水管网设计", "园区建设部", 30, None),
      ("协调燃气公司出具接入意见", None, 21, 18))),
    ("开工前现场协调会", "现场查看场地平整和临时道路；施工单位汇报进场准备。",
     "施工许可办结后即开工，质量安全监督同步交底。",
     (("完成场地平整验收", "园区建设部", 10, 9), ("提交施工图审查合格书", "企业", 15, None),
      ("安排质量安全监督交底", None, 20, 12))),
)  # fmt: skip
# (description, department, due so many days after it was raised, resolution, resolved so many
# days after it was raised or None: still open)
ISSUES = (
    ("地块内10kV线路需迁改，影响场地平整。", "natural-resources", 30,
     "供电公司完成迁改，场地已移交企业。", 26),
    ("环评审批需补充危险废物处置协议。", "ecology-environment", 20, "", None),
    ("外方股东要求书面确认优惠政策的兑现方式。", "development-reform", 15,
     "县发改局出具书面答复，企业已确认。", 12),
    ("施工许可需先完成消防设计审查，企业图纸尚未齐全。", "housing-construction", 15, "", None),
    ("危化品仓库安全评价报告待专家评审。", "emergency-management", 45, "", None),
)  # fmt: skip
# Why leads were lost, per reason code of the admin list (crm/admin/lists.py), as the officer
# noted it: (Chinese, English), Chinese on a Chinese-speaking lead, English on the others.
LOST_NOTES = {
    "other-location": (
        ("选择了重庆两江新区，对方给出的地价更低。",
         "Chose Chongqing Liangjiang for a lower land price."),
        ("最终落户越南，人工成本更低。", "Chose a site in Vietnam for lower labour costs."),
        ("集团决定扩建华东现有工厂。",
         "The group will expand its existing plant in eastern China."),
    ),
    "project-cancelled": (
        ("集团战略调整，取消西部布局。", "The group dropped its plans for western China."),
        ("市场需求下降，项目取消。", "Demand fell and the project was cancelled."),
    ),
    "budget": (
        ("融资未到位，项目搁置。", "Financing fell through; the project is on hold."),
        ("投资规模缩减到园区准入门槛以下。", "The investment shrank below the park's threshold."),
    ),
    "no-response": (
        ("多次电话和邮件联系均无回复。", "No answer to calls and emails for two months."),
        ("联系人已离职，公司无人跟进。", "The contact left the firm and nobody took over."),
    ),
    "land-or-power": (
        ("所需用地超出南片区近期可供地块。",
         "Needs more land than the south area can offer soon."),
        ("用电负荷大，新变电站投运前无法满足。",
         "Its power load must wait for the new substation."),
    ),
}  # fmt: skip
# What a referrer wrote of the firm: (plans, how known) in Chinese and in English.
REFERRAL_WORDS = (
    (("在西部新建生产基地。", "我们的长期供应商。"),
     ("A new production site in western China.", "Our supplier for many years.")),
    (("扩大产能，正在寻找合适地块。", "我们的客户。"),
     ("More capacity: looking for a suitable plot.", "One of our customers.")),
    (("设立区域装配和分拨中心。", "行业协会认识。"),
     ("A regional assembly and distribution centre.", "We know them from our trade association.")),
)  # fmt: skip
