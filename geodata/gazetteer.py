"""The built gazetteer index: places, their match keys and admin polygons in one SQLite file.

`Gazetteer.save()` writes to a temporary file and renames it into place, so a failed build never
leaves a half-written index; `Gazetteer.load()` reads it back in well under a second.
`name_entries` keys a place's spellings (for the build, and for `with_places`, through which the
overlay merges into a loaded index).
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from geodata.normalize import is_ordinary_word, name_keys
from geodata.place import IMPORTANT_POPULATION, Place
from geodata.paths import default_gazetteer_path

SCHEMA_VERSION = 1
MIN_KEY_LENGTH = 3  # shorter match keys are not indexed


class GazetteerMissing(FileNotFoundError):
    """No built index where one was expected."""

    def __init__(self, path: Path):
        super().__init__(f"{path}: no gazetteer index here; build one with `incidentmap gazetteer build`")
        self.path = path


@dataclass(frozen=True)
class NameEntry:
    """One spelling of one place, with its match keys."""

    place_id: str
    name: str
    exact: str
    loose: str
    common: bool  # also an ordinary word: needs textual evidence before it counts as a place


@dataclass
class Gazetteer:
    places: dict[str, Place]
    names: list[NameEntry]
    meta: dict = field(default_factory=dict)
    path: Path | None = None

    def __post_init__(self):
        self._by_exact: dict[str, list[NameEntry]] = defaultdict(list)
        self._by_loose: dict[str, list[NameEntry]] = defaultdict(list)
        for n in self.names:
            self._by_exact[n.exact].append(n)
            if n.loose:
                self._by_loose[n.loose].append(n)

    # ---- lookups -------------------------------------------------------------------------
    def get(self, place_id: str) -> Place | None:
        """The place of an id, also of an id the build merged into another (geodata.build.merge_duplicates):
        stored incidents and reviews naming it keep working."""
        return self.places.get(place_id) or self.places.get((self.meta.get("merged_ids") or {}).get(place_id, ""))

    def entries_for_key(self, key: str, loose: bool = False) -> list[NameEntry]:
        return (self._by_loose if loose else self._by_exact).get(key, [])

    def lookup(self, name: str) -> list[Place]:
        """Places whose name folds to the same exact key; loose key when none do."""
        exact, loose = name_keys(name)
        hits = self.entries_for_key(exact) or self.entries_for_key(loose, loose=True)
        seen, out = set(), []
        for e in hits:
            if e.place_id not in seen:
                seen.add(e.place_id)
                out.append(self.places[e.place_id])
        return out

    def of_kind(self, kind: str) -> list[Place]:
        return [p for p in self.places.values() if p.kind == kind]

    def counts(self) -> dict[str, int]:
        c: dict[str, int] = defaultdict(int)
        for p in self.places.values():
            c[p.kind] += 1
        return dict(c)

    def shapes(self, kinds: tuple[str, ...] = ("governorate", "district")) -> dict[str, dict]:
        """GeoJSON geometries of admin units (read on demand: the geocoder does not need them)."""
        if self.path is None or not Path(self.path).exists():
            return {}
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT id, geometry FROM shapes").fetchall()
        finally:
            con.close()
        return {pid: json.loads(g) for pid, g in rows
                if pid in self.places and self.places[pid].kind in kinds}

    def has_admin_polygons(self) -> bool:
        """Does the index hold governorate/district polygons (so `admin_at` can answer)?"""
        self._load_admin_trees()
        return bool(self._admin_trees)

    def admin_at(self, lat: float, lon: float) -> tuple[Place | None, Place | None]:
        """(governorate, district) whose polygons contain the point, from the index's shapes."""
        self._load_admin_trees()
        from shapely.geometry import Point

        out = []
        for kind in ("governorate", "district"):
            tree = self._admin_trees.get(kind)
            hit = None
            if tree:
                idx = tree[0].query(Point(lon, lat), predicate="intersects")
                hit = self.places[tree[1][int(idx[0])]] if len(idx) else None
            out.append(hit)
        return out[0], out[1]

    def _load_admin_trees(self) -> None:
        if not hasattr(self, "_admin_trees"):
            from shapely.geometry import shape
            from shapely.strtree import STRtree

            self._admin_trees = {}
            for kind in ("governorate", "district"):
                items = [(pid, shape(g)) for pid, g in self.shapes((kind,)).items()]
                if items:
                    self._admin_trees[kind] = (STRtree([g for _, g in items]), [pid for pid, _ in items])

    # ---- persistence ---------------------------------------------------------------------
    def save(self, path: Path | str, shapes: dict[str, dict] | None = None) -> Path:
        """Write atomically: a temporary file in the same folder, then a rename."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".gazetteer-", suffix=".sqlite", dir=path.parent)
        os.close(fd)
        try:
            con = sqlite3.connect(tmp)
            con.executescript("""
                CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE places (id TEXT PRIMARY KEY, kind TEXT, data TEXT);
                CREATE TABLE names (place_id TEXT, name TEXT, exact TEXT, loose TEXT, common INTEGER);
                CREATE TABLE shapes (id TEXT PRIMARY KEY, geometry TEXT);
            """)
            meta = dict(self.meta, schema_version=SCHEMA_VERSION)
            con.executemany("INSERT INTO meta VALUES (?, ?)", [(k, json.dumps(v)) for k, v in meta.items()])
            con.executemany("INSERT INTO places VALUES (?, ?, ?)",
                            [(p.id, p.kind, json.dumps(p.to_dict(), ensure_ascii=False))
                             for p in self.places.values()])
            con.executemany("INSERT INTO names VALUES (?, ?, ?, ?, ?)",
                            [(n.place_id, n.name, n.exact, n.loose, int(n.common)) for n in self.names])
            con.executemany("INSERT INTO shapes VALUES (?, ?)",
                            [(k, json.dumps(v)) for k, v in (shapes or {}).items()])
            con.commit()
            con.close()
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.path = path
        return path

    def with_places(self, places: dict[str, Place], rekey: dict[str, Place], meta: dict) -> "Gazetteer":
        """A copy holding `places` instead: the names of places gone and of the places in `rekey`
        dropped, those in `rekey` keyed anew (`name_entries`), `meta` merged into the meta; the admin
        polygons stay. How the overlay merges into a loaded index (geodata.overlay.refresh)."""
        names = [n for n in self.names if n.place_id in places and n.place_id not in rekey] + name_entries(rekey)
        out = Gazetteer(places=places, names=names, meta=dict(self.meta, **meta), path=self.path)
        if hasattr(self, "_admin_trees"):
            out._admin_trees = self._admin_trees
        return out

    @classmethod
    def load(cls, path: Path | str | None = None, overlay: bool = True) -> "Gazetteer":
        """Read the index; with `overlay`, the analysts' overlay file as it is now is merged in
        (geodata.overlay.refresh: nothing to do when the index already holds that version of it)."""
        path = Path(path) if path else default_gazetteer_path()
        if not path.exists():
            raise GazetteerMissing(path)
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            try:
                meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM meta")}
            except sqlite3.DatabaseError as exc:
                raise ValueError(f"{path}: not a gazetteer index ({exc}); rebuild it") from exc
            if meta.get("schema_version") != SCHEMA_VERSION:
                raise ValueError(f"{path}: index schema {meta.get('schema_version')} but this version "
                                 f"reads {SCHEMA_VERSION}; rebuild with `incidentmap gazetteer build`")
            places = {pid: Place.from_dict(json.loads(d)) for pid, d in con.execute("SELECT id, data FROM places")}
            names = [NameEntry(pid, n, e, lo, bool(c))
                     for pid, n, e, lo, c in con.execute("SELECT place_id, name, exact, loose, common FROM names")]
        finally:
            con.close()
        gaz = cls(places=places, names=names, meta=meta, path=path)
        if overlay:
            from geodata.overlay import refresh

            gaz = refresh(gaz)
        return gaz


def _is_common_word(name: str, place: Place) -> bool:
    if place.kind in ("governorate", "country") or place.population >= IMPORTANT_POPULATION:
        return False
    if len(name.split()) > 1 and not name.split()[0] in ("ال",):
        return False  # a multi-word name is rarely an ordinary phrase
    return is_ordinary_word(name)


# Words that say what kind of unit a name is ("محافظة إدلب", "Idlib Governorate"). An alias made of
# one of them plus another name of the same place is not keyed: the recogniser reads the word as
# a trigger, so "محافظة إدلب" still finds إدلب and also learns that the governorate is meant.
UNIT_WORDS = {"محافظة", "منطقة", "ناحية", "مدينة", "مركز", "قضاء", "governorate", "province",
              "district", "subdistrict", "sub-district", "nahiyat", "mantiqat", "muhafazat", "city",
              "markaz", "region", "mohafazat"}
UNIT_KEYS = {name_keys(w)[0] for w in UNIT_WORDS}


def _is_unit_alias(name: str, keys: set[str]) -> bool:
    words = name.split()
    if len(words) < 2:
        return False
    for rest in (words[1:], words[:-1]):
        dropped = words[0] if rest == words[1:] else words[-1]
        if name_keys(dropped)[0] in UNIT_KEYS and name_keys(" ".join(rest))[0] in keys:
            return True
    return False


def name_entries(places: dict[str, Place]) -> list[NameEntry]:
    out = []
    for p in places.values():
        seen = set()
        keyed = [(n, *name_keys(n)) for n in p.all_names()]
        exact_keys = {e for _, e, _ in keyed}
        for n, exact, loose in keyed:
            if len(exact) < MIN_KEY_LENGTH or (exact, loose) in seen or _is_unit_alias(n, exact_keys):
                continue
            seen.add((exact, loose))
            # Loose keys only for Syrian places: abroad, exact spellings are enough and safer.
            use_loose = p.country == "SY" and len(loose) >= MIN_KEY_LENGTH
            out.append(NameEntry(p.id, n, exact, loose if use_loose else "", _is_common_word(n, p)))
    return out
