"""Writing a planned import in bulk: leads, contacts, inquiries and history in a few statements."""

from datetime import timedelta

from flask_babel import gettext
from sqlalchemy import bindparam, func, insert, select, text, update

from core.aliases import keep_imported_names
from core.code_names import code_name_for
from core.extensions import db
from core.imports.values import language_for, parse_tags
from core.leads import FAIR_RESPONSE_HOURS, auto_assign
from core.matching import normalise_company
from core.models import (
    AuditEntry,
    Contact,
    DuplicateCandidate,
    ImportJob,
    ImportMerge,
    Inquiry,
    Lead,
    LeadTouch,
    StageChange,
    User,
)
from core.models.base import utcnow
from core.search import search_text
from core.settings import response_working_days
from core.workdays import deadline_after

# Rows written per statement batch; also how often progress is reported.
CHUNK = 2000


def _message(values: dict) -> str:
    parts = []
    if values.get("interest"):
        parts.append(gettext("Interest: %(text)s", text=values["interest"]))
    if values.get("notes"):
        parts.append(values["notes"])
    return "\n".join(parts)


def _bulk(model, rows: list[dict]) -> None:
    """Core executemany on the session's connection: the ORM's bulk path costs a third more."""
    db.session.connection().execute(insert(model.__table__), rows)


def _contact_name(values: dict) -> str:
    return values.get("contact_name") or ""


class Writer:
    """One run's writes, all in the caller's transaction; nothing is committed here."""

    def __init__(self, job: ImportJob, tick) -> None:
        self.job, self.tick = job, tick
        self.now = utcnow()
        self.actor = f"user:{job.created_by_id}" if job.created_by_id else "system"
        event = job.event
        owner = db.session.get(User, event.owner_id) if event and event.owner_id else None
        if owner is not None and not owner.active:
            owner = None  # the event's officer has left: the importer takes the leads
        owner = owner or job.created_by
        self.owner_id = owner.id if owner else None
        self.team_id = owner.team_id if owner else None
        self.source = "event" if event else "import"
        if event is not None:
            self.due = self.now + timedelta(hours=FAIR_RESPONSE_HOURS)
        else:
            self.due = deadline_after(self.now, response_working_days())
        self.created_ids: list[int] = []
        self.lead_of_row: dict[int, int] = {}
        self.done = 0

    # -- new leads -----------------------------------------------------------------------------

    def write(self, plan, checks) -> None:
        # Written first, always: on SQLite this takes the write lock that keeps lead ids ours.
        db.session.flush()
        job_table = ImportJob.__table__
        db.session.execute(
            update(job_table).where(job_table.c.id == self.job.id).values(status="running")
        )
        skipped = sum(1 for c in checks if c.decision in ("skip", "reject"))
        self.done = skipped
        extra: dict[int, list] = {}  # position in plan.new -> rows merging into it
        for check, position in plan.merges_new:
            extra.setdefault(position, []).append(check)
        for start in range(0, len(plan.new), CHUNK):
            self._write_new(plan.new[start : start + CHUNK], start, extra)
        self._flag(plan)
        self._merge_existing(plan.merges_lead)
        if self.owner_id is None and self.created_ids:
            self._assign_by_rules()

    def _assign_by_rules(self) -> None:
        """No event owner and no importer (a CLI run without --user): the assignment rules
        choose, lead by lead, as core.leads.on_create would."""
        for start in range(0, len(self.created_ids), 500):
            chunk = self.created_ids[start : start + 500]
            for lead in db.session.scalars(select(Lead).where(Lead.id.in_(chunk))):
                auto_assign(lead)
        db.session.flush()

    def _write_new(self, checks, start: int, extra: dict[int, list]) -> None:
        job, now = self.job, self.now
        leads = []
        for check in checks:
            v = check.values
            leads.append(
                {
                    "created_at": now, "updated_at": now, "stage_changed_at": now,
                    "version_id": 1, "stage": "new", "source": self.source,
                    "company_name": v["company"],
                    "company_name_latin": v["company_latin"] or None,
                    "country": v["country"], "industry": v["industry"],
                    "language": language_for(v["country"]), "investment_currency": "CNY",
                    "owner_id": self.owner_id, "team_id": self.team_id,
                    "event_id": job.event_id, "rating": v["rating"] or None,
                    "tags": parse_tags(v["tags"]), "response_due_at": self.due,
                    "company_key": (
                        normalise_company(v["company_latin"]) if v["company_latin"]
                        else (check.keys or ("",))[0]
                    )[:200],
                    "search_text": "", "lost_note": "", "legal_hold": False,
                }
            )  # fmt: skip
        ids = self._allocate(len(leads))
        contacts, inquiries, history, audits = [], [], [], []
        note = gettext("Imported from %(file)s (import #%(id)d)", file=job.filename, id=job.id)
        for offset, (check, lead_id) in enumerate(zip(checks, ids, strict=True)):
            self.lead_of_row[check.number] = lead_id
            rows = [check, *extra.get(start + offset, ())]
            seen: set[str] = set()
            names = [check.values["company"], check.values["company_latin"]]
            people = []
            for row in rows:
                self.lead_of_row[row.number] = lead_id
                v = row.values
                language = language_for(v["country"])
                identity = {x for x in (v["email"], row.phone_e164 or v["phone"]) if x}
                if (identity and not identity & seen) or (not identity and row is check):
                    seen |= identity
                    contacts.append(
                        {
                            "lead_id": lead_id, "created_at": now,
                            "name": _contact_name(v)[:200], "email": v["email"] or None,
                            "phone": (row.phone_e164 or v["phone"])[:40] or None,
                            "language": language, "position": v["position"] or None,
                        }
                    )  # fmt: skip
                    people.append((v["contact_name"], v["email"], row.phone_e164 or v["phone"]))
                message = _message(v)
                if message:
                    inquiries.append(
                        {
                            "lead_id": lead_id, "created_at": now, "form": "import",
                            "submission_key": f"import-{job.id}-{row.number}",
                            "language": language, "message": message, "utm": {},
                        }
                    )  # fmt: skip
            # What core.leads.on_create gives a lead, computed here for the whole batch at once.
            code = code_name_for(lead_id)
            lead = leads[offset]
            lead["id"], lead["code_name"] = lead_id, code
            lead["search_text"] = search_text(names, people, code, lead["country"])
            history.append(
                {
                    "lead_id": lead_id, "from_stage": None, "to_stage": "new", "at": now,
                    "user_id": job.created_by_id, "note": note,
                }
            )  # fmt: skip
            audits.append(
                {
                    "at": now, "actor": self.actor, "action": "create", "entity_type": "Lead",
                    "entity_id": lead_id,
                    "changes": {"source": [None, self.source], "import": [None, job.id]},
                }
            )  # fmt: skip
        for model, rows in (
            (Lead, leads),
            (Contact, contacts),
            (Inquiry, inquiries),
            (StageChange, history),
            (AuditEntry, audits),
        ):
            if rows:
                _bulk(model, rows)
        self.created_ids += ids
        self.done += sum(1 + len(extra.get(start + i, ())) for i in range(len(checks)))
        self.tick(self.done)

    def _allocate(self, count: int) -> list[int]:
        """Ids for the new leads before they are written, so code names go in with them."""
        if db.engine.dialect.name == "postgresql":
            return list(
                db.session.scalars(
                    text(
                        "SELECT nextval(pg_get_serial_sequence('lead', 'id'))"
                        " FROM generate_series(1, :n)"
                    ),
                    {"n": count},
                )
            )
        # SQLite: the job row was written first in this transaction, so the database is locked
        # for other writers and nobody else can take these ids before the commit.
        first = (db.session.scalar(select(func.max(Lead.id))) or 0) + 1
        return list(range(first, first + count))

    def _flag(self, plan) -> None:
        """Possible duplicates the user kept as new leads, for the duplicate list of #3."""
        flags, seen = [], set()
        for check, target, match in plan.flags:
            lead_id = self.lead_of_row[check.number]
            other = target[1] if target[0] == "lead" else self.created_ids[target[1]]
            if other != lead_id and (lead_id, other) not in seen:
                seen.add((lead_id, other))
                flags.append(
                    {
                        "lead_id": lead_id, "other_id": other, "score": match.score,
                        "reasons": match.reasons or [match.reason], "created_at": self.now,
                    }
                )  # fmt: skip
        if flags:
            _bulk(DuplicateCandidate, flags)

    # -- merges into existing leads -------------------------------------------------------------

    def _merge_existing(self, merges) -> None:
        """Merges in bulk through Core: read the leads once, then a few statements for all."""
        leads = self._load_leads(sorted({lead_id for _, lead_id in merges}))
        contacts, inquiries, records, audits = [], [], [], []
        for check, lead_id in merges:
            self.lead_of_row[check.number] = lead_id
            merge, audit, contact, inquiry = self._merge_row(leads[lead_id], check)
            records.append(merge)
            audits.append(audit)
            contacts.append(contact)
            inquiries.append(inquiry)
        self._insert_with_ids(Contact, contacts, records, "contact_ids")
        self._insert_with_ids(Inquiry, inquiries, records, "inquiry_ids")
        names: dict[int, list[str]] = {}
        for check, lead_id in merges:
            names.setdefault(lead_id, []).extend(
                (check.values["company"], check.values["company_latin"])
            )
        keep_imported_names(self.job.id, names, leads)
        table = Lead.__table__
        changed = [lead for lead in leads.values() if lead["dirty"]]
        for lead in changed:
            lead["search_text"] = search_text(
                [lead["company_name"], lead["company_name_latin"], *lead["aliases"]],
                lead["contacts"],
                lead["code_name"],
                lead["country"],
            )
        if changed:
            columns = ("company_name_latin", "rating", "industry", "tags")
            db.session.execute(
                update(table)
                .where(table.c.id == bindparam("b_id"))
                .values(
                    {name: bindparam(f"b_{name}") for name in (*columns, "search_text")}
                    | {"updated_at": self.now, "version_id": table.c.version_id + 1}
                ),
                [
                    {"b_id": lead["id"]}
                    | {f"b_{name}": lead[name] for name in (*columns, "search_text")}
                    for lead in changed
                ],
            )
        if records:
            _bulk(ImportMerge, records)
            _bulk(AuditEntry, audits)
            _bulk(LeadTouch, self._touches(leads))
        self.done += len(merges)
        self.tick(self.done)
        db.session.expire_all()

    def _touches(self, leads: dict[int, dict]) -> list[dict]:
        """One touch per lead met again: the event (or import) counts it, attribution stays."""
        job = self.job
        return [
            {
                "lead_id": lead_id,
                "event_id": job.event_id,
                "import_job_id": job.id,
                "source": self.source,
                "at": self.now,
                "user_id": job.created_by_id,
            }  # fmt: skip
            for lead_id in sorted(leads)
        ]

    def _load_leads(self, ids: list[int]) -> dict[int, dict]:
        table, people = Lead.__table__, Contact.__table__
        wanted = ("id", "company_name", "company_name_latin", "code_name", "rating")
        wanted += ("industry", "tags", "country")
        leads: dict[int, dict] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            for row in db.session.execute(
                select(*(table.c[name] for name in wanted)).where(table.c.id.in_(chunk))
            ).mappings():
                leads[row["id"]] = dict(row) | {"contacts": [], "dirty": False}
            for lead_id, name, email, phone in db.session.execute(
                select(people.c.lead_id, people.c.name, people.c.email, people.c.phone).where(
                    people.c.lead_id.in_(chunk)
                )
            ):
                leads[lead_id]["contacts"].append((name, email, phone))
        return leads

    @staticmethod
    def _insert_with_ids(model, rows: list, records: list, key: str) -> None:
        """Insert the non-empty rows; each undo record learns the id of its own row."""
        present = [(record, row) for record, row in zip(records, rows, strict=True) if row]
        for record in records:
            record[key] = []
        if not present:
            return
        ids = db.session.scalars(
            insert(model).returning(model.id, sort_by_parameter_order=True),
            [row for _, row in present],
        )
        for (record, _), new_id in zip(present, ids, strict=True):
            record[key] = [new_id]

    def _merge_row(self, lead: dict, check):
        """One row into a lead: (undo record, audit entry, new contact, new inquiry) as dicts."""
        v, job = check.values, self.job
        language = language_for(v["country"])
        known = {email.lower() for _, email, _ in lead["contacts"] if email}
        known |= {phone for _, _, phone in lead["contacts"] if phone}
        phone = check.phone_e164 or v["phone"]
        filled_before: dict[str, list] = {}
        changes: dict[str, list] = {"import": [None, job.id]}
        identity = {x for x in (v["email"], phone) if x}
        contact = inquiry = None
        if identity and not identity & known:
            name = _contact_name(v)[:200]
            contact = {
                "lead_id": lead["id"], "created_at": self.now, "name": name,
                "email": v["email"] or None, "phone": phone[:40] or None, "language": language,
                "position": v["position"] or None,
            }  # fmt: skip
            lead["contacts"].append((name, contact["email"], contact["phone"]))
            lead["dirty"] = True
            changes["contact"] = [None, name or contact["email"] or contact["phone"]]
        # Not the event: the lead keeps its first source and event; the meeting is a touch.
        filled = {
            "company_name_latin": v["company_latin"] or None,
            "rating": v["rating"] or None,
            "industry": v["industry"] or None,
        }
        for name, value in filled.items():
            if value and not lead[name]:
                filled_before[name] = changes[name] = [lead[name], value]
                lead[name], lead["dirty"] = value, True
        tags = parse_tags(v["tags"])
        if tags and set(tags) - set(lead["tags"] or []):
            new_tags = list(dict.fromkeys([*(lead["tags"] or []), *tags]))
            filled_before["tags"] = changes["tags"] = [list(lead["tags"] or []), new_tags]
            lead["tags"], lead["dirty"] = new_tags, True
        message = _message(v)
        if message:
            inquiry = {
                "lead_id": lead["id"], "created_at": self.now, "form": "import",
                "submission_key": f"import-{job.id}-{check.number}", "language": language,
                "message": message, "utm": {},
            }  # fmt: skip
        merge = {"job_id": job.id, "lead_id": lead["id"], "row": check.number}
        merge["changes"] = filled_before
        audit = {
            "at": self.now, "actor": self.actor, "action": "merge", "entity_type": "Lead",
            "entity_id": lead["id"], "changes": changes,
        }  # fmt: skip
        return merge, audit, contact, inquiry
