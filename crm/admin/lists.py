"""Administration of the lists leads use (industries, lost reasons), and their defaults."""

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.audit import record
from core.extensions import db
from core.forms import Form
from core.lists import LABEL_LANGUAGES
from core.models import LIST_KINDS, ListItem
from core.unit_of_work import saved
from crm.admin import bp
from crm.permissions import require

KIND_LABELS = {"industry": _l("Industries"), "lost_reason": _l("Reasons for lost leads")}
# Codes are kept forever (leads and stage history refer to them); only labels change.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class LabelsForm(Form):
    zh = StringField(_l("Label in Chinese"), validators=[DataRequired(), Length(max=120)])
    en = StringField(_l("Label in English"), validators=[DataRequired(), Length(max=120)])
    de = StringField(_l("Label in German"), validators=[Optional(), Length(max=120)])
    fr = StringField(_l("Label in French"), validators=[Optional(), Length(max=120)])


class NewItemForm(LabelsForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(),
            Regexp(
                CODE_PATTERN,
                message=_l("Lower-case letters, digits and hyphens, at most 64 characters."),
            ),
        ],
    )


class ItemForm(LabelsForm):
    version_id = HiddenField()


def _items(kind: str) -> list[ListItem]:
    return db.session.scalars(
        select(ListItem).where(ListItem.kind == kind).order_by(ListItem.position, ListItem.id)
    ).all()


def _item_or_404(item_id: int) -> ListItem:
    item = db.session.get(ListItem, item_id)
    if item is None:
        abort(404)
    return item


def _back(kind: str):
    return redirect(url_for("crm.admin.admin_lists", kind=kind))


@bp.route("/admin/lists")
@require("admin.settings")
def admin_lists():
    kind = request.args.get("kind", "industry")
    if kind not in LIST_KINDS:
        abort(404)
    return _render_lists(kind)


def _render_lists(kind: str, new_form: NewItemForm | None = None):
    items = _items(kind)
    forms = {
        item.id: ItemForm(
            formdata=None, prefix=f"i{item.id}", data={**item.labels, "version_id": item.version_id}
        )
        for item in items
    }
    return render_template(
        "crm/admin/lists.html",
        kind=kind,
        kinds=KIND_LABELS,
        items=items,
        item_forms=forms,
        new_form=new_form or NewItemForm(formdata=None, prefix="new"),
        languages=LABEL_LANGUAGES,
    )


def _labels(form: LabelsForm) -> dict:
    return {
        lang: getattr(form, lang).data.strip()
        for lang in LABEL_LANGUAGES
        if getattr(form, lang).data
    }


@bp.route("/admin/lists/<kind>", methods=["POST"])
@require("admin.settings")
def admin_list_new(kind: str):
    if kind not in LIST_KINDS:
        abort(404)
    form = NewItemForm(prefix="new")
    if form.validate_on_submit():
        code = form.code.data
        if db.session.scalar(
            select(ListItem.id).where(ListItem.kind == kind, ListItem.code == code)
        ):
            form.code.errors.append(gettext("This code exists already in the list."))
        else:
            last = db.session.scalar(
                select(func.max(ListItem.position)).where(ListItem.kind == kind)
            )
            item = ListItem(kind=kind, code=code, labels=_labels(form), position=(last or 0) + 1)
            db.session.add(item)
            record("create", item, {"code": [None, code], "labels": [None, item.labels]})
            db.session.flush()
            flash(gettext("%(label)s is added.", label=item.label(g.lang)), "info")
            return _back(kind)
    return _render_lists(kind, new_form=form)


@bp.route("/admin/lists/items/<int:item_id>", methods=["POST"])
@require("admin.settings")
def admin_list_item(item_id: int):
    """Rename an item in each language; a stale form is refused, not overwritten."""
    item = _item_or_404(item_id)
    form = ItemForm(prefix=f"i{item.id}")
    if not form.validate_on_submit():
        for field in form:
            for error in field.errors:
                message = gettext(
                    "%(code)s, %(field)s: %(error)s",
                    code=item.code,
                    field=field.label.text,
                    error=error,
                )
                flash(message, "error")
        return _back(item.kind)
    if form.version_id.data != str(item.version_id):
        flash(
            gettext(
                "%(code)s was changed by someone else meanwhile; it now reads %(labels)s. "
                "Nothing was saved: check and save again.",
                code=item.code,
                labels=" / ".join(item.labels.get(lang, "") for lang in LABEL_LANGUAGES),
            ),
            "error",
        )
        return _back(item.kind)
    labels = _labels(form)
    if labels != item.labels:
        record("update", item, {"labels": [item.labels, labels]})
        item.labels = labels
        if not saved():
            flash(
                gettext(
                    "%(code)s was changed by someone else meanwhile. Nothing was saved.",
                    code=item.code,
                ),
                "error",
            )
            return _back(item.kind)
    flash(gettext("%(label)s is saved.", label=item.label(g.lang)), "info")
    return _back(item.kind)


@bp.route("/admin/lists/items/<int:item_id>/move", methods=["POST"])
@require("admin.settings")
def admin_list_move(item_id: int):
    item = _item_or_404(item_id)
    items = _items(item.kind)
    index = items.index(item)
    target = index - 1 if request.form.get("direction") == "up" else index + 1
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
        old = item.position
        for position, each in enumerate(items):
            each.position = position
        record("move", item, {"position": [old, item.position]})
        db.session.flush()
    return _back(item.kind)


@bp.route("/admin/lists/items/<int:item_id>/active", methods=["POST"])
@require("admin.settings")
def admin_list_active(item_id: int):
    """Deactivate (hidden from new choices, kept on the leads that use it) or bring back."""
    item = _item_or_404(item_id)
    active = request.form.get("active") == "1"
    if active != item.active:
        record("update", item, {"active": [item.active, active]})
        item.active = active
        db.session.flush()
    return _back(item.kind)
