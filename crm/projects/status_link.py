"""The investor's status page from the CRM: its address, sending it, and issuing a new one."""

from flask import flash, redirect, render_template, url_for
from flask_babel import force_locale, gettext
from flask_login import current_user
from sqlalchemy import update
from sqlalchemy.orm import joinedload, selectinload

from core import outbox
from core.audit import record
from core.choices import language_name
from core.content import get_content
from core.extensions import db
from core.i18n import LANGUAGES, PUBLIC_LANGUAGES, translated
from core.models import Contact, Lead, Project
from core.models.project import new_status_token
from core.urls import external_url
from crm.permissions import allowed, require
from crm.projects import bp, get_project_or_404

# Where the buttons bring staff back to: this part of the project page.
ANCHOR = "#status-link-title"


def language_of(lead: Lead) -> str:
    """The lead's language if the public site has it, else English (the site's lingua franca)."""
    return lead.language if lead.language in PUBLIC_LANGUAGES else "en"


def status_url(project: Project, lang: str) -> str:
    return external_url("site.project_status", lang=lang, token=project.status_token)


def recipient(lead: Lead) -> Contact | None:
    """The lead's first contact (in the order they were added) who has an email address."""
    return next((c for c in lead.contacts if (c.email or "").strip()), None)


def _fingerprint(token: str) -> str:
    # The audit trail tells addresses apart without handing a working one to whoever reads it.
    return token[:4] + "…"


def status_link(project: Project) -> dict | None:
    """What the partial shows; nothing for those who may not change the project."""
    if not allowed("project.edit"):
        return None
    lang = language_of(project.lead)
    return {
        "url": status_url(project, lang),
        "language": language_name(lang),
        "lang_tag": LANGUAGES[lang]["tag"],
        "contact": recipient(project.lead),
    }


@bp.app_context_processor
def status_link_helper():
    # The project page shows the panel without its view knowing about the status page.
    return {"project_status_link": status_link}


def _back(project: Project):
    return redirect(url_for("crm.projects.project", project_id=project.id) + ANCHOR, code=303)


def _queue_email(project: Project, contact: Contact) -> None:
    lead = project.lead
    lang = language_of(lead)
    site = get_content().site
    with force_locale(lang):
        park = translated(site["park"]["name"], lang)
        subject = gettext("How your project in %(park)s is going", park=park)
        body = render_template(
            "site/email/project_status_link.txt",
            name=contact.name,
            company=lead.company_name,
            park=park,
            url=status_url(project, lang),
            bureau=site["bureau"],
        )
    outbox.queue(
        kind="project_status_link",
        to=contact.email.strip(),
        language=lang,
        subject=subject,
        body=body,
        lead_id=lead.id,
        automatic=False,
        answerable_by_lead=True,
        officer_name=current_user.name,
    )


@bp.route("/projects/<id:project_id>/status-link/send", methods=["POST"])
@require("project.edit")
def project_status_send(project_id: int):
    project = get_project_or_404(
        project_id, "project.edit", joinedload(Project.lead).selectinload(Lead.contacts)
    )
    # CSRF is checked for every POST before the view (core: CSRFProtect); no other input.
    contact = recipient(project.lead)
    if contact is None:
        flash(
            gettext(
                "Nothing was sent: no contact of this lead has an email address. "
                "Add one to the lead first."
            ),
            "error",
        )
        return _back(project)
    _queue_email(project, contact)
    record(
        "send_status_link",
        project,
        {"to": [None, contact.email.strip()], "language": [None, language_of(project.lead)]},
    )
    db.session.flush()
    flash(
        gettext("The status page's address was sent to %(email)s.", email=contact.email.strip()),
        "success",
    )
    return _back(project)


@bp.route("/projects/<id:project_id>/status-link/renew", methods=["POST"])
@require("project.edit")
def project_status_renew(project_id: int):
    project = get_project_or_404(project_id, "project.edit", selectinload(Project.lead))
    old, new = project.status_token, new_status_token()
    # A statement, not the ORM's versioned update: the address is no field of the project form,
    # so renewing it must not make that form, open elsewhere, stale. Of two renewals at once, the
    # second finds the old address gone and changes nothing.
    changed = db.session.execute(
        update(Project.__table__)
        .where(Project.__table__.c.id == project.id, Project.__table__.c.status_token == old)
        .values(status_token=new)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        flash(
            gettext("Someone else issued a new address meanwhile: it is the one shown now."),
            "error",
        )
        return _back(project)
    record("renew_status_link", project, {"status_token": [_fingerprint(old), _fingerprint(new)]})
    db.session.flush()
    flash(
        gettext("The status page has a new address; the old one no longer works."),
        "success",
    )
    return _back(project)
