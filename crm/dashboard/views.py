"""The targets dashboard page and its printable version (figures: crm/dashboard/board.py)."""

from flask import render_template, request

from core import projects, targets
from core.i18n import money_compact, number
from crm.dashboard import bp
from crm.dashboard.board import build, read_year, years_offered
from crm.permissions import require


def _page(template: str):
    year, problem = read_year(request.args.get("year"))
    return render_template(
        template,
        board=build(year),
        years=years_offered(year),
        problem=problem,
        today=projects.park_today(),
        risk_days=targets.at_risk_days(),
        formats={"number": number, "money": money_compact},
    ), (400 if problem else 200)


@bp.route("/dashboard")
@require("report.view")
def dashboard():
    return _page("crm/dashboard/page.html")


@bp.route("/dashboard/print")
@require("report.view")
def dashboard_print():
    return _page("crm/dashboard/print.html")
