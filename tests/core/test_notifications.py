"""Every event through notify(): the notice stored for the CRM's bell, the mail per the person's
choice, never to the one who did it; the six kinds; a bulk assignment as one notice; mentions
parsed and limited to those who may see the lead; an anonymised lead's notices gone."""

from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from core import notifications, privacy, referral_routing
from core.extensions import db
from core.models import Lead, Notification, OutboxEmail, Team, User
from tests.core.test_approvals import deliver, escalations, step, submit  # noqa: F401
from tests.factories import make_cast, make_enterprise, make_lead, make_referral


def notices(user_id: int) -> list[Notification]:
    return db.session.scalars(
        select(Notification).where(Notification.recipient_id == user_id).order_by(Notification.id)
    ).all()


def mails(kind: str) -> list[OutboxEmail]:
    return db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()


def said(notice: Notification, lang: str = "en") -> str:
    with force_locale(lang):
        return notifications.text(notice)


def test_a_notice_is_stored_and_mailed_unless_the_person_chose_the_crm_only(app):
    with app.test_request_context():
        cast = make_cast()
        officer, manager = db.session.get(User, cast.officer), db.session.get(User, cast.manager)
        lead = make_lead("Kessler Antriebe GmbH")
        notifications.lead_assigned(lead, officer, manager)
        [notice] = notices(officer.id)
        assert (notice.kind, notice.record_type, notice.record_id) == (
            "lead_assigned",
            "lead",
            lead.id,
        )
        assert notice.read_at is None and notifications.link(notice) == f"/crm/leads/{lead.id}"
        assert said(notice) == "A lead is yours now: Kessler Antriebe GmbH"
        assert said(notice, "zh") == "新分配给您的线索：Kessler Antriebe GmbH"
        assert len(mails("lead_assigned")) == 1
        officer.notify_by_mail = {"lead_assigned": False}
        notifications.lead_assigned(lead, officer, manager)
        assert len(notices(officer.id)) == 2 and len(mails("lead_assigned")) == 1
        # Never the one who did it, never an inactive account.
        notifications.lead_assigned(lead, officer, officer)
        officer.active = False
        notifications.lead_assigned(lead, officer, manager)
        assert len(notices(officer.id)) == 2
        assert notifications.unread_count(officer) == 2
        assert notifications.mark_read(officer, notices(officer.id)[0].id) == 1
        assert notifications.unread_count(officer) == 1
        assert notifications.mark_read(officer) == 1 and notifications.unread_count(officer) == 0


def test_a_bulk_assignment_is_one_notice_per_officer_linking_their_leads(app):
    with app.test_request_context():
        cast = make_cast()
        officer, mate = db.session.get(User, cast.officer), db.session.get(User, cast.teammate)
        leads = [make_lead(f"Firma {n} GmbH", email=f"k{n}@firma{n}.example") for n in range(3)]
        notifications.leads_assigned({officer: leads[:2], mate: leads[2:]}, None)
        [many] = notices(officer.id)
        assert many.params["count"] == 2 and said(many) == "2 leads are yours now"
        assert notifications.link(many) == f"/crm/leads?owner={officer.id}"
        [one] = notices(mate.id)
        assert said(one) == "A lead is yours now: Firma 2 GmbH"
        assert len(mails("lead_assigned")) == 2


def test_a_liaison_named_and_a_reply_received(app):
    with app.test_request_context():
        cast = make_cast()
        leader, officer = db.session.get(User, cast.leader), db.session.get(User, cast.officer)
        lead = make_lead("Selbst GmbH", owner=officer)
        notifications.liaison_named(lead, leader, None)
        [named] = notices(leader.id)
        assert said(named) == "You are the liaison for Selbst GmbH"

        class Mail:
            from_name, from_address, subject, body_text = "Anna", "anna@selbst.example", "Re", "Ja"

        notifications.reply_received(officer, lead, Mail(), 0)
        [reply] = notices(officer.id)
        assert said(reply) == "The investor replied on Selbst GmbH"
        assert "Anna" not in str(reply.params)  # the person's name stays with the mail
        [mail] = mails("reply_received")
        assert mail.lead_id == lead.id and "Anna" in mail.subject


def test_a_referral_to_decide_tells_its_team_or_the_shared_inbox(app):
    with app.test_request_context():
        cast = make_cast()
        firm = make_enterprise()
        waiting = make_referral(firm, team_id=cast.team_a)
        notifications.referral_to_decide(waiting)
        told = {n.recipient_id for n in db.session.scalars(select(Notification))}
        assert told == {cast.officer, cast.teammate}  # team A's officers
        [notice] = notices(cast.officer)
        assert said(notice).startswith("New referral to decide: Schmidt Antriebstechnik GmbH")
        assert notifications.link(notice) == f"/crm/referrals/{waiting.id}"
        assert not mails("referral_to_decide")  # the bureau's address has its mail already
        manager = db.session.get(User, cast.manager)
        referral_routing.route(waiting, db.session.get(Team, cast.team_b), by=manager)
        assert len(notices(cast.other_officer)) == 1
        shared = make_referral(firm, company="Rossi S.r.l.", email="r@rossi.example")
        notifications.referral_to_decide(shared, by=manager)
        told = {
            n.recipient_id
            for n in db.session.scalars(select(Notification))
            if n.record_id == shared.id
        }
        assert told == {cast.officer, cast.teammate, cast.other_officer}


def test_an_overdue_step_tells_its_agent_then_the_liaison_in_the_crm(app, step):  # noqa: F811
    step_id, cast = step
    submit(app, step_id, date(2026, 9, 29), date(2026, 9, 29))
    assert escalations(app, date(2026, 10, 10)) == [(1, ["li@bureau.example"])]
    with app.test_request_context():
        [first] = notices(cast.officer)
        assert first.kind == "approval_overdue" and first.record_type == "project"
        assert said(first, "zh").startswith("审批已逾期 1 个工作日")
        assert "税务登记" in said(first, "zh")
        assert not notices(cast.leader)
    from datetime import UTC, datetime

    deliver(app, datetime(2026, 10, 10, 2, 0, tzinfo=UTC))
    assert escalations(app, date(2026, 10, 14))[0][0] == 2
    with app.test_request_context():
        assert len(notices(cast.officer)) == 2 and len(notices(cast.leader)) == 1
        # Mailed by the escalation itself, not again by notify(): four mails as before.
        assert len(mails("approval_overdue")) == 4


def test_mentions_by_name_or_username_reach_only_those_who_may_see_the_lead(app):
    with app.test_request_context():
        cast = make_cast()
        officer = db.session.get(User, cast.officer)
        db.session.get(User, cast.teammate).name = "Wu Fang"
        lead = make_lead("Bianchi S.p.A.", owner=officer)
        told = notifications.mentioned_in(
            "Please call back, @WuFang. @zhao (other team) and @li, and mail li@x.example.",
            lead,
            officer,
        )
        assert [u.id for u in told] == [cast.teammate]  # zhao cannot see it; li wrote it
        [notice] = notices(cast.teammate)
        assert said(notice) == "li mentioned you on Bianchi S.p.A."
        [mail] = mails("mentioned")  # by e-mail too, in the teammate's language (zh)
        assert mail.subject == "li 在 Bianchi S.p.A. 中提到了您"
        assert f"/crm/leads/{lead.id}" in mail.body_text and "我的账户" in mail.body_text
        assert notifications.mentioned_in("no one here, mail@x.example", lead, officer) == []
        told = notifications.mentioned_in("@manager: your view?", lead, officer)
        assert [u.id for u in told] == [cast.manager]


def test_anonymising_a_lead_removes_the_notices_that_name_it(app):
    with app.test_request_context():
        cast = make_cast()
        officer = db.session.get(User, cast.officer)
        lead, kept = make_lead("Anna Müller e.K."), make_lead("Other GmbH", email="o@other.example")
        notifications.lead_assigned(lead, officer, None)
        notifications.lead_assigned(kept, officer, None)
        db.session.commit()
        privacy.anonymise(db.session.get(Lead, lead.id), actor="test")
        assert [n.record_id for n in notices(officer.id)] == [kept.id]


def test_an_inquiry_the_rules_assign_tells_its_new_owner(app, client):
    from core.models import AssignmentRule
    from tests.forms import open_form, send

    with app.app_context():
        cast = make_cast()
        db.session.add(
            AssignmentRule(position=1, kind="language", match="de", user_id=cast.officer)
        )
        db.session.commit()
    assert send(client, open_form(client, "de"), "de").status_code in (200, 302, 303)
    with app.test_request_context():
        [notice] = notices(cast.officer)
        lead = db.session.get(Lead, notice.record_id)
        assert lead.owner_id == cast.officer and said(notice).endswith("Schmidt Sensorik GmbH")
        assert len(mails("lead_assigned")) == 1
