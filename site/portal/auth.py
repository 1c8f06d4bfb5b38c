"""Signing in to the portal by an emailed single-use link, and signing out."""

import logging

from flask import (
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext

from core import audit, enterprises, throttle
from core.extensions import db, limiter
from core.forms import Form
from core.logs import security_event
from public_site import bp
from public_site.portal import session as portal_session
from public_site.portal.forms import SignInForm
from public_site.portal.session import portal_required

log = logging.getLogger(__name__)


# Whoever asks and from wherever: a known address is not flooded, and an unknown one is
# throttled the same way, so the limit reveals nothing.
ADDRESS_KEY = "portal-link-requests"


def _address_limit() -> str:
    return current_app.config["PORTAL_ADDRESS_LIMIT"]


def _render_sign_in(form: SignInForm, status: int = 200, sent: bool = False, problem: str = ""):
    return make_response(
        render_template("site/portal/sign_in.html", form=form, sent=sent, problem=problem), status
    )


@bp.route("/portal/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PORTAL_RATE_LIMIT"], methods=["POST"])
def portal_sign_in():
    if request.method == "GET":
        if portal_session.current_contact() is not None:
            return redirect(url_for("site.portal_home"), code=303)
        return _render_sign_in(
            SignInForm(next=portal_session.portal_next(request.args.get("next")))
        )

    form = SignInForm()
    if not form.validate():
        return _render_sign_in(form, 400 if form.csrf_token.errors else 422)
    address = enterprises.normalise_address(form.email.data)
    minutes = throttle.blocked_minutes(_address_limit(), ADDRESS_KEY, address)
    if minutes:
        log.warning("portal link requests throttled for an address ip=%s", request.remote_addr)
        problem = ngettext(
            "Several sign-in links were asked for this address in a short time. Please use the "
            "latest link we sent, or wait %(num)s minute and ask again.",
            "Several sign-in links were asked for this address in a short time. Please use the "
            "latest link we sent, or wait %(num)s minutes and ask again.",
            minutes,
        )
        return _render_sign_in(form, 429, problem=problem)
    throttle.hit(_address_limit(), ADDRESS_KEY, address)
    email = enterprises.request_link(address)
    # Remembered in this browser only: where to go after the link is used here.
    target = portal_session.portal_next(form.next.data)
    if target:
        session[portal_session.NEXT_KEY] = target
    log.info("portal link requested (known=%s) ip=%s", email is not None, request.remote_addr)
    # The same page for every address, known or not, and as quickly.
    return _render_sign_in(SignInForm(formdata=None), sent=True)


def _invalid_link():
    return make_response(render_template("site/portal/link_invalid.html"), 410)


@bp.route("/portal/link/<token>", methods=["GET", "POST"])
def portal_link(token: str):
    # GET only shows a button: mail scanners open links, and must not use them up.
    if request.method == "GET":
        if enterprises.valid_link(token) is None:
            return _invalid_link()
        return render_template("site/portal/link.html", form=Form(), token=token)

    contact = enterprises.redeem(token)
    if contact is None:
        db.session.rollback()
        return _invalid_link()
    g.actor = f"contact:{contact.id}"
    if contact.language != g.lang:
        audit.record("update", contact, {"language": [contact.language, g.lang]})
        contact.language = g.lang
    db.session.flush()
    portal_session.start(contact)
    security_event("portal_signin", contact=contact.id)
    target = portal_session.portal_next(session.pop(portal_session.NEXT_KEY, None))
    return redirect(target or url_for("site.portal_home"), code=303)


@bp.route("/portal/sign-out", methods=["POST"])
@portal_required
def portal_sign_out():
    contact = g.portal_contact
    # Every copy of this session cookie dies with the old version.
    contact.session_version += 1
    audit.record("sign_out", contact)
    db.session.flush()
    portal_session.end()
    flash(gettext("You are signed out of the enterprise portal."), "info")
    return redirect(url_for("site.portal_sign_in"), code=303)
