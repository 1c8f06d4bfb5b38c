"""The composer: one page per lead to write to an investor: a template loaded in place (htmx, or
"Load template" without script) in the investor's language, the lead's files and uploads attached,
a preview beside the letter, and an answer to a received mail that continues its thread."""

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext
from flask_login import current_user
from jinja2 import TemplateNotFound
from wtforms.fields.choices import SelectChoice

from core import attaching, outbox
from core.content import get_content
from core.i18n import LANGUAGES, translated
from core.mail_in import thread
from core.unit_of_work import saved
from core.uploads import StorageUnavailable
from crm.activities import bp, composer
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


class _Letter:
    """One composition: the lead, whom it may go to, the mail it answers, the files it may carry."""

    def __init__(self, lead, reply_id):
        self.lead = lead
        self.answering = composer.answered_mail(lead, reply_id)
        self.recipients = composer.recipients(lead, self.answering)
        self.files = composer.sendable_files(lead)
        self.form = EmailForm()
        self.form.contact_id.choices = [SelectChoice(r.value, r.label) for r in self.recipients]
        self.form.attach.choices = [SelectChoice(f.id, f.filename) for f in self.files]
        self.form.reply.data = str(self.answering.id) if self.answering else ""
        if self.answering is not None:
            self.form.template.choices = [
                SelectChoice("", gettext("No template: the answer alone")),
                *self.form.template.choices,
            ]

    def recipient(self, value):
        return next((r for r in self.recipients if r.value == value), None)

    def page(self, status: int = 200, problems=()):
        chosen = set(self.form.attach.data or ())
        return (
            render_template(
                "crm/activities/email.html",
                lead=self.lead,
                form=self.form,
                answering=self.answering,
                recipient=self.recipient(self.form.contact_id.data),
                attached=[f for f in self.files if f.id in chosen],
                problems=list(problems),
                limits={
                    "mb": attaching.MAX_TOTAL_MB,
                    "file_mb": attaching.MAX_FILE_MB,
                    "count": attaching.MAX_COUNT,
                },
            ),
            status,
        )


@bp.route("/leads/<id:lead_id>/email", methods=["GET", "POST"])
@require("activity.create")
def lead_email(lead_id: int):
    lead = get_lead_or_404(lead_id, "activity.create")
    if request.method == "GET":
        letter = _Letter(lead, request.args.get("reply"))
        if not letter.recipients:
            return render_template("crm/activities/email.html", lead=lead, form=None)
        return _compose(letter)
    letter = _Letter(lead, request.form.get("reply"))
    if not letter.recipients:
        return render_template("crm/activities/email.html", lead=lead, form=None)
    return _submit(letter, request.form.get("action", "preview"))


def _compose(letter: _Letter):
    """A fresh letter from the chosen template, in the chosen or the investor's language; an
    answer to a received mail starts from "Re: …" and the quoted text."""
    args, form, lead = request.args, letter.form, letter.lead
    value = _int(args.get("contact_id", args.get("contact")))
    recipient = letter.recipient(value) or composer.recipient_for(
        letter.recipients, letter.answering
    )
    recipient = recipient or letter.recipients[0]
    lang = args.get("language")
    lang = lang if lang in LANGUAGES else letter_language(recipient, lead)
    key = args.get("template")
    if key not in TEMPLATE_LABELS:
        key = None if letter.answering and not key else DEFAULT_TEMPLATE
    subject = body = ""
    if key is not None:
        try:
            subject, body = render_letter(key, lang, lead, recipient)
        except TemplateNotFound:
            abort(404)
    if letter.answering is not None:
        subject = composer.reply_subject(letter.answering.subject)
        body = body + composer.quoted(letter.answering, lang)
    chosen = {_int(v) for v in args.getlist("attach")}
    form.contact_id.data, form.template.data, form.language.data = recipient.value, key, lang
    form.subject.data, form.body.data = subject, body
    form.attach.data = [f.id for f in letter.files if f.id in chosen]
    return letter.page()


def _submit(letter: _Letter, action: str):
    """Preview (and keep the files uploaded so far) or send; the page again on any problem."""
    form = letter.form
    valid = form.validate()
    files = composer.uploads()
    checked, problems = composer.read_uploads(files)
    chosen = [f for f in letter.files if f.id in set(form.attach.data or ())]
    try:
        attaching.check_together([f.size for f in chosen] + [len(d) for d, _, _ in checked])
    except attaching.AttachmentRefused as refused:
        problems.append(str(refused))
    if problems or not valid:
        if files and not problems:
            problems.append(
                gettext("Choose the files again: nothing is kept from a letter with mistakes.")
            )
        return letter.page(400, problems)
    try:
        new = composer.keep_uploads(letter.lead, checked)
    except StorageUnavailable as failed:
        return letter.page(503, [failed.message])
    if new:
        letter.files += new
        form.attach.choices += [SelectChoice(f.id, f.filename) for f in new]
        form.attach.data = [*(form.attach.data or ()), *(f.id for f in new)]
    if action == "send":
        return _send(letter, chosen + new)
    return letter.page()


def _send(letter: _Letter, files):
    form, lead = letter.form, letter.lead
    recipient = letter.recipient(form.contact_id.data)
    subject, body = form.subject.data.strip(), form.body.data
    outbox.queue(
        kind="crm",
        to=recipient.address,
        language=form.language.data,
        subject=subject,
        body=body,
        lead_id=lead.id,
        automatic=False,
        answerable_by_lead=True,
        officer_name=current_user.name,
        answering=letter.answering or thread.last_mail_from(lead.id, recipient.address),
        attachments=files,
    )
    log_activity(lead, kind="email", direction="out", subject=subject, body=body)
    if not saved():
        flash(gettext("This lead was changed by someone else just now. Please try again."), "error")
        return letter.page(409)
    flash(gettext("Email to %(name)s queued for sending.", name=recipient.name), "success")
    return redirect(lead_url(lead.id))
