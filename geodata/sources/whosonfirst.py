"""Who's On First importer: a `whosonfirst-data-admin-XX` repository folder or its .tar.gz.

Reads every `data/**/<id>.geojson` record (alternate geometries `*-alt-*.geojson` are skipped):
localities, counties (districts) and regions (governorates, with polygons). Names come from
`wof:name`, `name:ara_x_preferred`/`name:ara_x_variant` (which sometimes hold Latin script),
`name:eng_x_*`, `name:und_x_variant` and `gn:name`/`gn:asciiname`. Deprecated records are skipped.
"""

from __future__ import annotations

import json
import os

from geodata.normalize import is_arabic
from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, Source, basename, clean_names, iter_files, register

KIND_BY_PLACETYPE = {"locality": "locality", "county": "district", "region": "governorate",
                     "neighbourhood": "locality", "campus": "locality"}
NAME_FIELDS_AR = ("name:ara_x_preferred", "name:ara_x_variant", "name:arz_x_preferred")
OPEN_SYRIA_NAMES = ("data-geography", "open-syria", "opensyria")  # names of the other repository's archive
NAME_FIELDS_OTHER = ("name:eng_x_preferred", "name:eng_x_variant", "name:und_x_variant",
                     "name:eng_x_colloquial")


def _first_float(props: dict, *keys: str) -> float | None:
    for k in keys:
        v = props.get(k)
        if isinstance(v, (int, float)):
            return float(v)
    return None


def _split_scripts(values: list[str]) -> tuple[list[str], list[str]]:
    arabic = [v for v in values if is_arabic(v)]
    latin = [v for v in values if not is_arabic(v)]
    return arabic, latin


def _record_to_place(props: dict, geometry: dict | None) -> tuple[Place, dict | None] | str:
    """A Place (and its polygon, if any) from one WOF record, or the reason it was skipped."""
    placetype = props.get("wof:placetype")
    kind = KIND_BY_PLACETYPE.get(placetype or "")
    if kind is None:
        return f"placetype {placetype!r} not imported"
    if props.get("edtf:deprecated") or props.get("mz:is_current") == 0 and placetype != "locality":
        return "deprecated record"
    lat = _first_float(props, "lbl:latitude", "geom:latitude", "gn:latitude")
    lon = _first_float(props, "lbl:longitude", "geom:longitude", "gn:longitude")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "no coordinates"
    ar_values: list[str] = []
    for f in NAME_FIELDS_AR:
        ar_values += props.get(f) or []
    arabic, latin_from_ar = _split_scripts(ar_values)
    other: list[str] = []
    for f in NAME_FIELDS_OTHER:
        other += props.get(f) or []
    other_ar, other_latin = _split_scripts(other)
    name_en = (props.get("name:eng_x_preferred") or [None])[0] or props.get("wof:name") or ""
    names = clean_names(props.get("wof:name"), props.get("gn:name"), props.get("gn:asciiname"),
                        latin_from_ar, other_latin, arabic[1:], other_ar)
    concord = props.get("wof:concordances") or {}
    gn_id = props.get("gn:geonameid") or concord.get("gn:id") or None
    population = props.get("gn:population") or props.get("wof:population") or 0
    hier = (props.get("wof:hierarchy") or [{}])[0]
    gn_country = props.get("wof:country") or "SY"
    if kind == "governorate" and not gn_id:
        kind = "area"  # e.g. the UNDOF zone: a region, not a governorate
    place = Place(
        id=f"wof:{props['wof:id']}",
        name_en=name_en,
        name_ar=arabic[0] if arabic else "",
        lat=round(lat, 6),
        lon=round(lon, 6),
        kind=kind,
        names=tuple(n for n in names if n not in (name_en,)),
        population=int(population or 0),
        admin1=AdminRef(f"wof:{hier['region_id']}") if hier.get("region_id", -1) > 0 else None,
        admin2=AdminRef(f"wof:{hier['county_id']}") if hier.get("county_id", -1) > 0 else None,
        country=gn_country,
        geonames_id=int(gn_id) if gn_id else None,
        source="whosonfirst",
    )
    shape = geometry if geometry and geometry.get("type") in ("Polygon", "MultiPolygon") else None
    return place, shape


def import_whosonfirst(path: str, progress=None) -> ImportResult:
    """Import a WOF admin repository (folder or archive)."""
    result = ImportResult(source="whosonfirst")
    for name, raw in iter_files(path, ".geojson"):
        if "-alt" in name.rsplit("/", 1)[-1] or "/data/" not in "/" + name.replace("\\", "/"):
            continue
        if progress:
            progress(1)
        try:
            record = json.loads(raw)
            props = record["properties"]
        except (ValueError, KeyError, TypeError) as exc:
            result.error(name, f"not a GeoJSON feature ({exc.__class__.__name__}: {exc})")
            continue
        if props.get("wof:placetype") == "country" or "wof:id" not in props:
            continue
        got = _record_to_place(props, record.get("geometry"))
        if isinstance(got, str):
            if got == "no coordinates":
                result.error(name, got)
            continue
        place, shape = got
        result.places.append(place)
        if shape:
            result.shapes[place.id] = shape
    return result


@register
class WhosOnFirst(Source):
    name = "whosonfirst"
    title = "Who's On First Syria: localities, districts, governorates with polygons"
    inputs = "a whosonfirst-data-admin-* folder or .tar.gz"
    url = "https://github.com/whosonfirst-data/whosonfirst-data-admin-sy/archive/master.tar.gz"
    filename = "whosonfirst-data-admin-sy-master.tar.gz"
    fetch_by_default = True
    priority = 0
    villages = True
    detect_rank = 20
    attribution = "Who's On First (CC0/CC-BY)"

    def detect(self, path: str) -> bool:
        base = basename(path)
        if "whosonfirst" in base:
            return True
        # an unnamed repository folder: data/ without Open-Syria's governorates.json
        return (os.path.isdir(os.path.join(path, "data")) and not any(k in base for k in OPEN_SYRIA_NAMES)
                and not os.path.exists(os.path.join(path, "data", "governorates.json")))

    def read(self, path, progress=None) -> ImportResult:
        return import_whosonfirst(path, progress)

