"""The yearly referral leaderboard: what counts in which year, the order, the export, access."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import event as sa_event
from sqlalchemy import select

from core.extensions import db
from core.leads import record_stage
from core.models import Enterprise, User
from crm.referrals.leaderboard import leaderboard, year_bounds
from tests.conftest import translated
from tests.factories import make_enterprise, make_lead, make_referral, signed_in


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def signed_lead(firm: Enterprise | None, when: datetime, company: str, **values):
    """A lead credited to firm, moved to signed at `when` (the stage history is what counts)."""
    lead = make_lead(company, email=None, investment=values.pop("investment", None))
    lead.referrer_enterprise_id = firm.id if firm else None
    for name, value in values.items():
        setattr(lead, name, value)
    change = record_stage(lead, "signed")
    change.at = when
    return lead


@pytest.fixture
def year_2025(app, cast):  # noqa: F811
    """Three enterprises active around 2025 (Beijing time) and one with nothing to show."""
    with app.app_context():
        tianfu = make_enterprise("tianfu", "成都天府精密机械有限公司")
        lingnan = make_enterprise(
            "lingnan", '=HYPERLINK("http://x")', name_latin="Lingnan New Materials"
        )
        quiet = make_enterprise("quiet", "安静有限公司", name_latin="Quiet Ltd")
        make_enterprise("idle", "闲置有限公司", name_latin="Idle Ltd")
        # 2024-12-31 17:00 UTC is already 1 January 2025 in the park.
        make_referral(tianfu, company="Alpha GmbH", email="a@a.example", at=at(2024, 12, 31, 17))
        make_referral(tianfu, company="Beta GmbH", email="b@b.example", at=at(2024, 12, 31, 15))
        make_referral(
            tianfu, company="Gamma GmbH", email="g@g.example", at=at(2025, 3, 1),
            decision="accepted", decided_at=at(2025, 3, 2),
        )  # fmt: skip
        # Referred in 2024, accepted in 2025: made counts for 2024, accepted for 2025.
        make_referral(
            lingnan, company="Delta SA", email="d@d.example", at=at(2024, 11, 1),
            decision="accepted", decided_at=at(2025, 1, 10),
        )  # fmt: skip
        make_referral(
            lingnan, company="Epsilon SA", email="e@e.example", at=at(2025, 5, 1),
            decision="declined", decline_reason="not_a_fit", decided_at=at(2025, 5, 2),
        )  # fmt: skip
        make_referral(quiet, company="Zeta Ltd", email="z@z.example", at=at(2025, 6, 1))
        make_referral(quiet, company="Eta Ltd", email="h@h.example", at=at(2025, 6, 2))
        make_referral(quiet, company="Theta Ltd", email="t@t.example", at=at(2025, 6, 3))
        # Signed leads: planned investment first, else the band's lower bound.
        signed_lead(lingnan, at(2025, 4, 1), "Signed One", planned_investment=Decimal("80000000"))
        signed_lead(lingnan, at(2025, 8, 1), "Signed Two", investment=50_000_000)
        twice = signed_lead(tianfu, at(2025, 2, 1), "Signed Twice", investment=10_000_000)
        record_stage(twice, "negotiation").at = at(2025, 2, 5)
        record_stage(twice, "signed").at = at(2025, 2, 9)
        signed_lead(tianfu, at(2024, 12, 1), "Signed Last Year", investment=99_000_000)
        gone = signed_lead(tianfu, at(2025, 7, 1), "Merged Away", investment=99_000_000)
        gone.merged_into_id = twice.id
        signed_lead(None, at(2025, 7, 1), "Nobody's", investment=99_000_000)
        db.session.commit()
        return {"tianfu": tianfu.id, "lingnan": lingnan.id, "quiet": quiet.id}


def test_counts_for_a_year(app, year_2025):
    with app.app_context(), app.test_request_context():
        rows, totals = leaderboard(2025)
        found = {r.enterprise.slug: (r.made, r.accepted, r.signed, r.investment) for r in rows}
        assert found == {
            "lingnan": (1, 1, 2, Decimal("130000000")),
            "tianfu": (2, 1, 1, Decimal("10000000")),
            "quiet": (3, 0, 0, Decimal(0)),
        }
        assert [r.enterprise.slug for r in rows] == ["lingnan", "tianfu", "quiet"]
        assert (totals.made, totals.accepted, totals.signed) == (6, 2, 3)
        assert totals.investment == Decimal("140000000")
        rows_2024, _ = leaderboard(2024)
        assert {r.enterprise.slug: (r.made, r.accepted, r.signed) for r in rows_2024} == {
            "tianfu": (1, 0, 1),
            "lingnan": (1, 0, 0),
        }
        assert leaderboard(2023)[0] == []
    start, end = year_bounds(2025)
    assert (start, end) == (at(2024, 12, 31, 16), at(2025, 12, 31, 16))


def test_projects_in_production_count_with_their_proof(app, year_2025):
    from datetime import date

    from core.models import Lead, Project, ProjectMilestone

    with app.app_context(), app.test_request_context():

        def project(company: str, reached_on: date, proof: str | None) -> None:
            lead = db.session.scalar(select(Lead).where(Lead.company_name == company))
            built = Project(lead=lead, signed_on=date(2025, 1, 1), stage="production")
            built.milestones.append(
                ProjectMilestone(
                    stage="production", reached_on=reached_on,
                    evidence_kind=proof, reference="Proof of first output" if proof else "",
                )
            )  # fmt: skip
            db.session.add(built)

        project("Signed One", date(2025, 10, 1), "reference")
        project("Signed Two", date(2025, 11, 1), None)  # no proof yet: not counted
        project("Signed Twice", date(2026, 1, 5), "reference")  # another year
        db.session.commit()
        rows, totals = leaderboard(2025)
        assert {r.enterprise.slug: r.production for r in rows} == {
            "lingnan": 1, "tianfu": 0, "quiet": 0,
        }  # fmt: skip
        assert totals.production == 1
        assert {r.enterprise.slug: r.production for r in leaderboard(2026)[0]} == {"tianfu": 1}


def test_one_query_per_figure_not_per_enterprise(app, year_2025):
    statements = []
    with app.app_context(), app.test_request_context():
        engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(engine, "before_cursor_execute", listener)
        try:
            leaderboard(2025)
        finally:
            sa_event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 4  # referrals, signed leads, projects in production, names


def test_page_for_leaders_not_for_officers(app, cast, year_2025):  # noqa: F811
    html = signed_in(app, cast.leader).get("/crm/referrals/leaderboard?year=2025")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert text.index("Lingnan New Materials") < text.index("Chengdu Tianfu") < text.index("Quiet")
    assert "Idle Ltd" not in text
    assert "CN¥130,000,000" in text and "CN¥140,000,000" in text  # money in the reader's way
    assert '<option value="2024"' in text and "/crm/referrals/leaderboard.csv?year=2025" in text
    assert 'href="/crm/referrals"' not in text  # no queue for leaders: not in the menu either
    assert '<form method="post"' not in text.split('id="main"')[1]  # read-only
    assert signed_in(app, cast.officer).get("/crm/referrals/leaderboard").status_code == 403
    assert signed_in(app, cast.officer).get("/crm/referrals/leaderboard.csv").status_code == 403
    bad = signed_in(app, cast.manager).get("/crm/referrals/leaderboard?year=abc")
    assert bad.status_code == 400 and "Choose a year from the list." in bad.get_data(as_text=True)
    for junk in ("²⁰²⁵", "9" * 5000, "1999", "2025.5"):
        response = signed_in(app, cast.manager).get(f"/crm/referrals/leaderboard?year={junk}")
        assert response.status_code == 400
    assert signed_in(app, cast.manager).get("/crm/referrals/leaderboard").status_code == 200


def test_export_csv_and_xlsx(app, cast, year_2025):  # noqa: F811
    client = signed_in(app, cast.manager)
    response = client.get("/crm/referrals/leaderboard.csv?year=2025")
    assert response.status_code == 200
    assert "referral-leaderboard-2025.csv" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Rank", "Enterprise", "Enterprise (Latin letters)", "Referrals made"]
    assert rows[1][:7] == [
        "1", "'=HYPERLINK(\"http://x\")", "Lingnan New Materials", "1", "1", "2", "130000000.00"
    ]  # fmt: skip
    assert rows[-1][1] == "Total" and rows[-1][3:6] == ["6", "2", "3"]

    response = client.get("/crm/referrals/leaderboard.xlsx?year=2025")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Rank" and values[1][1] == '\'=HYPERLINK("http://x")'
    assert values[1][3:6] == [1, 1, 2] and values[-1][1] == "Total"
    assert client.get("/crm/referrals/leaderboard.pdf").status_code == 404
    assert client.get("/crm/referrals/leaderboard.csv?year=20x5").status_code == 400


def test_export_headers_in_the_staff_language(app, cast, year_2025):  # noqa: F811
    with app.app_context():
        db.session.get(User, cast.manager).language = "zh"
        db.session.commit()
    response = signed_in(app, cast.manager).get("/crm/referrals/leaderboard.csv?year=2025")
    header = next(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert header[3] == translated(app, "Referrals made", "zh")
    assert header[6] == translated(app, "Planned investment brought (CNY)", "zh")
