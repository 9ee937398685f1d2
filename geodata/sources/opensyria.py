"""Open-Syria data-geography importer: governorates, districts and subdistricts.

Reads `data/governorates.json`, `data/districts.json` and `data/subdistricts.json` from the
repository folder or its .tar.gz, with Arabic and English names, aliases, OCHA P-codes and
centroids. The builder merges these onto Who's On First's units (by GeoNames id, then by name).
"""

from __future__ import annotations

import json

from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, SourceError, clean_names, iter_files

FILES = {"governorates.json": "governorate", "districts.json": "district",
         "subdistricts.json": "subdistrict"}


def _place(rec: dict, kind: str, by_id: dict[str, Place]) -> Place:
    name = rec.get("name") or {}
    c = rec["centroid"]
    ext = rec.get("externalIds") or {}
    aliases = [a.get("value") for a in rec.get("aliases") or [] if isinstance(a, dict)]
    gov = by_id.get(rec.get("governorateId", ""))
    dist = by_id.get(rec.get("districtId", ""))
    pop = (rec.get("population") or {}).get("value") or 0
    return Place(
        id=f"osy:{rec['id']}",
        name_en=name.get("en", ""),
        name_ar=name.get("ar", ""),
        lat=float(c["latitude"]),
        lon=float(c["longitude"]),
        kind=kind,
        names=clean_names(aliases),
        population=int(pop),
        admin1=AdminRef(gov.id, gov.name_ar, gov.name_en, gov.pcode) if gov else None,
        admin2=AdminRef(dist.id, dist.name_ar, dist.name_en, dist.pcode) if dist else None,
        geonames_id=int(ext["geonames"]) if str(ext.get("geonames", "")).isdigit() else None,
        pcode=ext.get("ochaPcode", ""),
        source="open-syria",
    )


def import_opensyria(path: str, progress=None) -> ImportResult:
    """Import the three admin levels; records without a centroid are reported and skipped."""
    result = ImportResult(source="open-syria")
    found = {}
    for name, raw in iter_files(path, ".json"):
        base = name.replace("\\", "/").rsplit("/", 1)[-1]
        if base in FILES and "/data/" in "/" + name.replace("\\", "/"):
            found[base] = (name, raw)
    if not found:
        raise SourceError(f"{path}: no data/governorates.json, districts.json or subdistricts.json")
    by_id: dict[str, Place] = {}
    for base, kind in FILES.items():  # governorates first, so districts can point at them
        if base not in found:
            result.errors.append(f"{path}: {base} missing")
            continue
        name, raw = found[base]
        try:
            records = json.loads(raw)
            if not isinstance(records, list):
                raise ValueError("expected a JSON array")
        except ValueError as exc:
            result.error(name, f"cannot parse JSON ({exc})")
            continue
        for i, rec in enumerate(records):
            if progress:
                progress(1)
            try:
                place = _place(rec, kind, by_id)
            except (KeyError, TypeError, ValueError) as exc:
                result.error(f"{name} record {i}", f"skipped ({exc.__class__.__name__}: {exc})")
                continue
            by_id[rec["id"]] = place
            result.places.append(place)
    return result
