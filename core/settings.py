"""Settings the admin changes in the CRM, with the defaults used until then."""

from decimal import Decimal

from sqlalchemy.exc import InterfaceError, OperationalError

from core.extensions import db
from core.models import Setting

DEFAULTS: dict[str, object] = {
    # The first-response clock of a new lead, and the reply the public site promises.
    "response_working_days": 2,
    "liaison_threshold_cny": 500_000_000,
    "retention_years": 3,
    # An overdue approval step goes to the department and the liaison leader after this many
    # further working days after the agent was told (the first level), one level at a time.
    "escalation_working_days": 3,
}


def get(key: str):
    row = db.session.get(Setting, key)
    return row.value["v"] if row is not None else DEFAULTS[key]


def response_working_days() -> int:
    """Working days to a first answer: the clock of new leads."""
    return int(get("response_working_days"))


def promised_working_days() -> int:
    """The reply the public site promises: response_working_days, or its default while the
    database is unreachable (the inquiry form given back in an outage still says it)."""
    try:
        return response_working_days()
    except (OperationalError, InterfaceError):
        db.session.rollback()
        return int(DEFAULTS["response_working_days"])


def put(key: str, value) -> None:
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if isinstance(value, Decimal):
        value = str(value)
    if row is None:
        db.session.add(Setting(key=key, value={"v": value}))
    else:
        row.value = {"v": value}
