"""Translation catalogs: complete in every language, and the .pot current with the code."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from core.i18n import LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"


def _catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f)


# English is the source language of every message: it needs no catalog.
@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_catalog_is_complete(lang):
    catalog = _catalog(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
    template = _catalog(TRANSLATIONS / "messages.pot")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not all(strings):
            problems.append(f"untranslated: {message.id!r}")
    missing = {m.id for m in template if m.id} - {m.id for m in catalog if m.id}
    problems += [f"missing: {mid!r}" for mid in sorted(map(str, missing))]
    assert not problems, f"{lang}: {len(problems)} problems\n" + "\n".join(problems[:40])


def test_french_has_three_plural_forms():
    catalog = _catalog(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po")
    assert catalog.num_plurals == 3


def test_pot_is_current_with_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "--sort-output",
            "--project",
            "qingyuan-port",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    ids = {m.id for m in _catalog(fresh) if m.id}
    committed = {m.id for m in _catalog(TRANSLATIONS / "messages.pot") if m.id}
    assert ids == committed, (
        "translations/messages.pot is out of date; run `make extract` and translate. "
        f"new: {sorted(map(str, ids - committed))[:20]}, "
        f"gone: {sorted(map(str, committed - ids))[:20]}"
    )
