"""The pipeline: the board, stage moves, lost reasons, assignment and the first-response clock."""

from flask import Blueprint

bp = Blueprint(
    "pipeline",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static/pipeline",
)

from crm.pipeline import assignment, board, follow_up, moves, reports, signing  # noqa: E402,F401
from crm.pipeline.shared import template_helpers  # noqa: E402

bp.app_context_processor(template_helpers)
