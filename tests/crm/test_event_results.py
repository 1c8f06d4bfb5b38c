"""Event results: contacts, 48-hour responses, stages reached, money, per staff, export."""

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from core.extensions import db
from core.leads import record_stage
from core.models import Activity, User
from crm.events.results import results_for
from tests.factories import make_event, make_lead, signed_in

T0 = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)


@pytest.fixture
def fair(app, cast):  # noqa: F811
    """A fair with a budget and leads in every state, plus leads that must not count."""
    with app.app_context():
        event = make_event("eu-fair", budget=Decimal("400000"), name={"en": "EU fair"})
        other = make_event("other-fair", name={"en": '=HYPERLINK("x")'})
        officer, teammate = cast.officer, cast.teammate

        def lead(company, by=None, answered_after=None, event_id=event.id, **extra):
            item = make_lead(company, email=None, **extra)
            item.event_id = event_id
            item.captured_by_id = by
            item.captured_at = T0 if by else None
            item.created_at = T0
            if answered_after is not None:
                item.first_response_at = T0 + timedelta(hours=answered_after)
            return item

        signed = lead("Signed Co", officer, 10)
        signed.planned_investment = Decimal("80000000")
        for stage in ("contacted", "qualified", "site_visit", "negotiation", "signed"):
            record_stage(signed, stage)
        lost = lead("Lost Co", officer, 60)
        record_stage(lost, "qualified")
        record_stage(lost, "lost")
        visited = lead("Visited Co", teammate)
        db.session.add(Activity(lead_id=visited.id, kind="site_visit", subject="Visit"))
        lead("Web Co", None, 1)  # sent through the landing page: attributed, not captured
        lead("Elsewhere Co", officer, 1, event_id=other.id)
        merged = lead("Merged Co", officer, 1)
        merged.merged_into_id = signed.id
        lead("No Event Co", officer, 1, event_id=None)
        db.session.commit()
        return event.id, other.id


def test_figures_per_event(app, fair):
    event_id, other_id = fair
    from core.models import Event

    with app.app_context():
        events = [db.session.get(Event, event_id), db.session.get(Event, other_id)]
        found = results_for(events, with_staff=True)
    figures = found[event_id]
    assert (figures.contacts, figures.captured, figures.on_time) == (4, 3, 2)
    assert (figures.qualified, figures.visits, figures.signed) == (2, 2, 1)
    assert figures.signed_amount == Decimal("80000000")
    assert figures.cost_per_signed == Decimal("400000.00")
    staff = {
        name: (f.contacts, f.on_time, f.qualified, f.visits, f.signed) for name, f in figures.staff
    }
    assert staff == {"li": (2, 1, 2, 1, 1), "wu": (1, 0, 0, 1, 0), None: (1, 1, 0, 0, 0)}
    assert [name for name, _ in figures.staff] == ["li", "wu", None]
    assert found[other_id].contacts == 1 and found[other_id].cost_per_signed is None


def test_event_results_page(app, fair, cast):  # noqa: F811
    event_id, _ = fair
    html = signed_in(app, cast.leader).get(f"/crm/events/{event_id}/results").get_data(as_text=True)
    assert "EU fair" in html
    assert "Contacted within 48 hours" in html
    assert ">li<" in html and ">wu<" in html and "Not captured at the booth" in html


def test_results_side_by_side(app, fair, cast):  # noqa: F811
    event_id, other_id = fair
    html = signed_in(app, cast.manager).get("/crm/events/results").get_data(as_text=True)
    assert f'href="/crm/events/{event_id}/results"' in html
    assert f'href="/crm/events/{other_id}/results"' in html


def test_results_without_leads(app, cast):  # noqa: F811
    with app.app_context():
        event_id = make_event().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    html = client.get(f"/crm/events/{event_id}/results").get_data(as_text=True)
    assert "No leads are attributed to this event yet." in html
    assert client.get("/crm/events/999/results").status_code == 404


def _csv(response) -> list[list[str]]:
    body = response.data
    assert body.startswith(b"\xef\xbb\xbf")  # BOM: Excel shows Chinese correctly
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_csv_all_events(app, fair, cast):  # noqa: F811
    response = signed_in(app, cast.manager).get("/crm/events/results/export?format=csv")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:4] == ["Event", "First day", "Staff member", "Contacts"]
    totals = [r for r in rows if r[0] == "EU fair" and r[2] == "All staff"][0]
    assert totals[3:10] == ["4", "3", "2", "2", "2", "1", "80000000.00"]
    assert totals[10:] == ["400000.00", "400000.00"]
    # a name that looks like a formula is neutralised
    assert any(r[0] == '\'=HYPERLINK("x")' for r in rows)


def test_export_xlsx_one_event(app, fair, cast):  # noqa: F811
    event_id, _ = fair
    response = signed_in(app, cast.leader).get(
        f"/crm/events/results/export?format=xlsx&event_id={event_id}"
    )
    assert response.status_code == 200
    assert "eu-fair-results" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "EU fair" and rows[1][3] == 4
    assert {r[2] for r in rows[1:]} == {"All staff", "li", "wu", "Not captured at the booth"}


@pytest.mark.parametrize(
    "query, status",
    [
        ("format=pdf", 400),
        ("", 400),
        ("format=csv&event_id=abc", 404),
        ("format=csv&event_id=999", 404),
    ],
)
def test_export_bad_requests(app, fair, cast, query, status):  # noqa: F811
    response = signed_in(app, cast.manager).get(f"/crm/events/results/export?{query}")
    assert response.status_code == status


def test_officers_see_no_results(app, fair, cast):  # noqa: F811
    client = signed_in(app, cast.officer)
    assert client.get("/crm/events/results/export?format=csv").status_code == 403
    event_id, _ = fair
    html = client.get(f"/crm/events/{event_id}").get_data(as_text=True)
    assert f"/crm/events/{event_id}/results" not in html


def test_results_query_count_does_not_grow_with_leads(app, fair, cast):  # noqa: F811
    from sqlalchemy import event as sa_event

    statements = []

    def count(*_args):
        statements.append(1)

    client = signed_in(app, cast.manager)
    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/crm/events/results")
        first = len(statements)
        with app.app_context():
            for i in range(5):
                make_lead(f"More {i}", email=None).event_id = fair[0]
            db.session.commit()
        statements.clear()
        client.get("/crm/events/results")
        assert len(statements) == first
    finally:
        sa_event.remove(engine, "before_cursor_execute", count)


def test_leads_of_deactivated_staff_still_count(app, fair, cast):  # noqa: F811
    with app.app_context():
        db.session.get(User, cast.officer).active = False
        db.session.commit()
        from core.models import Event

        event = db.session.scalar(select(Event).where(Event.slug == "eu-fair"))
        figures = results_for([event], with_staff=True)[event.id]
    assert figures.contacts == 4
