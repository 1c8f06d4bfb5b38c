"""Signing is a moment: a move to Signed asks for the contract, which the project then holds."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import incentives, projects
from core.extensions import db
from core.models import AuditEntry, Lead, OutboxEmail, Plot, Project, User
from core.projects import park_today
from core.targets import counted_signed
from tests.conftest import csrf_token, stored_keys
from tests.factories import make_lead, signed_in
from tests.forms import sign, signing_answers


@pytest.fixture
def lead_id(app, cast):
    """A lead in negotiation owned by the officer, planned at 8000万, one plot reserved for it."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead = make_lead("Schmidt Antriebstechnik GmbH", owner=officer, stage="negotiation")
        lead.planned_investment = Decimal(80_000_000)
        plot = db.session.scalar(select(Plot).where(Plot.status == "available").order_by(Plot.code))
        projects.reserve(plot, lead, park_today() + timedelta(days=30))
        db.session.commit()
        return lead.id


def project_of(lead_id: int) -> Project | None:
    db.session.expire_all()
    return db.session.scalar(select(Project).where(Project.lead_id == lead_id))


def form_page(client, lead_id: int) -> str:
    response = client.get(f"/crm/leads/{lead_id}/sign")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, lead_id: int, **overrides):
    html = form_page(client, lead_id)
    return client.post(
        f"/crm/leads/{lead_id}/sign",
        data=signing_answers(html, **overrides),
        content_type="multipart/form-data",
    )


def test_a_move_to_signed_opens_the_signing_form_and_moves_nothing(app, cast, lead_id):
    client = signed_in(app, cast.officer)
    html = client.get(f"/crm/leads/{lead_id}/move").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    data = {"csrf_token": csrf_token(html), "version": version, "stage": "signed"}
    plain = client.post(f"/crm/leads/{lead_id}/move", data={**data, "next": "/crm/board"})
    assert plain.status_code == 302
    assert plain.headers["Location"] == f"/crm/leads/{lead_id}/sign?next=/crm/board"
    # The board's script gets where to go instead of a move.
    board = client.post(
        f"/crm/leads/{lead_id}/move",
        data={**data, "next": "/crm/board"},
        headers={"Accept": "application/json"},
    )
    assert board.status_code == 409 and board.json["field"] == "signing"
    assert board.json["url"] == f"/crm/leads/{lead_id}/sign?next=/crm/board"
    # The move page asked for Signed (a link, or the board without its script) goes there too.
    asked = client.get(f"/crm/leads/{lead_id}/move?stage=signed")
    assert asked.status_code == 302 and "/sign" in asked.headers["Location"]
    with app.app_context():
        assert db.session.get(Lead, lead_id).stage == "negotiation"
        assert project_of(lead_id) is None


def test_the_form_offers_the_policies_leaders_and_the_lead_s_plot(app, cast, lead_id):
    client = signed_in(app, cast.officer)
    html = form_page(client, lead_id)
    assert 'enctype="multipart/form-data"' in html and 'type="file"' in html
    assert '<option selected value="2026-1">2026-1 · Qingyuan Industrial Port' in html
    assert "(draft: indicative figures)" in html
    assert re.search(r'<input[^>]*name="amount"[^>]*value="80000000"', html)
    with app.app_context():
        leader = db.session.get(User, cast.leader)
        plot = db.session.scalar(select(Plot).where(Plot.reserved_for_id == lead_id))
        assert f'<option value="{leader.id}">{leader.name}</option>' in html
        assert re.search(rf'checked[^>]*value="{plot.id}"|value="{plot.id}"[^>]*checked', html)


def test_signing_records_the_contract_and_counts_with_its_agreement(app, cast, lead_id):
    client = signed_in(app, cast.officer)
    today = park_today()
    with app.app_context():
        plot = db.session.scalar(select(Plot).where(Plot.reserved_for_id == lead_id))
        plot_id, plot_code = plot.id, plot.code
    response = post(
        client,
        lead_id,
        amount="1.5亿",
        signed_on=(today - timedelta(days=2)).isoformat(),
        construction_deadline=(today + timedelta(days=120)).isoformat(),
        liaison=str(cast.leader),
        plots=[str(plot_id)],
    )
    assert response.status_code == 302
    with app.app_context():
        project = project_of(lead_id)
        assert response.headers["Location"] == f"/crm/projects/{project.id}"
        assert project.investment == Decimal(150_000_000)
        assert project.signed_on == today - timedelta(days=2)
        assert project.construction_deadline == today + timedelta(days=120)
        assert project.policy_version == "2026-1"
        assert project.liaison_id == cast.leader
        assert [p.code for p in project.plots] == [plot_code]
        assert db.session.get(Plot, plot_id).status == "allocated"
        signed = project.milestone("signed")
        assert signed.evidence_kind == "document" and signed.reference == "投资协议.pdf"
        assert signed.path in stored_keys(app, "projects/") and signed.proven
        # The dashboard counts it: proven by its agreement, in the year it was signed.
        counted = db.session.scalars(counted_signed(project.signed_on.year)).all()
        assert counted == [project]
        lead = db.session.get(Lead, lead_id)
        assert lead.stage == "signed" and lead.liaison_id == cast.leader
        assert lead.planned_investment == Decimal(150_000_000)
        # The move and the project are in the audit trail with the figures.
        move = db.session.scalar(
            select(AuditEntry).where(AuditEntry.action == "move", AuditEntry.entity_id == lead_id)
        )
        assert move.changes["stage"] == ["negotiation", "signed"]
        assert move.changes["liaison_id"] == [None, cast.leader]
        created = db.session.scalar(
            select(AuditEntry).where(
                AuditEntry.entity_type == "Project", AuditEntry.action == "create"
            )
        )
        assert created.changes["investment"] == [None, "150000000.00"]
        assert created.changes["policy_version"] == [None, "2026-1"]
        # The leader named at signing is told, in the outbox.
        told = db.session.scalar(select(func.count()).where(OutboxEmail.kind == "liaison_named"))
        assert told == 1
    page = client.get(f"/crm/projects/{project.id}").get_data(as_text=True)
    assert "投资协议.pdf" in page or "Proven" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": ""}, "Enter the contract amount."),
        ({"amount": "about 80 million"}, "Enter a positive amount in figures"),
        ({"amount": "0"}, "Enter the contract amount."),
        ({"agreement": None}, "Choose the investment agreement to upload"),
        ({"agreement": (io.BytesIO(b"just text"), "agreement.pdf")}, "must be a PDF, JPEG or PNG"),
        ({"signed_on": "2026-13-45"}, "Enter the signing date as a date."),
        (
            {"signed_on": "2999-01-01", "construction_deadline": "2999-06-01"},
            "cannot be in the future",
        ),
        ({"construction_deadline": ""}, "Enter the start-of-construction deadline as a date."),
        ({"construction_deadline": "2000-01-01"}, "The deadline cannot be before the signing."),
        ({"policy_version": "1999-9"}, "Not a valid choice."),
        ({"liaison": "999999"}, "Not a valid choice."),
        ({"plots": ["999999"]}, "A chosen plot is no longer available"),
    ],
)
def test_bad_input_is_said_beside_its_field_and_nothing_is_signed(
    app, cast, lead_id, changes, message
):
    client = signed_in(app, cast.officer)
    response = post(client, lead_id, **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lead, lead_id).stage == "negotiation"
        assert project_of(lead_id) is None
    assert stored_keys(app, "projects/") == []


def test_only_the_owner_or_a_manager_signs(app, cast, lead_id):
    for user in (cast.other_officer, cast.leader):
        client = signed_in(app, user)
        assert client.get(f"/crm/leads/{lead_id}/sign").status_code in (403, 404)
    assert sign(signed_in(app, cast.manager), lead_id).status_code == 302


def test_a_lead_changed_meanwhile_is_not_signed(app, cast, lead_id):
    client = signed_in(app, cast.officer)
    html = form_page(client, lead_id)
    with app.app_context():
        db.session.get(Lead, lead_id).company_name = "Schmidt Antrieb GmbH"
        db.session.commit()
    response = client.post(
        f"/crm/leads/{lead_id}/sign",
        data=signing_answers(html),
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    assert "Someone else changed this lead" in response.get_data(as_text=True)
    with app.app_context():
        assert project_of(lead_id) is None


def test_the_form_reads_in_chinese_with_amounts_in_wan(app, cast, lead_id):
    with app.app_context():
        db.session.get(User, cast.officer).language = "zh"
        db.session.commit()
    client = signed_in(app, cast.officer)
    html = form_page(client, lead_id)
    assert "签约" in html and "投资协议" in html
    assert 'value="8000万"' in html  # the lead's planned amount, as Chinese staff type it
    assert sign(client, lead_id, amount="8000万").status_code == 302
    with app.app_context():
        assert project_of(lead_id).investment == Decimal(80_000_000)


def test_a_project_opened_without_the_signing_takes_no_band_and_no_incentives(app, cast):
    """A load opens the project without the contract: not the band's lower bound as its amount,
    and no policy, so no incentive clock, until staff enter the figures."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead = make_lead(owner=officer, stage="signed", investment=50_000_000)
        project = projects.open_project(lead, None)
        assert project.investment is None and project.policy_version == ""
        assert incentives.project_clock(project, park_today()) is None
        assert not project.milestone("signed").proven
