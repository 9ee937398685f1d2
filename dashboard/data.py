"""Cached reads of the incident store and the gazetteer's admin polygons, as DataFrames.

The dashboard never parses articles: everything here is a query. Cache keys include the store's
modification time, so an ingest (here or in a terminal) shows up on the next rerun.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from incidents.store import Store, default_db_path

LIGHT_COLUMNS = ("rowid", "article_key", "grp", "date", "time_precision", "event_type", "sub_event_type",
                 "actor1", "actor2", "actors", "fatalities", "place_id", "place_text", "name_ar", "name_en",
                 "feature", "lat", "lon", "admin1", "admin1_ar", "admin2", "admin2_ar", "precision",
                 "confidence", "radius_km", "passage", "source_kind", "article_title", "article_source",
                 "article_url", "article_language", "article_date", "uid", "event_group", "event_sources",
                 "review_status", "reviewed_by", "reviewed_at")


def db_path() -> Path:
    return Path(os.environ.get("INCIDENTMAP_DB") or default_db_path())


def store_version(path: Path) -> float:
    wal = Path(str(path) + "-wal")
    return max(path.stat().st_mtime if path.exists() else 0, wal.stat().st_mtime if wal.exists() else 0)


# cache_resource, not cache_data: cache_data would pickle a copy of 23k rows (passages included)
# on every rerun. Callers treat the frame as read-only.
@st.cache_resource(show_spinner="Loading incidents…", max_entries=4)
def load_incidents(path: str, version: float) -> pd.DataFrame:
    """All incidents (without evidence/location JSON) as a DataFrame. Read-only: do not modify."""
    rows = []
    if Path(path).exists():
        store = Store(path, readonly=True)
        try:
            # rejected incidents (an analyst said "not an incident") are never on the map
            rows = [{k: r.get(k) for k in LIGHT_COLUMNS} for r in store.incidents("i.review_status != 'rejected'")]
        finally:
            store.close()
    df = pd.DataFrame(rows, columns=list(LIGHT_COLUMNS))
    df["date"] = pd.to_datetime(df["date"], errors="coerce")
    df["actor_names"] = df["actors"].map(lambda a: [x["name"] for x in json.loads(a or "[]")]).astype(object)
    return df


def incident_detail(path: str, rowid: int) -> dict | None:
    store = Store(path, readonly=True)
    try:
        rows = list(store.incidents("i.rowid = ?", (int(rowid),)))
        if not rows:
            return None
        d = rows[0]
        d["text"] = store.article_text(d["article_key"])
        for k in ("actors", "location", "evidence"):
            d[k] = json.loads(d[k] or "null")
        return d
    finally:
        store.close()


@st.cache_resource(show_spinner=False, max_entries=2)
def admin_shapes(gazetteer_path: str, version: float) -> dict:
    """Governorate and district outlines {kind: GeoJSON FeatureCollection}, simplified for the map."""
    from shapely.geometry import mapping, shape

    from geodata.gazetteer import Gazetteer

    if not Path(gazetteer_path).exists():
        return {"governorate": None, "district": None}
    g = Gazetteer.load(gazetteer_path)
    out = {}
    for kind, tol in (("governorate", 0.01), ("district", 0.005)):
        feats = []
        for pid, geom in g.shapes((kind,)).items():
            p = g.places[pid]
            simple = shape(geom).simplify(tol, preserve_topology=True)
            feats.append({"type": "Feature", "geometry": mapping(simple),
                          "properties": {"id": pid, "name_en": p.name_en, "name_ar": p.name_ar,
                                         "admin1": p.admin1.name_en if p.admin1 else p.name_en}})
        out[kind] = {"type": "FeatureCollection", "features": feats} if feats else None
    return out


@st.cache_resource(show_spinner=False, max_entries=32)
def marker_payload_for(path: str, version: float, filters_key: str) -> dict:
    """The map's marker payload for one filter state (reruns on click or toggle reuse it)."""
    from dashboard.filters import Filters, apply
    from dashboard.mapview import marker_payload

    params = json.loads(filters_key)
    f = Filters.from_params(lambda k: params[k] if isinstance(params.get(k), list) else
                            ([params[k]] if k in params else []))
    return marker_payload(apply(load_incidents(path, version), f))
