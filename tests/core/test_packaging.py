"""The installed app holds every package: pyproject's list matches the folders with code."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Import name of each top-level folder (site/ is imported as public_site: see pyproject).
FOLDERS = {"core": "core", "crm": "crm", "site": "public_site"}


def test_every_package_is_listed_for_installation():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "templates" not in parts and "static" not in parts:
                found.add(".".join((name, *parts)))
    assert listed == found
