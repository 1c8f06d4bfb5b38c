"""Finding the firms worth comparing: every pair the scorer could call one firm, few others.

Blocks by e-mail, phone and firm mail domain, and by the brand: its joined Latin letters (the
pinyin of 蓝光 and "Languang" alike), each of its words, and three pieces of it that a one-letter
slip cannot all change (a misspelt brand is still found).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz

from core.matching.scoring import CLOSE_BRAND, Firm, Verdict, compare
from core.matching.segmenting import fold_german, is_trade_word, place_words

# A piece of a brand shared by more firms than this says little: it is not used to block.
# Exact keys (e-mail, phone, the whole brand) always are.
MAX_BLOCK = 15
# A mail domain of more firms than this is a host's or an agency's, no one firm's.
MAX_DOMAIN = 10
# A whole brand shared by more firms than this ("Walk Firm 00001 … 50000", a fair's export of
# numbered booths) names a pattern, not a firm: comparing each with all made an import of 50,000
# rows quadratic (hours). Such firms are still found by a shared e-mail, phone or domain.
MAX_BRAND = 200


def _brands_could_agree(a: Firm, b: Firm) -> bool:
    """A quick look before the full comparison: could any two of the names share a brand, at
    one place? (Firms sharing a contact are compared anyway, through the exact blocks.)"""
    for pa in a.parts:
        for pb in b.parts:
            if pa.places and pb.places and not pa.places & pb.places:
                continue
            ka, kb = pa.folded_key, pb.folded_key
            if pa.script == pb.script == "zh":
                if pa.brand_key == pb.brand_key:
                    return True
            elif (
                ka.startswith(kb)
                or kb.startswith(ka)
                or set(pa.folded_words) <= set(pb.folded_words)
                or set(pb.folded_words) <= set(pa.folded_words)
                or fuzz.ratio(ka, kb, score_cutoff=CLOSE_BRAND)
            ):
                return True
    return False


def blocking_keys(firm: Firm) -> tuple[set[str], set[str], set[str]]:
    # A firm is looked up in two indexes and filed in one: its keys are worked out once.
    if firm.blocking is None:
        firm.blocking = _blocking_keys(firm)
    return firm.blocking


def _blocking_keys(firm: Firm, brands=None) -> tuple[set[str], set[str], set[str]]:
    """(keys the firm is filed under, exact keys it looks up, loose keys filed and looked up).

    A brand is filed with each of its places too: a firm named with a place looks for its brand
    at that place and for the brand written without a place, not at every place (a common
    brand is in many cities, and those are other firms unless a contact says otherwise).
    """
    contacts = {f"e:{m}" for m in firm.mail} | {f"p:{p}" for p in firm.phones}
    filed, wanted = set(contacts), set(contacts)
    loose = {f"d:{d}" for d in firm.domains}
    if brands is None:
        brands = [
            ({p.folded_key, p.brand_key}, p.places, p.folded_words, len(p.words))
            for p in firm.parts
        ]
    for spellings, places, folded_words, count in brands:
        for spelling in spellings:
            if not spelling:
                continue
            filed.add(f"b:{spelling}")
            filed.update(f"bp:{spelling}|{place}" for place in places or ("",))
            if places:
                wanted.update(f"bp:{spelling}|{place}" for place in (*places, ""))
            else:
                wanted.add(f"b:{spelling}")
            if len(spelling) >= 6:
                loose.update(
                    (f"s:{spelling[:4]}", f"t:{spelling[-4:]}", f"m:{spelling[:3]}{spelling[-3:]}")
                )
        # A group's firms: "Bosch Rexroth" is filed under each of its words, and looks up
        # "Bosch" under the brand; a one-word brand looks for the names that contain it.
        words = [w for w in folded_words if len(w) >= 3]
        if count > 1:
            filed.update(f"w:{w}" for w in words)
            loose.update(f"b:{w}" for w in words)
        else:
            loose.update(f"w:{w}" for w in words)
    return filed, wanted, loose


def file_by_keys(firm: Firm, keys: Iterable[str]) -> Firm:
    """Give a firm its blocking keys from company keys already stored (Lead.company_key), so
    that indexing many leads does not cut every name again: the brand is what is neither place
    nor trade. Its names are still cut when it is compared."""
    brands = []
    known_places = place_words()
    for key in keys:
        words = [w for w in key.split() if len(w) > 1 and not w.isdigit()]
        places = frozenset(w for w in words if w in known_places and len(words) > 2)
        brand = [w for w in words if w not in places and not is_trade_word(w)]
        if not brand and places:
            brand, places = [w for w in words if w in places], frozenset()
        if brand:
            folded = tuple(map(fold_german, brand))
            brands.append(({"".join(brand), "".join(folded)}, places, folded, len(brand)))
    firm.blocking = _blocking_keys(firm, brands)
    return firm


class FirmIndex:
    """Firms by their blocking keys; matches() compares a firm with its candidates only."""

    def __init__(self, known_different: Callable[[str, str], bool] | None = None) -> None:
        self.blocks: dict[str, list[Firm]] = defaultdict(list)
        self.known_different = known_different

    def add(self, firm: Firm) -> None:
        filed, _, loose = blocking_keys(firm)
        for key in filed | {k for k in loose if k[0] in "dstm"}:
            self.blocks[key].append(firm)

    def candidates(self, firm: Firm) -> Iterable[Firm]:
        """Firms sharing a contact, a firm domain or the whole brand; then firms sharing a piece
        of the brand, if their brands are alike enough for the scorer to look twice."""
        _, wanted, loose = blocking_keys(firm)
        seen: set[int] = {id(firm)}
        for key in wanted:
            block = self.blocks.get(key, ())
            if key[0] == "b" and len(block) > MAX_BRAND:
                continue
            for other in block:
                if id(other) not in seen:
                    seen.add(id(other))
                    yield other
        for key in loose:
            block = self.blocks.get(key, ())
            if len(block) > (MAX_DOMAIN if key[0] == "d" else MAX_BLOCK):
                continue
            for other in block:
                if id(other) not in seen:
                    seen.add(id(other))
                    if key.startswith("d:") or _brands_could_agree(firm, other):
                        yield other

    def matches(self, firm: Firm, limit: int | None = None) -> list[tuple[Firm, Verdict]]:
        """The firms that merge with or are suggested for `firm`, best first."""
        found = []
        for other in self.candidates(firm):
            verdict = compare(firm, other, known_different=self.known_different)
            if verdict.outcome is not None:
                found.append((other, verdict))
        # Best first; between equals the oldest (the lead a later copy was flagged against, the
        # earlier row), so a tie never depends on the order candidates were found in.
        found.sort(
            key=lambda pair: (-pair[1].score, pair[0].ref if isinstance(pair[0].ref, int) else 0)
        )
        return found[:limit] if limit else found
