"""Demo portal contacts and referrals for `make run`: one of each road a referral can take, and
the referrals behind the other demo leads credited to a firm in the park. Never in production."""

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from core.audit import record
from core.extensions import db
from core.matching import normalise_company
from core.models import (
    Enterprise,
    EnterpriseContact,
    Lead,
    Project,
    Referral,
    ReferralUpdate,
    StageChange,
)
from core.referral_status import STAGE_PROGRESS
from core.workdays import CHINA
from demo.texts import REFERRAL_WORDS

# (enterprise slug, name, email, language, position)
DEMO_CONTACTS = (
    ("wendel-drives", "Katrin Wendel", "k.wendel@wendel-drives.example", "de", "Geschäftsführerin"),
    ("qingyuan-new-materials", "张莉", "zhangli@qingyuan-nm.example", "zh", "总经理助理"),
    ("castellani-valves", "Marco Castellani", "marco@castellani-valves.example", "en", "Director"),
    ("laboratoires-verdane", "Sophie Laurent", "s.laurent@verdane.example", "fr", "Directrice"),
)
# (referrer slug, company, Latin name, country, industry, contact, email, language, plans,
#  how known, days ago, demo lead it became (company) or None, decline reason or None)
DEMO_REFERRALS = (
    ("wendel-drives", "Müller Präzisionstechnik GmbH", None, "DE", "precision-machinery",
     "Anna Müller", "anna.mueller@mueller-praezision.example", "de",
     "Zweites Werk für Präzisionsteile, etwa 80 Mio. CNY.", "Langjähriger Lieferant von uns.",
     76, "Müller Präzisionstechnik GmbH", None),
    ("qingyuan-new-materials", "苏州华辰电子科技有限公司",
     "Suzhou Huachen Electronic Technology Co., Ltd.", "CN", "electronics",
     "周伟", "zhouwei@huachen.example", "zh", "在西部新建电子元件生产基地。", "我们的长期客户。",
     200, "苏州华辰电子科技有限公司", None),
    ("laboratoires-verdane", "Lumière Biotech SAS", None, "FR", "biomedicine",
     "Claire Martin", "claire.martin@lumiere-bio.example", "fr",
     "Un site de production de réactifs pour l'Asie.", "Partenaire de recherche à Lyon.",
     2, None, None),
    ("castellani-valves", "Bianchi Idraulica S.p.A.", None, "IT", "precision-machinery",
     "Luca Bianchi", "l.bianchi@bianchi-idraulica.example", "en",
     "Hydraulic fittings plant for the Chinese market, about 60 million CNY.",
     "Our supplier of forged parts for twenty years.", 3, None, None),
    ("qingyuan-new-materials", "重庆联城物流有限公司", None, "CN", "modern-logistics",
     "陈强", "chenqiang@liancheng.example", "zh", "租用仓库做区域分拨。", "行业协会认识。",
     40, None, "not_a_fit"),
)  # fmt: skip


def _contacts() -> dict[str, EnterpriseContact]:
    firms = {e.slug: e for e in db.session.scalars(select(Enterprise))}
    made = {}
    for slug, name, email, lang, position in DEMO_CONTACTS:
        if slug not in firms:
            continue
        contact = EnterpriseContact(
            enterprise=firms[slug], name=name, email=email, language=lang, position=position
        )
        db.session.add(contact)
        made[slug] = contact
    db.session.flush()
    return made


def load_demo_referrals(now: datetime | None = None) -> int:
    """Create the demo contacts and referrals once (nothing when any referral exists)."""
    if db.session.scalar(select(func.count()).select_from(Referral)):
        return 0
    now = now or datetime.now(UTC)
    contacts = _contacts()
    count = 0
    for (slug, company, latin, country, industry, person, email, lang, plans, how, days,
         lead_company, reason) in DEMO_REFERRALS:  # fmt: skip
        contact = contacts.get(slug)
        if contact is None:
            continue
        lead = (
            db.session.scalar(select(Lead).where(Lead.company_name == lead_company))
            if lead_company
            else None
        )
        created = now - timedelta(days=days)
        if lead is not None:
            created = min(created, lead.created_at - timedelta(days=1))
        referral = Referral(
            enterprise_id=contact.enterprise_id, submitted_by=contact, created_at=created,
            company_name=company, company_name_latin=latin, company_key=normalise_company(company),
            country=country, industry=industry, contact_name=person, contact_email=email,
            contact_language=lang, plans=plans, how_known=how, consent_at=created,
            consent_language=contact.language,
        )  # fmt: skip
        referral.updates.append(ReferralUpdate(status="submitted", at=created))
        if reason:
            referral.decision, referral.decline_reason = "declined", reason
            referral.decided_at = created + timedelta(days=2)
            referral.updates.append(ReferralUpdate(status="declined", at=referral.decided_at))
        elif lead is not None:
            _credit(referral, lead)
        db.session.add(referral)
        db.session.flush()
        record("create", referral, {"company_name": [None, company]}, actor="system")
        count += 1
    db.session.commit()
    return count


def refer(lead: Lead) -> Referral:
    """The accepted referral behind a demo lead already credited to a firm in the park (its
    referrer and referred_at set), as one of the firm's contacts sent it if it has any. Call it
    once the lead's stages, and its project if signed, are written: the referrer's steps follow."""
    contact = db.session.scalar(
        select(EnterpriseContact)
        .where(EnterpriseContact.enterprise_id == lead.referrer_enterprise_id)
        .order_by(EnterpriseContact.id)
    )
    writer = contact.language if contact is not None else lead.language
    plans, how = REFERRAL_WORDS[lead.id % len(REFERRAL_WORDS)][writer != "zh"]
    person = lead.primary_contact
    referral = Referral(
        enterprise_id=lead.referrer_enterprise_id, submitted_by=contact,
        created_at=lead.referred_at, company_name=lead.company_name,
        company_name_latin=lead.company_name_latin,
        company_key=normalise_company(lead.company_name), country=lead.country,
        industry=lead.industry, contact_name=person.name, contact_email=person.email,
        contact_phone=person.phone, contact_language=lead.language, plans=plans, how_known=how,
        consent_at=lead.referred_at, consent_language=writer,
    )  # fmt: skip
    referral.updates.append(ReferralUpdate(status="submitted", at=lead.referred_at))
    _credit(referral, lead)
    db.session.add(referral)
    db.session.flush()
    record("create", referral, {"company_name": [None, lead.company_name]}, actor="system")
    return referral


def _credit(referral: Referral, lead: Lead) -> None:
    """An accepted referral whose lead went its way: the steps the referrer saw, dated."""
    referral.decision, referral.lead = "accepted", lead
    referral.decided_at = lead.created_at
    lead.source, lead.referrer_enterprise_id = "referral", referral.enterprise_id
    lead.referred_at = referral.created_at
    referral.updates.append(ReferralUpdate(status="accepted", at=lead.created_at))
    seen = "accepted"
    for change in db.session.scalars(
        select(StageChange).where(StageChange.lead_id == lead.id).order_by(StageChange.at)
    ):
        step = STAGE_PROGRESS.get(change.to_stage, "accepted")
        if step != seen and step != "accepted":
            referral.updates.append(ReferralUpdate(status=step, at=change.at))
            seen = step
    project = db.session.scalar(select(Project).where(Project.lead_id == lead.id))
    for milestone in project.milestones if project is not None else ():
        if milestone.stage != "signed":
            moment = datetime.combine(milestone.reached_on, time(9), CHINA)
            referral.updates.append(ReferralUpdate(status=milestone.stage, at=moment))
            seen = milestone.stage
    referral.progress = seen
