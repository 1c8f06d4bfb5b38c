"""Importing a GB18030 CSV in a real browser: encoding, columns, matches, run, report, undo; axe."""

from datetime import date

import pytest

from tests.browser.conftest import set_staff_language, sign_in
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
    sign_in(page, t, "li@bureau.example")

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
    page.get_by_role("button", name=t("Undo this import")).click()
    undone = t("The import was undone: its leads were removed and its merges reverted.")
    page.get_by_text(undone).wait_for()
    assert page.locator("#import-status").inner_text().startswith(t("Undone"))
    axe(page, f"import undone ({lang})")
    with server.app.app_context():
        assert db.session.query(Lead).count() == 1
        db.session.remove()
    page.goto("/crm/imports")
    axe(page, f"import list ({lang})")
