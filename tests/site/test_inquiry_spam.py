"""Spam defence on the inquiry form: honeypot, fill-time token, rate limit, content heuristics.

Whatever is refused, a person gets a message and the form back with what they typed.
"""

import re
import time

from flask_babel import force_locale, gettext
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from core.extensions import db
from core.models import Lead, OutboxEmail
from public_site.inquiry.spam import TOKEN_MAX_AGE, TOKEN_SALT
from tests.forms import HIDDEN, answers, count, nothing_stored, open_form, page, send


def summary(html: str) -> str:
    return html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]


def test_filled_honeypot_gets_a_message_not_a_silent_drop(app, client):
    response = send(client, open_form(client), website="https://cheap-pills.example")
    html = page(response)
    assert response.status_code == 422
    assert "“Leave this field empty” was filled in" in summary(html)
    assert 'value="Schmidt Sensorik GmbH"' in html
    assert "cheap-pills" not in html  # emptied, so the person can simply send again
    assert nothing_stored(app)


def test_too_fast_gets_a_message_and_the_same_form_back(app, client):
    app.config["INQUIRY_MIN_SECONDS"] = 60
    hidden = open_form(client)
    response = send(client, hidden)
    html = page(response)
    assert response.status_code == 422
    assert "That was quick!" in summary(html)
    assert 'value="Schmidt Sensorik GmbH"' in html
    again = dict(HIDDEN.findall(html))
    # the clock keeps running from the first view
    assert again["form_token"] == hidden["form_token"]
    assert nothing_stored(app)

    app.config["INQUIRY_MIN_SECONDS"] = 0  # as if the minute had passed
    assert send(client, again).status_code == 303
    assert count(app, Lead) == 1


def test_minimum_fill_time_lets_a_patient_visitor_through(app, client):
    app.config["INQUIRY_MIN_SECONDS"] = 1
    hidden = open_form(client)
    time.sleep(1.1)
    assert send(client, hidden).status_code == 303


class _YesterdaySigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - TOKEN_MAX_AGE - 60


def test_expired_token_asks_to_send_again_with_the_data_kept(app, client):
    hidden = open_form(client)
    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=TOKEN_SALT, signer=_YesterdaySigner
    )
    old = serializer.dumps({"t": time.time() - TOKEN_MAX_AGE - 60, "k": "k" * 32})
    response = send(client, {**hidden, "form_token": old})
    html = page(response)
    assert response.status_code == 422
    assert "This form was open for a long time" in summary(html)
    assert 'value="Schmidt Sensorik GmbH"' in html
    fresh = dict(HIDDEN.findall(html))
    assert fresh["form_token"] not in (old, hidden["form_token"])
    assert nothing_stored(app)
    assert send(client, fresh).status_code == 303


def test_forged_or_missing_token_asks_to_send_again(app, client):
    forged_key = URLSafeTimedSerializer("not-our-secret", salt=TOKEN_SALT)
    tokens = [
        "",
        "garbage",
        forged_key.dumps({"t": 0, "k": "k" * 32}),
        URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=TOKEN_SALT).dumps({"t": "x"}),
    ]
    for token in tokens:
        response = send(client, {**open_form(client), "form_token": token})
        assert response.status_code == 422, token
        assert "We could not check this form." in summary(page(response))
        assert 'value="Schmidt Sensorik GmbH"' in page(response)
    assert nothing_stored(app)


def test_a_message_full_of_links_is_refused(app, client):
    links = " ".join(f"https://shop{i}.example" for i in range(4))
    response = send(client, open_form(client), message=f"Buy now {links}")
    assert response.status_code == 422
    assert "more than 3 links" in page(response)
    assert nothing_stored(app)
    # three links are fine
    three = " ".join(f"https://our-site{i}.example" for i in range(3))
    assert send(client, open_form(client), message=three).status_code == 303


def test_the_same_text_in_every_field_is_refused(app, client):
    response = send(client, open_form(client), name="qwerty", company="qwerty", message="qwerty")
    assert response.status_code == 422
    assert "all the same text" in page(response)
    assert nothing_stored(app)


def test_rate_limit_per_ip_on_post_in_the_visitors_language(app, client):
    app.config["INQUIRY_RATE_LIMIT"] = "2 per minute"
    for _ in range(4):  # viewing the form is never limited
        assert client.get("/de/inquiry").status_code == 200
    hidden = open_form(client, "de")
    for _ in range(2):
        assert send(client, hidden, "de", email="bad").status_code == 422
    response = send(client, hidden, "de")
    html = page(response)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert '<html lang="de">' in html and 'class="wrap prose error-page"' in html
    with app.test_request_context("/de/"), force_locale("de"):
        assert gettext("Too many requests") in html
    assert nothing_stored(app)
    assert client.get("/de/inquiry").status_code == 200
    # the limit is per address: another visitor can still send
    response = client.post(
        "/de/inquiry",
        data={**open_form(client, "de"), **answers()},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 303
    assert re.search(r"/de/inquiry/thanks$", response.headers["Location"])


# -- the confirmation cannot be used to mail others --------------------------------------------


def outbox(app, kind: str) -> list[OutboxEmail]:
    with app.app_context():
        found = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)).all()
        db.session.expunge_all()
        return found


def test_the_confirmation_quotes_nothing_free_form(app, client):
    spam = "Cheap watches at shop.spam-example.test"
    response = send(
        client,
        open_form(client),
        name=f"Winner! {spam}",
        company=f"Claim your prize {spam}",
        message=f"Congratulations, you won. {spam}",
    )
    assert response.status_code == 303
    [confirmation] = outbox(app, "inquiry_confirmation")
    assert "spam-example" not in confirmation.body_text and "Winner" not in confirmation.body_text
    assert "spam-example" not in confirmation.subject
    assert "anna.schmidt@example.com" in confirmation.body_text  # checked fields still listed
    [notification] = outbox(app, "inquiry_notification")
    assert notification.body_text.count("spam-example") == 3  # the bureau reads all of it


def test_an_address_gets_a_few_confirmations_a_day_however_many_forms_name_it(app, client):
    app.config["INQUIRY_RATE_LIMIT"] = "100 per minute"
    app.config["INQUIRY_CONFIRMATION_LIMIT"] = "3 per day"
    for number in range(5):
        email = "Victim@Example.com" if number % 2 else "victim@example.com"
        response = send(client, open_form(client), email=email, company=f"Firm {number}")
        assert response.status_code == 303
    assert count(app, Lead) == 5  # every inquiry stored
    assert len(outbox(app, "inquiry_notification")) == 5  # and the bureau told of each
    assert len(outbox(app, "inquiry_confirmation")) == 3
    response = send(client, open_form(client), email="other@example.com", company="Other")
    assert len(outbox(app, "inquiry_confirmation")) == 4
