"""Which column holds which lead field: suggestions from header names, remembered per source."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.audit import record
from core.extensions import db
from core.models import ImportMapping

FIELDS = [
    ("company", _l("Company")),
    ("company_latin", _l("Company (Latin script)")),
    ("contact_name", _l("Contact name")),
    ("email", _l("Email")),
    ("phone", _l("Phone")),
    ("country", _l("Country")),
    ("industry", _l("Industry")),
    ("position", _l("Position")),
    ("interest", _l("Interest")),
    ("notes", _l("Notes")),
    ("rating", _l("Rating")),
    ("tags", _l("Tags")),
]
FIELD_KEYS = frozenset(key for key, _ in FIELDS)

# Header names seen in badge-scanner exports, exhibitor lists and colleagues' sheets, compared
# after _header_key (lower case, no spaces or punctuation). Several columns may map to one
# field: their values are joined (First name + Last name -> contact name).
SYNONYMS = {
    "company": (
        "公司", "公司名称", "公司名", "单位", "单位名称", "企业", "企业名称", "客户名称", "机构",
        "机构名称", "company", "companyname", "company name", "organisation", "organization",
        "organisationname", "organizationname", "firm", "firma", "firmenname", "unternehmen",
        "société", "societe", "entreprise", "raisonsociale", "exhibitor", "account",
        "accountname",
    ),
    "company_latin": (
        "英文名称", "公司英文名", "公司英文名称", "英文公司名", "companyenglish",
        "companynameenglish", "englishname", "englishcompanyname", "companylatin",
    ),
    "contact_name": (
        "姓名", "联系人", "联系人姓名", "名字", "客户姓名", "name", "fullname", "contact",
        "contactname", "contactperson", "firstname", "lastname", "givenname", "surname",
        "familyname", "vorname", "nachname", "ansprechpartner", "nom", "prénom", "prenom",
        "nomcomplet", "person",
    ),
    "email": (
        "邮箱", "电子邮件", "电子邮箱", "邮件", "email", "e-mail", "emailaddress", "mail",
        "courriel", "adressee-mail", "e-mailadresse",
    ),
    "phone": (
        "手机", "手机号", "手机号码", "电话", "电话号码", "联系电话", "座机", "phone",
        "phonenumber",
        "mobile", "mobilephone", "cell", "cellphone", "tel", "telephone", "telefon", "handy",
        "téléphone", "portable", "whatsapp", "wechat", "微信",
    ),
    "country": (
        "国家", "国家地区", "国家/地区", "国别", "地区", "country", "countryregion", "nation",
        "land", "pays",
    ),
    "industry": (
        "行业", "所属行业", "产业", "领域", "industry", "sector", "branche", "secteur",
        "business", "field",
    ),
    "position": (
        "职位", "职务", "头衔", "岗位", "title", "jobtitle", "position", "role", "funktion",
        "poste", "fonction",
    ),
    "interest": (
        "意向", "投资意向", "兴趣", "需求", "感兴趣", "interest", "interests", "interestedin",
        "intention", "interesse", "intérêt",
    ),
    "notes": (
        "备注", "说明", "留言", "描述", "notes", "note", "comment", "comments", "remarks",
        "remark", "bemerkung", "notizen", "remarques", "commentaire", "message",
    ),
    "rating": ("评级", "等级", "热度", "意向等级", "rating", "grade", "priority", "temperature"),
    "tags": ("标签", "tags", "tag", "labels", "schlagworte", "étiquettes"),
}  # fmt: skip
_PUNCTUATION = re.compile(r"[\s\-_.:：/\\()（）*#]+")


def _header_key(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).casefold().strip()
    return _PUNCTUATION.sub("", text)


_LOOKUP = {_header_key(name): key for key, names in SYNONYMS.items() for name in names}


def suggest_mapping(headers: list[str], remembered: dict | None = None) -> dict[str, str]:
    """header -> field key ("" = ignore) for every header: remembered choices first, then names."""
    remembered = remembered or {}
    suggested = {}
    for header in headers:
        if header in remembered and (remembered[header] in FIELD_KEYS or remembered[header] == ""):
            suggested[header] = remembered[header]
        else:
            suggested[header] = _LOOKUP.get(_header_key(header), "")
    # A second column that looks like a company (a Latin name beside 公司名称) is the Latin one.
    companies = [h for h, key in suggested.items() if key == "company" and h not in remembered]
    for header in companies[1:]:
        if "company_latin" not in suggested.values():
            suggested[header] = "company_latin"
    return suggested


def clean_mapping(mapping: dict) -> dict[str, str]:
    """Only known field keys survive; anything else becomes "" (ignored)."""
    return {str(h): (v if v in FIELD_KEYS else "") for h, v in (mapping or {}).items()}


def remembered_mapping(source: str) -> dict | None:
    if not source:
        return None
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.source == source.strip()))
    return dict(row.mapping) if row else None


def remember_mapping(source: str, mapping: dict) -> ImportMapping | None:
    """Keep the mapping for the next file from the same source, audited (in the caller's
    transaction); the CRM's mapping page and `flask import-leads` both do."""
    source = (source or "").strip()[:120]
    if not source:
        return None
    mapping = clean_mapping(mapping)
    row = db.session.scalar(select(ImportMapping).where(ImportMapping.source == source))
    if row is None:
        row = ImportMapping(source=source, mapping=mapping)
        db.session.add(row)
        record("create", row, {"source": [None, source], "mapping": [None, mapping]})
    elif row.mapping != mapping:
        record("update", row, {"mapping": [row.mapping, mapping]})
        row.mapping = mapping
    return row


def known_sources() -> list[str]:
    return list(db.session.scalars(select(ImportMapping.source).order_by(ImportMapping.source)))
