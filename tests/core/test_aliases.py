"""Aliases kept by an import's merge (and taken back by its undo), and forgotten on anonymising."""

from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from core.aliases import keep_names, new_names
from core.extensions import db
from core.imports import new_job, run_job, undo_job
from core.models import Lead, LeadAlias
from tests.factories import make_lead, make_user

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def ctx(app):
    with app.test_request_context(), force_locale("en"):
        yield app


def test_names_differing_only_in_case_spacing_or_accents_are_one_name():
    assert new_names(["Müller GmbH", None], ["Weber AG"], ["MULLER  GmbH", "weber ag", "", None,
                     "Müller Präzision", "müller präzision"]) == ["Müller Präzision"]  # fmt: skip


def test_an_imported_row_under_another_name_leaves_it_as_an_alias_until_undone(ctx):
    officer = make_user("officer", "officer@example.org")
    existing = make_lead("Chengdu Tianfu Precision Machinery Co., Ltd.", email="old@tianfu.example",
                         country="CN", language="zh", owner=officer)  # fmt: skip
    db.session.commit()
    job = new_job((DATA / "gb18030.csv").read_bytes(), "gb18030.csv", user=officer)
    db.session.commit()
    job = run_job(job)
    assert job.status == "done", job.error
    lead = db.session.get(Lead, existing.id)
    assert [(a.name, a.kind, a.import_job_id) for a in lead.aliases] == [
        ("成都天府精密机械有限公司", "chinese", job.id)
    ]
    assert " 天府 " in lead.search_text and "tfjm" in lead.search_text
    undo_job(job, officer)
    lead = db.session.get(Lead, existing.id)
    assert lead.aliases == [] and " 天府 " not in lead.search_text
    assert db.session.scalar(select(LeadAlias.id)) is None


def test_keep_names_skips_what_the_lead_is_already_called(ctx):
    lead = make_lead("Weber Antriebstechnik GmbH")
    assert keep_names(lead, ["weber antriebstechnik gmbh", "Weber Drives", "韦伯传动"]) == [
        "Weber Drives",
        "韦伯传动",
    ]
    assert keep_names(lead, ["Weber Drives"]) == []
    assert [a.kind for a in lead.aliases] == ["latin", "chinese"]
    assert "weibochuandong" in lead.search_text and " 传动 " in lead.search_text
