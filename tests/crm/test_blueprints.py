"""Each CRM area is its own blueprint under the CRM's, behind the one gate, with its own files."""

import re
from pathlib import Path

from crm.permissions import declared_permission, is_public
from tests.factories import make_cast, sign_in_as

CRM = Path(__file__).resolve().parents[2] / "crm"
AREAS = {
    "activities",
    "admin",
    "appointments",
    "auth",
    "capture",
    "dashboard",
    "enterprises",
    "events",
    "home",
    "imports",
    "inbox",
    "jobs",
    "leads",
    "notices",
    "pipeline",
    "privacy",
    "projects",
    "referrals",
}
PUBLIC_VIEWS = {
    "crm.auth.login",
    "crm.auth.login_code",
    "crm.auth.password_forgot",
    "crm.auth.password_reset",
    "crm.home.set_language",
    # A calendar app fetches it with no session: the secret in its address is the key.
    "crm.appointments.feed",
}


def area_rules(app):
    for rule in app.url_map.iter_rules():
        parts = rule.endpoint.split(".")
        if parts[0] == "crm" and len(parts) == 3 and parts[2] != "static":
            yield parts[1], rule


def test_every_crm_view_belongs_to_an_area_blueprint(app):
    assert {name for name in app.blueprints if name.startswith("crm.")} == {
        f"crm.{area}" for area in AREAS
    }
    outside = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("crm.") and rule.endpoint.count(".") != 2
    }
    assert outside == {"crm.static"}  # the shared stylesheet and vendored scripts
    assert {area for area, _ in area_rules(app)} == AREAS


def test_the_crm_gate_runs_before_every_areas_views(app, client):
    """The gate is the parent blueprint's before_request: nested blueprints run it too."""
    checked = set()
    for area, rule in area_rules(app):
        if area in checked or "GET" not in rule.methods:
            continue
        if is_public(app.view_functions[rule.endpoint]):
            continue
        response = client.get(re.sub(r"<[^>]+>", "1", rule.rule))
        assert response.status_code == 302, rule.rule
        assert response.headers["Location"].startswith("/crm/login?next=")
        checked.add(area)
    assert checked == AREAS


def test_public_views_are_declared_on_the_view(app):
    public = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint.startswith("crm.") and is_public(view)
    }
    statics = {endpoint for endpoint in public if endpoint.endswith(".static")}
    assert public - statics == PUBLIC_VIEWS
    for endpoint in PUBLIC_VIEWS:
        assert declared_permission(app.view_functions[endpoint]) is None


def test_a_view_that_declares_no_permission_is_refused(app, monkeypatch):
    with app.app_context():
        cast = make_cast()
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, cast.admin)
    assert client.get("/crm/").status_code == 302  # the admin's start page
    monkeypatch.delattr(app.view_functions["crm.home.home"], "required_permission")
    assert client.get("/crm/").status_code == 403


def test_crm_static_files_are_public_and_cached_like_the_sites(client):
    for url in (
        "/crm/static/css/crm.css",
        "/crm/static/pipeline/js/board.js",
        "/crm/static/capture/js/capture.js",
        "/crm/static/auth/js/signed-out.js",
        "/crm/static/leads/js/bulk.js",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert (
            response.headers["Cache-Control"]
            == client.get("/static/site/css/site.css").headers["Cache-Control"]
        )


def test_each_area_keeps_its_templates_beside_it(app):
    for area in AREAS - {"home"}:
        folder = CRM / area / "templates"
        assert folder.is_dir(), area
        for path in folder.rglob("*.html"):
            name = path.relative_to(folder).as_posix()
            loaded = app.jinja_env.get_template(name)
            assert Path(loaded.filename) == path, name
    assert not (CRM / "templates" / "crm" / "leads").exists()
