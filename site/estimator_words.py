"""The estimator's plain words: the results (rules from core.incentive_words), the on-time bonus,
a stored estimate's rows."""

from decimal import Decimal

from babel.lists import format_list
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l

from core import choices, incentives
from core.i18n import area_mu, money, translated
from core.incentive_words import PHRASES, figures_text, investor_reason, percent, policy_status
from public_site import bp
from public_site.inquiry.labels import LABELS

ROW_LABELS = {
    "land_price_pct": _l("Land price reduction"),
    "permit_fee_pct": _l("Permit fee reduction"),
    "tax_refund_pct": _l("Refund of the county's share of corporate income tax"),
}


def start_label(value: str | int) -> str:
    months = int(value) if str(value).isdigit() else None
    if months == 0:
        return gettext("Within 1 month of signing")
    if months is None or months > 12:
        return gettext("Later than 12 months after signing")
    return ngettext("%(num)d month after signing", "%(num)d months after signing", months)


def years_text(years: int) -> str:
    return ngettext("%(num)d year", "%(num)d years", int(years)) if years else "—"


def tax_text(figures: dict) -> str:
    pct, years = figures.get("tax_refund_pct", 0), figures.get("tax_refund_years", 0)
    if not pct:
        return percent(0)
    return gettext("%(pct)s for %(years)s", pct=percent(pct), years=years_text(years))


def _bonus_texts(policy: dict, inputs: dict, result: dict) -> list[str]:
    """The on-time bonus: the deadline, what starting on time and early adds, what late costs."""
    months = int(policy["construction_months"])
    per_month = policy.get("early_per_month") or {}
    texts = [
        ngettext(
            "Construction must start within %(num)d month of signing the investment agreement: "
            "that is the deadline.",
            "Construction must start within %(num)d months of signing the investment agreement: "
            "that is the deadline.",
            months,
        ),
        gettext(
            "Starting by the deadline adds %(figures)s.", figures=figures_text(policy["on_time"])
        ),
    ]
    if per_month.get("max_months"):
        texts.append(
            ngettext(
                "Each full month earlier adds a further %(figures)s, counted for up to "
                "%(num)d month.",
                "Each full month earlier adds a further %(figures)s, counted for up to "
                "%(num)d months.",
                int(per_month["max_months"]),
                figures=figures_text(per_month),
            )
        )
    land = Decimal(inputs["land_mu"]) if inputs["land_mu"] is not None else None
    stake = incentives.at_stake(policy, Decimal(inputs["investment"]), inputs["industry"], land)
    if not any(stake.values()):
        texts.append(
            gettext(
                "Your package already reaches the policy's upper limits, so the start of "
                "construction does not change it."
            )
        )
    elif result["on_time"]:
        texts.append(
            gettext(
                "You plan to start by the deadline, so the bonus is included. If construction "
                "started after the deadline, you would lose at least %(figures)s.",
                figures=figures_text(stake),
            )
        )
    else:
        texts.append(
            gettext(
                "You plan to start after the deadline, so the bonus is not included. Starting by "
                "the deadline would add %(figures)s.",
                figures=figures_text(stake),
            )
        )
    return texts


def explain(policy: dict, inputs: dict, result: dict) -> dict:
    """What the results part of the estimator page shows."""
    # Beside the visitor's package: the other side of the deadline, for comparison.
    other_start = policy["construction_months"] + (1 if result["on_time"] else 0)
    other = incentives.estimate(
        policy,
        Decimal(inputs["investment"]),
        inputs["industry"],
        Decimal(inputs["land_mu"]) if inputs["land_mu"] is not None else None,
        int(other_start),
    )["total"]
    total = result["total"]
    rows = [
        (str(ROW_LABELS[key]), percent(total[key]), percent(other[key]))
        for key in incentives.FIGURES
    ]
    rows.append(
        (
            gettext("Years of tax refund"),
            years_text(total["tax_refund_years"]),
            years_text(other["tax_refund_years"]),
        )
    )
    reasons = [investor_reason(rule, detail, result) for rule, detail in result["reasons"]]
    return {
        "title": translated(policy["title"]),
        "version": result["version"],
        "status": policy_status(policy),
        "rows": rows,
        "other_label": gettext("If construction starts after the deadline")
        if result["on_time"]
        else gettext("If construction starts on the deadline"),
        "reasons": [text for text in reasons if text],
        "bonus": _bonus_texts(policy, inputs, result),
        "inputs": input_rows(result["inputs"]),
    }


def input_rows(inputs: dict) -> list[tuple[str, str]]:
    """The figures an estimate was made from (its "inputs"), labelled as on the inquiry form."""
    land = inputs["land_mu"]
    return [
        (str(LABELS["investment"]), money(Decimal(inputs["investment"]))),
        (str(LABELS["industry"]), choices.industry_name(inputs["industry"])),
        (
            str(LABELS["land_need"]),
            area_mu(Decimal(land)) if land is not None else gettext("Not given"),
        ),
        (gettext("Planned start of construction"), start_label(inputs["months_after_signing"])),
    ]


@bp.app_template_global()
def estimate_rows(estimate: dict | None) -> list[tuple[str, str]]:
    """A stored estimate (Inquiry.estimate) labelled for the bureau's email and the CRM."""
    try:
        total = estimate["total"]
        return [
            (gettext("Incentive policy version"), str(estimate["version"])),
            *input_rows(estimate["inputs"]),
            *(
                (str(ROW_LABELS[k]), percent(total[k]))
                for k in ("land_price_pct", "permit_fee_pct")
            ),
            (str(ROW_LABELS["tax_refund_pct"]), tax_text(total)),
            (
                gettext("On-time bonus"),
                gettext("Included") if estimate["on_time"] else gettext("Not included"),
            ),
        ]
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return []  # an estimate stored in an older shape is left out, not a crash


def estimate_summary(result: dict) -> str:
    """One line for the inquiry form: the package the inquiry carries."""
    total = result["total"]
    parts = [
        str(PHRASES[k]) % {"pct": percent(total[k])} for k in ("land_price_pct", "permit_fee_pct")
    ]
    parts.append(gettext("tax refund: %(refund)s", refund=tax_text(total)))
    return format_list(parts, locale=get_locale())
