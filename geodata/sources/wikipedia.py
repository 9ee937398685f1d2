"""English Wikipedia's "Module:Syrian Civil War detailed map" (~7k front-line places, English only).

The module is a Lua table: `return { …, marks = { { lat = "35.62", long = "36.55", mark = "…svg",
marksize = "6", label = "[[Kafr Nabl]]", link = "Kafr Nabl", label_size = "0" }, … } }`. A small
regex reader takes each `{ … }` entry with `lat` and `long` and a `label` or `link`; entries
without either (icons drawn under another entry) and commented-out lines (`--`) are skipped. A
wikilink label gives two names, its target and its text ("[[Tell Safouk|Tal Sufouq]]"); a target's
disambiguation (", Syria", " (Idlib)") is dropped. The module changes with the front lines; its
marks' colours (who holds a place) are not read.

Merge policy "alias-or-add": an entry within 2 km of a known locality with a matching name key
gives it its English spellings; the others are added (id `wikimap:<slug>`, source "wikipedia-map").
"""

from __future__ import annotations

import re

from geodata.place import Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, head, register

SOURCE = "wikipedia-map"
_ENTRY = re.compile(r"\{([^{}]*\blat\s*=[^{}]*)\}")
_FIELD = re.compile(r"""(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?[\d.]+))""")
_WIKILINK = re.compile(r"\[\[([^\]|]+)(?:\|([^\]]+))?\]\]")
_DISAMBIGUATION = re.compile(r"\s*(?:\([^)]*\)|,\s*(?:Syria|[A-Z][\w' -]+ Governorate))\s*$")
_MARKUP = re.compile(r"<[^>]+>|'{2,}")


def lua_entries(text: str) -> list[dict[str, str]]:
    """The `{ key = "value", … }` entries of a Lua module that have a `lat`, as dicts of strings."""
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    out = []
    for m in _ENTRY.finditer(text):
        fields = {}
        for f in _FIELD.finditer(m.group(1)):
            value = next(v for v in f.groups()[1:] if v is not None)
            fields[f.group(1)] = re.sub(r"\\(.)", r"\1", value)
        out.append(fields)
    return out


def _clean(name: str) -> str:
    return _DISAMBIGUATION.sub("", _MARKUP.sub(" ", name.replace("_", " "))).strip(" ,")


def label_names(label: str, link: str) -> list[str]:
    """The names an entry gives: the label's wikilink targets and texts, or its plain text, and the link."""
    names = []
    for target, text in _WIKILINK.findall(label or ""):
        names += [text, target]
    if not names and label:
        names.append(label)
    names.append(link or "")
    return list(clean_names([_clean(n) for n in names]))


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def import_wikipedia_map(path: str, progress=None) -> ImportResult:
    """Import the module's Lua text (as saved from `?action=raw`)."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read the Lua module ({exc})") from exc
    entries = lua_entries(text)
    if not entries:
        raise SourceError(f"{path}: no `{{ lat = …, long = … }}` entries: not the Wikipedia detailed-map module")
    result = ImportResult(source=SOURCE)
    for i, e in enumerate(entries):
        if progress:
            progress(1)
        if not (e.get("label") or e.get("link")):
            continue  # an icon drawn under a labelled entry
        try:
            names = label_names(e.get("label", ""), e.get("link", ""))
            if not names:
                raise ValueError("label without a name")
            lat, lon = float(e["lat"]), float(e["long"])
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError(f"coordinates out of range ({lat}, {lon})")
            # the link is the page: one place; a bare label may name two places, so its point is in the id
            key = _slug(e["link"]) if e.get("link") else f"{_slug(names[0])}@{lat:.3f},{lon:.3f}"
            result.places.append(Place(
                id=f"wikimap:{key}", name_en=names[0], name_ar="", lat=lat, lon=lon,
                kind="locality", names=tuple(names[1:]), source=SOURCE,
                note="English Wikipedia, Module:Syrian Civil War detailed map",
            ))
        except (KeyError, ValueError) as exc:
            result.error(f"{path} entry {i}", f"skipped ({exc.__class__.__name__}: {exc})")
    return result


@register
class WikipediaDetailedMap(Source):
    name = SOURCE
    title = "Wikipedia 'Module:Syrian Civil War detailed map': front-line places, English names only"
    inputs = "the Wikipedia detailed-map module's Lua text (.lua)"
    url = "https://en.wikipedia.org/w/index.php?title=Module:Syrian_Civil_War_detailed_map&action=raw"
    filename = "Syrian_Civil_War_detailed_map.lua"
    page = "https://en.wikipedia.org/wiki/Module:Syrian_Civil_War_detailed_map"
    priority = 6
    policy = "alias-or-add"
    attribution = "Wikipedia contributors (CC BY-SA 4.0)"

    def detect(self, path: str) -> bool:
        base = basename(path)
        if base.endswith(".lua") or "detailed_map" in base or "detailed map" in base:
            return True
        if not base.endswith(".txt"):
            return False
        sample = head(path, 8192)
        return "marks" in sample and re.search(r"\blat\s*=", sample) is not None

    def read(self, path, progress=None) -> ImportResult:
        return import_wikipedia_map(path, progress)
