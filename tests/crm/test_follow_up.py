"""The follow-up view: overdue first responses the same day, due today, unowned and major leads."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.extensions import db
from core.models import Lead, User
from core.models.base import utcnow
from tests.factories import make_cast, make_lead, sign_in_as


@pytest.fixture
def cast(app):
    with app.app_context():
        cast = make_cast()
        for user in db.session.scalars(select(User)):
            user.language, user.timezone = "en", "UTC"
        db.session.commit()
        return cast


def section(html: str, key: str) -> str:
    match = re.search(
        rf'<section class="follow-up-section" aria-labelledby="{key}">(.*?)</section>', html, re.S
    )
    assert match, key
    return match.group(1)


def lead(company: str, officer_id=None, **kwargs) -> Lead:
    owner = db.session.get(User, officer_id) if officer_id else None
    return make_lead(company, owner=owner, **kwargs)


def test_overdue_first_responses_surface_the_same_day(app, client, cast):
    now = utcnow()
    with app.app_context():
        lead("Overdue Ltd", cast.officer).response_due_at = now - timedelta(minutes=5)
        answered = lead("Answered Ltd", cast.officer)
        answered.response_due_at, answered.first_response_at = now - timedelta(days=1), now
        lost = lead("Lost Ltd", cast.officer, stage="lost")
        lost.response_due_at = now - timedelta(days=1)
        merged = lead("Merged Ltd", cast.officer)
        merged.response_due_at, merged.merged_into_id = now - timedelta(days=1), answered.id
        lead("Later Ltd", cast.officer).response_due_at = now + timedelta(days=3)
        db.session.commit()
        sign_in_as(client, cast.manager)
    page = client.get("/crm/follow-up")
    assert page.status_code == 200
    overdue = section(page.get_data(as_text=True), "overdue")
    assert "Overdue Ltd" in overdue and "(1)" in overdue
    for hidden in ("Answered Ltd", "Lost Ltd", "Merged Ltd", "Later Ltd"):
        assert hidden not in overdue
    # Each row has a quick assignment form.
    assert 'name="owner"' in overdue and "/crm/leads/" in overdue


def test_due_today_unassigned_and_major_leads_without_liaison(app, client, cast):
    now = utcnow()
    end_of_day = now.replace(hour=23, minute=59, second=0)
    with app.app_context():
        due = lead("Due Today Ltd", cast.officer)
        due.response_due_at = min(now + timedelta(seconds=30), end_of_day)
        lead("Nobody's Ltd").response_due_at = now + timedelta(days=5)
        major = lead("Major Steel", cast.officer, investment=600_000_000)
        major.response_due_at = now + timedelta(days=5)
        covered = lead(
            "Covered Steel",
            cast.officer,
            investment=700_000_000,
            liaison=db.session.get(User, cast.leader),
        )
        covered.response_due_at = now + timedelta(days=5)
        db.session.commit()
        sign_in_as(client, cast.admin)
    html = client.get("/crm/follow-up").get_data(as_text=True)
    assert "Due Today Ltd" in section(html, "due_today")
    unassigned = section(html, "unassigned")
    assert "Nobody&#39;s Ltd" in unassigned and "Due Today Ltd" not in unassigned
    majors = section(html, "no_liaison")
    assert "Major Steel" in majors and "Covered Steel" not in majors
    assert 'name="liaison"' in majors


@pytest.mark.parametrize("role", ["officer", "leader"])
def test_follow_up_is_for_managers_and_admins(app, client, cast, role):
    with app.app_context():
        sign_in_as(client, getattr(cast, role))
    assert client.get("/crm/follow-up").status_code == 403
