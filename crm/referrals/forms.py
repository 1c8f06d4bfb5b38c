"""Forms of the referral page: accept, merge into a lead, decline, share amounts, route."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import Form
from core.models import DECLINE_REASONS
from core.referral_status import REASON_LABELS
from crm.leads.forms import TOO_LONG, single_line

MESSAGE_MAX = 1000
OVERRIDE_MAX = 1000
# The route form's value for "no team": any officer may take the referral on.
SHARED_INBOX = "shared"


class ActionForm(Form):
    # The referral's version when the page was opened: a decision on a changed one is refused.
    # The template writes it and the CSRF token as plain inputs without ids (four forms, one page).
    version = HiddenField()


class AcceptForm(ActionForm):
    different_company = BooleanField(
        _l("It is a different company"),
        description=_l(
            "Tick only if the leads listed as possible matches are another firm than the one "
            "referred."
        ),
    )


class MergeForm(ActionForm):
    # A lead from the matches (its id), or typed below; the typed one wins when both are given.
    match = RadioField(_l("Possible matches"), choices=[], validate_choice=False)
    lead_number = StringField(
        _l("Or another lead: its number or code name"),
        validators=[Optional(), single_line, Length(max=60, message=TOO_LONG)],
    )
    # Shown to and read for managers only (referral.override); ignored for everyone else.
    override_reason = TextAreaField(
        _l("Reason for giving the credit anyway (managers only)"),
        validators=[Optional(), Length(max=OVERRIDE_MAX, message=TOO_LONG)],
    )


class DeclineForm(ActionForm):
    reason = SelectField(
        _l("Reason"),
        validators=[DataRequired(_l("Choose the reason why the referral is declined."))],
        validate_choice=False,  # checked against DECLINE_REASONS with a clear message
    )
    decline_message = TextAreaField(
        _l("Message to the enterprise"),
        description=_l("Shown to the referring enterprise on its portal and in the email."),
        validators=[Optional(), Length(max=MESSAGE_MAX, message=TOO_LONG)],
    )

    def fill_choices(self) -> None:
        self.reason.choices = [("", _l("— choose a reason —"))] + [
            (code, REASON_LABELS[code]) for code in DECLINE_REASONS
        ]


class ShareForm(ActionForm):
    pass


class RouteForm(ActionForm):
    team = SelectField(
        _l("Team"),
        validators=[DataRequired(_l("Choose a team or the shared inbox."))],
        validate_choice=False,  # checked against the teams with a clear message
    )

    def fill_choices(self, teams) -> None:
        self.team.choices = [(SHARED_INBOX, _l("Shared inbox"))] + [
            (str(team.id), team.label) for team in teams
        ]
