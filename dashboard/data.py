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
            # rejected ones too ("not an incident"): the review-status filter hides them by default
            rows = [{k: r.get(k) for k in LIGHT_COLUMNS} for r in store.incidents()]
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


# ---- the Review view's reads (its writes go through incidents.review) ----------------------------
def review_queue(path: str, status: str) -> list[dict]:
    """incidents.review.queue: the incidents of one review status, most in need of an analyst first,
    each with `reasons`. Not cached: it changes with every action."""
    from incidents.review import queue

    if not Path(path).exists():
        return []
    store = Store(path, readonly=True)
    try:
        return queue(store, status)
    finally:
        store.close()


def review_counts(path: str) -> dict[str, int]:
    """{auto, reviewed, rejected: how many incidents} (ACLED imports included)."""
    if not Path(path).exists():
        return {}
    store = Store(path, readonly=True)
    try:
        return dict(store.con.execute("SELECT review_status, count(*) FROM incidents GROUP BY review_status"))
    finally:
        store.close()


def incident_by_uid(path: str, uid: str) -> dict | None:
    """One incident row (location JSON and all) by its uid."""
    store = Store(path, readonly=True)
    try:
        return store.incident(uid)
    finally:
        store.close()


def audit_log(path: str, uid: str) -> list[dict]:
    """The incident's rows of the store's `reviews` table, newest first (value/previous decoded)."""
    store = Store(path, readonly=True)
    try:
        return list(reversed(store.reviews(uid)))
    finally:
        store.close()


@st.cache_resource(show_spinner="Loading the gazetteer…", max_entries=1)
def gazetteer(path: str, version: float):
    """The built gazetteer with the analysts' overlay (for candidates and the place search)."""
    from geodata.gazetteer import Gazetteer

    return Gazetteer.load(path)


def find_places(gaz, query: str, limit: int = 15) -> list:
    """Places named `query` (Arabic or English, any spelling the gazetteer folds together); when no
    name matches whole, the names that start with it. Villages and towns first, then by population."""
    from geodata.normalize import name_keys

    query = (query or "").strip()
    if not query or gaz is None:
        return []
    hits = gaz.lookup(query)
    if not hits:
        exact = name_keys(query)[0]
        seen: set[str] = set()
        for e in gaz.names:
            if e.exact.startswith(exact) and e.place_id not in seen:
                seen.add(e.place_id)
                hits.append(gaz.places[e.place_id])
                if len(seen) >= 200:
                    break
    order = {"locality": 0, "city": 0, "subdistrict": 1, "area": 1, "district": 2, "governorate": 3}
    hits.sort(key=lambda p: (p.country != "SY", order.get(p.kind, 4), -(p.population or 0), p.id))
    return hits[:limit]
