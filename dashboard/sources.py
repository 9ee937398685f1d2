"""Sources: "Add a URL" (fetch one article page and ingest it), the Sources panel (the followed feeds
with their last update, new articles and errors) and the auto-refresh the user sets (off by default).

`render(db, on_added, tr, user)` draws all three; `sources_frame(db)` is the panel's data, testable
without Streamlit. Feeds are followed by `incidentmap watch` (a separate process writing the same
store); the dashboard reads their state, and re-reads the store when it changed. Roles
(dashboard.auth): "Add a URL" is for reviewers and admins; admins may also read a followed feed now;
everyone sees the panel. The functions that write (`fetch_url`, `read_feed`) check the role
themselves, whatever the page showed. Words from the language's catalogue (dashboard.i18n, keys
`sources.…`); the panel's columns keep their English names in `sources_frame`, worded only on screen.
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


def _words(tr=None):
    """`tr`, else the words of the session's language."""
    from dashboard.i18n import Tr

    return tr or Tr(st.session_state.get("lang"))


def panel_table(df: pd.DataFrame, tr) -> pd.DataFrame:
    """The panel's columns as shown: named in the page's language, the kinds of source too."""
    shown = df[list(PANEL_COLUMNS)].assign(kind=df["kind"].map(lambda k: tr.words.get(f"sources.kind_{k}", k)))
    return shown.rename(columns={c: tr("sources.col_" + c.replace(" ", "_")) for c in PANEL_COLUMNS})


def _when(ts) -> datetime | None:
    return datetime.fromtimestamp(ts) if ts else None


def sources_frame(db: str) -> pd.DataFrame:
    """One row per followed source (feeds table), the most recently checked first."""
    from incidents.store import Store, store_exists

    rows = []
    if store_exists(db):
        store = Store(db, readonly=True)
        try:
            states = store.feeds.states()
        finally:
            store.close()
        for s in states:
            rows.append({"source": s["label"] or s["url"], "kind": s["kind"] or "feed",
                         "last update": _when(s["last_success"]), "last checked": _when(s["last_checked"]),
                         "new last time": s["last_new"], "articles": s["articles_new"], "failures": s["failures"],
                         "last error": s["last_error"] or "", "url": s["url"]})
    return pd.DataFrame(rows, columns=[*PANEL_COLUMNS, "url"])


def _add_url(db: Path, tr, on_added=None) -> None:
    with st.expander(tr("sources.add_url")):
        url = st.text_input(tr("sources.url_label"), key="add_url")
        if st.button(tr("sources.fetch"), key="add_url_go"):
            if not url.strip().lower().startswith(("http://", "https://")):
                st.warning(tr("sources.url_invalid"))
                return
            fetch_url(db, url.strip(), on_added, tr)


def fetch_url(db: Path, url: str, on_added=None, tr=None) -> None:
    """Fetch one article page, extract and store it, with a progress bar (reviewers and admins)."""
    auth.require("reviewer")
    tr = _words(tr)
    from dashboard.addarticle import geoparser  # the one cached geoparser of the page
    from incidents.feeds import fetch_urls
    from incidents.fetch import Fetcher
    from incidents.store import Store

    bar = st.progress(0.0, text=tr("sources.loading_gazetteer"))
    gp = geoparser()
    bar.progress(0.3, text=tr("sources.fetching"))
    store = Store(db)
    try:
        summary = fetch_urls([url], store, gp, Fetcher(delay=0.0, timeout=20.0, retries=1))
    finally:
        store.close()
    bar.progress(1.0, text=tr("done"))
    for u, reason in summary.errors:
        st.error(f"{safe(u)}: {safe(reason)}")
    res = summary.sources[0]
    if res.status != "error":
        st.success(tr("sources.fetched", new=res.new, replaced=res.replaced, unchanged=res.unchanged,
                      duplicates=res.duplicates, incidents=res.incidents))
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
    with st.expander(tr("sources.title")):
        df = sources_frame(db)
        if df.empty:
            st.caption(tr("sources.none"))
            return
        st.caption(tr("sources.summary", n=len(df), articles=int(df["articles"].sum()),
                      failing=int((df["last error"] != "").sum())))
        st.dataframe(panel_table(df, tr), hide_index=True, use_container_width=True)
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


def _auto_refresh(db: Path, tr) -> None:
    with st.sidebar:
        minutes = st.number_input(tr("sources.refresh"), min_value=0, max_value=240, value=0, step=1,
                                  key="refresh_minutes", help=tr("sources.refresh_help"))
    if not minutes:
        return
    from dashboard.data import store_version

    st.session_state.setdefault("refresh_seen", store_version(db))

    @st.fragment(run_every=60 * minutes)
    def _check():
        now = store_version(db)
        if now != st.session_state.refresh_seen:
            st.session_state.refresh_seen = now
            st.rerun(scope="app")
        st.caption(tr("sources.checked_at", time=tr.digits(time.strftime("%H:%M"))))

    _check()


def render(db: Path, on_added=None, tr=None, user: auth.User | None = None) -> None:
    """'Add a URL' (reviewers and admins), the Sources panel (managing feeds: admins) and the
    auto-refresh setting (sidebar). `on_added()` runs after a URL or a feed added or replaced an
    article (the page clears its caches)."""
    tr = _words(tr)
    user = user or auth.current_user(tr)
    _auto_refresh(db, tr)
    if user.can("reviewer"):
        _add_url(db, tr, on_added)
    _panel(db, tr, user.can("admin"), on_added)
