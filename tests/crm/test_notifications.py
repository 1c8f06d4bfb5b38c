"""The CRM's notifications over HTTP: the bell's count on every page, the list (open, mark read,
mark all read, pages, another person's notice 404), the e-mail choices, @mentions in a logged
activity, a team's WeCom robot set by an admin, and a contact's mobile and WeChat ID."""

import re

import pytest
from sqlalchemy import select

from core import notifications
from core.extensions import db
from core.models import AuditEntry, Contact, Lead, Notification, OutboxEmail, Team, User
from tests.conftest import csrf_token
from tests.crm.test_assignment import assign
from tests.crm.test_lead_detail import contact_data
from tests.factories import make_lead, signed_in


@pytest.fixture
def world(app, cast):
    """The cast in English; a lead of the officer's team."""
    with app.app_context():
        for user in db.session.scalars(select(User)):
            user.language = "en"
        lead = make_lead("Kessler Antriebe GmbH", owner=db.session.get(User, cast.teammate))
        db.session.commit()
        return lead.id


def bell(html: str) -> int:
    return int(re.search(r'class="bell-count" data-unread="(\d+)"', html).group(1))


def page(response) -> str:
    return response.get_data(as_text=True)


def mine(user_id: int) -> list[Notification]:
    return db.session.scalars(
        select(Notification).where(Notification.recipient_id == user_id).order_by(Notification.id)
    ).all()


def test_an_assignment_rings_the_bell_and_the_notice_opens_the_lead(app, client, cast, world):
    signed_in(app, cast.manager, client)
    with app.app_context():
        assert assign(client, world, owner=cast.officer).status_code == 302
    officer = signed_in(app, cast.officer)
    home = page(officer.get("/crm/notifications"))
    assert bell(home) == 1 and "A lead is yours now: Kessler Antriebe GmbH" in home
    assert "1 unread" in home
    with app.app_context():
        [notice] = mine(cast.officer)
    token = csrf_token(home)
    opened = officer.post(f"/crm/notifications/{notice.id}/open", data={"csrf_token": token})
    assert opened.status_code == 302 and opened.headers["Location"] == f"/crm/leads/{world}"
    assert bell(page(officer.get(f"/crm/leads/{world}"))) == 0
    # Someone else's notice is one that does not exist, and stays unread.
    with app.app_context():
        notifications.lead_assigned(
            db.session.get(Lead, world), db.session.get(User, cast.teammate), None
        )
        db.session.commit()
        [theirs] = mine(cast.teammate)
    for action in ("open", "read"):
        response = officer.post(
            f"/crm/notifications/{theirs.id}/{action}", data={"csrf_token": token}
        )
        assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Notification, theirs.id).read_at is None
    # Without the CSRF token nothing is marked.
    assert (
        signed_in(app, cast.teammate).post(f"/crm/notifications/{theirs.id}/read").status_code
        == 400
    )


def test_mark_read_mark_all_and_pages(app, client, cast, world):
    with app.app_context():
        lead, officer = db.session.get(Lead, world), db.session.get(User, cast.officer)
        for _ in range(35):
            notifications.lead_assigned(lead, officer, None)
        db.session.commit()
        first = mine(cast.officer)[0].id
    signed_in(app, cast.officer, client)
    one = page(client.get("/crm/notifications"))
    assert bell(one) == 35 and one.count('class="notice-item notice-unread"') == 30
    assert "Page 1 of 2" in one and 'rel="next"' in one
    assert page(client.get("/crm/notifications?page=2")).count("notice-item") == 5
    assert client.get("/crm/notifications?page=9").headers["Location"].endswith("page=2")
    bad = client.get("/crm/notifications?page=x", follow_redirects=True)
    assert bad.status_code == 200 and "That page number is not valid" in page(bad)
    token = csrf_token(one)
    read = client.post(f"/crm/notifications/{first}/read?page=2", data={"csrf_token": token})
    assert read.status_code == 302 and read.headers["Location"].endswith("page=2")
    assert bell(page(client.get("/crm/notifications"))) == 34
    done = client.post(
        "/crm/notifications/read-all", data={"csrf_token": token}, follow_redirects=True
    )
    assert "All notifications are read." in page(done) and bell(page(done)) == 0
    again = client.post(
        "/crm/notifications/read-all", data={"csrf_token": token}, follow_redirects=True
    )
    assert "Nothing was unread." in page(again)


def test_preferences_choose_the_crm_only_and_are_audited(app, client, cast, world):
    signed_in(app, cast.officer, client)
    form = page(client.get("/crm/account/notifications"))
    assert "Notification settings" in form and 'value="mail" checked' in form
    assert "An approval step I carry is overdue: always" in form
    choices = {f"mail_{k}": "mail" for k in notifications.KIND_LABELS}
    bad = client.post(
        "/crm/account/notifications",
        data={"csrf_token": csrf_token(form), **choices, "mail_lead_assigned": "pigeon"},
    )
    assert bad.status_code == 400 and "Choose one of the two." in page(bad)
    saved = client.post(
        "/crm/account/notifications",
        data={"csrf_token": csrf_token(form), **choices, "mail_lead_assigned": "crm"},
        follow_redirects=True,
    )
    assert "Your notification settings are saved." in page(saved)
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        assert officer.notify_by_mail["lead_assigned"] is False
        assert officer.notify_by_mail["referral_to_decide"] is True
        [entry] = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "User", AuditEntry.action == "update"
            )
        ).all()
        assert entry.changes["notify_by_mail"][1]["lead_assigned"] is False
    signed_in(app, cast.manager, client)
    with app.app_context():
        assign(client, world, owner=cast.officer)
        assert len(mine(cast.officer)) == 1
        assert not db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "lead_assigned")
        ).all()
    assert "My account" in page(
        client.get("/crm/account")
    ) and "/crm/account/notifications" in page(client.get("/crm/account"))


def test_a_mention_in_a_logged_call_tells_the_colleague(app, client, cast, world):
    signed_in(app, cast.officer, client)
    token = csrf_token(page(client.get("/crm/my-day")))
    data = {
        "kind": "note",
        "subject": "Plot visit",
        "body": "@wu please bring the map; @zhao too",
        "csrf_token": token,
    }
    assert client.post(f"/crm/leads/{world}/activities", data=data).status_code == 302
    with app.app_context():
        [notice] = mine(cast.teammate)  # the owner, named by username
        assert notice.kind == "mentioned" and notice.params["by"] == "li"
        assert mine(cast.other_officer) == []  # another team's officer does not see the lead
    teammate = signed_in(app, cast.teammate)
    assert "li mentioned you on Kessler Antriebe GmbH" in page(teammate.get("/crm/notifications"))


def test_an_admin_sets_and_removes_a_teams_wecom_robot(app, client, cast, world):
    signed_in(app, cast.admin, client)
    users = page(client.get("/crm/admin/users"))
    url = f"/crm/admin/teams/{cast.team_a}/wecom"
    robot = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc-123"
    refused = client.post(
        url,
        data={"csrf_token": csrf_token(users), "url": "http://x.example/hook", "action": "save"},
        follow_redirects=True,
    )
    assert "starts with https://" in page(refused)
    saved = client.post(
        url,
        data={"csrf_token": csrf_token(users), "url": robot, "action": "save"},
        follow_redirects=True,
    )
    assert "The WeCom group robot of Europe desk is saved." in page(saved)
    with app.app_context():
        assert db.session.get(Team, cast.team_a).wecom_webhook_url == robot
        [entry] = db.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "Team")
        ).all()
        assert entry.changes == {"wecom_webhook_url": [False, True]}  # never the key itself
    client.post(url, data={"csrf_token": csrf_token(users), "action": "remove"})
    with app.app_context():
        assert db.session.get(Team, cast.team_a).wecom_webhook_url is None
    assert (
        client.post(
            "/crm/admin/teams/999/wecom", data={"csrf_token": csrf_token(users)}
        ).status_code
        == 404
    )


def test_a_contact_has_a_mobile_and_a_wechat_id_shown_and_searchable(app, client, cast, world):
    signed_in(app, cast.teammate, client)
    url = f"/crm/leads/{world}/contacts/new"
    form = page(client.get(url))
    assert 'name="mobile"' in form and 'name="wechat_id"' in form
    bad = client.post(url, data=contact_data(form, mobile="12", wechat_id="李!"))
    assert bad.status_code == 200
    assert "Enter a valid phone number" in page(bad) and "A WeChat ID has 6 to 20" in page(bad)
    good = client.post(
        url, data=contact_data(form, mobile="+49 171 2345678", wechat_id="petra_schulz88")
    )
    assert good.status_code == 302
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.name == "Petra Schulz"))
        assert (contact.mobile, contact.wechat_id) == ("+491712345678", "petra_schulz88")
    detail = page(client.get(f"/crm/leads/{world}"))
    assert "petra_schulz88" in detail and 'href="tel:+491712345678"' in detail
    for term in ("petra_schulz88", "0171 2345678", "1712345678"):
        listed = page(client.get("/crm/leads", query_string={"q": term}))
        assert "Kessler Antriebe GmbH" in listed, term
