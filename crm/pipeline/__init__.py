"""The pipeline: the board, stage moves, lost reasons, assignment and the first-response clock."""

from crm import bp
from crm.pipeline import assignment, board, follow_up, moves, reports  # noqa: F401  (views)
from crm.pipeline.shared import template_helpers

bp.app_context_processor(template_helpers)
