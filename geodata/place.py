"""The gazetteer's nouns: a Place and the administrative units it lies in.

Small immutable dataclasses with a plain-dict round trip, so the index, the CLI's JSON and the
incident store all carry the same fields under the same names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

IMPORTANT_POPULATION = 50_000  # places this large are named often enough not to need a trigger
DUPLICATE_KM = 2.0  # one name, one kind, this close: one place under two entries (merged by the build)

# Feature kinds, from the most to the least specific.
KINDS = ("locality", "subdistrict", "district", "area", "governorate", "city", "country")


@dataclass(frozen=True)
class AdminRef:
    """A governorate (admin1) or district (admin2) as seen from a place inside it."""

    id: str
    name_ar: str = ""
    name_en: str = ""
    pcode: str = ""

    @classmethod
    def from_dict(cls, d: dict | None) -> "AdminRef | None":
        return cls(**d) if d else None


@dataclass(frozen=True)
class Place:
    """One gazetteer entry."""

    id: str
    name_en: str
    name_ar: str
    lat: float
    lon: float
    kind: str
    names: tuple[str, ...] = ()
    population: int = 0
    admin1: AdminRef | None = None
    admin2: AdminRef | None = None
    country: str = "SY"
    radius_km: float = 0.0
    geonames_id: int | None = None
    pcode: str = ""
    source: str = ""
    note: str = field(default="", compare=False)

    @property
    def label(self) -> str:
        """A short human label: 'Kafr Nabl (كفرنبل)'."""
        if self.name_en and self.name_ar:
            return f"{self.name_en} ({self.name_ar})"
        return self.name_en or self.name_ar or self.id

    def all_names(self) -> list[str]:
        """Every spelling of the place, preferred names first, without repeats."""
        seen, out = set(), []
        for n in (self.name_ar, self.name_en, *self.names):
            if n and n not in seen:
                seen.add(n)
                out.append(n)
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["names"] = list(self.names)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Place":
        d = dict(d)
        d["names"] = tuple(d.get("names") or ())
        d["admin1"] = AdminRef.from_dict(d.get("admin1"))
        d["admin2"] = AdminRef.from_dict(d.get("admin2"))
        return cls(**d)
