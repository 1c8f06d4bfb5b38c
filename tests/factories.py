"""What tests build: a cast of staff in every role, leads, projects, enterprises and their
referrals, and staff signed in without the login form."""

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy import select

from core import leads as lead_lifecycle
from core import projects
from core.enterprises import new_referral_code, refresh_keys
from core.extensions import db
from core.matching import normalise_company
from core.models import (
    Contact,
    Enterprise,
    EnterpriseContact,
    Event,
    Lead,
    ProjectMilestone,
    Referral,
    ReferralUpdate,
    Team,
    User,
)
from core.models.base import utcnow
from core.passwords import hash_password
from core.workdays import CHINA
from crm.auth.signin import TOTP_REQUIRED, stamp_session
from crm.auth.twofactor import new_secret
from public_site.portal.session import KEY

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


def signed_in(app, user_id: int, client=None):
    """A test client (a new one unless given) signed in as the user."""
    client = client or app.test_client()
    with app.app_context():
        sign_in_as(client, user_id)
    return client


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


# -- projects ------------------------------------------------------------------------------------

_serial = count(1)


def beijing(*args) -> datetime:
    """A moment given in the park's time, as the UTC the database holds."""
    return datetime(*args, tzinfo=CHINA).astimezone(UTC)


def make_project(
    company: str | None = None,
    *,
    signed_on: date = date(2026, 3, 10),
    investment: int | None = 100_000_000,
    zone: str | None = "north",
    proof: bool = True,
    construction: date | None = None,
    construction_proof: bool = True,
    production: date | None = None,
    deadline: date | None = None,
    owner: User | None = None,
    liaison: User | None = None,
    **lead_fields,
):
    """A signed project as the CRM leaves it, with the days and proofs given (call in a context)."""
    n = next(_serial)
    lead = make_lead(
        company or f"Firm {n} GmbH",
        email=f"c{n}@firm.example",
        owner=owner,
        liaison=liaison,
        stage="signed",
        investment=investment,
        **lead_fields,
    )
    lead.created_at = beijing(signed_on.year, signed_on.month, signed_on.day, 9)
    project = projects.open_project(lead, owner)
    project.signed_on, project.zone, project.investment = (
        signed_on,
        zone,
        (Decimal(investment) if investment is not None else None),
    )
    project.construction_deadline = deadline
    signed = project.milestone("signed")
    signed.reached_on = signed_on
    if proof:
        signed.evidence_kind, signed.reference = "reference", f"Agreement {n}"
    if construction:
        project.stage = "construction"
        project.milestones.append(
            ProjectMilestone(
                stage="construction",
                reached_on=construction,
                evidence_kind="reference" if construction_proof else None,
                reference=f"Permit {n}" if construction_proof else "",
            )
        )
    if production:
        project.stage = "production"
        project.milestones.append(
            ProjectMilestone(
                stage="production", reached_on=production, evidence_kind="document",
                path=f"projects/proof-{n}.pdf", content_type="application/pdf", size=10,
            )
        )  # fmt: skip
    db.session.flush()
    return project


# -- enterprises in the park and their referrals ----------------------------------------------

NOW = utcnow()


def make_enterprise(slug: str = "tianfu", name: str = "成都天府精密机械有限公司", **values):
    fields = {
        "name_latin": "Chengdu Tianfu Precision Machinery",
        "industry": "precision-machinery",
        "zone": "north",
        "year_entered": 2019,
    }
    fields.update(values)
    firm = Enterprise(slug=slug, name=name, referral_code=new_referral_code(), **fields)
    refresh_keys(firm)
    db.session.add(firm)
    db.session.flush()
    return firm


def make_contact(firm: Enterprise, email: str, language: str = "de") -> EnterpriseContact:
    person = EnterpriseContact(
        enterprise_id=firm.id, name=email.split("@")[0], email=email, language=language
    )
    db.session.add(person)
    db.session.flush()
    return person


def make_referral(
    firm: Enterprise,
    by: EnterpriseContact | None = None,
    company: str = "Schmidt Antriebstechnik GmbH",
    *,
    email: str = "k.schmidt@schmidt.example",
    at=None,
    **values,
) -> Referral:
    at = at or NOW - timedelta(days=2)
    referral = Referral(
        enterprise_id=firm.id,
        submitted_by_id=by.id if by else None,
        origin="portal",
        created_at=at,
        company_name=company,
        company_key=normalise_company(company),
        country="DE",
        industry="precision-machinery",
        contact_name="Klaus Schmidt",
        contact_email=email,
        contact_language="de",
        plans="A plant for gearboxes",
        how_known="Our supplier for ten years",
        consent_at=at,
        consent_language="de",
        consent_hash="0" * 64,
        **values,
    )
    referral.updates.append(ReferralUpdate(status="submitted", at=at))
    db.session.add(referral)
    db.session.flush()
    return referral


# -- events ----------------------------------------------------------------------------------------


def make_event(slug: str = "test-fair", days_ahead: int = 10, **values) -> Event:
    start = date.today() + timedelta(days=days_ahead)
    fields = {
        "name": {"zh": f"{slug} 展会", "en": f"{slug} fair"},
        "city": {"en": "Chengdu"},
        "venue": {"en": "Expo City"},
        "booth": {"en": "Hall 3, booth A12"},
        "summary": {"en": "Meet us."},
        "starts_on": start,
        "ends_on": start + timedelta(days=2),
    }
    event = Event(slug=slug, **{**fields, **values})
    db.session.add(event)
    db.session.flush()
    return event


# -- enterprises as the portal's tests meet them, and their contacts signed in -----------------


def portal_enterprise(
    name: str = "四川清源新材料科技有限公司",
    latin: str = "Sichuan Qingyuan New Materials Technology Co., Ltd.",
    slug: str = "qingyuan-new-materials",
) -> Enterprise:
    firm = Enterprise(
        slug=slug,
        name=name,
        name_latin=latin,
        industry="new-materials",
        year_entered=2018,
        referral_code=new_referral_code(),
    )
    refresh_keys(firm)
    db.session.add(firm)
    db.session.flush()
    return firm


def portal_contact(
    enterprise: Enterprise,
    email: str = "wang.fang@qingyuan-materials.example",
    name: str = "王芳",
    language: str = "de",
    active: bool = True,
) -> EnterpriseContact:
    contact = EnterpriseContact(
        enterprise=enterprise, name=name, email=email, language=language, active=active
    )
    db.session.add(contact)
    db.session.flush()
    return contact


def portal_referral(
    enterprise: Enterprise,
    contact: EnterpriseContact | None = None,
    company: str = "Schmidt Sensorik GmbH",
    *,
    origin: str = "portal",
    shared: bool = True,
    **fields,
) -> Referral:
    referral = Referral(
        enterprise_id=enterprise.id,
        submitted_by_id=contact.id if contact else None,
        origin=origin,
        company_name=company,
        country="DE",
        industry="electronics",
        contact_name="Anna Schmidt",
        contact_email=f"anna@{company.split()[0].lower()}.example",
        contact_language="de",
        plans="A plant for pressure sensors.",
        how_known="Our customer since 2015.",
        shared_with_referrer=shared,
        **fields,
    )
    referral.updates.append(ReferralUpdate(status="submitted"))
    db.session.add(referral)
    db.session.flush()
    return referral


def portal_world(app, **contact_fields) -> dict:
    """One enterprise with one contact; returns their ids."""
    with app.app_context():
        firm = portal_enterprise()
        contact = portal_contact(firm, **contact_fields)
        db.session.commit()
        return {"enterprise": firm.id, "contact": contact.id, "email": contact.email}


def portal_sign_in(client, contact_id: int) -> None:
    """A portal session on the test client without the emailed link (tests/site/test_portal_auth.py
    tests the link)."""
    contact = db.session.get(EnterpriseContact, contact_id)
    now = int(time.time())
    with client.session_transaction() as session:
        session[KEY] = {"id": contact.id, "v": contact.session_version, "since": now, "seen": now}
