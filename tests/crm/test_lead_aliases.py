"""A firm's other names: kept by merges, shown and edited on the lead page, found by search."""

import re

from sqlalchemy import select

from core.extensions import db
from core.models import AuditEntry, Lead, LeadAlias, User
from tests.conftest import csrf_token
from tests.factories import make_lead, signed_in


def companies(client, term: str) -> list[str]:
    page = client.get("/crm/leads", query_string={"q": term}).get_data(as_text=True)
    return re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]*">([^<]*)</a>', page)


def aliases(lead_id: int) -> list[tuple[str, str]]:
    return [
        (a.name, a.kind)
        for a in db.session.scalars(
            select(LeadAlias).where(LeadAlias.lead_id == lead_id).order_by(LeadAlias.id)
        )
    ]


def merge(client, first: int, second: int, **picks) -> None:
    url = f"/crm/leads/{first}/merge/{second}"
    page = client.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page)}
    for name in ("version", "other_version"):
        data[name] = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', page).group(1)
    data.update({f"keep_{key}": value for key, value in picks.items()})
    assert client.post(url, data=data).status_code == 302


def test_a_merge_keeps_every_name_the_firm_was_known_by(app, client, cast):
    with app.app_context():
        english = make_lead("Chengdu Tianfu Precision Machinery Co., Ltd.", email="a@tianfu.cn",
                            country="CN")  # fmt: skip
        chinese = make_lead("成都天府精密机械有限公司", email="a@tianfu.cn", country="CN")
        older = make_lead("天府机械厂", email="b@tianfu.cn", country="CN")
        db.session.commit()
        ids = english.id, chinese.id, older.id
    manager = signed_in(app, cast.manager, client)
    # The Chinese name wins: the English one the lead had becomes an alias (the Chinese lead's
    # name is the survivor's own now, so not kept twice); then the old works name joins them.
    merge(manager, ids[0], ids[1], company_name="other")
    merge(manager, ids[0], ids[2])
    with app.app_context():
        assert db.session.get(Lead, ids[0]).company_name == "成都天府精密机械有限公司"
        assert aliases(ids[0]) == [
            ("Chengdu Tianfu Precision Machinery Co., Ltd.", "latin"),
            ("天府机械厂", "chinese"),
        ]
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "merge").order_by(AuditEntry.id)
        ).first()
        assert entry.changes["aliases"] == [None, ["Chengdu Tianfu Precision Machinery Co., Ltd."]]
    page = manager.get(f"/crm/leads/{ids[0]}").get_data(as_text=True)
    assert "Chengdu Tianfu Precision Machinery Co., Ltd." in page and "天府机械厂" in page
    for term in ("precision machinery", "机械厂", "tfjxc"):
        assert companies(manager, term) == ["成都天府精密机械有限公司"], term


def test_staff_add_and_remove_a_name_on_the_lead_page(app, client, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead_id = make_lead("Weber Antriebstechnik GmbH", owner=officer).id
        db.session.commit()
    client = signed_in(app, cast.officer, client)
    page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert "Add another name" in page
    url = f"/crm/leads/{lead_id}/aliases"
    response = client.post(url, data={"csrf_token": csrf_token(page), "name": "  Weber Drives ",
                                      "kind": "former"})  # fmt: skip
    assert response.status_code == 302 and response.headers["Location"].endswith("#aliases")
    page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    assert "The name was added." in page and "Weber Drives" in page and "Former name" in page
    assert companies(client, "drives") == ["Weber Antriebstechnik GmbH"]
    # The same name again (any case or accents), a blank name, a bad kind: a message, no change.
    for data, message in (
        ({"name": "WEBER DRIVES", "kind": "latin"}, "The firm is already known by that name."),
        ({"name": "Weber Antriebstechnik GmbH", "kind": "latin"}, "already known by that name"),
        ({"name": " ", "kind": "latin"}, "Enter the name."),
        ({"name": "Weber AG", "kind": "nickname"}, "Not a valid choice"),
        ({"name": "x" * 201, "kind": "latin"}, "Use 200 characters or fewer"),
        ({"name": "a\nb", "kind": "latin"}, "Use a single line"),
    ):
        response = client.post(url, data={"csrf_token": csrf_token(page), **data})
        assert response.status_code == 302
        assert message in client.get(f"/crm/leads/{lead_id}").get_data(as_text=True), data
    with app.app_context():
        assert aliases(lead_id) == [("Weber Drives", "former")]
        alias_id = db.session.scalar(select(LeadAlias.id).where(LeadAlias.lead_id == lead_id))
        changes = [
            e.changes for e in db.session.scalars(select(AuditEntry).where(
                AuditEntry.entity_type == "Lead", AuditEntry.entity_id == lead_id))
        ]  # fmt: skip
        assert {"alias_added": [None, "Weber Drives"]} in changes
    # Without the form's token nothing is removed.
    client.post(f"/crm/leads/{lead_id}/aliases/{alias_id}/remove")
    assert companies(client, "drives") == ["Weber Antriebstechnik GmbH"]
    page = client.get(f"/crm/leads/{lead_id}").get_data(as_text=True)
    response = client.post(
        f"/crm/leads/{lead_id}/aliases/{alias_id}/remove", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert companies(client, "drives") == []
    with app.app_context():
        assert aliases(lead_id) == []


def test_who_may_not_edit_the_lead_may_not_touch_its_names(app, client, cast):
    with app.app_context():
        officer = db.session.get(User, cast.officer)
        lead = make_lead("Weber Antriebstechnik GmbH", owner=officer)
        lead.aliases.append(LeadAlias(name="Weber Drives", kind="latin"))
        other = make_lead("Becker Logistik GmbH", owner=officer)
        db.session.commit()
        lead_id, alias_id, other_id = lead.id, lead.aliases[0].id, other.id
    app.config["WTF_CSRF_ENABLED"] = False
    other_team = signed_in(app, cast.other_officer)
    assert other_team.post(f"/crm/leads/{lead_id}/aliases", data={"name": "X", "kind": "latin"}
                           ).status_code == 404  # fmt: skip
    leader = signed_in(app, cast.leader)
    assert leader.post(f"/crm/leads/{lead_id}/aliases/{alias_id}/remove").status_code == 403
    page = leader.get(f"/crm/leads/{lead_id}")
    assert "Add another name" not in page.get_data(as_text=True)
    # An alias of one lead is not removed through another lead's address.
    manager = signed_in(app, cast.manager)
    assert manager.post(f"/crm/leads/{other_id}/aliases/{alias_id}/remove").status_code == 404
    with app.app_context():
        assert aliases(lead_id) == [("Weber Drives", "latin")]


def test_anonymising_a_lead_forgets_its_other_names(app, client, cast):
    with app.app_context():
        lead = make_lead("Weber Antriebstechnik GmbH")
        lead.aliases.append(LeadAlias(name="Weber Drives", kind="latin"))
        db.session.commit()
        lead_id = lead.id
    manager = signed_in(app, cast.manager, client)
    url = f"/crm/leads/{lead_id}/anonymise"
    page = manager.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="([^"]*)"', page).group(1)
    assert manager.post(url, data={"csrf_token": csrf_token(page), "version": version}
                        ).status_code == 302  # fmt: skip
    with app.app_context():
        assert aliases(lead_id) == []
        assert "weber" not in db.session.get(Lead, lead_id).search_text
