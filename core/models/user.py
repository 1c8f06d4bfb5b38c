"""User: a member of staff (bureau, park, county leader) who signs in to the CRM."""

from datetime import datetime

from flask_babel import get_locale
from flask_login import UserMixin
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.extensions import db
from core.models.base import UTCDateTime, utcnow

ROLES = ("admin", "manager", "officer", "leader")


class Team(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    # The bureau's name for the team (Chinese, the staff default); name_en for English readers.
    name: Mapped[str] = mapped_column(String(80), unique=True)
    # The team's WeCom group robot (new inquiries, replies); None: WECOM_WEBHOOK_URL, if set.
    wecom_webhook_url: Mapped[str | None] = mapped_column(String(500))
    name_en: Mapped[str | None] = mapped_column(String(80))

    @property
    def label(self) -> str:
        """The team's name in the reader's language: the English one where there is one."""
        locale = get_locale()
        english = locale is not None and locale.language != "zh"
        return self.name_en if english and self.name_en else self.name


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # A work phone, international format: escalation mails give it so a department can call.
    phone: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time step accepted: a code is never accepted twice, nor an older one.
    totp_last_counter: Mapped[int | None]
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout, password change and deactivation: every older session cookie dies.
    session_version: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(String(5), default="zh")
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Shanghai")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The lead list's optional columns this person chose to see, in order; None: all of them.
    lead_columns: Mapped[list | None] = mapped_column(JSON)
    # The personal calendar feed's secret, hashed (SHA-256): the address shows it once; None: off.
    calendar_feed_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Per notification kind, whether it also comes by e-mail; a kind not in it: the default.
    notify_by_mail: Mapped[dict | None] = mapped_column(JSON)

    team: Mapped[Team | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
