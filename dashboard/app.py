"""The Streamlit page: layout only. Words from dashboard.i18n (`?lang=ar|en`), data from
dashboard.data (the store), filters from dashboard.filters (URL state), the map from
dashboard.mapview, the list from dashboard.listview, the detail panel from dashboard.panel, the
timeline and its player from dashboard.timeline, the table from dashboard.downloads, "Add an article"
from dashboard.addarticle, the Review view (sidebar "View", `?view=review`) from dashboard.review.
Who is signed in and what their role lets them do from dashboard.auth (`INCIDENTMAP_AUTH`): viewers
get the map, list, timeline, passages and downloads; reviewers also the Review view and adding
articles; admins also feed management.

Run with `incidentmap serve` (or `make run`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from dashboard import addarticle, assets, auth, downloads, listview, panel
from dashboard.data import admin_shapes, db_path, load_incidents, place_labels, store_version
from dashboard.filters import REVIEW_STATUSES, Filters, apply, area_from_geojson
from dashboard.i18n import LANGS, Tr, catalogue, pick
from dashboard.mapview import (SYRIA_BOUNDS, base_map, clicked_rows, configured_tiles, in_country, incident_layers,
                               marker_payload_for, robust_bounds, rows_at, view_for_bounds)
from dashboard.timeline import periods, selected_range, timeline_chart

WIDGET_KEYS = ("f_dates", "f_gov", "f_dist", "f_type", "f_actor", "f_text", "f_prec", "f_choro", "f_review", "f_doubted", "f_area")
MAP_HEIGHT = 640
OSM = ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "© OpenStreetMap contributors")

# ---- language: the URL's ?lang=, then the sidebar's toggle ---------------------------------------
if "lang" not in st.session_state:
    st.session_state.lang = pick(st.query_params.get("lang"))
tr = Tr(st.session_state.lang)
st.set_page_config(page_title=tr("page_title"), page_icon="🗺️", layout="wide")
assets.install_assets()
st.html(f"""<style>
[data-testid="stToolbar"], [data-testid="stAppDeployButton"], .stAppDeployButton {{ display: none !important; }}
[data-testid="stMainBlockContainer"] {{ padding: 3rem 1rem 1rem 1rem !important; max-width: 100% !important; }}
[data-testid="stSidebar"][data-collapsed="false"] {{ width: 250px !important; min-width: 250px !important; }}
.st-key-incident-list button {{ justify-content: flex-start; text-align: {"right" if tr.rtl else "left"};
  font-size: 0.82rem; line-height: 1.25; padding: 0.25rem 0.5rem; min-height: 0; }}
.st-key-incident-list button p {{ text-align: {"right" if tr.rtl else "left"}; }}
{'''[data-testid="stMain"], [data-testid="stSidebar"] { direction: rtl; text-align: right; }
[data-testid="stMain"] iframe, [data-testid="stVegaLiteChart"] { direction: ltr; }''' if tr.rtl else ""}
</style>""")
user = auth.current_user(tr)  # team mode: only the sign-in page until someone is signed in

DB = db_path()
DB_VERSION = store_version(DB)  # once per run (a query on PostgreSQL); the frame and the markers share it
df_all = load_incidents(str(DB), DB_VERSION)


def gazetteer_path() -> Path:
    from geodata.paths import default_gazetteer_path

    return Path(os.environ.get("INCIDENTMAP_GAZETTEER") or default_gazetteer_path())


# ---- view: the map, or the Review view (which keeps the map's filters in the URL untouched) ------------
can_review = user.can("reviewer")
review_refused = st.query_params.get("view") == "review" and not can_review
if "view" not in st.session_state or not can_review:
    st.session_state.view = "Review" if st.query_params.get("view") == "review" and can_review else "Map"
auth.sidebar(tr, user)
with st.sidebar:
    st.segmented_control(tr("language"), LANGS, key="lang", format_func=lambda x: catalogue(x)["_language"],
                         required=True)
    if can_review:
        st.radio(tr("view"), ["Map", "Review"], key="view", horizontal=True,
                 format_func={"Map": tr("view_map"), "Review": tr("view_review")}.get)
if st.session_state.view == "Review":
    from dashboard import review

    st.session_state.pop("initialised", None)  # back on the map, the filters come from the URL again
    if st.query_params.get("view") != "review":
        st.query_params["view"] = "review"
    review.render(DB, gazetteer_path(), df_all, tr=tr)
    st.stop()

# ---- filter state: URL -> widgets (first run of a session) ------------------------------------
has_dates = bool(df_all["date"].notna().any())
dmin = df_all["date"].min().date() if has_dates else None
dmax = df_all["date"].max().date() if has_dates else None
if "initialised" not in st.session_state:
    f0 = Filters.from_params(st.query_params.get_all)
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
    st.session_state.f_doubted = f0.show_doubted
    st.session_state.f_area = f0.area
    st.session_state.initialised = True

if "pending_dates" in st.session_state:  # set by a timeline selection on the previous run
    st.session_state.f_dates = st.session_state.pop("pending_dates")


def reset() -> None:
    for k in WIDGET_KEYS + ("initialised", "sel", "player"):
        st.session_state.pop(k, None)
    st.query_params.clear()


def admin_label(en: str, ar) -> str:
    ar = ar if isinstance(ar, str) and ar else ""
    return (f"{ar} ({en})" if tr.rtl else f"{en} ({ar})") if ar else en


# ---- sidebar ------------------------------------------------------------------------------------
with st.sidebar:
    st.header(tr("filters"))
    if has_dates:
        st.date_input(tr("dates"), key="f_dates", min_value=dmin, max_value=dmax)
    gov_names = df_all.dropna(subset=["admin1"]).drop_duplicates("admin1").set_index("admin1")["admin1_ar"]
    st.multiselect(tr("governorate"), sorted(gov_names.index), key="f_gov", placeholder=tr("choose"),
                   format_func=lambda g: admin_label(g, gov_names.get(g)))
    in_gov = df_all[df_all["admin1"].isin(st.session_state.f_gov)] if st.session_state.f_gov else df_all
    dist_names = in_gov.dropna(subset=["admin2"]).drop_duplicates("admin2").set_index("admin2")["admin2_ar"]
    st.session_state.f_dist = [d for d in st.session_state.get("f_dist", []) if d in dist_names.index]
    st.multiselect(tr("district"), sorted(dist_names.index), key="f_dist", placeholder=tr("choose"),
                   format_func=lambda d: admin_label(d, dist_names.get(d)))
    st.multiselect(tr("event_type"), sorted(df_all["event_type"].dropna().unique()), key="f_type", placeholder=tr("choose"),
                   format_func=tr.event_type)
    all_actors = sorted({a for names in df_all["actor_names"] for a in names})
    st.session_state.f_actor = [a for a in st.session_state.get("f_actor", []) if a in all_actors]
    st.multiselect(tr("actor"), all_actors, key="f_actor", placeholder=tr("choose"))
    st.text_input(tr("text_in_passages"), key="f_text", max_chars=200)
    st.select_slider(tr("precision"), options=[1, 2, 3], key="f_prec", format_func=lambda p: tr(f"precision_{p}"))
    st.multiselect(tr("review_status"), list(REVIEW_STATUSES), key="f_review", placeholder=tr("review_any"),
                   format_func=lambda s: tr(f"review_{s}"))
    st.checkbox(tr("show_doubted"), key="f_doubted", help=tr("show_doubted_help"))
    st.toggle(tr("choropleth"), key="f_choro")
    if st.session_state.get("f_area"):
        st.caption(tr("area_active"))
        st.button(tr("area_clear"), on_click=lambda: st.session_state.update(f_area=[]))
    st.button(tr("reset"), on_click=reset)
    with st.expander(tr("map_settings")):
        st.text_input(tr("tiles_url"), key="tiles_url", value=os.environ.get("INCIDENTMAP_TILES", ""),
                      placeholder=OSM[0])
        st.text_input(tr("tiles_attribution"), key="tiles_attr",
                      value=os.environ.get("INCIDENTMAP_TILES_ATTRIBUTION", ""))

dates = st.session_state.get("f_dates") or ()
filters = Filters(
    date_from=dates[0] if len(dates) > 0 else None, date_to=dates[1] if len(dates) > 1 else None,
    governorates=list(st.session_state.f_gov), districts=list(st.session_state.f_dist),
    event_types=list(st.session_state.f_type), actors=list(st.session_state.f_actor),
    text=st.session_state.f_text.strip(), max_precision=int(st.session_state.f_prec),
    choropleth=bool(st.session_state.f_choro), review_status=list(st.session_state.f_review),
    show_doubted=bool(st.session_state.f_doubted), area=list(st.session_state.get("f_area") or []))
if has_dates and filters.date_from == dmin and filters.date_to == dmax:
    filters.date_from = filters.date_to = None  # the full range is no filter (keeps URLs short)
params = filters.to_params()
url_params = {**params, **({"lang": tr.lang} if tr.rtl else {})}
if url_params != {k: (st.query_params.get_all(k) if isinstance(v, list) else st.query_params.get(k))
                  for k, v in url_params.items()} or set(st.query_params) - set(url_params):
    st.query_params.from_dict(url_params)

df = apply(df_all, filters)
filters_key = json.dumps(params, sort_keys=True)
narrowing = {k: v for k, v in params.items() if k != "choro"}  # what makes the view follow the incidents

# ---- the player: one day/week/month at a time --------------------------------------------------
steps = periods(df) if st.session_state.get("player") else []
if steps:
    st.session_state.play_step = min(st.session_state.get("play_step", 0), len(steps) - 1)
    start, end = steps[st.session_state.play_step]
    params_shown = {**params, "from": start.date().isoformat(), "to": end.date().isoformat()}
    df_shown = df[(df["date"] >= start) & (df["date"] <= end)]
else:
    params_shown, df_shown = params, df

# ---- header ------------------------------------------------------------------------------------
st.markdown(f"<bdi style='font-size:1.3rem;font-weight:700'>{tr('page_title')}</bdi>{tr('sep')}"
            f"<bdi id='incident-count'>**{tr('count', shown=len(df_shown), total=len(df_all))}**</bdi>",
            unsafe_allow_html=True)
if review_refused:
    st.info(tr("auth_review_needs_role"))
if df_all.empty:
    st.info(tr("empty_store", db=DB))
elif df.empty:
    st.info(tr("empty_filtered"))

# ---- the view: first the filtered incidents (robustly), later only when asked ---------------------
if "first_bounds" not in st.session_state:
    st.session_state.first_bounds = robust_bounds(df["lat"], df["lon"]) if narrowing and len(df) \
        else [list(SYRIA_BOUNDS[0]), list(SYRIA_BOUNDS[1])]
    st.session_state.fitted = filters_key
outside = int((df["lat"].notna() & ~in_country(df["lat"], df["lon"])).sum())


def fit_view() -> None:
    n = st.session_state.get("fit_count", 0) + 1  # a new value each time: the map applies changes only
    centre, zoom = view_for_bounds(robust_bounds(df_shown["lat"], df_shown["lon"]))
    st.session_state.update(fit_count=n, fitted=filters_key,
                            map_view=((centre[0] + n * 1e-7, centre[1]), zoom))


# ---- map, detail panel and list: a fragment, so a click or a list item reruns only these -----------
@st.fragment
def map_and_list() -> None:
    # what the map reported (streamlit-folium's on_change put it in the session before this rerun):
    # handled before anything is drawn, so the panel shows the clicked marker in this same run
    out = st.session_state.get("map") or {}
    drawings = out.get("all_drawings")
    if drawings is not None and drawings != st.session_state.get("map_drawings"):
        st.session_state.map_drawings = drawings  # a region drawn or removed: the whole page follows
        area = area_from_geojson(drawings[-1]) if drawings else []
        if area != list(st.session_state.get("f_area") or []):
            st.session_state.f_area = area
            st.rerun(scope="app")
    click_count = out.get("last_object_clicked_count")
    if click_count and click_count != st.session_state.get("map_clicks"):
        st.session_state.map_clicks = click_count
        hit = clicked_rows(df_shown, out.get("last_object_clicked"), out.get("last_object_clicked_tooltip"))
        if len(hit):
            st.session_state.sel = int(hit.sort_values("date", ascending=False, na_position="last").iloc[0]["rowid"])
    map_col, side_col = st.columns([0.77, 0.23], gap="small")
    with side_col:
        here = rows_at(df_all[df_all["rowid"].isin(df_shown["rowid"])], st.session_state.get("sel"))
        with st.expander(tr("detail_title"), expanded=True):
            panel.render(tr, str(DB), apply(df_all, Filters(review_status=filters.review_status,
                                                                show_doubted=filters.show_doubted)), here)
        listview.render(tr, df_shown, st.session_state.get("sel"))
    with map_col:
        changed = st.session_state.get("fitted") != filters_key and len(df_shown)
        st.button(tr("fit_changed", n=len(df_shown)) if changed else tr("fit"), key="fit", on_click=fit_view,
                  type="primary" if changed else "secondary", icon=":material/center_focus_strong:")
        gaz = gazetteer_path()
        gaz_version = gaz.stat().st_mtime if gaz.exists() else 0
        shapes = admin_shapes(str(gaz), gaz_version)
        labels = place_labels(str(gaz), gaz_version)
        villages_url = assets.static_json(f"villages-{abs(hash((str(gaz), gaz_version))):x}.json", labels["villages"]) \
            if labels["villages"] else None
        tiles = configured_tiles(st.session_state)
        fmap = base_map(shapes, bounds=st.session_state.first_bounds, tiles=tiles, labels=labels,
                        villages_url=villages_url, tr=tr)
        if st.session_state.get("fly_to") is not None:  # a list item: fly to its marker
            hit = df_all[df_all["rowid"] == st.session_state.pop("fly_to")]
            if len(hit) and pd.notna(hit.iloc[0]["lat"]):
                n = st.session_state.get("fit_count", 0) + 1
                st.session_state.fit_count = n
                st.session_state.map_view = ((float(hit.iloc[0]["lat"]) + n * 1e-7, float(hit.iloc[0]["lon"])), 12)
        view = st.session_state.get("map_view")
        st_folium(fmap, key="map", height=MAP_HEIGHT, use_container_width=True,
                  center=view[0] if view else None, zoom=view[1] if view else None,
                  feature_group_to_add=incident_layers(
                      df_shown, shapes, choropleth=filters.choropleth, tr=tr, area=filters.area,
                      payload=marker_payload_for(str(DB), DB_VERSION,
                                                 json.dumps(params_shown, sort_keys=True), tr.lang)),
                  returned_objects=["last_object_clicked", "last_object_clicked_tooltip",
                                    "last_object_clicked_count", "all_drawings"])
        if outside:
            st.caption(tr("outside_country", n=outside))


map_and_list()

# ---- timeline and player -----------------------------------------------------------------------
if len(df):
    event = st.altair_chart(timeline_chart(df, tr), width="stretch", on_select="rerun", key="timeline")
    rng = selected_range(event)
    if rng and (filters.date_from, filters.date_to) != (rng[0].date(), rng[1].date()):
        st.session_state.pending_dates = (rng[0].date(), rng[1].date())
        st.rerun()
    st.toggle(tr("player"), key="player")
    if steps:
        def step(by: int) -> None:
            st.session_state.play_step = (st.session_state.get("play_step", 0) + by) % len(steps)

        prev_col, play_col, next_col, slider_col = st.columns([0.06, 0.12, 0.06, 0.76],
                                                              vertical_alignment="bottom")
        prev_col.button(tr("prev"), key="play_prev", on_click=step, args=(-1,))
        playing = st.session_state.get("playing", False)
        play_col.button(tr("pause") if playing else tr("play"), key="play_toggle",
                        on_click=lambda: st.session_state.update(playing=not playing))
        next_col.button(tr("next"), key="play_next", on_click=step, args=(1,))
        slider_col.select_slider(tr("player_step"), options=list(range(len(steps))), key="play_step",
                                 format_func=lambda i: tr.date(steps[i][0]))
        st.caption(tr("player_showing", start=tr.date(start), end=tr.date(end), n=len(df_shown)))

        @st.fragment(run_every=1.5 if playing else None)
        def _tick() -> None:
            if st.session_state.get("playing") and st.session_state.get("_ticked"):
                step(1)
                st.rerun(scope="app")
            st.session_state._ticked = True

        st.session_state._ticked = False  # a whole-page run: the next tick steps, not this one
        _tick()

# ---- table, downloads, adding articles -----------------------------------------------------------
downloads.render(tr, DB, df, filters, gazetteer_path())


def _added() -> None:
    load_incidents.clear()
    marker_payload_for.clear()


if can_review:  # adding data is for reviewers and admins (addarticle checks again when it writes)
    addarticle.render(tr, DB, on_added=_added)
from dashboard import sources  # noqa: E402  "Add a URL", the Sources panel, the auto-refresh setting

sources.render(DB, on_added=_added, tr=tr, user=user)
