"""No public page contradicts another on how soon and in which languages the bureau answers:
every page, the form and the home page's figure read the response time from the CRM's setting
(which also sets the first-response clock) and the languages from the site's data."""

import re

import pytest

from core import settings
from core.content import get_content
from core.extensions import db
from core.i18n import LANGUAGES
from tests.conftest import PAGES

# How each language promises a reply in "N working days" (digits, or the words content once
# used); other time limits (an approval's 15 working days) are not a reply.
WORKING_DAYS = {
    "en": r"(?:reply|replies|answer\w*|respond\w*)[^.<]{0,40}?(\d+|two|three) working days?",
    "de": r"(?:antwort\w*|Antwort\w*)[^.<]{0,60}?(\d+|zwei|drei) Arbeitstag",
    "fr": r"(?:répon\w*)[^.<]{0,60}?(\d+|deux|trois) jours? ouvrés?",
    "zh": r"(\d+|两|三)个工作日内[^。<]{0,20}?答复",
}
ALL_LANGUAGES = {
    "en": "Chinese, English, German, or French",
    "de": "Chinesisch, Englisch, Deutsch oder Französisch",
    "fr": "chinois, anglais, allemand ou français",
    "zh": "中文、英语、德语或法语",
}


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_page_promises_the_response_time_of_the_setting(app, client, lang):
    with app.app_context():
        settings.put("response_working_days", 3)
        db.session.commit()
    said = {}
    # The privacy notice's deadline for a request about one's data is the law's, not a reply.
    for path in [*(path for path in PAGES if path != "/privacy"), "/inquiry/thanks"]:
        html = client.get(f"/{lang}{path}").get_data(as_text=True)
        said[path] = re.findall(WORKING_DAYS[lang], html)
    assert said["/"] and said["/contact"] and said["/one-stop-service"], said
    promised = {value for values in said.values() for value in values}
    assert promised == {"3"}, said


@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_the_contact_page_names_the_languages_the_form_offers(client, lang):
    html = client.get(f"/{lang}/contact").get_data(as_text=True)
    assert ALL_LANGUAGES[lang] in html
    assert "English or Chinese" not in html and "Englisch oder Chinesisch" not in html


def test_the_languages_promised_are_the_ones_the_desks_speak(app, client, monkeypatch):
    """One source: if no desk spoke French, no page would promise a reply in French."""
    with app.app_context():
        for desk in get_content()["places"]["desks"]:
            monkeypatch.setitem(desk, "languages", [c for c in desk["languages"] if c != "fr"])
    html = client.get("/en/contact").get_data(as_text=True)
    assert "Chinese, English, or German" in html
    assert ALL_LANGUAGES["en"] not in html
