"""The second factor: TOTP codes that work once, one-time recovery codes, the enrolment QR code."""

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import pyotp
import segno
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from core.extensions import db
from core.models import RecoveryCode, User
from core.models.base import utcnow

ISSUER = "Qingyuan Port CRM"
RECOVERY_CODES = 10
# No 0/O or 1/I/L: the codes are read off paper and typed by hand.
_RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_RECOVERY_LENGTH = 16  # ~79 bits of randomness


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> Markup:
    """The otpauth URI as an inline SVG drawn here: the secret never goes to a QR web service."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="totp-qr"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 - segno's own SVG


def _clean(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def matching_counter(secret: str, code: str, at: datetime | None = None) -> int | None:
    """The time step (within one step either side) whose code this is, or None."""
    code = _clean(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now = totp.timecode(at or datetime.now(UTC))
    for counter in (now - 1, now, now + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def accept_totp(user: User, code: str, secret: str | None = None) -> bool:
    """Check a TOTP code and burn its time step, so a seen code cannot be replayed.

    The compare-and-set UPDATE makes two workers racing with the same code accept it once.
    """
    counter = matching_counter(secret or user.totp_secret or "", code)
    if counter is None:
        return False
    burned = db.session.execute(
        update(User)
        .where(
            User.id == user.id,
            or_(User.totp_last_counter.is_(None), User.totp_last_counter < counter),
        )
        .values(totp_last_counter=counter)
        .execution_options(synchronize_session=False)
    )
    if burned.rowcount != 1:
        return False
    user.totp_last_counter = counter
    return True


def _digest(code: str) -> str:
    return hashlib.sha256(_clean(code).encode()).hexdigest()


def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes with fresh ones; the plain codes are shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append("-".join(raw[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4)))
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_digest(raw)))
    return codes


def use_recovery_code(user: User, code: str) -> bool:
    """Spend one recovery code; each works once, even when two requests race."""
    cleaned = _clean(code)
    if len(cleaned) != _RECOVERY_LENGTH:
        return False
    spent = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _digest(cleaned),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )


def accept_second_factor(user: User, code: str) -> bool:
    """A current TOTP code or an unused recovery code."""
    return accept_totp(user, code) or use_recovery_code(user, code)


def remove(user: User) -> None:
    """Turn the second factor off: secret and recovery codes go."""
    user.totp_secret = None
    user.totp_last_counter = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
