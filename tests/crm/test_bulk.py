"""Bulk actions on the lead list: selection, preview, run, one audit entry per lead, refusals."""

import csv
import html
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.leads import FAIR_RESPONSE_HOURS
from core.models import (
    Activity,
    AssignmentRule,
    AuditEntry,
    ImportJob,
    Lead,
    ListItem,
    OutboxEmail,
    User,
)
from core.models.base import utcnow
from crm.leads import bulk
from tests.factories import make_event, make_lead, signed_in


@pytest.fixture
def fair(app, cast):
    """Twelve unassigned leads met at a fair, and two website leads owned by the officer."""
    with app.app_context():
        event = make_event("eu-china-fair", days_ahead=-3)
        fair_ids = []
        for n in range(12):
            lead = make_lead(
                f"Fair Firm {n:02d} GmbH", email=f"ceo{n}@firm{n}.example",
                language="zh" if n % 3 == 0 else "de", source="event",
            )  # fmt: skip
            lead.event_id = event.id
            fair_ids.append(lead.id)
        officer = db.session.get(User, cast.officer)
        own = [make_lead(f"Own Firm {n} AG", owner=officer).id for n in range(2)]
        db.session.commit()
        return {"event": event.id, "fair": fair_ids, "own": own}


def preview(client, **params):
    response = client.get("/crm/leads/bulk", query_string={"preview": "1", **params})
    return response, response.get_data(as_text=True)


def run(client, page: str, **form):
    """Submit the preview's run form as the page carries it (its hidden fields and all)."""
    form_re = r'<form method="post" action="(/crm/leads/bulk[^"]*)">(.*?)</form>'
    match = re.search(form_re, page, re.S)
    assert match, "no run form on the page"
    data = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">',
                                  match.group(2)):  # fmt: skip
        data.setdefault(name, []).append(html.unescape(value))
    data.update(form)
    return client.post(html.unescape(match.group(1)), data=data)


def audit_count(lead_ids, action):
    return db.session.scalar(
        select(func.count()).where(
            AuditEntry.entity_type == "Lead",
            AuditEntry.entity_id.in_(lead_ids),
            AuditEntry.action == action,
        )
    )


def test_a_manager_spreads_a_fairs_leads_over_a_team(app, cast, fair):
    client = signed_in(app, cast.manager)
    response, page = preview(
        client, event=fair["event"], scope="all", action="assign", mode="team", to_team=cast.team_a
    )
    assert response.status_code == 200, page
    assert "All 12 leads matching the filter" in page
    assert "12 leads will be assigned, per officer:" in page
    assert "li: 6" in page and "wu: 6" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(Lead.owner_id.is_not(None))) == 2
    before = utcnow()
    done = run(client, page)
    assert done.status_code == 200
    assert "12 leads done." in done.get_data(as_text=True)
    with app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(fair["fair"]))).all()
        owners = sorted(lead.owner_id for lead in leads)
        assert owners == sorted([cast.officer] * 6 + [cast.teammate] * 6)
        assert {lead.team_id for lead in leads} == {cast.team_a}
        # A fair's lead: the new owner has the fair's hours to answer, from now.
        for lead in leads:
            due = lead.response_due_at - before
            assert (
                timedelta(hours=FAIR_RESPONSE_HOURS)
                <= due
                < timedelta(hours=FAIR_RESPONSE_HOURS, minutes=5)
            )
        assert audit_count(fair["fair"], "assign") == 12


def test_assigning_to_one_officer_skips_the_leads_already_theirs(app, cast, fair):
    client = signed_in(app, cast.manager)
    ticked = [fair["own"][0], fair["fair"][0]]
    response, page = preview(
        client, lead=ticked, action="assign", mode="officer", to_officer=cast.officer
    )
    assert "1 lead will be assigned, per officer:" in page
    assert "Its owner stays the same. (1)" in page
    run(client, page)
    with app.app_context():
        assert db.session.get(Lead, fair["fair"][0]).owner_id == cast.officer
        assert audit_count(ticked, "assign") == 1


def test_assigning_by_the_rules_takes_the_round_robins_turns(app, cast, fair):
    with app.app_context():
        db.session.add(AssignmentRule(position=0, kind="language", match="zh", team_id=cast.team_b))
        db.session.add(AssignmentRule(position=1, kind="round_robin", team_id=cast.team_a))
        db.session.commit()
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="assign", mode="rules")
    assert "zhao: 4" in page and "li: 4" in page and "wu: 4" in page
    run(client, page)
    with app.app_context():
        leads = db.session.scalars(select(Lead).where(Lead.id.in_(fair["fair"]))).all()
        zh = {lead.owner_id for lead in leads if lead.language == "zh"}
        assert zh == {cast.other_officer}
        rule = db.session.scalar(select(AssignmentRule).where(AssignmentRule.kind == "round_robin"))
        assert rule.last_user_id == cast.teammate  # eight turns over two officers
        # Each officer hears once of their four new leads, not four times.
        told = db.session.scalars(
            select(OutboxEmail.to_address).where(OutboxEmail.kind == "lead_assigned")
        ).all()
        assert sorted(told) == sorted(
            db.session.get(User, officer).email
            for officer in (cast.other_officer, cast.officer, cast.teammate)
        )


def test_officers_may_not_assign_in_bulk(app, cast, fair):
    client = signed_in(app, cast.officer)
    response, _ = preview(client, lead=fair["own"], action="assign", mode="officer",
                          to_officer=cast.teammate)  # fmt: skip
    assert response.status_code == 403
    response = client.get("/crm/leads")
    assert 'value="assign"' not in response.get_data(as_text=True)
    assert 'value="stage"' in response.get_data(as_text=True)


def test_an_officer_moves_only_the_leads_they_own(app, cast, fair):
    with app.app_context():
        teammate = db.session.get(User, cast.teammate)
        theirs = make_lead("Teammate Firm KG", owner=teammate).id
        db.session.commit()
    client = signed_in(app, cast.officer)
    _, page = preview(client, lead=[*fair["own"], theirs], action="stage", to_stage="contacted")
    assert "2 leads will move to stage" in page
    assert "You may move only the leads you own. (1)" in page
    done = run(client, page)
    assert "Teammate Firm KG" in done.get_data(as_text=True)
    with app.app_context():
        assert [db.session.get(Lead, i).stage for i in fair["own"]] == ["contacted", "contacted"]
        assert db.session.get(Lead, theirs).stage == "new"
        assert audit_count(fair["own"], "move") == 2


def test_a_bulk_move_to_lost_needs_a_reason(app, cast, fair):
    client = signed_in(app, cast.manager)
    response, page = preview(client, lead=fair["fair"][:2], action="stage", to_stage="lost")
    assert response.status_code == 400
    assert "Choose the reason why the lead was lost." in page
    with app.app_context():
        reason = ListItem(kind="lost_reason", code="budget", labels={"en": "Budget"})
        db.session.add(reason)
        db.session.commit()
        reason_id = reason.id
    _, page = preview(client, lead=fair["fair"][:2], action="stage", to_stage="lost",
                      lost_reason=reason_id)  # fmt: skip
    run(client, page)
    with app.app_context():
        assert {db.session.get(Lead, i).stage for i in fair["fair"][:2]} == {"lost"}


def test_bad_input_is_answered_in_words(app, cast, fair):
    client = signed_in(app, cast.manager)
    response, page = preview(client, action="stage", to_stage="contacted")
    assert response.status_code == 400 and "Select at least one lead." in page
    response, _ = preview(client, lead=fair["fair"][:1], action="explode")
    assert response.status_code == 400
    response, page = preview(client, lead=fair["fair"][:1], action="stage", to_stage="nowhere")
    assert response.status_code == 400 and "Choose a stage from the list." in page
    response, page = preview(client, lead=["x", "-1", "99999999999"], action="tag", tag="a")
    assert response.status_code == 400 and "Select at least one lead." in page
    response, page = preview(client, lead=fair["fair"][:1], action="tag", tag=" ")
    assert response.status_code == 400 and "Give the tag 1 to 40 characters." in page
    response, page = preview(client, lead=fair["fair"][:1], action="assign", mode="team",
                             to_team=999)  # fmt: skip
    assert "Choose a team with at least one active officer." in page


def test_the_run_refuses_a_selection_that_changed_since_the_preview(app, cast, fair):
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="tag", tag="Fair 2026")
    with app.app_context():
        make_lead("Late Firm GmbH", source="event").event_id = fair["event"]
        db.session.commit()
    response = run(client, page)
    assert response.status_code == 409
    assert "nothing was done" in response.get_data(as_text=True)
    with app.app_context():
        assert audit_count(fair["fair"], "update") == 0


def test_the_run_needs_csrf(app, cast, fair):
    app.config["WTF_CSRF_ENABLED"] = True
    client = signed_in(app, cast.manager)
    response = client.post("/crm/leads/bulk", data={"action": "tag", "tag": "x", "scope": "all"})
    assert response.status_code == 400
    with app.app_context():
        assert audit_count(fair["fair"], "update") == 0


def test_tagging_adds_the_tag_once(app, cast, fair):
    client = signed_in(app, cast.manager)
    _, page = preview(client, lead=fair["fair"][:3], action="tag", tag="EU-China 2026")
    run(client, page)
    _, page = preview(client, lead=fair["fair"][:4], action="tag", tag="EU-China 2026")
    assert "1 lead will get the tag" in page
    assert "It has this tag already. (3)" in page
    with app.app_context():
        assert db.session.get(Lead, fair["fair"][0]).tags == ["EU-China 2026"]
        assert audit_count(fair["fair"][:3], "update") == 3


def test_bulk_email_goes_through_the_outbox_in_each_leads_language(app, cast, fair):
    with app.app_context():
        silent = make_lead("Silent Firm GmbH", email=None, source="event")
        silent.event_id = fair["event"]
        db.session.commit()
    client = signed_in(app, cast.manager)
    _, page = preview(client, event=fair["event"], scope="all", action="email",
                      template="first_reply")  # fmt: skip
    assert "12 emails" in page
    # A sample of what each language's readers get: the subject of its first letter.
    assert re.search(r'<li>Deutsch: 8 · <span lang="de">Ihre Investitionsanfrage zum ', page)
    assert re.search(r'<li>中文: 4 · <span lang="zh-Hans">关于.*的投资咨询', page)
    assert "No contact has an email address. (1)" in page
    run(client, page)
    with app.app_context():
        mails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.lead_id)).all()
        assert len(mails) == 12
        by_lead = {m.lead_id: m for m in mails}
        zh = by_lead[fair["fair"][0]]
        assert zh.language == "zh" and zh.to_address == "ceo0@firm0.example"
        assert by_lead[fair["fair"][1]].language == "de"
        logged = db.session.scalars(
            select(Activity).where(Activity.kind == "email", Activity.direction == "out")
        ).all()
        assert sorted(a.lead_id for a in logged) == sorted(fair["fair"])


def test_bulk_export_holds_the_ticked_leads_only(app, cast, fair):
    client = signed_in(app, cast.manager)
    _, page = preview(client, lead=fair["fair"][:3], action="export", format="csv")
    response = run(client, page)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(int(r[0]) for r in rows[1:]) == sorted(fair["fair"][:3])
    officer = signed_in(app, cast.officer)
    assert preview(officer, lead=fair["own"], action="export", format="csv")[0].status_code == 403


def test_a_selection_larger_than_a_request_takes_goes_to_the_worker(app, cast, fair, monkeypatch):
    monkeypatch.setattr("crm.leads.bulk.MAX_BULK", 5)
    client = signed_in(app, cast.manager)
    response, page = preview(client, scope="all", action="tag", tag="x")
    assert response.status_code == 200 and 'id="bulk-queued"' in page
    # Stage moves and emails go lead by lead through the single-lead operation: a lower limit.
    monkeypatch.setattr("crm.leads.bulk.MAX_BULK", 1000)
    monkeypatch.setitem(bulk.ACTION_LIMITS, "stage", 3)
    assert 'id="bulk-queued"' not in preview(client, scope="all", action="tag", tag="x")[1]
    response, page = preview(client, scope="all", action="stage", to_stage="contacted")
    assert response.status_code == 200 and 'id="bulk-queued"' in page
    # An export is a download: it stays in the request.
    monkeypatch.setattr("crm.leads.bulk.MAX_BULK", 5)
    assert 'id="bulk-queued"' not in preview(client, scope="all", action="export", format="csv")[1]


def test_the_list_filters_the_leads_of_one_import(app, cast, fair):
    with app.app_context():
        job = ImportJob(filename="fair.csv", stored_path="x", status="done",
                        lead_ids=fair["fair"][:5], created=5)  # fmt: skip
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    client = signed_in(app, cast.manager)
    page = client.get(f"/crm/leads?import={job_id}").get_data(as_text=True)
    assert "5 leads" in page
    page = client.get("/crm/leads?import=987654").get_data(as_text=True)
    assert "Import: no such import; ignored." in page
    page = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert f"/crm/leads?import={job_id}" in page


@pytest.mark.parametrize(
    "role, allowed_actions",
    [
        ("admin", {"assign", "stage", "tag", "email", "export"}),
        ("manager", {"assign", "stage", "tag", "email", "export"}),
        ("officer", {"stage", "tag", "email"}),
        ("leader", set()),
    ],
)
def test_who_may_run_which_bulk_action(app, cast, fair, role, allowed_actions):
    """The single-lead rules: assignment and export by managers and admins; officers change
    their own leads; county leaders change nothing."""
    app.config["WTF_CSRF_ENABLED"] = False  # the role's refusal, not the missing token's
    client = signed_in(app, cast.by_role()[role])
    for action in ("assign", "stage", "tag", "email", "export"):
        response, _ = preview(client, lead=fair["own"], action=action)
        assert (response.status_code != 403) == (action in allowed_actions), (role, action)
        posted = client.post("/crm/leads/bulk", data={"action": action, "lead": fair["own"]})
        assert (posted.status_code != 403) == (action in allowed_actions), (role, action)


def test_a_lead_refused_while_running_is_listed_and_the_others_move(app, cast, fair, monkeypatch):
    from core import lead_moves
    from core.refusals import Refused

    first = fair["fair"][0]

    def move_or_refuse(lead, *args, **kwargs):
        if lead.id == first:  # as if someone had moved it on meanwhile
            raise Refused("Someone else changed this lead.")
        return lead_moves.move_lead(lead, *args, **kwargs)

    monkeypatch.setattr("crm.leads.bulk_actions.move_lead", move_or_refuse)
    client = signed_in(app, cast.manager)
    _, page = preview(client, lead=fair["fair"][:4], action="stage", to_stage="contacted")
    done = run(client, page)
    assert done.status_code == 200
    text = done.get_data(as_text=True)
    assert "3 leads done." in text
    assert re.search(r'id="bulk-refused">.*Fair Firm 00 GmbH</a>: Someone else changed', text, re.S)
    with app.app_context():
        stages = [db.session.get(Lead, i).stage for i in fair["fair"][:4]]
        assert stages == ["new", "contacted", "contacted", "contacted"]
        assert audit_count(fair["fair"][:4], "move") == 3
