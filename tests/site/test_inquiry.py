"""The inquiry form end to end: what is stored, the emails sent, and bad input refused."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from core.content import get_content
from core.extensions import db
from core.models import AuditEntry, ConsentRecord, Contact, Inquiry, Lead, OutboxEmail
from tests.forms import answers, count, nothing_stored, open_form, page, send
from tests.smtp import SMTPServer

# -- the form page -----------------------------------------------------------------------


@pytest.mark.parametrize("lang, tag", [("zh", "zh-Hans"), ("en", "en"), ("de", "de"), ("fr", "fr")])
def test_form_page_in_every_language(client, lang, tag):
    response = client.get(f"/{lang}/inquiry")
    html = page(response)
    assert response.status_code == 200
    assert f'<html lang="{tag}">' in html
    assert response.headers["Cache-Control"] == "no-store"
    # the reply language defaults to the page's
    assert re.search(rf'<option lang="{tag}" selected value="{lang}">', html)
    for name, purpose in [
        ("name", "name"),
        ("company", "organization"),
        ("country", "country"),
        ("email", "email"),
        ("phone", "tel"),
    ]:
        assert re.search(rf'autocomplete="{purpose}" id="{name}"', html), name
    for field in ("name", "email", "company", "country", "industry", "message", "processing"):
        assert f'<label for="{field}">' in html
    assert f'href="/{lang}/privacy"' in html
    # consents are separate and unticked; sharing with an enterprise is not asked here
    assert re.search(r'<input[^>]*id="processing"[^>]*type="checkbox" value="y">', html)
    assert re.search(r'<input[^>]*id="marketing"[^>]*type="checkbox" value="y">', html)
    assert 'name="sharing"' not in html
    # the honeypot is off screen, out of the tab order and of autofill
    assert re.search(r'<div class="trap">\s*<label for="website">', html)
    assert 'autocomplete="off" id="website" name="website" tabindex="-1"' in html


def test_country_list_names_countries_in_the_page_language(client):
    assert '<option value="DE">Deutschland</option>' in page(client.get("/de/inquiry"))
    zh = page(client.get("/zh/inquiry"))
    assert '<option value="DE">德国</option>' in zh
    # China and the EU come first, before the long list
    assert zh.index('value="CN"') < zh.index('value="AF"')
    assert zh.index('value="FR"') < zh.index('value="AF"')


def test_bands_are_labelled_in_the_page_language(client):
    de = page(client.get("/de/inquiry"))
    assert "50\xa0Mio.\xa0CN¥ – 100\xa0Mio.\xa0CN¥" in de
    assert "ha" in de.split('id="land_need"', 1)[1].split("</select>", 1)[0]
    zh = page(client.get("/zh/inquiry"))
    assert "¥5000万 – ¥1亿" in zh


def land_options(html: str) -> list[str]:
    select = html.split('id="land_need"', 1)[1].split("</select>", 1)[0]
    return re.findall(r"<option [^>]*>([^<]*)</option>", select)[1:]


def test_land_bands_read_in_round_metric_figures_or_mu(client):
    # Whole hectares, not mu converted with decimals (20 mu would read 1.33 ha).
    assert land_options(page(client.get("/en/inquiry"))) == [
        "Up to 1 ha", "1 ha – 3 ha", "3 ha – 10 ha", "10 ha – 20 ha", "20 ha or more",
    ]  # fmt: skip
    de = land_options(page(client.get("/de/inquiry")))
    fr = land_options(page(client.get("/fr/inquiry")))
    assert de == ["Bis 1 ha", "1 ha – 3 ha", "3 ha – 10 ha", "10 ha – 20 ha", "20 ha und mehr"]
    assert fr[1:] == ["1\u202fha – 3\u202fha", "3\u202fha – 10\u202fha", "10\u202fha – 20\u202fha",
                      "20\u202fha et plus"]  # fmt: skip
    # Chinese readers keep their unit, in round figures too.
    assert land_options(page(client.get("/zh/inquiry")))[1] == "15亩 – 45亩"


def test_plot_from_the_link_is_shown_and_carried(client):
    html = page(client.get("/en/inquiry?plot=N-01"))
    assert 'name="plot" type="hidden" value="N-01"' in html
    assert 'href="/en/land/N-01"' in html


def test_unknown_plot_is_ignored(app, client):
    response = client.get("/en/inquiry?plot=NOPE-99")
    assert response.status_code == 200
    assert 'name="plot" type="hidden" value=""' in page(response)
    hidden = open_form(client)
    response = send(client, {**hidden, "plot": "NOPE-99"})
    assert response.status_code == 303
    with app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        assert inquiry.plot is None
        assert inquiry.lead.plots == []


# -- the full path -----------------------------------------------------------------------


def test_inquiry_stored_and_both_emails_delivered(app, client, smtp_server):
    hidden = open_form(
        client,
        "en",
        "?plot=N-01&utm_source=eu-china-fair&utm_medium=print&utm_campaign=2026&ref=FIRM-042",
        Referer="http://localhost/en/land/N-01",
    )
    assert hidden["page"] == "/en/land/N-01"
    response = send(client, hidden, "en", language="de", marketing="y")
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/inquiry/thanks"

    with app.app_context():
        lead = db.session.scalar(select(Lead))
        assert (lead.source, lead.company_name, lead.country) == (
            "website",
            "Schmidt Sensorik GmbH",
            "DE",
        )
        assert lead.industry == "electronics"
        assert (lead.investment_min, lead.investment_max) == (
            Decimal(50_000_000),
            Decimal(100_000_000),
        )
        assert lead.investment_currency == "CNY"
        assert (lead.land_need_min_mu, lead.land_need_max_mu) == (Decimal(15), Decimal(45))
        assert lead.language == "de"
        assert [p.code for p in lead.plots] == ["N-01"]
        contact = lead.primary_contact
        assert (contact.name, contact.email, contact.phone) == (
            "Anna Schmidt",
            "anna.schmidt@example.com",
            "+49301234567",
        )
        inquiry = lead.inquiries[0]
        assert inquiry.contact_id == contact.id
        assert inquiry.form == "website" and inquiry.language == "en"
        assert inquiry.page == "/en/land/N-01"
        assert inquiry.plot.code == "N-01"
        assert inquiry.utm == {
            "utm_source": "eu-china-fair",
            "utm_medium": "print",
            "utm_campaign": "2026",
        }
        assert inquiry.referral_code == "FIRM-042"
        assert len(inquiry.submission_key) >= 16
        assert inquiry.message.startswith("We make pressure sensors")

        consent = db.session.scalar(select(ConsentRecord))
        assert consent.contact_id == contact.id and consent.inquiry_id == inquiry.id
        assert (consent.processing, consent.marketing, consent.sharing) == (True, True, False)
        assert consent.form == "website" and consent.language == "en"
        notice = get_content().privacy_notice("en")
        assert consent.notice_version == str(notice.meta["version"])
        assert re.fullmatch(r"[0-9a-f]{64}", consent.notice_hash)
        assert datetime.now(UTC) - consent.created_at < timedelta(minutes=1)

        audit = db.session.scalars(select(AuditEntry)).all()
        assert [(a.action, a.entity_type, a.entity_id, a.actor) for a in audit] == [
            ("create", "Lead", lead.id, "public")
        ]
        emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
        assert [(e.kind, e.status, e.attempts, e.lead_id) for e in emails] == [
            ("inquiry_confirmation", "sent", 1, lead.id),
            ("inquiry_notification", "sent", 1, lead.id),
        ]
        lead_id = lead.id

    (confirmation,) = smtp_server.to("anna.schmidt@example.com")
    (notification,) = smtp_server.to(app.config["BUREAU_EMAIL"])
    # The investor chose German on an English page: a German confirmation.
    assert confirmation.message["Content-Language"] == "de"
    # The investor can answer it: the reply goes to the bureau with the lead's token.
    assert "invest@" in str(confirmation.message["From"])
    assert str(confirmation.message["Reply-To"]).startswith("invest+L")
    assert "Industriehafen Qingyuan" in confirmation.subject
    assert "Deutschland" in confirmation.body
    assert "50\xa0Mio.\xa0CN¥ – 100\xa0Mio.\xa0CN¥" in confirmation.body
    assert "http://localhost/de/privacy" in confirmation.body
    # The bureau reads Chinese, with every field and the plot.
    assert notification.message["Content-Language"] == "zh"
    # Answering the notification answers the investor; it links the lead in the CRM.
    assert notification.message["Reply-To"] == "anna.schmidt@example.com"
    assert f"/crm/leads/{lead_id}" in notification.body
    assert "德国" in notification.subject and "Schmidt Sensorik GmbH" in notification.subject
    body = notification.body
    for expected in (
        "姓名: Anna Schmidt",  # staff read "Name", not the form's "Your name"
        "anna.schmidt@example.com",
        "+49 30 1234567",  # grouped, as the number is read out
        "电子信息",
        "¥5000万 – ¥1亿",
        "N-01",
        "北片区",
        "http://localhost/zh/land/N-01",
        "utm_source=eu-china-fair",
        "FIRM-042",
        "/en/land/N-01",
        "We make pressure sensors",
    ):
        assert expected in body, expected
    assert "您的" not in body


def test_mail_down_keeps_lead_and_queues_emails_for_cron(app, client):
    hidden = open_form(client)
    response = send(client, hidden)  # conftest points MAIL_PORT at a closed port
    assert response.status_code == 303
    assert count(app, Lead) == 1
    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail)).all()
        assert len(emails) == 2
        for email in emails:
            assert (email.status, email.attempts) == ("queued", 1)
            assert email.next_attempt_at > datetime.now(UTC)
            assert email.last_error

    runner = app.test_cli_runner()
    with SMTPServer() as server:
        server.point(app)
        # not due yet: the backoff is respected
        assert "0 sent" in runner.invoke(args=["send-outbox"]).output
        assert server.received == []
        with app.app_context():
            past = datetime.now(UTC) - timedelta(seconds=1)
            db.session.execute(update(OutboxEmail).values(next_attempt_at=past))
            db.session.commit()
        result = runner.invoke(args=["send-outbox"])
        assert result.exit_code == 0 and "2 sent" in result.output
        assert len(server.to("anna.schmidt@example.com")) == 1
        assert len(server.to(app.config["BUREAU_EMAIL"])) == 1
    with app.app_context():
        emails = db.session.scalars(select(OutboxEmail)).all()
        assert [(e.status, e.attempts) for e in emails] == [("sent", 2), ("sent", 2)]
        assert all(e.sent_at and e.last_error is None for e in emails)


def test_thanks_page_says_what_happens_next_and_nothing_personal(app, client):
    send(client, open_form(client, "de"), "de", name="Zora Quellmalz", email="zq@example.org")
    response = client.get("/de/inquiry/thanks")
    html = page(response)
    assert response.status_code == 200
    assert '<html lang="de">' in html
    assert 'role="status"' in html
    assert "Investitionsförderungsamt des Kreises Qingyuan" in html
    assert 'href="/de/land"' in html and 'href="/de/one-stop-service"' in html
    assert '<meta name="robots" content="noindex">' in html
    for personal in ("Zora", "Quellmalz", "zq@example.org", "Schmidt Sensorik"):
        assert personal not in html


# -- the same form twice -----------------------------------------------------------------


def test_same_form_sent_twice_makes_one_lead(app, client):
    hidden = open_form(client)
    first = send(client, hidden)
    second = send(client, hidden)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"] == "/en/inquiry/thanks"
    assert count(app, Lead) == 1
    assert count(app, OutboxEmail) == 2


def test_concurrent_double_submit_hits_the_unique_key_and_makes_one_lead(app, client, monkeypatch):
    from public_site.inquiry import service

    hidden = open_form(client)
    assert send(client, hidden).status_code == 303
    # The second request looks before the first has committed: it sees nothing, then its
    # insert meets the unique submission key.
    real_find = service.find_inquiry
    calls = []

    def find_late(key):
        calls.append(key)
        return None if len(calls) == 1 else real_find(key)

    monkeypatch.setattr(service, "find_inquiry", find_late)
    response = send(client, hidden)
    assert response.status_code == 303
    assert response.headers["Location"] == "/en/inquiry/thanks"
    assert len(calls) == 2
    assert count(app, Lead) == 1
    assert count(app, OutboxEmail) == 2


# -- bad input: a message, the typed data kept, nothing stored ---------------------------

BAD_INPUT = [
    ({"processing": None}, "processing", "Tick this box so that we may answer your inquiry."),
    ({"email": "anna.example.com"}, "email", "Enter an email address like name@example.com."),
    ({"name": "A" * 10_240}, "name", "Use 200 characters or fewer (you entered 10240)."),
    (
        {"name": "Anna\r\nBcc: victim@example.com"},
        "name",
        "Use a single line, without line breaks.",
    ),
    ({"company": "ACME\nX-Header: 1"}, "company", "Use a single line, without line breaks."),
    ({"email": "a@example.com\r\nBcc: b@example.com"}, "email", "Use a single line"),
    ({"message": "M" * 5001}, "message", "Use 5000 characters or fewer (you entered 5001)."),
    ({"name": ""}, "name", "Enter your name."),
    ({"country": "XX"}, "country", "Choose your country or region from the list."),
    ({"industry": "weapons"}, "industry", "Choose your industry from the list."),
    ({"investment": "1-2"}, "investment", "Choose an amount from the list."),
    ({"phone": "12"}, "phone", "Enter a phone number with its country code"),
]


@pytest.mark.parametrize("overrides, field, message", BAD_INPUT)
def test_bad_input_is_refused_with_a_message(app, client, overrides, field, message):
    response = send(client, open_form(client), **overrides)
    html = page(response)
    assert response.status_code == 422
    assert nothing_stored(app)
    # next to the field, and in the summary at the top linked to it
    assert re.search(
        rf'<div class="field-errors" id="{field}-error">\s*<p class="error-message">', html
    )
    assert message in html.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    assert f'<a href="#{field}">' in html
    assert 'autofocus aria-labelledby="error-summary-title"' in html
    # what the visitor typed is still there
    assert 'value="Schmidt Sensorik GmbH"' in html or field == "company"
    assert "We make pressure sensors" in html or field == "message"


def test_a_request_over_the_size_limit_gets_an_error_page_not_a_crash(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 100_000
    response = send(client, open_form(client, "de"), "de", message="M" * 200_000)
    html = page(response)
    assert response.status_code == 413
    assert '<html lang="de">' in html and 'class="wrap prose error-page"' in html
    assert nothing_stored(app)


def test_phone_without_country_code_is_read_for_the_chosen_country(app, client):
    send(client, open_form(client), country="FR", phone="01 23 45 67 89")
    with app.app_context():
        assert db.session.scalar(select(Contact.phone)) == "+33123456789"


def test_missing_or_wrong_csrf_token_is_refused(app, client):
    hidden = open_form(client, "fr")
    without = {k: v for k, v in hidden.items() if k != "csrf_token"}
    for data in (without, {**hidden, "csrf_token": "forged"}):
        response = client.post("/fr/inquiry", data={**data, **answers()})
        html = page(response)
        assert response.status_code == 400
        # The form comes back in French with what was typed, and a fresh token to send it again.
        assert '<html lang="fr">' in html and 'class="error-summary"' in html
        assert answers()["company"] in html and "CSRF" not in html
        assert 'name="csrf_token"' in html
    assert nothing_stored(app)


def test_script_tags_are_stored_as_text_and_rendered_escaped(app, client, smtp_server):
    script = '<script>alert("x")</script>'
    hidden = open_form(client)
    # refused first (bad email): the form comes back with the script escaped
    html = page(send(client, hidden, name=f"Eve {script}", email="bad", message=script))
    assert script not in html
    assert "Eve &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</textarea>" in html

    response = send(client, hidden, name=f"Eve {script}", company=f"Co {script}", message=script)
    assert response.status_code == 303
    assert script not in page(client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.scalar(select(Contact.name)) == f"Eve {script}"
        assert db.session.scalar(select(Inquiry.message)) == script
    # plain-text email: the text reaches the bureau as typed, never as markup; the investor's
    # confirmation quotes none of it (tests/site/test_inquiry_spam.py)
    for received in smtp_server.received:
        assert received.message.get_content_type() == "text/plain"
    (notification,) = smtp_server.to(app.config["BUREAU_EMAIL"])
    assert script in notification.body


def test_page_is_only_ever_one_of_our_own_paths(app, client):
    hidden = open_form(client, Referer="https://elsewhere.example/en/land")
    assert hidden["page"] == ""
    for forged in ("https://evil.example/x", "//evil.example/x", "/nowhere/at/all", "/xx/land"):
        client.post(
            "/en/inquiry", data={**open_form(client), **answers(), "page": forged, "ref": "<b>"}
        )
    with app.app_context():
        rows = db.session.execute(select(Inquiry.page, Inquiry.referral_code)).all()
    assert rows == [(None, None)] * 4
