"""Helpers for CRM tests: a cast of staff in every role, leads to work on, signing in quickly."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from core import leads as lead_lifecycle
from core.extensions import db
from core.models import Contact, Lead, Team, User
from core.passwords import hash_password
from crm.auth.signin import TOTP_REQUIRED, stamp_session
from crm.auth.twofactor import new_secret

PASSWORD = "correct horse battery"
_HASH: list[str] = []


def make_user(role: str, email: str, team: Team | None = None, name: str | None = None) -> User:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))  # argon2 is slow on purpose: hash once per run
    user = User(
        email=email, name=name or email.split("@")[0], role=role, team=team, password_hash=_HASH[0]
    )
    if role in TOTP_REQUIRED:  # they could not open anything but enrolment without it
        user.totp_secret = new_secret()
    db.session.add(user)
    db.session.flush()
    return user


def make_lead(
    company: str = "Müller Präzisionstechnik GmbH",
    *,
    owner: User | None = None,
    liaison: User | None = None,
    contact_name: str = "Anna Müller",
    email: str | None = "anna@mueller.example",
    phone: str | None = None,
    country: str = "DE",
    language: str = "de",
    source: str = "website",
    stage: str = "new",
    investment: int | None = 80_000_000,
) -> Lead:
    """A lead as the public form or an officer would create it (lifecycle included)."""
    lead = Lead(
        source=source,
        company_name=company,
        country=country,
        industry="precision-machinery",
        language=language,
        stage=stage,
        investment_min=Decimal(investment) if investment is not None else None,
        owner_id=owner.id if owner else None,
        team_id=owner.team_id if owner else None,
        liaison_id=liaison.id if liaison else None,
    )
    lead.contacts.append(Contact(name=contact_name, email=email, phone=phone, language=language))
    db.session.add(lead)
    lead_lifecycle.on_create(lead)
    db.session.flush()
    return lead


@dataclass
class Cast:
    admin: int
    manager: int
    officer: int  # team A
    teammate: int  # team A
    other_officer: int  # team B
    leader: int
    team_a: int
    team_b: int

    def by_role(self) -> dict[str, int]:
        return {
            "admin": self.admin,
            "manager": self.manager,
            "officer": self.officer,
            "leader": self.leader,
        }


def make_cast() -> Cast:
    """Call inside an app context; commits."""
    team_a, team_b = Team(name="Europe desk"), Team(name="China desk")
    db.session.add_all([team_a, team_b])
    db.session.flush()
    cast = Cast(
        admin=make_user("admin", "admin@bureau.example").id,
        manager=make_user("manager", "manager@bureau.example").id,
        officer=make_user("officer", "li@bureau.example", team_a).id,
        teammate=make_user("officer", "wu@bureau.example", team_a).id,
        other_officer=make_user("officer", "zhao@bureau.example", team_b).id,
        leader=make_user("leader", "chen@bureau.example").id,
        team_a=team_a.id,
        team_b=team_b.id,
    )
    db.session.commit()
    return cast


def english_cast() -> Cast:
    """The cast working in English, so assertions can name the labels (call in an app context)."""
    cast = make_cast()
    for user in db.session.scalars(select(User)):
        user.language = "en"
    db.session.commit()
    return cast


def sign_in_as(client, user_id: int) -> None:
    """Put a signed-in session on the test client without the login form (tested elsewhere)."""
    user = db.session.get(User, user_id)
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        stamp_session(session)


def two_signed_projects(cast: "Cast") -> dict:
    """Project a: a lead of the officer's team A with the leader as liaison; project b: team B.
    Both signed by the manager, the officer as their agent (and of every approval step)."""
    from core import approvals, projects

    officer = db.session.get(User, cast.officer)
    leader = db.session.get(User, cast.leader)
    other = db.session.get(User, cast.other_officer)
    manager = db.session.get(User, cast.manager)
    lead_a = make_lead("Müller Präzisionstechnik GmbH", owner=officer, liaison=leader)
    lead_b = make_lead("Bianchi Idraulica S.p.A.", owner=other, email="luca@bianchi.example")
    made = {}
    for key, lead in (("a", lead_a), ("b", lead_b)):
        lead.stage = "signed"
        project = projects.open_project(lead, manager)
        project.agent_id = officer.id
        for step in approvals.steps_of(project):  # the file opened before the agent was named
            step.agent_id = officer.id
        made[key] = project
    return made
