"""The typed records that flow from text to map: Mention, Resolution and the stored Location.

One definition, used by `geodata` (recognise, resolve), `incidents` (extract, store, ACLED import,
exports) and `dashboard` (which reads stored Locations). Field names are the ones the CLI's JSON,
the exports and the store's columns use.

Roles say why a place is named: only a `target` is where something happened; the others are kept
with the reason so an analyst can see why a place did not become an incident location.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from geodata.gazetteer import NameEntry
from geodata.place import Place

ROLES = ("target", "firing_position", "reference_point", "road_endpoint", "speaker_seat", "framing_area",
         "background")
NOT_IN_GAZETTEER = "not in gazetteer"
WRONG_CONTEXT = "not in the gazetteer where the text places it"
UNCERTAIN_PLACE = "may not be a place here"  # the tagger's probability is low: for review, not the default map


@dataclass
class Mention:
    """A span of text that names (or probably names) a place."""

    text: str
    start: int
    end: int
    entries: list[NameEntry]  # gazetteer spellings it matched; empty for an unknown name
    tier: str = "exact"  # "exact", "loose" (a spelling variant) or "unknown" (after a trigger word)
    trigger: str = ""  # the trigger word before (or after) it, folded
    trigger_kind: str = ""  # village, town, city, vicinity, area, countryside, governorate, district…
    conjoined: bool = False  # joined to a neighbour by و / "and" / a comma
    needs_context: bool = False  # a spelling variant kept only if the sentence's admin context fits
    evidence: list[str] = field(default_factory=list)
    probability: float = 1.0  # the tagger's probability that the span names a place here

    @property
    def place_ids(self) -> list[str]:
        return list(dict.fromkeys(e.place_id for e in self.entries))

    @property
    def common(self) -> bool:
        return bool(self.entries) and all(e.common for e in self.entries)

    @property
    def unknown(self) -> bool:
        return self.tier == "unknown"


@dataclass
class Resolution:
    """The answer for one mention: a place (or the coarser area the text names), how precise and
    how sure, the runners-up, the evidence, and the role the place plays in its sentence."""

    text: str
    start: int
    end: int
    place: Place | None
    precision: int | None  # 1 the place itself, 2 its vicinity or a small area, 3 governorate or coarser
    confidence: float
    alternatives: list[tuple[Place, float]] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    reason: str = ""  # why the answer is coarser than the name (NOT_IN_GAZETTEER, WRONG_CONTEXT)
    trigger_kind: str = ""
    role: str = "target"
    role_reason: str = ""
    tier: str = "exact"
    probability: float = 1.0  # the tagger's probability that the span names a place here

    @property
    def doubted(self) -> bool:
        """The tagger doubts the span names a place here (the resolver's UNCERTAIN_PLACE evidence):
        such a place waits in the review queue instead of the map's default view."""
        return any(e.startswith(UNCERTAIN_PLACE) for e in self.evidence)

    def to_dict(self) -> dict:
        return Location.from_resolution(self).to_dict()


@dataclass
class Location:
    """Where an incident is placed, as stored and exported: the flat form of a Resolution."""

    text: str | None = None
    start: int | None = None
    end: int | None = None
    id: str | None = None
    name_ar: str | None = None
    name_en: str | None = None
    feature: str | None = None
    lat: float | None = None
    lon: float | None = None
    admin1: str | None = None
    admin1_ar: str | None = None
    admin1_pcode: str | None = None
    admin2: str | None = None
    admin2_ar: str | None = None
    country: str | None = None
    radius_km: float | None = None
    precision: int | None = None
    confidence: float | None = None
    role: str = "target"
    role_reason: str | None = None
    reason: str | None = None
    alternatives: list[dict] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    probability: float | None = None  # the tagger's probability that the words name a place here
    doubted: bool = False  # that probability is under the review line: not on the map's default view

    @classmethod
    def from_place(cls, p: Place | None, **kw) -> "Location":
        if p is None:
            return cls(**kw)
        return cls(id=p.id, name_ar=p.name_ar, name_en=p.name_en, feature=p.kind, lat=p.lat, lon=p.lon,
                   admin1=p.admin1.name_en if p.admin1 else None, admin1_ar=p.admin1.name_ar if p.admin1 else None,
                   admin1_pcode=p.admin1.pcode if p.admin1 else None,
                   admin2=p.admin2.name_en if p.admin2 else None, admin2_ar=p.admin2.name_ar if p.admin2 else None,
                   country=p.country, radius_km=p.radius_km, **kw)

    @classmethod
    def from_resolution(cls, r: Resolution) -> "Location":
        alts = [{"id": a.id, "name_en": a.name_en, "name_ar": a.name_ar, "feature": a.kind,
                 "admin1": a.admin1.name_en if a.admin1 else None, "lat": a.lat, "lon": a.lon, "score": round(s, 2)}
                for a, s in r.alternatives]
        return cls.from_place(r.place, text=r.text, start=r.start, end=r.end, precision=r.precision,
                              confidence=round(r.confidence, 3), role=r.role, role_reason=r.role_reason or None,
                              reason=r.reason or None, alternatives=alts, evidence=list(r.evidence),
                              probability=round(r.probability, 3), doubted=r.doubted)

    @classmethod
    def from_dict(cls, d: dict | None) -> "Location":
        names = _LOCATION_FIELDS
        return cls(**{k: v for k, v in (d or {}).items() if k in names})

    def to_dict(self) -> dict:
        """A plain dict (no deep copy: the values are numbers, strings and lists of plain dicts)."""
        return {k: getattr(self, k) for k in _LOCATION_FIELDS}


_LOCATION_FIELDS = tuple(f.name for f in fields(Location))


def decode_location(cell) -> dict | None:
    """A stored row's `location` cell as the Location's dict: JSON text decoded, a dict as it is,
    None when the cell is empty. The one place stored location JSON is read (review queue,
    dashboard, backfill loading)."""
    if isinstance(cell, str):
        return json.loads(cell) if cell else None
    return cell
