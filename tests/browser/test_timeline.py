"""A demo-like lead's timeline read in a real browser in Chinese and English: sentences with
names, one entry per event, a folded email opened, a filter used; axe-core finds nothing."""

from datetime import timedelta

import pytest

from tests.browser.conftest import DESKTOP, enter_signed_in, review_shot, set_staff_language

pytestmark = pytest.mark.browser

LETTER = (
    "Sehr geehrte Frau Keller,\n\nvielen Dank für Ihr Interesse.\n\n"
    "Gern zeigen wir Ihnen die Grundstücke.\n\nMit freundlichen Grüßen\n"
)


def demo_like_lead(app, cast) -> int:
    """A lead as the demo writes one: its past moves dated in the past (not audited, as the demo
    loads them), an assignment, an edit, a letter sent from the CRM, a call."""
    from flask import g

    from core import outbox
    from core.audit import record
    from core.extensions import db
    from core.lead_moves import move_lead
    from core.models import Activity, User
    from core.models.base import utcnow
    from crm.pipeline.assignment import assign_owner
    from tests.factories import make_lead

    with app.test_request_context():
        names = {cast.manager: "王经理", cast.officer: "李招商"}
        for user_id, name in names.items():
            db.session.get(User, user_id).name = name
        officer = db.session.get(User, cast.officer)
        lead = make_lead("Keller Antriebstechnik GmbH", contact_name="Petra Keller")
        g.actor = f"user:{cast.manager}"
        assign_owner(lead, officer)
        start = utcnow() - timedelta(days=20)
        for days, stage in ((2, "contacted"), (6, "qualified"), (12, "site_visit")):
            move_lead(lead, stage, officer, at=start + timedelta(days=days), audited=False)
        g.actor = f"user:{cast.officer}"
        record("update", lead, {"industry": ["precision-machinery", "auto-parts"]})
        lead.industry = "auto-parts"
        outbox.queue(
            kind="crm", to="anna@mueller.example", language="de", subject="Ihre Anfrage",
            body=LETTER, lead_id=lead.id,
        )  # fmt: skip
        db.session.add_all([
            Activity(lead_id=lead.id, kind="email", direction="out", subject="Ihre Anfrage",
                     body=LETTER, author_id=officer.id),
            Activity(lead_id=lead.id, kind="call", subject="Erstgespräch mit Frau Keller",
                     author_id=officer.id, occurred_at=start + timedelta(days=3)),
        ])  # fmt: skip
        db.session.commit()
        lead_id = lead.id
        db.session.remove()
    return lead_id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_timeline_reads_in_sentences(new_page, bureau, axe, lang):
    from playwright.sync_api import expect

    server, cast, secret = bureau
    lead_id = demo_like_lead(server.app, cast)
    set_staff_language(server.app, [cast.manager], lang)

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(viewport=DESKTOP, locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "manager@bureau.example")
    page.goto(f"/crm/leads/{lead_id}")
    timeline = page.locator(".lead-timeline")
    stage = {"new": t("New"), "contacted": t("Contacted"), "site_visit": t("Site visit")}
    expect(timeline).to_contain_text(t("%(who)s assigned the lead to %(owner)s", who="王经理",
                                       owner="李招商"))  # fmt: skip
    expect(timeline).to_contain_text(
        t("%(who)s moved the lead from %(old)s to %(new)s", who="李招商", old=stage["new"],
          new=stage["contacted"])
    )  # fmt: skip
    expect(timeline).to_contain_text(t("%(who)s wrote to %(address)s", who="李招商",
                                       address="anna@mueller.example"))  # fmt: skip
    # Each event once: three moves, one assignment, one edit, one letter, one call, the creation.
    expect(timeline.locator("> li")).to_have_count(8)
    for raw in ("owner_id", "precision-machinery", "site_visit", "user:"):
        expect(timeline).not_to_contain_text(raw)
    letter = timeline.locator("li", has_text="Ihre Anfrage")
    expect(letter.locator(".timeline-body").first).to_contain_text("vielen Dank")
    expect(letter.locator(".timeline-body").first).not_to_contain_text("Mit freundlichen")
    full = letter.locator(".timeline-full .timeline-body")
    expect(full).to_be_hidden()
    letter.get_by_text(t("Full text")).click()
    expect(full).to_contain_text("Mit freundlichen Grüßen")
    expect(full).to_be_visible()
    axe(page, f"lead timeline ({lang})")
    review_shot(page.locator("section.timeline"), f"timeline-{lang}")

    filters = page.get_by_role("navigation", name=t("Show in the timeline"))
    filters.get_by_role("link", name=t("Stages")).click()
    expect(timeline.locator("> li")).to_have_count(4)
    expect(filters.get_by_role("link", name=t("Stages"))).to_have_attribute("aria-current", "true")
    axe(page, f"lead timeline, stages only ({lang})")
    review_shot(page.locator("section.timeline"), f"timeline-stages-{lang}")

    filters.get_by_role("link", name=t("Full audit trail")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Audit trail"))
    axe(page, f"lead audit trail ({lang})")
    review_shot(page, f"audit-{lang}", full_page=True)
