"""Running an import: leads created and merged in one transaction, dry run, failure, undo."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from core.extensions import db
from core.imports import (
    ImportFileError,
    new_job,
    progress_of,
    remembered_mapping,
    report_rows,
    run_job,
    running,
    start_job,
    undo_job,
)
from core.models import (
    Activity,
    AssignmentRule,
    AuditEntry,
    Contact,
    DuplicateCandidate,
    Event,
    ImportJob,
    Inquiry,
    Lead,
    LeadTouch,
    StageChange,
)
from core.models.base import utcnow
from tests.conftest import stored
from tests.factories import make_lead, make_user

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def ctx(app):
    # Messages are asserted in English; the bureau's default language is Chinese.
    with app.test_request_context(), force_locale("en"):
        yield app


@pytest.fixture
def officer(ctx):
    user = make_user("officer", "officer@example.org")
    db.session.commit()
    return user


@pytest.fixture
def fair(ctx, officer):
    owner = make_user("officer", "fairowner@example.org")
    event = Event(
        slug="eu-china-fair",
        name={"en": "EU-China fair", "zh": "中欧博览会"},
        starts_on=date(2026, 5, 20),
        ends_on=date(2026, 5, 22),
        owner_id=owner.id,
    )
    db.session.add(event)
    db.session.commit()
    return event


def job_for(name: str, user, **kwargs) -> ImportJob:
    job = new_job((DATA / name).read_bytes(), name, user=user, **kwargs)
    db.session.commit()
    return job


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_gb18030_import_creates_merges_rejects_and_reports(ctx, officer, fair):
    # The officer's own lead: rows merge only into leads the importing user may change.
    existing = make_lead("Chengdu Tianfu Precision Machinery Co., Ltd.", email="old@tianfu.example",
                         country="CN", language="zh", owner=officer)  # fmt: skip
    db.session.commit()
    job = job_for("gb18030.csv", officer, event_id=fair.id, source="EU-China fair scanner")
    assert job.encoding == "gb18030" and job.total == 8
    seen = []
    job = run_job(job, progress=seen.append)
    assert job.status == "done", job.error
    outcomes = {e["row"]: e["outcome"] for e in job.report}
    # Row 1 is the Tianfu machinery firm in Chinese: merged into the English-named lead.
    assert outcomes[1] == "merged" and job.report[0]["lead_id"] == existing.id
    assert outcomes[2] == "created"  # Tianfu *Food* is another firm
    assert outcomes[4] == "rejected" and outcomes[5] == "rejected" and outcomes[6] == "rejected"
    assert outcomes[7] == "created"  # email anna@… is not a lead yet here
    assert outcomes[8] == "merged"  # same firm again in the file: merged into the lead
    assert (job.created, job.merged, job.skipped, job.rejected) == (3, 2, 0, 3)
    assert seen and seen[-1] == 8 and job.processed == 8
    created = db.session.scalars(select(Lead).where(Lead.id.in_(job.lead_ids))).all()
    assert len(created) == 3
    food = next(lead for lead in created if lead.company_name == "成都天府食品有限公司")
    assert food.source == "event" and food.event_id == fair.id
    assert food.owner_id == fair.owner_id and food.country == "CN" and food.language == "zh"
    assert food.code_name and food.code_name.endswith(f"{food.id:05d}")
    assert "lina@tianfu-food.example" in food.search_text and food.company_key
    assert food.contacts[0].phone == "+8613900139000"
    due = food.response_due_at - food.created_at
    assert timedelta(hours=47) < due <= timedelta(hours=48)
    assert db.session.scalar(select(StageChange).where(StageChange.lead_id == food.id))
    # The merge kept the old contact and added the new person, with a timeline entry.
    db.session.refresh(existing)
    emails = {c.email for c in existing.contacts}
    assert {"old@tianfu.example", "wang.wei@tianfu.example", "zhao@tianfu.example"} <= emails
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEntry.entity_type == "Lead",
                AuditEntry.entity_id == existing.id,
                AuditEntry.action == "merge",
            )
        )
        == 2
    )
    header, rows = report_rows(job)
    assert len(rows) == 8 and header[0]
    assert any("火星" in str(r[4]) for r in rows)


def test_dry_run_writes_only_the_job(ctx, officer):
    job = job_for("utf8.csv", officer)
    job.dry_run = True
    db.session.commit()
    before = count(Lead), count(Contact), count(StageChange)
    job = run_job(job)
    assert job.status == "done" and job.created == 3
    assert (count(Lead), count(Contact), count(StageChange)) == before
    with pytest.raises(ImportFileError):
        undo_job(job, officer)
    # The same job then runs for real, once.
    job.dry_run = False
    job = run_job(job)
    assert job.status == "done" and job.created == 3 and count(Lead) == 3
    with pytest.raises(ImportFileError, match="already been run"):
        run_job(job)
    assert count(Lead) == 3 and job.status == "done"


def test_failure_rolls_back_everything(ctx, officer, monkeypatch):
    job = job_for("fair_500_gb18030.csv", officer)

    def broken(self, plan) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(running.Writer, "_flag", broken)
    job = run_job(job)
    assert job.status == "failed" and "RuntimeError" in job.error
    assert count(Lead) == 0 and count(Contact) == 0 and job.created == 0


def test_undo_removes_created_and_reverts_merges(ctx, officer, fair):
    existing = make_lead("Chengdu Tianfu Precision Machinery Co., Ltd.", email="old@tianfu.example",
                         country="CN", language="zh", owner=officer)  # fmt: skip
    existing.event_id = None
    db.session.commit()
    job = run_job(job_for("gb18030.csv", officer, event_id=fair.id))
    assert job.status == "done"
    db.session.refresh(existing)
    # The lead keeps its own attribution; the fair is a touch, which undo takes away too.
    assert existing.event_id is None and len(existing.contacts) == 3
    touches = select(func.count()).select_from(LeadTouch).where(LeadTouch.lead_id == existing.id)
    assert db.session.scalar(touches) == 1
    undo_job(job, officer)
    job = db.session.get(ImportJob, job.id)
    assert job.status == "undone" and job.undone_by_id == officer.id and job.undone_at
    assert count(Lead) == 1
    existing = db.session.get(Lead, existing.id)
    assert existing.event_id is None and db.session.scalar(touches) == 0
    assert [c.email for c in existing.contacts] == ["old@tianfu.example"]
    assert db.session.scalar(select(func.count()).select_from(Inquiry)) == 0
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEntry.entity_type == "ImportJob", AuditEntry.action == "undo"
            )
        )
        == 1
    )
    # Importing the same file again works after the undo.
    again = run_job(job_for("gb18030.csv", officer, event_id=fair.id))
    assert again.status == "done" and again.created == 3


@pytest.mark.parametrize("work", ["activity", "stage", "edit"])
def test_undo_is_refused_once_a_lead_was_worked(ctx, officer, work):
    job = run_job(job_for("utf8.csv", officer))
    lead = db.session.get(Lead, job.lead_ids[0])
    later = utcnow() + timedelta(minutes=5)
    if work == "activity":
        db.session.add(Activity(lead_id=lead.id, kind="call", subject="Called", created_at=later))
    elif work == "stage":
        db.session.add(
            StageChange(lead_id=lead.id, from_stage="new", to_stage="contacted", at=later)
        )
    else:
        lead.updated_at = later
    db.session.commit()
    with pytest.raises(ImportFileError) as refused:
        undo_job(job, officer)
    assert "worked" in refused.value.message
    assert count(Lead) == 3 and db.session.get(ImportJob, job.id).status == "done"


def test_weak_company_match_creates_and_flags(ctx, officer):
    make_lead("Hoffmann Logistik GmbH", email="x@hoffmann.example")
    db.session.commit()
    data = "Company,Email,Country\r\nHoffmann Logistics GmbH,y@hoffmann-log.example,DE\r\n"
    job = new_job(data.encode(), "weak.csv", user=officer)
    db.session.commit()
    job = run_job(job)
    assert job.created == 1 and job.report[0]["reason"] == "flagged"
    assert count(DuplicateCandidate) == 1


def test_user_decisions_override_defaults(ctx, officer):
    existing = make_lead(
        "Chengdu Tianfu Precision Machinery Co., Ltd.",
        email="wang.wei@tianfu.example",
        owner=officer,
    )
    db.session.commit()
    job = job_for("gb18030.csv", officer)
    job.decisions = {"1": "create", "2": "skip", "4": "create"}  # 4 is blocked: stays rejected
    db.session.commit()
    job = run_job(job)
    outcomes = {e["row"]: e["outcome"] for e in job.report}
    assert outcomes[1] == "created" and outcomes[2] == "skipped" and outcomes[4] == "rejected"
    # Row 8 (the same firm) still merges into the existing lead: existing leads come first.
    assert outcomes[8] == "merged" and job.report[7]["lead_id"] == existing.id


def test_start_job_hands_the_import_to_the_worker(ctx, officer, file_storage):
    job = job_for("utf8.csv", officer)
    start_job(job.id)
    import time

    for _ in range(100):
        db.session.expire_all()
        if db.session.get(ImportJob, job.id).status != "running":
            break
        time.sleep(0.05)
    job = db.session.get(ImportJob, job.id)
    assert job.status == "done" and job.created == 3


def test_cli_import_leads(app, ctx, officer, fair, file_storage):
    runner = app.test_cli_runner()
    path = str(DATA / "gb18030.csv")
    result = runner.invoke(args=["import-leads", path, "--event", "eu-china-fair", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output and count(Lead) == 0
    result = runner.invoke(
        args=["import-leads", path, "--event", "eu-china-fair", "--source", "scanner"]
    )
    assert result.exit_code == 0, result.output
    assert "4 created" in result.output and count(Lead) == 4
    assert remembered_mapping("scanner")["公司名称"] == "company"
    result = runner.invoke(args=["import-leads", str(DATA / "png_renamed.csv")])
    assert result.exit_code != 0 and "not a CSV or Excel" in result.output
    result = runner.invoke(args=["import-leads", path, "--event", "nope"])
    assert result.exit_code != 0 and "no event" in result.output


def test_a_bad_file_leaves_no_job_and_no_stored_file(app, ctx, officer):
    uploads = Path(app.config["UPLOAD_DIR"]) / "imports"
    before = set(uploads.iterdir()) if uploads.exists() else set()
    with pytest.raises(ImportFileError):
        new_job((DATA / "png_renamed.csv").read_bytes(), "png_renamed.csv", user=officer)
    db.session.rollback()
    assert count(ImportJob) == 0
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == before


def test_job_is_stored_with_suggested_mapping_and_audited(app, ctx, officer):
    job = job_for("utf8_bom.csv", officer, source="Colleague sheet")
    assert job.stored_path.startswith("imports/") and job.status == "draft"
    assert (Path(app.config["UPLOAD_DIR"]) / job.stored_path).exists()
    assert job.mapping["公司名称"] == "company" and job.total == 3
    assert (
        db.session.scalar(
            select(func.count()).where(
                AuditEntry.entity_type == "ImportJob", AuditEntry.action == "create"
            )
        )
        == 1
    )
    assert progress_of(job) == 0


def test_fair_file_of_500_with_existing_leads_under_either_script(ctx, officer, fair):
    # No email on file: a firm domain differing from the row's would make it a weak match.
    english = make_lead(
        "Qingdao Hengxin Precision Machinery Co., Ltd.", email=None, country="CN", owner=officer
    )
    chinese = make_lead(
        "苏州华辰精密机械有限公司", email=None, country="CN", language="zh", owner=officer
    )
    by_email = make_lead("Jinda Foods", email="contact2@fair2.example", country="CN", owner=officer)
    db.session.commit()
    job = job_for("fair_500_gb18030.csv", officer, event_id=fair.id)
    job = run_job(job)
    assert job.status == "done" and job.total == 500
    merged_into = {e["lead_id"] for e in job.report if e["outcome"] == "merged"}
    assert {english.id, chinese.id, by_email.id} <= merged_into
    assert job.created + job.merged == 500 and job.rejected == 0
    undo_job(job, officer)
    assert count(Lead) == 3
    again = run_job(job_for("fair_500_gb18030.csv", officer, event_id=fair.id))
    assert again.status == "done" and again.created == job.created


def test_cli_without_importer_or_event_owner_assigns_by_the_rules(app, ctx, officer):
    db.session.add(AssignmentRule(kind="language", match="de", user_id=officer.id))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["import-leads", str(DATA / "semicolon.csv")])
    assert result.exit_code == 0, result.output
    owners = dict(db.session.execute(select(Lead.company_name, Lead.owner_id)).all())
    assert owners["Weber Maschinenbau GmbH"] == officer.id  # a German lead: the rule's officer
    assert owners["Becker Maschinenbau GmbH"] == officer.id
    lead = db.session.scalar(select(Lead).where(Lead.company_name.like("Weber%")))
    assert lead.source == "import" and lead.event_id is None
    assert lead.contacts[0].name == "Lukas Weber"


def test_a_company_made_only_of_a_legal_form_is_still_imported(ctx, officer):
    data = b"Company,Email,Country\r\nGmbH,a@gmbh-only.example,DE\r\n"
    job = new_job(data, "odd.csv", user=officer)
    db.session.commit()
    job = run_job(job)
    assert job.status == "done" and job.created == 1
    assert db.session.get(Lead, job.lead_ids[0]).company_key == ""


def test_uploaded_files_are_removed_by_the_retention_job_after_their_time(
    app, ctx, officer, file_storage
):
    from core.imports.jobs import load_table

    old = new_job((DATA / "utf8.csv").read_bytes(), "utf8.csv", user=officer)
    recent = new_job((DATA / "utf8.csv").read_bytes(), "utf8.csv", user=officer)
    old.created_at = old.created_at - timedelta(days=31)
    db.session.commit()
    old_file, recent_file = old.stored_path, recent.stored_path
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["apply-retention", "--dry-run"])
    assert "1 uploaded import file(s) would be removed" in dry.output and stored(old_file)
    real = runner.invoke(args=["apply-retention"])
    assert "1 uploaded import file(s) removed" in real.output
    db.session.expire_all()
    assert stored(old_file) is None and stored(recent_file)
    assert db.session.get(ImportJob, old.id).stored_path == ""
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.entity_type == "ImportJob",
            AuditEntry.entity_id == old.id,
            AuditEntry.action == "update",
        )
    )
    assert entry.actor == "system" and entry.changes["stored_path"][1] == ""
    with pytest.raises(ImportFileError) as gone:
        load_table(db.session.get(ImportJob, old.id))
    assert "no longer stored" in gone.value.message


def test_retention_keeps_a_file_a_newer_job_still_reads(app, ctx, officer, file_storage):
    """A job made by "Import this file again" shares the old job's file: the old job's time is
    up, the newer job's is not, so the file stays until the newer one's is up too."""
    from core.imports.jobs import load_table
    from core.imports.retention import remove_uploads

    old = new_job((DATA / "utf8.csv").read_bytes(), "utf8.csv", user=officer)
    old.created_at = old.created_at - timedelta(days=31)
    db.session.flush()
    again = ImportJob(
        filename=old.filename, stored_path=old.stored_path, mapping={}, decisions={},
        status="draft", total=old.total, report=[], lead_ids=[], created_by_id=officer.id,
    )  # fmt: skip
    db.session.add(again)
    db.session.commit()
    key = old.stored_path
    assert [job.id for job in remove_uploads()] == [old.id]
    db.session.expire_all()
    assert db.session.get(ImportJob, old.id).stored_path == "" and stored(key)
    assert load_table(db.session.get(ImportJob, again.id)).rows
    later = utcnow() + timedelta(days=31)
    assert [job.id for job in remove_uploads(now=later)] == [again.id]
    db.session.expire_all()
    assert stored(key) is None
