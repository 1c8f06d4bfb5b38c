"""The import engine's merge rule, for the CRM and `flask import-leads` alike: a row merges only
into a lead the importing user may change; a match on another's lead is created and flagged."""

from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import or_, select

from core.extensions import db
from core.imports import job_checks, new_job, run_job
from core.models import DuplicateCandidate, ImportJob, User
from tests.factories import make_cast, make_lead

GB18030 = Path(__file__).resolve().parent.parent / "data" / "gb18030.csv"
# Row 1 of gb18030.csv writes from this address; row 8 is the same firm, another person.
EMAIL = "wang.wei@tianfu.example"


@pytest.fixture
def matched(app):
    """(cast, id of the lead rows 1 and 8 match, owned by the other team's officer)."""
    with app.test_request_context(), force_locale("en"):
        cast = make_cast()
        owner = db.session.get(User, cast.other_officer)
        lead = make_lead("Chengdu Tianfu Precision Machinery Co., Ltd.", email=EMAIL, owner=owner)
        db.session.commit()
        yield cast, lead.id


def _import(app, *user: str) -> list[dict]:
    """Run `flask import-leads` on the file (as the user given); the job's report."""
    args = ["import-leads", str(GB18030), *(("--user", user[0]) if user else ())]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return db.session.scalar(select(ImportJob).order_by(ImportJob.id.desc())).report


def _merged_into(report: list[dict]) -> set[int]:
    return {e["lead_id"] for e in report if e["outcome"] == "merged"}


def test_the_engine_downgrades_a_merge_into_anothers_lead_and_ignores_a_stored_one(app, matched):
    cast, lead_id = matched
    officer = db.session.get(User, cast.officer)
    job = new_job(GB18030.read_bytes(), "gb18030.csv", user=officer)
    job.decisions = {"1": "merge"}  # stored earlier, or written by hand: not allowed now
    db.session.commit()
    row = job_checks(job)[0]
    assert row.match.lead_id == lead_id and row.no_merge
    assert row.default == row.decision == "create"
    manager = db.session.get(User, cast.manager)
    assert job_checks(job, manager)[0].decision == "merge"  # a manager may change any lead
    job = run_job(job)
    assert job.report[0]["outcome"] == "created" and job.report[0]["reason"] == "flagged"
    assert lead_id not in _merged_into(job.report)
    flagged = select(DuplicateCandidate.id).where(
        or_(DuplicateCandidate.lead_id == lead_id, DuplicateCandidate.other_id == lead_id)
    )
    assert db.session.scalar(flagged) is not None


def test_import_leads_obeys_the_merge_rule_for_the_user_it_acts_as(app, matched):
    _cast, lead_id = matched
    # As an officer of the other team: rows 1 and 8 become new leads, flagged, never merged.
    report = _import(app, "li@bureau.example")
    assert report[0]["outcome"] == "created" and report[0]["reason"] == "flagged"
    assert report[7]["outcome"] == "created" and lead_id not in _merged_into(report)
    # As the lead's owner: they merge.
    report = _import(app, "zhao@bureau.example")
    assert report[0]["outcome"] == "merged" and report[0]["lead_id"] == lead_id


def test_import_leads_without_a_user_is_the_operator_who_may_merge_anywhere(app, matched):
    _cast, lead_id = matched
    report = _import(app)
    assert report[0]["outcome"] == "merged" and report[0]["lead_id"] == lead_id
