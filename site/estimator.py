"""The public incentive estimator: a project's figures → the indicative package, in plain words."""

import re
from decimal import Decimal, InvalidOperation

from flask import current_app, make_response, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from wtforms import Form, SelectField, StringField
from wtforms.validators import DataRequired, ValidationError

from core import choices, incentives
from core.content import get_content
from core.i18n import current_language, money, number
from core.projects import park_today
from core.units import m2_to_ha, m2_to_mu, mu_to_m2
from public_site import bp
from public_site.estimator_words import explain, start_label
from public_site.inquiry.labels import LABELS
from public_site.land_filters import MAX_AREA_M2, MAX_INPUT, page_unit, parse_quantity
from public_site.rendering import render_page

TEMPLATE = "site/estimator.html"
# CNY 100 bn, a hundred times the top tier: anything above is a typo, not a plan.
MAX_INVESTMENT = Decimal(100_000_000_000)
M2_PER_HA = Decimal(10000)
LATER = "later"
# Months from signing to the start of construction; "0" reads "within 1 month of signing".
STARTS = [str(n) for n in range(13)] + [LATER]
INPUT_KEYS = ("investment", "industry", "land_mu", "start")
# Whole yuan, grouped the way people type them: 200,000,000 / 200.000.000 / 2,0000,0000.
WHOLE_YUAN = re.compile(r"\d+|\d{1,3}(?:,\d{3})+|\d{1,3}(?:\.\d{3})+|\d{1,4}(?:,\d{4})+")
MINUS = ("-", "\u2212")

# -- reading the figures ------------------------------------------------------------------------


def parse_amount(raw: str) -> Decimal:
    """Whole yuan as typed, with or without grouping; ValueError for anything else."""
    text = re.sub(r"[\s'’]", "", raw)
    if len(text) > MAX_INPUT or not WHOLE_YUAN.fullmatch(text):
        raise ValueError(raw)
    return Decimal(re.sub(r"[.,]", "", text))


def _canonical(value: Decimal) -> str:
    """200000000, 30, 2.5: no exponent and no trailing zeros, so equal figures give equal links."""
    return format(value.normalize(), "f")


def _check_investment(form, field) -> None:
    raw = (field.data or "").strip()
    if raw.startswith(MINUS):
        raise ValidationError(gettext("Enter an amount greater than zero."))
    try:
        amount = parse_amount(raw)
    except ValueError:
        raise ValidationError(
            gettext(
                "Enter the amount in yuan as a whole number, for example %(example)s.",
                example=number(200_000_000),
            )
        ) from None
    if amount <= 0:
        raise ValidationError(gettext("Enter an amount greater than zero."))
    if amount > MAX_INVESTMENT:
        raise ValidationError(gettext("Enter at most %(amount)s.", amount=money(MAX_INVESTMENT)))
    field.amount = amount


def _check_land(form, field) -> None:
    """Optional; in the page's unit, kept in mu to the park's precision (0.01 mu)."""
    field.mu = None
    raw = (field.data or "").strip()
    if not raw:
        return
    if raw.startswith(MINUS):
        raise ValidationError(gettext("Enter an area greater than zero, or leave the field empty."))
    try:
        if len(raw) > MAX_INPUT:
            raise ValueError(raw)
        value = parse_quantity(raw)
    except ValueError:
        raise ValidationError(
            gettext(
                "Enter the area as a number, for example %(example)s.",
                example=number(Decimal("1.5"), 1),
            )
        ) from None
    m2 = mu_to_m2(value) if form.unit == "mu" else value * M2_PER_HA
    if m2 > MAX_AREA_M2:
        raise ValidationError(
            gettext("That is more than twice the whole park. Enter the land your plant needs.")
        )
    mu = value.quantize(Decimal("0.01")) if form.unit == "mu" else m2_to_mu(m2)
    if mu <= 0:
        raise ValidationError(gettext("Enter an area greater than zero, or leave the field empty."))
    field.mu = mu


class EstimatorForm(Form):
    """A GET form: nothing is stored, so no CSRF token. Only the page's land field is kept."""

    investment = StringField(
        _l("Planned investment in yuan (CNY)"),
        validators=[DataRequired(_l("Enter the amount you plan to invest.")), _check_investment],
    )
    industry = SelectField(
        LABELS["industry"],
        validators=[DataRequired(_l("Choose your industry, or “Other industry”."))],
        invalid_choice_message=_l("Choose your industry from the list."),
    )
    land_mu = StringField(_l("Land needed in mu"), validators=[_check_land])
    land_ha = StringField(_l("Land needed in hectares"), validators=[_check_land])
    start = SelectField(
        _l("Planned start of construction"),
        validators=[DataRequired(_l("Choose when you plan to start construction."))],
        invalid_choice_message=_l("Choose a start from the list."),
    )

    def __init__(self, formdata, unit: str):
        super().__init__(formdata)
        self.unit = unit
        del self["land_ha" if unit == "mu" else "land_mu"]
        self.industry.choices = choices.industry_choices()
        self.start.choices = [("", gettext("Choose when"))] + [
            (value, start_label(value)) for value in STARTS
        ]

    @property
    def land(self):
        return self[f"land_{self.unit}"]

    def inputs(self) -> dict:
        """The checked figures, in the form a link and the inquiry carry them."""
        mu = self.land.mu
        return {
            "investment": _canonical(self.investment.amount),
            "industry": self.industry.data,
            "land_mu": _canonical(mu) if mu is not None else None,
            "start": self.start.data,
        }


def _in_page_unit(args, unit: str):
    """After a language switch the land arrives in the other unit: show it in this page's."""
    args = args.copy()
    other = "ha" if unit == "mu" else "mu"
    raw = args.get(f"land_{other}", "").strip()
    if args.get(f"land_{unit}") or not raw:
        return args
    try:
        value = parse_quantity(raw) if len(raw) <= MAX_INPUT else None
    except ValueError:
        value = None
    if value is None:
        args[f"land_{unit}"] = raw  # refused next to the field, as typed
    elif unit == "mu":
        args["land_mu"] = _canonical(m2_to_mu(value * M2_PER_HA))
    else:
        args["land_ha"] = _canonical(m2_to_ha(mu_to_m2(value)))
    return args


def url_args(inputs: dict, lang: str) -> dict:
    """Query arguments that show these inputs again on the estimator page in lang."""
    args = {"investment": inputs["investment"], "industry": inputs["industry"]}
    if inputs["land_mu"] is not None:
        mu = Decimal(inputs["land_mu"])
        if page_unit(lang) == "mu":
            args["land_mu"] = inputs["land_mu"]
        else:
            args["land_ha"] = _canonical(m2_to_ha(mu_to_m2(mu)))
    args["start"] = inputs["start"]
    return args


# -- the token the inquiry carries ----------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="estimate")


def token_for(inputs: dict) -> str:
    return _serializer().dumps({key: inputs[key] for key in INPUT_KEYS})


def clean_inputs(data) -> dict | None:
    """Inputs from a token checked again (the industry list may have changed); else None."""
    if not isinstance(data, dict) or set(data) != set(INPUT_KEYS):
        return None
    if not all(isinstance(data[key], str) for key in ("investment", "industry", "start")):
        return None
    industries = {i["code"] for i in get_content().site["industries"]} | {choices.OTHER_INDUSTRY}
    try:
        amount = parse_amount(str(data["investment"]))
        land = None if data["land_mu"] is None else Decimal(str(data["land_mu"]))
    except (ValueError, InvalidOperation):
        return None
    if not 0 < amount <= MAX_INVESTMENT or data["industry"] not in industries:
        return None
    if land is not None and not (land.is_finite() and land > 0 and mu_to_m2(land) <= MAX_AREA_M2):
        return None
    if data["start"] not in STARTS:
        return None
    return {
        "investment": _canonical(amount),
        "industry": data["industry"],
        "land_mu": _canonical(land) if land is not None else None,
        "start": data["start"],
    }


def inputs_from_token(token: str | None) -> dict | None:
    """The inputs of a token made by token_for; None for a missing, bad or tampered one."""
    if not token or len(token) > 1000:
        return None
    try:
        return clean_inputs(_serializer().loads(token))
    except BadData:
        return None


def months_after_signing(policy: dict, start: str) -> int:
    # "Later" is counted as past the deadline: the visitor said it will not be on time.
    return int(start) if start != LATER else max(13, int(policy["construction_months"]) + 1)


def estimate_for(inputs: dict, policy: dict | None = None) -> dict | None:
    """core.incentives.estimate of these inputs under the policy in force today in the park."""
    policy = policy or incentives.current_policy(park_today())
    if policy is None:
        return None
    land = Decimal(inputs["land_mu"]) if inputs["land_mu"] is not None else None
    months = months_after_signing(policy, inputs["start"])
    return incentives.estimate(
        policy, Decimal(inputs["investment"]), inputs["industry"], land, months
    )


# -- the page -------------------------------------------------------------------------------------


@bp.route("/incentives/estimator")
def estimator():
    unit = page_unit(current_language())
    sent = any(
        key in request.args for key in ("investment", "industry", "land_mu", "land_ha", "start")
    )
    form = EstimatorForm(_in_page_unit(request.args, unit) if sent else None, unit)
    policy = incentives.current_policy(park_today())
    # From here, not as a constant in the template: Jinja would format it once, in one language.
    example = number(200_000_000)
    if current_language() == "zh":  # Chinese readers count large sums in 亿: "200,000,000（2亿元）"
        example = f"{example}（{money(200_000_000)}）"
    context = {
        "form": form,
        "policy": policy,
        "result": None,
        "unit": unit,
        "example_amount": example,
    }
    if not sent:
        return render_page(TEMPLATE, **context)
    if not form.validate():
        # Not render_page: a page of errors is not worth keeping in the page cache.
        return make_response(render_template(TEMPLATE, **context), 422)
    if policy is not None:
        inputs = form.inputs()
        context["result"] = explain(policy, inputs, estimate_for(inputs, policy))
        context["inquiry_url"] = url_for("site.inquiry", estimate=token_for(inputs))
    return render_page(TEMPLATE, **context)
