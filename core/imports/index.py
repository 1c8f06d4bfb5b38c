"""Finding matches in bulk: existing leads indexed once by email, phone and company name."""

from sqlalchemy import bindparam, select, update

from core.extensions import db
from core.firm_pairs import all_known_different
from core.matching import normalise_company, normalise_phone
from core.matching.candidates import FirmIndex, file_by_keys
from core.matching.scoring import Firm
from core.models import Contact, Lead


class LeadIndex:
    """Active leads (not merged away, not anonymised) as firms, in the matcher's index."""

    def __init__(self, known_different=None) -> None:
        self.firms = FirmIndex(known_different)
        self.labels: dict[int, str] = {}

    @classmethod
    def load(cls) -> "LeadIndex":
        index = cls(all_known_different())
        active = (Lead.merged_into_id.is_(None), Lead.anonymised_at.is_(None))
        contacts: dict[int, tuple[list[str], list[str]]] = {}
        for lead_id, email, phone, country in db.session.execute(
            select(Contact.lead_id, Contact.email, Contact.phone, Lead.country)
            .join(Lead, Lead.id == Contact.lead_id)
            .where(*active)
        ):
            emails, phones = contacts.setdefault(lead_id, ([], []))
            if email:
                emails.append(email.strip().lower())
            if phone:
                # Stored phones are E.164 already when they parsed; parse the others once here.
                plain = phone.replace(" ", "")
                e164 = plain if plain[:1] == "+" and plain[1:].isdigit() else None
                if e164 := e164 or normalise_phone(phone, country):
                    phones.append(e164)
        for lead_id, name, latin, country, key in db.session.execute(
            select(
                Lead.id, Lead.company_name, Lead.company_name_latin, Lead.country, Lead.company_key
            ).where(*active)
        ):
            emails, phones = contacts.get(lead_id, ((), ()))
            index.labels[lead_id] = name
            firm = Firm(name or "", latin or "", country, tuple(emails), tuple(phones), lead_id)
            # The stored key is of the Latin name when there is one: the Chinese name's too.
            keys = (key, normalise_company(name)) if latin and name and name != latin else (key,)
            index.firms.add(file_by_keys(firm, keys))
        return index


def refresh_company_keys(batch: int = 2000) -> int:
    """Recompute Lead.company_key with today's core.matching.normalise_company (for the data
    migration after the normal form changed); returns how many keys changed. Caller commits."""
    table = Lead.__table__
    changed = 0
    last = 0
    while True:
        rows = db.session.execute(
            select(
                table.c.id, table.c.company_name, table.c.company_name_latin, table.c.company_key
            )
            .where(table.c.id > last, table.c.anonymised_at.is_(None))
            .order_by(table.c.id)
            .limit(batch)
        ).all()
        if not rows:
            return changed
        last = rows[-1].id
        updates = [
            {"b_id": row.id, "b_key": key}
            for row in rows
            if (key := normalise_company(row.company_name_latin or row.company_name)[:200])
            != row.company_key
        ]
        if updates:
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(company_key=bindparam("b_key")),
                updates,
            )
            changed += len(updates)
