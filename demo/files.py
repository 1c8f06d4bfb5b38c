"""Demo project files for `make run`: coordination meetings with action items, and issues, on
the major projects of the demo year (demo/projects.py). Never in production."""

import random
from datetime import date, timedelta

from core.audit import record
from core.extensions import db
from core.models import ActionItem, Meeting, ProjectIssue
from demo.texts import ISSUES, MEETINGS


def add_files(rng: random.Random, majors: list[tuple], today: date) -> None:
    """Meetings and issues on the major projects, given as (plan, project) pairs, the largest
    first (a plan tells the day of signing and of the start of construction, if any)."""
    for n, (item, project) in enumerate(majors[:4]):
        held = [(MEETINGS[n % 2], item.signed_on + timedelta(days=rng.randint(7, 20)))]
        if item.start is not None:
            held.append((MEETINGS[2], item.start - timedelta(days=rng.randint(8, 15))))
        for (title, minutes, decisions, actions), day in held:
            if day > today:
                continue
            meeting = Meeting(
                project_id=project.id, held_on=day, title=title, minutes=minutes,
                decisions=decisions, created_by_id=project.agent_id,
            )  # fmt: skip
            db.session.add(meeting)
            record("create", meeting, {"project": [None, project.id], "title": [None, title]})
            for text, owner, due, done in actions:
                finished = day + timedelta(days=done) if done is not None else None
                meeting.actions.append(
                    ActionItem(
                        project_id=project.id, text=text, owner_name=owner or "",
                        owner_id=None if owner else project.agent_id,
                        due_on=day + timedelta(days=due),
                        done_on=finished if finished and finished <= today else None,
                    )
                )  # fmt: skip
            db.session.flush()
            for action in meeting.actions:
                record(
                    "create", action, {"meeting": [None, meeting.id], "text": [None, action.text]}
                )
    for (item, project), (text, department, due, resolution, after) in zip(
        majors, ISSUES, strict=False
    ):
        raised = min(today, item.signed_on + timedelta(days=rng.randint(10, 30)))
        solved = raised + timedelta(days=after) if after is not None else None
        solved = solved if solved is not None and solved <= today else None
        issue = ProjectIssue(
            project_id=project.id, raised_on=raised, description=text, department=department,
            due_on=raised + timedelta(days=due), resolution=resolution if solved else "",
            resolved_on=solved, created_by_id=project.agent_id,
        )  # fmt: skip
        db.session.add(issue)
        record("create", issue, {"project": [None, project.id], "description": [None, text]})
