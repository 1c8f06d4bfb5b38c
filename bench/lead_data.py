"""Generated leads for the lead-list benches: a few thousand firms whose search text core.search
writes once, spread over any number of leads (each with its own code name, e-mail and phone),
loaded row by row through Core (any database) or set-based on PostgreSQL (a million)."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from pypinyin import lazy_pinyin

from core.search import search_text

FIRMS = 2000
# Lead n is a lead of firm (n × STRIDE) mod FIRMS: the firms interleave across ids and dates.
STRIDE = 7919
BATCH = 5000
# Every 250th firm is called 张三 (the two-character search), one lead in 250.
ZHANG_SAN_EVERY = 250

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂三四"
CITIES = ("苏州", "上海", "宁波", "无锡", "成都")
LATIN = ("Müller", "Schmidt", "Dubois", "Martin", "Weber", "Bernard", "Fischer", "Moreau",
         "Wagner", "Laurent", "Becker", "Hoffmann", "Smith", "Jones", "Rossi", "Novak")  # fmt: skip
FIRST = ("Anna", "Lukas", "Marie", "Jean", "Sophie", "Paul", "Emma", "Felix", "Claire", "Jonas")
SUFFIX = ("GmbH", "AG", "SARL", "SA", "Ltd", "有限公司", "股份有限公司")
# Former names of one firm in ten: the alias search.
REGIONS = ("Rheintal", "Alpenland", "Bodensee", "Provence", "Bretagne", "Tirol", "Lombardia")
STAGES = ("new", "contacted", "qualified", "site_visit", "negotiation", "signed", "lost")
STAGE_WEIGHTS = (30, 20, 15, 10, 8, 5, 12)
COUNTRIES = ("DE", "FR", "IT", "AT", "CH", "NL", "GB", "ES", "US", "JP", "KR")
CALLING = {"CN": "86", "DE": "49", "AT": "43", "CH": "41", "FR": "33", "IT": "39", "NL": "31",
           "GB": "44", "ES": "34", "US": "1", "JP": "81", "KR": "82"}  # fmt: skip
LANGS = {"DE": "de", "AT": "de", "CH": "de", "FR": "fr", "CN": "zh"}
INDUSTRIES = ("precision-machinery", "chemicals", "automotive", "electronics", "logistics",
              "medical-devices", "new-energy", "food")  # fmt: skip


@dataclass(frozen=True)
class Firm:
    id: int
    company: str
    latin: str | None
    alias: str | None
    country: str
    industry: str
    contact: str
    mailbox: str
    domain: str
    # core.search's text for the firm's names and contact (without the per-lead parts).
    text: str

    @property
    def language(self) -> str:
        return LANGS.get(self.country, "en")

    @property
    def alias_kind(self) -> str:
        return "latin" if self.country == "CN" else "former"


def _ascii(word: str) -> str:
    return word.lower().replace("ü", "ue").replace("é", "e")


def firms() -> list[Firm]:
    rng = random.Random(3)
    made = []
    for firm_id in range(FIRMS):
        industry = rng.choice(INDUSTRIES)
        aliased = rng.random() < 0.1
        if rng.random() < 0.35:
            brand = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 1, 2))))
            if firm_id % ZHANG_SAN_EVERY == 0:
                brand = "张三"
            city = rng.choice(CITIES)
            company, latin, country = f"{city}{brand}{rng.choice(SUFFIX[5:])}", None, "CN"
            contact = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
            pinyin = "".join(lazy_pinyin(brand))
            alias = f"{''.join(lazy_pinyin(city)).title()} {pinyin.title()} Co., Ltd."
            mailbox, domain = "".join(lazy_pinyin(contact)), f"{pinyin}{firm_id}.cn"
        else:
            surname = rng.choice(LATIN)
            company = f"{surname} {industry.replace('-', ' ').title()} {rng.choice(SUFFIX[:5])}"
            latin, country = company, rng.choice(COUNTRIES)
            contact = f"{rng.choice(FIRST)} {rng.choice(LATIN)}"
            alias = f"{rng.choice(REGIONS)} {surname} {industry.split('-')[0].title()}"
            mailbox, domain = _ascii(contact.split()[0]), f"{_ascii(surname)}-{firm_id}.example"
        alias = alias if aliased else None
        text = search_text([company, latin, alias], [(contact, None, None)], None, country)
        made.append(
            Firm(firm_id, company, latin, alias, country, industry, contact, mailbox, domain,
                 text.strip())
        )  # fmt: skip
    return made


def firm_of(lead_id: int, made: list[Firm]) -> Firm:
    return made[lead_id * STRIDE % FIRMS]


def phone_digits(lead_id: int) -> str:
    """Ten digits of a lead's number (its country's calling code goes before them)."""
    return f"{lead_id * 2654435761 % 10**10:010d}"


def lead_rows(lead_id: int, firm: Firm, rng: random.Random, now: datetime) -> tuple[dict, dict]:
    """One lead and its contact as Core rows; the same columns the set-based load writes."""
    created = now - timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
    contacted = created + timedelta(days=rng.randrange(1, 60)) if rng.random() < 0.6 else None
    amount = Decimal(rng.randrange(5, 3000) * 1_000_000)
    code = f"Lead-{lead_id:07d}"
    email = f"{firm.mailbox}.{lead_id}@{firm.domain}"
    digits = phone_digits(lead_id)
    phone = f"+{CALLING[firm.country]}{digits}"
    text = f" {firm.text} {email} {code.lower()} {CALLING[firm.country]}{digits} 0{digits} "
    lead = {
        "id": lead_id, "created_at": created, "updated_at": created, "version_id": 1,
        "stage": rng.choices(STAGES, STAGE_WEIGHTS)[0], "source": rng.choice(("website", "event",
        "referral", "import", "manual")), "company_name": firm.company,
        "company_name_latin": firm.latin, "code_name": code, "country": firm.country,
        "industry": firm.industry, "investment_min": amount, "investment_max": amount * 2,
        "investment_currency": "CNY", "language": firm.language,
        "planned_investment": amount if rng.random() < 0.3 else None,
        "owner_id": rng.randrange(3, 23) if rng.random() < 0.85 else None,
        "team_id": rng.randrange(1, 4), "liaison_id": 2 if amount >= 500_000_000 else None,
        "lost_note": "", "stage_changed_at": created,
        "response_due_at": created + timedelta(days=2),
        "first_response_at": contacted, "last_contact_at": contacted,
        "search_text": text, "company_key": firm.company.lower()[:200], "legal_hold": False,
    }  # fmt: skip
    contact = {"lead_id": lead_id, "created_at": created, "name": firm.contact, "email": email,
               "phone": phone, "language": firm.language}  # fmt: skip
    return lead, contact


def load_rows(conn, count: int, made: list[Firm]) -> None:
    """`count` leads through Core bulk inserts, BATCH at a time (SQLite or PostgreSQL)."""
    from sqlalchemy import insert

    from core.models import Contact, Lead, LeadAlias

    rng, now = random.Random(3), datetime.now(UTC)
    for start in range(1, count + 1, BATCH):
        leads, contacts, aliases = [], [], []
        for lead_id in range(start, min(start + BATCH, count + 1)):
            firm = firm_of(lead_id, made)
            lead, contact = lead_rows(lead_id, firm, rng, now)
            leads.append(lead)
            contacts.append(contact)
            if firm.alias:
                aliases.append({"lead_id": lead_id, "name": firm.alias, "kind": firm.alias_kind,
                                "created_at": lead["created_at"]})  # fmt: skip
        conn.execute(insert(Lead.__table__), leads)
        conn.execute(insert(Contact.__table__), contacts)
        if aliases:
            conn.execute(insert(LeadAlias.__table__), aliases)


# The same leads as lead_rows, written by PostgreSQL itself: INSERT … SELECT over
# generate_series, the firm joined by id, random() seeded once for the session.
SET_BASED = (
    "SELECT setseed(0.3)",
    """
    INSERT INTO lead (id, created_at, updated_at, version_id, stage, source, company_name,
        company_name_latin, code_name, country, industry, investment_min, investment_max,
        investment_currency, language, planned_investment, owner_id, team_id, liaison_id,
        lost_note, stage_changed_at, response_due_at, first_response_at, last_contact_at,
        search_text, company_key, legal_hold)
    SELECT g, r.created, r.created, 1,
        (ARRAY['new','new','new','new','new','new','contacted','contacted','contacted',
               'contacted','qualified','qualified','qualified','site_visit','site_visit',
               'negotiation','negotiation','signed','lost','lost'])[1 + floor(r.s * 20)::int],
        (ARRAY['website','event','referral','import','manual'])[1 + floor(r.src * 5)::int],
        f.company, f.latin, 'Lead-' || lpad(g::text, 7, '0'), f.country, f.industry,
        r.amount, r.amount * 2, 'CNY', f.language,
        CASE WHEN r.p < 0.3 THEN r.amount END,
        CASE WHEN r.o < 0.85 THEN 3 + floor(r.o / 0.85 * 20)::int END,
        1 + floor(r.t * 3)::int, CASE WHEN r.amount >= 500000000 THEN 2 END,
        '', r.created, r.created + interval '2 days',
        CASE WHEN r.c < 0.6 THEN r.created + (1 + floor(r.c * 98)::int) * interval '1 day' END,
        CASE WHEN r.c < 0.6 THEN r.created + (1 + floor(r.c * 98)::int) * interval '1 day' END,
        ' ' || f.text || ' ' || f.mailbox || '.' || g || '@' || f.domain || ' lead-'
            || lpad(g::text, 7, '0') || ' ' || f.calling || p.digits || ' 0' || p.digits || ' ',
        left(lower(f.company), 200), false
    FROM generate_series(1, :count) AS g
    JOIN bench_firm f ON f.id = g::bigint * :stride % :firms
    CROSS JOIN LATERAL (SELECT lpad((g::bigint * 2654435761 % 10000000000)::text, 10, '0')
                        AS digits) p
    -- g in the select list makes the subquery correlated: fresh random() values for each row.
    CROSS JOIN LATERAL (SELECT now() - random() * interval '3 years' AS created,
        (5 + floor(random() * 2995)) * 1000000 AS amount, random() AS s, random() AS src,
        random() AS p, random() AS o, random() AS t, random() AS c, g AS row) r
    """,
    """
    INSERT INTO contact (lead_id, created_at, name, email, phone, language)
    SELECT l.id, l.created_at, f.contact, f.mailbox || '.' || l.id || '@' || f.domain,
        '+' || f.calling || lpad((l.id::bigint * 2654435761 % 10000000000)::text, 10, '0'),
        f.language
    FROM lead l JOIN bench_firm f ON f.id = l.id::bigint * :stride % :firms
    """,
    """
    INSERT INTO lead_alias (lead_id, name, kind, created_at)
    SELECT l.id, f.alias, f.alias_kind, l.created_at
    FROM lead l JOIN bench_firm f ON f.id = l.id::bigint * :stride % :firms
    WHERE f.alias IS NOT NULL
    """,
)


def load_set_based(conn, count: int, made: list[Firm]) -> None:
    """`count` leads written by PostgreSQL in three statements; the trigram index is built once
    after the load (cheaper than keeping it up to date row by row)."""
    from sqlalchemy import text

    conn.execute(text("DROP INDEX IF EXISTS ix_lead_search_text"))
    conn.execute(
        text(
            "CREATE TEMPORARY TABLE bench_firm (id int PRIMARY KEY, company text, latin text,"
            " alias text, alias_kind text, country text, industry text, language text,"
            " contact text, mailbox text, domain text, calling text, text text)"
        )
    )
    conn.execute(
        text(
            "INSERT INTO bench_firm VALUES (:id, :company, :latin, :alias, :alias_kind, :country,"
            " :industry, :language, :contact, :mailbox, :domain, :calling, :text)"
        ),
        [
            {"id": f.id, "company": f.company, "latin": f.latin, "alias": f.alias,
             "alias_kind": f.alias_kind, "country": f.country, "industry": f.industry,
             "language": f.language, "contact": f.contact, "mailbox": f.mailbox,
             "domain": f.domain, "calling": CALLING[f.country], "text": f.text}
            for f in made
        ],
    )  # fmt: skip
    for statement in SET_BASED:
        conn.execute(text(statement), {"count": count, "stride": STRIDE, "firms": FIRMS})
    conn.execute(
        text("CREATE INDEX ix_lead_search_text ON lead USING gin (search_text gin_trgm_ops)")
    )
