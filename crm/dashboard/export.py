"""The dashboard as a workbook: one sheet per table, every text cell neutralised (core.exports)."""

import re
import tempfile
from datetime import date
from decimal import Decimal

from flask import Response, abort, request
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from core.exports import MIMETYPES, neutralise
from crm.dashboard import bp
from crm.dashboard.board import Dashboard, build, read_year
from crm.permissions import require

# Characters a sheet title may not hold (Excel), and its length limit.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
SHEET_MAX = 31


class Share(float):
    """A part of a whole (0.25), shown as a percentage in the sheet."""


def cell(sheet, value):
    """Numbers and days stay typed (sums and dates work); text is neutralised: never a formula."""
    if isinstance(value, Share):
        shown = WriteOnlyCell(sheet, value=float(value))
        shown.number_format = "0%"
        return shown
    if (
        value is None
        or isinstance(value, (int, float, Decimal, date))
        and not isinstance(value, bool)
    ):
        return value
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def _title(text: str, taken: set[str]) -> str:
    base = SHEET_FORBIDDEN.sub(" ", text).strip()[:SHEET_MAX] or "Sheet"
    title, n = base, 2
    while title.lower() in taken:  # Excel compares sheet names without case
        suffix = f" {n}"
        title, n = base[: SHEET_MAX - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def sheets(board: Dashboard) -> list[tuple[str, list, list[list]]]:
    """(title, header, rows) for every table of the dashboard."""
    out = []
    out.append(
        (
            gettext("Targets"),
            [gettext("Target"), gettext("Target figure"), gettext("Actual"), gettext("Share")],
            [
                [m.name, m.target, m.actual, Share(m.actual / m.target) if m.target else None]
                for m in board.measures
            ]
            + [[gettext("Investment signed (CNY)"), None, board.investment["total"], None]],
        )
    )
    monthly_head = [gettext("Month")]
    for m in board.measures:
        monthly_head += [
            gettext("%(measure)s: in the month", measure=m.name),
            gettext("%(measure)s: cumulative", measure=m.name),
        ]
    monthly_head += [
        gettext("Investment signed (CNY): in the month"),
        gettext("Investment signed (CNY): cumulative"),
    ]
    monthly_rows = []
    for i, month in enumerate(board.months):
        row = [month]
        for m in board.measures:
            row += [m.monthly[i], m.cumulative[i]]
        row += [board.investment["monthly"][i], board.investment["cumulative"][i]]
        monthly_rows.append(row)
    out.append((gettext("By month"), monthly_head, monthly_rows))
    out.append(
        (
            gettext("Zone deadlines"),
            [
                gettext("Zone"),
                gettext("Rule"),
                gettext("Deadline"),
                gettext("Projects signed"),
                gettext("Under construction by the deadline"),
                gettext("Share"),
                gettext("Target"),
            ],
            [
                [
                    z["zone"],
                    z["rule"],
                    z["deadline"],
                    z["signed"],
                    z["started"],
                    Share(z["started"] / z["signed"]) if z["signed"] else None,
                    z["verdict"],
                ]
                for z in board.zones
            ],  # fmt: skip
        )
    )
    project_head = [
        gettext("Project"),
        gettext("Stage"),
        gettext("Zone"),
        gettext("Investment (CNY)"),
        gettext("Signed on"),
    ]
    out.append(
        (
            gettext("Projects at risk"),
            [*project_head, gettext("Why")],
            [
                [r.name, r.stage, r.zone, r.investment, r.signed_on, "; ".join(r.reasons)]
                for r in board.risks
            ],
        )
    )
    for group in board.majors:
        out.append(
            (
                gettext("Major projects %(label)s", label=group["label"]),
                project_head,
                [[r.name, r.stage, r.zone, r.investment, r.signed_on] for r in group["rows"]],
            )
        )
    out.append(
        (
            gettext("Lead funnel"),
            [
                gettext("Stage"),
                gettext("Leads that reached it"),
                gettext("Next stage"),
                gettext("Went on to the next stage"),
                gettext("Leads that moved on"),
                gettext("Median days"),
            ],
            [
                [
                    r["label"],
                    r["reached"],
                    r["next"],
                    Share(r["reached_next"] / r["reached"])
                    if r.get("reached_next") is not None and r["reached"]
                    else None,
                    r["stays"],
                    r["median"],
                ]
                for r in board.funnel["rows"]
            ],  # fmt: skip
        )
    )
    for table in board.breakdowns:
        out.append(
            (
                table["head"],
                [
                    table["head"],
                    gettext("Leads created"),
                    gettext("Projects signed"),
                    gettext("Investment signed (CNY)"),
                ],
                [[r["label"], r["leads"], r["signed"], r["investment"]] for r in table["rows"]],
            )
        )
    return out


def workbook(board: Dashboard, out) -> None:
    book = Workbook(write_only=True)
    taken: set[str] = set()
    for title, header, rows in sheets(board):
        sheet = book.create_sheet(title=_title(title, taken))
        sheet.append([cell(sheet, h) for h in header])
        for row in rows:
            sheet.append([cell(sheet, v) for v in row])
    book.save(out)


@bp.route("/dashboard.xlsx")
@require("report.view")
def dashboard_export():
    year, problem = read_year(request.args.get("year"))
    if problem:
        abort(400)
    board = build(year)
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        workbook(board, out)
        out.seek(0)
        data = out.read()
    response = Response(data, mimetype=MIMETYPES["xlsx"])
    response.headers["Content-Disposition"] = f'attachment; filename="dashboard-{year}.xlsx"'
    return response
