"""A project's incentives panel: figures from core.incentives, deadlines, extensions, review."""

import html as html_lib
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from core import incentives, projects
from core.extensions import db
from core.i18n import money
from core.models import AuditEntry, DeadlineExtension, Plot, Project, ProjectMilestone, User
from core.units import mu_to_m2
from tests.conftest import csrf_token
from tests.factories import make_lead, sign_in_as

TODAY = date(2026, 11, 30)  # the park's day in these tests
M = 1_000_000


@pytest.fixture
def today(monkeypatch):
    """A frozen park day: core.projects (which crm.projects.incentives reads) and the page's."""
    day = {"value": TODAY}

    def park_today():
        return day["value"]

    monkeypatch.setattr(projects, "park_today", park_today)
    monkeypatch.setattr("crm.projects.views.park_today", park_today)
    return day


@pytest.fixture
def world(app, cast, today):
    """A project signed under 2026-1: 200 M of electronics on a 50 mu plot; a second, out of the
    officer's team. Construction due in 31 days, production in 200."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        leader = db.session.get(User, cast.leader)
        other = db.session.get(User, cast.other_officer)
        manager = db.session.get(User, cast.manager)
        lead = make_lead(owner=officer, liaison=leader, investment=200 * M)
        lead.industry = "electronics"
        lead.stage = "signed"
        project = projects.open_project(lead, manager)
        project.policy_version, project.investment = "2026-1", Decimal(200 * M)
        project.construction_deadline = TODAY + timedelta(days=31)
        project.production_deadline = TODAY + timedelta(days=200)
        plot = db.session.scalar(select(Plot).where(Plot.code == "N-02"))
        plot.area_m2 = mu_to_m2(50)
        projects.allocate(project, [plot])
        lead_b = make_lead("Bianchi Idraulica S.p.A.", owner=other, email="luca@bianchi.example")
        lead_b.stage = "signed"
        project_b = projects.open_project(lead_b, manager)
        db.session.commit()
        return {"a": project.id, "b": project_b.id}


def client_of(app, user_id: int):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, user_id)
    return client


def load(project_id: int) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project_id)


def page(client, project_id: int) -> str:
    response = client.get(f"/crm/projects/{project_id}")
    assert response.status_code == 200
    return html_lib.unescape(response.get_data(as_text=True))


def panel(html: str) -> str:
    """The incentives partial alone."""
    start = html.index('id="incentives"')
    return html[start : html.index("</section>", start)]


def in_english(app, fn, *args):
    with app.test_request_context(), force_locale("en"):
        return fn(*args)


def extend(client, project_id: int, version=None, **values):
    html = client.get(f"/crm/projects/{project_id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "extend-version": version
        or re.search(r'name="extend-version" type="hidden" value="(\d+)"', html).group(1),
        "extend-deadline": "construction",
        "extend-new_date": (TODAY + timedelta(days=60)).isoformat(),
        "extend-reason": "The county moved the road works; the site opens later.",
    }
    data.update({f"extend-{k}": v for k, v in values.items()})
    return client.post(f"/crm/projects/{project_id}/extend", data=data)


def review(client, project_id: int, note="Kept: the delay was the county's own road works."):
    html = client.get(f"/crm/projects/{project_id}").get_data(as_text=True)
    version = re.search(r'name="review-version" type="hidden" value="(\d+)"', html).group(1)
    data = {"csrf_token": csrf_token(html), "review-version": version, "review-note": note}
    return client.post(f"/crm/projects/{project_id}/review", data=data)


def audits(action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.entity_type == "Project")
            .order_by(AuditEntry.id)
        )
    )


def extensions() -> int:
    return db.session.scalar(select(func.count()).select_from(DeadlineExtension))


# -- the panel -------------------------------------------------------------------------------


def test_panel_shows_the_package_core_incentives_works_out(app, cast, world):
    with app.app_context():
        project = load(world["a"])
        clock = incentives.project_clock(project, TODAY)
        figures, reasons = clock["figures"], clock["reasons"]
        stake = clock["at_stake"]
        tier_min = in_english(app, money, reasons[0][1]["min_investment"])
        per_mu = in_english(app, money, dict(reasons)["intensity"]["per_mu_min"])
    assert clock["state"] == "open"
    assert [rule for rule, _ in reasons] == ["tier", "priority", "intensity", "on_time"]
    text = panel(page(client_of(app, cast.manager), world["a"]))
    assert "2026-1 — Qingyuan Industrial Port investment incentives" in text
    assert "Still to win" in text
    assert f"<dd>{figures['land_price_pct']}%</dd>" in text
    assert f"<dd>{figures['permit_fee_pct']}%</dd>" in text
    years = figures["tax_refund_years"]
    assert f"<dd>{figures['tax_refund_pct']}% for {years} years</dd>" in text
    # One sentence per rule applied, in core's order, with the policy's own thresholds.
    listed = re.search(r'<ul class="incentive-reasons">(.*?)</ul>', text, re.S).group(1)
    sentences = re.findall(r"<li>(.*?)</li>", listed, re.S)
    assert len(sentences) == len(reasons)
    assert sentences[0].startswith(f"Investment of at least {tier_min}:")
    assert "priority industry of the park (Electronics" in sentences[1]
    assert f"at least {per_mu} of investment per mu" in sentences[2]
    assert "still to win" in sentences[3]
    assert f"{stake['land_price_pct']}% off the land price" in sentences[3]
    # What a missed construction deadline would cost, while it can still be met.
    assert "If construction has not started by 31 December 2026, the project loses" in text
    assert f"{stake['permit_fee_pct']}% off the permit fees" in text
    assert "31 days left" in text and "200 days left" in text


def test_days_left_follow_the_park_day(app, cast, world, today):
    client = client_of(app, cast.manager)
    today["value"] = TODAY + timedelta(days=30)
    assert "1 day left" in panel(page(client, world["a"]))
    today["value"] = TODAY + timedelta(days=31)
    assert "due today" in panel(page(client, world["a"]))
    today["value"] = TODAY + timedelta(days=33)
    text = panel(page(client, world["a"]))
    assert "2 days overdue" in text and "167 days left" in text
    assert "Missed" in text and "If construction has not started" not in text
    with app.app_context():
        load(world["a"]).incentive_review = True
        db.session.commit()
    assert "a manager's review" in panel(page(client, world["a"]))


def test_an_early_start_earns_more_up_to_the_caps(app, cast, world):
    with app.app_context():
        project = load(world["a"])
        project.investment = Decimal(1500 * M)
        project.signed_on = date(2026, 6, 1)
        project.construction_deadline = date(2026, 12, 31)
        project.stage = "construction"
        project.milestones.append(
            ProjectMilestone(
                stage="construction",
                reached_on=date(2026, 9, 15),
                evidence_kind="reference",
                reference="Construction permit 2026-117",
            )
        )
        db.session.commit()
        clock = incentives.project_clock(load(world["a"]), TODAY)
    assert clock["state"] == "earned"
    assert [rule for rule, _ in clock["reasons"]][-2:] == ["early", "cap"]
    months = dict(clock["reasons"])["early"]["months"]
    text = panel(page(client_of(app, cast.manager), world["a"]))
    assert "Earned" in text and "At stake" not in text
    assert f"<dd>{clock['figures']['land_price_pct']}%</dd>" in text
    assert f"Construction started {months} full months before the deadline:" in text
    caps = dict(clock["reasons"])["cap"]
    assert f"Limited to the policy's maximum: {caps['land_price_pct']}% off the land price" in text
    assert "reached on 15 September 2026" in text


def test_panel_says_what_is_missing(app, cast, world):
    with app.app_context():
        project = load(world["a"])
        project.investment, project.policy_version = None, "1999-9"
        db.session.commit()
    text = panel(page(client_of(app, cast.manager), world["a"]))
    assert "The package cannot be worked out yet" in text
    assert "The investment is not recorded" in text
    assert "“1999-9” is not among the policy files" in text
    assert "31 days left" in text  # the deadlines count all the same


# -- extensions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, message",
    [
        ({"new_date": (TODAY + timedelta(days=31)).isoformat()}, "later than the current one"),
        ({"new_date": (TODAY + timedelta(days=10)).isoformat()}, "later than the current one"),
        ({"reason": "   "}, "Give the reason for the extension."),
        ({"reason": "x" * 2001}, "Use 2000 characters or fewer (you entered 2001)."),
        ({"new_date": "soon"}, "Enter the new deadline as a date."),
        ({"deadline": "signing"}, "Not a valid choice"),
        ({"new_date": (TODAY + timedelta(days=201)).isoformat()}, "extend that deadline first"),
    ],
)
def test_extension_refuses_bad_values_and_writes_nothing(app, cast, world, values, message):
    response = extend(client_of(app, cast.manager), world["a"], **values)
    assert response.status_code == 422
    assert message in html_lib.unescape(response.get_data(as_text=True))
    with app.app_context():
        assert extensions() == 0 and not audits("extend")
        assert load(world["a"]).construction_deadline == TODAY + timedelta(days=31)


def test_extension_writes_the_row_moves_the_deadline_and_audits(app, cast, world):
    new = TODAY + timedelta(days=60)
    response = extend(client_of(app, cast.manager), world["a"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/projects/{world['a']}#incentives")
    with app.app_context():
        extension = db.session.scalars(select(DeadlineExtension)).one()
        assert (extension.project_id, extension.deadline) == (world["a"], "construction")
        assert (extension.old_date, extension.new_date) == (TODAY + timedelta(days=31), new)
        assert extension.approved_by_id == cast.manager
        assert extension.reason == "The county moved the road works; the site opens later."
        assert load(world["a"]).construction_deadline == new
        (entry,) = audits("extend")
        assert entry.changes["construction_deadline"] == ["2026-12-31", new.isoformat()]
        assert entry.changes["reason"] == [None, extension.reason]
        assert "incentive_review" not in entry.changes
    # Everyone in scope sees the extension; only project.edit sees the forms.
    for user_id in (cast.manager, cast.officer, cast.leader):
        text = panel(page(client_of(app, user_id), world["a"]))
        assert "The county moved the road works" in text
        assert "manager" in text and "31 December 2026" in text and "29 January 2027" in text
        assert "60 days left" in text
        assert ('action="/crm/projects/' in text) is (user_id == cast.manager)


def test_production_deadline_can_be_extended(app, cast, world):
    new = TODAY + timedelta(days=300)
    client = client_of(app, cast.manager)
    response = extend(client, world["a"], deadline="production", new_date=new.isoformat())
    assert response.status_code == 302
    with app.app_context():
        project = load(world["a"])
        assert project.production_deadline == new
        assert project.construction_deadline == TODAY + timedelta(days=31)
        assert audits("extend")[0].changes["production_deadline"][1] == new.isoformat()


def test_extending_a_missed_construction_deadline_clears_the_review(app, cast, world):
    with app.app_context():
        project = load(world["a"])
        project.signed_on = TODAY - timedelta(days=200)
        project.construction_deadline = TODAY - timedelta(days=5)
        project.incentive_review = True
        db.session.commit()
    client = client_of(app, cast.manager)
    # Moved, but still in the past: still missed, still to review.
    late = extend(client, world["a"], new_date=(TODAY - timedelta(days=1)).isoformat())
    assert late.status_code == 302
    with app.app_context():
        assert load(world["a"]).incentive_review is True
        assert "incentive_review" not in audits("extend")[-1].changes
    moved = extend(client, world["a"], new_date=(TODAY + timedelta(days=20)).isoformat())
    assert moved.status_code == 302
    with app.app_context():
        assert load(world["a"]).incentive_review is False
        assert audits("extend")[-1].changes["incentive_review"] == [True, False]
        assert extensions() == 2
    text = panel(page(client, world["a"]))
    assert "Still to win" in text and "Flagged for review" not in text


def test_a_stale_extension_is_a_conflict_and_writes_nothing(app, cast, world):
    client = client_of(app, cast.manager)
    html = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    version = re.search(r'name="extend-version" type="hidden" value="(\d+)"', html).group(1)
    with app.app_context():
        load(world["a"]).jobs_planned = 120  # saved by someone else meanwhile
        db.session.commit()
    response = extend(client, world["a"], version=version)
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    with app.app_context():
        assert extensions() == 0
        assert load(world["a"]).construction_deadline == TODAY + timedelta(days=31)


# -- review ----------------------------------------------------------------------------------


def test_review_done_clears_the_flag_with_the_note(app, cast, world):
    client = client_of(app, cast.manager)
    assert f'action="/crm/projects/{world["a"]}/review"' not in page(client, world["a"])
    with app.app_context():
        load(world["a"]).incentive_review = True
        db.session.commit()
    text = panel(page(client, world["a"]))
    assert "Flagged for review" in text and "Review done" in text
    refused = review(client, world["a"], note="  ")
    assert refused.status_code == 422
    assert "Write down what was decided." in refused.get_data(as_text=True)
    with app.app_context():
        assert load(world["a"]).incentive_review is True and not audits("review")
    response = review(client, world["a"])
    assert response.status_code == 302
    with app.app_context():
        assert load(world["a"]).incentive_review is False
        (entry,) = audits("review")
        assert entry.changes == {
            "incentive_review": [True, False],
            "note": [None, "Kept: the delay was the county's own road works."],
        }
    assert "Review done" not in panel(page(client, world["a"]))


def test_review_without_a_flag_is_refused(app, cast, world):
    client = client_of(app, cast.manager)
    html = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    version = re.search(r'name="extend-version" type="hidden" value="(\d+)"', html).group(1)
    response = client.post(
        f"/crm/projects/{world['a']}/review",
        data={"csrf_token": csrf_token(html), "review-version": version, "review-note": "Done"},
    )
    assert response.status_code == 422
    assert "not waiting for a review" in response.get_data(as_text=True)
    with app.app_context():
        assert not audits("review")


# -- who may -----------------------------------------------------------------------------------


def test_officers_and_leaders_read_but_may_not_post(app, cast, world):
    with app.app_context():
        load(world["a"]).incentive_review = True
        db.session.commit()
    for user_id in (cast.officer, cast.leader):
        client = client_of(app, user_id)
        text = panel(page(client, world["a"]))
        assert "Still to win" in text and "Flagged for review" in text
        assert "<form" not in text
        html = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
        data = {"csrf_token": csrf_token(html), "extend-version": "1", "review-version": "1"}
        for action in ("extend", "review"):
            response = client.post(f"/crm/projects/{world['a']}/{action}", data=data)
            assert response.status_code == 403, (user_id, action)
    with app.app_context():
        assert extensions() == 0 and load(world["a"]).incentive_review is True
    # Out of scope: the officer of another team does not learn the project exists.
    other = client_of(app, cast.other_officer)
    assert other.get(f"/crm/projects/{world['a']}").status_code == 404
    manager = client_of(app, cast.manager)
    token = csrf_token(manager.get(f"/crm/projects/{world['a']}").get_data(as_text=True))
    for url in ("/crm/projects/99999999999/extend", f"/crm/projects/{world['b'] + 9}/review"):
        assert manager.post(url, data={"csrf_token": token}).status_code == 404
