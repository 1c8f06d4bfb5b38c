"""Finding the firms worth comparing: every pair the scorer could call one firm, few others.

Blocks by e-mail, phone and firm mail domain, and by the brand: its joined Latin letters (the
pinyin of 蓝光 and "Languang" alike), each of its words, and three pieces of it that a one-letter
slip cannot all change (a misspelt brand is still found).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from core.matching.scoring import Firm, Verdict, compare
from core.matching.segmenting import fold_german

# A piece of a brand shared by more firms than this says little: it is not used to block.
# Exact keys (e-mail, phone, the whole brand) always are.
MAX_BLOCK = 300


def blocking_keys(firm: Firm) -> tuple[set[str], set[str]]:
    """(exact keys, loose keys) of one firm."""
    exact = {f"e:{m}" for m in firm.mail} | {f"p:{p}" for p in firm.phones}
    loose = {f"d:{d}" for d in firm.domains}
    for part in firm.parts:
        key = fold_german(part.brand_key) if part.script == "latin" else part.brand_key
        for spelling in {key, part.brand_key}:
            if not spelling:
                continue
            exact.add(f"b:{spelling}")
            if len(spelling) >= 6:
                loose.update(
                    (f"s:{spelling[:4]}", f"t:{spelling[-4:]}", f"m:{spelling[:3]}{spelling[-3:]}")
                )
        loose.update(f"w:{w}" for w in part.words if len(w) >= 3)
    return exact, loose


class FirmIndex:
    """Firms by their blocking keys; matches() compares a firm with its candidates only."""

    def __init__(self, known_different: Callable[[str, str], bool] | None = None) -> None:
        self.blocks: dict[str, list[Firm]] = defaultdict(list)
        self.known_different = known_different

    def add(self, firm: Firm) -> None:
        exact, loose = blocking_keys(firm)
        for key in exact | loose:
            self.blocks[key].append(firm)

    def candidates(self, firm: Firm) -> Iterable[Firm]:
        exact, loose = blocking_keys(firm)
        seen: set[int] = set()
        for key in (*exact, *loose):
            block = self.blocks.get(key, ())
            if key in loose and len(block) > MAX_BLOCK:
                continue
            for other in block:
                if id(other) not in seen:
                    seen.add(id(other))
                    yield other

    def matches(self, firm: Firm, limit: int | None = None) -> list[tuple[Firm, Verdict]]:
        """The firms that merge with or are suggested for `firm`, best first."""
        found = []
        for other in self.candidates(firm):
            if other is firm:
                continue
            verdict = compare(firm, other, known_different=self.known_different)
            if verdict.outcome is not None:
                found.append((other, verdict))
        found.sort(key=lambda pair: -pair[1].score)
        return found[:limit] if limit else found
