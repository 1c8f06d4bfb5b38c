"""The app's forms as a person fills them in tests: the public inquiry form, a lead's move to
"signed", the CRM's sign-in (password, then the two-step code), the portal's sign-in."""

import io
import re
from datetime import UTC, datetime, timedelta

import pyotp
from sqlalchemy import func, select

from core.extensions import db
from core.models import AuditEntry, ConsentRecord, Contact, Inquiry, Lead, OutboxEmail
from core.projects import park_today
from tests.conftest import csrf_token
from tests.factories import PASSWORD

# -- the inquiry form -------------------------------------------------------------------------

HIDDEN = re.compile(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">')
STORED = (Lead, Contact, Inquiry, ConsentRecord, AuditEntry, OutboxEmail)


def open_form(client, lang: str = "en", query: str = "", **headers) -> dict:
    """GET the form; return its hidden fields (CSRF and fill-time tokens, plot, page, UTM, ref)."""
    response = client.get(f"/{lang}/inquiry{query}", headers=headers)
    assert response.status_code == 200
    return dict(HIDDEN.findall(response.get_data(as_text=True)))


def answers(**overrides) -> dict:
    data = {
        "name": "Anna Schmidt",
        "company": "Schmidt Sensorik GmbH",
        "country": "DE",
        "email": "anna.schmidt@example.com",
        "phone": "030 1234567",
        "industry": "electronics",
        "investment": "50000000-100000000",
        "land_need": "15-45",
        "language": "de",
        "message": "We make pressure sensors and need about 30 mu for a first plant.",
        "processing": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def send(client, hidden: dict, lang: str = "en", **overrides):
    return client.post(f"/{lang}/inquiry", data={**hidden, **answers(**overrides)})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def nothing_stored(app) -> bool:
    return all(count(app, model) == 0 for model in STORED)


def page(response) -> str:
    return response.get_data(as_text=True)


# -- the pipeline's move form ---------------------------------------------------------------


AGREEMENT = b"%PDF-1.4\n% the signed investment agreement\n%%EOF\n"


def signing_answers(html: str, **overrides) -> dict:
    """The signing form filled as staff do: today, 8000万, the agreement, a deadline, the policy."""
    today = park_today()
    data = {
        "csrf_token": csrf_token(html),
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1),
        "next": "",
        "signed_on": today.isoformat(),
        "amount": "8000万",
        "agreement": (io.BytesIO(AGREEMENT), "投资协议.pdf"),
        "construction_deadline": (today + timedelta(days=180)).isoformat(),
        "policy_version": "2026-1",
        "liaison": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def sign(client, lead_id: int, **overrides):
    """Move a lead to "signed" as staff do: the move form sends them to the signing form."""
    html = client.get(f"/crm/leads/{lead_id}/move").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    moved = client.post(
        f"/crm/leads/{lead_id}/move",
        data={"csrf_token": csrf_token(html), "version": version, "stage": "signed", "next": ""},
    )
    if moved.status_code != 302 or "/sign" not in moved.headers["Location"]:
        return moved  # signed again after a step back (or refused): no form to fill
    html = client.get(moved.headers["Location"]).get_data(as_text=True)
    return client.post(
        f"/crm/leads/{lead_id}/sign",
        data=signing_answers(html, **overrides),
        content_type="multipart/form-data",
    )


# -- the CRM's sign-in ----------------------------------------------------------------------


def sign_in(client, email="li@bureau.example", password=PASSWORD, next_url=None):
    url = "/crm/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def totp_code(secret: str, steps: int = 0) -> str:
    """The code of the current time step (or one step later: still inside the valid window)."""
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(datetime.now(UTC)) + steps)


def give_code(client, code):
    token = csrf_token(client.get("/crm/login/code").get_data(as_text=True))
    return client.post("/crm/login/code", data={"code": code, "csrf_token": token})


# -- the portal's sign-in --------------------------------------------------------------------


def ask_for_link(client, address: str, lang: str = "en", **kwargs):
    html = page(client.get(f"/{lang}/portal/sign-in"))
    response = client.post(
        f"/{lang}/portal/sign-in",
        data={"csrf_token": csrf_token(html), "email": address},
        **kwargs,
    )
    # The link is mailed once the answer is out, when the server closes it, as a real one does.
    response.close()
    return response
