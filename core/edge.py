"""What every request is cleaned of before any view reads it: NUL in text, names and paths, and
ids the database cannot hold.

Nobody types a NUL; crafted requests carry one, and PostgreSQL refuses to store it (a 500 on
PostgreSQL only). Query and form values and uploaded files' names lose it here, once, and an
address holding one names no page. Likewise an id in an address (`<id:lead_id>`) from 1 to
MAX_ID: 0 or one past the integer column names no page instead of reaching the database.
"""

from flask import Request, abort, request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, iter_multi_items
from werkzeug.routing import IntegerConverter

from core.models.base import MAX_ID

NUL = "\x00"


def _clean(value):
    if isinstance(value, str):
        return value.replace(NUL, "")
    if isinstance(value, FileStorage) and value.filename:
        value.filename = value.filename.replace(NUL, "")
    return value


class CleanMultiDict(ImmutableMultiDict):
    def __init__(self, mapping=None):
        if mapping is None:
            super().__init__()
        else:
            super().__init__([(_clean(k), _clean(v)) for k, v in iter_multi_items(mapping)])


class CleanRequest(Request):
    # Werkzeug builds request.args, request.form and request.files with this class.
    parameter_storage_class = CleanMultiDict


def _up_to(limit: int) -> str:
    """A pattern for the numbers 1 to limit, written without leading zeros."""
    digits = str(limit)
    shorter = [rf"[1-9]\d{{0,{len(digits) - 2}}}"] if len(digits) > 1 else []
    same_length = [digits]
    for at, digit in enumerate(digits):
        lowest = 1 if at == 0 else 0
        if int(digit) > lowest:
            rest = len(digits) - at - 1
            same_length.append(rf"{digits[:at]}[{lowest}-{int(digit) - 1}]\d{{{rest}}}")
    return "(?:" + "|".join(shorter + same_length) + ")"


class IdConverter(IntegerConverter):
    """A row's id in an address: 1 to MAX_ID, else the address matches no route (404).

    The range is in the pattern, not a check after it: a route whose converter refuses a
    matched path answers 405 when a route of the same path takes another method.
    """

    regex = _up_to(MAX_ID)


def init_app(app) -> None:
    """Before the blueprints are registered: their routes use the id converter."""
    app.request_class = CleanRequest
    app.url_map.converters["id"] = IdConverter

    @app.before_request
    def no_nul_in_paths():
        if NUL in request.path:
            abort(404)
