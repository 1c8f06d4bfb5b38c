"""A project's file in the CRM: coordination meetings with action items, and the issue log."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import ActionItem, AuditEntry, Meeting, ProjectIssue, User
from core.models.base import MAX_ID
from core.projects import park_today
from tests.conftest import csrf_token
from tests.factories import signed_in, two_signed_projects

TODAY = park_today()
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def world(app, cast):
    """Project A (lead of the officer's team A, the leader as liaison), project B (team B)."""
    with app.app_context():
        ids = {key: project.id for key, project in two_signed_projects(cast).items()}
        db.session.commit()
        return ids


def token(client, url: str = "/crm/projects") -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def counts() -> tuple[int, int, int, int]:
    """Rows of meetings, action items, issues and audit entries: nothing written stays equal."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Meeting, ActionItem, ProjectIssue, AuditEntry)
    )


def audits(entity: str, action: str | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).where(AuditEntry.entity_type == entity)
    if action:
        statement = statement.where(AuditEntry.action == action)
    return list(db.session.scalars(statement.order_by(AuditEntry.id)))


def opened_with(html: str) -> dict:
    """The hidden version and original values an edit form was opened with."""
    data = {}
    for name in ("version", "original"):
        found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', html)
        if found:
            data[name] = found.group(1).replace("&#34;", '"').replace("&quot;", '"')
    return data


def meeting_data(client, url: str, **values) -> dict:
    html = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "held_on": YESTERDAY.isoformat(),
        "title": "Land handover",
        "minutes": "The natural resources bureau and the firm met on site.",
        "decisions": "The land is handed over on the first of next month.",
        **opened_with(html),
    }
    data.update(values)
    return data


def new_meeting(client, project_id: int, **values):
    url = f"/crm/projects/{project_id}/meetings/new"
    return client.post(url, data=meeting_data(client, url, **values))


def issue_data(client, url: str, **values) -> dict:
    html = client.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "raised_on": YESTERDAY.isoformat(),
        "description": "The road to the plot is not finished.",
        "department": "housing-construction",
        "due_on": (TODAY + timedelta(days=10)).isoformat(),
        "resolution": "",
        "resolved_on": "",
        **opened_with(html),
    }
    data.update(values)
    return data


def new_issue(client, project_id: int, **values):
    url = f"/crm/projects/{project_id}/issues/new"
    return client.post(url, data=issue_data(client, url, **values))


def make_meeting(project_id: int, held_on: date = YESTERDAY, **action) -> tuple[int, int]:
    """A meeting with one open action item, written directly (call in an app context)."""
    meeting = Meeting(project_id=project_id, held_on=held_on, title="Kick-off", decisions="Go")
    item = ActionItem(project_id=project_id, text="Send the survey", owner_name="The firm")
    for name, value in action.items():
        setattr(item, name, value)
    meeting.actions.append(item)
    db.session.add(meeting)
    db.session.commit()
    return meeting.id, item.id


def make_issue(project_id: int) -> int:
    issue = ProjectIssue(
        project_id=project_id,
        raised_on=YESTERDAY,
        description="Power connection delayed",
        department="development-reform",
    )
    db.session.add(issue)
    db.session.commit()
    return issue.id


# -- meetings --------------------------------------------------------------------------------


def test_a_meeting_is_recorded_with_its_action_items_and_audited(app, cast, world):
    client = signed_in(app, cast.officer)
    page = client.get(f"/crm/projects/{world['a']}/meetings/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count("New action item") >= 5 and 'name="actions-4-text"' in html
    due = (TODAY + timedelta(days=7)).isoformat()
    response = new_meeting(
        client,
        world["a"],
        **{
            "actions-0-text": "Clear the access road",
            "actions-0-owner_id": str(cast.officer),
            "actions-0-due_on": due,
            "actions-1-text": "Send the building plans",
            "actions-1-owner_name": "The firm",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/projects/{world['a']}#meetings-title")
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert (meeting.project_id, meeting.held_on, meeting.title) == (
            world["a"],
            YESTERDAY,
            "Land handover",
        )
        assert meeting.created_by_id == cast.officer
        first, second = meeting.actions
        assert (first.owner_id, first.owner_name, first.due_on.isoformat()) == (
            cast.officer,
            "",
            due,
        )
        assert (second.owner_id, second.owner_name, second.due_on) == (None, "The firm", None)
        assert {a.project_id for a in meeting.actions} == {world["a"]}
        created = audits("Meeting", "create")
        assert len(created) == 1 and created[0].changes["title"] == [None, "Land handover"]
        assert created[0].actor == f"user:{cast.officer}"
        assert len(audits("ActionItem", "create")) == 2
    project_page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "Land handover" in project_page and "The land is handed over" in project_page
    assert "Clear the access road" in project_page and "The firm" in project_page
    assert "li" in project_page  # the officer's name (li@bureau.example) as owner
    assert f"/crm/projects/{world['a']}/meetings/{meeting.id}" in project_page
    assert project_page.count(f"/crm/projects/{world['a']}/actions/") == 2  # two Done buttons


def test_editing_a_meeting_audits_old_and_new_and_adds_action_items(app, cast, world):
    with app.app_context():
        meeting_id, _ = make_meeting(world["a"])
    client = signed_in(app, cast.manager)
    url = f"/crm/projects/{world['a']}/meetings/{meeting_id}"
    html = client.get(url).get_data(as_text=True)
    assert 'value="Kick-off"' in html and "Send the survey" in html
    data = meeting_data(
        client,
        url,
        title="Kick-off with the county",
        decisions="Go",
        minutes="",
        **{"actions-0-text": "Book the hall", "actions-0-owner_name": "Park office"},
    )
    response = client.post(url, data=data)
    assert response.status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.title == "Kick-off with the county" and meeting.held_on == YESTERDAY
        assert [a.text for a in meeting.actions] == ["Send the survey", "Book the hall"]
        (update,) = audits("Meeting", "update")
        assert update.changes == {"title": ["Kick-off", "Kick-off with the county"]}
        assert len(audits("ActionItem", "create")) == 1
        before = counts()
    # The same values again: nothing to write, nothing audited.
    data = meeting_data(client, url, title="Kick-off with the county", decisions="Go", minutes="")
    assert client.post(url, data=data).status_code == 302
    with app.app_context():
        assert counts() == before


def test_only_the_rows_of_the_form_are_read_each_once(app, cast, world):
    client = signed_in(app, cast.officer)
    rows = {
        "actions-3-text": "Only this one",
        "actions-3-owner_name": "The firm",
        "actions-9-text": "Not a row of the form",
        "actions-9-owner_name": "Nobody",
    }
    assert new_meeting(client, world["a"], **rows).status_code == 302
    with app.app_context():
        assert [a.text for a in db.session.scalars(select(ActionItem))] == ["Only this one"]


LONG = "x" * 201


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"held_on": (TODAY + timedelta(days=1)).isoformat()}, "The day cannot be in the future."),
        ({"held_on": "31/02/2025"}, "Enter the day as a date."),
        ({"title": ""}, "Give the meeting a title."),
        ({"title": LONG}, "Use 200 characters or fewer (you entered 201)."),
        ({"title": "two\nlines"}, "Use a single line, without line breaks."),
        ({"minutes": "m" * 20001}, "Use 20000 characters or fewer (you entered 20001)."),
        ({"decisions": "d" * 5001}, "Use 5000 characters or fewer (you entered 5001)."),
        ({"actions-2-text": "Nobody owns this"}, "Say who must do it."),
        ({"actions-0-owner_name": "The firm"}, "Say what must be done."),
        (
            {"actions-0-text": "Both", "actions-0-owner_id": "1", "actions-0-owner_name": "X"},
            "Choose a member of staff or type a name, not both.",
        ),
        (
            {"actions-0-text": "Ghost", "actions-0-owner_id": "999999"},
            "Choose a member of staff from the list.",
        ),
        (
            {
                "actions-0-text": "Too early",
                "actions-0-owner_name": "The firm",
                "actions-0-due_on": (YESTERDAY - timedelta(days=1)).isoformat(),
            },
            "The due day cannot be before the meeting.",
        ),
    ],
)
def test_a_meeting_with_bad_input_is_refused_and_nothing_written(app, cast, world, values, message):
    client = signed_in(app, cast.officer)
    with app.app_context():
        before = counts()
    if values.get("actions-0-owner_id") == "1":
        values = {**values, "actions-0-owner_id": str(cast.officer)}
    # A good action item in another row must not be written either.
    good = {"actions-4-text": "Fine", "actions-4-owner_name": "The firm"}
    response = new_meeting(client, world["a"], **{**good, **values})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and 'id="error-summary"' in html
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert counts() == before


def test_a_bad_edit_of_a_meeting_changes_nothing(app, cast, world):
    with app.app_context():
        meeting_id, _ = make_meeting(world["a"])
        before = counts()
    client = signed_in(app, cast.officer)
    url = f"/crm/projects/{world['a']}/meetings/{meeting_id}"
    data = meeting_data(client, url, title="", decisions="Changed")
    response = client.post(url, data=data)
    assert response.status_code == 422 and "Give the meeting a title." in response.text
    with app.app_context():
        assert counts() == before
        assert db.session.get(Meeting, meeting_id).decisions == "Go"


def test_an_action_item_is_done_then_open_again_each_time_audited(app, cast, world):
    with app.app_context():
        meeting_id, action_id = make_meeting(world["a"])
    client = signed_in(app, cast.officer)
    url = f"/crm/projects/{world['a']}/actions/{action_id}/done"
    response = client.post(url, data={"csrf_token": token(client)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#meetings-title")
    with app.app_context():
        assert db.session.get(ActionItem, action_id).done_on == TODAY
        (done,) = audits("ActionItem", "done")
        assert done.changes == {"done_on": [None, TODAY.isoformat()]}
    page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "No open action item." in page and "The action item is done." in page
    meeting_page = client.get(f"/crm/projects/{world['a']}/meetings/{meeting_id}").text
    assert "Done on" in meeting_page and "Open again" in meeting_page
    # Pressed again (from the meeting's page): open again, and back to that page.
    response = client.post(url, data={"csrf_token": token(client), "back": "meeting"})
    assert response.headers["Location"].endswith(
        f"/crm/projects/{world['a']}/meetings/{meeting_id}#actions-title"
    )
    with app.app_context():
        assert db.session.get(ActionItem, action_id).done_on is None
        (undone,) = audits("ActionItem", "undone")
        assert undone.changes == {"done_on": [TODAY.isoformat(), None]}


def test_overdue_action_items_and_issues_are_flagged(app, cast, world):
    with app.app_context():
        make_meeting(world["a"], held_on=TODAY - timedelta(days=20), due_on=YESTERDAY)
        issue = ProjectIssue(
            project_id=world["a"],
            raised_on=TODAY - timedelta(days=20),
            description="Water supply",
            department="development-reform",
            due_on=YESTERDAY,
        )
        db.session.add(issue)
        db.session.commit()
    html = signed_in(app, cast.manager).get(f"/crm/projects/{world['a']}").text
    assert html.count('class="flag-overdue">Overdue<') == 2
    assert "County Development and Reform Bureau" in html and "1 issue open" in html


def test_meetings_list_newest_first_with_open_counts(app, cast, world):
    with app.app_context():
        make_meeting(world["a"], held_on=TODAY - timedelta(days=30))
        later, action_id = make_meeting(world["a"], held_on=TODAY - timedelta(days=2))
        db.session.get(Meeting, later).title = "Second round"
        db.session.get(ActionItem, action_id).done_on = TODAY
        db.session.commit()
    html = signed_in(app, cast.manager).get(f"/crm/projects/{world['a']}").text
    assert html.index("Second round") < html.index("Kick-off")
    rows = re.findall(r'<td class="number">(\d+)</td>', html)
    assert rows[:2] == ["0", "1"]


# -- issues ----------------------------------------------------------------------------------


def test_an_issue_is_logged_then_resolved_each_change_audited(app, cast, world):
    client = signed_in(app, cast.officer)
    form = client.get(f"/crm/projects/{world['a']}/issues/new").text
    assert "County Housing and Urban-Rural Development Bureau" in form
    response = new_issue(client, world["a"])
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#issues-title")
    with app.app_context():
        issue = db.session.scalar(select(ProjectIssue))
        assert (issue.project_id, issue.department, issue.resolved_on) == (
            world["a"],
            "housing-construction",
            None,
        )
        (created,) = audits("ProjectIssue", "create")
        assert created.changes["description"] == [None, "The road to the plot is not finished."]
        issue_id = issue.id
    page = client.get(f"/crm/projects/{world['a']}").text
    assert "The road to the plot is not finished." in page
    assert re.search(r"<td>\s*Still open\s*</td>", page)
    url = f"/crm/projects/{world['a']}/issues/{issue_id}"
    data = issue_data(client, url, resolution="The county paved it.", resolved_on=TODAY)
    response = client.post(url, data=data)
    assert response.status_code == 302
    with app.app_context():
        issue = db.session.get(ProjectIssue, issue_id)
        assert issue.resolved_on == TODAY and issue.resolution == "The county paved it."
        (update,) = audits("ProjectIssue", "update")
        assert update.changes == {
            "resolution": ["", "The county paved it."],
            "resolved_on": [None, TODAY.isoformat()],
        }
    assert "Resolved on" in client.get(f"/crm/projects/{world['a']}").text


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"description": ""}, "Describe the difficulty."),
        ({"description": "d" * 5001}, "Use 5000 characters or fewer (you entered 5001)."),
        ({"resolution": "r" * 5001}, "Use 5000 characters or fewer (you entered 5001)."),
        ({"department": ""}, "Choose a department."),
        ({"department": "ministry-of-magic"}, "Choose a department from the list."),
        (
            {"raised_on": (TODAY + timedelta(days=1)).isoformat()},
            "The day cannot be in the future.",
        ),
        ({"raised_on": "soon"}, "Enter the day as a date."),
        ({"due_on": "2020-01-01"}, "The due day cannot be before the day it was raised."),
        ({"resolved_on": YESTERDAY.isoformat()}, "Say how it was resolved before giving the day."),
        (
            {"resolution": "Done", "resolved_on": (YESTERDAY - timedelta(days=1)).isoformat()},
            "It cannot be resolved before the day it was raised.",
        ),
        (
            {"resolution": "Done", "resolved_on": (TODAY + timedelta(days=1)).isoformat()},
            "The day cannot be in the future.",
        ),
    ],
)
def test_an_issue_with_bad_input_is_refused_and_nothing_written(app, cast, world, values, message):
    with app.app_context():
        issue_id = make_issue(world["a"])
        before = counts()
    client = signed_in(app, cast.officer)
    for url in (
        f"/crm/projects/{world['a']}/issues/new",
        f"/crm/projects/{world['a']}/issues/{issue_id}",
    ):
        response = client.post(url, data=issue_data(client, url, **values))
        assert response.status_code == 422, url
        assert message in response.text and 'id="error-summary"' in response.text
    with app.app_context():
        assert counts() == before
        assert db.session.get(ProjectIssue, issue_id).version_id == 1


def test_a_stale_issue_form_is_refused_with_the_other_persons_values(app, cast, world):
    with app.app_context():
        issue_id = make_issue(world["a"])
    client = signed_in(app, cast.officer)
    url = f"/crm/projects/{world['a']}/issues/{issue_id}"
    kept = {"description": "Power connection delayed", "department": "development-reform"}
    opened = issue_data(client, url, due_on="", **kept)
    # Meanwhile a manager saves a resolution.
    manager = signed_in(app, cast.manager)
    theirs = issue_data(
        manager,
        url,
        due_on="",
        **kept,
        resolution="Connected by the grid company.",
        resolved_on=TODAY.isoformat(),
    )
    assert manager.post(url, data=theirs).status_code == 302
    with app.app_context():
        before = counts()
    response = client.post(url, data={**opened, "description": "Power and water delayed"})
    assert response.status_code == 409
    html = response.text
    assert "This issue was changed by someone else" in html
    assert "Connected by the grid company." in html  # their value, beside ours
    with app.app_context():
        assert counts() == before
        issue = db.session.get(ProjectIssue, issue_id)
        assert issue.description == "Power connection delayed" and issue.version_id == 2
    # Sent again from the conflict page (its version now current): saved.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    original = re.search(r'name="original" type="hidden" value="([^"]*)"', html).group(1)
    again = {
        **opened,
        "description": "Power and water delayed",
        "version": version,
        "original": original.replace("&#34;", '"'),
        "resolution": "Connected by the grid company.",
        "resolved_on": TODAY.isoformat(),
    }
    assert client.post(url, data=again).status_code == 302
    with app.app_context():
        assert db.session.get(ProjectIssue, issue_id).description == "Power and water delayed"


def test_a_stale_meeting_form_is_refused_and_keeps_what_was_typed(app, cast, world):
    with app.app_context():
        meeting_id, _ = make_meeting(world["a"])
    client = signed_in(app, cast.officer)
    url = f"/crm/projects/{world['a']}/meetings/{meeting_id}"
    opened = meeting_data(client, url, title="Kick-off")
    # Meanwhile a manager writes the decisions.
    manager = signed_in(app, cast.manager)
    theirs = meeting_data(manager, url, title="Kick-off", decisions="Handover on 1 December.")
    assert manager.post(url, data=theirs).status_code == 302
    with app.app_context():
        before = counts()
    mine = {**opened, "minutes": "Met on site.", "actions-0-text": "Fence the plot",
            "actions-0-owner_name": "The firm"}  # fmt: skip
    response = client.post(url, data=mine)
    assert response.status_code == 409
    html = response.text
    assert "This meeting was changed by someone else" in html
    assert "Handover on 1 December." in html  # their value, beside ours
    assert "Met on site.</textarea>" in html and "Fence the plot</textarea>" in html  # kept
    with app.app_context():
        assert counts() == before  # no minutes, no action item, no audit entry
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.minutes != "Met on site." and meeting.version_id == 2
    # A new action item alone, from a form opened before another change, is refused too.
    stale = meeting_data(client, url, title="Kick-off", decisions="Handover on 1 December.")
    assert manager.post(url, data={**theirs, **opened_with(manager.get(url).text),
                                   "minutes": "Signed off."}).status_code == 302  # fmt: skip
    response = client.post(url, data={**stale, "actions-0-text": "X", "actions-0-owner_name": "Y"})
    assert response.status_code == 409
    # Sent again from the conflict page (its version now current): saved.
    again = {**mine, **opened_with(response.text), "decisions": "Handover on 1 December."}
    assert client.post(url, data=again).status_code == 302
    with app.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        assert meeting.minutes == "Met on site." and meeting.decisions == "Handover on 1 December."
        assert "Fence the plot" in [a.text for a in meeting.actions]


# -- scope and roles -------------------------------------------------------------------------


def test_ids_of_another_project_are_not_found(app, cast, world):
    with app.app_context():
        meeting_b, action_b = make_meeting(world["b"])
        issue_b = make_issue(world["b"])
        before = counts()
    client = signed_in(app, cast.manager)
    csrf = token(client)
    a = world["a"]
    for url in (
        f"/crm/projects/{a}/meetings/{meeting_b}",
        f"/crm/projects/{a}/issues/{issue_b}",
        f"/crm/projects/{a}/meetings/{MAX_ID + 1}",
        f"/crm/projects/{a}/issues/0",
        f"/crm/projects/{MAX_ID + 1}/meetings/new",
        f"/crm/projects/{MAX_ID + 1}/issues/new",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"csrf_token": csrf}).status_code == 404, url
    for url in (f"/crm/projects/{a}/actions/{action_b}/done", f"/crm/projects/{a}/actions/0/done"):
        assert client.post(url, data={"csrf_token": csrf}).status_code == 404, url
    with app.app_context():
        assert counts() == before
    # Through its own project, the same meeting opens.
    assert client.get(f"/crm/projects/{world['b']}/meetings/{meeting_b}").status_code == 200


def test_an_officer_outside_the_scope_finds_nothing(app, cast, world):
    with app.app_context():
        meeting_id, action_id = make_meeting(world["a"])
        issue_id = make_issue(world["a"])
        before = counts()
    client = signed_in(app, cast.other_officer)  # team B: project A is not theirs
    csrf = token(client)
    a = world["a"]
    for url in (
        f"/crm/projects/{a}/meetings/new",
        f"/crm/projects/{a}/meetings/{meeting_id}",
        f"/crm/projects/{a}/issues/new",
        f"/crm/projects/{a}/issues/{issue_id}",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"csrf_token": csrf}).status_code == 404, url
    response = client.post(f"/crm/projects/{a}/actions/{action_id}/done", data={"csrf_token": csrf})
    assert response.status_code == 404
    with app.app_context():
        assert counts() == before


def test_the_liaison_leader_reads_meetings_and_issues_but_changes_nothing(app, cast, world):
    with app.app_context():
        meeting_id, action_id = make_meeting(world["a"])
        issue_id = make_issue(world["a"])
        before = counts()
    client = signed_in(app, cast.leader)
    a = world["a"]
    project_page = client.get(f"/crm/projects/{a}").text
    assert "Kick-off" in project_page and "Power connection delayed" in project_page
    assert "New meeting" not in project_page and "New issue" not in project_page
    assert f"/actions/{action_id}/done" not in project_page
    meeting = client.get(f"/crm/projects/{a}/meetings/{meeting_id}")
    assert meeting.status_code == 200
    assert (
        "Send the survey" in meeting.text
        and '<form method="post" action="/crm/projects' not in meeting.text
    )
    issue = client.get(f"/crm/projects/{a}/issues/{issue_id}")
    assert issue.status_code == 200
    assert (
        "County Development and Reform Bureau" in issue.text
        and 'name="description"' not in issue.text
    )
    csrf = token(client)
    for url in (
        f"/crm/projects/{a}/meetings/new",
        f"/crm/projects/{a}/meetings/{meeting_id}",
        f"/crm/projects/{a}/issues/new",
        f"/crm/projects/{a}/issues/{issue_id}",
        f"/crm/projects/{a}/actions/{action_id}/done",
    ):
        assert client.post(url, data={"csrf_token": csrf, "title": "x"}).status_code == 403, url
    assert client.get(f"/crm/projects/{a}/meetings/new").status_code == 403
    assert client.get(f"/crm/projects/{a}/issues/new").status_code == 403
    with app.app_context():
        assert counts() == before
    # A leader who is not the project's liaison does not see it at all.
    assert client.get(f"/crm/projects/{world['b']}/meetings/{meeting_id}").status_code == 404


def test_the_pages_render_in_chinese(app, cast, world):
    with app.app_context():
        meeting_id, _ = make_meeting(world["a"], due_on=YESTERDAY - timedelta(days=1))
        issue_id = make_issue(world["a"])
        db.session.get(User, cast.manager).language = "zh"
        db.session.commit()
    client = signed_in(app, cast.manager)
    a = world["a"]
    for url in (
        f"/crm/projects/{a}",
        f"/crm/projects/{a}/meetings/new",
        f"/crm/projects/{a}/meetings/{meeting_id}",
        f"/crm/projects/{a}/issues/new",
        f"/crm/projects/{a}/issues/{issue_id}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-Hans">' in response.text
    assert "县发展和改革局" in client.get(f"/crm/projects/{a}/issues/{issue_id}").text
