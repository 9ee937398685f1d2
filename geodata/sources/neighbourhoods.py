"""Curated city neighbourhoods from `geodata/data/neighbourhoods.csv` (or a user file of the same columns).

No upstream gazetteer has the neighbourhoods of Syrian cities (Who's On First holds four), yet reports
place attacks in them: al-Sha'ar and al-Mashhad in Aleppo, Jobar and Qaboun in Damascus, Baba Amr
in Homs. Without them such names resolve to a namesake village far away (al-Mashhad of Aleppo to a
village 27 km west) or to nothing. The file is written by hand for this project; each row has a
point, a radius and a note on where the point comes from.

Columns: `name_en, name_ar, aliases` ("|"-separated spellings, both scripts), `city` (one of
`CITIES`), `lat, lon, radius_km, source_note`. A neighbourhood's id is
`neighbourhood:<city>:<name>`, so the city it belongs to is known without another field.

The recogniser counts a neighbourhood's name only where the text supports it (its city named
nearby, a word such as حي or "district", a text about that city): see `geodata.recognize`.
"""

from __future__ import annotations

import csv
import io
import re

from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, read_curated, register

SOURCE = "curated-neighbourhoods"
ID_PREFIX = "neighbourhood:"
# city slug -> the governorate it lies in (English name, for when no polygon answers)
CITIES = {"aleppo": "Aleppo", "damascus": "Damascus", "homs": "Homs", "hama": "Hama",
          "deir-ez-zor": "Deir ez-Zor", "raqqa": "Raqqa", "idlib": "Idlib", "daraa": "Daraa"}
COLUMNS = ("name_en", "name_ar", "aliases", "city", "lat", "lon", "radius_km", "source_note")


def neighbourhood_city(place_id: str) -> str:
    """The city slug of a neighbourhood id ("neighbourhood:aleppo:al-sha-ar" → "aleppo"), else ""."""
    if not place_id.startswith(ID_PREFIX):
        return ""
    return place_id[len(ID_PREFIX):].split(":", 1)[0]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", re.sub(r"['’ʿ]", "", name.lower())).strip("-")


def import_neighbourhoods(path: str | None = None, progress=None) -> ImportResult:
    """Import the bundled neighbourhoods, or those of the CSV file at `path`."""
    where = path or "geodata/data/neighbourhoods.csv"
    result = ImportResult(source=SOURCE)
    reader = csv.DictReader(io.StringIO(read_curated(path, "neighbourhoods.csv", "neighbourhoods")))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise SourceError(f"{where}: not a neighbourhoods file (missing columns: {', '.join(missing)})")
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if progress:
            progress(1)
        try:
            city = row["city"].strip()
            if city not in CITIES:
                raise ValueError(f"unknown city {city!r} (expected one of {', '.join(CITIES)})")
            pid = f"{ID_PREFIX}{city}:{_slug(row['name_en'])}"
            if pid in seen:
                raise ValueError(f"a second {row['name_en']!r} in {city}")
            seen.add(pid)
            result.places.append(Place(
                id=pid,
                name_en=row["name_en"].strip(),
                name_ar=row["name_ar"].strip(),
                lat=float(row["lat"]),
                lon=float(row["lon"]),
                kind="neighbourhood",
                names=clean_names((row.get("aliases") or "").split("|")),
                admin1=AdminRef("", name_en=CITIES[city]),
                radius_km=float(row["radius_km"] or 1.0),
                source=SOURCE,
                note=row.get("source_note", ""),
            ))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            result.error(f"{where} line {line}", f"skipped ({exc.__class__.__name__}: {exc})")
    return result


@register
class CuratedNeighbourhoods(Source):
    """The bundled file unless a neighbourhoods*.csv file is among the inputs (then that one instead)."""

    name = "neighbourhoods"
    title = "curated city neighbourhoods (geodata/data/neighbourhoods.csv)"
    inputs = "a neighbourhoods*.csv file"
    priority = 3
    detect_rank = 10
    bundled = True

    def detect(self, path: str) -> bool:
        base = basename(path)
        return base.endswith(".csv") and "neighbourhood" in base

    def read(self, path, progress=None) -> ImportResult:
        return import_neighbourhoods(path, progress)
