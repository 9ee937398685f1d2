"""Cached reads of the incident store and the gazetteer's admin polygons, as DataFrames.

The dashboard never parses articles: everything here is a query. Cache keys include the store's
change token (incidents.store.change_token: a file's modification time, a database's last ingest
and review), so an ingest (here, in a terminal or on another machine) shows up on the next rerun.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from geodata.schema import decode_location
from incidents.store import IncidentFilter, Store, change_token, default_db, store_exists

LIGHT_COLUMNS = ("rowid", "article_key", "grp", "date", "time_precision", "event_type", "sub_event_type",
                 "actor1", "actor2", "actors", "fatalities", "place_id", "place_text", "name_ar", "name_en",
                 "feature", "lat", "lon", "admin1", "admin1_ar", "admin2", "admin2_ar", "precision",
                 "confidence", "radius_km", "passage", "source_kind", "article_title", "article_source",
                 "article_url", "article_language", "article_date", "uid", "event_group", "event_sources",
                 "review_status", "reviewed_by", "reviewed_at", "place_doubted")


def db_path() -> str:
    """The store the dashboard reads: $INCIDENTMAP_DB (a file or a postgresql:// URL) or the default file."""
    return default_db()


def store_version(path: str) -> str:
    return change_token(path)


# cache_resource, not cache_data: cache_data would pickle a copy of 23k rows (passages included)
# on every rerun. Callers treat the frame as read-only.
@st.cache_resource(show_spinner="Loading incidents…", max_entries=4)
def load_incidents(path: str, version: float) -> pd.DataFrame:
    """All incidents (without evidence/location JSON) as a DataFrame. Read-only: do not modify."""
    rows = []
    if store_exists(path):
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


def incident_details(path: str, rowids: list[int]) -> dict[int, dict]:
    """{rowid: incident row} for the detail panel, in one query and without the article's text (the
    panel shows the passage, which the row carries); actors/location/evidence decoded."""
    ids = [int(r) for r in rowids]
    if not ids or not store_exists(path):
        return {}
    store = Store(path, readonly=True)
    try:
        rows = list(store.incidents(IncidentFilter(rowids=tuple(ids), include_rejected=True)))
    finally:
        store.close()
    out = {}
    for d in rows:
        for k in ("actors", "evidence"):
            d[k] = json.loads(d[k] or "null")
        d["location"] = decode_location(d["location"])
        out[int(d["rowid"])] = d
    return out


@st.cache_resource(show_spinner=False, max_entries=2)
def admin_shapes(gazetteer_path: str, version: float) -> dict:
    """Governorate and district outlines {kind: GeoJSON FeatureCollection} (incidents.present), cached."""
    from incidents.present import admin_shapes as shapes

    return shapes(gazetteer_path)


@st.cache_resource(show_spinner=False, max_entries=2)
def place_labels(gazetteer_path: str, version: float) -> dict:
    """Town names for the offline map (incidents.present.place_labels: `towns` with the zoom each shows
    from, `villages` the map fetches as a static file and shows from zoom 11, in view only), cached."""
    from incidents.present import place_labels as labels

    return labels(gazetteer_path)


# ---- the Review view's reads (its writes go through incidents.review) ----------------------------
def review_queue(path: str, status: str) -> list[dict]:
    """incidents.review.queue: the incidents of one review status, most in need of an analyst first,
    each with `reasons`. Not cached: it changes with every action."""
    from incidents.review import queue

    if not store_exists(path):
        return []
    store = Store(path, readonly=True)
    try:
        return queue(store, status)
    finally:
        store.close()


def review_counts(path: str) -> dict[str, int]:
    """{queue: how many incidents review_queue lists in it} (incidents.review.queue_counts)."""
    from incidents.review import queue_counts

    if not store_exists(path):
        return {}
    store = Store(path, readonly=True)
    try:
        return queue_counts(store)
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
