"""Park content from files: Markdown pages per language and YAML data, loaded once at start-up."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import markdown
import yaml
from flask import current_app

from core.i18n import FALLBACK, PUBLIC_LANGUAGES

SECTIONS = ("pages", "policies", "news", "privacy")
DATA_FILES = (
    "site", "plots", "infrastructure", "events", "enterprises", "holidays", "approvals",
    "targets", "places",
)  # fmt: skip


# A policy being written has indicative figures; an adopted one cites its document.
POLICY_STATUSES = ("draft", "adopted", "superseded")
# libyaml's parser where PyYAML was built with it (its wheels are): the pure-Python one took
# 0.6 s of the app's start-up, paid by every gunicorn worker and `flask` command.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(text: str):
    """Safe YAML, as yaml.safe_load reads it."""
    return yaml.load(text, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)


class ContentError(Exception):
    """A content file is missing, malformed or incomplete."""


@dataclass(frozen=True)
class Page:
    section: str
    slug: str
    lang: str
    title: str
    summary: str
    html: str
    source: str
    meta: dict = field(default_factory=dict)

    @property
    def date(self) -> date | None:
        return self.meta.get("date")

    @property
    def order(self) -> int:
        return int(self.meta.get("order", 1000))


def _split_front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise ContentError(f"{path}: no front matter")
    try:
        _, head, body = text.split("---\n", 2)
        meta = read_yaml(head) or {}
    except (ValueError, yaml.YAMLError) as exc:
        raise ContentError(f"{path}: bad front matter: {exc}") from exc
    for key in ("title", "summary"):
        if not meta.get(key):
            raise ContentError(f"{path}: front matter lacks {key}")
    return meta, body


class Content:
    """Everything under content/, parsed; pages are keyed by (section, slug) then language."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.pages: dict[tuple[str, str], dict[str, Page]] = {}
        self.data: dict[str, dict] = {}
        # Incentive policies by version (content/incentives/<version>.yaml).
        self.policies: dict[str, dict] = {}
        digest = hashlib.sha256()
        # When each file last changed, for the sitemap's lastmod (a page's front matter may say
        # `updated:` instead: a fresh checkout gives every file the time of the checkout).
        self.changed: dict[Path, date] = {}
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.suffix in {".md", ".yaml"} and path.name != "README.md":
                digest.update(path.read_bytes())
                self.changed[path] = datetime.fromtimestamp(path.stat().st_mtime, UTC).date()
        self.version = digest.hexdigest()[:16]
        self.updated = max(self.changed.values(), default=date.today())
        self._load_pages()
        self._load_data()

    def _load_pages(self) -> None:
        md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
        for section in SECTIONS:
            for path in sorted((self.root / section).glob("*.md")):
                slug, _, lang = path.stem.rpartition(".")
                if lang not in PUBLIC_LANGUAGES or not slug:
                    raise ContentError(f"{path}: name must be <slug>.<zh|en|de|fr>.md")
                meta, body = _split_front_matter(path)
                html = md.reset().convert(body)
                meta.setdefault("updated", self.changed.get(path))
                page = Page(section, slug, lang, meta["title"], meta["summary"], html, body, meta)
                self.pages.setdefault((section, slug), {})[lang] = page

    def _load_data(self) -> None:
        for name in DATA_FILES:
            path = self.root / "data" / f"{name}.yaml"
            try:
                self.data[name] = read_yaml(path.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise ContentError(f"{path}: {exc}") from exc
        for path in sorted((self.root / "incentives").glob("*.yaml")):
            try:
                policy = read_yaml(path.read_text(encoding="utf-8"))
            except yaml.YAMLError as exc:
                raise ContentError(f"{path}: {exc}") from exc
            if str(policy.get("version")) != path.stem:
                raise ContentError(f"{path}: version must be the file's name ({path.stem})")
            status = policy.get("status")
            if status not in POLICY_STATUSES:
                raise ContentError(f"{path}: status must be one of {', '.join(POLICY_STATUSES)}")
            if status == "adopted" and not (policy.get("document") and policy.get("adopted_on")):
                raise ContentError(f"{path}: an adopted policy names its document and adopted_on")
            self.policies[path.stem] = policy

    # -- pages -----------------------------------------------------------
    def page(self, section: str, slug: str, lang: str) -> Page | None:
        return self.pages.get((section, slug), {}).get(lang)

    def languages(self, section: str, slug: str) -> list[str]:
        found = self.pages.get((section, slug), {})
        return [lang for lang in PUBLIC_LANGUAGES if lang in found]

    def updated_on(self, section: str, slug: str) -> date:
        """When any language version of a page last changed."""
        dates = [p.meta.get("updated") for p in self.pages.get((section, slug), {}).values()]
        return max((d for d in dates if isinstance(d, date)), default=self.updated)

    def resolve(self, section: str, slug: str, lang: str) -> tuple[Page | None, str | None]:
        """The page in lang, or else the language to fall back to (None if it exists nowhere)."""
        page = self.page(section, slug, lang)
        if page:
            return page, None
        versions = self.pages.get((section, slug), {})
        if not versions:
            return None, None
        fallback = FALLBACK[lang]
        return None, fallback if fallback in versions else next(iter(versions))

    def section(self, section: str, lang: str) -> list[Page]:
        """The pages of a section that exist in lang; news newest first, others by order."""
        items = [v[lang] for (sec, _), v in self.pages.items() if sec == section and lang in v]
        if section == "news":
            return sorted(items, key=lambda p: (p.date or date.min, p.slug), reverse=True)
        return sorted(items, key=lambda p: (p.order, p.title))

    def privacy_notice(self, lang: str) -> Page | None:
        """The newest privacy notice version in lang."""
        return max(
            self.section("privacy", lang),
            key=lambda p: int(str(p.meta["version"]).lstrip("v")),
            default=None,
        )

    # -- data ------------------------------------------------------------
    @property
    def site(self) -> dict:
        return self.data["site"]

    def __getitem__(self, name: str):
        return self.data[name]


def get_content() -> Content:
    return current_app.extensions["content"]


def init_app(app) -> None:
    app.extensions["content"] = Content(app.config["CONTENT_DIR"])
