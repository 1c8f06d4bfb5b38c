"""Booth capture over HTTP: the form, idempotent receipt, photos, the 48-hour clock, ownership."""

import io
import re
import uuid
import zlib
from datetime import UTC, date, datetime, timedelta
from threading import Barrier, Thread

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.models import Activity, AuditEntry, Contact, Event, Lead, LeadFile, User
from core.models.base import utcnow
from crm.capture.forms import parse_captured_at, parse_tags
from crm.capture.photos import dimensions, sniff
from tests.conftest import csrf_token, stored, stored_keys
from tests.factories import make_lead, sign_in_as

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
JSON = {"Accept": "application/json"}


def add_event(slug="eu-china-fair", owner_id=None) -> int:
    today = date.today()
    event = Event(
        slug=slug,
        name={"en": "EU-China Business & Technology Cooperation Fair", "zh": "中欧商洽会"},
        starts_on=today,
        ends_on=today + timedelta(days=2),
        owner_id=owner_id,
    )
    db.session.add(event)
    db.session.commit()
    return event.id


@pytest.fixture
def fair(app, cast):
    with app.app_context():
        return add_event()


def officer_client(app, user_id):
    client = app.test_client()
    with app.app_context():
        sign_in_as(client, user_id)
    return client


def entry(event_id, **overrides) -> dict:
    values = {
        "event_id": str(event_id),
        "company_name": "Keller Antriebstechnik GmbH",
        "contact_name": "Petra Keller",
        "email": "petra@keller.example",
        "phone": "",
        "country": "DE",
        "industry": "precision-machinery",
        "interest": "Plot for an e-drive plant",
        "rating": "hot",
        "tags": "e-mobility, 德国，e-mobility",
        "notes": "Visiting Chengdu in March.",
        "capture_key": str(uuid.uuid4()),
        "captured_at": (utcnow() - timedelta(hours=3)).isoformat(),
    }
    values.update(overrides)
    return values


def post(client, event_id, data, headers=JSON, token=None):
    if token is None:
        token = csrf_token(client.get(f"/crm/capture/{event_id}").get_data(as_text=True))
    data = {"csrf_token": token, **data}
    return client.post(
        f"/crm/capture/{event_id}", data=data, headers=headers, content_type="multipart/form-data"
    )


def stored_files(app) -> set[str]:
    return set(stored_keys(app))


def count_leads() -> int:
    return db.session.scalar(select(func.count()).select_from(Lead))


def test_page_shows_the_form_with_the_event_preselected(app, cast, fair):
    client = officer_client(app, cast.officer)
    response = client.get(f"/crm/capture/{fair}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert f'<option selected value="{fair}">' in page
    assert "js/capture.js" in page
    assert 'name="capture_key"' in page


def test_unknown_event_is_404(app, cast):
    client = officer_client(app, cast.officer)
    assert client.get("/crm/capture/999").status_code == 404
    assert client.get(f"/crm/capture/{2**40}").status_code == 404


def test_capture_creates_lead_contact_note_and_audit(app, cast, fair):
    client = officer_client(app, cast.officer)
    data = entry(fair)
    response = post(client, fair, data)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "created"
    with app.app_context():
        lead = db.session.get(Lead, body["lead_id"])
        assert lead.source == "event" and lead.event_id == fair
        assert lead.captured_by_id == cast.officer and lead.owner_id == cast.officer
        assert lead.team_id == cast.team_a
        assert lead.rating == "hot" and lead.tags == ["e-mobility", "德国"]
        assert lead.language == "de" and lead.capture_key == data["capture_key"]
        assert lead.code_name
        captured = datetime.fromisoformat(data["captured_at"])
        assert abs(lead.captured_at - captured) < timedelta(seconds=1)
        # The 48-hour clock runs from the moment at the booth, not from the upload.
        assert abs(lead.response_due_at - (captured + timedelta(hours=48))) < timedelta(seconds=1)
        assert lead.contacts[0].email == "petra@keller.example"
        note = db.session.scalar(select(Activity).where(Activity.lead_id == lead.id))
        assert note.kind == "note" and note.subject == "Plot for an e-drive plant"
        entries = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_type == "Lead", AuditEntry.entity_id == lead.id
            )
        ).all()
        assert [e.action for e in entries] == ["create"]


def test_same_key_twice_gives_the_same_lead(app, cast, fair):
    client = officer_client(app, cast.officer)
    data = entry(fair)
    first = post(client, fair, data)
    second = post(client, fair, {**data, "company_name": "Changed on the way"})
    assert first.status_code == 201 and second.status_code == 200
    assert second.get_json()["status"] == "exists"
    assert first.get_json()["lead_id"] == second.get_json()["lead_id"]
    with app.app_context():
        assert count_leads() == 1


def test_plain_form_post_redirects_and_is_idempotent(app, cast, fair):
    client = officer_client(app, cast.officer)
    page = client.get(f"/crm/capture/{fair}").get_data(as_text=True)
    # The page carries its own key, so a form sent twice without JavaScript is one lead.
    key = re.search(r'name="capture_key"[^>]*value="([^"]+)"', page).group(1)
    data = entry(fair, captured_at="", capture_key=key)
    response = post(client, fair, data, headers={}, token=csrf_token(page))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/crm/capture/{fair}")
    assert "Saved: Keller Antriebstechnik GmbH" in client.get(f"/crm/capture/{fair}").text
    again = post(client, fair, data, headers={})
    assert again.status_code == 302
    assert "already been received" in client.get(f"/crm/capture/{fair}").text
    with app.app_context():
        lead = db.session.scalar(select(Lead))
        assert count_leads() == 1
        # No device time: the server's.
        assert utcnow() - lead.captured_at < timedelta(minutes=1)


def test_race_on_the_same_key_makes_one_lead(app, cast, fair, monkeypatch):
    """The 'already received?' check misses a lead committed meanwhile; the unique key decides."""
    import crm.capture.views as views

    client = officer_client(app, cast.officer)
    data = entry(fair)
    assert post(client, fair, data).status_code == 201
    real, calls = views._captured, []

    def late(key):
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(views, "_captured", late)
    response = post(client, fair, data)
    assert response.status_code == 200
    assert response.get_json()["status"] == "exists"
    assert len(calls) == 2
    with app.app_context():
        assert count_leads() == 1


def test_missing_contact_details_are_refused(app, cast, fair):
    client = officer_client(app, cast.officer)
    response = post(client, fair, entry(fair, email="", phone=""))
    assert response.status_code == 422
    assert "email" in response.get_json()["errors"]
    page = post(client, fair, entry(fair, email="", phone="", contact_name=""), headers={})
    text = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Enter an email address or a phone number." in text
    assert "Contact name: Enter the contact" in text
    assert 'value="Keller Antriebstechnik GmbH"' in text  # what was typed stays
    with app.app_context():
        assert count_leads() == 0


def test_phone_alone_is_enough_and_stored_as_e164(app, cast, fair):
    client = officer_client(app, cast.officer)
    response = post(client, fair, entry(fair, email="", phone="030 1234567"))
    assert response.status_code == 201
    with app.app_context():
        contact = db.session.scalar(select(Contact))
        assert contact.phone == "+49301234567"
    bad = post(client, fair, entry(fair, email="", phone="12"))
    assert bad.status_code == 422 and "phone" in bad.get_json()["errors"]


def test_bad_key_and_bad_country_are_refused(app, cast, fair):
    client = officer_client(app, cast.officer)
    assert post(client, fair, entry(fair, capture_key="not-a-uuid")).status_code == 422
    assert post(client, fair, entry(fair, country="")).status_code == 422
    assert post(client, fair, entry(fair, country="XX")).status_code == 422
    assert post(client, fair, entry(fair, rating="lukewarm")).status_code == 422
    assert (
        post(client, fair, entry(fair, tags=",".join(f"t{i}" for i in range(30)))).status_code
        == 422
    )
    with app.app_context():
        assert count_leads() == 0


def test_photo_is_stored_and_downloadable(app, cast, fair, file_storage):
    client = officer_client(app, cast.officer)
    data = entry(fair)
    data["card_photo"] = (io.BytesIO(JPEG), "card.jpg", "image/jpeg")
    response = post(client, fair, data)
    assert response.status_code == 201
    lead_id = response.get_json()["lead_id"]
    with app.app_context():
        kept = db.session.scalar(select(LeadFile))
        assert kept.lead_id == lead_id and kept.content_type == "image/jpeg"
        assert kept.size == len(JPEG) and kept.uploaded_by_id == cast.officer
        assert stored(kept.path) == JPEG
        file_id = kept.id
    page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert f"/crm/leads/{lead_id}/files/{file_id}" in page
    download = client.get(f"/crm/leads/{lead_id}/files/{file_id}")
    assert download.status_code == 200 and download.data == JPEG
    assert download.headers["Content-Type"] == "image/jpeg"
    # Someone who may not see the lead does not learn that the file exists.
    outsider = officer_client(app, cast.other_officer)
    assert outsider.get(f"/crm/leads/{lead_id}/files/{file_id}").status_code == 404
    assert client.get(f"/crm/leads/{lead_id}/files/{file_id + 1}").status_code == 404
    # Merged into another lead, the photo is found from the lead that stays.
    with app.app_context():
        survivor = make_lead("Survivor GmbH", owner=db.session.get(User, cast.officer))
        db.session.get(Lead, lead_id).merged_into_id = survivor.id
        db.session.commit()
        survivor_id = survivor.id
    page = client.get(f"/crm/leads/{survivor_id}").get_data(as_text=True)
    assert f"/crm/leads/{survivor_id}/files/{file_id}" in page
    assert client.get(f"/crm/leads/{survivor_id}/files/{file_id}").data == JPEG


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.7 not a photo" * 10, "must be a JPEG, PNG, WebP or HEIC image"),
        (b"\xff\xd8\xff" + b"\x00" * (8 * 1024 * 1024), "larger than 8 MB"),
    ],
)
def test_bad_photo_is_refused_and_nothing_written(app, cast, fair, content, message, file_storage):
    client = officer_client(app, cast.officer)
    data = entry(fair)
    data["card_photo"] = (io.BytesIO(content), "card.jpg", "image/jpeg")
    before = stored_files(app)
    response = post(client, fair, data)
    assert response.status_code == 422
    assert message in " ".join(response.get_json()["errors"]["card_photo"])
    with app.app_context():
        assert count_leads() == 0
        assert db.session.scalar(select(func.count()).select_from(LeadFile)) == 0
    assert stored_files(app) == before


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares the size: what a decompression bomb looks like to us (its
    pixels, all zeros, would compress to a few kilobytes)."""
    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00"
    chunk = b"IHDR" + header
    return (
        b"\x89PNG\r\n\x1a\n"
        + len(header).to_bytes(4, "big")
        + chunk
        + zlib.crc32(chunk).to_bytes(4, "big")
    )


def test_a_photo_declaring_a_huge_image_is_refused_without_decoding_it(app, cast, fair):
    client = officer_client(app, cast.officer)
    data = entry(fair)
    data["card_photo"] = (io.BytesIO(png_declaring(50_000, 50_000)), "card.png", "image/png")
    response = post(client, fair, data)
    assert response.status_code == 422
    assert response.get_json()["errors"]["card_photo"] == [
        "The photo has more than 40 megapixels; take it again at a lower resolution."
    ]
    with app.app_context():
        assert count_leads() == 0
    data = entry(fair)
    data["card_photo"] = (io.BytesIO(png_declaring(6000, 4000)), "card.png", "image/png")
    assert post(client, fair, data).status_code == 201  # a 24-megapixel phone photo


def test_dimensions_are_read_from_each_formats_header():
    sof = b"\xff\xc0\x00\x11\x08" + (3000).to_bytes(2, "big") + (4000).to_bytes(2, "big")
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 9 + b"\xff\xff" + sof + b"\x03"
    assert dimensions(jpeg, "image/jpeg") == (4000, 3000)
    assert dimensions(JPEG, "image/jpeg") is None  # no frame header: nothing said, kept
    assert dimensions(png_declaring(7, 9), "image/png") == (7, 9)
    riff = b"RIFF\x00\x00\x00\x00WEBP"
    vp8x = riff + b"VP8X\x0a\x00\x00\x00\x00\x00\x00\x00" + (9999).to_bytes(3, "little")
    assert dimensions(vp8x + (499).to_bytes(3, "little"), "image/webp") == (10000, 500)
    vp8l = riff + b"VP8L\x00\x00\x00\x00\x2f" + (99 | 199 << 14).to_bytes(4, "little")
    assert dimensions(vp8l, "image/webp") == (100, 200)
    vp8 = riff + b"VP8 " + b"\x00" * 7 + b"\x9d\x01\x2a" + b"\x40\x06\xb0\x04"
    assert dimensions(vp8, "image/webp") == (1600, 1200)
    ispe = b"\x00\x00\x00\x14ispe\x00\x00\x00\x00"
    heic = ispe + (320).to_bytes(4, "big") + (240).to_bytes(4, "big")
    heic += ispe + (8000).to_bytes(4, "big") + (6000).to_bytes(4, "big")
    assert dimensions(b"\x00\x00\x00\x18ftypheic" + heic, "image/heic") == (8000, 6000)


def test_sniff_recognises_the_phone_formats():
    assert sniff(JPEG[:16]) == "image/jpeg"
    assert sniff(PNG[:16]) == "image/png"
    assert sniff(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00") == "image/heic"
    assert sniff(b"GIF89a..........") is None


def test_event_owner_gets_the_lead(app, cast):
    with app.app_context():
        fair_id = add_event("hannover-messe", owner_id=cast.other_officer)
    client = officer_client(app, cast.officer)
    response = post(client, fair_id, entry(fair_id))
    assert response.status_code == 201
    with app.app_context():
        lead = db.session.get(Lead, response.get_json()["lead_id"])
        assert lead.owner_id == cast.other_officer and lead.team_id == cast.team_b
        assert lead.captured_by_id == cast.officer


def test_inactive_event_owner_falls_back_to_the_capturer(app, cast):
    with app.app_context():
        fair_id = add_event("hannover-messe", owner_id=cast.other_officer)
        db.session.get(User, cast.other_officer).active = False
        db.session.commit()
    client = officer_client(app, cast.officer)
    response = post(client, fair_id, entry(fair_id))
    with app.app_context():
        assert db.session.get(Lead, response.get_json()["lead_id"]).owner_id == cast.officer


def test_capture_for_another_event_than_the_page(app, cast, fair):
    """The event select decides: staff at one fair may file a contact for another."""
    with app.app_context():
        other = add_event("vivatech", owner_id=cast.teammate)
    client = officer_client(app, cast.officer)
    response = post(client, fair, entry(other))
    assert response.status_code == 201
    with app.app_context():
        lead = db.session.get(Lead, response.get_json()["lead_id"])
        assert lead.event_id == other and lead.owner_id == cast.teammate
    assert post(client, fair, entry(99999)).status_code == 422


def test_duplicates_are_still_flagged(app, cast, fair):
    from core.models import DuplicateCandidate

    with app.app_context():
        make_lead("Keller Antriebstechnik GmbH", email="petra@keller.example")
        db.session.commit()
    client = officer_client(app, cast.officer)
    assert post(client, fair, entry(fair)).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DuplicateCandidate)) == 1


@pytest.mark.parametrize("role", ["admin", "manager", "officer"])
def test_capturing_roles(app, cast, fair, role):
    client = officer_client(app, getattr(cast, role))
    assert client.get(f"/crm/capture/{fair}").status_code == 200
    assert post(client, fair, entry(fair)).status_code == 201


def test_leader_may_not_capture(app, cast, fair):
    client = officer_client(app, cast.leader)
    assert client.get(f"/crm/capture/{fair}").status_code == 403
    assert client.get("/crm/capture/token").status_code == 403
    assert client.get("/crm/capture/sw.js").status_code == 403
    app.config["WTF_CSRF_ENABLED"] = False
    response = client.post(f"/crm/capture/{fair}", data=entry(fair))
    assert response.status_code == 403
    with app.app_context():
        assert count_leads() == 0


def test_anonymous_is_sent_to_sign_in(app, client, fair):
    assert client.get(f"/crm/capture/{fair}").status_code == 302
    assert client.get("/crm/capture/token").status_code == 302


def test_token_endpoint_gives_a_working_token(app, cast, fair):
    client = officer_client(app, cast.officer)
    token = client.get("/crm/capture/token").get_json()["csrf_token"]
    data = entry(fair)
    response = client.post(
        f"/crm/capture/{fair}",
        data=data,
        headers={**JSON, "X-CSRFToken": token},
        content_type="multipart/form-data",
    )
    assert response.status_code == 201


def test_missing_csrf_is_refused(app, cast, fair):
    client = officer_client(app, cast.officer)
    response = client.post(f"/crm/capture/{fair}", data=entry(fair), headers=JSON)
    assert response.status_code == 400
    with app.app_context():
        assert count_leads() == 0


def test_service_worker_is_served_as_javascript(app, cast):
    client = officer_client(app, cast.officer)
    response = client.get("/crm/capture/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert "addEventListener" in response.get_data(as_text=True)


def test_parse_tags():
    assert parse_tags(" a, b ，a、 C ;c; ") == ["a", "b", "C"]
    assert parse_tags("") == []


def test_captured_at_is_clamped():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert parse_captured_at("2026-11-30T10:00:00Z", now) == now - timedelta(hours=2)
    assert parse_captured_at("2026-11-30T18:00:00+08:00", now) == now - timedelta(hours=2)
    assert parse_captured_at("2026-11-30T12:03:00", now) == now + timedelta(minutes=3)
    assert parse_captured_at("2026-11-30T13:00:00Z", now) == now  # the future
    assert parse_captured_at("2026-10-01T12:00:00Z", now) == now  # more than 30 days ago
    assert parse_captured_at("yesterday", now) == now
    assert parse_captured_at(None, now) == now


def test_concurrent_sends_of_one_entry(app, cast, fair):
    """Two threads send the same entry at once: exactly one lead (SQLite serialises writes)."""
    data = entry(fair)
    clients = [officer_client(app, cast.officer) for _ in range(2)]
    tokens = [csrf_token(c.get(f"/crm/capture/{fair}").get_data(as_text=True)) for c in clients]
    barrier, results = Barrier(2), []

    def send(client, token):
        barrier.wait()
        results.append(post(client, fair, data, token=token).status_code)

    threads = [Thread(target=send, args=pair) for pair in zip(clients, tokens, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 201]
    with app.app_context():
        assert count_leads() == 1
