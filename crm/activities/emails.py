"""Emails to an investor from the lead file: a template per language, edited, previewed, sent."""

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext
from flask_login import current_user
from jinja2 import TemplateNotFound
from wtforms.fields.choices import SelectChoice

from core import outbox
from core.content import get_content
from core.i18n import LANGUAGES, translated
from core.mail_in import thread
from core.unit_of_work import saved
from crm.activities import bp
from crm.activities.forms import TEMPLATE_LABELS, EmailForm
from crm.activities.records import lead_url, log_activity
from crm.permissions import get_lead_or_404, require

DEFAULT_TEMPLATE = "first_reply"


def letter_language(contact, lead) -> str:
    """The contact's language, else the lead's, else English: investors read their own."""
    for lang in (getattr(contact, "language", None), lead.language):
        if lang in LANGUAGES:
            return lang
    return "en"


def render_letter(key: str, lang: str, lead, contact) -> tuple[str, str]:
    """(subject, body) of a template file; its first line is the subject."""
    text = render_template(
        f"crm/activities/mail/{key}.{lang}.txt",
        contact_name=contact.name,
        company=lead.company_name if lang == "zh" else lead.company_name_latin or lead.company_name,
        officer_name=current_user.name,
        officer_email=current_user.email,
        park_name=translated(get_content().site["park"]["name"], lang),
    )
    subject, _, body = text.partition("\n")
    # Names come from investors' forms: never let one break the subject line.
    return " ".join(subject.split()), body.strip("\n") + "\n"


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _form_for(lead, contacts) -> EmailForm:
    form = EmailForm()
    form.contact_id.choices = [SelectChoice(c.id, f"{c.name} <{c.email}>") for c in contacts]
    return form


@bp.route("/leads/<id:lead_id>/email", methods=["GET", "POST"])
@require("activity.create")
def lead_email(lead_id: int):
    lead = get_lead_or_404(lead_id, "activity.create")
    contacts = [c for c in lead.contacts if c.email]
    if not contacts:
        return render_template("crm/activities/email.html", lead=lead, form=None, step="none")
    form = _form_for(lead, contacts)
    if request.method == "GET":
        return _compose(lead, contacts, form)
    action = request.form.get("action", "preview")
    if not form.validate():
        return _page(lead, form, "compose"), 400
    contact = next(c for c in contacts if c.id == form.contact_id.data)
    if action == "send":
        return _send(lead, contact, form)
    return _page(lead, form, "compose" if action == "edit" else "preview", contact=contact)


def _compose(lead, contacts, form: EmailForm):
    """A fresh letter from the chosen template, in the chosen or the investor's language."""
    contact_id = _int(request.args.get("contact"))
    contact = next((c for c in contacts if c.id == contact_id), contacts[0])
    key = request.args.get("template")
    key = key if key in TEMPLATE_LABELS else DEFAULT_TEMPLATE
    lang = request.args.get("language")
    lang = lang if lang in LANGUAGES else letter_language(contact, lead)
    try:
        subject, body = render_letter(key, lang, lead, contact)
    except TemplateNotFound:
        abort(404)
    form.contact_id.data, form.template.data, form.language.data = contact.id, key, lang
    form.subject.data, form.body.data = subject, body
    return _page(lead, form, "compose")


def _page(lead, form, step, contact=None):
    return render_template(
        "crm/activities/email.html", lead=lead, form=form, step=step, contact=contact
    )


def _send(lead, contact, form: EmailForm):
    subject, body = form.subject.data.strip(), form.body.data
    outbox.queue(
        kind="crm",
        to=contact.email,
        language=form.language.data,
        subject=subject,
        body=body,
        lead_id=lead.id,
        automatic=False,
        answerable_by_lead=True,
        officer_name=current_user.name,
        answering=thread.last_mail_from(lead.id, contact.email),
    )
    log_activity(lead, kind="email", direction="out", subject=subject, body=body)
    if not saved():
        flash(gettext("This lead was changed by someone else just now. Please try again."), "error")
        return _page(lead, form, "preview", contact=contact), 409
    flash(gettext("Email to %(name)s queued for sending.", name=contact.name), "success")
    return redirect(lead_url(lead.id))
