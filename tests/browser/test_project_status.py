"""The investor's status page in a real browser: axe-core in four languages, desktop and phone."""

from datetime import timedelta

import pytest

from tests.browser.conftest import DESKTOP, LANGS, PHONE

pytestmark = pytest.mark.browser


@pytest.fixture
def status_path(live_server):
    """A signed German project with a plot, a proven stage and steps in every state, one late."""
    from sqlalchemy import select

    from core import approvals, projects
    from core.cli import load_plots
    from core.extensions import db
    from core.models import Plot, User
    from core.projects import park_today
    from tests.conftest import reset_database
    from tests.factories import make_cast, make_lead

    today = park_today()
    with live_server.app.app_context():
        reset_database()
        load_plots()
        cast = make_cast()
        manager = db.session.get(User, cast.manager)
        lead = make_lead("Müller Präzisionstechnik GmbH")
        lead.stage = "signed"
        project = projects.open_project(lead, manager)
        project.construction_deadline = today + timedelta(days=40)
        project.production_deadline = today + timedelta(days=400)
        plots = db.session.scalars(
            select(Plot).where(Plot.status == "available").order_by(Plot.code).limit(2)
        ).all()
        projects.allocate(project, list(plots))
        projects.reach(
            project, "construction", today, manager, evidence_kind="reference", reference="P-1"
        )
        approved, late, returned = approvals.steps_of(project)[:3]
        for step, status, submitted, done in (
            (approved, "approved", 30, 10),
            (late, "submitted", 90, None),
            (returned, "returned", 5, None),
        ):
            approvals.update(
                step,
                status=status,
                submitted_on=today - timedelta(days=submitted),
                approved_on=today - timedelta(days=done) if done else None,
                notes="",
                agent_id=None,
                today=today,
            )
        db.session.commit()
        path = f"/project-status/{project.status_token}"
        db.session.remove()
    return path


# The page is one template, the same markup in every language: Chinese at both widths, each Latin
# language at one (German, the longest words, on the phone).
VIEWPORTS = {"zh": (DESKTOP, PHONE), "en": (DESKTOP,), "de": (PHONE,), "fr": (DESKTOP,)}


@pytest.mark.parametrize("lang", LANGS)
def test_status_page_has_no_accessibility_violations(new_page, axe, status_path, lang):
    for viewport in VIEWPORTS[lang]:
        page = new_page(viewport=viewport)
        response = page.goto(f"/{lang}{status_path}")
        assert response.status == 200
        assert response.headers["cache-control"] == "no-store"
        page.locator("#approvals-caption").wait_for(state="attached")
        axe(page, f"status page {lang} {viewport['width']}px")
    # The language switcher keeps the address.
    other = "fr" if lang == "de" else "de"
    page.locator(f".lang-switch a[hreflang='{other}']").click()
    page.wait_for_url(f"**/{other}{status_path}")
