"""The lead file: who may open and edit it, conflicts, audit, contacts, timeline, manual leads."""

import html
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import (
    Activity,
    AuditEntry,
    ConsentRecord,
    Contact,
    DuplicateCandidate,
    Event,
    Inquiry,
    Lead,
    ListItem,
    OutboxEmail,
    Plot,
    StageChange,
    User,
)
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in


@pytest.fixture
def leads(app, cast):
    """Leads of the officer (leader is liaison), the teammate, and an officer of team B."""
    with app.app_context():
        own = make_lead(
            "Müller Präzisionstechnik GmbH",
            owner=db.session.get(User, cast.officer),
            liaison=db.session.get(User, cast.leader),
        )
        mate = make_lead(
            "Schmidt Logistik AG", owner=db.session.get(User, cast.teammate), email="s@schmidt.de"
        )
        other = make_lead(
            "杭州天府机械有限公司",
            owner=db.session.get(User, cast.other_officer),
            email="wang@tianfu.cn",
            country="CN",
            language="zh",
        )
        db.session.commit()
        return {"own": own.id, "mate": mate.id, "other": other.id}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page) or re.search(
        rf'type="hidden" name="{name}" value="([^"]*)"', page
    )
    assert match, f"no hidden {name}"
    return html.unescape(match.group(1))


def edit_data(page: str, **values) -> dict:
    data = {
        "csrf_token": csrf_token(page),
        "version": hidden(page, "version"),
        "original": hidden(page, "original"),
        "company_name": "Müller Präzisionstechnik GmbH",
        "company_name_latin": "",
        "country": "DE",
        "industry": "precision-machinery",
        "language": "de",
        "planned_investment": "",
        "land_need_min_mu": "",
        "land_need_max_mu": "",
    }
    data.update(values)
    return data


def audit_count(app, lead_id, action=None) -> int:
    with app.app_context():
        query = select(func.count(AuditEntry.id)).where(
            AuditEntry.entity_type == "Lead", AuditEntry.entity_id == lead_id
        )
        if action:
            query = query.where(AuditEntry.action == action)
        return db.session.scalar(query)


# --- who may open the file ------------------------------------------------------------------


def test_roles_open_the_leads_in_their_scope(app, client, cast, leads):
    own = f"/crm/leads/{leads['own']}"
    for user_id in (cast.admin, cast.manager, cast.officer, cast.teammate, cast.leader):
        signed_in(app, user_id, client)
        assert client.get(own).status_code == 200, user_id
    signed_in(app, cast.other_officer, client)
    assert client.get(own).status_code == 404  # team B guessing a team-A id
    signed_in(app, cast.leader, client)
    assert client.get(f"/crm/leads/{leads['mate']}").status_code == 404  # not their liaison


def test_malformed_and_unknown_ids_are_404(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    for url in ("/crm/leads/abc", "/crm/leads/-1", "/crm/leads/99999999", "/crm/leads/1.5/edit"):
        assert client.get(url).status_code == 404, url
    assert client.get("/crm/leads/99999999999999999999999").status_code == 404


def test_anonymous_is_sent_to_login(client, leads):
    assert client.get(f"/crm/leads/{leads['own']}").status_code == 302


def test_the_file_shows_company_attribution_contacts_consents_and_plots(app, client, cast, leads):
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        lead.company_name_latin = "Mueller Precision"
        lead.planned_investment = Decimal("120000000")
        plot = db.session.scalars(select(Plot).order_by(Plot.code)).first()
        contact = lead.contacts[0]
        inquiry = Inquiry(
            lead_id=lead.id,
            contact_id=contact.id,
            submission_key="k1",
            language="de",
            page="/de/land",
            plot_id=plot.id,
            message="Wir suchen 50 mu.",
            utm={"utm_source": "newsletter", "utm_campaign": "spring"},
            referral_code="REF-77",
        )
        db.session.add(inquiry)
        db.session.flush()
        db.session.add(
            ConsentRecord(
                contact_id=contact.id,
                inquiry_id=inquiry.id,
                form="website",
                language="de",
                notice_version="2025-01",
                notice_hash="0" * 64,
                processing=True,
            )
        )
        db.session.add(Contact(lead_id=lead.id, name="Jean Dupont", language="fr"))
        db.session.commit()
        code, plot_code = lead.code_name, plot.code
    signed_in(app, cast.officer, client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    for expected in (
        "Müller Präzisionstechnik GmbH",
        "Mueller Precision",
        code,
        "Anna Müller",
        "Jean Dupont",
        "French",  # a language in the reader's language, as the consent's below
        "utm_campaign=spring",
        "REF-77",
        "/de/land",
        "2025-01",
        f'href="/de/land/{plot_code}"',
        "(Website inquiry, German)",  # names, not the codes website and de
    ):
        assert expected in page, expected
    assert f"/crm/leads/{leads['own']}/edit" in page


def test_the_file_shows_the_first_response_deadline(app, client, cast, leads):
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        lead.response_due_at = datetime(2026, 3, 2, 15, 59, tzinfo=UTC)
        lead.first_response_at = None
        db.session.commit()
    signed_in(app, cast.officer, client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert "Due by" in page and "2 Mar 2026, 23:59" in page and "overdue" in page
    with app.app_context():
        db.session.get(Lead, leads["own"]).first_response_at = datetime(2026, 3, 2, 2, tzinfo=UTC)
        db.session.commit()
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert "Answered" in page and "2 Mar 2026, 10:00" in page and "overdue" not in page


def test_leader_sees_the_file_without_edit_links(app, client, cast, leads):
    signed_in(app, cast.leader, client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert f"/crm/leads/{leads['own']}/edit" not in page
    assert "/contacts/new" not in page


# --- the timeline ----------------------------------------------------------------------------


def test_timeline_holds_everything_newest_first(app, client, cast, leads):
    base = datetime.now(UTC) - timedelta(days=10)
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        reason = ListItem(kind="lost_reason", code="price", labels={"en": "Land too expensive"})
        db.session.add(reason)
        db.session.flush()
        db.session.add_all(
            [
                Inquiry(
                    lead_id=lead.id,
                    submission_key="t1",
                    language="de",
                    message="First inquiry text",
                    created_at=base,
                ),
                Activity(
                    lead_id=lead.id,
                    kind="call",
                    subject="Called about plots",
                    occurred_at=base + timedelta(days=1),
                    author_id=cast.officer,
                ),
                OutboxEmail(
                    kind="crm",
                    to_address="anna@mueller.example",
                    language="de",
                    subject="Ihre Anfrage",
                    body_text="Sehr geehrte Frau Müller",
                    lead_id=lead.id,
                    created_at=base + timedelta(days=2),
                ),
                StageChange(
                    lead_id=lead.id,
                    from_stage="new",
                    to_stage="lost",
                    at=base + timedelta(days=3),
                    lost_reason_id=reason.id,
                    note="Chose another park",
                    user_id=cast.officer,
                ),
                AuditEntry(
                    actor=f"user:{cast.manager}",
                    action="update",
                    entity_type="Lead",
                    entity_id=lead.id,
                    changes={"country": ["AT", "DE"]},
                    at=base + timedelta(days=4),
                ),
                AuditEntry(
                    actor=f"user:{cast.manager}",
                    action="export",
                    entity_type="Lead",
                    entity_id=lead.id,
                    changes={"format": [None, "csv"]},
                    at=base + timedelta(days=5),
                ),
            ]
        )
        db.session.commit()
    signed_in(app, cast.manager, client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    timeline = page[page.index('class="lead-timeline"') :]
    markers = [
        "manager exported the personal data (CSV)",
        "Austria → Germany",
        "Reason: Land too expensive",
        "Chose another park",
        "Ihre Anfrage",
        "Called about plots",
        "First inquiry text",
    ]
    positions = [timeline.index(m) for m in markers]
    assert positions == sorted(positions), positions
    assert "manager" in timeline  # who edited


# --- editing -----------------------------------------------------------------------------------


def test_officer_edits_own_lead_with_one_audit_entry(app, client, cast, leads):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    before = audit_count(app, leads["own"])
    response = client.post(
        url,
        data=edit_data(page, company_name="Müller Präzision GmbH", planned_investment="90,000,000"),
    )
    assert response.status_code == 302
    assert audit_count(app, leads["own"]) == before + 1
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        assert lead.planned_investment == Decimal("90000000")
        assert "müller präzision gmbh" in lead.search_text
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == lead.id).order_by(AuditEntry.id.desc())
        ).first()
        assert entry.action == "update" and entry.actor == f"user:{cast.officer}"
        assert entry.changes == {
            "company_name": ["Müller Präzisionstechnik GmbH", "Müller Präzision GmbH"],
            "planned_investment": [None, "90000000.00"],
        }


@pytest.mark.parametrize(
    ("typed", "yuan"),
    [
        ("9000万", "90000000"),
        ("0.9亿元", "90000000"),
        ("1.2345万", "12345"),
        ("3,000 万元", "30000000"),
    ],
)
def test_amounts_typed_in_wan_and_yi_are_yuan(app, client, cast, leads, typed, yuan):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data=edit_data(page, planned_investment=typed)).status_code == 302
    with app.app_context():
        assert db.session.get(Lead, leads["own"]).planned_investment == Decimal(yuan)


@pytest.mark.parametrize("typed", ["万", "1.5万亿", "0.0000001万", "-3万", "亿9"])
def test_amounts_that_are_not_figures_are_refused(app, client, cast, leads, typed):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    answer = client.post(url, data=edit_data(page, planned_investment=typed))
    assert answer.status_code == 200 and "e.g. 80000000" in answer.get_data(as_text=True)


def test_a_save_without_changes_writes_no_audit_entry(app, client, cast, leads):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    before = audit_count(app, leads["own"])
    assert client.post(url, data=edit_data(page)).status_code == 302
    assert audit_count(app, leads["own"]) == before


def test_edit_rights_follow_role_and_ownership(app, client, cast, leads):
    signed_in(app, cast.officer, client)
    assert client.get(f"/crm/leads/{leads['mate']}/edit").status_code == 403  # teammate's lead
    assert client.get(f"/crm/leads/{leads['other']}/edit").status_code == 404  # other team
    signed_in(app, cast.leader, client)
    assert client.get(f"/crm/leads/{leads['own']}/edit").status_code == 403
    assert client.post(f"/crm/leads/{leads['own']}/edit", data={}).status_code in (400, 403)
    signed_in(app, cast.manager, client)
    assert client.get(f"/crm/leads/{leads['other']}/edit").status_code == 200


def test_two_edits_from_one_version_second_is_refused(app, client, cast, leads):
    url = f"/crm/leads/{leads['own']}/edit"
    signed_in(app, cast.manager, client)
    first_page = client.get(url).get_data(as_text=True)
    second = app.test_client()
    signed_in(app, cast.officer, second)
    second_page = second.get(url).get_data(as_text=True)
    assert client.post(url, data=edit_data(first_page, country="AT")).status_code == 302
    before = audit_count(app, leads["own"])
    response = second.post(url, data=edit_data(second_page, company_name="Mine GmbH"))
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "changed by someone else while you were editing" in body
    conflict = body[
        body.index('id="conflict"') : body.index("</table>", body.index('id="conflict"'))
    ]
    assert "Country or region" in conflict
    assert "Company name" not in conflict  # only what the other person changed is listed
    assert 'value="Mine GmbH"' in body  # the user's input is kept
    assert audit_count(app, leads["own"]) == before
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        assert (lead.country, lead.company_name) == ("AT", "Müller Präzisionstechnik GmbH")
    # Saving again, deliberately, with the other's values in view now succeeds.
    retry = second.post(url, data=edit_data(body, company_name="Mine GmbH", country="AT"))
    assert retry.status_code == 302


def test_mass_assignment_by_an_officer_is_ignored(app, client, cast, leads):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="legal_hold"' not in page
    data = edit_data(
        page,
        owner_id=str(cast.teammate),
        stage="signed",
        legal_hold="y",
        team_id=str(cast.team_b),
        code_name="Hacked",
        company_name="Changed GmbH",
    )
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        assert lead.company_name == "Changed GmbH"
        assert (lead.owner_id, lead.stage, lead.legal_hold) == (cast.officer, "new", False)
        assert lead.team_id == cast.team_a and lead.code_name != "Hacked"


def test_manager_sets_legal_hold(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data=edit_data(page, legal_hold="y")).status_code == 302
    with app.app_context():
        assert db.session.get(Lead, leads["own"]).legal_hold is True


@pytest.mark.parametrize(
    "values",
    [
        {"planned_investment": "abc"},
        {"planned_investment": "-5"},
        {"planned_investment": "1e30"},
        {"planned_investment": "NaN"},
        {"planned_investment": "12.345"},
        {"planned_investment": "9" * 40},
        {"land_need_min_mu": "50", "land_need_max_mu": "20"},
        {"company_name": "x" * 201},
        {"company_name": ""},
        {"company_name": "Evil\r\nBcc: x"},
        {"country": "XX"},
        {"language": "ru"},
    ],
)
def test_bad_input_is_explained_and_nothing_saved(app, client, cast, leads, values):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=edit_data(page, **values))
    assert response.status_code == 200
    assert "error-summary" in response.get_data(as_text=True)
    assert audit_count(app, leads["own"], "update") == 0


def test_missing_csrf_is_refused(app, client, cast, leads):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/edit"
    page = client.get(url).get_data(as_text=True)
    data = edit_data(page, company_name="No Token GmbH")
    del data["csrf_token"]
    assert client.post(url, data=data).status_code == 400


# --- contacts ------------------------------------------------------------------------------


def contact_data(page: str, **values) -> dict:
    data = {
        "csrf_token": csrf_token(page),
        "original": hidden(page, "original"),
        "name": "Petra Schulz",
        "email": "petra@mueller.example",
        "phone": "030 12345678",
        "contact_language": "de",
        "position": "CFO",
    }
    data.update(values)
    return data


def test_officer_adds_a_contact_with_phone_in_e164(app, client, cast, leads):
    signed_in(app, cast.officer, client)
    url = f"/crm/leads/{leads['own']}/contacts/new"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data=contact_data(page)).status_code == 302
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.name == "Petra Schulz"))
        assert contact.phone == "+493012345678" and contact.lead_id == leads["own"]
        assert "petra schulz" in db.session.get(Lead, leads["own"]).search_text
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "Contact", AuditEntry.entity_id == contact.id
            )
        ).all()
        assert len(entries) == 1 and entries[0].action == "create"


def test_contact_edit_audit_conflict_and_rules(app, client, cast, leads):
    with app.app_context():
        contact_id = db.session.get(Lead, leads["own"]).contacts[0].id
        other_contact = db.session.get(Lead, leads["mate"]).contacts[0].id
    url = f"/crm/leads/{leads['own']}/contacts/{contact_id}/edit"
    signed_in(app, cast.officer, client)
    page = client.get(url).get_data(as_text=True)
    assert 'value="Anna Müller"' in page
    bad = client.post(url, data=contact_data(page, phone="12"))
    assert bad.status_code == 200 and "error-summary" in bad.get_data(as_text=True)
    stale = client.get(url).get_data(as_text=True)
    assert client.post(url, data=contact_data(page, name="Anna Schulz")).status_code == 302
    with app.app_context():
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "Contact", AuditEntry.entity_id == contact_id
            )
        ).all()
        assert len(entries) == 1
        assert entries[0].changes["name"] == ["Anna Müller", "Anna Schulz"]
        assert "email" in entries[0].changes  # anna@ -> petra@
    refused = client.post(url, data=contact_data(stale, name="Anna Weber"))
    assert refused.status_code == 200
    assert 'id="conflict"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contact, contact_id).name == "Anna Schulz"
    # A contact of another lead, through this lead's URL: 404.
    assert client.get(f"/crm/leads/{leads['own']}/contacts/{other_contact}/edit").status_code == 404
    signed_in(app, cast.leader, client)
    assert client.get(url).status_code == 403
    signed_in(app, cast.other_officer, client)
    assert client.get(url).status_code == 404


# --- manual leads ----------------------------------------------------------------------------


def new_lead_data(page: str, **values) -> dict:
    data = {
        "csrf_token": csrf_token(page),
        "company_name": "Lyon Robotique SAS",
        "company_name_latin": "",
        "country": "FR",
        "industry": "precision-machinery",
        "language": "fr",
        "source": "event",
        "planned_investment": "50000000",
        "land_need_min_mu": "",
        "land_need_max_mu": "",
        "name": "Claire Martin",
        "email": "claire@lyon-robotique.example",
        "phone": "04 72 00 00 00",
        "contact_language": "fr",
        "position": "",
    }
    data.update(values)
    return data


def test_officer_creates_a_manual_lead_and_owns_it(app, client, cast):
    signed_in(app, cast.officer, client)
    page = client.get("/crm/leads/new").get_data(as_text=True)
    response = client.post("/crm/leads/new", data=new_lead_data(page))
    assert response.status_code == 302
    with app.app_context():
        lead = db.session.scalar(select(Lead).where(Lead.company_name == "Lyon Robotique SAS"))
        assert lead.source == "event" and lead.owner_id == cast.officer
        assert lead.team_id == cast.team_a and lead.code_name
        assert lead.contacts[0].phone == "+33472000000"
        assert lead.response_due_at is not None
        assert db.session.scalar(select(func.count()).where(StageChange.lead_id == lead.id)) == 1
        assert response.headers["Location"].endswith(f"/crm/leads/{lead.id}")
    assert audit_count(app, lead.id, "create") == 1


def test_a_new_duplicate_is_flagged_right_away(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    page = client.get("/crm/leads/new").get_data(as_text=True)
    data = new_lead_data(
        page, company_name="Müller Praezisionstechnik", email="anna@mueller.example"
    )
    response = client.post("/crm/leads/new", data=data, follow_redirects=True)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-labelledby="dup-title"' in body
    assert f'/crm/leads/{leads["own"]}"' in body
    with app.app_context():
        assert db.session.scalar(select(func.count(DuplicateCandidate.id))) >= 1


def test_new_lead_rules_and_bad_input(app, client, cast):
    signed_in(app, cast.leader, client)
    assert client.get("/crm/leads/new").status_code == 403
    signed_in(app, cast.officer, client)
    page = client.get("/crm/leads/new").get_data(as_text=True)
    for values in ({"name": ""}, {"email": "not-an-email"}, {"source": "website"}, {"phone": "x"}):
        response = client.post("/crm/leads/new", data=new_lead_data(page, **values))
        assert response.status_code == 200, values
        assert "error-summary" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(Lead.id))) == 0


def test_the_file_names_the_event_the_booth_capture_and_tags(app, client, cast, leads):
    with app.app_context():
        fair = Event(slug="fair", name={"en": "EU-China Fair"}, starts_on=date(2026, 12, 9),
                     ends_on=date(2026, 12, 11))  # fmt: skip
        db.session.add(fair)
        db.session.flush()
        lead = db.session.get(Lead, leads["own"])
        lead.event_id, lead.rating, lead.tags = fair.id, "hot", ["battery", "visit"]
        lead.captured_at = datetime(2026, 12, 9, 3, 0, tzinfo=UTC)
        lead.captured_by_id = cast.officer
        db.session.commit()
        fair_id = fair.id
    page = signed_in(app, cast.officer, client).get(f"/crm/leads/{leads['own']}")
    text = page.get_data(as_text=True)
    assert f'href="/crm/events/{fair_id}">EU-China Fair</a>' in text
    assert "captured at the booth by li," in text
    assert "Rating: Hot" in text and "Tags: battery, visit" in text
    other = client.get(f"/crm/leads/{leads['mate']}").get_data(as_text=True)
    assert "EU-China Fair" not in other


def test_managers_mark_a_lead_confidential_officers_cannot(app, client, cast, leads):
    url = f"/crm/leads/{leads['own']}/edit"
    signed_in(app, cast.officer, client)
    page = client.get(url).get_data(as_text=True)
    assert 'name="confidential"' not in page
    data = edit_data(page, company_name="Müller Präzision GmbH")
    assert client.post(url, data={**data, "confidential": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Lead, leads["own"]).confidential is False  # a forged field
    manager = signed_in(app, cast.manager, app.test_client())
    page = manager.get(url).get_data(as_text=True)
    assert manager.post(url, data={**edit_data(page), "confidential": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Lead, leads["own"]).confidential is True
        entry = db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_id == leads["own"])
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry.changes["confidential"] == [False, True]
    assert "Confidential" in manager.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
