"""The demo's staff accounts, one per role (README lists them). Never in production."""

from sqlalchemy import select

from core.audit import record
from core.cli import team_named
from core.extensions import db
from core.models import User
from core.passwords import hash_password

DEMO_PASSWORD = "qingyuan-demo-2026"  # noqa: S105 - a published demo password, not a secret
# Names as colleagues say them; the CRM shows role and team in each reader's language.
DEMO_ACCOUNTS = (
    ("admin@qingyuan-port.example", "刘管理 Liu", "admin", None),
    ("manager@qingyuan-port.example", "王经理 Wang", "manager", None),
    ("officer@qingyuan-port.example", "李招商 Li", "officer", "欧洲招商组"),
    ("officer2@qingyuan-port.example", "赵招商 Zhao", "officer", "国内招商组"),
    ("leader@qingyuan-port.example", "陈县长 Chen", "leader", None),
)
# The demo teams' names for English-language staff.
TEAM_NAMES_EN = {"欧洲招商组": "Europe desk", "国内招商组": "China desk"}


def _team(name: str | None):
    team = team_named(name)
    if team is not None and not team.name_en:
        team.name_en = TEAM_NAMES_EN.get(name)
    return team


def load_demo_accounts() -> int:
    created = 0
    for email, name, role, team in DEMO_ACCOUNTS:
        if db.session.scalar(select(User).where(User.email == email)):
            continue
        user = User(
            email=email,
            name=name,
            role=role,
            team=_team(team),
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.add(user)
        record("create", user, {"email": [None, email], "role": [None, role]}, actor="system")
        created += 1
    db.session.commit()
    return created
