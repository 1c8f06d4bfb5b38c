"""The import review over HTTP: matches side by side, a row pointed at another row or any lead
(the picker), "different firm" remembered, attribution kept on merge, undo confirmed."""

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.firm_pairs import known_different, remember_different
from core.matching import normalise_company
from core.models import AuditEntry, DuplicateCandidate, Event, FirmPair, Lead, LeadTouch, User
from core.models.lead_import import ImportJob
from tests.conftest import csrf_token
from tests.factories import english_cast, make_lead, signed_in

HEADER = "公司名称,英文名称,联系人,邮箱,手机,国家\n"
ROWS = (
    # 1: the website lead met again at the fair (same email): a true merge.
    "成都天府精密机械有限公司,Chengdu Tianfu Precision Machinery,王伟,wang@tianfu.example,"
    "13800000001,中国\n"
    # 2: another firm on the same office line as an existing lead: a wrong proposed merge.
    "四川蓝光电子有限公司,Sichuan Languang Electronics,李娜,lina@languang.example,"
    "+86 28 8765 4321,中国\n"
    "Keller Antriebstechnik GmbH,,Petra Keller,petra@keller.example,+49 30 1234567,DE\n"
    # 4: Keller's Chinese subsidiary office, which nothing ties to row 3 but a person.
    "凯乐传动太仓办事处,,Li Ming,li.ming@kl-taicang.example,+86 512 5333 0000,中国\n"
    "Hoffmann Optik GmbH,,Jan Hoffmann,jan@hoffmann-optik.example,,DE\n"
    # 6: no company: rejected, nothing to decide.
    ",Nobody,nobody@nowhere.example,,DE\n"
)
MAPPING = dict(enumerate(("company", "company_latin", "contact_name", "email", "phone", "country")))


@pytest.fixture
def cast(app):
    with app.app_context():
        return english_cast()


@pytest.fixture
def world(app, cast):
    """The fair, a website lead (row 1's firm), a trading firm on row 2's office line, and a
    Hoffmann lead to point row 5 at, all the officer's; and another team's lead."""
    with app.app_context():
        fair = Event(
            slug="eu-china-fair",
            name={"en": "EU-China Fair", "zh": "中欧博览会"},
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 3),
        )
        db.session.add(fair)
        officer = db.session.get(User, cast.officer)
        other = db.session.get(User, cast.other_officer)
        website = make_lead("成都天府精密机械有限公司", owner=officer, contact_name="王伟",
                            email="wang@tianfu.example", country="CN", language="zh")  # fmt: skip
        trading = make_lead("四川蓝海贸易有限公司", owner=officer, contact_name="陈刚",
                            email="chen@lanhai.example", phone="+862887654321", country="CN",
                            language="zh")  # fmt: skip
        hoffmann = make_lead("Hoffmann Optics Europe", owner=officer, contact_name="Jan Hoffmann",
                             email="info@hoffmann-optics.example")  # fmt: skip
        theirs = make_lead("Hoffmann Logistik AG", owner=other, email="office@hl.example")
        db.session.commit()
        return {
            "fair": fair.id,
            "website": website.id,
            "trading": trading.id,
            "hoffmann": hoffmann.id,
            "theirs": theirs.id,
        }


def token(client, url) -> str:
    return csrf_token(client.get(url).get_data(as_text=True))


def imported_job(client, fair: int) -> int:
    """The fair file uploaded and mapped: the job waiting in review."""
    form = {"csrf_token": token(client, "/crm/imports/new"), "encoding": "", "source": ""}
    form.update(event=str(fair), file=(io.BytesIO((HEADER + ROWS).encode("gb18030")), "fair.csv"))
    response = client.post("/crm/imports/new", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    job_id = int(response.headers["Location"].split("/crm/imports/")[1].split("/")[0])
    url = f"/crm/imports/{job_id}/mapping"
    form = {"csrf_token": token(client, url), "action": "save"}
    form.update({f"column-{i}": key for i, key in MAPPING.items()})
    assert client.post(url, data=form).status_code == 302
    return job_id


def choose(client, job_id, row, choice, **more):
    url = f"/crm/imports/{job_id}/review/rows/{row}"
    return client.post(url, data={"csrf_token": token(client, url), "choice": choice, **more})


def decisions(app, job_id) -> dict:
    with app.app_context():
        return db.session.get(ImportJob, job_id).decisions


def test_review_shows_each_match_side_by_side_with_reasons(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    page = client.get(f"/crm/imports/{job_id}/review").get_data(as_text=True)
    row2 = page.split('id="row-2"')[1].split('id="row-3"')[0]
    # Both names, both contacts, and what agrees and differs, in words beside the signs.
    assert "四川蓝光电子有限公司" in row2 and "四川蓝海贸易有限公司" in row2
    assert "Sichuan Languang Electronics" in row2 and "lina@languang.example" in row2
    assert "chen@lanhai.example" in row2 and "陈刚" in row2
    assert "Agrees</span>" in row2 and "Differs</span>" in row2
    assert "shared phone or e-mail but names differ" in row2  # the matcher says why
    assert f'href="/crm/leads/{world["trading"]}"' in row2
    assert "<td>li</td>" in row2  # the lead's owner, li@bureau.example, is shown
    row1 = page.split('id="row-1"')[1].split('id="row-2"')[0]
    assert "same e-mail address" in row1 and '<option value="merge" selected>' in row1
    assert 'value="different"' in row1
    assert f"/crm/imports/{job_id}/review/rows/1" in row1


def test_marking_different_firm_is_remembered_and_run_keeps_them_apart(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    response = choose(client, job_id, 2, "different")
    assert response.status_code == 302 and response.headers["Location"].endswith("#row-2")
    assert decisions(app, job_id) == {"2": "different"}
    with app.app_context():
        trading = db.session.get(Lead, world["trading"])
        assert known_different(normalise_company("四川蓝光电子有限公司"), trading.company_key)
        assert known_different(trading.company_key, normalise_company("四川蓝光电子有限公司"))
        # The row's Latin name too: whichever name the matcher compares, it knows.
        latin = normalise_company("Sichuan Languang Electronics")
        assert known_different(latin, trading.company_key)
        for pair in db.session.scalars(select(FirmPair)):
            assert world["trading"] in (pair.lead_a_id, pair.lead_b_id)
        assert db.session.scalar(select(func.count()).where(AuditEntry.entity_type == "FirmPair"))
    # Saying it again changes nothing.
    assert choose(client, job_id, 2, "different").status_code == 302
    with app.app_context():
        # The row's two names have one key now (both "sichuan languang electronics"): one pair.
        assert db.session.scalar(select(func.count()).select_from(FirmPair)) == 1
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        entry = next(e for e in job.report if e["row"] == 2)
        assert entry["outcome"] == "created" and entry["reason"] == "different"
    report = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert "Created; marked as a different firm from 四川蓝海贸易有限公司." in report
    with app.app_context():
        assert len(db.session.get(Lead, world["trading"]).contacts) == 1
        new = entry["lead_id"]
        assert db.session.get(Lead, new).company_name == "四川蓝光电子有限公司"
        assert not db.session.scalar(
            select(func.count()).where(
                DuplicateCandidate.lead_id == new, DuplicateCandidate.other_id == world["trading"]
            )
        )


def test_a_row_pointed_at_another_row_becomes_one_lead(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    # Pointed at a later row: the later row's lead is made first, then this row joins it.
    assert choose(client, job_id, 3, "row", row_number="4").status_code == 302
    assert decisions(app, job_id) == {"3": "row:4"}
    page = client.get(f"/crm/imports/{job_id}/review?show=all").get_data(as_text=True)
    row3 = page.split('id="row-3"')[1].split('id="row-4"')[0]
    assert '<option value="row:4" selected>' in row3 and "You pointed this row here." in row3
    assert "Changed from" in row3
    page = client.get(f"/crm/imports/{job_id}/review/rows/3").get_data(as_text=True)
    assert 'value="default"' in page and 'name="row_number"' in page and 'value="4"' in page
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    assert client.post(url, data=form).status_code == 302
    report = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert "Merged into row 4 of this file (chosen in the review)." in report
    # Once run, the rows can no longer be pointed anywhere.
    assert client.get(f"/crm/imports/{job_id}/review/rows/3").status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        by_row = {e["row"]: e for e in job.report}
        assert by_row[3]["outcome"] == "merged" and by_row[3]["in_file"] == 4
        assert by_row[3]["lead_id"] == by_row[4]["lead_id"]
        lead = db.session.get(Lead, by_row[4]["lead_id"])
        assert {c.email for c in lead.contacts} == {
            "petra@keller.example",
            "li.ming@kl-taicang.example",
        }


def test_rows_pointing_at_each_other_and_in_a_chain_end_as_one_lead(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    # 3 -> 4 and 4 -> 3 (a circle), and 5 -> 3 (a chain through the circle).
    for row, other in ((3, 4), (4, 3), (5, 3)):
        assert choose(client, job_id, row, "row", row_number=str(other)).status_code == 302
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        by_row = {e["row"]: e for e in job.report}
        assert by_row[3]["lead_id"] == by_row[4]["lead_id"] == by_row[5]["lead_id"]
        assert [by_row[n]["outcome"] for n in (3, 4, 5)].count("created") == 1
        # Row 1 merges by default; row 2 (another firm on a shared phone) is only suggested.
        assert job.created == 2


def test_a_row_pointed_at_a_lead_through_the_picker(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    picker = f"/crm/imports/{job_id}/review/leads"
    found = client.get(picker, query_string={"q": "hoffmann"}, headers={"HX-Request": "true"})
    html = found.get_data(as_text=True)
    assert found.status_code == 200 and "<html" not in html
    assert f'value="lead:{world["hoffmann"]}"' in html
    assert f'value="lead:{world["theirs"]}"' not in html  # another team's: not offered
    assert "No lead you may change matches" in client.get(picker, query_string={"q": "zzz"}).text
    assert "Type part of a company name" in client.get(picker).text
    assert "%" not in client.get(picker, query_string={"q": "%_"}).text.split("matches")[0]
    # Without JavaScript the row page lists the same leads.
    page = client.get(f"/crm/imports/{job_id}/review/rows/5", query_string={"q": "Hoffmann"})
    assert f'value="lead:{world["hoffmann"]}"' in page.get_data(as_text=True)
    assert choose(client, job_id, 5, f"lead:{world['hoffmann']}").status_code == 302
    assert decisions(app, job_id) == {"5": f"lead:{world['hoffmann']}"}
    # The chosen lead stays listed, checked, when the row page is opened again.
    page = client.get(f"/crm/imports/{job_id}/review/rows/5").get_data(as_text=True)
    assert f'value="lead:{world["hoffmann"]}" checked' in page
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        entry = next(e for e in job.report if e["row"] == 5)
        assert entry["outcome"] == "merged" and entry["lead_id"] == world["hoffmann"]
    # Back to what the import proposed is possible until it runs: checked on a new job.
    again = imported_job(client, world["fair"])
    choose(client, again, 5, f"lead:{world['hoffmann']}")
    assert choose(client, again, 5, "default").status_code == 302
    assert decisions(app, again) == {}


def test_a_pointed_lead_out_of_reach_by_the_run_is_not_merged_into(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    assert choose(client, job_id, 5, f"lead:{world['hoffmann']}").status_code == 302
    with app.app_context():  # handed to the other team meanwhile
        lead = db.session.get(Lead, world["hoffmann"])
        lead.owner_id, lead.team_id = cast.other_officer, cast.team_b
        db.session.commit()
    page = client.get(f"/crm/imports/{job_id}/review?show=all").get_data(as_text=True)
    row5 = page.split('id="row-5"')[1].split('id="row-6"')[0]
    assert "lead:" not in row5 and '<option value="create" selected>' in row5
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        job = db.session.get(ImportJob, job_id)
        assert next(e for e in job.report if e["row"] == 5)["outcome"] == "created"
        assert len(db.session.get(Lead, world["hoffmann"]).contacts) == 1


@pytest.mark.parametrize(
    ("choice", "more", "message"),
    [
        ("", {}, "Choose what happens to this row."),
        ("row", {"row_number": "x"}, "Enter the number of the row this one belongs to."),
        ("row", {"row_number": "99999999999"}, "Enter the number of the row"),
        ("row", {"row_number": "5"}, "choose another row of this file"),  # itself
        ("row", {"row_number": "99"}, "choose another row of this file"),
        ("row", {"row_number": "6"}, "has problems and will not be imported"),
        ("lead:999999", {}, "You may not merge rows into that lead"),
        ("lead:abc", {}, "This choice is not open for row 5."),
        ("merge", {}, "This choice is not open for row 5."),  # no match to merge into
        ("explode", {}, "This choice is not open for row 5."),
    ],
)
def test_bad_choices_are_refused_with_a_message(app, cast, world, choice, more, message):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    response = choose(client, job_id, 5, choice, **more)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'class="error-summary"' in html
    assert decisions(app, job_id) == {}


def test_rows_and_leads_out_of_reach(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    # Another team's lead cannot be chosen, even when its id is sent by hand.
    response = choose(client, job_id, 5, f"lead:{world['theirs']}")
    assert response.status_code == 400 and "You may not merge rows" in response.text
    # No such row, and a row with problems (nothing to decide): not found.
    assert client.get(f"/crm/imports/{job_id}/review/rows/99").status_code == 404
    assert client.get(f"/crm/imports/{job_id}/review/rows/6").status_code == 404
    # Without the CSRF token: refused.
    url = f"/crm/imports/{job_id}/review/rows/5"
    assert client.post(url, data={"choice": "create"}).status_code == 400
    # Another officer's import is not found, nor its picker.
    other = signed_in(app, cast.other_officer)
    assert other.get(url).status_code == 404
    assert other.get(f"/crm/imports/{job_id}/review/leads?q=hoffmann").status_code == 404
    # The list itself accepts only what it offers: pointing is the row page's.
    review = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, review), "action": "save", "row": ["5"]}
    form["decision-5"] = "row:3"
    assert client.post(review, data=form).status_code == 400


def test_merge_keeps_the_first_source_and_records_the_fair_as_a_touch(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    assert client.post(url, data=form).status_code == 302
    with app.app_context():
        website = db.session.get(Lead, world["website"])
        assert website.source == "website" and website.event_id is None
        touch = db.session.scalar(select(LeadTouch).where(LeadTouch.lead_id == website.id))
        assert touch.event_id == world["fair"] and touch.import_job_id == job_id
    timeline = client.get(f"/crm/leads/{world['website']}").get_data(as_text=True)
    assert "Met again at EU-China Fair" in timeline
    manager = signed_in(app, cast.manager)
    results = manager.get(f"/crm/events/{world['fair']}/results").get_data(as_text=True)
    # The website lead only: the trading firm's shared phone is no default merge any more.
    assert 'id="met-again">1<' in results


def test_undo_asks_first_and_says_what_it_removes(app, cast, world):
    client = signed_in(app, cast.officer)
    job_id = imported_job(client, world["fair"])
    # Before it ran there is nothing to undo: the confirmation sends back to the job.
    assert client.get(f"/crm/imports/{job_id}/undo").status_code == 302
    url = f"/crm/imports/{job_id}/review?show=all"
    form = {"csrf_token": token(client, url), "action": "run", "row": []}
    client.post(url, data=form)
    job_page = client.get(f"/crm/imports/{job_id}").get_data(as_text=True)
    assert f'href="/crm/imports/{job_id}/undo"' in job_page
    page = client.get(f"/crm/imports/{job_id}/undo")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # Rows 2 to 5 created (row 2: another firm on a shared phone, suggested, not merged); row 1
    # merged, a touch, and no new contact (its email is already the lead's).
    assert "4 leads it created are deleted" in html
    assert "1 merge into an existing lead is reverted" in html
    assert "4 contacts are removed" in html
    assert "1 touch (lead met again) is removed" in html
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "done"
    undo = f"/crm/imports/{job_id}/undo"
    response = client.post(undo, data={"csrf_token": token(client, undo)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(ImportJob, job_id).status == "undone"
        assert db.session.scalar(select(func.count()).select_from(LeadTouch)) == 0


def test_firm_pairs_memory(app, cast):
    with app.app_context():
        user = db.session.get(User, cast.officer)
        assert not known_different("alpha", "beta")
        remember_different("beta", "alpha", user=user, lead_ids=(None, None))
        remember_different("alpha", "beta", user=user)
        remember_different("alpha", "alpha", user=user)  # one firm with itself: nothing
        remember_different("", "beta", user=user)
        db.session.commit()
        assert known_different("alpha", "beta") and known_different("beta", "alpha")
        assert not known_different("alpha", "alpha")
        assert db.session.scalar(select(func.count()).select_from(FirmPair)) == 1
