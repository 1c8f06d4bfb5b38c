"""Search through the lead list: every way staff look for a firm finds it, and only it."""

import re

import pytest

from core.code_names import code_name_for
from core.extensions import db
from core.models import Contact, Lead
from tests.factories import make_lead, signed_in


def companies(html: str) -> list[str]:
    return sorted(re.findall(r'<th scope="row"[^>]*>\s*<a href="[^"]*">([^<]*)</a>', html))


@pytest.fixture
def firms(app, cast):
    """Firms as the bureau meets them: Chinese names, German umlauts, phones as written."""
    with app.app_context():
        made = {
            "languang": make_lead("成都蓝光电子有限公司", contact_name="王芳",
                                  email="wf@languang.cn", phone="+86 28 8765 4321", country="CN",
                                  language="zh"),
            "lantian": make_lead("成都蓝天光学有限公司", contact_name="刘洋", email="ly@lantian.cn",
                                 phone="028-66554433", country="CN", language="zh"),
            "tianfu": make_lead("成都天府精密机械有限公司", contact_name="赵敏",
                                email="zhao@tianfu-jm.cn", country="CN", language="zh"),
            "mueller": make_lead("Müller Präzisionstechnik GmbH", contact_name="Anna Schäfer",
                                 email="anna@mueller-praezision.de", phone="+49 89 1234 5678"),
            "bernard": make_lead("Bernard Électronique SARL", contact_name="Jérôme Bernard",
                                 email="jerome@bernard-elec.fr", country="FR", language="fr"),
        }  # fmt: skip
        db.session.commit()
        return {key: (lead.id, lead.company_name, lead.code_name) for key, lead in made.items()}


def found(client, term: str) -> list[str]:
    response = client.get("/crm/leads", query_string={"q": term})
    assert response.status_code == 200
    return companies(response.get_data(as_text=True))


@pytest.fixture
def manager(app, client, cast):
    return signed_in(app, cast.manager, client)


def name(firms, key):
    return firms[key][1]


def test_a_two_character_chinese_name(manager, firms):
    assert found(manager, "蓝光") == [name(firms, "languang")]
    assert found(manager, "天府") == [name(firms, "tianfu")]
    # 蓝天光学 holds 蓝 and 光, but not 蓝光 together.
    assert name(firms, "lantian") not in found(manager, "蓝光")


def test_pinyin_full_and_initials(manager, firms):
    assert found(manager, "jingmi") == [name(firms, "tianfu")]
    assert found(manager, "tfjm") == [name(firms, "tianfu")]
    assert found(manager, "TianFu") == [name(firms, "tianfu")]
    assert found(manager, "languang") == [name(firms, "languang")]
    assert found(manager, "cdlg") == [name(firms, "languang")]


@pytest.mark.parametrize("term", ["Müller", "muller", "MUELLER", "praezision", "präzision"])
def test_latin_names_with_or_without_diacritics(manager, firms, term):
    assert found(manager, term) == [name(firms, "mueller")]


def test_a_firm_written_mueller_is_found_as_mueller_or_mueller(app, manager, firms):
    with app.app_context():
        make_lead("Mueller Logistik AG", email="info@mueller-logistik.example")
        db.session.commit()
    assert found(manager, "Mueller") == sorted([name(firms, "mueller"), "Mueller Logistik AG"])
    assert found(manager, "electronique") == [name(firms, "bernard")]
    assert found(manager, "jerome") == [name(firms, "bernard")]


@pytest.mark.parametrize(
    "typed", ["028-87654321", "028 8765 4321", "+86 28 8765 4321", "87654321", "0086 28 87654321"]
)
def test_a_phone_as_the_person_types_it(manager, firms, typed):
    assert found(manager, typed) == [name(firms, "languang")]


def test_a_phone_written_nationally_is_found_internationally(manager, firms):
    assert found(manager, "+86 28 6655 4433") == [name(firms, "lantian")]
    assert found(manager, "(089) 1234-5678") == [name(firms, "mueller")]
    assert found(manager, "+49 30 1111 2222") == []


def test_an_email_or_its_domain(manager, firms):
    assert found(manager, "zhao@tianfu-jm.cn") == [name(firms, "tianfu")]
    assert found(manager, "TIANFU-JM.CN") == [name(firms, "tianfu")]
    assert found(manager, "mueller-praezision") == [name(firms, "mueller")]


def test_a_code_name(manager, firms):
    code = firms["bernard"][2]
    assert found(manager, code) == [name(firms, "bernard")]
    assert found(manager, code.upper()) == [name(firms, "bernard")]
    # As Chinese staff read it: 水獭-00054 for Otter-00054.
    lead_id = firms["bernard"][0]
    assert found(manager, code_name_for(lead_id, "zh")) == [name(firms, "bernard")]


def test_a_contact_name_in_chinese_latin_or_pinyin(app, manager, firms):
    assert found(manager, "王芳") == [name(firms, "languang")]
    assert found(manager, "wangfang") == [name(firms, "languang")]
    assert found(manager, "Schafer") == [name(firms, "mueller")]
    assert found(manager, "schaefer") == [name(firms, "mueller")]
    # A contact added later is found too.
    with app.app_context():
        lead = db.session.get(Lead, firms["tianfu"][0])
        lead.contacts.append(Contact(name="Klaus Becker", email="kb@tianfu-jm.cn", language="de"))
        from core.leads import refresh_search_text

        refresh_search_text(lead)
        db.session.commit()
    assert found(manager, "becker") == [name(firms, "tianfu")]


def test_every_word_must_match(manager, firms):
    assert found(manager, "成都 jingmi") == [name(firms, "tianfu")]
    assert found(manager, "蓝光 jingmi") == []
