"""Password hashing (argon2id) and the password policy: length and a common-password check."""

from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_LENGTH = 12
MAX_LENGTH = 1000
COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt"


@cache
def _dummy() -> str:
    """Sentinel hash checked when the account is unknown, so timing does not reveal which emails
    exist. Made at the first sign-in, not at import: every `flask` command and worker paid it."""
    return _hasher.hash("not-a-real-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


@cache
def common_passwords() -> frozenset[str]:
    """The vendored list (core/data/README.md names its source), read once per process."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line.strip())


def policy_problem(password: str, email: str | None = None):
    """Why a new password is refused (a lazy string), or None when it is acceptable.

    No composition rules (NIST SP 800-63B): length, a list of known passwords, not the email.
    """
    if len(password) < MIN_LENGTH:
        return _l("Use at least %(count)s characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _l("Use at most %(count)s characters.", count=MAX_LENGTH)
    folded = password.strip().casefold()
    if folded in common_passwords():
        return _l("This password is too common. Choose another one.")
    if email and folded == email.strip().casefold():
        return _l("Your password must not be your email address.")
    return None
