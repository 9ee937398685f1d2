"""Curated named areas (mountains, plains, regions) from `geodata/data/areas.json` or a user file.

No upstream gazetteer has the areas Syrian reports use as locations (Jabal al-Zawiya, Sahl
al-Ghab…). They are answered at precision 2 with a representative point and a radius.
"""

from __future__ import annotations

import json

from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, read_curated, register


def import_areas(path: str | None = None, progress=None) -> ImportResult:
    """Import the bundled curated areas, or those of the JSON file at `path`."""
    result = ImportResult(source="curated-areas")
    raw = read_curated(path, "areas.json", "areas")
    try:
        entries = json.loads(raw)["areas"]
    except (ValueError, KeyError) as exc:
        raise SourceError(f"{path or 'geodata/data/areas.json'}: cannot read areas ({exc})") from exc
    for i, e in enumerate(entries):
        if progress:
            progress(1)
        try:
            result.places.append(Place(
                id=f"area:{e['id']}",
                name_en=e["name_en"],
                name_ar=e["name_ar"],
                lat=float(e["lat"]),
                lon=float(e["lon"]),
                kind="area",
                names=clean_names(e.get("names")),
                admin1=AdminRef("", name_en=e["admin1"]) if e.get("admin1") else None,
                radius_km=float(e["radius_km"]),
                source="curated-areas",
                note=e.get("note", ""),
            ))
        except (KeyError, TypeError, ValueError) as exc:
            result.error(f"{path or 'areas.json'} entry {i}", f"skipped ({exc.__class__.__name__}: {exc})")
    return result


@register
class CuratedAreas(Source):
    """The bundled file unless an areas .json file is among the inputs (then that one instead)."""

    name = "areas"
    title = "curated named areas (geodata/data/areas.json): mountains, plains, regions with a radius"
    inputs = "an areas .json file"
    priority = 3
    detect_rank = 90  # any other .json-like source first
    bundled = True

    def detect(self, path: str) -> bool:
        return basename(path).endswith(".json")

    def read(self, path, progress=None) -> ImportResult:
        return import_areas(path, progress)
