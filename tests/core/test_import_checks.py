"""Checking rows before anything is written: problems, values, matches and default decisions."""

import pytest
from flask_babel import force_locale

from core.extensions import db
from core.imports import Table, allowed_decisions, check_rows, suggest_mapping
from core.imports.values import parse_country
from tests.factories import make_lead

HEADERS = ["Company", "Name", "Email", "Phone", "Country", "Rating", "Tags", "Notes"]


@pytest.fixture
def ctx(app):
    # Messages are asserted in English; the bureau's default language is Chinese.
    with app.test_request_context(), force_locale("en"):
        yield app


def check(*rows, default_country=None):
    table = Table(headers=HEADERS, rows=[list(r) for r in rows], kind="csv")
    return check_rows(table, suggest_mapping(HEADERS), default_country=default_country)


def row(company="Weber GmbH", name="Lukas", email="", phone="", country="DE", **extra):
    return [company, name, email, phone, country, extra.get("rating", ""),
            extra.get("tags", ""), extra.get("notes", "")]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code"),
    [("DE", "DE"), ("de", "DE"), ("Germany", "DE"), ("Deutschland", "DE"), ("Allemagne", "DE"),
     ("德国", "DE"), ("中国", "CN"), ("China", "CN"), ("P.R. China", "CN"), ("Chine", "CN"),
     ("Österreich", "AT"), ("UK", "GB"), ("USA", "US"), ("Mars", None), ("", None)],
)  # fmt: skip
def test_countries_by_code_or_name_in_four_languages(ctx, text, code):
    assert parse_country(text) == code


def test_row_problems_and_rejections(ctx):
    checks = check(
        row(email="not-an-email"),
        row(company=""),
        row(country="Atlantis"),
        row(country=""),
        row("Kappa GmbH", phone="12", email="ok@kappa.example"),
        row("Lambda GmbH", rating="lukewarm", email="l@lambda.example"),
        row("Omikron GmbH", email="", phone=""),
    )
    assert [c.decision for c in checks[:4]] == ["reject"] * 4
    assert all(c.blocking for c in checks[:4])
    assert "not-an-email" in checks[0].problems[0]
    assert "company is missing" in checks[1].problems[0]
    assert "Atlantis" in checks[2].problems[0]
    assert "country is missing" in checks[3].problems[0]
    # Warnings only: the row is still imported.
    assert checks[4].decision == "create" and "kept as written" in checks[4].problems[0]
    assert checks[5].decision == "create" and checks[5].values["rating"] == ""
    assert checks[6].decision == "create" and "cannot be reached" in checks[6].problems[0]
    assert allowed_decisions(checks[0]) == ["reject"]
    assert allowed_decisions(checks[4]) == ["create", "skip"]


def test_default_country_fills_rows_without_one(ctx):
    (only,) = check(row(country=""), default_country="CN")
    assert only.decision == "create" and only.values["country"] == "CN"


def test_values_are_cleaned(ctx):
    (only,) = check(
        row(email=" Lukas@Weber.Example ", phone="030 1234567", rating="热", tags="a, b;b、c")
    )
    assert only.values["email"] == "lukas@weber.example"
    assert only.phone_e164 == "+49301234567"
    assert only.values["rating"] == "hot" and only.values["tags"] == "a, b, c"


def test_formula_cells_are_flagged_but_kept_as_text(ctx):
    (only,) = check(row(company="=1+2", notes="@SUM(A1)", phone="+49 30 1234567"))
    assert only.values["company"] == "=1+2" and only.decision == "create"
    assert sum("formula" in p for p in only.problems) == 2  # company and notes, not the phone


def test_matches_against_existing_leads(ctx):
    by_email = make_lead("Alpha GmbH", email="anna@alpha.example")
    by_phone = make_lead("Beta AG", email=None, phone="+49301111111")
    by_name = make_lead("Chengdu Tianfu Precision Machinery Co., Ltd.", email="a@tianfu.example",
                        country="CN", language="zh")  # fmt: skip
    weak = make_lead("Hoffmann Logistik GmbH", email="h@hoffmann.example")
    db.session.commit()
    checks = check(
        row("Something else", email="ANNA@alpha.example"),
        row("Beta", phone="030 1111111"),
        row("成都天府精密机械有限公司", email="b@tianfu.example", country="中国"),
        row("Hoffmann Logistics GmbH", email="x@hoffmann-log.example"),
        row("成都天府食品有限公司", email="c@tianfu-food.example", country="CN"),
        row("Chengdu Tianfu Precision Machinery", email="z@other-firm.example", country="CN"),
    )
    assert (checks[0].match.reason, checks[0].match.lead_id) == ("email", by_email.id)
    assert (checks[1].match.reason, checks[1].match.lead_id) == ("phone", by_phone.id)
    assert (checks[2].match.reason, checks[2].match.lead_id) == ("company", by_name.id)
    assert checks[2].match.label == by_name.company_name
    # One address, but names that contradict each other: for a person to decide, not merged.
    assert [c.decision for c in checks[:3]] == ["create", "merge", "merge"]
    assert "shared_contact" in [r["code"] for r in checks[0].match.reasons]
    assert checks[3].match.lead_id == weak.id and checks[3].decision == "create"
    assert checks[4].match is None and checks[4].decision == "create"
    # Same name, another firm's mail domain: a possible duplicate, never merged by default.
    assert checks[5].match.lead_id == by_name.id
    assert "other_domain" in [r["code"] for r in checks[5].match.reasons]
    assert checks[5].decision == "create"


def test_duplicates_within_the_file_merge_into_the_first_row(ctx):
    checks = check(
        row("Gamma GmbH", email="g@gamma.example"),
        row("Gamma", email="g@gamma.example"),
        row("成都天府精密机械有限公司", country="CN"),
        row("Chengdu Tianfu Precision Machinery Co., Ltd.", country="CN"),
        row("Epsilon GmbH", email="bad"),
        row("Epsilon GmbH", email="e@eps.example"),
    )
    assert checks[1].match.row == 1 and checks[1].decision == "merge"
    assert checks[3].match.row == 3 and checks[3].match.reason == "company"
    assert checks[3].decision == "merge"
    # A rejected row is no one's first row.
    assert checks[5].match is None and checks[5].decision == "create"


def test_old_company_keys_can_be_recomputed(ctx):
    from sqlalchemy import select, update

    from core.imports.index import refresh_company_keys
    from core.models import Lead

    lead = make_lead("成都天府精密机械有限公司", email=None, country="CN", language="zh")
    db.session.commit()
    # The key as the old normal form wrote it: spaced pinyin, no English business words.
    db.session.execute(update(Lead).values(company_key="cheng du tian fu jing mi ji xie"))
    db.session.commit()
    assert refresh_company_keys() == 1
    db.session.commit()
    assert db.session.scalar(select(Lead.company_key).where(Lead.id == lead.id)) == (
        "chengdu tianfu precision machinery"
    )
    (after,) = check(row("Chengdu Tianfu Precision Machinery Co., Ltd.", country="CN"))
    assert after.match.lead_id == lead.id and after.decision == "merge"
    assert refresh_company_keys() == 0
