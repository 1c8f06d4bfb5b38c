"""What signing a lead records: the contract, its agreement (the proof), plots, deadline, policy."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext

from core import incentives
from core.models import Lead, Plot, User
from core.refusals import Refused


@dataclass(frozen=True)
class Signing:
    """The signing as staff record it; the agreement is the stored upload (key, type, size)."""

    signed_on: date
    amount: Decimal
    agreement: tuple[str, str, int]
    agreement_name: str
    construction_deadline: date
    policy_version: str
    liaison: User | None = None
    plots: list[Plot] = field(default_factory=list)


def missing() -> Refused:
    """A person's move to Signed without the contract: the signing form asks for it."""
    return Refused(
        gettext(
            "Signing records the contract: its date, amount, agreement, plots, liaison leader, "
            "construction deadline and incentive policy."
        ),
        field="signing",
    )


def check(signing: Signing, lead: Lead, today: date) -> None:
    """The rules a signing meets whatever form it came from; Refused names the field."""
    if signing.signed_on > today:
        raise Refused(gettext("The day cannot be in the future."), field="signed_on")
    if signing.amount <= 0:
        raise Refused(gettext("Enter the contract amount."), field="amount")
    if signing.construction_deadline < signing.signed_on:
        raise Refused(
            gettext("The deadline cannot be before the signing."), field="construction_deadline"
        )
    if incentives.policy(signing.policy_version) is None:
        raise Refused(
            gettext("Choose an incentive policy version from the list."), field="policy_version"
        )
    if signing.liaison is not None and (
        signing.liaison.role != "leader" or not signing.liaison.active
    ):
        raise Refused(gettext("Choose a liaison leader from the list."), field="liaison")
