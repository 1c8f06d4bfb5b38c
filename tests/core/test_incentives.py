"""Incentive estimates against a table of cases worked out by hand from the 2026-1 policy file."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from core import incentives

M = 1_000_000


@pytest.fixture
def rules(app):
    with app.app_context():
        policy = incentives.current_policy(date(2026, 11, 30))
        assert policy["version"] == "2026-1"
        assert incentives.current_policy(date(2025, 12, 31)) is None  # adopted 1 January 2026
        yield policy


# (investment, industry, land mu, construction starts N months after signing) →
# (land price %, permit fees %, tax refund %, refund years), on time?, rules applied
CASES = [
    # Tier 0, no priority, 1.67 M/mu is not intensive, late: permit fees only.
    ((50 * M, "food-processing", 30, 8), (0, 20, 0, 0), False, ["tier"]),
    # Tier 100 M (5/30/30, 2 y) + priority 5 + intensity 3 (4 M/mu) + on time on the day (5/20/10).
    ((200 * M, "electronics", 50, 6), (18, 50, 40, 2), True,
     ["tier", "priority", "intensity", "on_time"]),
    # Tier 500 M (10/40/40, 3 y) + 5 + 3 + on time + 4 months early, counted up to 3 (3/15).
    ((600 * M, "precision-machinery", 100, 2), (26, 75, 50, 3), True,
     ["tier", "priority", "intensity", "on_time", "early"]),
    # Tier 1 bn (15/50/50) + 5 + 3 + 5/20/10 + 3 months early 3/15 = 31/85/60, capped at 30/80/60.
    ((1500 * M, "new-materials", 200, 0), (30, 80, 60, 3), True,
     ["tier", "priority", "intensity", "on_time", "early", "cap"]),
    # Without a land figure there is no intensity rule; one month early adds 1/5.
    ((120 * M, "biomedicine", None, 5), (16, 55, 40, 2), True,
     ["tier", "priority", "on_time", "early"]),
]  # fmt: skip


@pytest.mark.parametrize("inputs, figures, on_time, rules_applied", CASES)
def test_estimate_matches_the_policy(rules, inputs, figures, on_time, rules_applied):
    investment, industry, land, months = inputs
    land_mu = Decimal(land) if land is not None else None
    result = incentives.estimate(rules, Decimal(investment), industry, land_mu, months)
    total = result["total"]
    got = (
        total["land_price_pct"], total["permit_fee_pct"], total["tax_refund_pct"],
        total["tax_refund_years"],
    )  # fmt: skip
    assert got == figures
    assert result["on_time"] is on_time
    assert [rule for rule, _ in result["reasons"]] == rules_applied
    assert result["version"] == "2026-1"


def test_what_a_missed_deadline_costs(rules):
    assert incentives.at_stake(rules, Decimal(200 * M), "electronics", Decimal(50)) == {
        "land_price_pct": 5, "permit_fee_pct": 20, "tax_refund_pct": 10,
    }  # fmt: skip
    # Near the caps, less is at stake: 1 bn tier already reaches 28/70/60 with the bonus.
    assert incentives.at_stake(rules, Decimal(1500 * M), "new-materials", Decimal(200)) == {
        "land_price_pct": 5, "permit_fee_pct": 20, "tax_refund_pct": 10,
    }  # fmt: skip


def project(deadline, started=None, proven=True, version="2026-1"):
    milestone = SimpleNamespace(reached_on=started, proven=proven) if started else None
    return SimpleNamespace(
        policy_version=version, investment=Decimal(200 * M),
        plots=[SimpleNamespace(area_mu=Decimal(50))],
        lead=SimpleNamespace(industry="electronics"),
        construction_deadline=deadline, production_deadline=date(2027, 6, 30),
        milestone=lambda stage: milestone if stage == "construction" else None,
    )  # fmt: skip


def test_project_clock(app):
    today = date(2026, 11, 30)
    with app.app_context():
        open_ = incentives.project_clock(project(date(2026, 12, 31)), today)
        assert open_["state"] == "open" and open_["days_left"]["construction"] == 31
        assert open_["figures"]["land_price_pct"] == 18  # the bonus still to win is counted
        missed = incentives.project_clock(project(date(2026, 11, 29)), today)
        assert missed["state"] == "missed" and missed["figures"]["land_price_pct"] == 13
        early = incentives.project_clock(project(date(2026, 12, 31), date(2026, 9, 30)), today)
        assert early["state"] == "earned" and early["figures"]["land_price_pct"] == 21  # 3 months
        late = incentives.project_clock(project(date(2026, 9, 1), date(2026, 9, 30)), today)
        assert late["state"] == "missed"
        unproven = project(date(2026, 12, 31), date(2026, 9, 30), proven=False)
        assert incentives.project_clock(unproven, today)["state"] == "open"
        assert incentives.project_clock(project(None, version="1999-9"), today) is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_rule_is_described_for_the_investor_and_for_staff(app, lang):
    from flask_babel import force_locale

    from core.incentive_words import investor_reason, staff_reason

    detail = {"land_price_pct": 5, "permit_fee_pct": 20, "tax_refund_pct": 10}
    detail |= {"min_investment": 100 * M, "per_mu_min": 3 * M, "months": 2}
    result = {"inputs": {"industry": "electronics"}, "months_early": 3}
    with app.test_request_context(), force_locale(lang):
        for rule in incentives.RULES:
            assert investor_reason(rule, detail, result), rule
            assert staff_reason(rule, detail, "open", 2, "electronics") != rule, rule
