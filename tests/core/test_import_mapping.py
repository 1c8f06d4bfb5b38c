"""Column mapping: suggestions from Chinese and English headers, remembered per source."""

import pytest

from core.extensions import db
from core.imports import remember_mapping, remembered_mapping, suggest_mapping
from core.imports.mapping import known_sources


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("公司名称", "company"), ("单位名称", "company"), ("企业名称", "company"),
        ("Company", "company"), ("Organisation", "company"), ("Company Name", "company"),
        ("姓名", "contact_name"), ("联系人", "contact_name"), ("Name", "contact_name"),
        ("First name", "contact_name"), ("Last name", "contact_name"),
        ("邮箱", "email"), ("电子邮件", "email"), ("E-mail", "email"), ("Email", "email"),
        ("手机", "phone"), ("电话", "phone"), ("Phone", "phone"), ("Mobile", "phone"),
        ("国家", "country"), ("Country", "country"), ("行业", "industry"),
        ("Industry", "industry"), ("职位", "position"), ("Title", "position"),
        ("备注", "notes"), ("Notes", "notes"), ("意向", "interest"), ("Interest", "interest"),
        ("评级", "rating"), ("Tags", "tags"), ("Firma", "company"), ("Société", "company"),
        ("Badge ID", ""),
    ],
)  # fmt: skip
def test_headers_are_suggested_a_field(header, field):
    assert suggest_mapping([header]) == {header: field}


def test_a_second_company_column_is_the_latin_name():
    mapping = suggest_mapping(["公司名称", "Company", "Email"])
    assert mapping == {"公司名称": "company", "Company": "company_latin", "Email": "email"}


def test_mapping_is_remembered_per_source(app):
    with app.app_context():
        assert remembered_mapping("EU-China fair badge scanner") is None
        remember_mapping("EU-China fair badge scanner", {"Badge ID": "notes", "Co": "bogus"})
        db.session.commit()
        remembered = remembered_mapping("EU-China fair badge scanner")
        assert remembered == {"Badge ID": "notes", "Co": ""}
        suggested = suggest_mapping(["Badge ID", "Email", "Co"], remembered)
        assert suggested == {"Badge ID": "notes", "Email": "email", "Co": ""}
        remember_mapping("EU-China fair badge scanner", {"Badge ID": ""})
        db.session.commit()
        assert remembered_mapping("EU-China fair badge scanner") == {"Badge ID": ""}
        assert known_sources() == ["EU-China fair badge scanner"]
