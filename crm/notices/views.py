"""The notifications page (paginated, newest first; mark one or all read, open the record) and the
preferences page under the person's own account."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import func, select

from core import audit, notifications
from core.extensions import db
from core.forms import Form
from core.models import Notification
from crm.notices import bp
from crm.permissions import require

PER_PAGE = 30
CHOICES = ("crm", "mail")


def _mine():
    return select(Notification).where(Notification.recipient_id == current_user.id)


def _page_number() -> int | None:
    raw = request.args.get("page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else None


@bp.route("/notifications")
@require("crm.use")
def notifications_list():
    page = _page_number()
    if page is None:
        flash(gettext("That page number is not valid; here is the first page."), "error")
        return redirect(url_for("crm.notices.notifications_list"))
    total = db.session.scalar(select(func.count()).select_from(_mine().subquery()))
    pages = max(1, -(-total // PER_PAGE))
    if page > pages:
        return redirect(url_for("crm.notices.notifications_list", page=pages))
    shown = db.session.scalars(
        _mine()
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE)
    ).all()
    return render_template(
        "crm/notices/list.html",
        shown=shown,
        page=page,
        pages=pages,
        total=total,
        unread=notifications.unread_count(current_user),
        text=notifications.text,
        form=Form(),
    )


def _my_notice_or_404(notice_id: int) -> Notification:
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.recipient_id != current_user.id:
        abort(404)  # another person's notice is one that does not exist
    return notice


# Reading is the reader's own state, not a change to the bureau's records: no audit entry.
@bp.route("/notifications/<id:notice_id>/open", methods=["POST"])
@require("crm.use")
def notification_open(notice_id: int):
    notice = _my_notice_or_404(notice_id)
    if Form().validate():
        notifications.mark_read(current_user, notice.id)
    return redirect(notifications.link(notice))


@bp.route("/notifications/<id:notice_id>/read", methods=["POST"])
@require("crm.use")
def notification_read(notice_id: int):
    notice = _my_notice_or_404(notice_id)
    if Form().validate():
        notifications.mark_read(current_user, notice.id)
        flash(gettext("Marked as read."), "success")
    return redirect(url_for("crm.notices.notifications_list", page=_page_number() or 1))


@bp.route("/notifications/read-all", methods=["POST"])
@require("crm.use")
def notifications_read_all():
    if Form().validate():
        count = notifications.mark_read(current_user)
        flash(
            gettext("All notifications are read.") if count else gettext("Nothing was unread."),
            "success",
        )
    return redirect(url_for("crm.notices.notifications_list"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@require("crm.use")
def notification_preferences():
    form = Form()
    kinds = [k for k in notifications.KIND_LABELS if k not in notifications.ALWAYS_MAILED]
    current = {kind: notifications.wants_mail(current_user, kind) for kind in kinds}
    errors = []
    if request.method == "POST" and form.validate():
        chosen = {kind: request.form.get(f"mail_{kind}") for kind in kinds}
        errors = [kind for kind, value in chosen.items() if value not in CHOICES]
        if not errors:
            wanted = {kind: value == "mail" for kind, value in chosen.items()}
            if wanted != current:
                person = current_user._get_current_object()  # the record, not its proxy
                before = dict(person.notify_by_mail or {})
                person.notify_by_mail = wanted
                audit.record("update", person, {"notify_by_mail": [before, wanted]})
            flash(gettext("Your notification settings are saved."), "success")
            return redirect(url_for("crm.notices.notification_preferences"))
        current = {k: chosen[k] == "mail" if k not in errors else current[k] for k in kinds}
    status = 400 if request.method == "POST" else 200
    return render_template(
        "crm/notices/preferences.html",
        form=form,
        kinds=[(kind, notifications.KIND_LABELS[kind]) for kind in kinds],
        always=[notifications.KIND_LABELS[k] for k in notifications.ALWAYS_MAILED],
        current=current,
        errors=errors,
    ), status
