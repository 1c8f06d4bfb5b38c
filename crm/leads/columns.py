"""The lead list's columns: which optional columns exist, and each user's saved choice of them."""

from urllib.parse import parse_qs

from flask import flash, redirect, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from core.extensions import db
from crm.leads import bp, filters
from crm.permissions import require, visible_leads

# The company (or code name) and the tick box always show; these can be hidden, in this order.
COLUMNS = {
    "stage": _l("Stage"),
    "owner": _l("Owner"),
    "country": _l("Country"),
    "industry": _l("Industry"),
    "investment": _l("Investment"),
    "created": _l("Created"),
    "last_contact": _l("Last contact"),
    "contact": _l("Contact"),
}


def chosen_columns(user) -> list[str]:
    """The user's columns in the list's order; every column until they choose."""
    saved = user.lead_columns
    if not isinstance(saved, list):
        return list(COLUMNS)
    return [code for code in COLUMNS if code in saved]


@bp.route("/leads/columns", methods=["POST"])
@require("lead.view")
def save_columns():
    # Back to the list as it was filtered: the form carries the list's query string.
    raw = parse_qs(request.form.get("query", "")[:4000])
    args = MultiDict([(key, value) for key, values in raw.items() for value in values])
    query = filters.parse(args, visible_leads()).query_string
    target = url_for("crm.leads.leads") + (f"?{query}" if query else "")
    picked = request.form.getlist("column")
    unknown = [code for code in picked if code not in COLUMNS]
    if unknown:
        flash(gettext("Some of the chosen columns do not exist; nothing was changed."), "error")
        return redirect(target)
    if request.form.get("reset") == "1":
        current_user.lead_columns = None
    else:
        current_user.lead_columns = [code for code in COLUMNS if code in picked]
    db.session.flush()
    flash(gettext("Your choice of columns is saved."), "success")
    return redirect(target)
