""""Add an article": paste text or upload a file (≤ 5 MB), ingested with a progress bar. Adding data
is for reviewers and admins: `add` checks the role itself (dashboard.auth), whatever the page showed."""

from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from dashboard import auth
from dashboard.detail import safe

MAX_UPLOAD_BYTES = 5_000_000
SUFFIXES = (".txt", ".md", ".csv", ".jsonl")


@st.cache_resource(show_spinner="Loading the gazetteer…")
def geoparser():
    from geodata.geoparser import Geoparser

    return Geoparser()


def render(tr, db, on_added=None) -> None:
    with st.expander(tr("add_article")):
        pasted = st.text_area(tr("paste"), height=160, key="paste")
        upload = st.file_uploader(tr("upload"), type=[s[1:] for s in SUFFIXES])
        if st.button(tr("add_button")):
            add(tr, db, pasted, upload, on_added)


def add(tr, db, pasted: str, upload, on_added=None) -> None:
    """Ingest the uploaded file, else the pasted text, into the store at `db` (reviewers and admins)."""
    auth.require("reviewer")
    from incidents.articles import iter_articles
    from incidents.ingest import ingest_articles
    from incidents.store import Store

    payload, suffix = None, ".txt"
    if upload is not None:
        if upload.size > MAX_UPLOAD_BYTES:
            st.error(tr("too_big", name=safe(upload.name), mb=f"{upload.size / 1e6:.1f}"))
        else:
            payload = upload.getvalue()
            ext = Path(upload.name).suffix.lower()
            suffix = ext if ext in SUFFIXES else ".txt"
    elif pasted.strip():
        payload = pasted.encode("utf-8")
    if not payload:
        if upload is None:
            st.warning(tr("paste_first"))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"upload{suffix}"  # never the user's file name: no path tricks
        path.write_bytes(payload)
        bar = st.progress(0.0, text=tr("extracting"))
        items = list(iter_articles([str(path)]))
        # What the store keys the article by: pasted text by its content (pasting it again changes
        # nothing), an upload by its name (a new version of the file replaces the old one); never
        # the temporary file, which would make every paste and upload a new article.
        label = f"upload:{upload.name}" if upload is not None else ""
        for art in items:
            if not isinstance(art, Exception):
                art.path = art.path.replace(str(path), label, 1) if label else ""
        done = [0]

        def step(n, _name):
            done[0] += n
            bar.progress(min(1.0, done[0] / max(1, len(items))), text=f"{done[0]} / {len(items)}")

        store = Store(db)
        summary = ingest_articles(items, store, geoparser(), progress=step)
        store.close()
        bar.progress(1.0, text=tr("done"))
    for e in summary.errors:
        st.error(e.replace(str(path), upload.name if upload is not None else "pasted text"))
    if summary.articles:
        st.success(tr("added", incidents=summary.incidents, articles=summary.articles))
        if on_added:
            on_added()
