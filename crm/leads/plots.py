"""Plots reserved for a lead: the panel on the lead page, reserving and releasing."""

from datetime import date, timedelta

from flask import abort, flash, g, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select
from wtforms import DateField, SelectField
from wtforms.validators import DataRequired, ValidationError

from core import projects
from core.content import get_content
from core.extensions import db
from core.forms import Form
from core.i18n import area, translated
from core.i18n import date as date_text
from core.models import Lead, Plot
from core.unit_of_work import saved
from crm.leads import bp
from crm.leads.detail import lead as lead_page
from crm.permissions import MAX_ID, allowed, can, get_lead_or_404, require

# The last day a new reservation gets unless staff choose another.
DEFAULT_DAYS = 30
# Field ids unique on the lead page, which holds other forms.
PREFIX = "reserve"
STALE = _l("The plot was changed by someone else meanwhile. Nothing was saved: try again.")


def a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the year after has none
        return day + timedelta(days=365)


def _plot_id(value) -> int | None:
    """The chosen plot's id, or None for anything that cannot be one (no error from WTForms)."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text) if 0 < int(text) <= MAX_ID else None


class ReserveForm(Form):
    # Not checked against the choices: the view looks the plot up and says why it cannot be had.
    plot = SelectField(
        _l("Plot"),
        coerce=_plot_id,
        validate_choice=False,
        validators=[DataRequired(_l("Choose a plot from the list."))],
    )
    until = DateField(
        _l("Last day"),
        default=lambda: projects.park_today() + timedelta(days=DEFAULT_DAYS),
        validators=[DataRequired(_l("Enter the last day as a date."))],
    )

    def validate_until(self, field) -> None:
        today = projects.park_today()
        if field.data < today:
            raise ValidationError(gettext("The reservation must end today or later."))
        if field.data > a_year_after(today):
            raise ValidationError(
                gettext(
                    "A reservation lasts at most a year: the last day can be %(date)s at the "
                    "latest.",
                    date=date_text(a_year_after(today)),
                )
            )


def reservable(today: date):
    """Plots that can be reserved: available ones, and those whose reservation is past its last
    day but not yet released by the nightly command. A plot marked reserved without a lead (in the
    content data) is held by someone outside the CRM, so it is not offered."""
    return or_(
        Plot.status == "available",
        and_(Plot.status == "reserved", Plot.reserved_until < today),
    )


def may_reserve(lead: Lead) -> bool:
    return (
        allowed("plot.reserve")
        and can("lead.view", lead)
        and lead.merged_into_id is None
        and lead.stage != "lost"
    )


def _choices(today: date) -> list[tuple]:
    zones = {zone["code"]: zone["name"] for zone in get_content().site["zones"]}
    plots = db.session.scalars(select(Plot).where(reservable(today)).order_by(Plot.code))
    return [("", gettext("Choose a plot"))] + [
        (
            plot.id,
            f"{plot.code} · {translated(zones.get(plot.zone, plot.zone))} · {area(plot.area_m2)}",
        )
        for plot in plots
    ]


def reservations(lead: Lead) -> dict:
    """What the lead page's reservation panel shows; after a refused reservation, the form sent."""
    today = projects.park_today()
    held = db.session.scalars(
        select(Plot)
        .where(Plot.reserved_for_id == lead.id, Plot.status == "reserved")
        .order_by(Plot.code)
    ).all()
    form, problems = g.get("plot_reserve", (None, []))
    if may_reserve(lead):
        form = form or ReserveForm(formdata=None, prefix=PREFIX)
        form.plot.choices = _choices(today)
    else:
        form = None
    return {
        "plots": held,
        "may_release": allowed("plot.reserve"),
        "form": form,
        "problems": problems,
        "today": today,
        "last_day": a_year_after(today),
    }


@bp.app_context_processor
def reservations_helper():
    # The lead page shows the panel without its view knowing about reservations.
    return {"plot_reservations": reservations}


def _refused(lead_id: int, form: ReserveForm, problems: list[str]):
    """The lead page again, with the form as sent and what is wrong with it; nothing written."""
    db.session.rollback()
    g.plot_reserve = (form, problems)
    return lead_page(lead_id), 422


@bp.route("/leads/<int:lead_id>/plots/reserve", methods=["GET", "POST"])
@require("plot.reserve")
def lead_plot_reserve(lead_id: int):
    lead = get_lead_or_404(lead_id, "lead.view")
    if request.method == "GET":
        # A refused reservation re-shows the lead page at this address: forms on that page which
        # come back "here" afterwards (the pipeline panel's) land on the lead page.
        return redirect(url_for("crm.leads.lead", lead_id=lead.id))
    form = ReserveForm(prefix=PREFIX)
    if lead.stage == "lost":
        return _refused(lead_id, form, [gettext("A lost lead cannot hold a plot.")])
    valid = form.validate_on_submit()
    plot = db.session.get(Plot, form.plot.data) if form.plot.data is not None else None
    if form.plot.data is not None and plot is None:
        form.plot.errors.append(gettext("Choose a plot from the list."))
    elif plot is not None and not db.session.scalar(
        select(Plot.id).where(Plot.id == plot.id, reservable(projects.park_today()))
    ):
        form.plot.errors.append(gettext("Plot %(code)s is not available.", code=plot.code))
    if not valid or form.plot.errors:
        return _refused(lead_id, form, [])
    try:
        projects.reserve(plot, lead, form.until.data)
    except projects.Refused as refusal:
        return _refused(lead_id, form, [str(refusal)])
    if not saved():
        return _refused(lead_id, form, [str(STALE)])
    flash(
        gettext(
            "Plot %(code)s is reserved for this lead until %(date)s.",
            code=plot.code,
            date=date_text(form.until.data),
        ),
        "success",
    )
    return redirect(url_for("crm.leads.lead", lead_id=lead.id))


@bp.route("/leads/<int:lead_id>/plots/<int:plot_id>/release", methods=["POST"])
@require("plot.reserve")
def lead_plot_release(lead_id: int, plot_id: int):
    lead = get_lead_or_404(lead_id, "lead.view")
    plot = db.session.get(Plot, plot_id) if 0 < plot_id <= MAX_ID else None
    if plot is None or plot.status != "reserved" or plot.reserved_for_id != lead.id:
        abort(404)
    # CSRF is checked for every POST before the view (core: CSRFProtect); no other input.
    projects.release(plot)
    if not saved():
        flash(str(STALE), "error")
    else:
        flash(
            gettext("Plot %(code)s was released: it is available again.", code=plot.code), "success"
        )
    return redirect(url_for("crm.leads.lead", lead_id=lead.id))
