"""The detail panel: every source passage of every event at the selected marker, the place
highlighted, how the place was resolved, the article's title, source and link. One store query for
all of them (dashboard.data.incident_details), without the articles' text."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.data import incident_details
from dashboard.detail import passage_html, safe
from dashboard.mapview import clicked_events


def render(tr, db: str, df_events: pd.DataFrame, here: pd.DataFrame) -> None:
    """`here`: the incidents at the selected marker; `df_events`: where their events' other sources
    are looked up (every incident of the review statuses shown, whatever the other filters)."""
    if here.empty:
        st.caption(tr("detail_hint"))
        return
    events_here = clicked_events(df_events, here)
    wanted = [(k, n, rowid) for k, members in enumerate(events_here[:20])
              for n, rowid in enumerate(members["rowid"].tolist()[:12])]
    details = incident_details(db, [r for _k, _n, r in wanted])
    for k, n, rowid in wanted:
        d = details.get(int(rowid))
        if d is None:
            continue
        loc = d["location"] or {}
        if k == n == 0:
            first, second = (d["name_ar"], d["name_en"]) if tr.rtl else (d["name_en"], d["name_ar"])
            st.markdown(f"#### {safe(first or d['place_text'])}{tr('sep')}{safe(second or '')}", unsafe_allow_html=True)
            where = " ".join(safe(tr.place(d.get(a), d.get(a + "_ar"))) for a in ("admin2", "admin1")
                             if d.get(a) or d.get(a + "_ar"))
            alts = ", ".join(safe(tr.place(a.get("name_en"), a.get("name_ar"))) + " (" + safe(a.get("admin1")) + ")"
                             for a in loc.get("alternatives") or [])
            resolved = tr("resolved", precision=tr.digits(str(d["precision"])),
                          confidence=tr.digits(str(d["confidence"])), feature=safe(d["feature"]), where=where)
            st.markdown(f"<small>{resolved} {tr('alternatives') + ' ' + alts if alts else ''}</small>",
                        unsafe_allow_html=True)
            if loc.get("reason"):
                st.markdown(f"<small>⚠ {safe(loc['reason'])}</small>", unsafe_allow_html=True)
            if len(events_here) > 1:
                st.caption(tr("events_here", n=len(events_here)))
        if n == 0:  # the event's first report; then every other source's passage
            actors = ", ".join(f"{safe(a['name'])} ({safe(a['role'])})" for a in d["actors"] or [])
            n_sources = int(d.get("event_sources") or 1)
            sources = f"{tr('sep')}**{tr('sources_n', n=n_sources)}**" if n_sources > 1 else ""
            kind = safe(tr.event_type(d["event_type"])) + ("" if tr.rtl else f" / {safe(d['sub_event_type'])}")
            st.markdown(f"**{safe(tr.date(d['date']) or tr('date_unknown'))}**{tr('sep')}{kind}{sources}"
                        f"<br/><small>{actors}</small>", unsafe_allow_html=True)
        st.markdown(passage_html(d["passage"] or "", d["passage_start"] or 0, d["place_start"], d["place_end"]),
                    unsafe_allow_html=True)
        link = f" — <a href='{safe(d['article_url'])}' rel='noopener noreferrer' target='_blank'>{tr('link')}</a>" \
            if (d.get("article_url") or "").startswith(("http://", "https://")) else ""
        about = tr("sep").join(safe(d[k]) for k in ("article_title", "article_source", "article_date") if d.get(k))
        st.markdown(f"<small>{about}{link}</small>", unsafe_allow_html=True)
