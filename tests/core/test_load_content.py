"""`flask load-content` loads the park's content and nothing of the demo, and is safe to repeat;
`flask create-user` makes the first admin, who enrols a second factor at the first sign-in."""

from sqlalchemy import func, select

from core.content import get_content
from core.extensions import db
from core.models import Enterprise, Event, Lead, ListItem, Plot, Referral, User
from tests.forms import sign_in


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_load_content_loads_the_park_without_demo_data(app):
    result = app.test_cli_runner().invoke(args=["load-content"])
    assert result.exit_code == 0, result.output
    assert "demo" not in result.output
    with app.app_context():
        content = get_content()
        assert _count(Plot) == len(content["plots"]["plots"])
        assert _count(Enterprise) == len(content["enterprises"]["enterprises"])
        assert _count(Event) > 0 and _count(ListItem) > 0
        assert _count(Lead) == _count(User) == _count(Referral) == 0


def test_load_content_again_duplicates_nothing(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["load-content"]).exit_code == 0
    with app.app_context():
        counts = [_count(m) for m in (Plot, Enterprise, Event, ListItem)]
    again = runner.invoke(args=["load-content"])
    assert again.exit_code == 0, again.output
    assert "plots: 0 created" in again.output and "enterprises: 0 created" in again.output
    assert "lists: 0 items added" in again.output and "events: 0 created" in again.output
    with app.app_context():
        assert [_count(m) for m in (Plot, Enterprise, Event, ListItem)] == counts


def test_the_first_admin_is_made_by_create_user_and_enrols_totp_at_sign_in(app):
    password = "a long first admin password"
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "Admin@County.example", "--role", "admin"],
        input=f"{password}\n{password}\n",
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    answer = sign_in(client, "admin@county.example", password)
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/crm/account/two-factor")
    assert client.get("/crm/").headers["Location"].endswith("/crm/account/two-factor")
