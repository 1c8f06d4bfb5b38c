"""The signing form: what moving a lead to Signed asks for (core.signing checks it again)."""

from datetime import date

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import and_, or_, select
from wtforms import DateField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, ValidationError

from core import incentives
from core.extensions import db
from core.forms import Form
from core.i18n import area, translated
from core.models import Lead, Plot, User
from core.projects import park_today
from crm.enterprises.forms import zone_name
from crm.events.forms import CheckboxList
from crm.leads.forms import MAX_INVESTMENT, TOO_LONG, amount_field


def signable_plots(lead: Lead, today: date) -> list[Plot]:
    """Plots a signing may take: free ones and those held for this lead (or no longer held)."""
    return list(
        db.session.scalars(
            select(Plot)
            .where(
                or_(
                    Plot.status == "available",
                    and_(Plot.status == "reserved", Plot.reserved_for_id == lead.id),
                    and_(Plot.status == "reserved", Plot.reserved_until < today),
                )
            )
            .order_by(Plot.code)
        )
    )


def policy_choices() -> list[SelectChoice]:
    """Policy versions a signing may be made under: all but superseded ones, newest first."""
    usable = [p for p in incentives.policies().values() if p["status"] != "superseded"]
    usable.sort(key=lambda p: p["effective_from"], reverse=True)
    return [SelectChoice(str(p["version"]), _policy_label(p)) for p in usable]


def _policy_label(policy: dict) -> str:
    title = f"{policy['version']} · {translated(policy['title'])}"
    if policy["status"] == "adopted":
        return f"{title} ({translated(policy['document'])})"
    return gettext("%(title)s (draft: indicative figures)", title=title)


class SigningForm(Form):
    signed_on = DateField(
        _l("Signing date"), validators=[DataRequired(_l("Enter the signing date as a date."))]
    )
    amount = StringField(
        _l("Contract amount (CNY)"),
        validators=[
            DataRequired(_l("Enter the contract amount.")),
            Length(max=30, message=TOO_LONG),
            amount_field(MAX_INVESTMENT),
        ],
    )
    agreement = FileField(_l("Investment agreement"))
    # Not checked against the choices: a plot taken meanwhile gets the rules' own message.
    plots = CheckboxList(_l("Plots"), coerce=int, validate_choice=False)
    liaison = SelectField(_l("Liaison leader"))
    construction_deadline = DateField(
        _l("Construction to start by"),
        validators=[DataRequired(_l("Enter the start-of-construction deadline as a date."))],
    )
    policy_version = SelectField(
        _l("Incentive policy version"),
        validators=[DataRequired(_l("Choose an incentive policy version from the list."))],
    )
    version = HiddenField()
    next = HiddenField()

    def fill_choices(self, lead: Lead, today: date) -> None:
        leaders = db.session.scalars(
            select(User).where(User.role == "leader", User.active.is_(True)).order_by(User.name)
        ).all()
        self.liaison.choices = [
            SelectChoice("", _l("Nobody yet")),
            *(SelectChoice(str(u.id), u.name) for u in leaders),
        ]
        self.offered = signable_plots(lead, today)
        self.plots.choices = [SelectChoice(p.id, self.plot_label(p)) for p in self.offered]
        self.policy_version.choices = policy_choices()

    @staticmethod
    def plot_label(plot: Plot) -> str:
        return f"{plot.code} · {zone_name(plot.zone)} · {area(plot.area_m2)}"

    def validate_amount(self, field) -> None:
        if getattr(field, "amount", None) is not None and field.amount <= 0:
            raise ValidationError(_l("Enter the contract amount."))

    def validate_signed_on(self, field) -> None:
        if field.data and field.data > park_today():
            raise ValidationError(_l("The day cannot be in the future."))

    def validate_construction_deadline(self, field) -> None:
        if field.data and self.signed_on.data and field.data < self.signed_on.data:
            raise ValidationError(_l("The deadline cannot be before the signing."))
