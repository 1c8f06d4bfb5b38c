"""Incentives as data: the policy versions in content/incentives, estimates, and a project's clock.

An estimate adds the base package (investment tier, priority industry, land intensity) and, when
construction starts by the deadline, the on-time bonus with more per full month early; the caps
bound the sum. Everything is whole percentages of the listed amounts, so it is exact.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from core.content import get_content

FIGURES = ("land_price_pct", "permit_fee_pct", "tax_refund_pct")
# Every rule a package may apply, in order; core.incentive_words says each in words.
RULES = ("tier", "priority", "intensity", "on_time", "early", "cap")


@dataclass
class Package:
    land_price_pct: int = 0
    permit_fee_pct: int = 0
    tax_refund_pct: int = 0
    tax_refund_years: int = 0
    # Why: (rule, its figures) in order, for the plain-words explanation.
    reasons: list[tuple[str, dict]] = field(default_factory=list)

    def add(self, rule: str, figures: dict, **detail) -> None:
        for key in FIGURES:
            setattr(self, key, getattr(self, key) + int(figures.get(key, 0)))
        shown = {k: int(figures[k]) for k in FIGURES if figures.get(k)}
        if shown or detail:
            self.reasons.append((rule, {**shown, **detail}))

    def figures(self) -> dict:
        return {k: getattr(self, k) for k in (*FIGURES, "tax_refund_years")}


def policies() -> dict[str, dict]:
    return get_content().policies


def current_policy(today: date) -> dict | None:
    """The newest version in effect today (a draft the bureau quotes, or an adopted one)."""
    usable = [
        p
        for p in policies().values()
        if p["status"] != "superseded" and p["effective_from"] <= today
    ]
    return max(usable, key=lambda p: p["effective_from"]) if usable else None


def policy(version: str | None) -> dict | None:
    return policies().get(version or "")


def base(policy: dict, investment: Decimal, industry: str, land_mu: Decimal | None) -> Package:
    package = Package()
    tier = next(t for t in policy["tiers"] if investment >= t["min_investment"])
    package.add("tier", tier, min_investment=tier["min_investment"])
    package.tax_refund_years = int(tier.get("tax_refund_years", 0))
    priority = policy.get("priority_industries") or {}
    if industry in priority.get("industries", ()):
        package.add("priority", priority)
    intensity = policy.get("land_intensity") or {}
    if intensity and land_mu and land_mu > 0:
        per_mu = investment / land_mu
        if per_mu >= intensity["min_investment_per_mu"]:
            package.add("intensity", intensity, per_mu_min=intensity["min_investment_per_mu"])
    return package


def months_early(policy: dict, months_after_signing: int) -> int | None:
    """Full months before the deadline construction starts; None when it starts late."""
    early = policy["construction_months"] - months_after_signing
    return None if early < 0 else early


def add_bonus(policy: dict, package: Package, early: int | None) -> None:
    """The on-time bonus, and more for each full month early (up to the policy's maximum)."""
    if early is None:
        return
    package.add("on_time", policy["on_time"])
    per_month = policy.get("early_per_month") or {}
    months = min(early, int(per_month.get("max_months", 0)))
    if months:
        package.add("early", {k: int(per_month.get(k, 0)) * months for k in FIGURES}, months=months)


def apply_caps(policy: dict, package: Package) -> None:
    caps = policy.get("caps") or {}
    capped = {k: caps[k] for k in FIGURES if k in caps and getattr(package, k) > caps[k]}
    for key, cap in capped.items():
        setattr(package, key, int(cap))
    if capped:
        package.reasons.append(("cap", {k: int(v) for k, v in capped.items()}))


def estimate(
    policy: dict,
    investment: Decimal,
    industry: str,
    land_mu: Decimal | None,
    months_after_signing: int,
) -> dict:
    """The indicative package: base, bonus and total figures, and the reasons in order."""
    package = base(policy, investment, industry, land_mu)
    without_bonus = package.figures()
    early = months_early(policy, months_after_signing)
    add_bonus(policy, package, early)
    apply_caps(policy, package)
    return {
        "version": str(policy["version"]),
        "inputs": {
            "investment": str(investment),
            "industry": industry,
            "land_mu": str(land_mu) if land_mu is not None else None,
            "months_after_signing": months_after_signing,
        },
        "base": without_bonus,
        "total": package.figures(),
        "on_time": early is not None,
        "months_early": early,
        "reasons": package.reasons,
    }


def at_stake(policy: dict, investment: Decimal, industry: str, land_mu: Decimal | None) -> dict:
    """What starting construction on the deadline day adds to the base: lost if it is missed."""
    package = base(policy, investment, industry, land_mu)
    before = package.figures()
    add_bonus(policy, package, 0)
    apply_caps(policy, package)
    after = package.figures()
    return {k: after[k] - before[k] for k in FIGURES}


def project_clock(project, today: date) -> dict | None:
    """A project's incentives under its own policy version: what it has, what is still to win or
    lose, and the days left to each deadline."""
    rules = policy(project.policy_version)
    if rules is None or project.investment is None:
        return None
    land_mu = sum((p.area_mu for p in project.plots), Decimal(0)) or None
    industry = project.lead.industry
    started = project.milestone("construction")
    deadline = project.construction_deadline
    if started is not None and started.proven:
        early = None
        if deadline is not None and started.reached_on <= deadline:
            early = _full_months(started.reached_on, deadline)
        state = "earned" if early is not None else "missed"
    elif deadline is not None and today > deadline:
        early, state = None, "missed"
    else:
        early, state = 0, "open"
    package = base(rules, project.investment, industry, land_mu)
    add_bonus(rules, package, early)
    apply_caps(rules, package)
    return {
        "version": str(rules["version"]),
        "state": state,  # open: still to win; earned; missed: flagged for review
        "figures": package.figures(),
        "reasons": package.reasons,
        "at_stake": at_stake(rules, project.investment, industry, land_mu),
        "days_left": {
            name: (day - today).days if day is not None else None
            for name, day in (
                ("construction", project.construction_deadline),
                ("production", project.production_deadline),
            )
        },
    }


def _full_months(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (1 if end.day < start.day else 0)
