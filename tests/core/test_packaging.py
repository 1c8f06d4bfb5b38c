"""The installed app holds every package: pyproject's list matches the folders with code; the
demo is never among them, and without it `flask load-demo` loads the park's content and says so."""

import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Import name of each top-level folder (site/ is imported as public_site: see pyproject).
FOLDERS = {"core": "core", "crm": "crm", "site": "public_site"}


def _listed() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def test_every_package_is_listed_for_installation():
    found = set()
    for folder, name in FOLDERS.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            parts = init.parent.relative_to(ROOT / folder).parts
            if "templates" not in parts and "static" not in parts:
                found.add(".".join((name, *parts)))
    assert _listed() == found


def test_the_demo_is_not_installed():
    assert (ROOT / "demo" / "__init__.py").is_file()
    assert not {name for name in _listed() if name.split(".")[0] == "demo"}


def test_load_demo_without_the_demo_package_loads_content_and_says_so(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "demo", None)  # as in an install without the checkout
    result = app.test_cli_runner().invoke(args=["load-demo"])
    assert result.exit_code == 1
    assert "plots: " in result.output and "enterprises: " in result.output
    assert "the demo package is not installed" in result.output
    assert "demo leads" not in result.output
