"""What every request is cleaned of before any view reads it: NUL in text, names and paths.

Nobody types a NUL; crafted requests carry one, and PostgreSQL refuses to store it (a 500 on
PostgreSQL only). Query and form values and uploaded files' names lose it here, once, and an
address holding one names no page.
"""

from flask import Request, abort, request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, iter_multi_items

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


def init_app(app) -> None:
    app.request_class = CleanRequest

    @app.before_request
    def no_nul_in_paths():
        if NUL in request.path:
            abort(404)
