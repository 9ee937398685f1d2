"""The overlay gazetteer: places and aliases analysts add, kept apart from the upstream sources.

One plain CSV file, `$INCIDENTMAP_HOME/overlay-places.csv` (`overlay_path()`), that a team can keep
in git and diff: columns `OVERLAY_COLUMNS`, aliases "|"-separated, one row per place. Its places get
ids `overlay:<slug>` and `source: "overlay"`.

An *alias row* adds names to a place that exists already (upstream or in the overlay) instead of
adding a point: `kind` "alias", `place_id` the place's id, the names in `name_ar`/`name_en`/`aliases`,
no lat/lon; its id is `alias:<slug>`. Merging adds the names to that place (`Place.names`), so the
name keys are indexed like any spelling. An alias whose place is not in the index is skipped. The
`place_id` column is the last one; a file written before it existed reads as it is.

How it reaches the geoparser:
- every gazetteer build merges it (`apply`, before the admin units are assigned);
- `Gazetteer.load` compares the file's content hash with the one the index was built or last merged
  with (`meta.overlay_sha256`); when they differ it drops the index's overlay places and merges the
  file as it is now (`refresh`), so `places add` takes effect on the next command without a rebuild.
  Content, not modification time: a `git checkout` touches every file's mtime.

Overlay entries win: an upstream place that shares a name with an overlay place and lies within
`SHADOW_KM` of it (or within the overlay place's radius) is dropped, its spellings kept as aliases of
the overlay place. (An upstream place dropped this way comes back only with a rebuild after the
overlay entry is removed; so does an alias removed from the file after a build merged it.)

geodata knows nothing of incidents: this module reads, writes and validates the file and merges it
into a set of Places.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
import time
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path

from geodata.earth import NEAR_SYRIA, km
from geodata.normalize import fold_text
from geodata.paths import data_home
from geodata.place import AdminRef, Place

OVERLAY_FILE = "overlay-places.csv"
OVERLAY_COLUMNS = ("id", "name_ar", "name_en", "aliases", "kind", "lat", "lon", "radius_km", "added_by",
                   "added_at", "note", "place_id")
SOURCE = "overlay"
ID_PREFIX = "overlay:"
ALIAS_PREFIX = "alias:"
ALIAS_KIND = "alias"  # an alias row: names for an existing place (place_id), no point of its own
# overlay kind -> the gazetteer's feature kind
KINDS = {"village": "locality", "town": "locality", "neighbourhood": "neighbourhood", "area": "area"}
SHADOW_KM = 3.0
META_KEY = "overlay_sha256"


class OverlayError(ValueError):
    """A place that cannot go into the overlay, or an overlay file that cannot be read."""


@dataclass(frozen=True)
class OverlayPlace:
    id: str
    name_ar: str
    name_en: str = ""
    aliases: tuple[str, ...] = ()
    kind: str = "village"
    lat: float = 0.0
    lon: float = 0.0
    radius_km: float = 0.0
    added_by: str = ""
    added_at: str = ""
    note: str = ""
    place_id: str = ""  # alias rows: the place the names belong to

    @property
    def is_alias(self) -> bool:
        return self.kind == ALIAS_KIND

    def names(self) -> list[str]:
        return [n for n in (self.name_ar, self.name_en, *self.aliases) if n]

    def to_row(self) -> dict:
        point = {"lat": "", "lon": "", "radius_km": ""} if self.is_alias else \
            {"lat": f"{self.lat:.6f}", "lon": f"{self.lon:.6f}", "radius_km": f"{self.radius_km:g}"}
        return {"id": self.id, "name_ar": self.name_ar, "name_en": self.name_en, "aliases": "|".join(self.aliases),
                "kind": self.kind, **point, "added_by": self.added_by, "added_at": self.added_at,
                "note": self.note, "place_id": self.place_id}

    def to_place(self) -> Place:
        return Place(id=self.id, name_en=self.name_en, name_ar=self.name_ar, lat=self.lat, lon=self.lon,
                     kind=KINDS[self.kind], names=self.aliases, radius_km=self.radius_km, source=SOURCE,
                     note=" ".join(x for x in (self.note, f"added by {self.added_by}" if self.added_by else "",
                                               self.added_at) if x))


def overlay_path() -> Path:
    return data_home() / OVERLAY_FILE


# ---- reading, validating, writing ----------------------------------------------------------------
def validate(p: OverlayPlace) -> OverlayPlace:
    """The place, cleaned; OverlayError saying what to fix when it cannot be kept."""
    name_ar, name_en = (p.name_ar or "").strip(), (p.name_en or "").strip()
    if not name_ar and not name_en:
        raise OverlayError("a place needs a name: give --name-ar (and --name-en if you know it)")
    if p.kind == ALIAS_KIND or p.place_id:
        return _validate_alias(replace(p, name_ar=name_ar, name_en=name_en))
    if p.kind not in KINDS:
        raise OverlayError(f"kind {p.kind!r}: use one of {', '.join(KINDS)}")
    lat, lon = float(p.lat), float(p.lon)
    lat_min, lat_max, lon_min, lon_max = NEAR_SYRIA.south, NEAR_SYRIA.north, NEAR_SYRIA.west, NEAR_SYRIA.east
    if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
        hint = " (latitude and longitude swapped?)" if lat_min <= lon <= lat_max and lon_min <= lat <= lon_max else ""
        raise OverlayError(f"{lat}, {lon} is outside Syria (latitude {lat_min}–{lat_max} N, longitude "
                           f"{lon_min}–{lon_max} E){hint}")
    radius = float(p.radius_km or 0)
    if radius < 0 or radius > 100:
        raise OverlayError(f"radius {radius} km: give 0–100 km")
    aliases = tuple(dict.fromkeys(a.strip() for a in p.aliases if a and a.strip() and a.strip() not in (name_ar, name_en)))
    if any("|" in n for n in (name_ar, name_en, *aliases)):
        raise OverlayError("a name cannot contain '|' (it separates aliases in the file)")
    return replace(p, name_ar=name_ar, name_en=name_en, aliases=aliases, lat=lat, lon=lon, radius_km=radius,
                   note=(p.note or "").replace("\n", " ").strip())


def _validate_alias(p: OverlayPlace) -> OverlayPlace:
    place_id = (p.place_id or "").strip()
    if not place_id:
        raise OverlayError("an alias needs the id of the place it names (place_id)")
    if p.kind != ALIAS_KIND:
        raise OverlayError(f"a row with a place_id is an alias: its kind is {ALIAS_KIND!r}, not {p.kind!r}")
    aliases = tuple(dict.fromkeys(a.strip() for a in p.aliases if a and a.strip() and a.strip() not in (p.name_ar, p.name_en)))
    if any("|" in n for n in (p.name_ar, p.name_en, *aliases)):
        raise OverlayError("a name cannot contain '|' (it separates aliases in the file)")
    return replace(p, place_id=place_id, aliases=aliases, lat=0.0, lon=0.0, radius_km=0.0,
                   note=(p.note or "").replace("\n", " ").strip())


def _is_arabic(name: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in name)


def read(path: str | Path | None = None) -> list[OverlayPlace]:
    """The overlay's places ([] when there is no file). A bad row raises OverlayError naming its line."""
    path = Path(path) if path else overlay_path()
    if not path.exists():
        return []
    return parse(path.read_text(encoding="utf-8-sig"), str(path))


def parse(text: str, where: str = OVERLAY_FILE) -> list[OverlayPlace]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id", "name_ar", "lat", "lon") if c not in (reader.fieldnames or [])]
    if missing:
        raise OverlayError(f"{where}: not an overlay file (missing columns: {', '.join(missing)})")
    out = []
    for line, row in enumerate(reader, start=2):
        try:
            place_id = (row.get("place_id") or "").strip()
            kind = (row.get("kind") or (ALIAS_KIND if place_id else "village")).strip()
            alias = kind == ALIAS_KIND or bool(place_id)
            out.append(validate(OverlayPlace(
                id=row["id"].strip(), name_ar=row.get("name_ar") or "", name_en=row.get("name_en") or "",
                aliases=tuple((row.get("aliases") or "").split("|")), kind=kind,
                lat=0.0 if alias else float(row["lat"]), lon=0.0 if alias else float(row["lon"]),
                radius_km=0.0 if alias else float(row.get("radius_km") or 0),
                added_by=row.get("added_by") or "", added_at=row.get("added_at") or "", note=row.get("note") or "",
                place_id=place_id)))
        except (OverlayError, TypeError, ValueError) as exc:
            raise OverlayError(f"{where}:{line}: {exc}; fix or delete the row") from exc
    return out


def write(places: list[OverlayPlace], path: str | Path | None = None) -> Path:
    """Write the whole file atomically (a temporary file, then a rename), rows in id order."""
    path = Path(path) if path else overlay_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".overlay-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=OVERLAY_COLUMNS, lineterminator="\n")
            w.writeheader()
            for p in sorted(places, key=lambda p: p.id):
                w.writerow(p.to_row())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _slug(p: OverlayPlace) -> str:
    latin = unicodedata.normalize("NFKD", p.name_en).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    digest = hashlib.sha1(f"{p.name_ar}|{p.lat:.4f}|{p.lon:.4f}".encode()).hexdigest()[:8]
    return f"{slug}-{digest}" if slug else digest


def add(name_ar: str, lat: float, lon: float, name_en: str = "", kind: str = "village", aliases=(),
        radius_km: float = 0.0, added_by: str = "", note: str = "", path: str | Path | None = None) -> OverlayPlace:
    """Validate and append one place; returns it with its new id (`overlay:<slug>-<hash>`)."""
    place = validate(OverlayPlace(id="", name_ar=name_ar, name_en=name_en or "", aliases=tuple(aliases or ()),
                                  kind=kind, lat=lat, lon=lon, radius_km=radius_km, added_by=added_by,
                                  added_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), note=note))
    existing = read(path)
    place = replace(place, id=ID_PREFIX + _slug(place))
    if any(e.id == place.id or (not e.is_alias and (e.name_ar or e.name_en) == (place.name_ar or place.name_en)
                                and km(e, place) < 0.1)
           for e in existing):
        raise OverlayError(f"{place.id}: this place is already in the overlay (same name and point)")
    write([*existing, place], path)
    return place


def add_alias(place_id: str, name: str, added_by: str = "", note: str = "",
              path: str | Path | None = None) -> OverlayPlace:
    """Append an alias row: `name` (Arabic or Latin script, put in the matching column) becomes a name
    of the place `place_id` (upstream or overlay; the caller checks that it exists). Returns the row
    with its id (`alias:<slug>-<hash>`). The same name for the same place twice is refused."""
    name = (name or "").strip()
    if not name:
        raise OverlayError("an alias needs a name: give --name")
    ar = _is_arabic(name)
    row = validate(OverlayPlace(id="", name_ar=name if ar else "", name_en="" if ar else name, kind=ALIAS_KIND,
                                place_id=place_id, added_by=added_by, note=note,
                                added_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
    existing = read(path)
    if any(e.is_alias and e.place_id == row.place_id and fold_text(name) in {fold_text(n) for n in e.names()}
           for e in existing):
        raise OverlayError(f"{name!r} is already an alias of {row.place_id} in the overlay")
    latin = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", latin).strip("-")
    digest = hashlib.sha1(f"{row.place_id}|{name}".encode()).hexdigest()[:8]
    row = replace(row, id=ALIAS_PREFIX + (f"{slug}-{digest}" if slug else digest))
    write([*existing, row], path)
    return row


def remove(place_id: str, path: str | Path | None = None) -> OverlayPlace:
    existing = read(path)
    gone = next((p for p in existing if p.id == place_id), None)
    if gone is None:
        raise OverlayError(f"{place_id}: no such overlay place; see `incidentmap places list --overlay`")
    write([p for p in existing if p.id != place_id], path)
    return gone


def fingerprint(path: str | Path | None = None) -> str:
    """The overlay file's content hash ("" when there is none)."""
    path = Path(path) if path else overlay_path()
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


# ---- merging ---------------------------------------------------------------------------------------
def apply(places: dict[str, Place], overlay: list[OverlayPlace], merged: dict[str, str] | None = None
          ) -> dict[str, Place]:
    """`places` with the overlay merged: each overlay place added; an upstream place of the same
    (folded) name in the same spot is dropped and its spellings become aliases of the overlay place.
    Then each alias row adds its names to its place (or to the place the build merged it into,
    `merged`, or to the overlay place that displaced it)."""
    out = dict(places)
    displaced: dict[str, str] = {}  # upstream id -> the overlay place that took its spot
    for o in overlay:
        if o.is_alias:
            continue
        place = o.to_place()
        names = {fold_text(n) for n in place.all_names()}
        reach = max(SHADOW_KM, o.radius_km)
        for pid, p in list(out.items()):
            if p.source == SOURCE or p.kind in ("governorate", "district", "subdistrict", "country"):
                continue
            if names & {fold_text(n) for n in p.all_names()} and km(o, p) <= reach:
                extra = tuple(n for n in p.all_names() if n not in place.all_names())
                place = replace(place, names=place.names + extra, population=max(place.population, p.population),
                                admin1=place.admin1 or p.admin1, admin2=place.admin2 or p.admin2,
                                pcode=place.pcode or p.pcode)
                del out[pid]
                displaced[pid] = place.id
        out[place.id] = place
    for o in overlay:  # aliases last: they may name an overlay place, or one an overlay place displaced
        if not o.is_alias:
            continue
        pid = (merged or {}).get(o.place_id, o.place_id)
        target = out.get(pid) or out.get(displaced.get(pid, ""))
        if target is None:
            continue  # not in this index (the place is gone upstream, or another index): skipped
        extra = tuple(n for n in o.names() if n not in target.all_names())
        if extra:
            out[target.id] = replace(target, names=target.names + extra)
    return out


def refresh(gazetteer, path: str | Path | None = None):
    """`gazetteer` (a loaded geodata.gazetteer.Gazetteer) with the overlay as the file says now, or the
    same object when the index already holds exactly that overlay."""
    sha = fingerprint(path)
    if sha == gazetteer.meta.get(META_KEY, ""):
        return gazetteer
    base = {pid: p for pid, p in gazetteer.places.items() if p.source != SOURCE}
    merged = apply(base, read(path), merged=gazetteer.meta.get("merged_ids"))
    added = {pid: p for pid, p in merged.items() if p.source == SOURCE}
    # upstream places that gained alias names: keyed anew
    renamed = {pid: p for pid, p in merged.items() if pid not in added and gazetteer.places.get(pid) != p}
    if gazetteer.path is not None and added:  # admin units by point-in-polygon, as a build gives them
        for pid, p in added.items():
            gov, dist = gazetteer.admin_at(p.lat, p.lon)
            added[pid] = merged[pid] = replace(p, admin1=_ref(gov) or p.admin1, admin2=_ref(dist) or p.admin2)
    return gazetteer.with_places(merged, rekey={**added, **renamed}, meta={META_KEY: sha})


def _ref(p: Place | None) -> AdminRef | None:
    return AdminRef(p.id, p.name_ar, p.name_en, p.pcode) if p else None
