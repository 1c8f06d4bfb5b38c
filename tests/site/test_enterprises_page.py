"""The public "Enterprises in the park" page reads the CRM's enterprise records."""

import pytest
from sqlalchemy import select

from core.enterprises import load_enterprises
from core.extensions import db
from core.models import Enterprise


@pytest.fixture
def firms(app):
    with app.app_context():
        assert load_enterprises() == 20
        assert load_enterprises() == 0  # loading again never overwrites the bureau's records


@pytest.mark.parametrize(
    "lang, name",
    [
        ("zh", "成都蜀味食品有限公司"),
        ("en", "Chengdu Shuwei Foods Co., Ltd."),
        ("de", "Chengdu Shuwei Foods Co., Ltd."),
        ("fr", "Chengdu Shuwei Foods Co., Ltd."),
    ],
)
def test_listed_enterprises_in_each_language(app, client, firms, lang, name):
    html = client.get(f"/{lang}/enterprises").get_data(as_text=True)
    assert name in html
    with app.app_context():
        unlisted = db.session.scalars(select(Enterprise).where(Enterprise.listed.is_(False))).all()
    assert unlisted  # the demo has firms that did not agree to be listed
    for firm in unlisted:
        assert firm.display_name(lang) not in html


def test_a_change_in_the_crm_shows_at_once_despite_the_cache(app, firms, cached, visitor):  # noqa: F811
    assert "Chengdu Shuwei Foods" in visitor.get("/en/enterprises").get_data(as_text=True)
    with app.app_context():
        firm = db.session.scalar(select(Enterprise).where(Enterprise.slug == "shuwei-foods"))
        firm.listed = False
        db.session.commit()
    assert "Chengdu Shuwei Foods" not in visitor.get("/en/enterprises").get_data(as_text=True)
