"""The project form (figures, deadlines, people, plots) and the stage form (stage and proof)."""

from datetime import date
from decimal import Decimal

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import and_, or_, select
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from core.extensions import db
from core.forms import Form
from core.i18n import area
from core.models import EVIDENCE_KINDS, PROJECT_STAGES, Plot, Project, User
from core.stages import PROJECT_STAGE_LABELS
from crm.enterprises.forms import whole_number, zone_name
from crm.events.forms import CheckboxList
from crm.leads.forms import MAX_INVESTMENT, TOO_LONG, amount_field, single_line

# jobs_planned is an INTEGER column; no project in a county park plans a million jobs.
MAX_JOBS = 1_000_000
EVIDENCE_LABELS = {
    "document": _l("An uploaded document (PDF, JPEG or PNG)"),
    "reference": _l("A reference to a paper document (its number or title)"),
}
assert set(EVIDENCE_LABELS) == set(EVIDENCE_KINDS)
# The project's own fields this form edits; the audit trail and conflicts use these names.
PROJECT_FIELDS = (
    "investment",
    "capital_arrived",
    "jobs_planned",
    "construction_deadline",
    "production_deadline",
    "policy_version",
    "liaison_id",
    "agent_id",
)
STAFF_ROLES = ("admin", "manager", "officer")


def _people(roles: tuple[str, ...], keep: User | None) -> list[SelectChoice]:
    users = db.session.scalars(
        select(User).where(User.active.is_(True), User.role.in_(roles)).order_by(User.name)
    ).all()
    if keep is not None and keep not in users:  # deactivated since: stays while still named
        users.append(keep)
    return [SelectChoice("", _l("Nobody yet")), *(SelectChoice(str(u.id), u.name) for u in users)]


def offered_plots(project: Project, today: date) -> list[Plot]:
    """Plots the project may take: free ones, its own, and those reserved for its lead."""
    return list(
        db.session.scalars(
            select(Plot)
            .where(
                or_(
                    Plot.status == "available",
                    Plot.id.in_([p.id for p in project.plots]),
                    and_(Plot.status == "reserved", Plot.reserved_for_id == project.lead_id),
                    # A reservation past its last day holds nothing, even before cron releases it.
                    and_(Plot.status == "reserved", Plot.reserved_until < today),
                )
            )
            .order_by(Plot.code)
        )
    )


class ProjectForm(Form):
    investment = StringField(
        _l("Investment (CNY)"),
        validators=[Length(max=30, message=TOO_LONG), amount_field(MAX_INVESTMENT)],
    )
    capital_arrived = StringField(
        _l("Capital arrived to date (CNY)"),
        validators=[Length(max=30, message=TOO_LONG), amount_field(MAX_INVESTMENT)],
    )
    jobs_planned = StringField(
        _l("Jobs planned"),
        validators=[Length(max=20, message=TOO_LONG), whole_number(0, MAX_JOBS)],
    )
    construction_deadline = DateField(_l("Construction to start by"), validators=[Optional()])
    production_deadline = DateField(_l("Production to start by"), validators=[Optional()])
    policy_version = StringField(
        _l("Incentive policy version"),
        validators=[Optional(), single_line, Length(max=20, message=TOO_LONG)],
    )
    liaison_id = SelectField(_l("Liaison leader"))
    agent_id = SelectField(_l("Park agent"))
    # Not checked against the choices: a plot taken meanwhile gets the rules' own message.
    plots = CheckboxList(_l("Plots"), coerce=int, validate_choice=False)
    version = HiddenField()
    # The values the form was opened with, to show what someone else changed meanwhile.
    original = HiddenField()

    def fill_choices(self, project: Project, today: date) -> None:
        self.signed_on = project.signed_on
        self.liaison_id.choices = _people(("leader",), project.liaison)
        self.agent_id.choices = _people(STAFF_ROLES, project.agent)
        self.offered = offered_plots(project, today)
        self.plots.choices = [SelectChoice(p.id, self.plot_label(p)) for p in self.offered]

    @staticmethod
    def plot_label(plot: Plot) -> str:
        return f"{plot.code} · {zone_name(plot.zone)} · {area(plot.area_m2)}"

    def validate_capital_arrived(self, field) -> None:
        investment = getattr(self.investment, "amount", None)
        capital = getattr(field, "amount", None)
        if investment is not None and capital is not None and capital > investment:
            raise ValidationError(_l("The capital arrived cannot be more than the investment."))

    def validate_construction_deadline(self, field) -> None:
        if field.data and field.data < self.signed_on:
            raise ValidationError(_l("The deadline cannot be before the signing."))

    def validate_production_deadline(self, field) -> None:
        if not field.data:
            return
        if field.data < self.signed_on:
            raise ValidationError(_l("The deadline cannot be before the signing."))
        start = self.construction_deadline.data
        if start and field.data < start:
            raise ValidationError(_l("Production cannot be due before the start of construction."))

    def values(self) -> dict:
        """The submitted values, typed as the Project model holds them (plots as ids)."""
        return {
            "investment": self.investment.amount,
            "capital_arrived": self.capital_arrived.amount or Decimal("0.00"),
            "jobs_planned": self.jobs_planned.number,
            "construction_deadline": self.construction_deadline.data,
            "production_deadline": self.production_deadline.data,
            "policy_version": (self.policy_version.data or "").strip(),
            "liaison_id": int(self.liaison_id.data) if self.liaison_id.data else None,
            "agent_id": int(self.agent_id.data) if self.agent_id.data else None,
            "plots": sorted(set(self.plots.data or [])),
        }


class StageForm(Form):
    # Not checked against the choices: core.projects.reach says why a stage cannot be recorded.
    stage = SelectField(
        _l("Stage"), validators=[DataRequired(_l("Choose a stage."))], validate_choice=False
    )
    reached_on = DateField(
        _l("Day reached"), validators=[DataRequired(_l("Enter the day as a date."))]
    )
    evidence_kind = RadioField(
        _l("Evidence"),
        choices=[SelectChoice(kind, label) for kind, label in EVIDENCE_LABELS.items()],
        validators=[DataRequired(_l("Choose the kind of evidence."))],
    )
    reference = StringField(
        _l("Reference"), validators=[Optional(), single_line, Length(max=300, message=TOO_LONG)]
    )
    document = FileField(_l("Document"))
    version = HiddenField()

    def fill_choices(self, project: Project) -> None:
        current = PROJECT_STAGES.index(project.stage)
        choices = [
            SelectChoice(
                project.stage,
                gettext(
                    "%(stage)s (add or replace its proof)",
                    stage=PROJECT_STAGE_LABELS[project.stage],
                ),
            )
        ]
        if current + 1 < len(PROJECT_STAGES):
            following = PROJECT_STAGES[current + 1]
            choices.insert(0, SelectChoice(following, PROJECT_STAGE_LABELS[following]))
        self.stage.choices = choices
