"""What crafted requests carry at the edge: files in place of text, NUL in text, names and paths."""

import io

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import ImportJob, Lead
from tests import forms as inquiry_form
from tests.conftest import csrf_token, translated
from tests.factories import make_cast, sign_in_as

UPLOAD = {"encoding": "", "event": "", "source": ""}


def a_file(content: bytes = b"web-01\n", name: str = "hostname"):
    return (io.BytesIO(content), name)


def crm_client(app, role: str = "officer"):
    client = app.test_client()
    with app.app_context():
        cast = make_cast()
        sign_in_as(client, getattr(cast, role))
    return client


# -- a file where text is expected -------------------------------------------------------------


def test_file_in_place_of_the_inquiry_email_reads_as_no_email(app, client):
    hidden = inquiry_form.open_form(client)
    data = {**hidden, **inquiry_form.answers(), "email": a_file()}
    response = client.post("/en/inquiry", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Anna Schmidt" in html  # what was typed is still in the form
    assert translated(app, "Enter your email address.", "en") in html
    assert inquiry_form.nothing_stored(app)


def test_file_in_place_of_every_text_field_of_the_inquiry(app, client):
    hidden = inquiry_form.open_form(client)
    for field in inquiry_form.answers():
        data = {**hidden, **inquiry_form.answers(), field: a_file()}
        response = client.post("/en/inquiry", data=data, content_type="multipart/form-data")
        assert response.status_code < 500, field


def test_file_in_place_of_the_portal_and_crm_sign_in_email(client):
    page = client.get("/en/portal/sign-in").get_data(as_text=True)
    response = client.post(
        "/en/portal/sign-in",
        data={"csrf_token": csrf_token(page), "email": a_file()},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 422)
    page = client.get("/crm/login").get_data(as_text=True)
    response = client.post(
        "/crm/login",
        data={"csrf_token": csrf_token(page), "email": a_file(), "password": a_file()},
        content_type="multipart/form-data",
    )
    assert response.status_code in (200, 422)


def upload_import(app, filename: str):
    client = crm_client(app, "manager")
    page = client.get("/crm/imports/new").get_data(as_text=True)
    csv = b"Company,Contact,Email\nSchmidt GmbH,Anna Schmidt,anna@schmidt.example\n"
    return client.post(
        "/crm/imports/new",
        data={**UPLOAD, "csrf_token": csrf_token(page), "file": a_file(csv, filename)},
        content_type="multipart/form-data",
    )


def test_files_still_reach_the_fields_made_for_them(app):
    assert upload_import(app, "fair.csv").status_code == 302  # on to the column mapping


def test_a_json_body_is_not_read_as_a_form(client):
    response = client.post("/en/inquiry", data="[1, 2]", content_type="application/json")
    assert response.status_code == 422 or response.status_code == 400


# -- NUL ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/en/events/a%00", "/en/land/A%00", "/en/policies/a%00b", "/crm/leads/1%00", "/en/%00"],
)
def test_nul_in_a_path_names_no_page(client, url):
    assert client.get(url).status_code == 404


def test_nul_in_query_values_is_dropped(app, client):
    assert client.get("/en/inquiry?plot=A%00").status_code == 200
    assert client.get("/en/land?zone=n%00orth&q=%00").status_code == 200
    crm = crm_client(app)
    response = crm.get("/crm/leads?q=a%00b")
    assert response.status_code == 200


def test_nul_in_form_text_is_dropped_and_the_rest_stored(app, client):
    hidden = inquiry_form.open_form(client)
    response = inquiry_form.send(
        client, hidden, company="Schmidt\x00 Sensorik GmbH", message="Hello\x00 there, 30 mu."
    )
    assert response.status_code == 303
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        assert lead.company_name == "Schmidt Sensorik GmbH"


def test_nul_in_a_sign_in_email(client):
    page = client.get("/crm/login").get_data(as_text=True)
    response = client.post(
        "/crm/login",
        data={"csrf_token": csrf_token(page), "email": "li@bureau\x00.example", "password": "x"},
    )
    assert response.status_code in (200, 422, 429)
    page = client.get("/de/portal/sign-in").get_data(as_text=True)
    response = client.post(
        "/de/portal/sign-in", data={"csrf_token": csrf_token(page), "email": "a\x00@b.example"}
    )
    assert response.status_code < 500


def test_nul_in_an_uploaded_files_name_leaves_no_orphan(app):
    assert upload_import(app, "fa\x00ir.csv").status_code == 302
    with app.app_context():
        job = db.session.scalar(select(ImportJob))
        assert "\x00" not in job.filename
        assert db.session.scalar(select(func.count()).select_from(ImportJob)) == 1


# -- choices that no list offers ---------------------------------------------------------------


@pytest.mark.parametrize("field", ["event", "default_country", "encoding"])
@pytest.mark.parametrize("value", [" ", "\t", " DE "])
def test_a_padded_choice_is_read_trimmed_never_stored_as_sent(app, field, value):
    client = crm_client(app, "manager")
    page = client.get("/crm/imports/new").get_data(as_text=True)
    data = {**UPLOAD, "csrf_token": csrf_token(page), field: value}
    data["file"] = a_file(b"Company,Email\nSchmidt GmbH,anna@schmidt.example\n", "fair.csv")
    response = client.post("/crm/imports/new", data=data, content_type="multipart/form-data")
    assert response.status_code in (302, 422)
    with app.app_context():
        for job in db.session.scalars(select(ImportJob)):
            assert job.event_id is None and job.default_country in (None, "DE")


# -- ids in addresses --------------------------------------------------------------------------


@pytest.mark.parametrize("an_id", ["0", "-1", "07", "2147483648", "99999999999"])
def test_an_id_the_database_cannot_hold_names_no_page(app, an_id):
    client = crm_client(app, "manager")
    assert client.get(f"/crm/leads/{an_id}").status_code == 404
    # Two routes of one path, one for GET and one for POST: still 404 (not 405, not a CSRF 400).
    assert client.post(f"/crm/projects/1/meetings/{an_id}").status_code == 404
