"""The table of the filtered incidents and their CSV/GeoJSON downloads (opt-in: sending thousands of
rows with their passages on every rerun would slow each filter change)."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

COLUMNS = ["date", "event_type", "sub_event_type", "name_en", "name_ar", "admin1", "admin2", "precision",
           "confidence", "actor1", "actor2", "fatalities", "passage", "article_title"]


def render(tr, db, df: pd.DataFrame) -> None:
    if not st.toggle(tr("table_toggle", n=len(df)), key="show_table"):
        return
    st.dataframe(df[COLUMNS].head(5000), width="stretch", hide_index=True)
    if len(df) > 5000:
        st.caption(tr("table_first"))
    from incidents.acled import csv_text, to_geojson

    ids = set(df["rowid"])
    safe = st.checkbox(tr("csv_neutralise"), value=True, key="csv_neutralise", help=tr("csv_neutralise_help"))
    if st.button(tr("prepare_downloads")):
        from incidents.store import Store

        store = Store(db, readonly=True)
        rows = [r for r in store.incidents() if r["rowid"] in ids]
        store.close()
        st.download_button("CSV", csv_text(rows, neutralise=safe), "incidents.csv", "text/csv")
        st.download_button("GeoJSON", json.dumps(to_geojson(rows), ensure_ascii=False), "incidents.geojson",
                           "application/geo+json")
