"""Open-Syria data-geography importer: governorates, districts and subdistricts.

Reads `data/governorates.json`, `data/districts.json` and `data/subdistricts.json` from the
repository folder or its .tar.gz, with Arabic and English names, aliases, OCHA P-codes and
centroids. The builder merges these onto Who's On First's units (by GeoNames id, then by name).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace

from geodata.place import AdminRef, Place
from geodata.sources import ImportResult, Source, SourceError, basename, clean_names, iter_files, register

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


@register
class OpenSyria(Source):
    """Merges onto Who's On First's units (by GeoNames id, then by name within the same kind): they
    take its OCHA P-code, English (OCHA) name and aliases; the rest, subdistricts, are added with
    their admin references pointed at the units they joined."""

    name = "open-syria"
    title = "Open-Syria data-geography: OCHA P-codes, Arabic admin names, aliases, subdistricts"
    inputs = "an Open-Syria data-geography folder or archive"
    url = "https://github.com/Open-Syria/data-geography/archive/main.tar.gz"
    filename = "open-syria-data-geography-main.tar.gz"
    fetch_by_default = True
    priority = 1
    detect_rank = 30
    policy = "custom"
    attribution = "Open-Syria data-geography (CC BY 4.0)"

    def detect(self, path: str) -> bool:
        base = basename(path)
        return any(k in base for k in ("data-geography", "open-syria", "opensyria")) or (
            os.path.isdir(path) and os.path.exists(os.path.join(path, "data", "governorates.json")))

    def read(self, path, progress=None) -> ImportResult:
        return import_opensyria(path, progress)

    def merge(self, merger, result: ImportResult) -> None:
        places = merger.places
        joined: dict[str, str] = merger.state(self.name)  # Open-Syria id -> the merged place's id
        for p in result.places:
            target = None
            if p.kind in ("governorate", "district"):
                gid = merger.by_gn.get(p.geonames_id or -1)
                if gid and places[gid].kind == p.kind:
                    target = gid
                else:
                    names = merger.name_set(p)
                    target = next((q.id for q in places.values() if q.kind == p.kind
                                   and q.source == "whosonfirst" and names & merger.name_set(q)), None)
            if target:
                # Open-Syria's English names are the standard (OCHA) spellings.
                merged = merger.merge_names(places[target], p, pcode=p.pcode)
                places[target] = replace(merged, name_en=p.name_en or merged.name_en,
                                         names=clean_names(merged.names, [places[target].name_en]))
                joined[p.id] = target
                continue
            remap = {attr: AdminRef(joined[ref.id]) for attr in ("admin1", "admin2")
                     if (ref := getattr(p, attr)) and ref.id in joined}
            merger.add(replace(p, **remap))
            joined.setdefault(p.id, p.id)
