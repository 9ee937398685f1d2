"""ACLED interchange: import an ACLED export as incidents, export incidents as ACLED-style CSV
(plus our own columns: passage, offsets, confidence) or as GeoJSON points."""

from __future__ import annotations

from geodata.schema import Location
import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator

from incidents.dates import parse_date

ACLED_REQUIRED = ("event_date", "event_type", "latitude", "longitude", "location", "notes")
EXPORT_COLUMNS = ("event_id_cnty", "event_date", "year", "time_precision", "event_type", "sub_event_type",
                  "actor1", "actor2", "country", "admin1", "admin2", "location", "latitude", "longitude",
                  "geo_precision", "source", "notes", "fatalities",
                  # ours
                  "location_ar", "admin1_ar", "admin1_pcode", "admin2_ar", "place_id", "confidence",
                  "radius_km", "passage", "passage_start", "passage_end", "place_start", "place_end",
                  "article_title", "article_url", "source_kind")


class ACLEDFormatError(ValueError):
    pass


def read_acled(path: str, gazetteer=None) -> Iterator[dict | str]:
    """Incident rows from an ACLED CSV; a bad row yields an error string naming it. With a
    gazetteer, each point also gets our governorate and district (English, Arabic, P-code) by
    point-in-polygon, so ACLED rows filter with the same names as news-derived incidents."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in ACLED_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise ACLEDFormatError(f"{path}: not an ACLED export: missing column(s) {', '.join(missing)}")
        for n, r in enumerate(reader, 2):
            try:
                lat, lon = float(r["latitude"]), float(r["longitude"])
            except (TypeError, ValueError):
                yield f"{path}:{n}: no coordinates"
                continue
            d = parse_date(r["event_date"] or "")
            if d is None:
                yield f"{path}:{n}: date {r['event_date']!r} cannot be read"
                continue
            notes = r.get("notes") or ""
            actors = [{"name": r[c], "role": role} for c, role in (("actor1", "attacker"), ("actor2", "target"))
                      if r.get(c)]
            gp = int(r["geo_precision"]) if (r.get("geo_precision") or "").isdigit() else None
            admin = {"admin1": r.get("admin1"), "admin2": r.get("admin2")}
            if gazetteer is not None:
                gov, dist = gazetteer.admin_at(lat, lon)
                if gov is not None:
                    admin.update(admin1=gov.name_en, admin1_ar=gov.name_ar, admin1_pcode=gov.pcode)
                if dist is not None:
                    admin.update(admin2=dist.name_en, admin2_ar=dist.name_ar)
            yield {
                "external_id": r.get("event_id_cnty") or hashlib.sha1(json.dumps(r).encode()).hexdigest()[:12],
                "group": r.get("event_id_cnty"), "date": d.isoformat(),
                "time_precision": int(r["time_precision"]) if (r.get("time_precision") or "").isdigit() else 1,
                "event_type": r["event_type"], "sub_event_type": r.get("sub_event_type", ""),
                "actors": actors,
                "fatalities": int(r["fatalities"]) if (r.get("fatalities") or "").isdigit() else None,
                "location": Location(text=r["location"], name_en=r["location"], feature="acled", lat=lat, lon=lon,
                                     precision=gp, country="SY", **admin).to_dict(),
                "passage": notes, "passage_start": 0, "passage_end": len(notes),
                "place_start": notes.find(r["location"]) if r["location"] in notes else None,
                "place_end": notes.find(r["location"]) + len(r["location"]) if r["location"] in notes else None,
                "evidence": [f"ACLED {r.get('event_id_cnty', '')}; source: {r.get('source', '')}"],
                "source_kind": "acled",
            }


def to_acled_row(i: dict) -> dict:
    d = i.get("date") or ""
    return {
        "event_id_cnty": i.get("external_id") or f"IM{i.get('rowid', '')}", "event_date": d, "year": d[:4],
        "time_precision": i.get("time_precision"), "event_type": i.get("event_type"),
        "sub_event_type": i.get("sub_event_type"), "actor1": i.get("actor1"), "actor2": i.get("actor2"),
        "country": "Syria", "admin1": i.get("admin1"), "admin2": i.get("admin2"),
        "location": i.get("name_en") or i.get("place_text"), "latitude": i.get("lat"), "longitude": i.get("lon"),
        "geo_precision": i.get("precision"), "source": i.get("article_source") or i.get("source_kind"),
        "notes": i.get("passage"), "fatalities": i.get("fatalities"),
        "location_ar": i.get("name_ar"), "admin1_ar": i.get("admin1_ar"), "admin1_pcode": i.get("admin1_pcode"),
        "admin2_ar": i.get("admin2_ar"), "place_id": i.get("place_id"), "confidence": i.get("confidence"),
        "radius_km": i.get("radius_km"), "passage": i.get("passage"), "passage_start": i.get("passage_start"),
        "passage_end": i.get("passage_end"), "place_start": i.get("place_start"), "place_end": i.get("place_end"),
        "article_title": i.get("article_title"), "article_url": i.get("article_url"),
        "source_kind": i.get("source_kind"),
    }


def write_csv(incidents: Iterable[dict], out) -> int:
    w = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    w.writeheader()
    n = 0
    for i in incidents:
        w.writerow(to_acled_row(i))
        n += 1
    return n


def to_geojson(incidents: Iterable[dict]) -> dict:
    feats = []
    for i in incidents:
        if i.get("lat") is None or i.get("lon") is None:
            continue
        props = to_acled_row(i)
        props.pop("latitude"), props.pop("longitude")
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [i["lon"], i["lat"]]},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def csv_text(incidents: Iterable[dict]) -> str:
    buf = io.StringIO()
    write_csv(incidents, buf)
    return buf.getvalue()
