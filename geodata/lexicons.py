"""The hand-written word lists the recogniser consults, loaded once and folded like gazetteer keys.

Each list is a plain text file in `geodata/data/` (one entry per line, `# comment` allowed, optional
`# section: NAME` headers) so that an analyst can extend it and review the change in a diff.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from geodata.normalize import fold_arabic_word, fold_latin_word, is_arabic, name_keys


def _lines(name: str) -> list[tuple[str, str]]:
    """(section, entry) for each entry of a data file; a missing file is an empty list."""
    path = resources.files("geodata").joinpath(f"data/{name}")
    if not path.is_file():
        return []
    out, section = [], ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# section:"):
            section = line.split(":", 1)[1].strip()
            continue
        entry = line.split("#", 1)[0].strip() if not line.startswith("#") else ""
        if entry:
            out.append((section, entry))
    return out


def fold_entry(entry: str) -> str:
    """An entry's match key: the gazetteer's exact key for names, the folded word otherwise."""
    if " " in entry.strip():
        return name_keys(entry)[0]
    return fold_arabic_word(entry) if is_arabic(entry) else fold_latin_word(entry)


@lru_cache(maxsize=None)
def word_set(name: str, section: str | None = None) -> frozenset[str]:
    """Folded entries of a data file (of one section when given)."""
    return frozenset(fold_entry(e) for s, e in _lines(name) if section is None or s == section)


@lru_cache(maxsize=None)
def phrases(name: str, section: str) -> tuple[str, ...]:
    """Entries of one section as written (lower case), for phrases matched in running text."""
    return tuple(e.lower() for s, e in _lines(name) if s == section)
