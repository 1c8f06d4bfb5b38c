"""Firm names cut into place, brand, industry words and legal form, Chinese and Latin alike."""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

from core.matching.dictionary import (
    BUSINESS_WORDS_ZH,
    LATIN_PLACES_EXTRA,
    LATIN_TRADES,
    LEGAL_FORMS_LATIN,
    LEGAL_FORMS_ZH,
    PLACE_PINYIN,
    PLACES_ZH,
    WEAK_TRADES,
)

# Administrative suffixes after a place: 四川省成都市 is 四川 + 成都.
_ADMIN_SUFFIX = "省市区县州"
INDUSTRY_ZH = dict(BUSINESS_WORDS_ZH)
_LONGEST_INDUSTRY = max(map(len, INDUSTRY_ZH))
_LONGEST_PLACE = max(map(len, PLACES_ZH))
_BRACKETS = re.compile(r"[（(]([^）)]*)[）)]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_NUMBERS = re.compile(r"\d+")
_WORD_SPLIT = re.compile(r"[^0-9a-z]+")


def fold_latin(text: str) -> str:
    """Lower case without accents; ß as ss ("Müller" -> "muller")."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    return "".join(c for c in folded if not unicodedata.combining(c)).casefold().replace("ß", "ss")


def fold_german(word: str) -> str:
    """ae/oe/ue as a/o/u, so "Mueller" and "Müller" meet (only between Latin names)."""
    return word.replace("ae", "a").replace("oe", "o").replace("ue", "u")


@lru_cache(maxsize=65536)
def pinyin(text: str) -> str:
    # pypinyin costs ~40 µs a call; brands and places repeat, so each is converted once. It is
    # imported here, not at the top: reading its dictionaries took 0.7 s of the app's start,
    # which every `flask` command and worker paid whether it cut a name or not.
    from pypinyin import lazy_pinyin

    return PLACE_PINYIN.get(text) or "".join(lazy_pinyin(text))


@cache
def place_words() -> frozenset[str]:
    """Every known place as one word: Chinese places in pinyin, Latin ones as written."""
    return frozenset(pinyin(p) for p in PLACES_ZH) | LATIN_PLACES_EXTRA


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

    # Worked out once per name (names are cached), not once per comparison.
    @cached_property
    def strong_trades(self) -> frozenset[str]:
        return self.trades - WEAK_TRADES

    @cached_property
    def folded_key(self) -> str:
        """The brand key as Latin names compare it ("mueller" and "muller" alike)."""
        return fold_german(self.brand_key) if self.script == "latin" else self.brand_key

    @cached_property
    def folded_words(self) -> tuple[str, ...]:
        return tuple(map(fold_german, self.words))


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


@lru_cache(maxsize=65536)
def zh_words(run: str) -> tuple[str, ...]:
    """A run of Chinese characters as the words of a company key: places from the left, trade
    words from the right (in English), the brand between as one pinyin word, never cut inside
    ("成都蓝光电子" -> chengdu, languang, electronics)."""
    places: list[str] = []
    while taken := _take_place(run):
        places.append(pinyin(taken[0]))
        run = taken[1]
    trades: list[str] = []
    while taken := _take_trade(run):
        trades.insert(0, INDUSTRY_ZH[taken[0]])
        run = taken[1]
    return (*places, *([pinyin(run)] if run else ()), *trades)


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
    for size in range(min(_LONGEST_PLACE, len(text) - 1), 1, -1):
        if text[-size:] in PLACES_ZH:
            places.append(text[-size:])
            text = text[:-size]
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
    folded = fold_latin(name).replace("'", "").replace("’", "")
    words = [w for w in _WORD_SPLIT.split(folded) if w]
    numbers = tuple(w for w in words if w.isdigit())
    places: set[str] = set()
    trades: set[str] = set()
    brand: list[str] = []
    known_places = place_words()
    for i, word in enumerate(words):
        if word.isdigit() or word in LEGAL_FORMS_LATIN or word in ("und", "and", "et", "of"):
            continue
        if len(word) == 1:
            continue  # "S.A.R.L.", "S.p.A.", "B.V." in pieces
        if word in known_places and (brand or i > 0 or len(words) > 2):
            places.add(word)
        elif is_trade_word(word):
            concept = LATIN_TRADES.get(word) or LATIN_TRADES.get(fold_german(word)) or word
            trades.update(concept.split())
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


def is_trade_word(word: str) -> bool:
    """A Latin word naming a trade, in any of the fairs' languages ("logistik", "food")."""
    return word in LATIN_TRADES or word in INDUSTRY_LATIN_WORDS or fold_german(word) in LATIN_TRADES


def segment(name: str) -> NameParts | None:
    """The parts of a firm name in whichever script it is written, None for no name."""
    if not name or not name.strip():
        return None
    if _CJK.search(name):
        return segment_zh(name)
    return segment_latin(name)
