"""Charts drawn on the server as inline SVG: no script, no third-party library, nothing to load.

Each chart is an image to assistive technology (role="img", a <title>, aria-describedby pointing
at the text summary the page prints beside it); the same figures follow in a table (conventions
§8). Colours are presentation attributes, which the strict CSP allows, not inline styles.
"""

from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

INK, MUTED, LINE = "#1c2530", "#4a5663", "#d5dbe1"
BRAND, ACCENT = "#0b4a6f", "#8a5300"
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 16, 40


def _nice_ceiling(value: float) -> float:
    """A round number at or above value, for the top of the scale (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _open(chart_id: str, title: str, width: int, height: int) -> list[str]:
    return [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title" aria-describedby="{escape(chart_id)}-summary" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" '
        f'preserveAspectRatio="xMinYMin meet" focusable="false">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
    ]


def _text(x: float, y: float, text: str, anchor: str = "start", fill: str = MUTED) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}" '
        f'font-size="12">{escape(text)}</text>'
    )


def cumulative_chart(
    chart_id: str,
    title: str,
    months: Sequence[str],
    values: Sequence[float | Decimal | None],
    target: float | None,
    label: Callable[[float], str],
    target_label: str = "",
) -> Markup:
    """A month-by-month cumulative line (None: a month still to come) against a dashed target."""
    known = [float(v) for v in values if v is not None]
    top = _nice_ceiling(max([*known, float(target or 0), 1.0]) * 1.05)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(months) - 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + plot_h - (v / top) * plot_h

    out = _open(chart_id, title, WIDTH, HEIGHT)
    for k in range(5):  # gridlines and the scale at 0, ¼, ½, ¾ and the top
        v = top * k / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
        out.append(_text(LEFT - 6, y(v) + 4, label(v), "end"))
    for i, month in enumerate(months):
        out.append(_text(x(i), HEIGHT - BOTTOM + 18, month, "middle"))
    if target:
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(float(target)):.1f}" '
            f'y2="{y(float(target)):.1f}" stroke="{ACCENT}" stroke-width="2" '
            f'stroke-dasharray="6 4"/>'
        )
        if target_label:
            out.append(_text(WIDTH - RIGHT, y(float(target)) - 6, target_label, "end", ACCENT))
    points = [(x(i), y(float(v))) for i, v in enumerate(values) if v is not None]
    if points:
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{BRAND}" stroke-width="3" '
            f'stroke-linejoin="round"/>'
        )
        out.extend(
            f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{BRAND}"/>' for px, py in points
        )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and id above went through escape()


def bar_chart(
    chart_id: str,
    title: str,
    rows: Sequence[tuple[str, float]],
    label: Callable[[float], str],
) -> Markup:
    """Horizontal bars, one per row (a funnel: each stage's leads), the value at the bar's end."""
    names_w, bar_h, gap = 150, 22, 10
    height = TOP + len(rows) * (bar_h + gap) + 8
    top = max([float(v) for _, v in rows] + [1.0])
    plot_w = WIDTH - names_w - RIGHT - 64
    out = _open(chart_id, title, WIDTH, height)
    for i, (name, value) in enumerate(rows):
        y = TOP + i * (bar_h + gap)
        width = max(1.0, float(value) / top * plot_w) if value else 0
        out.append(_text(names_w - 8, y + bar_h * 0.7, name, "end", INK))
        if width:
            out.append(
                f'<rect x="{names_w}" y="{y}" width="{width:.1f}" height="{bar_h}" fill="{BRAND}"/>'
            )
        out.append(_text(names_w + width + 6, y + bar_h * 0.7, label(value), "start", INK))
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every text and id above went through escape()
