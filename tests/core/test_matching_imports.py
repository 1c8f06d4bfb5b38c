"""The matcher in an import and on new leads: in-file duplicates follow their row's target,
pairs marked different stay apart, every match says why in words."""

from sqlalchemy import select

from core.extensions import db
from core.firm_pairs import known_different, remember_different
from core.leads import possible_duplicates
from core.matching import normalise_company
from core.models import AuditEntry, FirmPair
from tests.core.test_import_checks import check, ctx, row  # noqa: F401 (ctx: a fixture)
from tests.factories import make_lead


def test_a_pair_is_remembered_once_whichever_way_round(ctx):  # noqa: F811
    a, b = normalise_company("成都蓝光电子有限公司"), normalise_company("成都蓝天电子有限公司")
    assert not known_different(a, b)
    lead = make_lead("成都蓝天电子有限公司", country="CN")
    remember_different(b, a, lead_ids=(lead.id, None))
    remember_different(a, b)
    db.session.commit()
    assert known_different(a, b) and known_different(b, a)
    (pair,) = db.session.scalars(select(FirmPair)).all()
    assert (pair.key_a, pair.key_b) == tuple(sorted((a, b)))
    assert (pair.lead_a_id, pair.lead_b_id) == ((None, lead.id) if a < b else (lead.id, None))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.entity_type == "FirmPair"))
    # One key, or none, is no pair.
    remember_different(a, a)
    remember_different(a, "")
    assert not known_different(a, a)
    assert db.session.query(FirmPair).count() == 1


def test_rows_of_one_firm_follow_the_row_that_matched_a_lead(ctx):  # noqa: F811
    lead = make_lead("成都蓝光电子有限公司", email="wang@languang.example", country="CN")
    db.session.commit()
    checks = check(
        row("Languang Electronics (Chengdu) Co., Ltd.", country="CN"),
        row("成都蓝光电子有限公司", email="li@languang.example", country="CN"),
        row("Chengdu Languang Electronics Co., Ltd.", email="zhao@languang.example", country="CN"),
    )
    # Row 1 alone (no contact, the English name) would be a suggestion; row 2 merges by its
    # firm domain and takes row 1 with it; row 3 goes where rows of its firm go.
    assert [c.decision for c in checks] == ["merge"] * 3
    assert {c.match.lead_id for c in checks} == {lead.id}


def test_a_row_may_point_at_another_row(ctx):  # noqa: F811
    checks = check(
        row("Weber Maschinenbau GmbH", email="a@weber-mb.example"),
        row("Weber Maschinenbau AG", email="b@weber-mb.example"),
        row("Weber Maschinenbau AG", email="c@weber-mb.example"),
    )
    assert (checks[1].match.row, checks[1].decision) == (1, "merge")
    assert (checks[2].match.row, checks[2].decision) == (1, "merge")


def test_a_different_firm_is_not_proposed_again_in_an_import_or_on_a_new_lead(ctx):  # noqa: F811
    lead = make_lead("Hoffmann Logistik GmbH", email="h@hoffmann.example")
    db.session.commit()
    (before,) = check(row("Hofmann Logistik GmbH", email="x@hofmann-transporte.example"))
    assert before.match.lead_id == lead.id and before.decision == "create"
    remember_different(lead.company_key, normalise_company("Hofmann Logistik GmbH"))
    db.session.commit()
    (after,) = check(row("Hofmann Logistik GmbH", email="x@hofmann-transporte.example"))
    assert (after.match.outcome, after.decision) == ("different", "different")
    assert after.match.texts == ["marked as different firms before"]
    other = make_lead("Hofmann Logistik GmbH", email="y@hofmann-transporte.example")
    assert lead.id not in [found.id for found, _, _ in possible_duplicates(other)]


def test_matches_say_why_in_the_readers_language(ctx):  # noqa: F811
    make_lead("成都蓝光电子有限公司", email="a@languang.example", phone="+862887654321")
    db.session.commit()
    (shared,) = check(row("成都鼎力物流有限公司", phone="+86 28 8765 4321", country="CN"))
    assert shared.decision == "create"
    assert "shared phone or e-mail but names differ" in shared.match.texts
    assert "different brand: 鼎力 vs 蓝光" in shared.match.texts


def test_a_new_lead_is_flagged_strongly_only_for_a_default_merge(ctx):  # noqa: F811
    first = make_lead("成都蓝光电子有限公司", email="a@languang.example", country="CN")
    same = make_lead(
        "Chengdu Languang Electronics Co., Ltd.", email="b@languang.example", country="CN"
    )
    other = make_lead("成都蓝天电子有限公司", email="c@lantian.example", country="CN")
    db.session.commit()
    found = {lead.id: score for lead, _, score in possible_duplicates(same)}
    assert found[first.id] >= 95
    assert first.id not in {lead.id for lead, _, _ in possible_duplicates(other)}
