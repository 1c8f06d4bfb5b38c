"""The reply time the site promises is the CRM's setting, the clock every new lead runs on."""

from core import settings
from core.extensions import db


def test_the_pages_promise_what_the_setting_says(app, client):
    assert "within 2 working days" in client.get("/en/inquiry").get_data(as_text=True)
    with app.app_context():
        settings.put("response_working_days", 3)
        db.session.commit()
    for path in ("/en/", "/en/inquiry"):
        assert "within 3 working days" in client.get(path).get_data(as_text=True), path
