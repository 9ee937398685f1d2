"""HOT OSM "Syria populated places" (HDX export of OpenStreetMap `place=*` features).

The Humanitarian OpenStreetMap Team exports OSM's populated places of Syria to HDX (~30k: a third
points, the rest built-up polygons) as GeoJSON, GeoPackage, shapefile or KML, zipped. This reads
the GeoJSON (plain or in its .zip) and the GeoPackage (SQLite; no GIS library needed). Properties
used, when present: `name`, `name:ar`, `name:en`, `alt_name`, `old_name`, `place`
(city/town/village/hamlet/suburb/neighbourhood/…), `population`, `osm_id`/`osm_type`, and admin
P-codes (`ADM1_PCODE`/`admin1_pcode`/`admin1Pcode`…, level 1 and 2). A polygon stands for its
centroid (its representative point when the centroid falls outside it).

Every OSM place becomes a locality (as Who's On First's neighbourhoods do): the curated
neighbourhood layer is the only one whose names need their city's support. Merge policy
"alias-or-add": within 2 km of a known locality with a matching name key the OSM names become its
aliases; otherwise the place is added with source "hotosm".
"""

from __future__ import annotations

import json
import sqlite3
import struct
import zipfile

from geodata.normalize import is_arabic
from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, head, register

SOURCE = "hotosm"
PLACE_VALUES = {"city", "town", "village", "hamlet", "suburb", "neighbourhood", "quarter", "locality",
                "isolated_dwelling", "farm", "borough", "square"}


def prop(props: dict, *names: str):
    """The first non-empty property among `names`, matched without regard to case."""
    lower = {str(k).lower(): v for k, v in props.items()}
    for n in names:
        v = lower.get(n.lower())
        if v not in (None, ""):
            return v
    return None


def admin_ref(props: dict, level: int) -> AdminRef | None:
    """An admin unit by P-code (and name) from HDX-style columns: ADM1_PCODE, admin1_pcode, admin1Pcode…"""
    code = prop(props, f"ADM{level}_PCODE", f"admin{level}_pcode", f"admin{level}Pcode", f"adm{level}_pcode")
    name_en = prop(props, f"ADM{level}_EN", f"admin{level}_name_en", f"admin{level}Name_en", f"admin{level}_en")
    name_ar = prop(props, f"ADM{level}_AR", f"admin{level}_name_ar", f"admin{level}Name_ar", f"admin{level}_ar")
    if not (code or name_en or name_ar):
        return None
    return AdminRef("", str(name_ar or "").strip(), str(name_en or "").strip(), str(code or "").strip())


def _point(geometry: dict | None) -> tuple[float, float]:
    """(lat, lon) of a GeoJSON geometry: the point, or a polygon's centroid/representative point."""
    if not geometry or not geometry.get("coordinates"):
        raise ValueError("no geometry")
    if geometry["type"] == "Point":
        lon, lat = geometry["coordinates"][:2]
        return float(lat), float(lon)
    from shapely.geometry import shape

    geom = shape(geometry)
    pt = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
    return pt.y, pt.x


def feature_place(props: dict, geometry: dict | None, fid) -> Place | None:
    """A Place from one exported feature, None for a feature that is not a populated place."""
    place_value = str(prop(props, "place") or "").strip().lower()
    if place_value and place_value not in PLACE_VALUES:
        return None
    name = str(prop(props, "name") or "").strip()
    name_ar = str(prop(props, "name:ar", "name_ar") or "").strip() or (name if is_arabic(name) else "")
    name_en = str(prop(props, "name:en", "name_en") or "").strip() or (name if name and not is_arabic(name) else "")
    if not (name_ar or name_en):
        raise ValueError("no name")
    lat, lon = _point(geometry)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"coordinates out of range ({lat}, {lon})")
    others = [str(prop(props, k) or "") for k in ("alt_name", "old_name", "name:ar1", "alt_name:ar", "alt_name:en")]
    names = clean_names(name, *[o.split(";") for o in others if o])
    osm_id = prop(props, "osm_id", "osm_way_id", "id") or fid
    osm_type = str(prop(props, "osm_type") or "").strip()
    pop = str(prop(props, "population") or "").replace(",", "").strip()
    return Place(
        id=f"osm:{osm_type + '/' if osm_type else ''}{osm_id}",
        name_en=name_en or name_ar,
        name_ar=name_ar,
        lat=round(lat, 6),
        lon=round(lon, 6),
        kind="locality",
        names=tuple(n for n in names if n not in (name_en, name_ar)),
        population=int(pop) if pop.isdigit() else 0,
        admin1=admin_ref(props, 1),
        admin2=admin_ref(props, 2),
        source=SOURCE,
        note=f"OSM place={place_value}" if place_value else "",
    )


def _geojson_features(path: str) -> list[dict]:
    try:
        if basename(path).endswith(".zip"):
            with zipfile.ZipFile(path) as z:
                member = next((n for n in z.namelist() if n.lower().endswith((".geojson", ".json"))), None)
                if member is None:
                    raise SourceError(f"{path}: no .geojson file in the archive")
                raw = z.read(member)
        else:
            with open(path, "rb") as f:
                raw = f.read()
        data = json.loads(raw.decode("utf-8-sig"))
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise SourceError(f"{path}: not a readable GeoJSON export ({exc.__class__.__name__}: {exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise SourceError(f"{path}: not a GeoJSON FeatureCollection")
    return data["features"]


def _gpkg_features(path: str) -> list[dict]:
    """Features of a GeoPackage's first feature table as GeoJSON-like dicts (geometry via shapely's WKB)."""
    from shapely import wkb
    from shapely.geometry import mapping

    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        table, column = con.execute("SELECT c.table_name, g.column_name FROM gpkg_contents c JOIN "
                                    "gpkg_geometry_columns g USING (table_name) WHERE c.data_type = 'features'"
                                    ).fetchone()
        cur = con.execute(f'SELECT * FROM "{table}"')
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        con.close()
    except (sqlite3.Error, TypeError) as exc:
        raise SourceError(f"{path}: not a readable GeoPackage ({exc})") from exc
    out = []
    for row in rows:
        props = dict(zip(cols, row))
        blob = props.pop(column)
        geometry = None
        if blob and blob[:2] == b"GP":
            envelope = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}.get((blob[3] >> 1) & 0x07, 0)
            geometry = mapping(wkb.loads(bytes(blob[8 + envelope:])))
        out.append({"properties": props, "geometry": geometry})
    return out


def import_hotosm(path: str, progress=None) -> ImportResult:
    """Import a HOT OSM populated-places export (.geojson, its .zip, or .gpkg)."""
    result = ImportResult(source=SOURCE)
    features = _gpkg_features(path) if basename(path).endswith(".gpkg") else _geojson_features(path)
    for i, feat in enumerate(features):
        if progress:
            progress(1)
        try:
            place = feature_place(feat.get("properties") or {}, feat.get("geometry"), feat.get("id", i))
        except (KeyError, TypeError, ValueError, IndexError, struct.error) as exc:
            result.error(f"{path} feature {i}", f"skipped ({exc.__class__.__name__}: {exc})")
            continue
        if place is not None:
            result.places.append(place)
    return result


@register
class HotOsmPopulatedPlaces(Source):
    name = SOURCE
    title = "HOT OSM Syria populated places (HDX): OSM names in Arabic and English, place type, P-codes"
    inputs = "a HOT OSM populated places export (hotosm_*.geojson, .zip or .gpkg)"
    url = ("https://s3.dualstack.us-east-1.amazonaws.com/production-raw-data-api/ISO3/SYR/populated_places/"
           "points/hotosm_syr_populated_places_points_geojson.zip")
    filename = "hotosm_syr_populated_places_points_geojson.zip"
    page = "https://data.humdata.org/dataset/hotosm_syr_populated_places"
    priority = 5
    villages = True
    policy = "alias-or-add"
    attribution = "OpenStreetMap contributors (ODbL) via HOT/HDX"

    def detect(self, path: str) -> bool:
        base = basename(path)
        if not base.endswith((".geojson", ".json", ".zip", ".gpkg")):
            return False
        if "hotosm" in base or "populated_places" in base:
            return True
        sample = head(path, 8192) if base.endswith((".geojson", ".json")) else ""
        return '"FeatureCollection"' in sample and '"place"' in sample

    def read(self, path, progress=None) -> ImportResult:
        return import_hotosm(path, progress)

