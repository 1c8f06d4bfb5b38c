"""Duplicates: comparing, merging with both histories kept, dismissing, merged URLs redirect."""

import re

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.firm_pairs import known_different
from core.leads import possible_duplicates
from core.models import (
    Activity,
    AuditEntry,
    Contact,
    DuplicateCandidate,
    Inquiry,
    Lead,
    OutboxEmail,
    StageChange,
    User,
)
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in


@pytest.fixture
def pair(app, cast):
    """An inquiry, then the same firm again: the second is flagged as a duplicate of the first."""
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        first = make_lead("Müller Präzisionstechnik GmbH", owner=officer)
        db.session.add(Activity(lead_id=first.id, kind="call", subject="First call"))
        db.session.add(
            Inquiry(lead_id=first.id, submission_key="a", language="de", message="First message")
        )
        second = make_lead(
            "Mueller Praezisionstechnik", contact_name="Anna M.", country="AT", investment=None
        )
        db.session.add(Activity(lead_id=second.id, kind="note", subject="Second note"))
        db.session.add(
            Inquiry(lead_id=second.id, submission_key="b", language="de", message="Second message")
        )
        db.session.add(
            OutboxEmail(
                kind="crm",
                to_address="anna@mueller.example",
                language="de",
                subject="Reply to second",
                body_text="...",
                lead_id=second.id,
            )
        )
        db.session.commit()
        flag = db.session.scalar(
            select(DuplicateCandidate).where(DuplicateCandidate.lead_id == second.id)
        )
        assert flag is not None and "same_email" in [r["code"] for r in flag.reasons]
        return first.id, second.id, flag.id


def hidden(page, name):
    return re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)


def merge_form(page, **picks):
    data = {
        "csrf_token": csrf_token(page),
        "version": hidden(page, "version"),
        "other_version": hidden(page, "other_version"),
    }
    data.update({f"keep_{k}": v for k, v in picks.items()})
    return data


def test_the_comparison_shows_both_sides(app, client, cast, pair):
    first, second, _ = pair
    signed_in(app, cast.manager, client)
    page = client.get(f"/crm/leads/{first}/merge/{second}").get_data(as_text=True)
    assert "Müller Präzisionstechnik GmbH" in page and "Mueller Praezisionstechnik" in page
    assert 'name="keep_company_name"' in page and 'name="keep_country"' in page
    assert 'name="keep_industry"' not in page  # equal on both sides: nothing to choose


def test_merge_keeps_both_histories_and_records_it(app, client, cast, pair):
    first, second, flag_id = pair
    signed_in(app, cast.manager, client)
    url = f"/crm/leads/{first}/merge/{second}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(url, data=merge_form(page, country="other", company_name="this"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leads/{first}")
    with app.app_context():
        survivor, loser = db.session.get(Lead, first), db.session.get(Lead, second)
        assert loser.merged_into_id == first
        assert survivor.country == "AT"
        assert survivor.company_name == "Müller Präzisionstechnik GmbH"
        for model in (Contact, Inquiry, Activity, StageChange, OutboxEmail):
            assert db.session.scalar(select(func.count()).where(model.lead_id == second)) == 0
        assert len(survivor.contacts) == 2
        assert db.session.get(DuplicateCandidate, flag_id).resolution == "merged"
        merges = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "merge", AuditEntry.entity_id == first)
        ).all()
        assert len(merges) == 1
        assert merges[0].changes["merged_lead"] == [None, second]
        assert merges[0].changes["country"] == ["DE", "AT"]
        assert "anna m." in survivor.search_text
    page = client.get(f"/crm/leads/{first}").get_data(as_text=True)
    timeline = page[page.index('class="lead-timeline"') :]
    for text in ("First call", "Second note", "First message", "Second message", "Reply to second"):
        assert text in timeline, text
    assert "merged" in timeline and "into this lead" in timeline
    assert timeline.count("was created in stage") == 2  # both leads' first stage
    # The merged lead's address leads to the survivor; it is gone from its own flags.
    moved = client.get(f"/crm/leads/{second}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(f"/crm/leads/{first}")
    assert 'aria-labelledby="dup-title"' not in page


def test_merged_url_is_404_for_who_may_not_see_the_survivor(app, client, cast, pair):
    first, second, _ = pair
    with app.app_context():
        db.session.get(Lead, second).merged_into_id = first
        db.session.commit()
    signed_in(app, cast.other_officer, client)
    assert client.get(f"/crm/leads/{second}").status_code == 404


def test_stale_merge_is_refused(app, client, cast, pair):
    first, second, _ = pair
    signed_in(app, cast.manager, client)
    url = f"/crm/leads/{first}/merge/{second}"
    page = client.get(url).get_data(as_text=True)
    with app.app_context():
        db.session.get(Lead, second).company_name = "Changed meanwhile"
        db.session.commit()
    response = client.post(url, data=merge_form(page))
    assert response.status_code == 422
    assert "changed by someone else" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lead, second).merged_into_id is None


def test_bad_picks_and_ids(app, client, cast, pair):
    first, second, _ = pair
    signed_in(app, cast.manager, client)
    url = f"/crm/leads/{first}/merge/{second}"
    page = client.get(url).get_data(as_text=True)
    assert client.post(url, data=merge_form(page, country="both")).status_code == 422
    assert client.get(f"/crm/leads/{first}/merge/{first}").status_code == 404
    assert client.get(f"/crm/leads/{first}/merge/99999999999").status_code == 404
    assert client.get(f"/crm/leads/{first}/merge/abc").status_code == 404
    with app.app_context():
        assert db.session.get(Lead, second).merged_into_id is None


def test_only_managers_merge_and_dismiss(app, client, cast, pair):
    first, second, flag_id = pair
    for user_id in (cast.officer, cast.leader):
        signed_in(app, user_id, client)
        assert client.get(f"/crm/leads/{first}/merge/{second}").status_code == 403
        token = csrf_token(client.get("/crm/account").get_data(as_text=True))
        url = f"/crm/leads/{second}/duplicates/{flag_id}/dismiss"
        assert client.post(url, data={"csrf_token": token}).status_code == 403
    with app.app_context():
        assert db.session.get(DuplicateCandidate, flag_id).resolved_at is None


def test_dismiss_a_flag(app, client, cast, pair):
    first, second, flag_id = pair
    signed_in(app, cast.manager, client)
    page = client.get(f"/crm/leads/{second}").get_data(as_text=True)
    assert 'aria-labelledby="dup-title"' in page
    url = f"/crm/leads/{second}/duplicates/{flag_id}/dismiss"
    assert client.post(url, data={"csrf_token": csrf_token(page)}).status_code == 302
    with app.app_context():
        assert db.session.get(DuplicateCandidate, flag_id).resolution == "dismissed"
    page = client.get(f"/crm/leads/{second}").get_data(as_text=True)
    assert 'aria-labelledby="dup-title"' not in page
    with app.app_context():
        # Remembered: the same firms are not proposed as one again, on a new lead either.
        keys = [db.session.get(Lead, i).company_key for i in (first, second)]
        assert known_different(*reversed(keys))
        again = make_lead("Mueller Praezisionstechnik", country="AT")
        db.session.commit()
        assert first not in [other.id for other, _, _ in possible_duplicates(again)]
    # A flag id through a lead it does not belong to: 404.
    with app.app_context():
        third = make_lead("Third GmbH", email="third@example.com").id
        db.session.commit()
    url = f"/crm/leads/{third}/duplicates/{flag_id}/dismiss"
    assert client.post(url, data={"csrf_token": csrf_token(page)}).status_code == 404
