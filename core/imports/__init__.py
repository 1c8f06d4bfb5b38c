"""Bulk import of leads from CSV/XLSX: reading, mapping, checking, matching, running, undo."""

from core.imports.checking import Match, RowCheck, check_rows
from core.imports.errors import ImportFileError
from core.imports.jobs import (
    allowed_decisions,
    job_checks,
    load_table,
    new_job,
    progress_of,
)
from core.imports.mapping import (
    FIELDS,
    clean_mapping,
    known_sources,
    remember_mapping,
    remembered_mapping,
    suggest_mapping,
)
from core.imports.reading import ENCODINGS, Table, read_table
from core.imports.report import describe, outcome_label, report_rows
from core.imports.running import run_job, start_job
from core.imports.undo import undo_job, undo_summary, worked_leads

__all__ = [
    "ENCODINGS",
    "FIELDS",
    "ImportFileError",
    "Match",
    "RowCheck",
    "Table",
    "allowed_decisions",
    "check_rows",
    "describe",
    "clean_mapping",
    "job_checks",
    "known_sources",
    "load_table",
    "new_job",
    "outcome_label",
    "progress_of",
    "read_table",
    "remember_mapping",
    "remembered_mapping",
    "report_rows",
    "run_job",
    "start_job",
    "suggest_mapping",
    "undo_job",
    "undo_summary",
    "worked_leads",
]
