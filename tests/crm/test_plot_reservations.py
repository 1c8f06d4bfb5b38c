"""Plots reserved for a lead: the lead page's panel, reserving, releasing, the nightly command."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import projects
from core.extensions import db
from core.models import AuditEntry, Lead, Plot, User
from crm.leads.plots import a_year_after
from public_site import page_cache
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in


@pytest.fixture
def leads(app, cast):
    """The officer's lead (the leader is liaison) and another lead."""
    with app.app_context():
        own = make_lead(
            owner=db.session.get(User, cast.officer), liaison=db.session.get(User, cast.leader)
        )
        other = make_lead("Schmidt Logistik AG", email="s@schmidt.example")
        db.session.commit()
        return {"own": own.id, "other": other.id}


def plot_id(app, code: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Plot.id).where(Plot.code == code))


def plot_state(app, code: str) -> tuple:
    with app.app_context():
        plot = db.session.scalar(select(Plot).where(Plot.code == code))
        return plot.status, plot.reserved_for_id, plot.reserved_until


def plot_audit(app, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = select(AuditEntry).where(AuditEntry.entity_type == "Plot")
        if action:
            query = query.where(AuditEntry.action == action)
        entries = db.session.scalars(query.order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


def today():
    return projects.park_today()


def reserve(app, client, lead_id: int, code: str | None, until, **extra):
    page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    data = {
        "reserve-csrf_token": csrf_token(page),
        "reserve-plot": str(plot_id(app, code)) if code else "",
        "reserve-until": until.isoformat() if hasattr(until, "isoformat") else until,
    }
    data.update(extra)
    return client.post(f"/crm/leads/{lead_id}/plots/reserve", data=data)


def release(client, lead_id: int, plot: int):
    token = csrf_token(client.get(f"/crm/leads/{lead_id}").get_data(as_text=True))
    return client.post(f"/crm/leads/{lead_id}/plots/{plot}/release", data={"csrf_token": token})


# -- the panel on the lead page ------------------------------------------------------------------


def test_manager_sees_the_form_with_available_plots_and_the_default_day(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert "Reserve a plot for this lead" in page
    assert "No plot is reserved for this lead." in page
    select_html = re.search(r'<select[^>]*id="reserve-plot".*?</select>', page, re.S).group(0)
    options = dict(re.findall(r'<option[^>]*value="(\d+)"[^>]*>([^<]+)</option>', select_html))
    with app.app_context():
        offered = {
            p.id: p for p in db.session.scalars(select(Plot).where(Plot.status == "available"))
        }
        assert {int(k) for k in options} == set(offered)  # no allocated or reserved plots
        some = next(iter(offered.values()))
        assert options[str(some.id)].startswith(f"{some.code} · North area · ") or options[
            str(some.id)
        ].startswith(f"{some.code} · South area · ")
        assert " ha (" in options[str(some.id)]  # the area in hectares and m² for English
    default = today() + timedelta(days=30)
    assert f'value="{default.isoformat()}"' in page
    assert f'min="{today().isoformat()}"' in page
    assert f'max="{a_year_after(today()).isoformat()}"' in page


def test_a_reservation_past_its_last_day_is_offered_again(app, client, cast, leads):
    with app.app_context():
        plot = db.session.scalar(select(Plot).where(Plot.status == "available").limit(1))
        plot.status, plot.reserved_for_id = "reserved", leads["other"]
        plot.reserved_until = today() - timedelta(days=1)
        db.session.commit()
        lapsed = plot.id
    signed_in(app, cast.manager, client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert f'value="{lapsed}"' in page


# -- reserving -------------------------------------------------------------------------------------


def test_manager_reserves_a_plot(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    until = today() + timedelta(days=10)
    response = reserve(app, client, leads["own"], "N-02", until)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/leads/{leads['own']}")
    assert plot_state(app, "N-02") == ("reserved", leads["own"], until)
    [entry] = plot_audit(app)
    assert entry.action == "reserve" and entry.actor == f"user:{cast.manager}"
    assert entry.entity_id == plot_id(app, "N-02")
    assert entry.changes["status"] == ["available", "reserved"]
    assert entry.changes["reserved_for"] == [None, leads["own"]]
    assert entry.changes["reserved_until"] == [None, until.isoformat()]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Plot N-02 is reserved for this lead until" in page
    listed = page.split("Reserved plots", 1)[1].split("Reserve a plot for this lead", 1)[0]
    assert "N-02" in listed and f"/plots/{plot_id(app, 'N-02')}/release" in listed
    assert "No plot is reserved for this lead." not in page


def test_the_last_day_may_be_today_or_a_year_ahead(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    assert reserve(app, client, leads["own"], "N-02", today()).status_code == 302
    assert reserve(app, client, leads["own"], "N-03", a_year_after(today())).status_code == 302
    assert plot_state(app, "N-03")[2] == a_year_after(today())


def test_reserving_again_for_the_same_lead_moves_the_last_day(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    reserve(app, client, leads["own"], "N-02", today() + timedelta(days=3))
    with app.app_context():  # lapsed, so offered again: the lead keeps it with a new last day
        db.session.get(Plot, plot_id(app, "N-02")).reserved_until = today() - timedelta(days=1)
        db.session.commit()
    assert (
        reserve(app, client, leads["own"], "N-02", today() + timedelta(days=40)).status_code == 302
    )
    assert plot_state(app, "N-02") == ("reserved", leads["own"], today() + timedelta(days=40))


@pytest.mark.parametrize(
    ("code", "until", "message"),
    [
        ("N-02", "past", "The reservation must end today or later."),
        ("N-02", "beyond", "A reservation lasts at most a year"),
        ("N-02", "", "Enter the last day as a date."),
        ("N-02", "31.12.2030", "Enter the last day as a date."),
        ("N-01", "ok", "Plot N-01 is not available."),  # allocated in the demo data
        ("N-04", "ok", "Plot N-04 is not available."),  # reserved outside the CRM, no lead
        ("held", "ok", "Plot N-02 is not available."),  # reserved for another lead
        ("", "ok", "Choose a plot from the list."),
        ("999999", "ok", "Choose a plot from the list."),
        ("99999999999999", "ok", "Choose a plot from the list."),
        ("abc", "ok", "Choose a plot from the list."),
    ],
)
def test_refusals_write_nothing_and_show_the_form_again(
    app, client, cast, leads, code, until, message
):
    if code == "held":
        with app.app_context():
            projects.reserve(
                db.session.get(Plot, plot_id(app, "N-02")),
                db.session.get(Lead, leads["other"]),
                today() + timedelta(days=5),
            )
            db.session.commit()
        code = "N-02"
    before = {c: plot_state(app, c) for c in ("N-01", "N-02", "N-04")}
    audits = len(plot_audit(app))
    days = {
        "past": today() - timedelta(days=1),
        "beyond": a_year_after(today()) + timedelta(days=1),
        "ok": today() + timedelta(days=7),
    }
    signed_in(app, cast.manager, client)
    plot_value = str(plot_id(app, code)) if code.startswith(("N-", "S-")) else code
    response = reserve(
        app, client, leads["own"], None, days.get(until, until), **{"reserve-plot": plot_value}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page
    assert 'class="error-summary"' in page and "Reserve a plot for this lead" in page
    assert {c: plot_state(app, c) for c in before} == before
    assert len(plot_audit(app)) == audits


def test_the_form_sent_is_shown_again_with_its_values(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    past = today() - timedelta(days=2)
    page = reserve(app, client, leads["own"], "N-02", past).get_data(as_text=True)
    assert f'value="{past.isoformat()}"' in page
    assert re.search(rf'<option selected value="{plot_id(app, "N-02")}"', page) or re.search(
        rf'<option[^>]*value="{plot_id(app, "N-02")}"[^>]*selected', page
    )
    assert 'aria-invalid="true"' in page


def test_the_reserve_address_opened_by_get_leads_to_the_lead(app, client, cast, leads):
    # The page re-shown after a refusal has this address; the pipeline panel's forms return here.
    signed_in(app, cast.manager, client)
    response = client.get(f"/crm/leads/{leads['own']}/plots/reserve")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/leads/{leads['own']}")


def test_a_lost_lead_gets_no_plot(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    token = csrf_token(client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True))
    with app.app_context():
        db.session.get(Lead, leads["own"]).stage = "lost"
        db.session.commit()
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert "Reserve a plot for this lead" not in page
    response = client.post(
        f"/crm/leads/{leads['own']}/plots/reserve",
        data={
            "reserve-csrf_token": token,
            "reserve-plot": str(plot_id(app, "N-02")),
            "reserve-until": (today() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 422
    assert "A lost lead cannot hold a plot." in response.get_data(as_text=True)
    assert plot_state(app, "N-02")[0] == "available"


def test_a_merged_lead_is_404(app, client, cast, leads):
    with app.app_context():
        db.session.get(Lead, leads["other"]).merged_into_id = leads["own"]
        db.session.commit()
    signed_in(app, cast.manager, client)
    token = csrf_token(client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True))
    response = client.post(
        f"/crm/leads/{leads['other']}/plots/reserve",
        data={"reserve-csrf_token": token, "reserve-plot": str(plot_id(app, "N-02"))},
    )
    assert response.status_code == 404


def test_a_post_without_csrf_token_is_refused(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    response = client.post(
        f"/crm/leads/{leads['own']}/plots/reserve",
        data={
            "reserve-plot": str(plot_id(app, "N-02")),
            "reserve-until": (today() + timedelta(days=3)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert plot_state(app, "N-02")[0] == "available"


# -- releasing -------------------------------------------------------------------------------------


def test_manager_releases_a_reserved_plot(app, client, cast, leads):
    signed_in(app, cast.manager, client)
    reserve(app, client, leads["own"], "N-02", today() + timedelta(days=10))
    response = release(client, leads["own"], plot_id(app, "N-02"))
    assert response.status_code == 302
    assert plot_state(app, "N-02") == ("available", None, None)
    [entry] = plot_audit(app, "release")
    assert entry.actor == f"user:{cast.manager}"
    assert entry.changes == {
        "status": ["reserved", "available"],
        "reserved_for": [leads["own"], None],
    }
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Plot N-02 was released: it is available again." in page
    assert "No plot is reserved for this lead." in page


def test_release_of_a_plot_not_reserved_for_this_lead_is_404(app, client, cast, leads):
    with app.app_context():
        projects.reserve(
            db.session.get(Plot, plot_id(app, "N-02")),
            db.session.get(Lead, leads["other"]),
            today() + timedelta(days=5),
        )
        db.session.commit()
    signed_in(app, cast.manager, client)
    for plot in (plot_id(app, "N-02"), plot_id(app, "N-03"), plot_id(app, "N-04"), 999999):
        assert release(client, leads["own"], plot).status_code == 404, plot
    assert release(client, leads["own"], 2**31).status_code == 404
    assert plot_state(app, "N-02")[:2] == ("reserved", leads["other"])
    assert plot_audit(app, "release") == []


# -- who may --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "leader"])
def test_officer_and_leader_see_the_list_read_only_and_get_403(app, client, cast, leads, role):
    with app.app_context():
        projects.reserve(
            db.session.get(Plot, plot_id(app, "N-02")),
            db.session.get(Lead, leads["own"]),
            today() + timedelta(days=5),
        )
        db.session.commit()
    signed_in(app, getattr(cast, role), client)
    page = client.get(f"/crm/leads/{leads['own']}").get_data(as_text=True)
    assert "N-02" in page.split("Reserved plots", 1)[1]
    assert "Reserve a plot for this lead" not in page
    assert "/release" not in page
    token = csrf_token(page)
    reserved = client.post(
        f"/crm/leads/{leads['own']}/plots/reserve",
        data={
            "reserve-csrf_token": token,
            "reserve-plot": str(plot_id(app, "N-03")),
            "reserve-until": (today() + timedelta(days=3)).isoformat(),
        },
    )
    released = client.post(
        f"/crm/leads/{leads['own']}/plots/{plot_id(app, 'N-02')}/release",
        data={"csrf_token": token},
    )
    assert (reserved.status_code, released.status_code) == (403, 403)
    assert plot_state(app, "N-03")[0] == "available"
    assert plot_state(app, "N-02")[:2] == ("reserved", leads["own"])


# -- the nightly command ---------------------------------------------------------------------------


def test_the_command_releases_only_reservations_past_their_last_day(app, leads):
    with app.app_context():
        lead = db.session.get(Lead, leads["own"])
        for code, until in (
            ("N-02", today() - timedelta(days=1)),
            ("N-03", today()),
            ("N-05", today() + timedelta(days=30)),
        ):
            plot = db.session.scalar(select(Plot).where(Plot.code == code))
            plot.status, plot.reserved_for_id, plot.reserved_until = "reserved", lead.id, until
        db.session.commit()
        demo_reserved = db.session.scalar(
            select(func.count(Plot.id)).where(Plot.status == "reserved")
        )
    result = app.test_cli_runner().invoke(args=["release-reservations"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "released: 1 plot(s): N-02"
    assert plot_state(app, "N-02") == ("available", None, None)
    assert plot_state(app, "N-03")[0] == "reserved"
    assert plot_state(app, "N-05")[0] == "reserved"
    with app.app_context():
        assert (
            db.session.scalar(select(func.count(Plot.id)).where(Plot.status == "reserved"))
            == demo_reserved - 1
        )
    [entry] = plot_audit(app, "release")
    assert entry.actor == "system" and entry.entity_id == plot_id(app, "N-02")
    again = app.test_cli_runner().invoke(args=["release-reservations"])
    assert again.output.strip() == "released: 0 plot(s)"


# -- the public site -----------------------------------------------------------------------------


def test_the_public_plot_page_shows_the_reservation_at_once(app, client, cast, leads, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 60)
    monkeypatch.setitem(app.extensions, "page_cache", page_cache.LRU(page_cache.MAX_PAGES))
    visitor = app.test_client(use_cookies=False)

    def status(code):
        html = visitor.get(f"/en/land/{code}").get_data(as_text=True)
        return re.search(r"<dt>Status</dt><dd>([^<]+)</dd>", html).group(1)

    def listed_as(code, wanted):
        html = visitor.get(f"/en/land?status={wanted}").get_data(as_text=True)
        results = html.split('<ol class="plot-results"')[1] if "plot-results" in html else ""
        results = results.split("</ol>")[0]  # the list, not the site plan after it
        return f'/en/land/{code}"' in results

    assert status("N-02") == "Available" and listed_as("N-02", "available")
    signed_in(app, cast.manager, client)
    reserve(app, client, leads["own"], "N-02", today() + timedelta(days=10))
    assert status("N-02") == "Reserved"
    assert listed_as("N-02", "reserved") and not listed_as("N-02", "available")
    release(client, leads["own"], plot_id(app, "N-02"))
    assert status("N-02") == "Available"
    assert listed_as("N-02", "available") and not listed_as("N-02", "reserved")
