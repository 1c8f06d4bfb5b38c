"""Admins are warned on every CRM page from 1 November while next year's official holiday
schedule is not confirmed; nobody else is, and nobody once it is."""

from datetime import datetime

import pytest

import crm
from tests.factories import english_cast, signed_in

WARNING = "The official holiday schedule for 2031 is not confirmed"


@pytest.fixture
def cast(app):
    with app.app_context():
        return english_cast()


def on(monkeypatch, year: int, month: int, day: int) -> None:
    class Fixed(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(year, month, day, 10, 0, tzinfo=tz)

    monkeypatch.setattr(crm, "datetime", Fixed)


def test_admins_see_the_warning_from_november(app, cast, monkeypatch):
    on(monkeypatch, 2030, 11, 2)
    admin = signed_in(app, cast.admin)
    for page in ("/crm/", "/crm/leads", "/crm/admin/settings"):
        assert WARNING in admin.get(page, follow_redirects=True).get_data(as_text=True)
    for role in ("manager", "officer", "leader"):
        page = signed_in(app, cast.by_role()[role]).get("/crm/", follow_redirects=True)
        assert WARNING not in page.get_data(as_text=True)


def test_no_warning_before_november_or_for_a_confirmed_year(app, cast, monkeypatch):
    admin = signed_in(app, cast.admin)
    on(monkeypatch, 2030, 10, 31)
    assert "holiday schedule" not in admin.get("/crm/leads").get_data(as_text=True)
    on(monkeypatch, 2025, 11, 20)  # 2026 is in content/data/holidays.yaml
    assert "holiday schedule" not in admin.get("/crm/leads").get_data(as_text=True)
