"""Projects in the CRM: signing opens one, scope per role, the form and plots, stages with proof."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from core import projects
from core.extensions import db
from core.models import (
    AuditEntry,
    Lead,
    OutboxEmail,
    Plot,
    Project,
    ProjectMilestone,
    Referral,
    User,
)
from core.projects import park_today
from tests.conftest import csrf_token, stored, stored_keys, translated
from tests.factories import (
    make_contact,
    make_enterprise,
    make_lead,
    make_referral,
    signed_in,
)
from tests.forms import sign

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def world(app, cast):
    """Lead A (officer's team A, the leader as liaison) and lead B (team B), each signed."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        leader = db.session.get(User, cast.leader)
        other = db.session.get(User, cast.other_officer)
        manager = db.session.get(User, cast.manager)
        lead_a = make_lead("Müller Präzisionstechnik GmbH", owner=officer, liaison=leader)
        lead_b = make_lead("Bianchi Idraulica S.p.A.", owner=other, email="luca@bianchi.example")
        for lead in (lead_a, lead_b):
            lead.stage = "signed"
            lead.planned_investment = Decimal(80_000_000)  # a load's project takes only this
            projects.open_project(lead, manager)
        db.session.commit()
        return {
            "lead_a": lead_a.id,
            "lead_b": lead_b.id,
            "a": projects.project_of(lead_a).id,
            "b": projects.project_of(lead_b).id,
            "code_a": lead_a.code_name,
        }


def load(project_id: int) -> Project:
    db.session.expire_all()
    return db.session.get(Project, project_id)


def audits(action: str, entity: str = "Project") -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.entity_type == entity)
            .order_by(AuditEntry.id)
        )
    )


def plot_id(code: str) -> int:
    return db.session.scalar(select(Plot.id).where(Plot.code == code))


def edit(client, project_id: int, version=None, **changes):
    """Send the project form as the page fills it, with some values changed."""
    html = client.get(f"/crm/projects/{project_id}/edit").get_data(as_text=True)
    data = {"csrf_token": csrf_token(html)}
    for name in ("investment", "capital_arrived", "jobs_planned", "policy_version"):
        data[name] = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html).group(1)
    for name in ("construction_deadline", "production_deadline"):
        found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
        data[name] = found.group(1) if found else ""
    for name in ("liaison_id", "agent_id"):
        select_html = re.search(rf'name="{name}".*?</select>', html, re.S).group(0)
        chosen = re.search(r'<option selected value="([^"]*)"', select_html)
        data[name] = chosen.group(1) if chosen else ""
    data["plots"] = re.findall(r'checked id="plots-\d+" name="plots" [^>]*value="(\d+)"', html)
    data["original"] = re.search(r'name="original" type="hidden" value="([^"]*)"', html).group(1)
    data["original"] = data["original"].replace("&#34;", '"').replace("&quot;", '"')
    data["version"] = version or re.search(r'name="version" [^>]*value="(\d+)"', html).group(1)
    data.update(changes)
    return client.post(f"/crm/projects/{project_id}/edit", data=data)


def record_stage(client, project_id: int, version=None, document=None, **values):
    html = client.get(f"/crm/projects/{project_id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(html),
        "version": version or re.search(r'name="version" [^>]*value="(\d+)"', html).group(1),
        "stage": "construction",
        "reached_on": park_today().isoformat(),
        "evidence_kind": "reference",
        "reference": "",
    }
    data.update(values)
    if document is not None:
        data["document"] = (io.BytesIO(document[1]), document[0])
    return client.post(
        f"/crm/projects/{project_id}/stage", data=data, content_type="multipart/form-data"
    )


def stored_files(app) -> list[str]:
    return stored_keys(app, "projects/")


# -- signing, list, page ---------------------------------------------------------------------


def test_signing_a_lead_creates_exactly_one_project_shown_in_the_list(app, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead_id = make_lead("Schmidt Antriebstechnik GmbH", owner=officer).id
        db.session.commit()
    client = signed_in(app, cast.manager)
    assert sign(client, lead_id).status_code == 302
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.lead_id == lead_id))
        assert project.stage == "signed" and project.signed_on == park_today()
        assert project.investment == Decimal(80_000_000)
        assert [m.stage for m in project.milestones] == ["signed"]
        project_id = project.id
    html = client.get("/crm/projects").get_data(as_text=True)
    assert "Schmidt Antriebstechnik GmbH" in html and "1 project" in html
    assert "Proven" in html  # the agreement uploaded at signing is the proof
    lead_page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert f'href="/crm/projects/{project_id}"' in lead_page
    # Signed again after a step back: still the one project.
    html = client.get(f"/crm/leads/{lead_id}/move").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    client.post(
        f"/crm/leads/{lead_id}/move",
        data={"csrf_token": csrf_token(html), "version": version, "stage": "negotiation"},
    )
    assert sign(client, lead_id).status_code == 302
    with app.app_context():
        count = select(func.count()).select_from(Project).where(Project.lead_id == lead_id)
        assert db.session.scalar(count) == 1


def test_list_filters_sorts_by_construction_deadline_and_counts_days(app, cast, world):
    today = park_today()
    with app.app_context():
        a, b = load(world["a"]), load(world["b"])
        a.construction_deadline = today + timedelta(days=40)
        b.construction_deadline = today - timedelta(days=3)
        db.session.commit()
    client = signed_in(app, cast.manager)
    html = client.get("/crm/projects").get_data(as_text=True)
    assert html.index("Bianchi") < html.index("Müller")  # the nearest deadline first
    assert "overdue by 3 days" in html and "40 days left" in html
    north = client.get("/crm/projects?zone=south").get_data(as_text=True)
    assert "Bianchi" not in north and "No project matches these filters." in north
    built = client.get("/crm/projects?stage=construction").get_data(as_text=True)
    assert "Müller" not in built


def test_list_runs_the_same_statements_for_one_project_or_many(app, cast, world):
    client = signed_in(app, cast.manager)
    with app.app_context():
        engine = db.engine

    def statements() -> int:
        seen = []

        def count(*_args):
            seen.append(1)

        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/crm/projects").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    few = statements()
    assert few <= 4  # the user, the projects with their lead and people, their milestones
    with app.app_context():
        manager = db.session.get(User, cast.manager)
        leader = db.session.get(User, cast.leader)
        for n in range(6):
            lead = make_lead(f"Firma {n} GmbH", email=f"x{n}@firma.example")
            project = projects.open_project(lead, manager)
            project.liaison_id, project.agent_id = leader.id, manager.id
        db.session.commit()
    assert statements() == few


def test_page_shows_details_deadlines_plots_and_the_lead(app, cast, world):
    today = park_today()
    with app.app_context():
        project = load(world["a"])
        project.construction_deadline = today + timedelta(days=10)
        project.production_deadline = today + timedelta(days=200)
        projects.allocate(project, [db.session.scalar(select(Plot).where(Plot.code == "N-02"))])
        db.session.commit()
    html = signed_in(app, cast.manager).get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "Müller Präzisionstechnik GmbH" in html
    assert "10 days left" in html and "200 days left" in html
    assert 'href="/zh/land/N-02"' in html
    assert f'href="/crm/leads/{world["lead_a"]}"' in html
    assert f'href="/crm/projects/{world["a"]}/edit"' in html
    assert 'enctype="multipart/form-data"' in html


# -- scope ------------------------------------------------------------------------------------


def test_officers_see_their_teams_projects_read_only(app, cast, world):
    for user_id in (cast.officer, cast.teammate):
        client = signed_in(app, user_id)
        listing = client.get("/crm/projects").get_data(as_text=True)
        assert "Müller" in listing and "Bianchi" not in listing
        page = client.get(f"/crm/projects/{world['a']}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "/edit" not in html.split("<main", 1)[1] and "multipart" not in html
        assert client.get(f"/crm/projects/{world['b']}").status_code == 404
        assert client.get(f"/crm/projects/{world['a']}/edit").status_code == 403
        token = csrf_token(html)
        stage = client.post(f"/crm/projects/{world['a']}/stage", data={"csrf_token": token})
        assert stage.status_code == 403
    other = signed_in(app, cast.other_officer)
    assert other.get(f"/crm/projects/{world['a']}").status_code == 404
    assert other.get(f"/crm/projects/{world['b']}").status_code == 200


def test_leaders_see_only_their_liaison_projects_by_name(app, cast, world):
    client = signed_in(app, cast.leader)
    listing = client.get("/crm/projects").get_data(as_text=True)
    assert "Müller" in listing and world["code_a"] not in listing  # the projects they chair
    assert "Bianchi" not in listing
    assert client.get(f"/crm/projects/{world['b']}").status_code == 404
    assert client.get(f"/crm/projects/{world['a']}").status_code == 200
    assert client.get(f"/crm/projects/{world['a']}/edit").status_code == 403
    # Liaison on the project only (not on its lead): the project is theirs, the lead is not.
    with app.app_context():
        load(world["b"]).liaison_id = cast.leader
        db.session.commit()
    page = client.get(f"/crm/projects/{world['b']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Bianchi" in html and f'href="/crm/leads/{world["lead_b"]}"' not in html
    # Chairing it, they see it by name even when it is confidential.
    with app.app_context():
        load(world["b"]).lead.confidential = True
        db.session.commit()
    assert "Bianchi" in client.get(f"/crm/projects/{world['b']}").get_data(as_text=True)


def test_unknown_ids_are_404(app, cast, world):
    client = signed_in(app, cast.manager)
    for url in ("/crm/projects/999999", "/crm/projects/99999999999", "/crm/projects/0/edit"):
        assert client.get(url).status_code == 404
    assert client.get(f"/crm/projects/{world['a']}/evidence/99999999999").status_code == 404


# -- the form ----------------------------------------------------------------------------------


def test_edit_saves_the_fields_with_one_audit_entry(app, cast, world):
    client = signed_in(app, cast.manager)
    signed_on = park_today()
    response = edit(
        client,
        world["a"],
        investment="120,000,000",
        capital_arrived="30000000",
        jobs_planned="250",
        construction_deadline=(signed_on + timedelta(days=90)).isoformat(),
        production_deadline=(signed_on + timedelta(days=400)).isoformat(),
        policy_version="2025-1",
        liaison_id=str(cast.leader),
        agent_id=str(cast.officer),
    )
    assert response.status_code == 302
    with app.app_context():
        project = load(world["a"])
        assert project.investment == Decimal(120_000_000)
        assert project.capital_arrived == Decimal(30_000_000)
        assert project.jobs_planned == 250 and project.policy_version == "2025-1"
        assert project.construction_deadline == signed_on + timedelta(days=90)
        assert (project.liaison_id, project.agent_id) == (cast.leader, cast.officer)
        [entry] = audits("update")
        assert entry.changes["investment"] == ["80000000.00", "120000000.00"]
        assert entry.changes["jobs_planned"] == [None, 250]
        assert entry.changes["agent_id"] == [None, cast.officer]
    html = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert "90 days left" in html


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"investment": "-5"}, "Enter a positive amount"),
        ({"capital_arrived": "-1"}, "Enter a positive amount"),
        ({"investment": "1000", "capital_arrived": "2000"}, "cannot be more than the investment"),
        ({"jobs_planned": "-3"}, "Enter a whole number"),
        (
            {"construction_deadline": "2031-06-30", "production_deadline": "2031-01-31"},
            "Production cannot be due before the start of construction.",
        ),
        ({"production_deadline": "2001-01-01"}, "cannot be before the signing"),
        ({"policy_version": "x" * 21}, "Use 20 characters or fewer"),
    ],
)
def test_edit_refuses_bad_values_and_writes_nothing(app, cast, world, changes, message):
    client = signed_in(app, cast.manager)
    response = edit(client, world["a"], **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        project = load(world["a"])
        assert project.investment == Decimal(80_000_000) and project.capital_arrived == 0
        assert project.production_deadline is None and project.version_id == 1
        assert audits("update") == []


def test_a_stale_edit_is_a_conflict_and_writes_nothing(app, cast, world):
    client = signed_in(app, cast.manager)
    html = client.get(f"/crm/projects/{world['a']}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in html
    with app.app_context():  # someone else saves meanwhile
        load(world["a"]).jobs_planned = 40
        db.session.commit()
    response = edit(client, world["a"], version="1", jobs_planned="99")
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["a"]).jobs_planned == 40
        assert audits("update") == []


def test_allocating_plots_shows_them_allocated_on_the_public_site(app, cast, world):
    client = signed_in(app, cast.manager)
    with app.app_context():
        ids = [str(plot_id("N-02")), str(plot_id("N-03"))]
    assert edit(client, world["a"], plots=ids).status_code == 302
    with app.app_context():
        project = load(world["a"])
        assert [p.code for p in project.plots] == ["N-02", "N-03"]
        assert {p.status for p in project.plots} == {"allocated"} and project.zone == "north"
        [entry] = audits("allocate")
        assert entry.changes["plots"] == [[], ["N-02", "N-03"]]
    public = app.test_client()
    assert "<dd>Allocated</dd>" in public.get("/en/land/N-02").get_data(as_text=True)
    # Let one go: it is available again, on the public site at once.
    assert edit(client, world["a"], plots=[ids[1]]).status_code == 302
    with app.app_context():
        assert db.session.get(Plot, int(ids[0])).status == "available"
        assert [p.code for p in load(world["a"]).plots] == ["N-03"]
    assert "<dd>Available</dd>" in public.get("/en/land/N-02").get_data(as_text=True)


def test_plots_held_elsewhere_are_refused_with_the_reason(app, cast, world):
    today = park_today()
    with app.app_context():
        projects.allocate(load(world["b"]), [db.session.get(Plot, plot_id("S-03"))])
        lead_a, lead_b = (
            db.session.get(Lead, world["lead_a"]),
            db.session.get(Lead, world["lead_b"]),
        )
        projects.reserve(db.session.get(Plot, plot_id("S-04")), lead_b, today + timedelta(days=5))
        projects.reserve(db.session.get(Plot, plot_id("S-06")), lead_a, today + timedelta(days=5))
        db.session.commit()
        taken, held, mine, firm = (plot_id(c) for c in ("S-03", "S-04", "S-06", "N-01"))
    client = signed_in(app, cast.manager)
    form = client.get(f"/crm/projects/{world['a']}/edit").get_data(as_text=True)
    assert f'value="{mine}"' in form  # reserved for this project's lead: offered
    assert f'value="{taken}"' not in form and f'value="{held}"' not in form
    for chosen, message in (
        (taken, "Plot S-03 is allocated to another project."),
        (held, "Plot S-04 is reserved for another lead."),
        (firm, "Plot N-01 is not available."),  # allocated outside the projects (a firm's)
    ):
        response = edit(client, world["a"], plots=[str(chosen)])
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["a"]).plots == []
        assert db.session.get(Plot, held).status == "reserved"
        assert [p.code for p in load(world["b"]).plots] == ["S-03"]
    assert edit(client, world["a"], plots=[str(mine)]).status_code == 302
    with app.app_context():
        plot = db.session.get(Plot, mine)
        assert plot.status == "allocated" and plot.reserved_for_id is None


# -- stages ------------------------------------------------------------------------------------


def test_construction_with_a_reference_moves_the_stage_with_proof(app, cast, world):
    client = signed_in(app, cast.manager)
    response = record_stage(client, world["a"], reference="Construction permit 2025-017")
    assert response.status_code == 302
    with app.app_context():
        project = load(world["a"])
        assert project.stage == "construction"
        milestone = project.milestone("construction")
        assert milestone.proven and milestone.reference == "Construction permit 2025-017"
        assert milestone.reached_on == park_today() and milestone.recorded_by_id == cast.manager
        [entry] = audits("stage")
        assert entry.changes["stage"] == ["signed", "construction"]
    html = client.get("/crm/projects").get_data(as_text=True)
    assert "Under construction" in html and "Proven" in html


def test_a_pdf_is_stored_and_downloaded_as_an_attachment(app, cast, world, file_storage):
    client = signed_in(app, cast.manager)
    response = record_stage(
        client, world["a"], evidence_kind="document", document=("permit 17.pdf", PDF)
    )
    assert response.status_code == 302
    [key] = stored_files(app)
    assert re.fullmatch(r"projects/[0-9a-f]{32}\.pdf", key)
    with app.app_context():
        assert stored(key) == PDF
        milestone = load(world["a"]).milestone("construction")
        assert milestone.reference == "permit 17.pdf"  # the file's name when none was typed
        assert milestone.content_type == "application/pdf" and milestone.size == len(PDF)
        milestone_id = milestone.id
    page = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    url = f"/crm/projects/{world['a']}/evidence/{milestone_id}"
    assert url in page
    with client.get(url) as download:  # closing it closes the file it streams
        assert download.status_code == 200 and download.data == PDF
        assert download.headers["Content-Type"] == "application/pdf"
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert download.headers["Content-Disposition"] == 'attachment; filename="permit 17.pdf"'
        assert download.headers["Content-Length"] == str(len(PDF))
    # Read-only roles in scope may download it too; another team may not even see it.
    with signed_in(app, cast.officer).get(url) as theirs:
        assert theirs.status_code == 200
    assert signed_in(app, cast.other_officer).get(url).status_code == 404
    # A new proof replaces the document: the old file goes once the new one is saved.
    response = record_stage(client, world["a"], evidence_kind="document", document=("s.png", PNG))
    assert response.status_code == 302
    [key] = stored_files(app)
    assert key.endswith(".png")
    assert record_stage(client, world["a"], reference="Permit 17 (paper)").status_code == 302
    assert stored_files(app) == []
    assert client.get(url).status_code == 404  # the proof is a reference now: no file to serve


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("permit.pdf", b"This is only text, not a PDF.\n", "must be a PDF, JPEG or PNG"),
        ("photo.png", PDF, "must be a PDF, JPEG or PNG"),  # the name says PNG, the bytes PDF
        ("empty.pdf", b"", "The file is empty."),
    ],
)
def test_a_disguised_or_empty_file_is_refused(
    app, cast, world, name, content, message, file_storage
):
    client = signed_in(app, cast.manager)
    response = record_stage(client, world["a"], evidence_kind="document", document=(name, content))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored_files(app) == []
    with app.app_context():
        assert load(world["a"]).stage == "signed" and audits("stage") == []


def test_a_file_too_large_is_refused(app, cast, world):
    app.config["MAX_CONTENT_LENGTH"] = 12 * 1024 * 1024
    client = signed_in(app, cast.manager)
    big = PDF + b"0" * (10 * 1024 * 1024)
    response = record_stage(client, world["a"], evidence_kind="document", document=("a.pdf", big))
    assert response.status_code == 422
    assert "larger than 10 MB" in response.get_data(as_text=True)
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "values, message",
    [
        ({"stage": "production", "reference": "Permit"}, "record the one before first"),
        ({"reached_on": "2999-01-01", "reference": "Permit"}, "cannot be in the future"),
        ({"reached_on": "2001-01-01", "reference": "Permit"}, "cannot be before the signing"),
        ({"reference": ""}, "Give the reference of the document"),
        ({"evidence_kind": "document"}, "Choose the document to upload."),
        ({"stage": "demolition", "reference": "Permit"}, "Choose a stage from the list."),
        ({"evidence_kind": "rumour", "reference": "Permit"}, "Not a valid choice"),
    ],
)
def test_a_stage_the_rules_refuse_stores_nothing(app, cast, world, values, message, file_storage):
    client = signed_in(app, cast.manager)
    document = ("p.pdf", PDF) if values.get("stage") == "production" else None
    if document:
        values = {**values, "evidence_kind": "document"}
    response = record_stage(client, world["a"], document=document, **values)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored_files(app) == []  # the upload written before the rules refused is gone
    with app.app_context():
        project = load(world["a"])
        assert project.stage == "signed" and len(project.milestones) == 1
        assert audits("stage") == []


def test_a_stale_stage_form_is_a_conflict(app, cast, world):
    client = signed_in(app, cast.manager)
    response = record_stage(client, world["a"], version="7", reference="Permit")
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    with app.app_context():
        assert load(world["a"]).stage == "signed"


def test_evidence_of_another_projects_milestone_is_404(app, cast, world):
    client = signed_in(app, cast.manager)
    response = record_stage(client, world["b"], evidence_kind="document", document=("b.pdf", PDF))
    assert response.status_code == 302
    with app.app_context():
        theirs = load(world["b"]).milestone("construction").id
        signed = load(world["a"]).milestone("signed").id
    assert client.get(f"/crm/projects/{world['a']}/evidence/{theirs}").status_code == 404
    with client.get(f"/crm/projects/{world['b']}/evidence/{theirs}") as response:
        assert response.status_code == 200
    assert client.get(f"/crm/projects/{world['a']}/evidence/{signed}").status_code == 404


def test_the_referrer_hears_when_construction_starts(app, cast, world):
    with app.app_context():
        firm = make_enterprise()
        anna = make_contact(firm, "anna@tianfu.example", "de")
        referral = make_referral(
            firm, anna, "Müller Präzisionstechnik GmbH", decision="accepted", progress="signed"
        )
        referral.lead_id = world["lead_a"]
        db.session.commit()
        referral_id = referral.id
    client = signed_in(app, cast.manager)
    assert record_stage(client, world["a"], reference="Permit 2025-017").status_code == 302
    with app.app_context():
        [email] = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.kind == "referral_status")
        ).all()
        assert email.to_address == "anna@tianfu.example" and email.language == "de"
        assert email.subject.endswith(translated(app, "Under construction", "de"))
        assert db.session.get(Referral, referral_id).progress == "construction"
        assert db.session.scalar(select(func.count()).select_from(ProjectMilestone)) == 3


def test_the_pages_speak_the_staff_members_language(app, cast, world):
    with app.app_context():
        db.session.get(User, cast.manager).language = "zh"
        db.session.commit()
    client = signed_in(app, cast.manager)
    for url in ("/crm/projects", f"/crm/projects/{world['a']}", f"/crm/projects/{world['a']}/edit"):
        response = client.get(url)
        assert response.status_code == 200
        assert '<html lang="zh-Hans">' in response.get_data(as_text=True)
    html = client.get(f"/crm/projects/{world['a']}").get_data(as_text=True)
    assert translated(app, "Signed") in html


def test_the_signing_gets_its_proof_without_moving_on(app, cast, world):
    client = signed_in(app, cast.manager)
    response = record_stage(client, world["a"], stage="signed", reference="Agreement 2025-031")
    assert response.status_code == 302
    with app.app_context():
        project = load(world["a"])
        assert project.stage == "signed" and project.milestone("signed").proven
        assert project.version_id == 2  # forms opened before this proof are stale now
    rows = client.get("/crm/projects").get_data(as_text=True).split("<tr>")
    [row] = [r for r in rows if "Müller" in r]
    assert "Proven" in row and "No proof yet" not in row
