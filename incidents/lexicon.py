"""Event and actor lexicons: the JSON files in `incidents/data/`, compiled once.

`event_cues(text)` lists every event cue in a sentence with its ACLED event/sub-event type;
`actor_mentions(text)` lists every actor mention with its normalised name. Arabic cues may carry
a proclitic (و، ف، ب، ل) and are matched on word boundaries.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_PROCLITIC = r"(?:(?<=[\s\"'(«،,.؛:!?])|^)(?:و|ف|ب|ل|وب|ول|فب)?"
_AR_END = r"(?![\u0621-\u064a])"


def _load(name: str) -> dict:
    with resources.files("incidents").joinpath(f"data/{name}").open(encoding="utf-8") as f:
        return json.load(f)


def _compile(ar: list[str], en: list[str]) -> re.Pattern:
    parts = [f"{_PROCLITIC}(?:{p}){_AR_END}" for p in ar] + [rf"(?<![A-Za-z])(?:{p})(?![A-Za-z])" for p in en]
    return re.compile("|".join(parts), re.I)


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    label: tuple[str, ...]  # (event_type, sub_event_type) or (actor name,)


@lru_cache(maxsize=1)
def _events() -> list[tuple[re.Pattern, tuple[str, str]]]:
    return [(_compile(c.get("ar", []), c.get("en", [])), (c["event_type"], c["sub_event_type"]))
            for c in _load("events.json")["cues"]]


@lru_cache(maxsize=1)
def _actors() -> list[tuple[re.Pattern, str]]:
    return [(_compile(a.get("ar", []), a.get("en", [])), a["name"]) for a in _load("actors.json")["actors"]]


def _hits(table, text: str) -> list[Hit]:
    out: list[Hit] = []
    for rx, label in table:
        for m in rx.finditer(text):
            if m.end() > m.start():
                out.append(Hit(m.start(), m.end(), label if isinstance(label, tuple) else (label,)))
    out.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[Hit] = []
    for h in out:  # earlier and longer wins where two overlap
        if kept and h.start < kept[-1].end:
            continue
        kept.append(h)
    return kept


def event_cues(text: str) -> list[Hit]:
    return _hits(_events(), text)


def actor_mentions(text: str) -> list[Hit]:
    return _hits(_actors(), text)
