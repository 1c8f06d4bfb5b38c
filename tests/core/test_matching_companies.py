"""Company names across scripts: the matches that must merge and the firms that must not."""

import pytest

from core.matching import company_similarity, normalise_company
from core.matching.scoring import MERGE, SUGGEST, Firm, compare


def outcome(a: str, b: str) -> str | None:
    return compare(Firm(a), Firm(b)).outcome


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("成都天府精密机械有限公司", "Chengdu Tianfu Precision Machinery Co., Ltd."),
        ("苏州汽车零部件有限公司", "Suzhou Auto Parts Co., Ltd."),
        ("宁波新材料科技有限公司", "Ningbo New Materials Technology Co., Ltd."),
        ("深圳华为技术有限公司", "Shenzhen Huawei Technologies Co., Ltd."),
        ("成都天府精密机械股份有限公司", "成都天府精密机械有限公司"),
        ("Dubois S.A.R.L.", "Dubois SARL"),
        ("Weber Maschinenbau GmbH", "Weber Maschinenbau AG"),
        ("Müller Präzisionstechnik GmbH", "Müller Praezisionstechnik GmbH"),
        ("Schmidt GmbH & Co. KG", "Schmidt & Co. KG"),
        ("Hoffmann Logistik GmbH", "Hoffmann Logistics GmbH"),
    ],
)
def test_same_firm_scores_strong(a, b):
    assert outcome(a, b) == MERGE


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Chengdu Tianfu Precision Machinery", "Chengdu Tianfo Precision Machinery"),
    ],
)
def test_near_spellings_score_weak_and_are_flagged_not_merged(a, b):
    assert outcome(a, b) == SUGGEST


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("成都天府食品有限公司", "Chengdu Tianfu Precision Machinery Co., Ltd."),
        ("Chengdu Tianfu Food Co.", "Chengdu Tianfu Precision Machinery Co., Ltd."),
        ("Müller Präzisionstechnik GmbH", "Müller Logistik GmbH"),
        ("Siemens AG", "Siemens Healthineers AG"),
        ("Weber Maschinenbau GmbH", "Becker Maschinenbau GmbH"),
        ("杭州天府科技有限公司", "成都天府科技有限公司"),
        ("BASF SE", "BASF Coatings GmbH"),
        ("新公司18科技有限公司", "新公司8科技有限公司"),
        ("Werk 2 Automotive GmbH", "Werk 3 Automotive GmbH"),
    ],
)
def test_different_firms_with_similar_names_do_not_match(a, b):
    assert outcome(a, b) != MERGE


def test_normal_form_translates_business_words_and_keeps_places_as_pinyin():
    assert normalise_company("成都天府精密机械有限公司") == "chengdu tianfu precision machinery"
    assert normalise_company("Chengdu Tianfu Precision Machinery Co., Ltd.") == (
        "chengdu tianfu precision machinery"
    )
    assert normalise_company("西门子（中国）有限公司") == "ximenzi"
    assert normalise_company("") == ""


def test_company_similarity_keeps_its_api():
    assert company_similarity("Dubois SARL", "Dubois S.A.R.L.") == 100
