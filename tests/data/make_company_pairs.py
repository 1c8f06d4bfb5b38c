"""Writes tests/data/company_pairs.csv: labelled pairs of firms for the matcher's measures.

`python tests/data/make_company_pairs.py` (deterministic). Same firms across scripts, legal
forms, word orders, spellings, with and without place; different firms sharing a place, trade
words, a phone, a free-mail domain, a group, or all but one character of the brand.
"""

import csv
import random
import unicodedata
from pathlib import Path

from pypinyin import lazy_pinyin

OUT = Path(__file__).with_name("company_pairs.csv")
FIELDS = ("name", "latin", "country", "email", "phone")
PLACES = {
    "成都": "Chengdu",
    "绵阳": "Mianyang",
    "德阳": "Deyang",
    "宜宾": "Yibin",
    "乐山": "Leshan",
    "苏州": "Suzhou",
    "深圳": "Shenzhen",
    "杭州": "Hangzhou",
    "宁波": "Ningbo",
    "青岛": "Qingdao",
    "武汉": "Wuhan",
    "重庆": "Chongqing",
    "西安": "Xi'an",
    "泸州": "Luzhou",
    "南充": "Nanchong",
}
AREA = {
    "成都": "28",
    "绵阳": "816",
    "德阳": "838",
    "宜宾": "831",
    "乐山": "833",
    "苏州": "512",
    "深圳": "755",
    "杭州": "571",
    "宁波": "574",
    "青岛": "532",
    "武汉": "27",
    "重庆": "23",
    "西安": "29",
    "泸州": "830",
    "南充": "817",
}
BRANDS = [
    "蓝光",
    "天府",
    "华辰",
    "远航",
    "金达",
    "恒信",
    "博越",
    "瑞丰",
    "宏图",
    "新锐",
    "东升",
    "明泰",
    "嘉禾",
    "永盛",
    "兴隆",
    "鼎力",
    "凯旋",
    "佳美",
    "宇通",
    "长虹",
    "九洲",
    "川润",
    "银河",
    "德康",
    "科伦",
    "巨星",
    "海特",
    "天齐",
    "通威",
    "金石",
    "蜀道",
    "锦华",
    "利君",
    "迈普",
    "光明",
    "新希望",
    "红旗",
    "安泰",
    "万康",
    "盛达",
    "华森",
    "立信",
    "飞鹏",
    "长兴",
]
# Brands some firms translate rather than spell in pinyin: the names share no word, so only a
# shared firm domain brings them together (as a suggestion; with no contact they are missed).
TRANSLATED = {"蓝光": "Bluelight", "长虹": "Rainbow", "银河": "Galaxy", "光明": "Bright",
              "红旗": "Red Flag", "巨星": "Superstar", "金石": "Goldstone", "新希望": "New Hope",
              "九洲": "Nine Continents", "飞鹏": "Flying Roc"}  # fmt: skip
# Characters that change a brand into another firm's (蓝光 -> 蓝天), never sounding alike.
SWAP = "天星海龙山峰云宝泰华鑫源"
TRADES = {
    "电子": "Electronics",
    "精密机械": "Precision Machinery",
    "汽车零部件": "Auto Parts",
    "新材料": "New Materials",
    "食品": "Food",
    "生物医药": "Biotech Pharmaceutical",
    "智能装备": "Intelligent Equipment",
    "化工": "Chemical",
    "物流": "Logistics",
    "包装": "Packaging",
    "光电": "Optoelectronics",
    "医疗器械": "Medical Devices",
    "机器人": "Robotics",
    "新能源": "New Energy",
    "软件": "Software",
}
LEGAL_ZH = ("有限公司", "股份有限公司", "有限责任公司")
LEGAL_EN = ("Co., Ltd.", "Co.,Ltd", "Company Limited", "Corporation", "Ltd.")
FREE = (
    "163.com",
    "qq.com",
    "126.com",
    "sina.com",
    "foxmail.com",
    "gmail.com",
    "outlook.com",
    "hotmail.com",
    "yahoo.com.cn",
    "gmx.de",
    "web.de",
    "orange.fr",
    "free.fr",
    "example.com",
)
SURNAMES = [
    "Weber",
    "Becker",
    "Hoffmann",
    "Schneider",
    "Fischer",
    "Wagner",
    "Schulz",
    "Keller",
    "Richter",
    "Krüger",
    "Müller",
    "Köhler",
    "Schäfer",
    "Dubois",
    "Laurent",
    "Moreau",
    "Lefèvre",
    "Girard",
    "Bernard",
    "Rossi",
    "Bianchi",
    "Jansen",
    "Visser",
    "Brandt",
    "Vogel",
    "Lorenz",
    "Hartmann",
    "Günther",
    "Zimmermann",
    "Werner",
]
GERMAN_SPELLING = {"ü": "ue", "ö": "oe", "ä": "ae"}
EU_TRADES = (
    "Maschinenbau",
    "Logistik",
    "Präzisionstechnik",
    "Antriebstechnik",
    "Medizintechnik",
    "Kunststofftechnik",
    "Emballage",
    "Électronique",
    "Automotive",
    "Robotics",
)
EU_LEGAL = {
    "DE": ("GmbH", "AG", "GmbH & Co. KG", "SE"),
    "FR": ("SARL", "SAS", "S.A."),
    "IT": ("S.p.A.", "S.r.l."),
    "NL": ("B.V.", "N.V."),
}
EU_PHONE = {"DE": "+49", "FR": "+33", "IT": "+39", "NL": "+31"}
GROUPS = {
    "Bosch": ("Rexroth", "Packaging Technology", "Thermotechnik", "Power Tools"),
    "Siemens": ("Healthineers", "Energy", "Mobility", "Logistics"),
    "BASF": ("Coatings", "Catalysts", "Agricultural Solutions"),
    "Voith": ("Paper", "Hydro", "Turbo"),
    "Heraeus": ("Medical", "Noblelight", "Electronics"),
    "Freudenberg": ("Sealing Technologies", "Filtration Technologies", "Medical"),
    "Continental": ("Automotive", "Reifen", "Teves"),
    "ZF": ("Lemförder", "Sachs", "Wabco"),
    "Schaeffler": ("Technologies", "Automotive Aftermarket", "Industrial Drives"),
    "Haniel": ("Bekaert", "Cws", "Takkt"),
}


def ascii_word(word: str) -> str:
    word = "".join(GERMAN_SPELLING.get(c, c) for c in word.lower())
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def pinyin(text: str) -> str:
    return "".join(lazy_pinyin(text)).capitalize()


class Maker:
    def __init__(self) -> None:
        self.rng = random.Random(15)
        self.rows: list[dict] = []

    def phone(self, place: str = "成都") -> str:
        return f"+86{AREA[place]}{self.rng.randint(10**7, 10**8 - 1)}"

    def eu_phone(self, country: str) -> str:
        return f"{EU_PHONE[country]}{self.rng.randint(10**8, 10**9 - 1)}"

    def add(self, kind: str, label: str, a: dict, b: dict) -> None:
        row = {"kind": kind, "label": label}
        for side, firm in (("a", a), ("b", b)):
            for f in FIELDS:
                row[f"{side}_{f}"] = firm.get(f, "")
        self.rows.append(row)

    def zh_firm(self, place, brand, trade, legal=None, *, mail=None, phone=None) -> dict:
        legal = legal or self.rng.choice(LEGAL_ZH)
        return {
            "name": f"{place}{brand}{trade}{legal}",
            "country": "CN",
            "email": mail or "",
            "phone": phone or "",
        }

    def en_name(self, place, brand, trade, *, order=0) -> str:
        legal = self.rng.choice(LEGAL_EN)
        if order:
            return f"{pinyin(brand)} {TRADES[trade]} ({PLACES[place]}) {legal}"
        return f"{PLACES[place]} {pinyin(brand)} {TRADES[trade]} {legal}"

    def mail(self, brand: str, own: bool = True) -> str:
        who = self.rng.choice(("zhang.wei", "li.na", "wang.fang", "liu.yang", "chen.jie", "sales"))
        domain = f"{pinyin(brand).lower()}-tech.cn" if own else self.rng.choice(FREE)
        return f"{who}{self.rng.randint(1, 99)}@{domain}"

    def chinese(self) -> None:
        rng = self.rng
        for brand in BRANDS:
            for _ in range(2):
                place, trade = rng.choice(list(PLACES)), rng.choice(list(TRADES))
                own = f"info@{pinyin(brand).lower()}-tech.cn"
                zh = self.zh_firm(
                    place, brand, trade, mail=rng.choice((own, "", self.mail(brand, False)))
                )
                en = {
                    "latin": self.en_name(place, brand, trade, order=rng.random() < 0.3),
                    "country": "CN",
                    "email": rng.choice((self.mail(brand), "")),
                    "phone": rng.choice((self.phone(place), "")),
                }
                self.add("same_across_scripts", "same", zh, en)
                both = {**zh, "latin": en["latin"]}
                self.add(
                    "same_zh_and_latin_vs_latin", "same", both, {**en, "phone": self.phone(place)}
                )
                other = self.zh_firm(place, brand, trade, mail=self.mail(brand, False))
                self.add("same_other_legal_form", "same", zh, other)
                spaced = " ".join(w.capitalize() for w in lazy_pinyin(brand))
                self.add(
                    "same_pinyin_spacing",
                    "same",
                    en,
                    {
                        "latin": f"{spaced} {TRADES[trade]} ({PLACES[place]}) Co. Ltd",
                        "country": "CN",
                    },
                )
                province = {
                    "name": f"四川省{place}市{brand}{trade}有限公司",
                    "country": "CN",
                    "phone": zh["phone"] or self.phone(place),
                }
                self.add("same_with_province", "same", zh, province)
                short = {
                    "name": f"{brand}{trade}有限公司",
                    "country": "CN",
                    "email": own,
                    "phone": self.phone(place),
                }
                self.add("same_without_place", "same", {**zh, "email": own}, short)
                abbreviated = {
                    "name": f"{place}{brand}",
                    "country": "CN",
                    "phone": (p := self.phone(place)),
                }
                self.add("same_abbreviation", "same", {**zh, "phone": p}, abbreviated)
                if brand in TRANSLATED:
                    translated = {
                        "latin": f"{PLACES[place]} {TRANSLATED[brand]} {TRADES[trade]} Co., Ltd.",
                        "country": "CN",
                        "email": f"export@{pinyin(brand).lower()}-tech.cn",
                    }
                    self.add("same_translated_brand", "same", {**zh, "email": own}, translated)
                # Different firms.
                swapped = brand[0] + rng.choice([c for c in SWAP if c not in brand])
                self.add(
                    "diff_one_character",
                    "different",
                    zh,
                    self.zh_firm(place, swapped, trade, mail=self.mail(swapped, False)),
                )
                self.add(
                    "diff_one_character_latin",
                    "different",
                    en,
                    {"latin": self.en_name(place, swapped, trade), "country": "CN"},
                )
                neighbour = rng.choice([b for b in BRANDS if b != brand])
                self.add(
                    "diff_shared_place_trade",
                    "different",
                    zh,
                    self.zh_firm(place, neighbour, trade),
                )
                other_trade = rng.choice([t for t in TRADES if t != trade])
                self.add(
                    "diff_same_brand_other_trade",
                    "different",
                    zh,
                    self.zh_firm(place, brand, other_trade),
                )
                other_place = rng.choice([p for p in PLACES if p != place])
                self.add(
                    "diff_same_brand_other_place",
                    "different",
                    zh,
                    self.zh_firm(other_place, brand, trade),
                )
                board = self.phone(place)
                self.add(
                    "diff_shared_phone",
                    "different",
                    {**zh, "phone": board},
                    self.zh_firm(place, neighbour, other_trade, phone=board),
                )
                free = rng.choice(FREE)
                self.add(
                    "diff_generic_mail",
                    "different",
                    {**zh, "email": f"sales@{free}"},
                    self.zh_firm(place, swapped, trade, mail=f"sales@{free}"),
                )

    def european(self) -> None:
        rng = self.rng
        for name in SURNAMES:
            for _ in range(2):
                country = rng.choice(list(EU_LEGAL))
                trade = rng.choice(EU_TRADES)
                domain = f"{ascii_word(name)}-{ascii_word(trade)[:5]}.{country.lower()}"
                legal_a, legal_b = (
                    rng.sample(EU_LEGAL[country], 2)
                    if len(EU_LEGAL[country]) > 1
                    else (EU_LEGAL[country][0],) * 2
                )
                a = {
                    "latin": f"{name} {trade} {legal_a}",
                    "country": country,
                    "email": rng.choice((f"info@{domain}", "")),
                    "phone": self.eu_phone(country),
                }
                self.add(
                    "same_other_legal_form",
                    "same",
                    a,
                    {
                        "latin": f"{name} {trade} {legal_b}",
                        "country": country,
                        "email": f"vertrieb@{domain}",
                    },
                )
                self.add(
                    "same_word_order",
                    "same",
                    a,
                    {"latin": f"{trade} {name} {legal_a}", "country": country},
                )
                plain = "".join(GERMAN_SPELLING.get(c, c) for c in name)
                self.add(
                    "same_spelling",
                    "same",
                    a,
                    {"latin": f"{plain.upper()} {trade.upper()}", "country": country},
                )
                typo = name[:-2] + name[-1] if len(name) > 6 else name + name[-1]
                self.add(
                    "same_typo_same_domain",
                    "same",
                    {**a, "email": f"info@{domain}"},
                    {
                        "latin": f"{typo} {trade} {legal_a}",
                        "country": country,
                        "email": f"sales@{domain}",
                    },
                )
                second = rng.choice([s for s in SURNAMES if s != name])
                self.add(
                    "diff_word_order_country",
                    "different",
                    {"latin": f"{name} {second} {legal_a}", "country": country},
                    {
                        "latin": f"{second} {name} {legal_b}",
                        "country": rng.choice([c for c in EU_LEGAL if c != country]),
                    },
                )
                self.add(
                    "diff_shared_trade",
                    "different",
                    a,
                    {"latin": f"{second} {trade} {legal_a}", "country": country},
                )
                board = self.eu_phone(country)
                self.add(
                    "diff_shared_phone",
                    "different",
                    {**a, "phone": board},
                    {
                        "latin": f"{second} {rng.choice(EU_TRADES)} {legal_b}",
                        "country": country,
                        "phone": board,
                    },
                )
                free = rng.choice(FREE)
                self.add(
                    "diff_generic_mail",
                    "different",
                    {**a, "email": f"{name.lower()}@{free}"},
                    {
                        "latin": f"{second} {trade} {legal_b}",
                        "country": country,
                        "email": f"{second.lower()}@{free}",
                    },
                )
        for group, units in GROUPS.items():
            for one in units:
                for two in units:
                    if one < two:
                        board = self.eu_phone("DE")
                        self.add(
                            "diff_group_subsidiary",
                            "different",
                            {
                                "latin": f"{group} {one} GmbH",
                                "country": "DE",
                                "email": f"info@{group.lower()}.com",
                                "phone": board,
                            },
                            {
                                "latin": f"{group} {two} GmbH",
                                "country": "DE",
                                "email": f"kontakt@{group.lower()}.com",
                                "phone": board,
                            },
                        )
                self.add(
                    "diff_group_parent",
                    "different",
                    {"latin": f"{group} AG", "country": "DE"},
                    {"latin": f"{group} {one} GmbH", "country": "DE"},
                )

    def write(self) -> None:
        columns = ["kind", "label"] + [f"{s}_{f}" for s in "ab" for f in FIELDS]
        with OUT.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns)
            writer.writeheader()
            writer.writerows(self.rows)


if __name__ == "__main__":
    maker = Maker()
    maker.chinese()
    maker.european()
    maker.write()
    print(f"{len(maker.rows)} pairs -> {OUT}")
