"""One unit of work per request: a request that changes things commits once, when it answers
with success; mail written in it goes to the job worker after that commit and the answer; a
record someone else changed meanwhile is answered as a conflict, here."""

import logging

from flask import current_app, request
from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core import outbox
from core.extensions import db
from core.models import OutboxEmail

log = logging.getLogger(__name__)

# Mail flushed in the open transaction, and mail whose transaction committed: only the second
# may be sent, so a rolled-back lead never mails anyone.
FLUSHED, COMMITTED = "outbox_flushed", "outbox_committed"
# Reading requests never write by accident: what a GET changed in memory is discarded.
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@event.listens_for(Session, "after_flush")
def _mail_flushed(session, _context) -> None:
    ids = [obj.id for obj in session.new if isinstance(obj, OutboxEmail)]
    if ids:
        session.info.setdefault(FLUSHED, []).extend(ids)


@event.listens_for(Session, "after_commit")
def _mail_committed(session) -> None:
    ids = session.info.pop(FLUSHED, None)
    if ids:
        session.info.setdefault(COMMITTED, []).extend(ids)


@event.listens_for(Session, "after_rollback")
def _mail_rolled_back(session) -> None:
    session.info.pop(FLUSHED, None)


def committed_mail() -> list[int]:
    """The ids of the mail committed so far in this session, handed over once."""
    return db.session().info.pop(COMMITTED, [])


def saved() -> bool:
    """Write the changes now; False, rolled back, when someone else saved one of the records
    between our read and our write (its version moved on). For a view that answers a lost race
    with its own page; elsewhere a stale write is answered by conflict() below."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        return False
    return True


def conflict():
    """The answer to a save that lost the race: nothing was saved, the page says so."""
    from core.errors import render_error

    return render_error(409)


def init_app(app) -> None:
    @app.errorhandler(StaleDataError)
    def stale(_exc):
        db.session.rollback()
        return conflict()

    # Registered after the other after-request hooks, so it runs before them (Flask runs them
    # in reverse): a conflict answer still gets the security headers.
    @app.after_request
    def finish(response):
        session = db.session()
        if request.method in WRITING_METHODS and response.status_code < 400:
            try:
                session.commit()
            except StaleDataError:
                session.rollback()
                log.info("stale save on %s answered as a conflict", request.endpoint)
                response = app.make_response(conflict())
        else:
            session.rollback()
        ids = committed_mail()
        if ids:
            # Enqueued once the answer is delivered: in immediate mode (tests) the task runs
            # right here, so the answer never waits on it either way.
            app_ = current_app._get_current_object()

            @response.call_on_close
            def hand_over():
                with app_.app_context():
                    outbox.hand_to_worker(ids)

        return response
