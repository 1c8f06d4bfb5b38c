"""Staff hear of what became theirs: an officer given a lead (one mail for a bulk assignment),
a county leader named liaison; in their language, linked to the lead, never to the one who did
it."""

from sqlalchemy import select

from core.extensions import db
from core.models import OutboxEmail, User
from tests.crm.test_assignment import assign
from tests.factories import make_lead, sign_in_as


def mails(kind: str) -> list[OutboxEmail]:
    return db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
    ).all()


def test_the_new_owner_hears_of_the_lead_in_their_language(app, client, cast):
    with app.app_context():
        lead = make_lead("Kessler Antriebe GmbH", owner=db.session.get(User, cast.officer))
        db.session.get(User, cast.other_officer).language = "zh"
        db.session.commit()
        sign_in_as(client, cast.manager)
        assert assign(client, lead.id, owner=cast.other_officer).status_code == 302
        [mail] = mails("lead_assigned")
        officer = db.session.get(User, cast.other_officer)
        assert mail.to_address == officer.email and mail.language == "zh"
        assert mail.subject == "新分配给您的线索：Kessler Antriebe GmbH"
        assert f"/crm/leads/{lead.id}" in mail.body_text
        assert db.session.get(User, cast.manager).name in mail.body_text


def test_a_leader_named_liaison_hears_of_it_once(app, client, cast):
    with app.app_context():
        lead = make_lead("Selbst GmbH")
        db.session.commit()
        sign_in_as(client, cast.admin)
        assert assign(client, lead.id, liaison=cast.leader).status_code == 302
        [mail] = mails("liaison_named")
        assert mail.to_address == db.session.get(User, cast.leader).email
        assert "Selbst GmbH" in mail.subject and f"/crm/leads/{lead.id}" in mail.body_text
        sign_in_as(client, cast.leader)  # leaders cannot assign: nothing more is queued
        assign(client, lead.id, liaison="")
        assert len(mails("liaison_named")) == 1
