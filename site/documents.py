"""Downloads for the fair: the brochure per language and a fact sheet per plot, as PDF made with
WeasyPrint from the same content and plot data as the pages, cached until what they show changes."""

import hashlib
import logging
import threading
from datetime import date
from pathlib import Path

from flask import abort, current_app, g, redirect, render_template, send_file, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from core.content import get_content
from core.extensions import db
from core.images import get_images
from core.models import Plot
from core.urls import absolute
from public_site import bp, plot_planning
from public_site.land import PLOT_CODE, plot_labels, total_price
from public_site.rendering import cache_publicly

_lock = threading.Lock()
# WeasyPrint reports every step of every PDF at INFO: the log keeps its warnings only.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _documents_dir() -> Path:
    return Path(current_app.config["BUILD_DIR"]) / "documents"


def _fetch_local(url: str):
    """WeasyPrint's fetcher for our PDFs: only the built pictures, never another host or file."""
    from weasyprint.urls import URLFetcherResponse

    images = get_images().build_dir.resolve()
    path = Path(url.removeprefix("file://")).resolve()
    if url.startswith("file://") and path.parent == images and path.is_file():
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "image/jpeg"})
    raise ValueError(f"not a built picture: {url}")


def _pdf(stem: str, html: str) -> Path:
    """The PDF of this HTML: made once per distinct HTML, so a change of content, plot data or
    template makes a new file and an unchanged one is served from disk."""
    digest = hashlib.sha256(html.encode()).hexdigest()[:16]
    path = _documents_dir() / f"{stem}-{digest}.pdf"
    if path.exists():
        return path
    from weasyprint import HTML  # pango is loaded only when a PDF is made

    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            base = get_images().build_dir.resolve().as_uri() + "/"
            document = HTML(string=html, base_url=base, url_fetcher=_fetch_local)
            partial = path.with_name(f".{path.name}.{threading.get_ident()}")
            document.write_pdf(partial)
            partial.replace(path)
            # Older versions of this document are of no more use.
            for old in path.parent.glob(f"{stem}-*.pdf"):
                if old != path:
                    old.unlink(missing_ok=True)
    return path


def _send(path: Path, download_name: str):
    response = send_file(
        path, mimetype="application/pdf", download_name=download_name, as_attachment=False
    )
    # The file's name carries the digest of what it shows: it is its version.
    response.set_etag(path.stem.rpartition("-")[2])
    return cache_publicly(response)


def _park_context() -> dict:
    counts = dict(db.session.execute(select(Plot.status, func.count()).group_by(Plot.status)).all())
    return {
        "park_picture": get_images().picture("park-aerial"),
        "plots_available": counts.get("available", 0),
        "plots_total": sum(counts.values()),
        "today": date.today(),
    }


@bp.route("/brochure.pdf")
def brochure():
    content = get_content()
    available = db.session.scalars(
        select(Plot)
        .where(Plot.status == "available")
        .order_by(Plot.code)
        .options(selectinload(Plot.utilities))
    ).all()
    html = render_template(
        "site/pdf/brochure.html",
        intro=content.page("pages", "home", g.lang),
        policies=content.section("policies", g.lang),
        plots=available,
        site_address=absolute(url_for("site.home")),
        inquiry_address=absolute(url_for("site.inquiry")),
        **_park_context(),
        **plot_labels(),
    )
    return _send(_pdf(f"brochure-{g.lang}", html), f"qingyuan-brochure-{g.lang}.pdf")


@bp.route("/land/<code>/sheet.pdf")
def plot_sheet(code: str):
    if not PLOT_CODE.fullmatch(code):
        abort(404)
    plot = db.session.scalars(
        select(Plot)
        .where(func.upper(Plot.code) == code.upper())
        .options(selectinload(Plot.utilities))
    ).first()
    if plot is None:
        abort(404)
    if plot.code != code:
        return redirect(url_for("site.plot_sheet", code=plot.code), code=301)
    html = render_template(
        "site/pdf/plot_sheet.html",
        plot=plot,
        total_price=total_price(plot),
        plot_address=absolute(url_for("site.plot", code=plot.code)),
        inquiry_address=absolute(url_for("site.inquiry", plot=plot.code)),
        plot_picture=get_images().picture("serviced-plot"),
        planning=plot_planning.conditions(plot),
        **_park_context(),
        **plot_labels(),
    )
    name = f"plot-{plot.code}-{g.lang}"
    return _send(_pdf(name, html), f"qingyuan-{name}.pdf")
