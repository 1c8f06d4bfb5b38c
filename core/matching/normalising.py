"""Normalising names, emails and phones so the same firm or person is recognised across scripts."""

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz

# Legal-form words carry no identity: "GmbH" and "有限公司" must not make two names alike or apart.
LEGAL_FORMS_ZH = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "集团公司",
    "集团",
    "股份公司",
    "公司",
    "分公司",
    "厂",
)
LEGAL_FORMS_LATIN = {
    "co",
    "ltd",
    "limited",
    "company",
    "corp",
    "corporation",
    "inc",
    "llc",
    "plc",
    "group",
    "gmbh",
    "ag",
    "kg",
    "ohg",
    "ug",
    "se",
    "mbh",
    "co kg",
    "sa",
    "sas",
    "sarl",
    "sasu",
    "snc",
    "eurl",
    "spa",
    "srl",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "holding",
    "holdings",
    "the",
}
# Chinese business words and the English a firm uses for them in its Latin name, so that
# 成都天府精密机械有限公司 and "Chengdu Tianfu Precision Machinery Co., Ltd." meet. Segmented
# greedily, longest word first; what is left (places, brand names) becomes joined pinyin.
BUSINESS_WORDS_ZH = {
    "医疗器械": "medical devices",
    "新能源": "new energy",
    "新材料": "new materials",
    "零部件": "parts",
    "半导体": "semiconductor",
    "自动化": "automation",
    "机器人": "robotics",
    "工程机械": "construction machinery",
    "精密": "precision",
    "机械": "machinery",
    "机电": "electromechanical",
    "科技": "technology",
    "技术": "technology",
    "电子": "electronics",
    "电器": "electric appliances",
    "电气": "electric",
    "电力": "power",
    "汽车": "automotive",
    "配件": "parts",
    "部件": "parts",
    "材料": "materials",
    "制造": "manufacturing",
    "化工": "chemical",
    "化学": "chemical",
    "食品": "food",
    "饮料": "beverage",
    "医药": "pharmaceutical",
    "制药": "pharmaceutical",
    "药业": "pharmaceutical",
    "生物": "biotech",
    "智能": "intelligent",
    "装备": "equipment",
    "设备": "equipment",
    "仪器": "instruments",
    "仪表": "instruments",
    "能源": "energy",
    "环保": "environmental",
    "环境": "environmental",
    "物流": "logistics",
    "供应链": "supply chain",
    "包装": "packaging",
    "工业": "industrial",
    "实业": "industrial",
    "产业": "industry",
    "贸易": "trading",
    "商贸": "trading",
    "进出口": "import export",
    "光电": "optoelectronics",
    "光学": "optical",
    "软件": "software",
    "信息": "information",
    "网络": "network",
    "数据": "data",
    "通信": "communication",
    "电池": "battery",
    "储能": "energy storage",
    "纺织": "textile",
    "服装": "garment",
    "塑料": "plastics",
    "塑胶": "plastics",
    "橡胶": "rubber",
    "金属": "metal",
    "钢铁": "steel",
    "铝业": "aluminium",
    "建材": "building materials",
    "建筑": "construction",
    "家具": "furniture",
    "印刷": "printing",
    "陶瓷": "ceramics",
    "玻璃": "glass",
    "模具": "mould",
    "五金": "hardware",
    "农业": "agriculture",
    "投资": "investment",
    "控股": "holding",
    "咨询": "consulting",
    "集团": "group",
    "股份": "co",
    "家电": "home appliances",
    "国际": "international",
    "发展": "development",
    "工程": "engineering",
    "动力": "power",
    "航空": "aviation",
    "航天": "aerospace",
    "船舶": "shipbuilding",
    "轨道交通": "rail transit",
    "激光": "laser",
    "传感": "sensor",
    "精工": "precision",
    "重工": "heavy industry",
    "轻工": "light industry",
    "日化": "daily chemical",
    "化妆品": "cosmetics",
    "纸业": "paper",
    "水务": "water",
    "热能": "thermal energy",
    "光伏": "photovoltaic",
    "风电": "wind power",
    "节能": "energy saving",
}
# Places lead most Chinese firm names: kept as one pinyin word ("chengdu"), as their Latin
# names write them, so that the brand after them stays a word of its own.
PLACES_ZH = (
    "北京", "上海", "天津", "重庆", "成都", "广州", "深圳", "杭州", "苏州", "南京", "武汉",
    "西安", "青岛", "宁波", "无锡", "东莞", "佛山", "厦门", "大连", "沈阳", "长沙", "郑州",
    "济南", "合肥", "福州", "昆明", "哈尔滨", "长春", "石家庄", "太原", "南昌", "南宁", "贵阳",
    "兰州", "乌鲁木齐", "常州", "温州", "烟台", "珠海", "中山", "惠州", "嘉兴", "绍兴", "台州",
    "泉州", "徐州", "南通", "扬州", "潍坊", "唐山", "保定", "洛阳", "绵阳", "德阳", "宜宾",
    "清远", "江门", "汕头", "湛江", "肇庆", "韶关", "四川", "广东", "江苏", "浙江", "山东",
    "河北", "河南", "湖北", "湖南", "福建", "安徽", "江西", "辽宁", "吉林", "黑龙江", "陕西",
    "山西", "云南", "贵州", "甘肃", "海南", "青海", "内蒙古", "广西", "宁夏", "新疆", "西藏",
    "香港", "澳门", "台湾", "中国", "中欧", "中德", "中法", "华南", "华东", "华北", "华中",
    "西南", "东方",
)  # fmt: skip
# English spellings of one idea: "Technologies" meets 科技, "Auto Parts" meets 汽车零部件.
LATIN_SYNONYMS = {
    "technologies": "technology",
    "tech": "technology",
    "techn": "technology",
    "electronic": "electronics",
    "electrical": "electric",
    "automobile": "automotive",
    "auto": "automotive",
    "car": "automotive",
    "components": "parts",
    "component": "parts",
    "part": "parts",
    "accessories": "parts",
    "machine": "machinery",
    "machines": "machinery",
    "mechanical": "machinery",
    "manufacture": "manufacturing",
    "manufacturer": "manufacturing",
    "chemicals": "chemical",
    "chemistry": "chemical",
    "foods": "food",
    "pharma": "pharmaceutical",
    "pharmaceuticals": "pharmaceutical",
    "biotechnology": "biotech",
    "bio": "biotech",
    "biological": "biotech",
    "smart": "intelligent",
    "material": "materials",
    "equipments": "equipment",
    "instrument": "instruments",
    "logistic": "logistics",
    "industries": "industrial",
    "industry": "industrial",
    "trade": "trading",
    "semiconductors": "semiconductor",
    "device": "devices",
    "textiles": "textile",
    "plastic": "plastics",
    "metals": "metal",
    "optoelectronic": "optoelectronics",
    "communications": "communication",
    "batteries": "battery",
    "packing": "packaging",
    "intl": "international",
    "environment": "environmental",
    "engineering": "engineering",
}
_SEPARATORS = re.compile(r"[\s\-_.,;:&+/\\()（）【】\[\]'\"·、，。]+")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_ZH_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_LONGEST_WORD = max(len(w) for w in [*BUSINESS_WORDS_ZH, *PLACES_ZH])


def _has_cjk(text: str) -> bool:
    return _CJK_RUN.search(text) is not None


@lru_cache(maxsize=65536)
def _joined_pinyin(text: str) -> str:
    # pypinyin costs ~0.1 ms a call: brands and places repeat, so each is converted once.
    return "".join(lazy_pinyin(text))


def _segment(run: str) -> list[str]:
    """A run of Chinese characters as words: business words in English, the rest joined pinyin."""
    words: list[str] = []
    pending = ""  # characters of a brand or place name not in the dictionary yet

    def flush() -> None:
        nonlocal pending
        if pending:
            words.append(_joined_pinyin(pending))
            pending = ""

    i = 0
    while i < len(run):
        for size in range(min(_LONGEST_WORD, len(run) - i), 1, -1):
            piece = run[i : i + size]
            english = _WORDS.get(piece, "")
            if english != "":
                flush()
                words.append(english or _joined_pinyin(piece))
                break
        else:
            pending += run[i]
            i += 1
            continue
        i += size
    flush()
    return words


# One lookup per piece: a business word gives its English, a place None (then its pinyin).
_WORDS: dict[str, str | None] = {**dict.fromkeys(PLACES_ZH), **BUSINESS_WORDS_ZH}


def _strip_legal_form_zh(text: str) -> str:
    # A bracketed place in the middle ("西门子（中国）有限公司") only says where the branch is.
    text = _ZH_BRACKETS.sub(" ", text).strip()
    for form in sorted(LEGAL_FORMS_ZH, key=len, reverse=True):
        if text.endswith(form) and len(text) > len(form):
            return text[: -len(form)]
    return text


@lru_cache(maxsize=262144)
def normalise_company(name: str) -> str:
    """A comparable form: Latin letters, lower case, no legal form, Chinese business words in
    English and the rest as pinyin ("成都天府精密机械有限公司" -> "chengdu tianfu precision
    machinery", like "Chengdu Tianfu Precision Machinery Co., Ltd.")."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).strip()
    if _has_cjk(text):
        text = _strip_legal_form_zh(text)
        text = _CJK_RUN.sub(lambda m: " " + " ".join(_segment(m.group())) + " ", text)
    folded = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    text = text.replace("ß", "ss")
    words = [w for w in _SEPARATORS.split(text) if w and w not in LEGAL_FORMS_LATIN]
    # "co kg" and "s a r l": legal forms written in pieces.
    joined = " ".join(LATIN_SYNONYMS.get(w, w) for w in words)
    for form in (" co kg", " s a r l", " s a s", " s a", " s r l", " b v", " n v"):
        if joined.endswith(form):
            joined = joined[: -len(form)]
    return joined.strip()


def similarity_of_keys(na: str, nb: str, **_kwargs) -> float:
    """0–100 between two normalised names (order-tolerant, spacing-tolerant)."""
    if not na or not nb:
        return 0.0
    # Pinyin splits 天府 into "tian fu" while the English writes "Tianfu": compare joined too.
    joined = fuzz.ratio(na.replace(" ", ""), nb.replace(" ", ""))
    return max(fuzz.token_sort_ratio(na, nb), joined)


# Words many firms share: two names alike only in these are different firms
# ("Weber Maschinenbau" and "Becker Maschinenbau"), so the rest must be alike too.
GENERIC_WORDS = frozenset(
    {w for words in BUSINESS_WORDS_ZH.values() for w in words.split()}
    | set(LATIN_SYNONYMS.values())
    | {
        "maschinenbau", "technik", "logistik", "systems", "system", "solutions", "services",
        "service", "industrie", "international", "global", "europe", "china", "werke", "werk",
        "products", "product", "partners", "consulting", "and", "und", "et", "de", "of",
    }
)  # fmt: skip


@lru_cache(maxsize=262144)
def distinctive_part(key: str) -> str:
    """The words of a normalised name that tell one firm from another (places, brands)."""
    return " ".join(w for w in key.split() if w not in GENERIC_WORDS)


def match_score(na: str, nb: str) -> float:
    """0–100 for imports and duplicate checks: alike overall AND alike in the distinctive words.

    Thresholds are set in core/imports (strong = merge, weak = flag) from the tests' matches
    and non-matches.
    """
    overall = similarity_of_keys(na, nb)
    da, db_ = distinctive_part(na), distinctive_part(nb)
    if not da or not db_:
        return overall
    return min(overall, similarity_of_keys(da, db_))


def company_similarity(a: str, b: str) -> float:
    """0–100: how alike two company names are once normalised."""
    return similarity_of_keys(normalise_company(a), normalise_company(b))


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email else None


def normalise_phone(phone: str | None, country: str | None = None) -> str | None:
    """E.164 if the number parses (with the country as a hint), else None."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, (country or "CN").upper())
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
