"""Steps one and two of an import: upload the file, then map its columns with a preview."""

from dataclasses import replace

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.imports import (
    ImportFileError,
    check_rows,
    known_sources,
    load_table,
    new_job,
    remember_mapping,
    remembered_mapping,
    suggest_mapping,
)
from core.models import Event
from core.uploads import StorageUnavailable
from crm.imports import bp
from crm.imports.common import draft_and_table, editable, field_labels, job_or_404
from crm.imports.forms import ENCODING_NAMES, ActionForm, EncodingForm, UploadForm
from crm.permissions import require

PREVIEW_ROWS = 20
# Fields whose values several columns may share (joined by the reader): First + Last name.
JOINABLE = frozenset({"contact_name", "notes", "interest", "tags"})
SAMPLE_VALUES = 3


@bp.route("/imports/new", methods=["GET", "POST"])
@require("lead.import")
def import_new():
    form = UploadForm()
    problems: list[str] = []
    status = 200
    if request.method == "GET" and request.args.get("event"):
        event = db.session.scalar(select(Event).where(Event.slug == request.args["event"]))
        form.event.data = str(event.id) if event else ""
    if form.validate_on_submit():
        upload = form.file.data
        try:
            job = new_job(
                upload.read(),
                upload.filename,
                user=current_user._get_current_object(),
                source=form.source.data or "",
                event_id=int(form.event.data) if form.event.data else None,
                encoding=form.encoding.data or None,
                default_country=form.default_country.data or None,
            )
        except ImportFileError as exc:
            problems.append(exc.message)
        except StorageUnavailable as exc:
            # The form comes back as it was sent; only the file must be chosen again.
            problems.append(exc.message)
            status = 503
        else:
            db.session.flush()
            return redirect(url_for("crm.imports.import_mapping", job_id=job.id))
    if status == 200 and (problems or form.errors):
        status = 422
    return render_template(
        "crm/imports/new.html",
        form=form,
        problems=problems,
        sources=known_sources(),
        max_mb=(current_app.config.get("MAX_CONTENT_LENGTH") or 0) // (1024 * 1024),
    ), status


def _samples(table, index: int) -> list[str]:
    values = []
    for row in table.rows:
        if index < len(row) and row[index]:
            values.append(row[index])
            if len(values) == SAMPLE_VALUES:
                break
    return values


def _mapping_page(job, table, mapping, problems=(), encoding_form=None, status=200):
    preview = check_rows(
        replace(table, rows=table.rows[:PREVIEW_ROWS]),
        mapping,
        default_country=job.default_country,
    )
    if encoding_form is None:
        encoding_form = EncodingForm(encoding=job.encoding or "utf-8")
    columns = [
        (index, header, mapping.get(header, ""), _samples(table, index))
        for index, header in enumerate(table.headers)
    ]
    shown = [key for key in field_labels() if key and key in mapping.values()]
    return render_template(
        "crm/imports/mapping.html",
        job=job,
        table=table,
        columns=columns,
        labels=field_labels(),
        preview=preview,
        shown_fields=shown,
        problems=problems,
        form=ActionForm(),
        encoding_form=encoding_form,
        encoding_name=ENCODING_NAMES.get(table.encoding or "", table.encoding),
        delimiter_name={",": gettext("comma"), ";": gettext("semicolon"), "\t": gettext("tab")}.get(
            table.delimiter or "", table.delimiter
        ),
    ), status


def _posted_mapping(table) -> tuple[dict[str, str], list[str]]:
    """The mapping as chosen in the form, and what is wrong with it."""
    labels = field_labels()
    mapping = {}
    for index, header in enumerate(table.headers):
        key = request.form.get(f"column-{index}", "")
        if key not in labels:
            abort(400)
        mapping[header] = key
    problems = []
    chosen: dict[str, list[str]] = {}
    for header, key in mapping.items():
        if key:
            chosen.setdefault(key, []).append(header)
    for key, headers in chosen.items():
        if len(headers) > 1 and key not in JOINABLE:
            problems.append(
                gettext(
                    "%(field)s is chosen for more than one column (%(columns)s). "
                    "Choose it for one column only.",
                    field=labels[key],
                    columns=", ".join(headers),
                )
            )
    if "company" not in chosen and "company_latin" not in chosen:
        problems.append(
            gettext("Choose the column holding the company name: every lead needs one.")
        )
    return mapping, problems


@bp.route("/imports/<int:job_id>/mapping", methods=["GET", "POST"])
@require("lead.import")
def import_mapping(job_id: int):
    job, table, elsewhere = draft_and_table(job_id)
    if elsewhere is not None:
        return elsewhere
    if request.method == "GET":
        return _mapping_page(job, table, job.mapping)
    if not ActionForm().validate_on_submit():
        abort(400)
    mapping, problems = _posted_mapping(table)
    if problems:
        return _mapping_page(job, table, mapping, problems, status=422)
    if request.form.get("action") == "preview":  # look before saving: nothing is stored
        return _mapping_page(job, table, mapping)
    if mapping != job.mapping:
        record("update", job, {"mapping": [job.mapping, mapping]})
        job.mapping = mapping
        job.decisions = {}  # other columns, other matches: earlier choices no longer apply
    remember_mapping(job.source, mapping)
    return redirect(url_for("crm.imports.import_review", job_id=job.id))


@bp.route("/imports/<int:job_id>/encoding", methods=["POST"])
@require("lead.import")
def import_encoding(job_id: int):
    job = job_or_404(job_id)
    if not editable(job):
        return redirect(url_for("crm.imports.import_job", job_id=job.id))
    form = EncodingForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _table_or_back(job, form)
    try:
        table = load_table(job, encoding=form.encoding.data)
    except ImportFileError as exc:
        try:
            current = load_table(job)
        except ImportFileError:
            flash(exc.message, "error")
            return redirect(url_for("crm.imports.import_job", job_id=job.id))
        return _mapping_page(job, current, job.mapping, [exc.message], form, status=422)
    if table.encoding != job.encoding:
        mapping = job.mapping
        if set(table.headers) != set(mapping):  # other headers once decoded: suggest afresh
            mapping = suggest_mapping(table.headers, remembered_mapping(job.source))
        record(
            "update",
            job,
            {"encoding": [job.encoding, table.encoding], "rows": [job.total, len(table.rows)]},
        )
        job.encoding, job.mapping, job.total = table.encoding, mapping, len(table.rows)
        job.decisions = {}
        db.session.flush()
    name = ENCODING_NAMES.get(form.encoding.data, form.encoding.data)
    flash(gettext("The file was read again as %(encoding)s.", encoding=name), "success")
    return redirect(url_for("crm.imports.import_mapping", job_id=job.id))


def _table_or_back(job, form):
    try:
        table = load_table(job)
    except ImportFileError as exc:
        flash(exc.message, "error")
        return redirect(url_for("crm.imports.import_job", job_id=job.id))
    return _mapping_page(job, table, job.mapping, encoding_form=form, status=422)
