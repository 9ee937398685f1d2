"""Sources: "Add a URL" (fetch one article page and ingest it), the Sources panel (the followed feeds
with their last update, new articles and errors) and the auto-refresh the user sets (off by default).

`render(db, on_added, tr, user)` draws all three; `sources_frame(db)` is the panel's data, testable
without Streamlit. Feeds are followed by `incidentmap watch` (a separate process writing the same
store); the dashboard reads their state, and re-reads the store when it changed. Roles
(dashboard.auth): "Add a URL" is for reviewers and admins; admins may also read a followed feed now;
everyone sees the panel. The functions that write (`fetch_url`, `read_feed`) check the role
themselves, whatever the page showed.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import auth
from dashboard.detail import safe

PANEL_COLUMNS = ("source", "kind", "last update", "last checked", "new last time", "articles", "failures",
                 "last error")


def _when(ts) -> datetime | None:
    return datetime.fromtimestamp(ts) if ts else None


def sources_frame(db: str) -> pd.DataFrame:
    """One row per followed source (feeds table), the most recently checked first."""
    from incidents.store import Store, store_exists

    rows = []
    if store_exists(db):
        store = Store(db, readonly=True)
        try:
            states = store.feed_states()
        finally:
            store.close()
        for s in states:
            rows.append({"source": s["label"] or s["url"], "kind": s["kind"] or "feed",
                         "last update": _when(s["last_success"]), "last checked": _when(s["last_checked"]),
                         "new last time": s["last_new"], "articles": s["articles_new"], "failures": s["failures"],
                         "last error": s["last_error"] or "", "url": s["url"]})
    return pd.DataFrame(rows, columns=[*PANEL_COLUMNS, "url"])


def _add_url(db: Path, on_added=None) -> None:
    with st.expander("Add a URL"):
        url = st.text_input("Article page (https://…); robots.txt and a 5 MB limit apply", key="add_url")
        if st.button("Fetch and add to the map", key="add_url_go"):
            if not url.strip().lower().startswith(("http://", "https://")):
                st.warning("Give the address of an article page, starting with https://")
                return
            fetch_url(db, url.strip(), on_added)


def fetch_url(db: Path, url: str, on_added=None) -> None:
    """Fetch one article page, extract and store it, with a progress bar (reviewers and admins)."""
    auth.require("reviewer")
    from dashboard.addarticle import geoparser  # the one cached geoparser of the page
    from incidents.feeds import fetch_urls
    from incidents.fetch import Fetcher
    from incidents.store import Store

    bar = st.progress(0.0, text="Loading the gazetteer…")
    gp = geoparser()
    bar.progress(0.3, text="Fetching and extracting…")
    store = Store(db)
    try:
        summary = fetch_urls([url], store, gp, Fetcher(delay=0.0, timeout=20.0, retries=1))
    finally:
        store.close()
    bar.progress(1.0, text="Done")
    for u, reason in summary.errors:
        st.error(f"{safe(u)}: {safe(reason)}")
    res = summary.sources[0]
    if res.status != "error":
        st.success(f"{res.new} new, {res.replaced} replaced, {res.unchanged} unchanged, "
                   f"{res.duplicates} duplicate article(s); {res.incidents} incident(s) stored.")
        if on_added and (res.new or res.replaced):
            on_added()


def read_feed(db: Path, url: str, label: str = ""):
    """Read one followed feed now, as a round of `incidentmap watch` would (admins): its new items'
    articles fetched politely, extracted and stored, its state updated. Returns the WatchSummary."""
    auth.require("admin")
    from dashboard.addarticle import geoparser
    from incidents.feeds import Source, poll
    from incidents.fetch import Fetcher
    from incidents.store import Store

    gp = geoparser()
    store = Store(db)
    try:
        return poll([Source(url=url, label=label)], store, gp, Fetcher(timeout=20.0, retries=1))
    finally:
        store.close()


def _panel(db: Path, tr, manage: bool, on_added=None) -> None:
    with st.expander("Sources"):
        df = sources_frame(db)
        if df.empty:
            st.caption("No feeds followed yet: run `incidentmap watch --feeds feeds.toml` (see feeds.example.toml).")
            return
        failing = int((df["last error"] != "").sum())
        st.caption(f"{len(df)} source(s); {int(df['articles'].sum())} article(s) from them; "
                   f"{failing} with an error at the last check")
        st.dataframe(df[list(PANEL_COLUMNS)], hide_index=True, use_container_width=True)
        if not manage:
            return
        st.markdown(f"**{tr('feeds_admin')}**")
        labels = dict(zip(df["url"], df["source"]))
        url = st.selectbox(tr("feeds_pick"), list(labels), format_func=labels.get, key="feed_pick")
        if st.button(tr("feeds_read_now"), key="feed_read_now"):
            with st.spinner(tr("feeds_reading")):
                summary = read_feed(db, url, "" if labels[url] == url else labels[url])
            st.text(summary.text())
            if on_added and (summary.total("new") or summary.total("replaced")):
                on_added()


def _auto_refresh(db: Path) -> None:
    with st.sidebar:
        minutes = st.number_input("Refresh every (minutes; 0 = off)", min_value=0, max_value=240, value=0, step=1,
                                  key="refresh_minutes",
                                  help="Re-read the store when `incidentmap watch` has added articles")
    if not minutes:
        return
    from dashboard.data import store_version

    st.session_state.setdefault("refresh_seen", store_version(db))

    @st.fragment(run_every=60 * minutes)
    def _check():
        if store_version(db) != st.session_state.refresh_seen:
            st.session_state.refresh_seen = store_version(db)
            st.rerun(scope="app")
        st.caption(f"checked for new incidents at {time.strftime('%H:%M')}")

    _check()


def render(db: Path, on_added=None, tr=None, user: auth.User | None = None) -> None:
    """'Add a URL' (reviewers and admins), the Sources panel (managing feeds: admins) and the
    auto-refresh setting (sidebar). `on_added()` runs after a URL or a feed added or replaced an
    article (the page clears its caches)."""
    from dashboard.i18n import Tr

    tr = tr or Tr()
    user = user or auth.current_user(tr)
    _auto_refresh(db)
    if user.can("reviewer"):
        _add_url(db, on_added)
    _panel(db, tr, user.can("admin"), on_added)
