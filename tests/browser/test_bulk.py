"""After a fair, in a real browser: a manager filters the fair's new leads and spreads 200 of them
over a team in one action (list, options, preview, run); axe-core on every page of it."""

import re
import time
from datetime import date, timedelta

import pytest

from tests.browser.conftest import enter_signed_in, set_staff_language

pytestmark = pytest.mark.browser

FAIR_LEADS = 200
INDUSTRIES = ("precision-machinery", "auto-parts", "electronics", "new-materials")


@pytest.fixture
def after_the_fair(live_server):
    """The EU-China fair's 200 unassigned leads (Chinese and European firms), 30 website leads
    beside them, and the cast of staff (the manager signs in with TOTP)."""
    from core.cli import load_plots
    from core.extensions import db
    from core.models import Contact, Event, Lead, User
    from core.models.base import utcnow
    from tests.conftest import reset_database
    from tests.factories import make_cast

    with live_server.app.app_context():
        reset_database()
        load_plots()
        cast = make_cast()
        fair = Event(
            slug="eu-china-fair",
            name={"en": "EU-China Business & Technology Cooperation Fair", "zh": "中欧博览会"},
            starts_on=date.today() - timedelta(days=3),
            ends_on=date.today() - timedelta(days=1),
        )
        db.session.add(fair)
        db.session.flush()
        met = utcnow() - timedelta(days=1)
        for n in range(FAIR_LEADS + 30):
            chinese = n % 2 == 0
            lead = Lead(
                source="event" if n < FAIR_LEADS else "website",
                event_id=fair.id if n < FAIR_LEADS else None,
                company_name=f"成都第{n:03d}精密制造有限公司" if chinese else f"Firma {n:03d} GmbH",
                country="CN" if chinese else "DE",
                industry=INDUSTRIES[n % len(INDUSTRIES)],
                language="zh" if chinese else "de",
                stage="new",
                response_due_at=met + timedelta(hours=48),
            )
            lead.contacts.append(
                Contact(name=f"Kontakt {n}", email=f"c{n}@firm{n}.example", language=lead.language)
            )
            db.session.add(lead)
        db.session.commit()
        secret = db.session.get(User, cast.manager).totp_secret
        event_id = fair.id
        db.session.remove()
    set_staff_language(live_server.app, [cast.manager], "zh")
    return live_server, cast, secret, event_id


def test_a_manager_spreads_200_fair_leads_over_a_team(new_page, after_the_fair, axe):
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import AuditEntry, Lead

    server, cast, secret, event_id = after_the_fair

    def t(msgid, **variables):
        return server.translate("zh", msgid, **variables)

    page = new_page(locale="zh-CN")
    enter_signed_in(page, server, "manager@bureau.example")

    # The list, filtered to the fair's leads that nobody owns yet.
    page.goto("/crm/leads")
    page.get_by_label(t("Event"), exact=True).select_option(str(event_id))
    page.get_by_label(t("Owner"), exact=True).select_option("unassigned")
    page.get_by_role("button", name=t("Apply")).click()
    page.wait_for_url(re.compile(r"event="))
    assert "200" in page.locator("#lead-totals").inner_text()
    axe(page, "lead list with the bulk selection")

    # Every one of the 200, not just the 50 on this page.
    page.get_by_label(t("With the ticked leads:")).select_option("assign")
    page.locator("#lead-bulk-all").check()
    page.locator("#lead-bulk").get_by_role("button", name=t("Continue")).click()
    page.get_by_role("heading", name=t("Bulk action"), exact=True).wait_for()
    assert "200" in page.locator("#bulk-count").inner_text()
    axe(page, "bulk action options")

    page.get_by_label(t("Spread over a team, in turn")).check()
    page.get_by_label(t("Team (spread over a team)")).select_option(str(cast.team_a))
    page.get_by_role("button", name=t("Preview")).click()
    summary = page.locator("#bulk-summary")
    summary.wait_for()
    assert summary.inner_text().split() == ["li:", "100", "wu:", "100"]
    axe(page, "bulk assignment preview")

    started = time.monotonic()
    page.locator("#bulk-run").click()
    page.locator("#bulk-done").wait_for()
    elapsed = time.monotonic() - started
    assert "200" in page.locator("#bulk-done").inner_text()
    axe(page, "bulk action done")
    print(f"\nbulk assignment of {FAIR_LEADS} leads: {elapsed * 1000:.0f} ms in the browser")

    with server.app.app_context():
        fair_leads = select(Lead.id).where(Lead.event_id == event_id)
        owners = db.session.execute(
            select(Lead.owner_id, func.count())
            .where(Lead.event_id == event_id)
            .group_by(Lead.owner_id)
        ).all()
        assert dict(owners) == {cast.officer: 100, cast.teammate: 100}
        assigned = db.session.scalar(
            select(func.count()).where(
                AuditEntry.action == "assign",
                AuditEntry.entity_type == "Lead",
                AuditEntry.entity_id.in_(fair_leads),
            )
        )
        assert assigned == FAIR_LEADS
        # The website leads were not in the filter: untouched.
        assert (
            db.session.scalar(
                select(func.count()).where(Lead.event_id.is_(None), Lead.owner_id.is_not(None))
            )
            == 0
        )
        db.session.remove()


def test_every_bulk_actions_pages_pass_axe(new_page, after_the_fair, axe):
    """The options and preview of each other action, the skipped leads listed, and My day with
    more leads waiting than it lists."""
    server, cast, secret, event_id = after_the_fair

    def t(msgid, **variables):
        return server.translate("zh", msgid, **variables)

    page = new_page(locale="zh-CN")
    enter_signed_in(page, server, "manager@bureau.example")
    # Every row of the page ticked at once (the script's box), then a bulk action on them.
    page.goto(f"/crm/leads?event={event_id}")
    page.get_by_label(t("Select all on this page")).check()
    page.get_by_label(t("With the ticked leads:")).select_option("tag")
    page.locator("#lead-bulk").get_by_role("button", name=t("Continue")).click()
    assert "50" in page.locator("#bulk-count").inner_text()
    options = {
        "stage": "&to_stage=contacted",
        "tag": "&tag=中欧博览会 2026",
        "email": "&template=first_reply",
        "export": "&format=xlsx",
    }
    for action, chosen in options.items():
        base = f"/crm/leads/bulk?event={event_id}&scope=all&action={action}"
        page.goto(base)
        page.get_by_role("button", name=t("Preview")).wait_for()
        axe(page, f"bulk {action} options")
        page.goto(f"{base}&preview=1{chosen}")
        page.locator("#bulk-run").wait_for()
        axe(page, f"bulk {action} preview")
    # Tag half of them, then the preview of all lists the half already tagged as skipped.
    page.goto(f"/crm/leads/bulk?event={event_id}&scope=all&action=tag&preview=1&tag=A")
    page.locator("#bulk-run").click()
    page.locator("#bulk-done").wait_for()
    page.goto("/crm/leads/bulk?scope=all&action=tag&preview=1&tag=A")
    page.locator("#bulk-skipped").wait_for()
    page.locator("details summary").click()
    axe(page, "bulk preview with skipped leads")

    # My day of an officer with 120 leads waiting: the count says 120, the list shows 100.
    from sqlalchemy import select, update

    from core.extensions import db
    from core.models import Lead

    with server.app.app_context():
        waiting = select(Lead.id).where(Lead.event_id == event_id).limit(120).scalar_subquery()
        db.session.execute(update(Lead).where(Lead.id.in_(waiting)).values(owner_id=cast.officer))
        db.session.commit()
        db.session.remove()
    set_staff_language(server.app, [cast.officer], "zh")
    officer = new_page(locale="zh-CN")
    enter_signed_in(officer, server, "li@bureau.example")
    officer.goto("/crm/my-day")
    assert "(120)" in officer.locator("#unanswered-title").inner_text()
    axe(officer, "My day with more leads waiting than it lists")


def test_a_common_search_and_a_large_bulk_run_on_the_worker(
    new_page, after_the_fair, axe, monkeypatch
):
    """A search matching more leads than the totals cap says so and counts on request; a bulk
    action on more leads than one request takes is queued, and its page shows what it did."""
    from crm.leads import bulk, filters

    monkeypatch.setattr(filters, "TOTALS_CAP", 50)
    monkeypatch.setattr(bulk, "MAX_BULK", 100)
    server, cast, secret, event_id = after_the_fair
    from sqlalchemy import select

    from core import search
    from core.extensions import db
    from core.models import Lead

    with server.app.app_context():  # the fixture writes leads without their search text
        for lead in db.session.scalars(select(Lead)):
            search.refresh(lead)
        db.session.commit()
        db.session.remove()

    def t(msgid, **variables):
        return server.translate("zh", msgid, **variables)

    page = new_page(locale="zh-CN")
    enter_signed_in(page, server, "manager@bureau.example")
    page.goto("/crm/leads?q=firma")  # 115 German firms: 100 from the fair, 15 from the website
    totals = page.locator("#lead-totals")
    assert t("More than %(num)s leads", num="50") in totals.inner_text()
    axe(page, "lead list with a search over the totals cap")
    totals.get_by_role("link", name=t("Count them all and add up the planned investment")).click()
    page.wait_for_url(re.compile(r"totals=all"))
    assert "115" in totals.inner_text()

    page.goto(f"/crm/leads/bulk?event={event_id}&scope=all&action=tag&preview=1&tag=fair")
    page.locator("#bulk-queued").wait_for()
    page.locator("#bulk-run").click()
    page.wait_for_url(re.compile(r"/crm/leads/bulk/runs/\d+"))
    done = page.locator("#bulk-done")
    done.wait_for()
    assert "200" in done.inner_text()
    axe(page, "bulk action run on the worker, done")
