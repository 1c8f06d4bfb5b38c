"""The incentive rules in words: each rule of core.incentives as the estimator tells an investor
and as a project's page tells staff, in one place, so a rule is never described for one only."""

from decimal import Decimal

from babel.lists import format_list
from flask_babel import format_percent, get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from core import incentives
from core.choices import industry_name
from core.i18n import current_language, money, translated
from core.i18n import date as format_date
from core.units import m2_to_mu

HECTARE_M2 = Decimal(10000)
PHRASES = {
    "land_price_pct": _l("%(pct)s off the land price"),
    "permit_fee_pct": _l("%(pct)s off the permit fees"),
    "tax_refund_pct": _l("a refund of %(pct)s of the county's share of corporate income tax"),
}


def percent(value) -> str:
    return format_percent(Decimal(value) / 100)


def _phrase(key: str, value) -> str:
    return str(PHRASES[key]) % {"pct": percent(value)}


# -- for the investor (the estimator, the inquiry and its mails) -----------------------------


def figures_text(figures: dict) -> str:
    """'18 % off the land price, 50 % off the permit fees and …', in the reader's language."""
    parts = [_phrase(key, figures[key]) for key in incentives.FIGURES if figures.get(key)]
    return format_list(parts, locale=get_locale()) if parts else gettext("nothing")


def investor_reason(rule: str, detail: dict, result: dict) -> str | None:
    """One sentence per rule an estimate applied; None for a rule the investor is not told."""
    inputs = result["inputs"]
    figures = figures_text(detail)
    if rule == "tier" and detail.get("min_investment"):
        return gettext(
            "For a planned investment of at least %(amount)s: %(figures)s.",
            amount=money(detail["min_investment"]),
            figures=figures,
        )
    if rule == "tier":
        return gettext("Every project, whatever its size: %(figures)s.", figures=figures)
    if rule == "priority":
        return gettext(
            "%(industry)s is one of the park's priority industries, which adds %(figures)s.",
            industry=industry_name(inputs["industry"]),
            figures=figures,
        )
    if rule == "intensity" and current_language() == "zh":
        return gettext(
            "You plan to invest at least %(amount)s per mu of land, an intensive use of land, "
            "which adds %(figures)s.",
            amount=money(detail["per_mu_min"]),
            figures=figures,
        )
    if rule == "intensity":
        per_ha = Decimal(detail["per_mu_min"]) * m2_to_mu(HECTARE_M2)  # 15 mu to the hectare
        return gettext(
            "You plan to invest at least %(amount)s per hectare of land, an intensive use of "
            "land, which adds %(figures)s.",
            amount=money(per_ha),
            figures=figures,
        )
    if rule == "on_time":
        return gettext(
            "Construction starts by the deadline, which adds the on-time bonus: %(figures)s.",
            figures=figures,
        )
    if rule == "early":
        counted = int(detail["months"])
        early = int(result.get("months_early") or counted)
        if early > counted:
            return ngettext(
                "Construction starts %(early)d full months before the deadline; the first "
                "%(num)d month counts and adds %(figures)s.",
                "Construction starts %(early)d full months before the deadline; the first "
                "%(num)d months count and add %(figures)s.",
                counted,
                early=early,
                figures=figures,
            )
        return ngettext(
            "Construction starts %(num)d full month before the deadline, which adds %(figures)s.",
            "Construction starts %(num)d full months before the deadline, which adds %(figures)s.",
            counted,
            figures=figures,
        )
    if rule == "cap":
        return gettext(
            "The policy sets upper limits, so the package stops at %(figures)s.", figures=figures
        )
    return None


# -- for staff (a project's page in the CRM) --------------------------------------------------


def staff_figures_text(detail: dict, years: int = 0) -> str:
    """Figures in words: 5% off the land price, 30% off the permit fees and 30% of … refunded."""
    parts = [
        _phrase(key, detail[key]) for key in ("land_price_pct", "permit_fee_pct") if detail.get(key)
    ]
    if detail.get("tax_refund_pct"):
        pct = percent(detail["tax_refund_pct"])
        if years:
            parts.append(
                ngettext(
                    "%(pct)s of the county's share of corporate income tax refunded for "
                    "%(num)d year",
                    "%(pct)s of the county's share of corporate income tax refunded for "
                    "%(num)d years",
                    years,
                    pct=pct,
                )
            )
        else:
            parts.append(
                gettext("%(pct)s of the county's share of corporate income tax refunded", pct=pct)
            )
    return format_list(parts, locale=str(get_locale() or "zh")) if parts else ""


def staff_reason(rule: str, detail: dict, state: str, years: int, industry: str) -> str:
    """One sentence for one rule a project's package applies (state: core.incentives' clock)."""
    if rule == "tier":
        if detail["min_investment"]:
            return gettext(
                "Investment of at least %(amount)s: %(figures)s.",
                amount=money(detail["min_investment"]),
                figures=staff_figures_text(detail, years),
            )
        return gettext(
            "Base package for any investment: %(figures)s.",
            figures=staff_figures_text(detail, years),
        )
    if rule == "priority":
        return gettext(
            "A priority industry of the park (%(industry)s): %(figures)s.",
            industry=industry_name(industry),
            figures=staff_figures_text(detail),
        )
    if rule == "intensity":
        return gettext(
            "Land used intensively, at least %(amount)s of investment per mu: %(figures)s.",
            amount=money(detail["per_mu_min"]),
            figures=staff_figures_text(detail),
        )
    if rule == "on_time":
        if state == "open":  # counted in the figures, kept only if construction starts in time
            return gettext(
                "Construction starting by the deadline, still to win: %(figures)s.",
                figures=staff_figures_text(detail),
            )
        return gettext(
            "Construction started by the deadline: %(figures)s.",
            figures=staff_figures_text(detail),
        )
    if rule == "early":
        return ngettext(
            "Construction started %(num)d full month before the deadline: %(figures)s.",
            "Construction started %(num)d full months before the deadline: %(figures)s.",
            detail["months"],
            figures=staff_figures_text(detail),
        )
    if rule == "cap":
        return gettext(
            "Limited to the policy's maximum: %(figures)s.", figures=staff_figures_text(detail)
        )
    return rule  # a rule added to core.incentives before it has its sentence here


def policy_status(policy: dict) -> str:
    """What a policy's figures are worth, said the same on every page, in the estimator and in
    mails: indicative while the county drafts it, citing its document once adopted."""
    if policy["status"] == "adopted":
        return gettext(
            "Adopted on %(date)s (%(document)s).",
            date=format_date(policy["adopted_on"], "long"),
            document=translated(policy["document"]),
        )
    if policy["status"] == "superseded":
        return gettext("Superseded: projects signed under it keep its terms.")
    return gettext(
        "The written policy is still being drafted: its figures are indicative, and the "
        "terms for your project are confirmed in your investment agreement."
    )
