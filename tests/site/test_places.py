"""Where, who, what: the regional map, the desks, planning conditions, the approval timeline,
the North expansion's plots, an empty search's inquiry, and meeting wishes at a fair."""

import html as html_lib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from sqlalchemy import select

from core.extensions import db
from core.i18n import LANGUAGES
from core.models import Inquiry, OutboxEmail, Plot
from tests.factories import english_cast, make_event, signed_in
from tests.forms import HIDDEN, answers, page
from tests.site.test_content import ROOT as CONTENT_ROOT
from tests.site.test_land import listed, notes

LANGS = list(LANGUAGES)


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return page(response)


def data(name: str) -> dict:
    return yaml.safe_load((CONTENT_ROOT / "data" / f"{name}.yaml").read_text(encoding="utf-8"))


# -- the location page -------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_location_page_draws_the_region_from_content(client, lang):
    html = get(client, f"/{lang}/location")
    svg = re.search(r'<svg class="region-map-svg".*?</svg>', html, re.S).group(0)
    for place in data("places")["map"]["places"]:
        if place["label"] != "none":
            assert html_lib.escape(place["short"][lang], quote=False) in svg, place["code"]
        # every place but the park has its distance and time in the list
        assert html_lib.escape(place["name"][lang], quote=False) in html
    assert "<script" not in html.split("<body", 1)[1].replace('<script src="/static', "")
    assert "<image" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")
    assert re.search(r"30[.,]780°.{1,8}103[.,]700°", html)


def test_location_links_out_to_the_readers_map_service(client):
    zh, en = get(client, "/zh/location"), get(client, "/en/location")
    assert "https://uri.amap.com/marker?" in zh and "https://api.map.baidu.com/marker?" in zh
    assert "openstreetmap" not in zh
    assert "https://www.openstreetmap.org/?mlat=30.78&amp;mlon=103.7" in en
    assert "amap" not in en and "baidu" not in en
    # the park's own links come last, after each destination's
    amap = html_lib.unescape(re.findall(r'href="(https://uri\.amap\.com[^"]+)"', zh)[-1])
    query = parse_qs(urlsplit(amap).query)
    assert query["position"] == ["103.7,30.78"] and query["coordinate"] == ["wgs84"]


def test_travel_times_in_words(client):
    en, de = get(client, "/en/location"), get(client, "/de/location")
    assert "about 100 km by road, some 1 h 20 min by car" in en
    assert "about 40 km by road, some 45 minutes by car" in en
    assert "45 Minuten" in de


@pytest.mark.parametrize("lang", LANGS)
def test_home_and_contact_link_to_the_location(client, lang):
    for url in (f"/{lang}/", f"/{lang}/contact"):
        assert f'href="/{lang}/location"' in get(client, url), url


# -- the desks -----------------------------------------------------------------------------


def test_contact_names_the_desks_with_person_languages_phone_and_mail(client):
    html = get(client, "/en/contact")
    assert "Europe desk" in html and "China desk" in html
    assert "Anna Li" in html and "Wang Zhiqiang" in html
    assert "Speaks German, French, English, and Chinese." in html
    assert 'href="tel:+862855550120"' in html and "+86 28 5555 0120" in html
    assert 'href="mailto:europe@qingyuan-port.example"' in html
    # WeChat's ID is said in every language; its QR code is for the Chinese page
    assert "qingyuan-invest" in html and "wechat-china.svg" not in html


def test_chinese_contact_shows_a_wechat_code_drawn_here(client):
    html = get(client, "/zh/contact")
    assert '<img class="wechat-qr" src="/zh/contact/wechat-china.svg"' in html
    assert "工作语言：德语、法语、英语和中文。" in html
    response = client.get("/zh/contact/wechat-china.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data and b"<script" not in response.data
    assert client.get("/zh/contact/wechat-europe.svg").status_code == 404  # no WeChat there
    assert client.get("/zh/contact/wechat-nobody.svg").status_code == 404


# -- the approval timeline ------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_one_stop_page_shows_every_step_and_its_time_limit(client, lang):
    html = html_lib.unescape(get(client, f"/{lang}/one-stop-service"))
    timeline = re.search(r'<ol class="approval-timeline">.*?</ol>', html, re.S).group(0)
    steps = data("approvals")["steps"]
    assert timeline.count("<li>") == len(steps)
    for step in steps:
        assert step["name"][lang] in timeline
    if lang == "en":
        assert "Environmental impact assessment" in timeline and "20 working days" in timeline
    if lang == "zh":
        assert "20个工作日" in timeline


# -- planning conditions ------------------------------------------------------------------


def test_plot_page_gives_planning_conditions_with_units_explained(client):
    en = html_lib.unescape(get(client, "/en/land/NX-01"))
    section = re.search(r'<dl class="facts planning-facts">.*?</dl>', en, re.S).group(0)
    assert "1.2 to 2.5" in section  # plot ratio
    assert "at least 40%" in section and "at most 15%" in section and "30 m" in section
    # 350 万元 per mu: CNY 3.5 million per mu, 52.5 million per hectare
    assert "at least CN¥3,500,000 per mu (CN¥52,500,000 per hectare)" in section
    assert "容积率" in section and "投资强度" in section and "亩均税收" in section
    zh = html_lib.unescape(get(client, "/zh/land/NX-01"))
    assert "350万元" in zh and "25万元" in zh
    de = html_lib.unescape(get(client, "/de/land/NX-01"))
    assert "1,2 bis 2,5" in de


def test_land_page_filters_by_what_the_investor_can_commit(client):
    everything = listed(get(client, "/en/land"))
    expansion = {c for c in everything if c.startswith("NX-")}
    assert len(expansion) == 5
    modest = listed(get(client, "/en/land?intensity=300"))
    # NX-01 to NX-03 ask for 350 万元 per mu; NX-05 (research) for 400
    assert not {"NX-01", "NX-02", "NX-03", "NX-05"} & set(modest) and "NX-04" in modest
    tall = set(listed(get(client, "/en/land?height=30")))
    # 30 m allowed on NX-01 and NX-03, 50 m on research land; 24 m elsewhere
    assert {"NX-01", "NX-03", "NX-05"} <= tall and not {"NX-02", "NX-04", "N-02"} & tall
    html = get(client, "/en/land?tax=7&height=abc")
    assert len(notes(html)) == 2 and len(listed(html)) == len(everything)


def test_north_expansion_offers_large_plots_with_serviceable_dates(client):
    html = get(client, "/en/land?zone=expansion&sort=area_desc")
    assert listed(html)[0] == "NX-03"
    plot = html_lib.unescape(get(client, "/en/land/NX-03"))
    assert "Serviceable from" in plot and "31 Dec 2027" in plot
    assert "Ask about this plot" in plot
    # 30 ha, enough for a CNY 500 million project at 350 万元 per mu (143 mu)
    assert "30.00 ha" in plot


# -- an empty search and what is coming -------------------------------------------------------


def test_empty_result_offers_an_inquiry_carrying_the_search_and_what_is_coming(app, client):
    html = get(client, "/en/land?zone=south&min_ha=50")
    assert listed(html) == []
    link = html_lib.unescape(re.search(r'href="(/en/inquiry\?need=[^"]+)"', html).group(1))
    coming = re.search(r'<ul class="coming-plots">.*?</ul>', html, re.S).group(0)
    assert "serviceable from" in coming
    assert 'href="/en/land?zone=expansion"' in html
    form = page(client.get(link))
    hidden = {k: html_lib.unescape(v) for k, v in HIDDEN.findall(form)}
    assert parse_qs(hidden["need"]) == {"zone": ["south"], "min_ha": ["50"]}
    assert "Your land search goes with this inquiry" in form
    response = client.post("/en/inquiry", data={**hidden, **answers()})
    assert response.status_code == 303
    with app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        assert inquiry.wishes == {"land_filter": "zone=south&min_ha=50"}
        note = db.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "inquiry_notification")
        )
        assert "/zh/land?zone=south&min_ha=50" in note.body_text


def test_a_forged_search_is_cleaned_before_it_is_kept(client):
    form = page(client.get("/en/inquiry?need=zone%3Dmoon%26ready%3Dnow%26x%3D%3Cscript%3E"))
    hidden = dict(HIDDEN.findall(form))
    assert hidden["need"] == "ready=now"
    assert "<script>" not in form


# -- meeting at a fair ---------------------------------------------------------------------------


@pytest.fixture
def fair(app):
    with app.app_context():
        event = make_event("autumn-fair", days_ahead=5)
        db.session.commit()
        return {
            "slug": event.slug,
            "days": [event.starts_on.isoformat(), event.ends_on.isoformat()],
        }


def test_event_page_is_written_in_sentences_and_offers_meeting_days(client, fair):
    html = page(client.get(f"/en/events/{fair['slug']}"))
    assert "Meet the investment bureau at Expo City in Chengdu on" in html
    assert "You will find us here: Hall 3, booth A12." in html
    assert "<dt>When</dt>" not in html
    days = re.findall(r'name="meeting_days" type="checkbox" value="([^"]+)"', html)
    assert len(days) == 3 and days[0] == fair["days"][0]
    assert 'name="meeting_time"' in html


def test_meeting_wishes_reach_the_bureau_with_fair_and_booth(app, client, fair):
    html = page(client.get(f"/de/events/{fair['slug']}"))
    hidden = dict(HIDDEN.findall(html))
    data = {**hidden, **answers(), "meeting_days": [fair["days"][0], "2001-01-01"]}
    data["meeting_time"] = "afternoon"
    assert client.post("/de/inquiry", data=data).status_code == 303
    with app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        # a day the fair does not have is dropped, not stored
        assert inquiry.wishes == {
            "meeting": {"event": fair["slug"], "days": [fair["days"][0]], "time": "afternoon"}
        }
        mails = {m.kind: m.body_text for m in db.session.scalars(select(OutboxEmail))}
    note, confirmation = mails["inquiry_notification"], mails["inquiry_confirmation"]
    assert "autumn-fair 展会" in note and "Hall 3, booth A12" in note and "下午" in note
    assert "autumn-fair fair" in confirmation and "Hall 3, booth A12" in confirmation
    assert "Nachmittag" in confirmation


def test_meeting_choice_out_of_the_list_is_ignored_not_a_500(app, client, fair):
    hidden = dict(HIDDEN.findall(page(client.get(f"/en/events/{fair['slug']}"))))
    data = {**hidden, **answers(), "meeting_days": "x" * 500, "meeting_time": "midnight"}
    assert client.post("/en/inquiry", data=data).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Inquiry)).wishes is None


# -- a mobile number instead of an email address (the Chinese form) -----------------------------


def test_chinese_form_takes_a_mobile_number_instead_of_an_email(app, client):
    hidden = {k: html_lib.unescape(v) for k, v in HIDDEN.findall(page(client.get("/zh/inquiry")))}
    data = {**hidden, **answers(email="", phone="138 0028 5555", country="CN", language="zh")}
    response = client.post("/zh/inquiry", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("by=phone")
    thanks = page(client.get(response.headers["Location"]))
    assert "我们将通过该号码与您联系" in thanks
    with app.app_context():
        inquiry = db.session.scalar(select(Inquiry))
        assert inquiry.contact.email is None and inquiry.contact.phone == "+8613800285555"
        kinds = [m.kind for m in db.session.scalars(select(OutboxEmail))]
        assert kinds == ["inquiry_notification"]  # no address to confirm to; the bureau is told


@pytest.mark.parametrize(
    "lang, phone, message",
    [
        ("zh", "", "请填写电子邮箱，或在电话一栏填写手机号码。"),
        ("zh", "028 5555 0100", "请填写电子邮箱，或在电话一栏填写手机号码。"),  # a fixed line
        ("en", "138 0028 5555", "Enter your email address."),  # only the Chinese form
    ],
)
def test_without_email_a_mobile_number_is_needed(app, client, lang, phone, message):
    hidden = {
        k: html_lib.unescape(v) for k, v in HIDDEN.findall(page(client.get(f"/{lang}/inquiry")))
    }
    data = {**hidden, **answers(email="", phone=phone, country="CN")}
    response = client.post(f"/{lang}/inquiry", data=data)
    assert response.status_code == 422
    assert message in html_lib.unescape(page(response))
    with app.app_context():
        assert db.session.scalar(select(Inquiry)) is None


def test_sitemap_lists_the_location_page_in_every_language(client):
    sitemap = page(client.get("/sitemap.xml"))
    for lang in LANGS:
        assert f"http://localhost/{lang}/location</loc>" in sitemap


# -- the page cache stays right -----------------------------------------------------------------


def similar_on(html: str) -> list[str]:
    found = re.search(r'<ul class="similar-plots".*?</ul>', html, re.S)
    return re.findall(r'href="/\w+/land/([^"]+)"', found.group(0)) if found else []


def test_cached_plot_page_stops_pointing_to_a_plot_once_it_is_allocated(app, cached, visitor):
    first = similar_on(page(visitor.get("/en/land/N-01")))
    assert first and page(visitor.get("/en/land/N-01")) and len(cached) == 1
    with app.app_context():
        db.session.scalar(select(Plot).where(Plot.code == first[0])).status = "allocated"
        db.session.commit()
    again = similar_on(page(visitor.get("/en/land/N-01")))
    assert first[0] not in again and len(again) == len(first)


def test_cached_location_and_contact_pages_are_served_again(cached, visitor):
    for url in ("/zh/location", "/zh/contact", "/zh/one-stop-service"):
        assert visitor.get(url).get_data() == visitor.get(url).get_data()
    assert len(cached) == 3
    assert visitor.get("/zh/contact/wechat-china.svg").headers["Cache-Control"].startswith("public")


def test_the_lead_page_in_the_crm_shows_the_meeting_wish(app, client, fair):
    hidden = dict(HIDDEN.findall(page(client.get(f"/en/events/{fair['slug']}"))))
    data = {**hidden, **answers(), "meeting_days": fair["days"][0], "meeting_time": "morning"}
    assert client.post("/en/inquiry", data=data).status_code == 303
    with app.app_context():
        cast = english_cast()
        lead_id = db.session.scalar(select(Inquiry)).lead_id
    html = page(signed_in(app, cast.manager).get(f"/crm/leads/{lead_id}"))
    assert "<dt>Preferred meeting days</dt>" in html and "<dd>Morning</dd>" in html
