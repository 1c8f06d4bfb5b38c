"""The land inventory: plot list with filters and the site plan, and one page per plot."""

import math
import re
from datetime import date, datetime
from decimal import Decimal
from itertools import pairwise

from babel.numbers import format_currency
from flask import abort, current_app, g, redirect, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from core.content import get_content
from core.extensions import db
from core.models import Plot
from core.units import M2_PER_MU
from public_site import bp, plot_planning
from public_site.land_filters import as_args, parse_filters
from public_site.page_cache import LRU
from public_site.rendering import render_page

STATUS_LABELS = {
    "available": _l("Available"),
    "reserved": _l("Reserved"),
    "allocated": _l("Allocated"),
}
UTILITY_LABELS = {
    "road": _l("Road"),
    "water": _l("Water"),
    "sewage": _l("Sewage"),
    "power": _l("Power"),
    "gas": _l("Gas"),
    "telecom": _l("Telecom"),
}
STATE_LABELS = {
    "ready": _l("Ready"),
    "under_construction": _l("Under construction"),
    "planned": _l("Planned"),
}
PLOT_CODE = re.compile(r"[A-Za-z0-9-]{1,16}")
# Site plan drawings kept per process (see site_plan): the filter combinations people use.
PLAN_DRAWINGS = 256
# A line's name is put where it is at least this far (plan units) from any crossing line.
LABEL_CLEARANCE = 60


def today() -> date:
    """Today in the park's time zone, which decides what 'ready within 6 months' means."""
    return datetime.now(get_timezone()).date()


# -- the site plan --------------------------------------------------------


def parse_points(text: str) -> list[tuple[float, float]]:
    """'x,y x,y ...' from content or the database; ValueError if it is not that."""
    points = [tuple(float(n) for n in pair.split(",")) for pair in str(text).split()]
    if not points or any(len(p) != 2 for p in points):
        raise ValueError(text)
    return points


def _point_along(points, fraction: float) -> tuple[float, float, float]:
    """The point at `fraction` of a polyline's length and the direction there, in degrees."""
    segments = list(pairwise(points))
    remaining = fraction * sum(math.dist(a, b) for a, b in segments)
    for a, b in segments:
        length = math.dist(a, b)
        if length and remaining <= length:
            t = remaining / length
            angle = math.degrees(math.atan2(b[1] - a[1], b[0] - a[0]))
            return a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), angle
        remaining -= length
    return points[-1][0], points[-1][1], 0.0


def _distance_to_line(point, points) -> float:
    def to_segment(a, b):
        dx, dy = b[0] - a[0], b[1] - a[1]
        span = dx * dx + dy * dy
        t = 0.0 if not span else ((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / span
        t = max(0.0, min(1.0, t))
        return math.dist(point, (a[0] + t * dx, a[1] + t * dy))

    return min((to_segment(a, b) for a, b in pairwise(points)), default=math.inf)


def _line_label(points, others) -> dict:
    """Where to write a road's or river's name: clear of crossings, as near the middle as can be."""
    best = None
    for step in range(10, 31):
        fraction = step / 40
        x, y, angle = _point_along(points, fraction)
        clearance = min((_distance_to_line((x, y), o) for o in others), default=math.inf)
        score = (min(clearance, LABEL_CLEARANCE), -abs(fraction - 0.5))
        if best is None or score > best[0]:
            best = (score, x, y, angle)
    _, x, y, angle = best
    # Keep names upright; vertical ones read bottom to top, as on printed maps.
    if angle >= 90:
        angle -= 180
    elif angle < -90:
        angle += 180
    return {"x": round(x, 1), "y": round(y, 1), "angle": round(angle, 1)}


def _lay_out(plan: dict) -> dict:
    """The plan's background features with their label positions, computed once per content."""
    zones, lines = [], []
    for feature in plan.get("features", []):
        points = parse_points(feature["points"])
        item = {
            "kind": feature["kind"],
            "code": feature.get("code", ""),
            "name": feature.get("name"),
            "points": feature["points"],
        }
        if feature["kind"] == "zone":
            left, top = min(p[0] for p in points), min(p[1] for p in points)
            # Above the zone's top edge when there is room, else just inside it.
            item["label"] = {"x": left + 6, "y": top - 8 if top >= 24 else top + 20}
            zones.append(item)
        else:
            item["coords"] = points
            lines.append(item)
    for item in lines:
        others = [o["coords"] for o in lines if o is not item]
        item["label"] = _line_label(item["coords"], others) if item["name"] else None
    for item in lines:
        del item["coords"]
    return {
        "top": plan.get("top", 0),
        "width": plan["width"],
        "height": plan["height"],
        "zones": zones,
        "rivers": [i for i in lines if i["kind"] == "river"],
        "roads": [i for i in lines if i["kind"] == "road"],
    }


def plan_layout() -> dict:
    content = get_content()
    cache = current_app.extensions.setdefault("site_plan_layout", {})
    if content.version not in cache:
        cache[content.version] = _lay_out(content["plots"]["plan"])
    return cache[content.version]


def _shapes(rows) -> list[dict]:
    """Every plot's shape on the plan, from (code, status, area_m2, outline) rows."""
    shapes = []
    for code, status, area_m2, outline in rows:
        try:
            points = parse_points(outline)
        except ValueError:
            # A plot whose outline was mangled is left off the plan, not allowed to break the page.
            continue
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        shapes.append(
            {
                "code": code,
                "status": status,
                "area_m2": area_m2,
                "points": outline,
                "cx": round((min(xs) + max(xs)) / 2, 1),
                "cy": round((min(ys) + max(ys)) / 2, 1),
            }
        )
    return shapes


@bp.record_once
def _set_up_drawings(state):
    state.app.extensions["site_plan_svg"] = LRU(PLAN_DRAWINGS)


def site_plan(matching: set[str] | None, current: str | None) -> tuple[str, int]:
    """The plan as SVG (escaped by its own template) and the number of plots drawn; one query.

    Drawing it (a link, a label and a formatted area per plot) was most of the cost of the land
    and plot pages, so each drawing is kept per language, plot rows, filter result and current
    plot. The rows themselves are the key: a change made by any process shows at once.
    """
    rows = tuple(
        tuple(row)
        for row in db.session.execute(
            select(Plot.code, Plot.status, Plot.area_m2, Plot.outline).order_by(Plot.code)
        )
    )
    key = (
        g.lang,
        request.script_root,
        get_content().version,
        rows,
        None if matching is None else frozenset(matching),
        current,
    )
    drawings = current_app.extensions["site_plan_svg"]
    drawing = drawings.get(key)
    if drawing is None:
        shapes = _shapes(rows)
        svg = current_app.jinja_env.get_template("site/_site_plan.html").render(
            plan=plan_layout(),
            plan_plots=shapes,
            status_labels=STATUS_LABELS,
            matching=matching,
            current=current,
        )
        drawing = (svg, len(shapes))
        drawings.put(key, drawing)
    return drawing


# -- prices ----------------------------------------------------------------


@bp.app_template_filter("price_per_m2")
def price_per_m2(price_per_mu: Decimal) -> str:
    """The per-mu price per square metre, to the fen, in the reader's locale."""
    value = (Decimal(price_per_mu) / M2_PER_MU).quantize(Decimal("0.01"))
    return format_currency(value, "CNY", locale=get_locale())


def total_price(plot: Plot) -> Decimal:
    return (plot.area_m2 * plot.price_per_mu / M2_PER_MU).quantize(Decimal("1"))


# -- views -----------------------------------------------------------------


def plot_labels() -> dict:
    site = get_content().site
    return {
        "status_labels": STATUS_LABELS,
        "utility_labels": UTILITY_LABELS,
        "state_labels": STATE_LABELS,
        "zones": {z["code"]: z for z in site["zones"]},
        "land_uses": {u["code"]: u for u in site["land_uses"]},
    }


@bp.route("/land")
def land():
    labels = plot_labels()
    filters = parse_filters(request.args, g.lang, labels["zones"], labels["land_uses"])
    plots = (
        db.session.scalars(
            select(Plot)
            .where(*filters.conditions(today()))
            .order_by(*filters.order_by())
            .options(joinedload(Plot.utilities))
        )
        .unique()
        .all()
    )
    svg, total = site_plan(matching={p.code for p in plots}, current=None)
    return render_page(
        "site/land.html",
        intro=get_content().page("pages", "land", g.lang),
        filters=filters,
        plots=plots,
        total=total,
        site_plan=svg,
        planning_choices=plot_planning.filter_choices(),
        planning_terms=[str(text) for text in plot_planning.EXPLAIN.values()],
        # Nothing matched: what is coming, and an inquiry that carries the search.
        coming=[] if plots else coming_plots(),
        need_args=as_args(filters),
        **labels,
    )


def coming_plots(limit: int = 3) -> list[Plot]:
    """Available plots not serviced yet, the soonest serviceable first: what is coming."""
    upcoming = (
        db.session.scalars(
            select(Plot)
            .where(Plot.status == "available")
            .options(selectinload(Plot.utilities))
            .order_by(Plot.code)
        )
        .unique()
        .all()
    )
    later = [p for p in upcoming if not p.fully_serviced]
    return sorted(later, key=lambda p: (p.ready_on is None, p.ready_on or today(), p.code))[:limit]


@bp.route("/land/<code>")
def plot(code: str):
    if not PLOT_CODE.fullmatch(code):
        abort(404)
    found = db.session.scalars(
        select(Plot)
        .where(func.upper(Plot.code) == code.upper())
        .options(selectinload(Plot.utilities))
    ).first()
    if found is None:
        abort(404)
    if found.code != code:
        return redirect(url_for("site.plot", code=found.code), code=301)
    return render_page(
        "site/plot.html",
        plot=found,
        total_price=total_price(found),
        site_plan=site_plan(matching=None, current=found.code)[0],
        planning=plot_planning.conditions(found),
        # A plot no longer on offer points to ones that are, instead of inviting questions.
        similar=plot_planning.similar_available(found) if found.status == "allocated" else [],
        **plot_labels(),
    )
