"""Enterprises in the CRM: list and filters, the page, the forms, contacts, invitations, roles."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from core import outbox
from core.enterprises import new_referral_code, refresh_keys
from core.extensions import db
from core.models import (
    AuditEntry,
    Enterprise,
    EnterpriseContact,
    OutboxEmail,
    Plot,
    PortalLink,
    Referral,
    User,
)
from core.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in


def make_enterprise(slug: str = "tianfu-precision", **values) -> Enterprise:
    fields = {
        "name": "成都天府精密机械有限公司",
        "name_latin": "Chengdu Tianfu Precision Machinery Co., Ltd.",
        "industry": "precision-machinery",
        "zone": "north",
        "year_entered": 2019,
        "employees": 320,
        "local_hires": 85,
        "summary": {"en": "CNC-machined housings.", "zh": "数控精加工壳体。"},
        "listed": True,
    }
    fields.update(values)
    firm = Enterprise(slug=slug, referral_code=new_referral_code(), **fields)
    refresh_keys(firm)
    db.session.add(firm)
    db.session.flush()
    return firm


def make_contact(firm: Enterprise, email: str = "wang@tianfu.example", **values):
    fields = {"name": "王经理", "language": "zh", "position": "General manager"}
    fields.update(values)
    contact = EnterpriseContact(enterprise_id=firm.id, email=email, **fields)
    db.session.add(contact)
    db.session.flush()
    return contact


def make_referral(firm: Enterprise, company: str = "Müller GmbH", **values) -> Referral:
    fields = {
        "company_name": company,
        "country": "DE",
        "industry": "precision-machinery",
        "contact_name": "Anna Müller",
        "contact_language": "de",
    }
    fields.update(values)
    referral = Referral(enterprise_id=firm.id, **fields)
    db.session.add(referral)
    db.session.flush()
    return referral


def form_data(**overrides) -> dict:
    data = {
        "name": "四川蓉欧新能源有限公司",
        "name_latin": "Sichuan Rong-Ou New Energy Co., Ltd.",
        "slug": "rongou-energy",
        "industry": "new-materials",
        "zone": "south",
        "year_entered": "2024",
        "employees": "120",
        "local_hires": "40",
        "plots": ["N-01", "N-02"],
        "summary_zh": "生产储能电池外壳。",
        "summary_en": "Makes battery housings for energy storage.",
        "summary_de": "",
        "summary_fr": "",
        "listed": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_entries(app, entity_type: str = "Enterprise") -> list[AuditEntry]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_type == entity_type)
                .order_by(AuditEntry.id)
            )
        )


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def hidden_fields(html: str) -> dict:
    hidden = dict(
        re.findall(r'name="(version|original|csrf_token)" type="hidden" value="([^"]*)"', html)
    )
    if "original" in hidden:
        hidden["original"] = hidden["original"].replace("&#34;", '"').replace("&amp;", "&")
    return hidden


# -- the list ---------------------------------------------------------------------------------


@pytest.fixture
def firms(app, cast):
    """Three enterprises: Tianfu with referrals and credited leads, two others without."""
    with app.app_context():
        tianfu = make_enterprise()
        make_enterprise(
            "shuwei-foods",
            name="成都蜀味食品有限公司",
            name_latin="Chengdu Shuwei Foods Co., Ltd.",
            industry="food-processing",
            listed=False,
        )
        make_enterprise(
            "south-parts",
            name="德源汽车零部件有限公司",
            name_latin="Deyuan Auto Parts",
            industry="auto-parts",
            zone="south",
            employees=None,
            local_hires=None,
        )
        for company in ("Müller GmbH", "Dupont SA"):
            make_referral(tianfu, company)
        make_referral(tianfu, "Via link AG", origin="link")
        officer = db.session.get(User, cast.officer)
        credited = make_lead("Müller GmbH", owner=officer)
        other_team = make_lead("Dupont SA", email="marie@dupont.example")
        merged = make_lead("Müller GmbH (duplicate)", email=None)
        for lead in (credited, other_team, merged):
            lead.referrer_enterprise_id, lead.referred_at = tianfu.id, utcnow()
        merged.merged_into_id = credited.id
        db.session.commit()
        return {"tianfu": tianfu.id, "credited": credited.id, "other_team": other_team.id}


def row_of(html: str, name: str) -> str:
    start = html.index(name)
    return html[start : html.index("</tr>", start)]


def test_list_shows_figures_and_counts(app, cast, firms):
    html = signed_in(app, cast.officer).get("/crm/enterprises").get_data(as_text=True)
    assert "3 enterprises" in html
    tianfu = row_of(html, "成都天府精密机械有限公司")
    assert "Chengdu Tianfu Precision Machinery Co., Ltd." in tianfu
    assert "Precision machinery" in tianfu and "North area" in tianfu
    numbers = re.findall(r'<td class="number">([^<]*)</td>', tianfu)
    # year, employees, local hires, referrals made (both origins), leads credited (merged: no)
    assert numbers == ["2019", "320", "85", "3", "2"]
    assert "<td>yes</td>" in tianfu
    assert "<td>no</td>" in row_of(html, "成都蜀味食品有限公司")
    south = re.findall(r'<td class="number">([^<]*)</td>', row_of(html, "德源汽车零部件有限公司"))
    assert south[1:] == ["—", "—", "0", "0"]
    assert 'href="/crm/enterprises/new"' not in html  # officers do not edit enterprises
    assert f'href="/crm/enterprises/{firms["tianfu"]}"' in html


@pytest.mark.parametrize(
    "query, shown",
    [
        ("q=天府", ["tianfu"]),
        ("q=SHUWEI", ["shuwei"]),  # Latin names ignore case
        ("q=%25", []),  # a percent sign is a character, not a wildcard
        ("industry=auto-parts", ["south"]),
        ("zone=south", ["south"]),
        ("zone=north&industry=food-processing", ["shuwei"]),
        ("zone=nowhere", ["tianfu", "shuwei", "south"]),  # an unknown area filters nothing
        ("q=" + "x" * 500, []),
    ],
)
def test_list_filters(app, cast, firms, query, shown):
    html = signed_in(app, cast.manager).get(f"/crm/enterprises?{query}").get_data(as_text=True)
    names = {
        "tianfu": "成都天府精密机械有限公司",
        "shuwei": "成都蜀味食品有限公司",
        "south": "德源汽车零部件有限公司",
    }
    for key, name in names.items():
        assert (name in html) == (key in shown), (query, key)
    assert 'href="/crm/enterprises/new"' in html


def test_list_counts_in_a_fixed_number_of_queries(app, cast, firms):
    statements = []

    def counted(*_args):
        statements.append(1)

    client = signed_in(app, cast.manager)
    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", counted)
    try:
        client.get("/crm/enterprises")
        first = len(statements)
        with app.app_context():
            for n in range(5):
                firm = make_enterprise(f"more-{n}", name=f"更多企业{n}", name_latin=f"More {n}")
                make_referral(firm, f"Referred {n}")
                make_lead(f"Credited {n}", email=None).referrer_enterprise_id = firm.id
            db.session.commit()
        statements.clear()
        html = client.get("/crm/enterprises").get_data(as_text=True)
        assert "8 enterprises" in html
        assert len(statements) == first
    finally:
        sa_event.remove(engine, "before_cursor_execute", counted)


# -- the enterprise's page ----------------------------------------------------------------------


def test_page_shows_everything(app, cast, firms):
    with app.app_context():
        firm = db.session.get(Enterprise, firms["tianfu"])
        firm.plots = list(db.session.scalars(select(Plot).where(Plot.code.in_(["N-03", "N-04"]))))
        make_contact(firm, phone="+8613800138000")
        make_contact(firm, "old@tianfu.example", name="李前任", active=False)
        declined = db.session.scalar(select(Referral).where(Referral.company_name == "Dupont SA"))
        declined.decision, declined.decline_reason = "declined", "not_a_fit"
        declined.team_id = cast.team_a  # the officer's team's, so on his page
        db.session.commit()
        code = firm.referral_code
    html = signed_in(app, cast.officer).get(f"/crm/enterprises/{firms['tianfu']}")
    html = html.get_data(as_text=True)
    assert "Chengdu Tianfu Precision Machinery Co., Ltd." in html
    for plot in ("N-03", "N-04"):
        assert f'href="/en/land/{plot}"' in html
    assert "CNC-machined housings." in html and "数控精加工壳体。" in html
    for lang in ("zh", "en", "de", "fr"):
        assert f"http://localhost/{lang}/inquiry?ref={code}" in html
    # contacts, with an invitation button for the active one only (officers may invite)
    assert "wang@tianfu.example" in html and "+8613800138000" in html and "General manager" in html
    assert "old@tianfu.example" in html
    assert html.count("Send invitation") == 1
    assert not re.search(r"/contacts/(\d+/edit|new)", html)  # officers do not edit contacts
    # referrals with their decision and the status the enterprise sees
    assert "Müller GmbH" in html and "Via link AG" in html
    assert "Declined" in row_of(html, "Dupont SA")
    assert "Waiting for a decision" in row_of(html, "Via link AG")
    # credited leads: the officer's own by company, another team's by code name only
    assert f'href="/crm/leads/{firms["credited"]}"' in html
    assert f'href="/crm/leads/{firms["other_team"]}"' not in html
    assert "Dupont SA (" not in html
    assert "Müller GmbH (duplicate)" not in html  # merged away: lives on in the other lead


def test_page_links_referrals_when_the_referral_page_exists(app, cast, firms):
    with app.app_context():
        referral_id = db.session.scalar(
            select(Referral.id).where(Referral.company_name == "Dupont SA")
        )
    html = signed_in(app, cast.manager).get(f"/crm/enterprises/{firms['tianfu']}")
    linked = f'href="/crm/referrals/{referral_id}"' in html.get_data(as_text=True)
    assert linked == ("crm.referrals.referral" in app.view_functions)


def test_manager_sees_edit_links(app, cast, firms):
    with app.app_context():
        contact_id = make_contact(db.session.get(Enterprise, firms["tianfu"])).id
        db.session.commit()
    html = signed_in(app, cast.manager).get(f"/crm/enterprises/{firms['tianfu']}")
    html = html.get_data(as_text=True)
    base = f"/crm/enterprises/{firms['tianfu']}"
    for path in ("/edit", "/contacts/new", f"/contacts/{contact_id}/edit", "/referral-code"):
        assert base + path in html


# -- creating and editing ------------------------------------------------------------------------


def test_create_enterprise(app, cast):
    client = signed_in(app, cast.manager)
    token = csrf_token(client.get("/crm/enterprises/new").get_data(as_text=True))
    response = client.post("/crm/enterprises/new", data=form_data(csrf_token=token))
    assert response.status_code == 302
    with app.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.slug == "rongou-energy"))
        assert response.headers["Location"].endswith(f"/crm/enterprises/{firm.id}")
        assert firm.name == "四川蓉欧新能源有限公司" and firm.zone == "south"
        assert (firm.year_entered, firm.employees, firm.local_hires) == (2024, 120, 40)
        assert [p.code for p in firm.plots] == ["N-01", "N-02"]
        assert firm.summary == {
            "zh": "生产储能电池外壳。",
            "en": "Makes battery housings for energy storage.",
        }
        assert firm.listed is True
        assert len(firm.referral_code) >= 16
        assert firm.name_key and firm.latin_key  # referrals of this firm are now refused
        firm_id = firm.id
    [entry] = audit_entries(app)
    assert (entry.action, entry.entity_id) == ("create", firm_id)
    assert entry.changes["slug"] == [None, "rongou-energy"]
    assert entry.changes["plots"] == [None, ["N-01", "N-02"]]
    assert entry.changes["employees"] == [None, 120]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"slug": "Bad Slug!"}, "Use lower-case letters, digits and hyphens only."),
        ({"slug": ""}, "Enter the slug"),
        ({"local_hires": "121"}, "Local hires cannot be more than the employees."),
        ({"year_entered": "1989"}, "Enter a whole number from 1990 to"),
        ({"year_entered": str(date.today().year + 1)}, "Enter a whole number from 1990 to"),
        ({"year_entered": ""}, "Enter the year the enterprise came to the park."),
        ({"employees": "many"}, "Enter a whole number from 0 to"),
        ({"employees": "-3"}, "Enter a whole number from 0 to"),
        ({"employees": "9" * 30}, "Use 20 characters or fewer"),
        ({"name": ""}, "Enter the enterprise's registered name."),
        ({"name": "a\nb"}, "Use a single line"),
        ({"summary_fr": "x" * 301}, "Use 300 characters or fewer"),
        ({"industry": "no-such-industry"}, 'href="#industry"'),
        ({"zone": "east"}, 'href="#zone"'),
        ({"plots": ["X-99"]}, 'href="#plots"'),
    ],
)
def test_bad_input_is_refused_and_kept(app, cast, overrides, message):
    client = signed_in(app, cast.manager)
    token = csrf_token(client.get("/crm/enterprises/new").get_data(as_text=True))
    response = client.post("/crm/enterprises/new", data=form_data(csrf_token=token, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'id="error-summary"' in html
    assert "Makes battery housings for energy storage." in html  # what was typed is kept
    assert count(app, Enterprise) == 0
    assert audit_entries(app) == []


def test_duplicate_slug_is_refused(app, cast):
    with app.app_context():
        make_enterprise("rongou-energy")
        db.session.commit()
    client = signed_in(app, cast.manager)
    token = csrf_token(client.get("/crm/enterprises/new").get_data(as_text=True))
    response = client.post("/crm/enterprises/new", data=form_data(csrf_token=token))
    assert response.status_code == 422
    assert "Another enterprise already uses this slug." in response.get_data(as_text=True)
    assert count(app, Enterprise) == 1
    assert audit_entries(app) == []


def test_post_without_csrf_is_refused(app, cast):
    client = signed_in(app, cast.manager)
    response = client.post("/crm/enterprises/new", data=form_data())
    assert response.status_code == 400
    assert count(app, Enterprise) == 0


def test_edit_writes_old_and_new_values(app, cast):
    with app.app_context():
        firm = make_enterprise()
        db.session.commit()
        firm_id, old_key = firm.id, firm.name_key
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="Chengdu Tianfu Precision Machinery Co., Ltd."' in page
    data = form_data(**hidden_fields(page), slug="ignored", plots=["N-05"])
    response = client.post(url, data=data)
    assert response.status_code == 302
    with app.app_context():
        firm = db.session.get(Enterprise, firm_id)
        assert firm.slug == "tianfu-precision"  # never changed after creation
        assert firm.name == "四川蓉欧新能源有限公司"
        assert [p.code for p in firm.plots] == ["N-05"]
        assert firm.name_key != old_key  # the keys that refuse in-park referrals follow
    [entry] = audit_entries(app)
    assert entry.action == "update"
    assert entry.changes["plots"] == [[], ["N-05"]]
    assert entry.changes["name"] == ["成都天府精密机械有限公司", "四川蓉欧新能源有限公司"]
    assert entry.changes["employees"] == [320, 120]
    assert "slug" not in entry.changes
    # the same values again: nothing to save, nothing written
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data={**data, **hidden_fields(page)})
    assert response.status_code == 302
    assert len(audit_entries(app)) == 1


def test_edit_clears_optional_values(app, cast):
    with app.app_context():
        firm_id = make_enterprise().id
        db.session.commit()
    client = signed_in(app, cast.admin)
    url = f"/crm/enterprises/{firm_id}/edit"
    hidden = hidden_fields(client.get(url).get_data(as_text=True))
    data = form_data(**hidden, employees="", local_hires="", plots=None, listed=None)
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        firm = db.session.get(Enterprise, firm_id)
        assert firm.employees is None and firm.local_hires is None
        assert firm.plots == [] and firm.listed is False


def test_stale_version_is_refused_and_nothing_written(app, cast):
    with app.app_context():
        firm_id = make_enterprise().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/edit"
    hidden = hidden_fields(client.get(url).get_data(as_text=True))
    with app.app_context():  # a colleague saves meanwhile
        db.session.get(Enterprise, firm_id).employees = 999
        db.session.commit()
    response = client.post(url, data=form_data(**hidden))
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "changed by someone else" in html
    assert "<td>999</td>" in html  # theirs, beside what this user typed
    assert 'value="四川蓉欧新能源有限公司"' in html
    with app.app_context():
        firm = db.session.get(Enterprise, firm_id)
        assert firm.employees == 999 and firm.name == "成都天府精密机械有限公司"
    assert audit_entries(app) == []
    # saving again from the conflict page is a deliberate choice: it goes through
    response = client.post(url, data=form_data(**hidden_fields(html)))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Enterprise, firm_id).employees == 120


def test_edit_bad_input_is_refused(app, cast):
    with app.app_context():
        firm_id = make_enterprise().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/edit"
    hidden = hidden_fields(client.get(url).get_data(as_text=True))
    response = client.post(url, data=form_data(**hidden, employees="10", local_hires="11"))
    assert response.status_code == 422
    assert "Local hires cannot be more than the employees." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Enterprise, firm_id).employees == 320
    assert audit_entries(app) == []


def test_new_referral_code(app, cast):
    with app.app_context():
        firm = make_enterprise()
        db.session.commit()
        firm_id, old = firm.id, firm.referral_code
    client = signed_in(app, cast.manager)
    page = client.get(f"/crm/enterprises/{firm_id}").get_data(as_text=True)
    assert "stops working" in page
    response = client.post(
        f"/crm/enterprises/{firm_id}/referral-code", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    with app.app_context():
        new = db.session.get(Enterprise, firm_id).referral_code
    assert new != old and len(new) >= 16
    [entry] = audit_entries(app)
    assert entry.changes == {"referral_code": [old, new]}
    html = client.get(f"/crm/enterprises/{firm_id}").get_data(as_text=True)
    assert f"?ref={new}" in html and f"?ref={old}" not in html
    assert "The old one no longer works." in html


# -- contacts ------------------------------------------------------------------------------------


def contact_data(**overrides) -> dict:
    data = {
        "name": "Wang Fang",
        "email": " Wang.Fang@Tianfu.example ",
        "phone": "138 0013 8000",
        "position": "Sales director",
        "language": "de",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_add_contact(app, cast):
    with app.app_context():
        firm_id = make_enterprise().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/contacts/new"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data=contact_data(csrf_token=token))
    assert response.status_code == 302
    with app.app_context():
        contact = db.session.scalar(select(EnterpriseContact))
        assert contact.enterprise_id == firm_id
        assert contact.email == "wang.fang@tianfu.example"  # stored as the portal looks it up
        assert contact.phone == "+8613800138000"
        assert (contact.language, contact.active) == ("de", True)
    [entry] = audit_entries(app, "EnterpriseContact")
    assert entry.action == "create"
    assert entry.changes["email"] == [None, "wang.fang@tianfu.example"]


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": ""}, "Enter the contact's email address"),
        ({"email": "not-an-address"}, "Enter an email address like name@example.com."),
        ({"phone": "12"}, "Enter a valid phone number"),
        ({"name": ""}, "Enter the contact's name."),
        ({"language": "xx"}, 'href="#language"'),
    ],
)
def test_contact_bad_input(app, cast, overrides, message):
    with app.app_context():
        firm_id = make_enterprise().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/contacts/new"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data=contact_data(csrf_token=token, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert 'value="Sales director"' in html
    assert count(app, EnterpriseContact) == 0


def test_contact_email_is_unique_across_enterprises(app, cast):
    with app.app_context():
        other = make_enterprise("shuwei-foods", name="成都蜀味食品有限公司", name_latin="")
        make_contact(other, "wang.fang@tianfu.example", name="王芳")
        firm_id = make_enterprise().id
        db.session.commit()
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/contacts/new"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data=contact_data(csrf_token=token))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This address already belongs to 王芳 at 成都蜀味食品有限公司" in html
    assert count(app, EnterpriseContact) == 1
    assert audit_entries(app, "EnterpriseContact") == []


def test_deactivating_a_contact_ends_their_sessions(app, cast):
    from core.enterprises import issue_link, valid_link

    with app.app_context():
        firm = make_enterprise()
        contact = make_contact(firm)
        token = issue_link(contact, "invite")
        db.session.commit()
        firm_id, contact_id, version = firm.id, contact.id, contact.session_version
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/contacts/{contact_id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="active"' in page and "checked" in page
    data = {
        "csrf_token": csrf_token(page),
        "original": hidden_fields(page)["original"],
        "name": "王经理",
        "email": "wang@tianfu.example",
        "position": "General manager",
        "language": "zh",
    }  # the "active" box left unticked
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        contact = db.session.get(EnterpriseContact, contact_id)
        assert contact.active is False
        assert contact.session_version == version + 1
        contact.active = True  # reactivated later: the link mailed before still opens nothing
        db.session.commit()
        assert valid_link(token) is None
    [entry] = audit_entries(app, "EnterpriseContact")
    assert entry.changes == {"active": [True, False]}


def test_changing_the_address_stops_links_sent_to_the_old_one(app, cast):
    from core.enterprises import issue_link, valid_link

    with app.app_context():
        contact = make_contact(make_enterprise())
        token = issue_link(contact, "invite")
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/contacts/{contact_id}/edit"
    page = client.get(url).get_data(as_text=True)
    data = {
        **contact_data(language="zh"),
        "email": "new@tianfu.example",
        "active": "y",
        **hidden_fields(page),
    }
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert valid_link(token) is None
        assert db.session.get(EnterpriseContact, contact_id).session_version == 2


def test_contact_edited_meanwhile_is_a_conflict(app, cast):
    with app.app_context():
        contact = make_contact(make_enterprise())
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.manager)
    url = f"/crm/enterprises/{firm_id}/contacts/{contact_id}/edit"
    page = client.get(url).get_data(as_text=True)
    with app.app_context():
        db.session.get(EnterpriseContact, contact_id).position = "Chairman"
        db.session.commit()
    data = {**contact_data(), "active": "y", **hidden_fields(page)}
    response = client.post(url, data=data)
    assert response.status_code == 409
    assert "Chairman" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(EnterpriseContact, contact_id).email == "wang@tianfu.example"
    assert audit_entries(app, "EnterpriseContact") == []


def test_contact_of_another_enterprise_is_404(app, cast):
    with app.app_context():
        firm = make_enterprise()
        other = make_enterprise("shuwei-foods", name="成都蜀味食品有限公司", name_latin="")
        contact_id = make_contact(other).id
        db.session.commit()
        firm_id = firm.id
    client = signed_in(app, cast.manager)
    assert client.get(f"/crm/enterprises/{firm_id}/contacts/{contact_id}/edit").status_code == 404
    page = client.get(f"/crm/enterprises/{firm_id}").get_data(as_text=True)
    response = client.post(
        f"/crm/enterprises/{firm_id}/contacts/{contact_id}/invite",
        data={"csrf_token": csrf_token(page)},
    )
    assert response.status_code == 404
    assert count(app, OutboxEmail) == 0


# -- invitations -------------------------------------------------------------------------------


def invite(app, client, firm_id: int, contact_id: int):
    page = client.get(f"/crm/enterprises/{firm_id}").get_data(as_text=True)
    return client.post(
        f"/crm/enterprises/{firm_id}/contacts/{contact_id}/invite",
        data={"csrf_token": csrf_token(page)},
    )


def test_officer_invites_a_contact_in_their_language(app, cast, smtp_server):
    with app.app_context():
        contact = make_contact(make_enterprise(), "anna@tianfu.example", name="Anna", language="de")
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.officer)
    response = invite(app, client, firm_id, contact_id)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Invitation sent to anna@tianfu.example." in page
    with app.app_context():
        email = db.session.scalar(select(OutboxEmail))
        assert (email.kind, email.language, email.to_address) == (
            "portal_invite",
            "de",
            "anna@tianfu.example",
        )
        assert re.search(r"http://localhost/de/portal/link/[\w-]{20,}", email.body_text)
        assert email.status == "sent"
        contact = db.session.get(EnterpriseContact, contact_id)
        assert contact.invited_at is not None
        link = db.session.scalar(select(PortalLink))
        assert link.purpose == "invite" and link.expires_at > utcnow() + timedelta(hours=71)
    [received] = smtp_server.to("anna@tianfu.example")
    assert "/de/portal/link/" in received.body
    [entry] = audit_entries(app, "EnterpriseContact")
    assert entry.action == "invite"


def test_inactive_contact_is_not_invited(app, cast):
    with app.app_context():
        contact = make_contact(make_enterprise(), active=False)
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.manager)
    response = invite(app, client, firm_id, contact_id)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "is deactivated and cannot sign in" in page
    assert count(app, OutboxEmail) == 0 and count(app, PortalLink) == 0


# -- roles and addresses ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, view, edit, invite_status",
    [
        ("admin", 200, 200, 302),
        ("manager", 200, 200, 302),
        ("officer", 200, 403, 302),
        ("leader", 403, 403, 403),
    ],
)
def test_roles(app, cast, monkeypatch, role, view, edit, invite_status):
    monkeypatch.setattr(outbox, "hand_to_worker", lambda ids: None)  # the mail stays queued
    with app.app_context():
        contact = make_contact(make_enterprise())
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.by_role()[role])
    base = f"/crm/enterprises/{firm_id}"
    assert client.get("/crm/enterprises").status_code == view
    assert client.get(base).status_code == view
    for path in ("/crm/enterprises/new", f"{base}/edit", f"{base}/contacts/new"):
        assert client.get(path).status_code == edit, path
    assert client.get(f"{base}/contacts/{contact_id}/edit").status_code == edit
    token = csrf_token(client.get("/crm/account").get_data(as_text=True))
    for path in (f"{base}/edit", f"{base}/referral-code", "/crm/enterprises/new"):
        assert client.post(path, data={"csrf_token": token}).status_code in (
            (403,) if edit == 403 else (302, 409, 422)
        ), path
    response = client.post(f"{base}/contacts/{contact_id}/invite", data={"csrf_token": token})
    assert response.status_code == invite_status
    nav = client.get("/crm/account").get_data(as_text=True)
    assert ('href="/crm/enterprises"' in nav) == (view == 200)


def test_unknown_ids_are_404(app, cast):
    with app.app_context():
        contact = make_contact(make_enterprise())
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.manager)
    for url in (
        "/crm/enterprises/999",
        "/crm/enterprises/0",
        "/crm/enterprises/99999999999",
        "/crm/enterprises/99999999999/edit",
        f"/crm/enterprises/{firm_id}/contacts/99999999999/edit",
        f"/crm/enterprises/99999999999/contacts/{contact_id}/edit",
        "/crm/enterprises/999/contacts/new",
    ):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client.get(f"/crm/enterprises/{firm_id}").get_data(as_text=True))
    for url in (
        "/crm/enterprises/99999999999/referral-code",
        f"/crm/enterprises/{firm_id}/contacts/99999999999/invite",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/crm/enterprises")
    assert response.status_code == 302 and "/crm/login" in response.headers["Location"]


def test_pages_render_in_the_default_chinese(app):
    from tests.factories import make_cast

    with app.app_context():
        cast = make_cast()  # staff work in Chinese unless they choose English
        contact = make_contact(make_enterprise())
        db.session.commit()
        firm_id, contact_id = contact.enterprise_id, contact.id
    client = signed_in(app, cast.manager)
    for url in (
        "/crm/enterprises",
        f"/crm/enterprises/{firm_id}",
        "/crm/enterprises/new",
        f"/crm/enterprises/{firm_id}/edit",
        f"/crm/enterprises/{firm_id}/contacts/{contact_id}/edit",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in html
        if "contacts" not in url:
            assert ">精密机械<" in html  # the industry named in Chinese
