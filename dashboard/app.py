"""The Streamlit page: layout only. Data comes from dashboard.data (the store), filters from
dashboard.filters (URL state), the map from dashboard.mapview, the timeline from dashboard.timeline,
the Review view (sidebar "View", `?view=review` in the URL) from dashboard.review.

Run with `incidentmap serve` (or `make run`).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import assets
from dashboard.data import (admin_shapes, db_path, incident_detail, load_incidents, marker_payload_for,
                            store_version)
from dashboard.detail import passage_html, safe
from dashboard.filters import REVIEW_STATUSES, Filters, apply
from dashboard.mapview import base_map, clicked_events, clicked_rows, incident_layers
from dashboard.timeline import selected_range, timeline_chart

MAX_UPLOAD_BYTES = 5_000_000
WIDGET_KEYS = ("f_dates", "f_gov", "f_dist", "f_type", "f_actor", "f_text", "f_prec", "f_choro", "f_review")

st.set_page_config(page_title="incidentmap", layout="wide")
assets.install_assets()

DB = db_path()
df_all = load_incidents(str(DB), store_version(DB))


def gazetteer_path() -> Path:
    from geodata.paths import default_gazetteer_path

    return Path(os.environ.get("INCIDENTMAP_GAZETTEER") or default_gazetteer_path())


# ---- view: the map, or the Review view (which keeps the map's filters in the URL untouched) ------------
if "view" not in st.session_state:
    st.session_state.view = "Review" if st.query_params.get("view") == "review" else "Map"
with st.sidebar:
    st.radio("View", ["Map", "Review"], key="view", horizontal=True)
if st.session_state.view == "Review":
    from dashboard import review

    st.session_state.pop("initialised", None)  # back on the map, the filters come from the URL again
    if st.query_params.get("view") != "review":
        st.query_params["view"] = "review"
    review.render(DB, gazetteer_path(), df_all)
    st.stop()

# ---- filter state: URL -> widgets (first run of a session) ------------------------------------
if "initialised" not in st.session_state:
    f0 = Filters.from_params(st.query_params.get_all)
    dmin = df_all["date"].min().date() if df_all["date"].notna().any() else None
    dmax = df_all["date"].max().date() if df_all["date"].notna().any() else None
    if dmin:
        st.session_state.f_dates = (f0.date_from or dmin, f0.date_to or dmax)
    st.session_state.f_gov = [g for g in f0.governorates if g in set(df_all["admin1"].dropna())]
    st.session_state.f_dist = [d for d in f0.districts if d in set(df_all["admin2"].dropna())]
    st.session_state.f_type = [t for t in f0.event_types if t in set(df_all["event_type"].dropna())]
    st.session_state.f_actor = f0.actors
    st.session_state.f_text = f0.text
    st.session_state.f_prec = f0.max_precision
    st.session_state.f_choro = f0.choropleth
    st.session_state.f_review = f0.review_status
    st.session_state.initialised = True

if "pending_dates" in st.session_state:  # set by a timeline selection on the previous run
    st.session_state.f_dates = st.session_state.pop("pending_dates")


def reset() -> None:
    for k in WIDGET_KEYS + ("initialised",):
        st.session_state.pop(k, None)
    st.query_params.clear()


# ---- sidebar ------------------------------------------------------------------------------------
with st.sidebar:
    st.header("Filters")
    if df_all["date"].notna().any():
        dmin, dmax = df_all["date"].min().date(), df_all["date"].max().date()
        st.date_input("Dates", key="f_dates", min_value=dmin, max_value=dmax)
    gov_names = df_all.dropna(subset=["admin1"]).drop_duplicates("admin1").set_index("admin1")["admin1_ar"]
    st.multiselect("Governorate", sorted(gov_names.index), key="f_gov",
                   format_func=lambda g: f"{g} ({gov_names.get(g)})" if gov_names.get(g) else g)
    in_gov = df_all[df_all["admin1"].isin(st.session_state.f_gov)] if st.session_state.f_gov else df_all
    dist_names = in_gov.dropna(subset=["admin2"]).drop_duplicates("admin2").set_index("admin2")["admin2_ar"]
    st.session_state.f_dist = [d for d in st.session_state.get("f_dist", []) if d in dist_names.index]
    st.multiselect("District", sorted(dist_names.index), key="f_dist",
                   format_func=lambda d: f"{d} ({dist_names.get(d)})" if dist_names.get(d) else d)
    st.multiselect("Event type", sorted(df_all["event_type"].dropna().unique()), key="f_type")
    all_actors = sorted({a for names in df_all["actor_names"] for a in names})
    st.session_state.f_actor = [a for a in st.session_state.get("f_actor", []) if a in all_actors]
    st.multiselect("Actor", all_actors, key="f_actor")
    st.text_input("Text in passages", key="f_text", max_chars=200)
    st.select_slider("Location precision", options=[1, 2, 3], key="f_prec",
                     format_func={1: "exact places only", 2: "+ vicinities and areas", 3: "all"}.get)
    st.multiselect("Review status", list(REVIEW_STATUSES), key="f_review", placeholder="any",
                   format_func={"auto": "auto (not reviewed)", "reviewed": "✓ reviewed",
                                "rejected": "✗ rejected (not an incident)"}.get)
    st.toggle("Choropleth by governorate", key="f_choro")
    st.button("Reset filters", on_click=reset)

dates = st.session_state.get("f_dates") or ()
filters = Filters(
    date_from=dates[0] if len(dates) > 0 else None, date_to=dates[1] if len(dates) > 1 else None,
    governorates=list(st.session_state.f_gov), districts=list(st.session_state.f_dist),
    event_types=list(st.session_state.f_type), actors=list(st.session_state.f_actor),
    text=st.session_state.f_text.strip(), max_precision=int(st.session_state.f_prec),
    choropleth=bool(st.session_state.f_choro), review_status=list(st.session_state.f_review))
if df_all["date"].notna().any() and filters.date_from == df_all["date"].min().date() \
        and filters.date_to == df_all["date"].max().date():
    filters.date_from = filters.date_to = None  # the full range is no filter (keeps URLs short)
params = filters.to_params()
if params != {k: (st.query_params.get_all(k) if isinstance(v, list) else st.query_params.get(k))
              for k, v in params.items()} or set(st.query_params) - set(params):
    st.query_params.from_dict(params)

df = apply(df_all, filters)

# ---- header ------------------------------------------------------------------------------------
st.title("Incident map")
st.markdown(f"<span id='incident-count'>**{len(df):,} of {len(df_all):,} incidents**</span>",
            unsafe_allow_html=True)
if df_all.empty:
    st.info(f"No incidents in {DB} yet. Add an article below or run `incidentmap ingest articles/`.")

# ---- map and detail ------------------------------------------------------------------------------
map_col, detail_col = st.columns([3, 2])
with map_col:
    gaz = gazetteer_path()
    shapes = admin_shapes(str(gaz), gaz.stat().st_mtime if gaz.exists() else 0)
    fmap = base_map(shapes, df_all)
    out = st_folium(fmap, key="map", height=560, use_container_width=True,
                    feature_group_to_add=incident_layers(
                        df, shapes, choropleth=filters.choropleth,
                        payload=marker_payload_for(str(DB), store_version(DB), json.dumps(params, sort_keys=True))),
                    returned_objects=["last_object_clicked", "last_object_clicked_tooltip"])

with detail_col:
    st.subheader("Source")
    here = clicked_rows(df, (out or {}).get("last_object_clicked"), (out or {}).get("last_object_clicked_tooltip"))
    if here.empty:
        st.caption("Click a marker to read the passage it came from.")
    # each event with every source reporting it (of the review statuses shown)
    events_here = clicked_events(apply(df_all, Filters(review_status=filters.review_status)), here)
    for k, n, rowid in [(k, n, rowid) for k, members in enumerate(events_here[:20])
                        for n, rowid in enumerate(members["rowid"].tolist()[:12])]:
        d = incident_detail(str(DB), rowid)
        if d is None:
            continue
        loc = d["location"] or {}
        if k == n == 0:
            st.markdown(f"#### {safe(d['name_en'] or d['place_text'])} · {safe(d['name_ar'] or '')}",
                        unsafe_allow_html=True)
            how = f"precision {safe(d['precision'])}, confidence {safe(d['confidence'])}"
            alts = ", ".join(safe(a.get("name_en")) + " (" + safe(a.get("admin1")) + ")"
                             for a in loc.get("alternatives") or [])
            st.markdown(f"<small>Resolved: {how}; {safe(d['feature'])} in {safe(d['admin2'] or '')} "
                        f"{safe(d['admin1'] or '')}. {'Alternatives: ' + alts if alts else ''}</small>",
                        unsafe_allow_html=True)
            if loc.get("reason"):
                st.markdown(f"<small>⚠ {safe(loc['reason'])}</small>", unsafe_allow_html=True)
            if len(events_here) > 1:
                st.caption(f"{len(events_here)} events at this place")
        if n == 0:  # the event's first report; then every other source's passage
            actors = ", ".join(f"{safe(a['name'])} ({safe(a['role'])})" for a in d["actors"] or [])
            sources = f" · **{int(d['event_sources'])} sources**" if (d.get("event_sources") or 1) > 1 else ""
            st.markdown(f"**{safe(d['date'])}** · {safe(d['event_type'])} / {safe(d['sub_event_type'])}{sources}"
                        f"<br/><small>{actors}</small>", unsafe_allow_html=True)
        st.markdown(passage_html(d["passage"] or "", d["passage_start"] or 0, d["place_start"], d["place_end"]),
                    unsafe_allow_html=True)
        link = f" — <a href='{safe(d['article_url'])}' rel='noopener noreferrer' target='_blank'>link</a>" \
            if (d.get("article_url") or "").startswith(("http://", "https://")) else ""
        about = " · ".join(safe(d[k]) for k in ("article_title", "article_source", "article_date") if d.get(k))
        st.markdown(f"<small>{about}{link}</small>", unsafe_allow_html=True)

# ---- timeline ---------------------------------------------------------------------------------
if len(df):
    event = st.altair_chart(timeline_chart(df), width="stretch", on_select="rerun", key="timeline")
    rng = selected_range(event)
    if rng and (filters.date_from, filters.date_to) != (rng[0].date(), rng[1].date()):
        st.session_state.pending_dates = (rng[0].date(), rng[1].date())
        st.rerun()

# ---- table and downloads --------------------------------------------------------------------------
# Opt-in: sending thousands of rows with their passages on every rerun would slow each filter change.
if st.toggle(f"Table and downloads ({len(df):,} incidents)", key="show_table"):
    cols = ["date", "event_type", "sub_event_type", "name_en", "name_ar", "admin1", "admin2", "precision",
            "confidence", "actor1", "actor2", "fatalities", "passage", "article_title"]
    st.dataframe(df[cols].head(5000), width="stretch", hide_index=True)
    if len(df) > 5000:
        st.caption("The table shows the first 5,000; the downloads hold all of them.")
    from incidents.acled import csv_text, to_geojson

    ids = set(df["rowid"])
    if st.button("Prepare downloads"):
        from incidents.store import Store

        store = Store(DB, readonly=True)
        rows = [r for r in store.incidents() if r["rowid"] in ids]
        store.close()
        st.download_button("CSV", csv_text(rows), "incidents.csv", "text/csv")
        st.download_button("GeoJSON", json.dumps(to_geojson(rows), ensure_ascii=False), "incidents.geojson",
                           "application/geo+json")

# ---- add an article -----------------------------------------------------------------------------
with st.expander("Add an article"):
    pasted = st.text_area("Paste the article (title on the first line, then the date line, then the text)",
                          height=160, key="paste")
    upload = st.file_uploader("…or upload a file (.txt, .md, .csv, .jsonl; up to 5 MB)",
                              type=["txt", "md", "csv", "jsonl"])
    if st.button("Add to the map"):
        from geodata.geoparser import Geoparser
        from incidents.articles import iter_articles
        from incidents.ingest import ingest_articles
        from incidents.store import Store

        @st.cache_resource(show_spinner="Loading the gazetteer…")
        def geoparser():
            return Geoparser()

        payload, suffix = None, ".txt"
        if upload is not None:
            if upload.size > MAX_UPLOAD_BYTES:
                st.error(f"{safe(upload.name)}: {upload.size / 1e6:.1f} MB is over the 5 MB limit.")
            else:
                payload = upload.getvalue()
                suffix = Path(upload.name).suffix.lower() if Path(upload.name).suffix.lower() in (
                    ".txt", ".md", ".csv", ".jsonl") else ".txt"
        elif pasted.strip():
            payload = pasted.encode("utf-8")
        if payload:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / f"upload{suffix}"  # never the user's file name: no path tricks
                path.write_bytes(payload)
                bar = st.progress(0.0, text="Extracting incidents…")
                items = list(iter_articles([str(path)]))
                done = [0]

                def step(n, _name):
                    done[0] += n
                    bar.progress(min(1.0, done[0] / max(1, len(items))), text=f"{done[0]} of {len(items)}")

                store = Store(DB)
                summary = ingest_articles(items, store, geoparser(), progress=step)
                store.close()
                bar.progress(1.0, text="Done")
            for e in summary.errors:
                st.error(e.replace(str(path), upload.name if upload is not None else "pasted text"))
            if summary.articles:
                st.success(f"{summary.incidents} incident(s) added from {summary.articles} article(s).")
                load_incidents.clear()
                marker_payload_for.clear()
        elif payload is None and upload is None:
            st.warning("Paste some text or choose a file first.")
