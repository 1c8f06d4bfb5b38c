"""The per-row report of an import: each outcome in words, and as a table to download."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from core.models import ImportJob

OUTCOME_LABELS = {
    "created": _l("Created"),
    "merged": _l("Merged"),
    "skipped": _l("Skipped"),
    "rejected": _l("Rejected"),
}


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def describe(entry: dict) -> str:
    """Why a row ended as it did, in the reader's language."""
    reason, detail = entry.get("reason"), entry.get("detail") or ""
    if reason == "problems":
        return detail
    if reason == "chosen":
        return gettext("Skipped by choice.")
    if reason == "different":
        return gettext("Created; marked as a different firm from %(company)s.", company=detail)
    if reason == "flagged":
        return gettext("Created; flagged as a possible duplicate of %(company)s.", company=detail)
    if reason and reason.startswith("match_"):
        how = {
            "match_email": gettext("same email"),
            "match_phone": gettext("same phone"),
            "match_chosen": gettext("chosen in the review"),
            "match_company": gettext(
                "similar company name, score %(score)s", score=entry.get("score")
            ),
        }.get(reason, reason)
        if entry.get("in_file"):
            return gettext(
                "Merged into row %(row)s of this file (%(how)s).", row=entry["in_file"], how=how
            )
        return gettext("Merged into %(company)s (%(how)s).", company=detail, how=how)
    return gettext("New lead.")


def report_rows(job: ImportJob) -> tuple[list[str], list[list]]:
    """(header, rows) for core.exports.download: row, outcome, lead id, company, reason."""
    header = [
        gettext("Row"),
        gettext("Outcome"),
        gettext("Lead"),
        gettext("Company"),
        gettext("Reason"),
    ]
    rows = [
        [
            entry.get("row"),
            outcome_label(entry.get("outcome", "")),
            entry.get("lead_id") or "",
            entry.get("company", ""),
            describe(entry),
        ]
        for entry in job.report or []
    ]
    return header, rows
