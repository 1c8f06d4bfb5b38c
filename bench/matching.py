"""The matcher on the labelled corpus (tests/data/company_pairs.csv): precision and recall of
default merges and of suggestions, overall and per case kind, and pairs compared a second."""

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Line, Row

TITLE = "Matching firms: the labelled corpus of tests/data/company_pairs.csv"
RATIO_LABEL = "—"
CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "company_pairs.csv"


def load_pairs(path: Path = CORPUS) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _firm(row: dict, side: str, ref):
    from core.matching.scoring import Firm

    def value(name: str) -> str:
        return row[f"{side}_{name}"]

    return Firm(
        name=value("name") or value("latin"),
        name_latin=value("latin") if value("name") else "",
        country=value("country") or None,
        emails=tuple(filter(None, [value("email")])),
        phones=tuple(filter(None, [value("phone")])),
        ref=ref,
    )


@dataclass
class Tally:
    """Counts for one case kind (or all): same pairs, merges, suggestions, and which were right."""

    same: int = 0
    merged: int = 0
    merged_right: int = 0
    found_right: int = 0  # same pairs merged or suggested
    suggested_wrong: int = 0
    wrong: list = field(default_factory=list)

    def precision(self) -> float | None:
        return self.merged_right / self.merged if self.merged else None

    def merge_recall(self) -> float | None:
        return self.merged_right / self.same if self.same else None

    def suggestion_recall(self) -> float | None:
        return self.found_right / self.same if self.same else None


def outcomes(pairs: list[dict]) -> list[str | None]:
    """Each pair's outcome as the engine finds it: side b among every b of the corpus in one
    index (filed as an import files leads), side a looked up, so that candidate retrieval is
    measured with the scorer."""
    from core.matching import normalise_company
    from core.matching.candidates import FirmIndex, file_by_keys

    index = FirmIndex()
    targets = []
    for number, row in enumerate(pairs):
        # Filed as an import files existing leads: by their stored company keys.
        target = _firm(row, "b", number)
        keys = {normalise_company(n) for n in (target.name, target.name_latin) if n}
        index.add(file_by_keys(target, keys))
        targets.append(target)
    found = []
    for number, row in enumerate(pairs):
        verdicts = {id(other): v for other, v in index.matches(_firm(row, "a", -1))}
        verdict = verdicts.get(id(targets[number]))
        found.append(verdict.outcome if verdict else None)
    return found


def measure(pairs: list[dict]) -> tuple[dict[str, Tally], float]:
    """Tallies by kind (and "all"), and the pairs looked up per second."""
    started = time.perf_counter()
    found = outcomes(pairs)
    rate = len(pairs) / (time.perf_counter() - started)
    tallies: dict[str, Tally] = {"all": Tally()}
    for row, outcome in zip(pairs, found, strict=True):
        same = row["label"] == "same"
        for tally in (tallies["all"], tallies.setdefault(row["kind"], Tally())):
            tally.same += same
            tally.merged += outcome == "merge"
            tally.merged_right += same and outcome == "merge"
            tally.found_right += same and outcome is not None
            tally.suggested_wrong += not same and outcome == "suggest"
            if (same and outcome is None) or (not same and outcome == "merge"):
                tally.wrong.append((row, outcome))
    return tallies, rate


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def run(options) -> list:
    pairs = load_pairs()
    tallies, rate = measure(pairs)
    whole = tallies["all"]
    items: list = [
        Row("pairs looked up (index of every side b, then each side a)", per_second=rate),
        Line(
            "default merges",
            f"precision {_pct(whole.precision())}, recall {_pct(whole.merge_recall())}"
            " (targets 1.0 and ≥ 0.9)",
            alarm="" if whole.precision() == 1.0 and whole.merge_recall() >= 0.9 else "missed",
        ),
        Line(
            "suggestions (merge or suggest)",
            f"recall {_pct(whole.suggestion_recall())} (target ≥ 0.98);"
            f" {whole.suggested_wrong} different pairs suggested for a person to decide",
            alarm="" if whole.suggestion_recall() >= 0.98 else "missed",
        ),
        Line(
            "corpus",
            f"{len(pairs)} pairs: {whole.same} same firm, {len(pairs) - whole.same} different",
        ),
    ]
    for kind, tally in sorted(tallies.items()):
        if kind == "all":
            continue
        count = sum(1 for row in pairs if row["kind"] == kind)
        if tally.same:
            suggested, missed = (
                tally.found_right - tally.merged_right,
                tally.same - tally.found_right,
            )
            text = (
                f"{count} pairs: merged {tally.merged_right}, suggested {suggested},"
                f" missed {missed}"
                f" (merge recall {_pct(tally.merge_recall())})"
            )
        else:
            text = (
                f"{count} pairs: wrongly merged {tally.merged}, suggested {tally.suggested_wrong}"
            )
        items.append(
            Line(kind, text, alarm="wrong merge" if tally.merged - tally.merged_right else "")
        )
    return items
