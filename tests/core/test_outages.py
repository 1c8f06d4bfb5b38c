"""Outages: with the database unreachable, people get a 503 in their language and keep what
they typed; scripts get JSON."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from core.extensions import db
from tests import forms as inquiry_form
from tests.conftest import translated
from tests.factories import make_cast, sign_in_as


@contextmanager
def unreachable_database(app):
    """Every new connection fails as a stopped server's would, until the block ends."""
    with app.app_context():
        engine = db.engine
        db.session.remove()
    failure = engine.dialect.loaded_dbapi.OperationalError

    def refuse(*_args, **_kwargs):
        raise failure("connection refused (test)")

    engine.dispose()
    event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        event.remove(engine, "do_connect", refuse)
        engine.dispose()


@pytest.fixture
def database_down(app):
    with unreachable_database(app):
        yield


def test_an_inquiry_sent_while_the_database_is_down_comes_back_with_everything_typed(app, client):
    hidden = inquiry_form.open_form(client, "de", "?plot=N-01")
    with unreachable_database(app):
        response = inquiry_form.send(client, hidden, "de", message="Wir brauchen 30 mu.")
    assert response.status_code == 503
    assert "Retry-After" in response.headers
    html = response.get_data(as_text=True)
    for typed in ("Anna Schmidt", "Schmidt Sensorik GmbH", "anna.schmidt@example.com"):
        assert f'value="{typed}"' in html
    assert "Wir brauchen 30 mu.</textarea>" in html
    assert 'value="N-01"' in html  # the plot travels on with the form
    assert translated(
        app,
        "We could not receive your inquiry just now because of a technical problem on our "
        "side. Nothing was sent and your details are still here: please send the form again "
        "in a few minutes.",
        "de",
    ) in html.replace("&#39;", "'")
    # the same form, sent again once the database is back, is stored
    again = inquiry_form.send(client, inquiry_form.open_form(client, "de"), "de")
    assert again.status_code == 303


def test_a_page_that_needs_the_database_answers_503_in_the_visitors_language(
    app, client, database_down
):
    response = client.get("/fr/land")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "120"
    assert translated(app, "Briefly unavailable", "fr") in response.get_data(as_text=True)


def test_a_script_gets_json(app, client, database_down):
    response = client.get("/fr/land", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.is_json and response.json["code"] == 503
    assert response.json["message"]


def test_the_crm_answers_503_too(app):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, make_cast().officer)
        db.session.commit()
    with unreachable_database(app):
        response = client.get("/crm/leads")
    assert response.status_code == 503
    assert "Retry-After" in response.headers
