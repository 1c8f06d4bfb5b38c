"""The bureau's journey through the CRM in a real browser; axe-core on CRM pages in zh and en."""

import re
from datetime import date, timedelta

import pytest

from tests.browser.conftest import DESKTOP, PROCESSING_CONSENT, set_staff_language, sign_in

pytestmark = pytest.mark.browser

COMPANY = "Keller Antriebstechnik GmbH"
CALL_SUBJECT = "Erstgespräch mit Frau Keller"
# The stages the officer walks the lead through on the board, by keyboard, after New.
STAGES = ("contacted", "qualified", "site_visit", "negotiation", "signed")
STAGE_LABELS = {
    "contacted": "Contacted",
    "qualified": "Qualified",
    "site_visit": "Site visit",
    "negotiation": "Negotiation",
    "signed": "Signed",
}


AGREEMENT = b"%PDF-1.4\n% the signed investment agreement\n%%EOF\n"
DEADLINE = (date.today() + timedelta(days=180)).isoformat()


def enquire(page, server) -> None:
    """A German visitor sends an inquiry on the public site, as in the visitor journey."""

    def t(msgid):
        return server.translate("de", msgid)

    page.goto("/de/inquiry")
    page.get_by_label(t("Your name")).fill("Petra Keller")
    page.get_by_label(t("Email address")).fill("petra.keller@keller-antriebe.example")
    page.get_by_label(t("Company"), exact=True).fill(COMPANY)
    page.get_by_label(t("Country or region")).select_option("DE")
    page.get_by_label(t("Industry"), exact=True).select_option(index=1)
    page.get_by_label(t("Planned investment")).select_option(index=2)
    page.get_by_label(t("Land needed")).select_option(index=2)
    page.get_by_label(t("Your project and your questions")).fill("Wir planen ein Werk.")
    page.get_by_role("checkbox", name=t(PROCESSING_CONSENT)).check()
    page.get_by_role("button", name=t("Send inquiry")).click()
    page.wait_for_url(re.compile(r"/de/inquiry/thanks"))


def test_inquiry_is_found_assigned_worked_and_signed(new_page, bureau):
    from playwright.sync_api import expect

    server, cast, secret = bureau
    lang = "zh"  # the staff default

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    enquire(new_page(locale="de-DE"), server)

    # The manager signs in with the second factor and finds the inquiry by a piece of its name.
    manager = new_page(viewport=DESKTOP, locale="zh-CN")
    sign_in(manager, t, "manager@bureau.example", totp_secret=secret)
    manager.get_by_role("navigation").get_by_role("link", name=t("Leads"), exact=True).click()
    manager.get_by_label(t("Search")).fill("keller antrieb")
    manager.get_by_label(t("Search")).press("Enter")
    manager.get_by_role("link", name=COMPANY).click()
    expect(manager.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    lead_url = manager.url

    # ... and assigns it to the officer li.
    owner = manager.locator(".pipeline-panel").get_by_label(t("Owner"))
    owner.select_option(str(cast.officer))
    manager.locator(".pipeline-panel").get_by_role("button", name=re.compile(t("Assign"))).click()
    expect(manager.locator(".flashes")).to_contain_text("li")

    # The officer finds it on their day, logs the call, then works the board by keyboard.
    officer = new_page(viewport=DESKTOP, locale="zh-CN")
    sign_in(officer, t, "li@bureau.example")
    expect(officer).to_have_url(re.compile(r"/crm/my-day$"))
    officer.get_by_role("link", name=COMPANY).first.click()
    officer.get_by_label(t("What happened")).select_option("call")
    officer.get_by_label(t("Subject")).fill(CALL_SUBJECT)
    officer.get_by_role("button", name=t("Log it")).click()
    expect(officer.locator(".lead-timeline")).to_contain_text(CALL_SUBJECT)

    officer.get_by_role("navigation").get_by_role("link", name=t("Pipeline"), exact=True).click()
    officer.locator(".board[data-in-place]").wait_for(state="attached")  # board.js is ready
    card = officer.locator(".board-card", has_text=COMPANY)
    announcer = officer.locator("#board-status")
    for stage in STAGES[:-1]:
        current = card.get_by_label(t("Move to stage")).input_value()
        if current == stage:  # logging the call may already have marked it contacted
            continue
        select = card.get_by_label(t("Move to stage"))
        select.focus()
        select.press("ArrowDown")
        expect(select).to_have_value(stage)
        officer.keyboard.press("Tab")
        officer.keyboard.press("Enter")
        label = t(STAGE_LABELS[stage])
        expect(announcer).to_contain_text(label)
        column = officer.locator(f'.board-cards[data-stage="{stage}"]')
        expect(column.locator(".board-card", has_text=COMPANY)).to_be_visible()
        card = column.locator(".board-card", has_text=COMPANY)

    # Signed is a moment: the move opens the signing form, which asks for the contract.
    select = card.get_by_label(t("Move to stage"))
    select.select_option("signed")
    select.focus()
    officer.keyboard.press("Tab")
    officer.keyboard.press("Enter")
    officer.wait_for_url(re.compile(r"/crm/leads/\d+/sign\?next="))
    expect(officer.get_by_role("heading", level=1)).to_contain_text(COMPANY)
    officer.get_by_label(t("Contract amount (CNY)")).fill("1.2亿")
    officer.get_by_label(t("Investment agreement")).set_input_files(
        files=[{"name": "投资协议.pdf", "mimeType": "application/pdf", "buffer": AGREEMENT}]
    )
    officer.get_by_label(t("Construction to start by")).fill(DEADLINE)
    officer.get_by_label(t("Liaison leader")).select_option(str(cast.leader))
    officer.get_by_role("button", name=t("Sign and open the project")).click()
    officer.wait_for_url(re.compile(r"/crm/projects/\d+$"))
    expect(officer.locator(".flashes")).to_contain_text(COMPANY)
    expect(officer.locator("main")).to_contain_text("1.2亿元")
    expect(officer.locator("main")).to_contain_text("投资协议.pdf")

    # The timeline tells the whole story: inquiry, assignment, call and every stage.
    manager.goto(lead_url)
    timeline = manager.locator(".lead-timeline")
    expect(timeline).to_contain_text(CALL_SUBJECT)
    for stage in STAGES:
        expect(timeline).to_contain_text(t(STAGE_LABELS[stage]))
    assert timeline.locator("li").count() >= len(STAGES) + 3


CRM_PAGES = (
    "login", "leads", "board", "detail", "new-lead", "activity-edit", "move", "sign", "my-account",
)  # fmt: skip


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_crm_pages_have_no_accessibility_violations(new_page, bureau, axe, lang):
    from core.extensions import db
    from core.models import Activity, User
    from tests.factories import make_lead

    server, cast, secret = bureau
    set_staff_language(server.app, [cast.manager], lang)
    with server.app.app_context():
        manager = db.session.get(User, cast.manager)
        lead = make_lead(COMPANY, owner=db.session.get(User, cast.officer))
        task = Activity(lead_id=lead.id, kind="task", subject="Call back", author_id=manager.id)
        db.session.add(task)
        db.session.commit()
        lead_id, task_id = lead.id, task.id
        db.session.remove()

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    page.goto("/crm/login")
    axe(page, f"login ({lang})")
    sign_in(page, t, "manager@bureau.example", totp_secret=secret)
    paths = {
        "leads": "/crm/leads?q=keller&sort=-created",
        "board": "/crm/board",
        "detail": f"/crm/leads/{lead_id}",
        "new-lead": "/crm/leads/new",
        "activity-edit": f"/crm/activities/{task_id}/edit",
        "move": f"/crm/leads/{lead_id}/move?stage=lost",
        "sign": f"/crm/leads/{lead_id}/sign",
        "my-account": "/crm/account",
    }
    for kind, path in paths.items():
        response = page.goto(path)
        assert response.status == 200, f"{path} answered {response.status}"
        assert page.locator("html").get_attribute("lang").startswith(lang)
        axe(page, f"{kind} ({lang})")


def test_password_date_and_file_inputs_look_like_the_other_inputs(new_page, bureau):
    """The CRM styles the inputs browsers leave plain: same border, height and font as a text
    input, and the focus ring when reached by keyboard."""
    from core.extensions import db
    from core.models import User
    from tests.factories import make_lead

    server, cast, _ = bureau
    set_staff_language(server.app, [cast.officer], "en")
    with server.app.app_context():
        lead = make_lead(COMPANY, owner=db.session.get(User, cast.officer), stage="negotiation")
        db.session.commit()
        lead_id = lead.id
        db.session.remove()

    def t(msgid, **variables):
        return server.translate("en", msgid, **variables)

    def style(page, selector):
        return page.locator(selector).first.evaluate(
            "e => { const s = getComputedStyle(e); return {border: s.borderTopWidth + ' ' +"
            " s.borderTopColor, height: e.getBoundingClientRect().height, font: s.fontSize,"
            " radius: s.borderTopLeftRadius, outline: s.outlineStyle}; }"
        )

    page = new_page(viewport=DESKTOP)
    page.context.add_cookies([{"name": "staff_lang", "value": "en", "url": server.url + "/crm"}])
    page.goto("/crm/login")
    email, password = style(page, "input[type=email]"), style(page, "input[type=password]")
    assert {k: password[k] for k in ("border", "height", "font", "radius")} == {
        k: email[k] for k in ("border", "height", "font", "radius")
    }
    sign_in(page, t, "li@bureau.example")
    page.goto(f"/crm/leads/{lead_id}/sign")
    text, day = style(page, "input[type=text]"), style(page, "input[type=date]")
    assert (day["border"], day["font"]) == (text["border"], text["font"])
    assert abs(day["height"] - text["height"]) < 2  # the picker's icon may add a pixel
    upload = page.locator("input[type=file]")
    assert upload.evaluate("e => getComputedStyle(e).borderTopStyle") == "dashed"
    assert upload.evaluate("e => e.getBoundingClientRect().height") >= 44
    page.locator("input[type=date]").first.focus()
    page.keyboard.press("Tab")  # from the date to the amount: the ring shows on keyboard focus
    page.keyboard.press("Shift+Tab")
    assert style(page, "input[type=date]")["outline"] == "solid"
