"""The list beside the map: the filtered incidents, newest first (date, type, place, the passage's
first words). Clicking one selects it: the detail panel shows it and the map flies to its marker."""

from __future__ import annotations

import pandas as pd
import streamlit as st

LIMIT = 50
WORDS = 12


def first_words(text: str | None, n: int = WORDS) -> str:
    words = (text or "").split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


def items(df: pd.DataFrame, tr, limit: int = LIMIT) -> list[tuple[int, str]]:
    """[(rowid, label)] of the newest `limit` incidents (undated ones last). Pure, for tests."""
    # sort the two keys only (not the 40-column frame): 23k rows in a few ms
    keys = df[["date", "rowid"]].sort_values(["date", "rowid"], ascending=[False, False], na_position="last")
    d = df.loc[keys.index[:limit]]
    out = []
    for r in d.itertuples(index=False):
        place = tr.place(r.name_en, r.name_ar, r.place_text)
        when = tr.date(r.date) or tr("date_unknown")
        sep = tr("sep")
        out.append((int(r.rowid), f"{when}{sep}{tr.event_type(r.event_type)}{sep}{place} — {first_words(r.passage)}"))
    return out


def _plain(label: str) -> str:
    """A button label is Markdown: article text must not format it."""
    for c in "\\`*_[]<>#~|$":
        label = label.replace(c, "\\" + c)
    return label


def _select(rowid: int) -> None:
    st.session_state.sel = rowid
    st.session_state.fly_to = rowid


def render(tr, df: pd.DataFrame, selected: int | None, height: int = 380) -> None:
    st.markdown(f"**{tr('list_title')}**")
    if df.empty:
        st.caption(tr("list_empty"))
        return
    with st.container(height=height, key="incident-list"):
        for rowid, label in items(df, tr):
            st.button(_plain(label), key=f"li-{rowid}", on_click=_select,
                      args=(rowid,), width="stretch", type="primary" if rowid == selected else "secondary")
    if len(df) > LIMIT:
        st.caption(tr("list_more", shown=LIMIT, total=len(df)))
