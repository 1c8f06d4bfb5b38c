"""French typography in catalogs and content: the no-break space before ":", ";", "?" and "!"."""

import re
import sys
from pathlib import Path

NBSP, NNBSP = "\u00a0", "\u202f"
# A colon takes a full no-break space, the other three a narrow one (Imprimerie nationale);
# either is accepted, since both keep the mark on the word's line.
SPACE_BEFORE = {":": NBSP, ";": NNBSP, "?": NNBSP, "!": NNBSP}
_MARK = re.compile(r"(?P<before>[^\s:;!?])?(?P<space> ?)(?P<mark>[:;!?])(?=[\s»\"”)<]|$)")
# Text that is syntax, not French: URLs, HTML tags and comments, Markdown link targets and code,
# %(placeholders)s and {placeholders}. A mark inside one is never touched.
_PROTECTED = re.compile(
    r"<!--.*?-->|<[^>]*>|[a-z][a-z0-9+.-]*://\S+|mailto:\S+|www\.\S+|\]\([^)]*\)|`[^`]*`"
    r"|%\([^)]+\)[a-z]|\{[^}]*\}",
    re.DOTALL | re.IGNORECASE,
)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_YAML_KEY = re.compile(r"(?m)^[ \t]*(?:- )?[\w-]+:(?=\s)")


def _protected(text: str, markdown: bool) -> list[tuple[int, int]]:
    spans = [m.span() for m in _PROTECTED.finditer(text)]
    front = _FRONT_MATTER.match(text) if markdown else None
    if front:
        spans += [m.span() for m in _YAML_KEY.finditer(text, 0, front.end())]
    return spans


def _faults(text: str, markdown: bool = False):
    spans = _protected(text, markdown)
    for m in _MARK.finditer(text):
        if m.group("before") is None and not m.group("space"):
            continue  # at the start of a line or after a no-break space: nothing to do
        at = m.start("mark")
        if any(start <= at < end for start, end in spans):
            continue
        yield m


def faults(text: str, markdown: bool = False) -> list[str]:
    """The places in text where a mark lacks its no-break space, with a little context."""
    return [text[max(0, m.start() - 20) : m.end() + 5] for m in _faults(text, markdown)]


def fix(text: str, markdown: bool = False) -> str:
    """text with a no-break space before each mark that lacks one (a plain space is replaced)."""
    out, last = [], 0
    for m in _faults(text, markdown):
        mark = m.group("mark")
        out.append(text[last : m.start("space")] + SPACE_BEFORE[mark] + mark)
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def fix_catalog(path: Path) -> int:
    """Fix every msgstr of a French .po file in place; returns the number of entries changed."""
    from babel.messages.pofile import read_po, write_po

    with path.open("rb") as f:
        catalog = read_po(f)
    changed = 0
    for message in catalog:
        if not message.id or not message.string:
            continue
        if isinstance(message.string, tuple):
            new = tuple(fix(s) for s in message.string)
        else:
            new = fix(message.string)
        if new != message.string:
            message.string, changed = new, changed + 1
    with path.open("wb") as f:
        write_po(f, catalog)
    return changed


_FR_LINE = re.compile(r"^([ \t]*fr:[ \t])(?![|>])(.*)$", re.MULTILINE)


def fix_yaml(text: str) -> str:
    """The French values of YAML content ("fr: …" on one line; keys and other languages kept).
    A value folded over several lines is left for a person: the test names it."""
    return _FR_LINE.sub(lambda m: m.group(1) + fix(m.group(2)), text)


if __name__ == "__main__":  # python -m core.typography translations/fr/... content/**/*.fr.md
    for name in sys.argv[1:]:
        file = Path(name)
        if file.suffix == ".po":
            print(name, fix_catalog(file))
        elif file.suffix == ".yaml":
            file.write_text(fix_yaml(file.read_text()))
        else:
            file.write_text(fix(file.read_text(), markdown=True))
