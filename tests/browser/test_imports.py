"""Importing a GB18030 CSV in a real browser: encoding, columns, matches, run, report, undo; the
review corrected by hand (a wrong merge, a row pointed at another, a lead picked); axe."""

from datetime import date

import pytest

from tests.browser.conftest import enter_signed_in, set_staff_language
from tests.crm.test_imports import PNG

pytestmark = pytest.mark.browser

ENGLISH_NAME = "Chengdu Tianfu Precision Machinery Co., Ltd."
# What Chinese Excel writes: GB18030, Chinese headers; row 1 is the existing lead in Chinese
# script, row 2 a new firm, row 3 has a bad email and row 4 no company (both rejected).
CSV_TEXT = (
    "公司名称,联系人,邮箱,手机,国家,备注\n"
    "成都天府精密机械有限公司,王伟,wei.wang@tianfu.example,13800000001,中国,展会名片\n"
    "苏州新材料科技有限公司,李娜,lina@suzhou-materials.example,13900000002,中国,\n"
    "Bad Mail Ltd,Jean Bad,not-an-email,,France,\n"
    ",Nobody,nobody@example.com,,DE,\n"
)


@pytest.fixture
def bureau(live_server, tmp_path):
    """An officer, the fair, one existing lead under its English name, and the file to import."""
    from core.cli import load_plots
    from core.extensions import db
    from core.models import Event, User
    from tests.conftest import reset_database
    from tests.factories import make_cast, make_lead

    with live_server.app.app_context():
        reset_database()
        load_plots()
        cast = make_cast()
        db.session.add(
            Event(
                slug="eu-china-fair",
                name={"en": "EU-China Business & Technology Cooperation Fair", "zh": "中欧博览会"},
                starts_on=date(2026, 6, 1),
                ends_on=date(2026, 6, 3),
            )
        )
        make_lead(
            ENGLISH_NAME,
            owner=db.session.get(User, cast.officer),
            contact_name="Wang Wei",
            email="wang@tianfu.example",
            country="CN",
        )
        db.session.commit()
        db.session.remove()
    path = tmp_path / "contacts-gb18030.csv"
    path.write_bytes(CSV_TEXT.encode("gb18030"))
    return live_server, cast, path


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_import_gb18030_review_run_undo(new_page, bureau, axe, lang):
    from core.extensions import db
    from core.models import Lead

    server, cast, path = bureau
    set_staff_language(server.app, [cast.officer], lang)

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "li@bureau.example")
    page.goto("/crm/")

    page.get_by_role("link", name=t("Import"), exact=True).click()
    page.get_by_role("heading", name=t("Import leads")).wait_for()
    axe(page, f"import upload ({lang})")
    # A picture renamed .csv: refused with a message at the top, nothing stored.
    page.get_by_label(t("File (CSV or Excel)")).set_input_files(
        {"name": "photo.csv", "mimeType": "text/csv", "buffer": PNG}
    )
    page.get_by_role("button", name=t("Upload and check")).click()
    page.locator("#error-summary").wait_for()
    axe(page, f"import upload refused ({lang})")
    page.get_by_label(t("File (CSV or Excel)")).set_input_files(str(path))
    fair = "中欧博览会" if lang == "zh" else "EU-China Business & Technology Cooperation Fair"
    page.get_by_label(t("Event the contacts were met at")).select_option(
        label=f"{fair} (2026-06-01)"
    )
    page.get_by_label(t("Source")).fill("EU-China fair badge scanner")
    page.get_by_role("button", name=t("Upload and check")).click()

    # Step 2: the detected encoding, the suggested columns, the preview with its problems.
    assert page.locator("#detected-encoding").inner_text() == "GB18030"
    assert page.get_by_label("公司名称").input_value() == "company"
    assert page.get_by_label("邮箱").input_value() == "email"
    assert page.locator("table.import-preview").get_by_text("成都天府精密机械有限公司").count() == 1
    assert page.locator(".import-problems li").count() >= 2
    axe(page, f"import mapping ({lang})")
    page.get_by_role("button", name=t("Continue to the matches")).click()

    # Step 3: the Chinese name matches the lead filed under its English name; merge by default.
    page.get_by_role("link", name=ENGLISH_NAME).wait_for()
    assert page.get_by_label(t("Decision for row %(row)d", row=1)).input_value() == "merge"
    axe(page, f"import review ({lang})")
    page.locator("button[name=action][value=run]").click()

    # Step 4: the report, then undo.
    page.locator("#import-counts").wait_for()
    counts = page.locator("#import-counts").inner_text()
    assert t("Merged: %(n)d", n=1) in counts and t("Created: %(n)d", n=1) in counts
    axe(page, f"import report ({lang})")
    with server.app.app_context():
        assert db.session.query(Lead).count() == 2  # the bad email and the blank company: rejected
        db.session.remove()
    page.get_by_role("link", name=t("Undo this import…")).click()
    page.locator("#undo-removes").wait_for()
    axe(page, f"import undo confirmation ({lang})")
    page.get_by_role("button", name=t("Yes, undo this import")).click()
    undone = t("The import was undone: its leads were removed and its merges reverted.")
    page.get_by_text(undone).wait_for()
    assert page.locator("#import-status").inner_text().startswith(t("Undone"))
    axe(page, f"import undone ({lang})")
    with server.app.app_context():
        assert db.session.query(Lead).count() == 1
        db.session.remove()
    page.goto("/crm/imports")
    axe(page, f"import list ({lang})")


@pytest.fixture
def fair_with_leads(bureau, tmp_path):
    """The fair, the leads its file meets (a website lead, a firm on a shared office line, a
    Hoffmann lead), and the fair's file: tests/crm/test_import_review.py's."""
    from core.extensions import db
    from core.models import Event, User
    from tests.crm.test_import_review import HEADER, ROWS
    from tests.factories import make_lead

    server, cast, path = bureau
    with server.app.app_context():
        fair = db.session.scalar(db.select(Event))
        officer = db.session.get(User, cast.officer)
        ids = {
            "fair": fair.id,
            "trading": make_lead("四川蓝海贸易有限公司", owner=officer, contact_name="陈刚",
                                 email="chen@lanhai.example", phone="+862887654321",
                                 country="CN", language="zh").id,
            "hoffmann": make_lead("Hoffmann Optics Europe", owner=officer,
                                  contact_name="Jan Hoffmann",
                                  email="info@hoffmann-optics.example").id,
        }  # fmt: skip
        db.session.commit()
        db.session.remove()
    path = tmp_path / "fair-review.csv"
    path.write_bytes((HEADER + ROWS).encode("gb18030"))
    return server, cast, path, ids


@pytest.mark.parametrize("lang", ("zh", "en"))
def test_review_corrected_by_hand(new_page, fair_with_leads, axe, lang):
    """A wrong proposed merge (a shared phone) marked "different firm", a row pointed at another
    row, a row pointed at a lead found by typing; run; each ends where the person said."""
    from sqlalchemy import func, select

    from core.extensions import db
    from core.models import FirmPair, ImportJob, Lead, LeadTouch

    server, cast, path, ids = fair_with_leads
    set_staff_language(server.app, [cast.officer], lang)

    def t(msgid, **variables):
        return server.translate(lang, msgid, **variables)

    page = new_page(locale="zh-CN" if lang == "zh" else "en-GB")
    page.context.add_cookies([{"name": "staff_lang", "value": lang, "url": server.url + "/crm"}])
    enter_signed_in(page, server, "li@bureau.example")
    page.goto("/crm/imports/new")
    page.get_by_label(t("File (CSV or Excel)")).set_input_files(str(path))
    page.get_by_label(t("Event the contacts were met at")).select_option(index=1)
    page.get_by_role("button", name=t("Upload and check")).click()
    page.get_by_label("英文名称").select_option("company_latin")
    page.get_by_role("button", name=t("Continue to the matches")).click()

    # Row 2 shares only a phone with the trading firm: side by side, what differs says so.
    row2 = page.locator("#row-2")
    row2.get_by_text("四川蓝海贸易有限公司").first.wait_for()
    assert row2.get_by_text(t("shared phone or e-mail but names differ")).count() == 1
    assert row2.locator(".verdict-differs").count() >= 2
    assert row2.locator(".verdict-same").count() >= 1
    # Only suggested (names differ): a new lead by default, which the person marks different.
    assert page.get_by_label(t("Decision for row %(row)d", row=2)).input_value() == "create"
    axe(page, f"import review with matches ({lang})")
    page.get_by_label(t("Decision for row %(row)d", row=2)).select_option("different")
    page.locator("button[name=action][value=save]").click()
    page.locator(".flashes").wait_for()

    # Row 3 (Keller) pointed at row 4 (its Chinese office), on the row's own page.
    with server.app.app_context():
        job_id = db.session.scalar(select(func.max(ImportJob.id)))
        db.session.remove()
    page.goto(f"/crm/imports/{job_id}/review/rows/3")
    axe(page, f"import review row ({lang})")
    page.get_by_label(t("Merge into another row of this file (both become one lead)")).check()
    page.get_by_label(t("Row number")).fill("4")
    page.get_by_role("button", name=t("Save this decision")).click()
    decision3 = page.get_by_label(t("Decision for row %(row)d", row=3))
    assert decision3.input_value() == "row:4"

    # Row 5 pointed at the Hoffmann lead: typed in the picker, answered as you type.
    page.goto(f"/crm/imports/{job_id}/review/rows/5")
    page.get_by_label(t("Company, contact, email or code name")).press_sequentially("hoffmann")
    choice = page.get_by_label(
        t("Merge into the lead %(company)s", company="Hoffmann Optics Europe"), exact=False
    )
    choice.wait_for()
    axe(page, f"import lead picker ({lang})")
    choice.check()
    page.get_by_role("button", name=t("Save this decision")).click()
    assert page.get_by_label(t("Decision for row %(row)d", row=5)).input_value() == (
        f"lead:{ids['hoffmann']}"
    )
    axe(page, f"import review corrected ({lang})")

    page.locator("button[name=action][value=run]").click()
    page.locator("#import-counts").wait_for()
    counts = page.locator("#import-counts").inner_text()
    # Rows 2 and 4 created; 1 (by email), 3 (into row 4) and 5 (the Hoffmann lead) merged.
    assert t("Created: %(n)d", n=2) in counts and t("Merged: %(n)d", n=3) in counts
    with server.app.app_context():
        job = db.session.get(ImportJob, job_id)
        by_row = {e["row"]: e for e in job.report}
        assert by_row[3]["lead_id"] == by_row[4]["lead_id"]
        assert by_row[5]["lead_id"] == ids["hoffmann"]
        assert len(db.session.get(Lead, ids["trading"]).contacts) == 1
        # The row's Chinese and Latin names have one key ("sichuan languang electronics"): one
        # pair against the trading firm's.
        assert db.session.scalar(select(func.count()).select_from(FirmPair)) == 1
        website = db.session.get(Lead, by_row[1]["lead_id"])
        assert website.event_id is None  # its first attribution stays; the fair is a touch
        assert db.session.scalar(select(func.count()).where(LeadTouch.lead_id == website.id))
        db.session.remove()
    page.get_by_role("link", name=t("Undo this import…")).click()
    page.locator("#undo-removes").wait_for()
    assert page.locator("#undo-removes li").count() == 4
    axe(page, f"import undo confirmation after a corrected review ({lang})")
