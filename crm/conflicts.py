"""Edit forms under optimistic locking: the version and values a form was opened with, and what
someone else changed since then."""

import json


def arm(form, version: int, shown: dict) -> None:
    """Keep in the form's hidden fields the version and the values (as shown) it opens with."""
    form.version.data, form.original.data = str(version), json.dumps(shown)


def changed_since(current: dict, original: str, submitted: dict) -> list[tuple[str, str, str]]:
    """Fields someone else changed after the form was opened: (field, theirs, yours)."""
    try:
        baseline = json.loads(original or "")
    except ValueError:
        baseline = None
    if not isinstance(baseline, dict):
        baseline = submitted  # without a baseline, show every field where the two differ
    return [
        (name, current[name], submitted.get(name, ""))
        for name in current
        if current[name] != baseline.get(name, "")
    ]


def refuse(form, version: int, current: dict, submitted: dict) -> list[tuple[str, str, str]]:
    """A stale save: what changed meanwhile. The form is armed again with the values now saved,
    so the next save is a deliberate choice made with the other person's values in view."""
    conflicts = changed_since(current, form.original.data, submitted)
    arm(form, version, current)
    return conflicts
