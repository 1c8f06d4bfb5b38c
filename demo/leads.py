"""Demo leads for `make run`: a pipeline to work, results for the June presentation, names the
demo fair file (tests/data/fair_500_gb18030.csv) will match across scripts. Never in production."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from core import approvals, incentives, projects
from core import leads as lifecycle
from core.audit import record
from core.extensions import db
from core.lead_moves import move_lead
from core.models import Contact, Event, Lead, ListItem, Plot, ProjectMilestone, StageChange, User
from core.workdays import CHINA, add_working_days

# (company, Latin name, country, language, industry, planned CNY million, contact, email, phone,
#  source, event slug, furthest stage, days ago created, owner, rating)
DEMO_LEADS = (
    ("Chengdu Tianfu Precision Machinery Co., Ltd.", None, "CN", "en", "precision-machinery",
     300, "Helen Wang", "helen.wang@tianfu-pm.example", "+862887654321",
     "website", None, "qualified", 40, "officer2", None),
    ("青岛金达新材料有限公司", "Qingdao Jinda New Materials Co., Ltd.", "CN", "zh", "new-materials",
     450, "刘敏", "liumin@jinda.example", "+8613512345678",
     "event", "chengdu-presentation-2026-06", "site_visit", 165, "officer2", "hot"),
    ("Wuxi Hengxin Intelligent Equipment Co., Ltd.", None, "CN", "en", "precision-machinery",
     180, "Tom Xu", "tom.xu@hengxin.example", None,
     "event", "chengdu-presentation-2026-06", "contacted", 165, "officer2", "warm"),
    ("佛山博越食品有限公司", None, "CN", "zh", "food-processing",
     120, "黄静", "huangjing@boyue.example", "+8613698765432",
     "event", "chengdu-presentation-2026-06", "lost", 165, "officer2", "cold"),
    ("苏州华辰电子科技有限公司", "Suzhou Huachen Electronic Technology Co., Ltd.", "CN", "zh",
     "electronics", 620, "周伟", "zhouwei@huachen.example", "+8613811112222",
     "event", "chengdu-presentation-2026-06", "signed", 165, "officer2", "hot"),
    ("Müller Präzisionstechnik GmbH", None, "DE", "de", "precision-machinery",
     80, "Anna Müller", "anna.mueller@mueller-praezision.example", "+49711123456",
     "website", None, "negotiation", 75, "officer", "hot"),
    ("Dubois Emballage SARL", None, "FR", "fr", "food-processing",
     45, "Jean Dubois", "jean.dubois@dubois-emballage.example", "+33472000000",
     "website", None, "contacted", 20, "officer", None),
    ("Weber Fahrzeugteile AG", None, "DE", "de", "auto-parts",
     900, "Jonas Weber", "j.weber@weber-fahrzeugteile.example", "+49895550100",
     "event", "chengdu-presentation-2026-06", "negotiation", 165, "officer", "hot"),
    ("Lumière Biotech SAS", None, "FR", "fr", "biomedicine",
     260, "Claire Martin", "claire.martin@lumiere-bio.example", None,
     "website", None, "new", 5, None, None),
    ("Nordic Cold Chain AB", None, "SE", "en", "modern-logistics",
     70, "Erik Lund", "erik.lund@nordic-cold.example", "+4681234567",
     "website", None, "new", 1, None, None),
)  # fmt: skip
PATH = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed")
# Above this (CNY), a county leader is liaison (the default threshold of issue #3).
LIAISON_FROM = Decimal(500_000_000)


def _user(handle: str | None) -> User | None:
    if handle is None:
        return None
    return db.session.scalar(select(User).where(User.email == f"{handle}@qingyuan-port.example"))


def _stages(furthest: str) -> list[str]:
    if furthest == "lost":
        return ["contacted", "qualified", "lost"]
    return list(PATH[1 : PATH.index(furthest) + 1])


def load_demo_leads(now: datetime | None = None) -> int:
    """Create the demo leads once (nothing when any lead exists); returns how many."""
    if db.session.scalar(select(func.count()).select_from(Lead)):
        return 0
    now = now or datetime.now(UTC)
    leader = _user("leader")
    for (company, latin, country, lang, industry, million, person, email, phone, source, slug,
         furthest, days, owner_handle, rating) in DEMO_LEADS:  # fmt: skip
        owner = _user(owner_handle)
        event = db.session.scalar(select(Event).where(Event.slug == slug)) if slug else None
        created = (
            datetime.combine(event.starts_on, datetime.min.time(), UTC) + timedelta(hours=3)
            if event
            else now - timedelta(days=days)
        )
        lead = Lead(
            source=source,
            company_name=company,
            company_name_latin=latin,
            country=country,
            industry=industry,
            language=lang,
            planned_investment=Decimal(million) * 1_000_000,
            owner_id=owner.id if owner else None,
            team_id=owner.team_id if owner else None,
            event_id=event.id if event else None,
            rating=rating,
        )
        if event is not None:
            lead.captured_at, lead.captured_by_id = created, owner.id if owner else None
        lead.contacts.append(Contact(name=person, email=email, phone=phone, language=lang))
        db.session.add(lead)
        lifecycle.on_create(
            lead, user=owner, response_hours=lifecycle.FAIR_RESPONSE_HOURS if event else None
        )
        if leader is not None and lead.planned_investment >= LIAISON_FROM:
            lead.liaison_id = leader.id
        lead.created_at = created
        lead.response_due_at = created + timedelta(hours=48)
        db.session.execute(
            StageChange.__table__.update().where(StageChange.lead_id == lead.id).values(at=created)
        )
        moment = created
        for step, stage in enumerate(_stages(furthest), start=1):
            moment = created + timedelta(days=step * max(1, days // 8))
            lost = {}
            if stage == "lost":
                lost["note"] = "Chose a site in Vietnam for lower labour costs."
                lost["lost_reason_id"] = db.session.scalar(
                    select(ListItem.id).where(ListItem.kind == "lost_reason").order_by(ListItem.id)
                )
            # The load's own audit entry stands for the moves (see move_lead).
            move_lead(lead, stage, owner, at=moment, audited=False, **lost)
        lifecycle.restate_history([lead.id])  # the moves were dated after they were recorded
        if furthest != "new":
            lead.first_response_at = created + timedelta(hours=20)
            lead.last_contact_at = moment
        record("create", lead, {"company_name": [None, company]}, actor="system")
        if furthest == "signed":
            _project(lead, moment, owner)
    db.session.commit()
    return len(DEMO_LEADS)


def _project(lead: Lead, signed_at: datetime, owner: User | None) -> None:
    """The signed demo lead's project: a plot, its agreement on file, construction under way."""
    project = projects.open_project(lead, owner)
    signed_on = signed_at.astimezone(CHINA).date()
    project.signed_on = project.milestones[0].reached_on = signed_on
    project.milestones[0].evidence_kind = "reference"
    project.milestones[0].reference = "QYGY-2026-017 投资协议"
    project.construction_deadline = signed_on + timedelta(days=90)
    project.production_deadline = signed_on + timedelta(days=365)
    rules = incentives.current_policy(signed_on)  # the signing's policy, as the form records it
    project.policy_version = str(rules["version"]) if rules else ""
    project.jobs_planned = 260
    plot = db.session.scalar(select(Plot).where(Plot.code == "N-03", Plot.status == "available"))
    if plot is not None:
        projects.allocate(project, [plot])
    started = min(signed_on + timedelta(days=45), projects.park_today())
    agent = _user("officer2")
    project.agent_id = agent.id if agent else None
    # Its approvals, carried in parallel, all granted before construction began.
    for offset, step in enumerate(approvals.steps_of(project)):
        submitted = min(signed_on + timedelta(days=2 + offset), started)
        approvals.update(
            step, status="approved", submitted_on=submitted,
            approved_on=min(add_working_days(submitted, step.limit_days - 1), started),
            notes="", agent_id=project.agent_id, today=projects.park_today(),
        )  # fmt: skip
    project.milestones.append(
        ProjectMilestone(
            stage="construction", reached_on=started, evidence_kind="reference",
            reference="510129202607150101 施工许可证",
        )
    )  # fmt: skip
    project.stage = "construction"
