"""The pipeline board, stage moves (forms and board.js), lost reasons, and the stage report."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import event, func, select

from core.extensions import db
from core.leads import restate_history
from core.models import AuditEntry, Lead, ListItem, StageChange, User
from core.models.base import utcnow
from crm.pipeline import board as board_module
from tests.conftest import csrf_token
from tests.factories import make_lead, sign_in_as
from tests.forms import sign


@pytest.fixture
def reasons(app):
    with app.app_context():
        price = ListItem(
            kind="lost_reason", code="price", labels={"en": "Land price", "zh": "地价"}
        )
        old = ListItem(kind="lost_reason", code="old", labels={"en": "Old reason"}, active=False)
        db.session.add_all([price, old])
        db.session.commit()
        return {"price": price.id, "old": old.id}


def new_lead(owner_id=None, **kwargs) -> int:
    owner = db.session.get(User, owner_id) if owner_id else None
    lead = make_lead(owner=owner, **kwargs)
    db.session.commit()
    return lead.id


def columns(html: str) -> dict[str, tuple[str, str]]:
    counts = dict(re.findall(r'data-column-count="(\w+)">(\d[\d,]*)', html))
    totals = dict(re.findall(r'data-column-total="(\w+)">([^<]*)<', html))
    return {stage: (counts[stage], totals[stage]) for stage in counts}


def move(client, lead_id, stage, *, version=None, page="/crm/board", **extra):
    token = csrf_token(client.get(page).get_data(as_text=True))
    if version is None:
        version = db.session.get(Lead, lead_id).version_id
    data = {"csrf_token": token, "stage": stage, "version": version, "next": "/crm/board"}
    data.update(extra)
    return client.post(f"/crm/leads/{lead_id}/move", data=data)


def test_board_counts_and_sums_every_stage_in_one_view(app, client, cast):
    with app.app_context():
        new_lead(cast.officer, company="Alpha", investment=80_000_000)
        new_lead(cast.teammate, company="Beta", investment=20_000_000)
        new_lead(cast.other_officer, company="Gamma", stage="qualified", investment=300_000_000)
        merged_into = new_lead(cast.officer, company="Delta", investment=None)
        hidden = db.session.get(Lead, new_lead(cast.officer, company="Merged", investment=999))
        hidden.merged_into_id = merged_into
        db.session.commit()
        sign_in_as(client, cast.manager)
    page = client.get("/crm/board")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    found = columns(html)
    assert found["new"] == ("3", "CN¥100M")
    assert found["qualified"] == ("1", "CN¥300M")
    assert found["lost"] == ("0", "CN¥0")
    assert "Merged" not in html and "Alpha" in html and "Gamma" in html
    # Every movable card carries a keyboard-usable form, and the board loads only our own files.
    assert html.count('class="move-form"') == 4
    assert '<meta name="csrf-token"' in html and "vendor/sortablejs/Sortable.min.js" in html
    assert 'aria-live="polite"' in html and "<script>" not in html


def test_officer_sees_team_leads_and_moves_only_own(app, client, cast):
    with app.app_context():
        new_lead(cast.officer, company="Mine Ltd")
        new_lead(cast.teammate, company="Teammate Ltd")
        new_lead(cast.other_officer, company="Other Team Ltd")
        sign_in_as(client, cast.officer)
    html = client.get("/crm/board").get_data(as_text=True)
    assert "Mine Ltd" in html and "Teammate Ltd" in html and "Other Team Ltd" not in html
    assert columns(html)["new"][0] == "2"
    assert html.count('class="move-form"') == 1
    mine = client.get("/crm/board?owner=me").get_data(as_text=True)
    assert "Mine Ltd" in mine and "Teammate Ltd" not in mine


def test_leader_sees_only_liaison_leads_by_name(app, client, cast):
    with app.app_context():
        leader = db.session.get(User, cast.leader)
        lead = make_lead(
            "Secret Motors AG", owner=db.session.get(User, cast.officer), liaison=leader
        )
        make_lead("Someone Else GmbH")
        db.session.commit()
        code = lead.code_name
        sign_in_as(client, cast.leader)
    html = client.get("/crm/board").get_data(as_text=True)
    assert "Secret Motors AG" in html  # their liaison lead, by name
    assert "Someone Else" not in html
    assert 'class="move-form"' not in html
    assert columns(html)["new"][0] == "1"
    with app.app_context():
        db.session.get(Lead, lead.id).confidential = True
        db.session.get(Lead, lead.id).liaison_id = None
        db.session.commit()
    assert code not in client.get("/crm/board").get_data(as_text=True)  # out of scope now


def statements_for(app, client, url: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_board_queries_do_not_grow_with_the_cards(app, client, cast, reasons):
    with app.app_context():
        for n in range(3):
            new_lead(cast.officer, company=f"Few {n}")
        sign_in_as(client, cast.manager)
    few = statements_for(app, client, "/crm/board")
    with app.app_context():
        for n in range(12):
            stage = ("new", "contacted", "signed")[n % 3]
            new_lead((cast.officer, cast.teammate)[n % 2], company=f"Many {n}", stage=stage)
    assert statements_for(app, client, "/crm/board") == few


def test_board_shows_the_newest_cards_and_links_to_the_rest(app, client, cast, monkeypatch):
    monkeypatch.setattr(board_module, "CARDS_PER_COLUMN", 2)
    monkeypatch.setattr(board_module, "CARDS_WHEN_EXPANDED", 3)
    with app.app_context():
        for name in ("First", "Second", "Third", "Fourth"):
            new_lead(cast.officer, company=f"{name} Co")
        sign_in_as(client, cast.manager)
    assert columns(client.get("/crm/board").get_data(as_text=True))["new"][0] == "4"
    html = client.get("/crm/board").get_data(as_text=True)
    assert "Second Co" not in html and "Fourth Co" in html
    assert 'href="/crm/board?show=new#column-new">Show all 4' in html
    # Shown all (up to the larger cap), the column links to the list for what is left.
    html = client.get("/crm/board?show=new").get_data(as_text=True)
    assert "Second Co" in html and "First Co" not in html
    assert "1 more in the list" in html and 'href="/crm/leads?stage=new"' in html


def test_board_filter_that_makes_no_sense_is_named_and_ignored(app, client, cast):
    with app.app_context():
        new_lead(cast.officer, company="Alpha")
        sign_in_as(client, cast.manager)
    page = client.get("/crm/board?owner=abc&team=%27;drop")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "owner filter was not understood" in html and "Alpha" in html


def test_officer_moves_own_lead_by_form_with_history_audit_and_clock(app, client, cast):
    with app.app_context():
        lead_id = new_lead(cast.officer)
        sign_in_as(client, cast.officer)
        response = move(client, lead_id, "contacted", owner_id=cast.teammate, stage_changed_at="x")
        assert response.status_code == 302 and response.headers["Location"] == "/crm/board"
        db.session.expire_all()
        lead = db.session.get(Lead, lead_id)
        assert lead.stage == "contacted" and lead.first_response_at is not None
        assert lead.owner_id == cast.officer  # the owner in the form is ignored
        change = db.session.scalars(
            select(StageChange).where(StageChange.lead_id == lead_id, StageChange.to_stage != "new")
        ).one()
        assert (change.from_stage, change.to_stage, change.user_id) == (
            "new",
            "contacted",
            cast.officer,
        )
        audits = db.session.scalars(select(AuditEntry).where(AuditEntry.entity_id == lead_id)).all()
        assert len(audits) == 1 and audits[0].changes["stage"] == ["new", "contacted"]
        assert audits[0].actor == f"user:{cast.officer}"
        first = lead.first_response_at
        assert move(client, lead_id, "qualified").status_code == 302
        db.session.expire_all()
        assert db.session.get(Lead, lead_id).first_response_at == first
    assert "Moved Müller Präzisionstechnik GmbH to Qualified." in client.get("/crm/board").get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("mover", "owner", "status"),
    [
        ("teammate", "officer", 403),  # same team: visible, but only the owner moves it
        ("other_officer", "officer", 404),  # another team: as if it did not exist
        ("leader", "officer", 403),
        ("manager", "officer", 302),
        ("admin", None, 302),
    ],
)
def test_who_may_move_a_lead(app, client, cast, mover, owner, status):
    with app.app_context():
        lead_id = new_lead(getattr(cast, owner) if owner else None)
        sign_in_as(client, getattr(cast, mover))
        token = csrf_token(client.get("/crm/account").get_data(as_text=True))
        response = client.post(
            f"/crm/leads/{lead_id}/move",
            data={
                "csrf_token": token,
                "stage": "contacted",
                "version": db.session.get(Lead, lead_id).version_id,
            },
        )
        assert response.status_code == status
        db.session.expire_all()
        expected = "contacted" if status == 302 else "new"
        assert db.session.get(Lead, lead_id).stage == expected


def test_lost_needs_an_active_reason_and_leaving_lost_clears_it(app, client, cast, reasons):
    with app.app_context():
        lead_id = new_lead(cast.officer)
        sign_in_as(client, cast.officer)
        missing = move(client, lead_id, "lost")
        assert missing.status_code == 400
        assert "Choose the reason why the lead was lost." in missing.get_data(as_text=True)
        assert move(client, lead_id, "lost", lost_reason=reasons["old"]).status_code == 400
        assert move(client, lead_id, "lost", lost_reason="1 OR 1=1").status_code == 400
        db.session.expire_all()
        assert db.session.get(Lead, lead_id).stage == "new"
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
        done = move(client, lead_id, "lost", lost_reason=reasons["price"], note="Chose Vietnam")
        assert done.status_code == 302
        db.session.expire_all()
        lead = db.session.get(Lead, lead_id)
        assert (lead.stage, lead.lost_reason_id, lead.lost_note) == (
            "lost",
            reasons["price"],
            "Chose Vietnam",
        )
        assert lead.first_response_at is None  # losing a lead is not answering it
        change = db.session.scalars(select(StageChange).where(StageChange.to_stage == "lost")).one()
        assert change.lost_reason_id == reasons["price"] and change.note == "Chose Vietnam"
        assert move(client, lead_id, "contacted").status_code == 302
        db.session.expire_all()
        lead = db.session.get(Lead, lead_id)
        assert (lead.stage, lead.lost_reason_id, lead.lost_note) == ("contacted", None, "")
        audits = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert len(audits) == 2
        assert audits[1].changes["lost_reason"] == ["price", None]


def test_a_stale_move_is_refused_and_nothing_changes(app, client, cast):
    with app.app_context():
        lead_id = new_lead(cast.officer)
        sign_in_as(client, cast.manager)
        stale = db.session.get(Lead, lead_id).version_id
        assert move(client, lead_id, "contacted").status_code == 302
        response = move(client, lead_id, "lost", version=stale)
        html = response.get_data(as_text=True)
        assert response.status_code == 409
        assert "Someone else changed this lead" in html and "Contacted" in html
        db.session.expire_all()
        assert db.session.get(Lead, lead_id).stage == "contacted"
        assert db.session.scalar(select(func.count(AuditEntry.id))) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"stage": "won"}, "Choose a stage from the list."),
        ({"stage": ""}, "Choose a stage from the list."),
        ({"stage": "new"}, "already in stage"),
        ({"stage": "contacted", "note": "x" * 5000}, "The note is too long"),
        ({"stage": "contacted", "version": "abc"}, "Someone else changed this lead"),
    ],
)
def test_bad_move_input_gives_a_message(app, client, cast, data, message):
    with app.app_context():
        lead_id = new_lead(cast.officer)
        sign_in_as(client, cast.officer)
        token = csrf_token(client.get("/crm/board").get_data(as_text=True))
        version = db.session.get(Lead, lead_id).version_id
    form = {"csrf_token": token, "version": version, **data}
    response = client.post(f"/crm/leads/{lead_id}/move", data=form)
    assert response.status_code in (400, 409)
    assert message in response.get_data(as_text=True)


def test_malformed_or_unknown_ids_and_missing_csrf(app, client, cast):
    with app.app_context():
        lead_id = new_lead(cast.officer)
        sign_in_as(client, cast.manager)
    assert client.get("/crm/leads/abc/move").status_code == 404
    assert client.get("/crm/leads/99999/move").status_code == 404
    assert client.post(f"/crm/leads/{lead_id}/move", data={"stage": "contacted"}).status_code == 400
    page = client.get(f"/crm/leads/{lead_id}/move")
    assert page.status_code == 200 and 'name="stage"' in page.get_data(as_text=True)
    # The board sends a lead to be lost here: Lost is chosen and the reason is asked for.
    lost = client.get(f"/crm/leads/{lead_id}/move?stage=lost&next=/crm/board?owner=me")
    html = lost.get_data(as_text=True)
    assert '<option value="lost" selected>' in html and 'name="lost_reason"' in html
    assert '<details class="lost-fields" open>' in html
    assert 'name="next" value="/crm/board?owner=me"' in html
    odd = client.get(f"/crm/leads/{lead_id}/move?stage=%3Cscript%3E&next=https://evil.example/")
    html = odd.get_data(as_text=True)
    assert odd.status_code == 200 and '<option value="new" selected>' in html
    assert 'href="https://evil.example/"' not in html
    assert '<input type="hidden" name="next" value="/crm/board">' in html


def test_board_script_moves_with_json_and_gets_fresh_totals(app, client, cast, reasons):
    with app.app_context():
        lead_id = new_lead(cast.officer, investment=50_000_000)
        sign_in_as(client, cast.officer)
        token = csrf_token(client.get("/crm/board").get_data(as_text=True))
        version = db.session.get(Lead, lead_id).version_id
    json_headers = {"Accept": "application/json", "X-CSRFToken": token}
    refused = client.post(
        f"/crm/leads/{lead_id}/move",
        data={"stage": "lost", "version": version, "next": "/crm/board?owner=me"},
        headers=json_headers,
    )
    assert refused.status_code == 400
    assert refused.json["ok"] is False and refused.json["field"] == "lost_reason"
    moved = client.post(
        f"/crm/leads/{lead_id}/move",
        data={"stage": "contacted", "version": version, "next": "/crm/board?owner=me"},
        headers=json_headers,
    )
    assert moved.status_code == 200 and moved.json["ok"] is True
    assert moved.json["message"] == "Moved Müller Präzisionstechnik GmbH to Contacted."
    assert moved.json["version"] == version + 1 and moved.json["stage"] == "contacted"
    assert moved.json["columns"]["contacted"]["count"] == 1
    assert moved.json["columns"]["contacted"]["total_text"] == "CN¥50M"
    assert moved.json["columns"]["new"]["count"] == 0


def test_only_the_owner_or_a_manager_signs(app, client, cast):
    with app.app_context():
        lead_id = new_lead(cast.officer, stage="negotiation")
        sign_in_as(client, cast.officer)
        assert sign(client, lead_id).status_code == 302
        db.session.expire_all()
        assert db.session.get(Lead, lead_id).stage == "signed"


def test_lead_panel_renders_with_only_the_lead(app, cast):
    with app.app_context():
        manager = db.session.get(User, cast.manager)
        major = make_lead(
            "Big Steel", owner=db.session.get(User, cast.officer), investment=900_000_000
        )
        small = make_lead("Small Parts", owner=db.session.get(User, cast.teammate))
        db.session.commit()
        with app.test_request_context("/crm/leads/1"):
            login_user(manager)
            panel = render_template_string(
                '{% include "crm/pipeline/_lead_panel.html" %}', lead=major
            )
            assert 'name="stage"' in panel and 'name="owner"' in panel
            assert 'name="liaison"' in panel
            assert 'name="liaison"' not in render_template_string(
                '{% include "crm/pipeline/_lead_panel.html" %}', lead=small
            )
        with app.test_request_context("/crm/leads/1"):
            login_user(db.session.get(User, cast.officer))
            panel = render_template_string(
                '{% include "crm/pipeline/_lead_panel.html" %}', lead=small
            )
            assert 'name="stage"' not in panel and 'name="owner"' not in panel


def _history(lead_id: int, start, steps: list[tuple[str, int]]) -> None:
    """Replace a lead's stage history with moves at known days after start."""
    db.session.execute(StageChange.__table__.delete().where(StageChange.lead_id == lead_id))
    previous = None
    for stage, day in steps:
        db.session.add(
            StageChange(
                lead_id=lead_id, from_stage=previous, to_stage=stage, at=start + timedelta(days=day)
            )
        )
        previous = stage
    lead = db.session.get(Lead, lead_id)
    lead.stage, lead.created_at = previous, start
    restate_history([lead_id])  # as a load that writes its own times does


def test_report_conversion_and_time_in_stage_on_a_known_history(app, client, cast):
    with app.app_context():
        start = utcnow() - timedelta(days=20)
        histories = [
            [("new", 0), ("contacted", 2), ("qualified", 6)],
            [("new", 0), ("contacted", 4)],
            [("new", 0), ("lost", 1)],
            [("new", 0)],
        ]
        for steps in histories:
            _history(new_lead(cast.officer), start, steps)
        _history(new_lead(cast.officer), start - timedelta(days=400), [("new", 0), ("signed", 1)])
        db.session.commit()
        sign_in_as(client, cast.manager)
    page = client.get("/crm/pipeline/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "4 leads created" in html and "1 of them lost" in html
    rows = {
        stage: re.findall(r"<td[^>]*>([^<]*)</td>", body)
        for stage, body in re.findall(r'<tr data-stage="(\w+)">(.*?)</tr>', html, re.S)
    }
    conversion = html.split('id="stays-title"')[0]
    conv = {
        stage: re.findall(r"<td[^>]*>([^<]*)</td>", body)
        for stage, body in re.findall(r'<tr data-stage="(\w+)">(.*?)</tr>', conversion, re.S)
    }
    assert conv["new"] == ["4", "Contacted", "50.0%"]
    assert conv["contacted"] == ["2", "Qualified", "50.0%"]
    assert conv["qualified"] == ["1", "Site visit", "0.0%"]
    assert conv["site_visit"] == ["0", "Negotiation", "—"]
    assert rows["new"] == ["3", "2.3", "2.0"]
    assert rows["contacted"] == ["1", "4.0", "4.0"]
    assert rows["qualified"] == ["0", "—", "—"]


def test_report_rules_and_bad_periods(app, client, cast):
    with app.app_context():
        sign_in_as(client, cast.officer)
    assert client.get("/crm/pipeline/report").status_code == 403
    with app.app_context():
        sign_in_as(client, cast.leader)
    bad = client.get("/crm/pipeline/report?start=2024-13-45&end=yesterday")
    assert bad.status_code == 200 and "not a date" in bad.get_data(as_text=True)
    backwards = client.get("/crm/pipeline/report?start=2025-05-01&end=2025-01-01")
    assert "ends before it starts" in backwards.get_data(as_text=True)


def test_signed_column_sums_the_planned_investment(app, client, cast):
    with app.app_context():
        lead_id = new_lead(cast.officer, stage="negotiation")
        db.session.get(Lead, lead_id).planned_investment = Decimal("123000000")
        db.session.commit()
        sign_in_as(client, cast.manager)
        assert sign(client, lead_id, amount="1.23亿").status_code == 302
    assert columns(client.get("/crm/board").get_data(as_text=True))["signed"] == (
        "1",
        "CN¥123M",
    )
