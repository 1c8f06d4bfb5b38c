"""The demo's staff accounts, one per role (README lists them). Never in production."""

from sqlalchemy import select

from core.audit import record
from core.cli import team_named
from core.extensions import db
from core.models import User
from core.passwords import hash_password

DEMO_PASSWORD = "qingyuan-demo-2026"  # noqa: S105 - a published demo password, not a secret
DEMO_ACCOUNTS = (
    ("admin@qingyuan-port.example", "管理员 Admin", "admin", None),
    ("manager@qingyuan-port.example", "王经理 Wang (manager)", "manager", None),
    ("officer@qingyuan-port.example", "李招商 Li (officer, Europe desk)", "officer", "Europe desk"),
    (
        "officer2@qingyuan-port.example",
        "赵招商 Zhao (officer, China desk)",
        "officer",
        "China desk",
    ),
    ("leader@qingyuan-port.example", "陈县长 Chen (county leader)", "leader", None),
)


def load_demo_accounts() -> int:
    created = 0
    for email, name, role, team in DEMO_ACCOUNTS:
        if db.session.scalar(select(User).where(User.email == email)):
            continue
        user = User(
            email=email,
            name=name,
            role=role,
            team=team_named(team),
            password_hash=hash_password(DEMO_PASSWORD),
        )
        db.session.add(user)
        record("create", user, {"email": [None, email], "role": [None, role]}, actor="system")
        created += 1
    db.session.commit()
    return created
