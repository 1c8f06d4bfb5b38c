"""Stage labels in the user's language: a lead's stages in the pipeline, a project's stages."""

from flask_babel import lazy_gettext as _l

from core.models import LEAD_STAGES, PROJECT_STAGES

LEAD_STAGE_LABELS = {
    "new": _l("New"),
    "contacted": _l("Contacted"),
    "qualified": _l("Qualified"),
    "site_visit": _l("Site visit"),
    "negotiation": _l("Negotiation"),
    "signed": _l("Signed"),
    "lost": _l("Lost"),
}
assert set(LEAD_STAGE_LABELS) == set(LEAD_STAGES)

PROJECT_STAGE_LABELS = {
    "signed": _l("Signed"),
    "construction": _l("Under construction"),
    "production": _l("In production"),
}
assert set(PROJECT_STAGE_LABELS) == set(PROJECT_STAGES)


def lead_stage_label(stage: str | None) -> str:
    """The label of a lead's stage; an unknown code as it is, none as nothing."""
    return str(LEAD_STAGE_LABELS.get(stage, stage or ""))
