"""ACLED interchange: import an ACLED export as incidents, export incidents as ACLED-style CSV
(plus our own columns: passage, offsets, confidence, event group) or as GeoJSON points; or export
one row per real-world event (event group) in the same layout.

CSV exports are opened in spreadsheets, and their text comes from parties to a war: a text cell
beginning with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a formula
(`=HYPERLINK(…)`, `+cmd|' /C calc'!A0`). `write_csv` neutralises such cells the way OWASP
recommends (a single quote in front: the spreadsheet shows the text, runs nothing); numbers are
left alone. `neutralise=False` writes the text verbatim, for programs that read the CSV.
"""

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
                  "article_title", "article_url", "source_kind", "event_group", "event_sources",
                  "review_status", "reviewed_by", "reviewed_at")


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
    """One stored incident as an export row: ACLED's columns, then ours. `event_id_cnty` is ACLED's
    own id for imported rows and the incident's uid for news-derived ones."""
    d = i.get("date") or ""
    return {
        "event_id_cnty": i.get("external_id") or i.get("uid") or f"IM{i.get('rowid', '')}", "event_date": d,
        "year": d[:4],
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
        "source_kind": i.get("source_kind"), "event_group": i.get("event_group"),
        "event_sources": i.get("event_sources"),
        "review_status": i.get("review_status") or "auto", "reviewed_by": i.get("reviewed_by"),
        "reviewed_at": i.get("reviewed_at"),
    }


def _precision_key(i: dict) -> tuple:
    return (i.get("precision") is None, i.get("precision") or 0, i.get("uid") or "")


def to_event_row(event: tuple[str, list[dict]]) -> dict:
    """One real-world event (a group id and its member incidents, as Store.events gives them) as one
    row of the same layout: `event_id_cnty` is the group id; `source` every distinct source, joined
    with "; "; `notes` and the passage/article columns come from the first member (date, then uid:
    the group's seed); the place, date and the other columns from the most precise member (ties
    by uid); `fatalities` is the lowest stated (ACLED's conservative reading), `event_sources` the
    number of distinct articles."""
    gid, members = event
    first, best = members[0], min(members, key=_precision_key)
    row = to_acled_row(best)
    sources = [to_acled_row(m)["source"] for m in members]
    stated = [m["fatalities"] for m in members if m.get("fatalities") is not None]
    row.update({
        "event_id_cnty": gid, "source": "; ".join(dict.fromkeys(s for s in sources if s)),
        "notes": first.get("passage"), "fatalities": min(stated) if stated else None,
        "event_group": gid, "event_sources": len({m["article_key"] for m in members}),
        **{k: first.get(k) for k in ("passage", "passage_start", "passage_end", "place_start", "place_end",
                                      "article_title", "article_url")},
    })
    return row


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value):
    """A text cell a spreadsheet would read as a formula, with a single quote in front (OWASP's
    CSV-injection advice); any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(items: Iterable, out, row=to_acled_row, neutralise: bool = True) -> int:
    """Write export rows; `row` turns an item into one (to_acled_row for incidents, to_event_row
    for Store.events). `neutralise` (the default) guards the text cells against formula injection
    (see the module's docstring); False writes them verbatim for machine readers."""
    w = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
    w.writeheader()
    n = 0
    for i in items:
        r = row(i)
        w.writerow({k: neutralise_cell(v) for k, v in r.items()} if neutralise else r)
        n += 1
    return n


def to_geojson(items: Iterable, row=to_acled_row) -> dict:
    feats = []
    for i in items:
        props = row(i)
        lat, lon = props.pop("latitude"), props.pop("longitude")
        if lat is None or lon is None:
            continue
        feats.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                      "properties": props})
    return {"type": "FeatureCollection", "features": feats}


def csv_text(incidents: Iterable[dict], neutralise: bool = True) -> str:
    buf = io.StringIO()
    write_csv(incidents, buf, neutralise=neutralise)
    return buf.getvalue()
