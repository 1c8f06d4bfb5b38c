"""Firm names cut into place, brand, industry words and legal form, Chinese and Latin alike."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from core.matching.normalising import BUSINESS_WORDS_ZH, LATIN_SYNONYMS, LEGAL_FORMS_LATIN

# Places in the order a Chinese firm writes them: provinces, big cities, then Sichuan's
# prefectures and counties and Chengdu's districts, where most of the bureau's firms are.
PROVINCES = [
    "北京",
    "上海",
    "天津",
    "重庆",
    "四川",
    "广东",
    "江苏",
    "浙江",
    "山东",
    "河北",
    "河南",
    "湖北",
    "湖南",
    "福建",
    "安徽",
    "江西",
    "辽宁",
    "吉林",
    "黑龙江",
    "陕西",
    "山西",
    "云南",
    "贵州",
    "甘肃",
    "海南",
    "青海",
    "内蒙古",
    "广西",
    "宁夏",
    "新疆",
    "西藏",
    "香港",
    "澳门",
    "台湾",
]
BIG_CITIES = [
    "广州",
    "深圳",
    "杭州",
    "苏州",
    "南京",
    "武汉",
    "西安",
    "青岛",
    "宁波",
    "无锡",
    "东莞",
    "佛山",
    "厦门",
    "大连",
    "沈阳",
    "长沙",
    "郑州",
    "济南",
    "合肥",
    "福州",
    "昆明",
    "哈尔滨",
    "长春",
    "石家庄",
    "太原",
    "南昌",
    "南宁",
    "贵阳",
    "兰州",
    "乌鲁木齐",
    "常州",
    "温州",
    "烟台",
    "珠海",
    "中山",
    "惠州",
    "嘉兴",
    "绍兴",
    "台州",
    "泉州",
    "徐州",
    "南通",
    "扬州",
    "潍坊",
    "唐山",
    "保定",
    "洛阳",
    "清远",
    "江门",
    "汕头",
    "湛江",
    "肇庆",
    "韶关",
    "呼和浩特",
    "银川",
    "西宁",
    "拉萨",
    "海口",
    "三亚",
    "芜湖",
    "宜昌",
    "襄阳",
    "株洲",
    "柳州",
    "桂林",
    "遵义",
]
SICHUAN = [
    "成都",
    "自贡",
    "攀枝花",
    "泸州",
    "德阳",
    "绵阳",
    "广元",
    "遂宁",
    "内江",
    "乐山",
    "南充",
    "眉山",
    "宜宾",
    "广安",
    "达州",
    "雅安",
    "巴中",
    "资阳",
    "阿坝",
    "甘孜",
    "凉山",
    "江油",
    "广汉",
    "什邡",
    "绵竹",
    "峨眉山",
    "阆中",
    "华蓥",
    "万源",
    "西昌",
    "马尔康",
    "康定",
    "射洪",
    "隆昌",
    "三台",
    "安岳",
    "仁寿",
    "南溪",
    "叙州",
    "长宁",
    "江阳",
    "纳溪",
    "龙马潭",
    "泸县",
    "合江",
    "自流井",
    "贡井",
    "沿滩",
    "荣县",
    "富顺",
    "夹江",
    "犍为",
    "顺庆",
    "高坪",
    "嘉陵",
    "营山",
    "蓬安",
    "仪陇",
    "西充",
    "通川",
    "达川",
    "宣汉",
    "开江",
    "大竹",
    "渠县",
    "利州",
    "昭化",
    "旺苍",
    "青川",
    "剑阁",
    "苍溪",
    "船山",
    "蓬溪",
    "大英",
    "威远",
    "资中",
    "东坡",
    "彭山",
    "洪雅",
    "丹棱",
    "青神",
    "雨城",
    "名山",
    "荥经",
    "汉源",
    "石棉",
    "天全",
    "芦山",
    "宝兴",
    "巴州",
    "恩阳",
    "通江",
    "南江",
    "平昌",
    "雁江",
    "乐至",
    "岳池",
    "武胜",
    "邻水",
    "旌阳",
    "罗江",
    "中江",
    "涪城",
    "游仙",
    "安州",
    "盐亭",
    "梓潼",
    "北川",
    "平武",
]
CHENGDU_DISTRICTS = [
    "锦江",
    "青羊",
    "金牛",
    "武侯",
    "成华",
    "龙泉驿",
    "青白江",
    "新都",
    "温江",
    "双流",
    "郫都",
    "郫县",
    "新津",
    "都江堰",
    "彭州",
    "邛崃",
    "崇州",
    "简阳",
    "金堂",
    "大邑",
    "蒲江",
    "天府新区",
    "高新区",
    "东部新区",
]
REGIONS = ["中国", "中欧", "中德", "中法", "华南", "华东", "华北", "华中", "华西", "西南"]
# Where pypinyin reads a place the way nobody writes it.
PLACE_PINYIN = {"郫都": "pidu", "郫县": "pixian", "重庆": "chongqing", "长宁": "changning"}
PLACES_ZH = frozenset(PROVINCES + BIG_CITIES + SICHUAN + CHENGDU_DISTRICTS + REGIONS)
# Administrative suffixes after a place: 四川省成都市 is 四川 + 成都.
_ADMIN_SUFFIX = "省市区县州"
LEGAL_FORMS_ZH = sorted(
    [
        "股份有限公司",
        "有限责任公司",
        "集团有限公司",
        "集团股份有限公司",
        "有限公司",
        "集团公司",
        "股份公司",
        "分公司",
        "总公司",
        "公司",
        "集团",
        "厂",
        "工厂",
        "研究院",
        "研究所",
        "事务所",
        "合伙企业",
    ],
    key=len,
    reverse=True,
)
INDUSTRY_ZH = dict(BUSINESS_WORDS_ZH)
_LONGEST_INDUSTRY = max(map(len, INDUSTRY_ZH))
_LONGEST_PLACE = max(map(len, PLACES_ZH))
_BRACKETS = re.compile(r"[（(]([^）)]*)[）)]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_NUMBERS = re.compile(r"\d+")
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")

# Latin words that name a trade, in the languages the fairs' exhibitors write, as one concept.
LATIN_TRADES = {
    **{value: value for value in LATIN_SYNONYMS.values()},
    **LATIN_SYNONYMS,
    "maschinenbau": "machinery", "maschinen": "machinery", "logistik": "logistics",
    "chemie": "chemical", "elektronik": "electronics", "elektrotechnik": "electric",
    "technik": "technology", "technologie": "technology", "technologies": "technology",
    "medizintechnik": "medical", "medical": "medical", "devices": "devices",
    "automobil": "automotive", "fahrzeugtechnik": "automotive", "emballage": "packaging",
    "verpackung": "packaging", "electronique": "electronics", "precision": "precision",
    "prazisionstechnik": "precision", "prazision": "precision", "werkzeugbau": "tools",
    "werkzeuge": "tools", "tools": "tools", "antriebstechnik": "drives", "drives": "drives",
    "robotik": "robotics", "robotique": "robotics", "aliments": "food", "lebensmittel": "food",
    "chimie": "chemical", "energie": "energy", "medizin": "medical", "kunststoff": "plastics",
    "kunststofftechnik": "plastics", "optik": "optical", "optique": "optical",
    "systems": "systems", "systeme": "systems", "solutions": "solutions", "services": "services",
    "anlagenbau": "plant engineering", "umwelttechnik": "environmental", "pharma": "pharmaceutical",
}  # fmt: skip
# Trade words too vague to tell two firms apart or together ("Technology", 实业, "Group").
WEAK_TRADES = frozenset(
    [
        "technology",
        "industrial",
        "industry",
        "trading",
        "international",
        "development",
        "group",
        "holding",
        "co",
        "investment",
        "import",
        "export",
        "information",
        "engineering",
        "systems",
        "solutions",
        "services",
        "werke",
        "werk",
        "europe",
        "global",
        "china",
    ]
)
LATIN_PLACES_EXTRA = frozenset(
    [
        "deutschland",
        "germany",
        "france",
        "europe",
        "europa",
        "china",
        "shanghai",
        "beijing",
        "munchen",
        "munich",
        "berlin",
        "hamburg",
        "stuttgart",
        "paris",
        "lyon",
    ]
)


def fold_latin(text: str) -> str:
    """Lower case without accents; ß as ss ("Müller" -> "muller")."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold().replace("ß", "ss")


def fold_german(word: str) -> str:
    """ae/oe/ue as a/o/u, so "Mueller" and "Müller" meet (only between Latin names)."""
    return word.replace("ae", "a").replace("oe", "o").replace("ue", "u")


@lru_cache(maxsize=65536)
def pinyin(text: str) -> str:
    # pypinyin costs ~40 µs a call; brands and places repeat, so each is converted once.
    return PLACE_PINYIN.get(text) or "".join(lazy_pinyin(text))


PLACE_WORDS = frozenset(pinyin(p) for p in PLACES_ZH) | LATIN_PLACES_EXTRA


@dataclass(frozen=True)
class NameParts:
    """One firm name, cut: places (pinyin), brand, trades (English concepts), numbers."""

    script: str  # zh | latin
    places: frozenset[str]
    brand: str  # as written: 蓝光, or the Latin brand words ("bosch rexroth")
    brand_key: str  # joined Latin letters: "languang", "boschrexroth"
    trades: frozenset[str]
    numbers: tuple[str, ...]
    words: tuple[str, ...]  # the brand's words in order (Latin), for order and subsets

    @property
    def strong_trades(self) -> frozenset[str]:
        return self.trades - WEAK_TRADES


def _take_place(text: str) -> tuple[str, str] | None:
    for size in range(min(_LONGEST_PLACE, len(text)), 1, -1):
        if text[:size] in PLACES_ZH:
            rest = text[size:]
            if rest[:1] and rest[0] in _ADMIN_SUFFIX:
                rest = rest[1:]
            return text[:size], rest
    return None


def _take_trade(text: str) -> tuple[str, str] | None:
    for size in range(min(_LONGEST_INDUSTRY, len(text)), 1, -1):
        if text[-size:] in INDUSTRY_ZH:
            return text[-size:], text[:-size]
    return None


def _strip_legal(text: str) -> str:
    for form in LEGAL_FORMS_ZH:
        if text.endswith(form) and len(text) > len(form):
            return text[: -len(form)]
    return text


@lru_cache(maxsize=262144)
def segment_zh(name: str) -> NameParts:
    """Places first from the left, legal form and trade words from the right: the brand is what
    stays between (成都蓝光电子有限公司 -> 成都 / 蓝光 / 电子), never cut inside."""
    text = unicodedata.normalize("NFKC", name).replace(" ", "")
    places: list[str] = []
    # A bracketed place ("华为技术（深圳）有限公司") says where the firm is.
    for inner in _BRACKETS.findall(text):
        places += [p for p in (inner.rstrip(_ADMIN_SUFFIX), inner) if p in PLACES_ZH][:1]
    text = _BRACKETS.sub("", text)
    numbers = tuple(_NUMBERS.findall(text))
    text = _NUMBERS.sub("", text)
    text = _strip_legal(text)
    while taken := _take_place(text):
        places.append(taken[0])
        text = taken[1]
    trades: list[str] = []
    while taken := _take_trade(text):
        trades.append(taken[0])
        text = _strip_legal(taken[1])
    # A place written after the brand ("蓝光成都电子"): rare, but it is no brand.
    for place in sorted(PLACES_ZH, key=len, reverse=True):
        if len(text) > len(place) and text.endswith(place):
            places.append(place)
            text = text[: -len(place)]
            break
    if not text and places:  # "成都电子有限公司": the place is all the brand there is
        text = places.pop()
    latin = fold_latin(text)
    latin = _CJK_RUN.sub(lambda run: pinyin(run.group()), latin)
    brand_key = "".join(c for c in latin if c.isalnum())
    concepts = {w for t in trades for w in INDUSTRY_ZH[t].split()}
    return NameParts(
        script="zh",
        places=frozenset(pinyin(p) for p in places),
        brand=text,
        brand_key=brand_key,
        trades=frozenset(LATIN_TRADES.get(c, c) for c in concepts),
        numbers=numbers,
        words=(brand_key,) if brand_key else (),
    )


@lru_cache(maxsize=262144)
def segment_latin(name: str) -> NameParts:
    """Latin words sorted into places, trades, legal forms; the brand is the rest, in order."""
    words = [w for w in _WORD_SPLIT.split(fold_latin(name).replace("'", "")) if w]
    numbers = tuple(w for w in words if w.isdigit())
    places: set[str] = set()
    trades: set[str] = set()
    brand: list[str] = []
    for i, word in enumerate(words):
        if word.isdigit() or word in LEGAL_FORMS_LATIN or word in ("und", "and", "et", "of"):
            continue
        if len(word) == 1:
            continue  # "S.A.R.L.", "S.p.A.", "B.V." in pieces
        if word in PLACE_WORDS and (brand or i > 0 or len(words) > 2):
            places.add(word)
        elif (concept := LATIN_TRADES.get(word) or LATIN_TRADES.get(fold_german(word))) or (
            word in INDUSTRY_LATIN_WORDS
        ):
            trades.update((concept or word).split())
        else:
            brand.append(word)
    if not brand and places:  # "Berlin Chemie": the place is the brand
        brand = [w for w in words if w in places]
        places = set()
    brand_key = "".join(brand)
    return NameParts(
        script="latin",
        places=frozenset(places),
        brand=" ".join(brand),
        brand_key=brand_key,
        trades=frozenset(trades),
        numbers=numbers,
        words=tuple(brand),
    )


# The English of every Chinese trade word, so "New Materials" is a trade, not a brand.
INDUSTRY_LATIN_WORDS = frozenset(w for v in INDUSTRY_ZH.values() for w in v.split())


def segment(name: str) -> NameParts | None:
    """The parts of a firm name in whichever script it is written, None for no name."""
    if not name or not name.strip():
        return None
    if _CJK.search(name):
        return segment_zh(name)
    return segment_latin(name)
