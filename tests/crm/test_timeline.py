"""The lead's timeline in words: a sentence per event in the reader's language, names not ids,
each event once, emails folded, filters by kind, and the raw audit trail behind it."""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import (
    AuditEntry,
    Enterprise,
    Event,
    ImportJob,
    Lead,
    LeadTouch,
    OutboxEmail,
    User,
)
from core.models.base import utcnow
from tests.conftest import csrf_token
from tests.factories import make_lead, sign_in_as

NAMES = {"manager": "王经理", "officer": "李招商", "leader": "陈县长"}
BODY = (
    "Guten Tag Frau Müller,\n\nvielen Dank für Ihre Anfrage.\n\nZweiter Absatz.\n\nDritter Absatz."
)


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page) or re.search(
        rf'type="hidden" name="{name}" value="([^"]*)"', page
    )
    assert match, f"no hidden {name}"
    return html.unescape(match.group(1))


def entries(page: str) -> list[str]:
    """Each timeline entry as the reader sees its text (tags gone, spaces joined)."""
    part = page[
        page.index('class="lead-timeline"') : page.index("</ol>", page.index("lead-timeline"))
    ]
    items = re.findall(r"<li class=\"timeline-\w+\">(.*?)\n    </li>", part, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


@pytest.fixture
def story(app, client, cast):
    """A lead's life told through the app: assigned, moved, edited, written to, called, credited
    to a referral, met again at a fair's import; plus a lead created by an import."""
    with app.app_context():
        for role, name in NAMES.items():
            db.session.get(User, getattr(cast, role)).name = name
        lead = make_lead()
        firm = Enterprise(slug="wendel", name="文德尔", name_latin="Wendel", industry="auto-parts",
                          year_entered=2020, referral_code="WENDEL1")  # fmt: skip
        fair = Event(slug="fair", name={"en": "EU-China Fair", "zh": "中欧博览会"},
                     starts_on=date.today(), ends_on=date.today())  # fmt: skip
        db.session.add_all([firm, fair])
        db.session.commit()
        lead_id, manager, officer = lead.id, cast.manager, cast.officer
        firm_id, fair_id = firm.id, fair.id

        sign_in_as(client, manager)
    token = csrf_token(client.get("/crm/board").get_data(as_text=True))
    with app.app_context():
        version = db.session.get(Lead, lead_id).version_id
    data = {"csrf_token": token, "version": version, "next": "/crm/board", "owner": officer}
    assert client.post(f"/crm/leads/{lead_id}/assign", data=data).status_code == 302

    with app.app_context():
        sign_in_as(client, officer)
        version = db.session.get(Lead, lead_id).version_id
    data = {"csrf_token": token, "stage": "contacted", "version": version, "next": "/crm/board"}
    assert client.post(f"/crm/leads/{lead_id}/move", data=data).status_code == 302

    page = client.get(f"/crm/leads/{lead_id}/edit").get_data(as_text=True)
    edit = {
        "csrf_token": csrf_token(page), "version": hidden(page, "version"),
        "original": hidden(page, "original"), "company_name": "Müller Präzisionstechnik GmbH",
        "company_name_latin": "", "country": "AT", "industry": "auto-parts",
        "language": "de", "planned_investment": "1.5亿", "land_need_min_mu": "",
        "land_need_max_mu": "",
    }  # fmt: skip
    assert client.post(f"/crm/leads/{lead_id}/edit", data=edit).status_code == 302

    with app.app_context():
        contact_id = db.session.get(Lead, lead_id).contacts[0].id
    letter = {
        "csrf_token": token, "contact_id": str(contact_id), "template": "first_reply",
        "language": "de", "subject": "Ihre Anfrage", "body": BODY, "action": "send",
    }  # fmt: skip
    assert client.post(f"/crm/leads/{lead_id}/email", data=letter).status_code == 302
    call = {"kind": "call", "subject": "Called about plots", "csrf_token": token}
    assert client.post(f"/crm/leads/{lead_id}/activities", data=call).status_code == 302

    with app.app_context():
        # What core.referrals.accept writes when the firm is credited, and what an import of the
        # fair writes when a row merges into the lead (core.imports.writing), written directly.
        now = utcnow()
        job = ImportJob(filename="fair-2026.xlsx", stored_path="x", event_id=fair_id,
                        status="done", created_by_id=officer)  # fmt: skip
        db.session.add(job)
        db.session.flush()
        db.session.add_all([
            AuditEntry(actor=f"user:{manager}", action="credit", entity_type="Lead",
                       entity_id=lead_id, changes={"referrer": [None, firm_id]},
                       at=now + timedelta(minutes=1)),
            AuditEntry(actor=f"user:{officer}", action="merge", entity_type="Lead",
                       entity_id=lead_id, at=now + timedelta(minutes=2),
                       changes={"import": [None, job.id], "contact": [None, "Karl Weber"],
                                "rating": [None, "hot"]}),
            LeadTouch(lead_id=lead_id, event_id=fair_id, import_job_id=job.id, source="event",
                      at=now + timedelta(minutes=2), user_id=officer),
        ])  # fmt: skip
        imported = make_lead("Schmidt Logistik AG", email="s@schmidt.de")
        db.session.add(
            AuditEntry(actor=f"user:{officer}", action="create", entity_type="Lead",
                       entity_id=imported.id, changes={"source": [None, "import"],
                                                        "import": [None, job.id]})
        )  # fmt: skip
        db.session.commit()
        return {"lead": lead_id, "imported": imported.id, "job": job.id, "cast": cast}


def read(app, client, user_id, lang, url):
    with app.app_context():
        db.session.get(User, user_id).language = lang
        db.session.commit()
        sign_in_as(client, user_id)
    return client.get(url).get_data(as_text=True)


EXPECTED = {
    "en": [
        "王经理 assigned the lead to 李招商",
        "Team: Europe desk",
        "李招商 moved the lead from New to Contacted",
        "李招商 edited the lead",
        "Country or region: Germany → Austria",
        "Planned investment: ",
        "李招商 wrote to anna@mueller.example Subject: Ihre Anfrage",
        "Template: Letter written in the CRM · Language: German",
        "李招商 logged a call: Called about plots",
        "王经理 credited the lead to the referral by Wendel",
        "Met again at EU-China Fair",
        "Contact added: Karl Weber",
        "Rating: Hot",
        "Industry: Precision machinery → Automotive components",
        "The lead was created in stage New",
    ],
    "zh": [
        "王经理将线索分配给李招商",
        "李招商将线索阶段由“新线索”改为“已联系”",
        "国家或地区：德国 → 奥地利",
        "计划投资额：¥1.5亿",
        "李招商给anna@mueller.example发送了邮件",
        "语言：德语",
        "李招商记录了一次电话沟通：Called about plots",
        "王经理将线索记为文德尔的推荐成果",
        "中欧博览会",
        "意向等级：高",
        "行业：精密机械 → 汽车零部件",
    ],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_kind_of_event_reads_as_a_sentence_with_names(app, client, story, lang):
    page = read(app, client, story["cast"].manager, lang, f"/crm/leads/{story['lead']}")
    text = "\n".join(entries(page))
    for sentence in EXPECTED[lang]:
        assert sentence in text, f"{sentence!r} not in\n{text}"
    # No field names, stage codes, ids or slugs: every value is a name or a label.
    for raw in ("owner_id", "team_id", "referrer", "stage:", " new ", "contacted", "→ 3",
                "precision-machinery", "auto-parts", "status", "user:"):  # fmt: skip
        assert raw not in text, raw
    assert not re.search(r"(→|：|: ) ?\d+\b(?![.,\d万亿])", text), text  # an id where a name goes


def test_each_event_shows_once(app, client, story):
    page = read(app, client, story["cast"].manager, "en", f"/crm/leads/{story['lead']}")
    texts = entries(page)
    joined = "\n".join(texts)
    assert joined.count("moved the lead from New to Contacted") == 1
    # The outbox mail and the activity logged with it: one entry.
    assert joined.count("Subject: Ihre Anfrage") == 1
    assert joined.count("wrote to anna@mueller.example") == 1
    assert joined.count("Called about plots") == 1
    assert joined.count("Karl Weber") == 1  # the import's row folded into the meeting
    assert sum("created" in t for t in texts) == 1
    assert len(texts) == len(set(texts))


def test_emails_are_folded_with_the_full_text_one_click_away(app, client, story):
    page = read(app, client, story["cast"].manager, "en", f"/crm/leads/{story['lead']}")
    item = next(i for i in entries(page) if "Ihre Anfrage" in i)
    assert "vielen Dank für Ihre Anfrage." in item and "Full text" in item
    timeline = page[page.index('class="lead-timeline"') :]
    folded, full = timeline.split("<details", 1)[0], timeline.split("<details", 1)[1]
    assert "Dritter Absatz." not in folded.split("Ihre Anfrage", 1)[1]
    assert "Dritter Absatz." in full.split("</details>", 1)[0]


@pytest.mark.parametrize(
    ("kind", "present", "absent"),
    [
        ("mail", "Ihre Anfrage", "Called about plots"),
        ("activity", "Called about plots", "Ihre Anfrage"),
        ("stage", "from New to Contacted", "assigned the lead"),
        ("change", "assigned the lead", "from New to Contacted"),
    ],
)
def test_filters_by_kind(app, client, story, kind, present, absent):
    url = f"/crm/leads/{story['lead']}?timeline={kind}"
    page = read(app, client, story["cast"].manager, "en", url)
    text = "\n".join(entries(page))
    assert present in text and absent not in text
    assert f'timeline={kind}#timeline-title" aria-current="true"' in page


def test_an_unknown_filter_shows_everything(app, client, story):
    page = read(app, client, story["cast"].manager, "en", f"/crm/leads/{story['lead']}?timeline=x")
    text = "\n".join(entries(page))
    assert "Ihre Anfrage" in text and "assigned the lead" in text


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_lead_created_by_an_import_says_so(app, client, story, lang):
    page = read(app, client, story["cast"].manager, lang, f"/crm/leads/{story['imported']}")
    text = "\n".join(entries(page))
    expected = {
        "en": f"Created by import #{story['job']} (fair-2026.xlsx) in stage New",
        "zh": f"由第{story['job']}号导入（fair-2026.xlsx）创建，阶段为“新线索”",
    }
    assert expected[lang] in text, text


def test_the_raw_audit_trail_is_one_click_away_for_those_allowed(app, client, story):
    cast = story["cast"]
    page = read(app, client, cast.manager, "en", f"/crm/leads/{story['lead']}")
    assert f'href="/crm/leads/{story["lead"]}/audit"' in page
    audit = client.get(f"/crm/leads/{story['lead']}/audit")
    assert audit.status_code == 200
    body = audit.get_data(as_text=True)
    assert "owner_id" in body and "王经理" in body  # the raw entries, with who by name
    leader = read(app, client, cast.leader, "en", f"/crm/leads/{story['lead']}")
    assert "/audit" not in leader
    assert client.get(f"/crm/leads/{story['lead']}/audit").status_code == 403
    other = read(app, client, cast.other_officer, "en", "/crm/my-day")
    assert other and client.get(f"/crm/leads/{story['lead']}/audit").status_code == 404


def test_merged_entries_name_the_lead_they_came_from(app, client, story):
    with app.app_context():
        merged = db.session.get(Lead, story["imported"])
        merged.merged_into_id = story["lead"]
        db.session.commit()
        code = merged.code_name
    page = read(app, client, story["cast"].manager, "en", f"/crm/leads/{story['lead']}")
    text = "\n".join(entries(page))
    assert f"Recorded on Schmidt Logistik AG ({code}) before it was merged into this lead." in text
    with app.app_context():
        investor = select(OutboxEmail.subject).where(OutboxEmail.lead_id.is_not(None))
        assert db.session.scalar(investor) == "Ihre Anfrage"  # the investor's mail, untouched


def test_the_chinese_lead_page_shows_no_codes(app, story):
    fresh = app.test_client()  # no messages flashed while the story was written
    page = read(app, fresh, story["cast"].manager, "zh", f"/crm/leads/{story['lead']}")
    body = page[page.index("<main") :]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    for raw in ("owner_id", "auto-parts", "precision-machinery", "website", " event ", " new ",
                "contacted", "(de", " de,", "crm", "queued"):  # fmt: skip
        assert raw not in text, (raw, text[max(0, text.find(raw) - 80) : text.find(raw) + 80])
