"""The matcher's rules, one test each, and its precision and recall on the labelled corpus."""

import pytest

from bench.matching import load_pairs, measure
from core.matching.candidates import FirmIndex
from core.matching.scoring import MERGE, SUGGEST, Firm, compare, mail_domain
from core.matching.segmenting import segment


def test_brand_is_cut_out_whole_before_trade_words():
    parts = segment("成都蓝光电子有限公司")
    assert (parts.brand, parts.places, parts.trades) == (
        "蓝光",
        frozenset({"chengdu"}),
        frozenset({"electronics"}),
    )
    assert segment("四川省成都市郫都区天府精密机械股份有限公司").brand == "天府"
    assert segment("华为技术（深圳）有限公司").places == frozenset({"shenzhen"})


def test_one_character_of_the_brand_makes_another_firm():
    verdict = compare(Firm("成都蓝光电子有限公司"), Firm("成都蓝天电子有限公司"))
    assert verdict.outcome is None
    assert ("different_brand", "蓝光", "蓝天") in [(r.code, r.a, r.b) for r in verdict.reasons]


def test_a_chinese_name_and_its_english_merge_by_default():
    verdict = compare(
        Firm("成都蓝光电子有限公司", country="CN"),
        Firm("Languang Electronics (Chengdu) Co., Ltd.", country="CN"),
    )
    assert verdict.outcome == MERGE
    assert ("same_brand", "蓝光", "languang") in [(r.code, r.a, r.b) for r in verdict.reasons]


def test_a_shared_phone_does_not_merge_firms_whose_names_differ():
    board = ("+862887654321",)
    verdict = compare(
        Firm("成都蓝光电子有限公司", phones=board), Firm("成都鼎力物流有限公司", phones=board)
    )
    assert verdict.outcome == SUGGEST
    assert "shared_contact" in [r.code for r in verdict.reasons]


def test_the_same_phone_merges_a_firm_written_without_its_trade():
    board = ("+862887654321",)
    short, full = Firm("成都蓝光", phones=board), Firm("成都蓝光电子科技有限公司", phones=board)
    assert compare(short, full).outcome == MERGE
    assert compare(Firm("成都蓝光"), Firm("成都蓝光电子科技有限公司")).outcome == SUGGEST


@pytest.mark.parametrize(
    "domain",
    ["163.com", "qq.com", "gmail.com", "yahoo.fr", "yahoo.com.cn", "example.org", "gmx.de"],
)
def test_free_mail_domains_say_nothing(domain):
    assert mail_domain(f"sales@{domain}") is None
    a = Firm("Chengdu Tianfu Precision Machinery", emails=(f"a@{domain}",))
    b = Firm("Chengdu Tianfo Precision Machinery", emails=(f"b@{domain}",))
    assert compare(a, b).outcome == SUGGEST


def test_a_firm_domain_confirms_a_misspelt_brand_and_another_domain_holds_a_merge_back():
    a = Firm("Hoffmann Logistik GmbH", emails=("info@hoffmann-log.de",))
    assert compare(a, Firm("Hofmann Logistik GmbH", emails=("x@hoffmann-log.de",))).outcome == MERGE
    other = Firm("Hoffmann Logistik GmbH", emails=("x@hoffmann-spedition.de",))
    assert compare(a, other).outcome == SUGGEST


def test_the_same_words_in_another_order_in_another_country_are_another_firm():
    verdict = compare(
        Firm("Weber Becker GmbH", country="DE"), Firm("Becker Weber SARL", country="FR")
    )
    assert verdict.outcome is None
    # The place and trade words may move: the brand stays the brand.
    assert (
        compare(Firm("Maschinenbau Weber GmbH"), Firm("Weber Maschinenbau GmbH")).outcome == MERGE
    )


def test_a_groups_firms_are_never_merged_by_default():
    board = ("+497111234567",)
    a = Firm("Bosch Rexroth AG", emails=("a@bosch.com",), phones=board)
    b = Firm("Bosch Packaging Technology GmbH", emails=("b@bosch.com",), phones=board)
    assert compare(a, b).outcome == SUGGEST
    assert compare(Firm("Siemens AG"), Firm("Siemens Healthineers AG")).outcome == SUGGEST


def test_same_name_in_another_country_is_only_suggested():
    de, fr = Firm("Weber Maschinenbau GmbH", country="DE"), Firm("Weber Maschinenbau", country="FR")
    verdict = compare(de, fr)
    assert verdict.outcome == SUGGEST and "different_country" in [r.code for r in verdict.reasons]


def test_a_pair_marked_different_is_never_proposed_again():
    a, b = Firm("成都蓝光电子有限公司"), Firm("Chengdu Languang Electronics")
    marked = {frozenset((a.keys[0], b.keys[0]))}
    verdict = compare(a, b, known_different=lambda x, y: frozenset((x, y)) in marked)
    assert verdict.outcome == "different" and verdict.reasons[0].code == "known_different"


def test_retrieval_finds_a_translation_sharing_no_latin_word():
    index = FirmIndex()
    target = Firm("Chengdu Lan Guang Electronics Co., Ltd.")
    index.add(target)
    index.add(Firm("Chengdu Tianfu Electronics Co., Ltd."))
    found = index.matches(Firm("成都蓝光电子有限公司"))
    assert [firm for firm, _ in found] == [target]


def test_reasons_are_said_in_the_readers_language(app):
    verdict = compare(Firm("成都蓝光电子有限公司"), Firm("成都蓝天电子有限公司"))
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        from flask_babel import force_locale

        with force_locale("zh"):
            said = verdict.texts
    assert any("蓝光" in text and "蓝天" in text for text in said)
    assert "different brand" not in " ".join(said)


def test_the_corpus_has_no_wrong_default_merge_and_finds_the_true_pairs():
    pairs = load_pairs()
    assert len(pairs) >= 1000
    tallies, _ = measure(pairs)
    whole = tallies["all"]
    wrong = [(row["kind"], row["a_name"] or row["a_latin"], row["b_name"] or row["b_latin"])
             for row, outcome in whole.wrong if outcome == MERGE]  # fmt: skip
    assert wrong == []
    assert whole.precision() == 1.0
    assert whole.merge_recall() >= 0.9
    assert whole.suggestion_recall() >= 0.98


def test_a_brand_shared_by_hundreds_of_rows_is_not_compared_with_each():
    """A fair's export of numbered booths ("Walk Firm 00001 … GmbH") named one brand 50,000
    times: comparing each row with every other made the import quadratic. Past MAX_BRAND firms
    a whole brand stops being a block; a shared contact still is."""
    from core.matching.candidates import MAX_BRAND, FirmIndex
    from core.matching.scoring import Firm

    index = FirmIndex()
    for n in range(MAX_BRAND + 50):
        index.add(Firm(name=f"Walk Firm {n:05d} GmbH", emails=(f"p{n}@firm{n}.example",), ref=n))
    late = Firm(name="Walk Firm 99999 GmbH", emails=("p7@firm7.example",), ref=99999)
    found = [other.ref for other in index.candidates(late)]
    assert found == [7]  # only the firm sharing its e-mail
