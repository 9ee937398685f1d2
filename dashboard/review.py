"""The Review view: the incidents that need an analyst first, one at a time, with the actions of
incidents.review (accept, reject, another candidate, place by clicking the map or by a name from the
gazetteer, event type and date, merge/split event groups when the store offers them, undo).

Reads come from dashboard.data; every write goes through incidents.review with `by` = the signed-in
user (team mode, dashboard.auth), else the reviewer's name, asked once per browser session. Every
action handler checks the reviewer role itself (`auth.require`), whatever the page showed. app.py
calls `render` and lays out nothing else here.

Session state used (all prefixed `rv_`): `reviewer`, `rv_status` (which queue), `rv_pick` (the uid
on screen), `rv_done` (uids acted on in this session, newest last: what Undo reverts), `rv_msg`
(the last action's outcome: its kind, catalogue key and values, worded on the next run), `rv_note` (the
note for the next action).

Words from the language's catalogue (dashboard.i18n, keys `review.…`): `render` takes the page's
`tr`, else makes one from the session's language; the action callbacks get it as an argument.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import folium
import streamlit as st
from streamlit_folium import st_folium

from dashboard import assets, auth
from dashboard.data import admin_shapes, audit_log, find_places, gazetteer, incident_by_uid, review_counts, review_queue
from dashboard.detail import passage_html, safe
from dashboard.i18n import Tr
from dashboard.mapview import EVENT_COLOURS, add_tiles, configured_tiles, offline
from geodata.schema import decode_location
from incidents import review
from incidents.store import Store

from incidents.review import STATUSES  # the queues; their names: tr("review.status_…")
ZOOM = {1: 12, 2: 10, 3: 8}
# Streamlit reserves C and R, so "reject" is X.
SHORTCUTS = {"accept": "A", "reject": "X", "undo": "U", "next": "N", "place": "P"}


def default_reviewer() -> str:
    """The name offered when the session starts: $INCIDENTMAP_REVIEWER, else $USER."""
    return os.environ.get("INCIDENTMAP_REVIEWER") or review.default_reviewer()


def _gazetteer(gaz_path: Path):
    try:
        return gazetteer(str(gaz_path), gaz_path.stat().st_mtime) if gaz_path.exists() else None
    except (OSError, ValueError):
        return None


# ---- who -------------------------------------------------------------------------------------------
def ask_reviewer(tr) -> str | None:
    """The reviewer's name: asked once per browser session (Enter submits)."""
    if st.session_state.get("reviewer"):
        return st.session_state.reviewer
    st.subheader(tr("review.who"))
    with st.form("rv_who"):
        name = st.text_input(tr("review.your_name"), value=default_reviewer(), max_chars=80)
        if st.form_submit_button(tr("review.start"), type="primary"):
            st.session_state.reviewer = name.strip() or default_reviewer()
            st.rerun()
    return None


# ---- actions (button callbacks: they run before the next script run) ---------------------------------
def _reviewer() -> str:
    """Who acts: the signed-in user (team mode), else the name given for this session; a user below
    the reviewer role gets an error and the run stops."""
    return auth.require("reviewer").name or st.session_state.reviewer


def _say(kind: str, key: str, **values) -> None:
    """The outcome shown on the next run: `tr(key, **values)` as a success ("ok") or an error."""
    st.session_state.rv_msg = (kind, key, values)


def _run(db: Path, label: str, fn, *args, advance_to: str | None = None, **kwargs) -> None:
    """`label`: what was done, already in the page's language."""
    by = _reviewer()
    uid = st.session_state.rv_pick
    store = Store(db)
    try:
        fn(store, uid, *args, by=by, **kwargs)
    except ValueError as exc:
        _say("error", "review.msg_error", error=str(exc))
        return
    finally:
        store.close()
    st.session_state.setdefault("rv_done", []).append(uid)
    st.session_state.rv_note = ""
    _say("ok", "review.msg_done", label=label, uid=uid, by=by)
    if advance_to:
        st.session_state.rv_pick = advance_to


def _note() -> str:
    return (st.session_state.get("rv_note") or "").strip()


def _undo(db: Path) -> None:
    by = _reviewer()
    done = st.session_state.setdefault("rv_done", [])
    uid = done.pop() if done else st.session_state.rv_pick
    store = Store(db)
    try:
        row = review.undo(store, uid, by=by)
    except ValueError as exc:
        _say("error", "review.msg_error", error=str(exc))
        return
    finally:
        store.close()
    st.session_state.rv_pick = uid
    _say("ok", "review.msg_undone", action=row["action"], uid=uid, by=by)


def _next(options: list[str]) -> None:
    cur = st.session_state.rv_pick
    st.session_state.rv_pick = _after(options, cur) or cur


def _after(options: list[str], uid: str) -> str | None:
    """The incident after `uid` in the list (wrapping), None when it is the only one."""
    others = [u for u in options if u != uid]
    if not others:
        return None
    i = options.index(uid) if uid in options else -1
    return next((u for u in options[i + 1:] if u != uid), others[0])


def _place_candidate(db: Path, gaz, cands: list[dict], tr) -> None:
    c = cands[st.session_state[f"rv_cand_{st.session_state.rv_pick}"]]
    place = gaz.get(c["id"]) if gaz is not None and c.get("id") else None
    if place is not None:
        _run(db, tr("review.done_placed", place=place.label), review.set_location, place=place, note=_note())
    else:
        _run(db, tr("review.done_placed", place=c.get("name_en") or c.get("name_ar")), review.set_location,
             lat=c["lat"], lon=c["lon"], gazetteer=gaz, note=_note())


def _place_found(db: Path, places: list, tr) -> None:
    place = places[st.session_state.rv_found]
    _run(db, tr("review.done_placed", place=place.label), review.set_location, place=place, note=_note())


def _alias_found(db: Path, gaz, places: list, tr) -> None:
    place = places[st.session_state.rv_found]
    _run(db, tr("review.done_placed_alias", place=place.label), review.add_alias_and_place, place.id,
         gazetteer=gaz, note=_note())
    gazetteer.clear()  # the overlay changed


# ---- pieces of the screen ------------------------------------------------------------------------------
def reason_text(reason: dict, tr) -> str:
    """One of the queue's reasons (incidents.review.attention: a code with parameters) in the
    interface's language, from the catalogue's `review.reason_<code>` (a geoparser reason without a
    code of its own as the geoparser wrote it)."""
    if reason["code"] not in review.REASON_WORDS:
        return review.reason_words(reason)
    value = review.reason_value(reason)
    return tr("review.reason_" + reason["code"],
              value=tr.digits(value) if value and not value[0].isalpha() else (value or ""))


def _label(row: dict, tr) -> str:
    where = row.get("name_en") or row.get("place_text") or "?"
    said = row.get("place_text") if row.get("place_text") and row.get("place_text") != where else ""
    reasons = "; ".join(reason_text(r, tr) for r in row.get("reasons") or []) or row.get("review_status") or ""
    day = _day(row["date"], tr) if row.get("date") else tr("review.no_date")
    return f"{day} · {said + ' → ' if said else ''}{where} · {reasons}"


def _day(day: str | None, tr) -> str:
    """An incident's date: as stored (2020-09-22) in English, '٢٢ أيلول ٢٠٢٠' in Arabic."""
    return tr.date(day) if tr.rtl and day else (day or "")


def _candidate_label(n: int, c: dict, tr) -> str:
    """'2. Saraqib سراقب (Idleb) · score 0.8 · chosen'."""
    return (tr("review.candidate", n=n, name=f"{c.get('name_en') or ''} {c.get('name_ar') or ''}",
               admin1=c.get("admin1") or "?", score=tr.digits(str(c.get("score"))))
            + (" · " + tr("review.chosen") if c.get("chosen") else ""))


def _state(state: str, tr) -> str:
    """An incident's review status in words ('needs review' for auto)."""
    return tr(f"review.state_{state}") if state in ("auto", "reviewed", "rejected") else state


def _small_map(row: dict, cands: list[dict], pending: dict | None, shapes: dict | None, tr,
               tiles=None) -> folium.Map:
    """The incident where it is now (red), the other candidates (blue, numbered as in the list) and a
    clicked point waiting to be confirmed (black). Online tiles only when a tile layer was configured
    (`tiles`, as the main map's): offline by default, the outlines show where things are."""
    here = (row.get("lat"), row.get("lon"))
    centre = here if here[0] is not None else next(((c["lat"], c["lon"]) for c in cands if c.get("lat")),
                                                   (35.0, 38.5))
    m = folium.Map(location=list(centre), zoom_start=ZOOM.get(row.get("precision") or 3, 8), tiles=None,
                   control_scale=True)
    m.default_js, m.default_css = list(assets.MAP_JS), list(assets.MAP_CSS)
    add_tiles(m, tiles)
    for kind, weight in (("governorate", 1.5), ("district", 0.6)):  # readable when tiles cannot load
        if (shapes or {}).get(kind):
            folium.GeoJson(shapes[kind], interactive=False, style_function=lambda _f, w=weight: {
                "color": "#555", "weight": w, "fill": False}).add_to(m)
    for n, c in enumerate(cands, 1):
        if c.get("lat") is None or c.get("chosen"):
            continue
        folium.CircleMarker([c["lat"], c["lon"]], radius=7, color="#1f77b4", weight=2, fill=True,
                            fill_opacity=0.3,
                            tooltip=safe(f"{n}. {c.get('name_en') or ''} {c.get('name_ar') or ''} "
                                         f"({c.get('admin1') or ''})")).add_to(m)
    if here[0] is not None:
        folium.CircleMarker(list(here), radius=9, color="#222", weight=2, fill=True, fill_color="#d62728",
                            fill_opacity=0.85,
                            tooltip=safe(tr("review.map_now", place=row.get("name_en") or row.get("place_text")))
                            ).add_to(m)
        if (row.get("radius_km") or 0) > 0:
            folium.Circle(list(here), radius=row["radius_km"] * 1000, color="#d62728", weight=1,
                          dash_array="6 4", fill=False).add_to(m)
    if pending:
        folium.CircleMarker([pending["lat"], pending["lng"]], radius=6, color="#000", weight=3,
                            fill=True, fill_color="#fff", fill_opacity=1,
                            tooltip=safe(tr("review.map_clicked"))).add_to(m)
    for child in m._children.values():
        offline(child)
    return m


def _audit_html(log: list[dict], tr) -> str:
    def short(v) -> str:
        if not v:
            return ""
        if isinstance(v, dict):
            v = {k: x for k, x in v.items() if k in ("place_id", "lat", "lon", "event_type", "sub_event_type",
                                                    "date", "review_status", "name_en", "uid", "group")}
        return json.dumps(v, ensure_ascii=False)[:160]

    def undone(r) -> str:
        return tr("review.log_undone", name=str(r["undone_by"]), at=str(r["undone_at"])) if r.get("undone_at") else ""

    rows = "".join(
        f"<tr class='{'undone' if r.get('undone_at') else ''}'><td>{safe(r['at'])}</td><td>{safe(r['by'])}</td>"
        f"<td>{safe(r['action'])}</td><td>{safe(short(r.get('value')))}</td>"
        f"<td>{safe(short(r.get('previous')))}</td><td>{safe(r.get('note') or '')}</td>"
        f"<td>{safe(undone(r))}</td></tr>" for r in log)
    head = "".join(f"<th>{safe(tr('review.log_' + c))}</th>"
                   for c in ("when", "who", "action", "value", "previous", "note"))
    return ("<table class='audit-log' style='font-size:0.85em'><thead><tr>"
            f"{head}<th></th></tr></thead><tbody>{rows}</tbody></table>")


def _merge_split(db: Path, row: dict, df_all, tr) -> None:
    merge = getattr(review, "merge_groups", None)
    split = getattr(review, "split_incident", None)
    if merge is None and split is None:
        return
    with st.expander(tr("review.group")):
        st.caption(tr("review.group_sources", group=str(row.get("event_group")),
                      n=int(row.get("event_sources") or 1)))
        if merge is not None and df_all is not None and len(df_all):
            day = row.get("date")
            near = df_all[(df_all["uid"] != row["uid"]) & (df_all["event_group"] != row.get("event_group"))]
            if day:
                import pandas as pd

                near = near[(near["date"] - pd.Timestamp(day)).abs() <= pd.Timedelta(days=2)]
            near = near.head(200)
            labels = {r.uid: f"{r.uid} · {r.date.date() if r.date == r.date else ''} · "
                             f"{r.name_en or r.place_text} · {r.sub_event_type or r.event_type}"
                      for r in near.itertuples()}
            if labels:
                other = st.selectbox(tr("review.same_event"), list(labels), format_func=labels.get,
                                     key="rv_merge_with")
                st.button(tr("review.merge"), key="rv_merge",
                          on_click=lambda: _run(db, tr("review.done_merged", other=other), merge, other,
                                                note=_note()))
            else:
                st.caption(tr("review.merge_none"))
        if split is not None:
            st.button(tr("review.split"), key="rv_split",
                      disabled=int(row.get("event_sources") or 1) <= 1,
                      on_click=lambda: _run(db, tr("review.done_split"), split, note=_note()))


# ---- the view ----------------------------------------------------------------------------------------
def render(db: Path, gaz_path: Path, df_all=None, tr=None) -> None:
    """The whole Review view (sidebar part included). `df_all` (the map's incidents) lists the
    events one may merge with; `tr` (dashboard.i18n.Tr) its words, else the session's language.
    Reviewers and admins only; signed in, their name is the reviewer's."""
    tr = tr or Tr(st.session_state.get("lang"))
    user = auth.require("reviewer")
    if user.name:
        st.session_state.reviewer = user.name
    with st.sidebar:
        if st.session_state.get("reviewer") and not user.name:
            st.markdown(tr("review.reviewing_as", name=f"<bdi>{safe(st.session_state.reviewer)}</bdi>"),
                        unsafe_allow_html=True)
            st.button(tr("review.change_name"), on_click=lambda: st.session_state.pop("reviewer", None))
        counts = review_counts(str(db))
        st.radio(tr("review.queue"), list(STATUSES), key="rv_status", horizontal=False,
                 format_func=lambda s: f"{tr('review.status_' + s)} "
                                       f"({tr.num(counts.get(s, 0))})",
                 on_change=lambda: st.session_state.pop("rv_pick", None))
        st.caption(tr("review.keys", **SHORTCUTS))

    st.title(tr("view_review"))
    if not ask_reviewer(tr):
        return
    msg = st.session_state.pop("rv_msg", None)
    if msg:
        kind, key, values = msg
        (st.success if kind == "ok" else st.error)(tr(key, **values))

    status = st.session_state.get("rv_status", "pending")
    queue_name = tr("review.status_" + status)
    rows = review_queue(str(db), status)
    options = [r["uid"] for r in rows]
    cur = st.session_state.get("rv_pick")
    current = incident_by_uid(str(db), cur) if cur else None
    if current is None:
        if not rows:
            st.info(tr("review.queue_empty", queue=queue_name)
                    + (" " + tr("review.all_reviewed") if status == "pending" else ""))
            st.button(tr("review.undo"), key="rv_undo_empty", on_click=_undo, args=(db,), shortcut=SHORTCUTS["undo"],
                      disabled=not st.session_state.get("rv_done"))
            return
        st.session_state.rv_pick = cur = options[0]
        current = incident_by_uid(str(db), cur)
    queue_len = len(rows)
    if cur not in options:  # just acted on: it left this queue, it stays on screen until Next
        current.update(reasons=review.attention(current)[1])
        rows, options = [current] + rows, [cur] + options
    by_uid = {r["uid"]: r for r in rows}
    row = {**current, "reasons": by_uid[cur].get("reasons")}
    st.markdown(f"<span id='review-count'>{tr('review.queue_count', n=queue_len, queue=queue_name)}</span>",
                unsafe_allow_html=True)
    st.selectbox(tr("review.incident"), options, key="rv_pick", format_func=lambda u: _label(by_uid[u], tr))

    gaz = _gazetteer(gaz_path)
    cands = review.candidates(row)
    left, right = st.columns([3, 2])
    with left:
        state = row.get("review_status") or "auto"
        colour = {"auto": "#fde2c8", "reviewed": "#c8efd2", "rejected": "#e5e5e5"}.get(state, "#eee")
        badge = (f"<b style='background:{colour};border-radius:4px;padding:1px 6px'>"
                 f"{safe(_state(state, tr))}</b>")
        who = (" " + tr("review.by_at", name=safe(row.get("reviewed_by")),
                        at=safe(row.get("reviewed_at"))) if row.get("reviewed_by") else "")
        st.markdown(f"#### {safe(row.get('place_text') or '?')} → {safe(row.get('name_en') or '—')} "
                    f"{safe(row.get('name_ar') or '')}", unsafe_allow_html=True)
        st.markdown(f"<span id='review-state'>{badge}{who} · <code>{safe(row['uid'])}</code></span> · "
                    + tr("review.precision_confidence", precision=tr.digits(safe(row.get("precision"))),
                         confidence=tr.digits(safe(row.get("confidence")))),
                    unsafe_allow_html=True)
        if row.get("reasons"):
            st.markdown("<div class='review-reasons'>" + " ".join(
                f"<span style='background:#fde2c8;border-radius:4px;padding:1px 6px;margin-right:4px'>"
                f"{safe(reason_text(r, tr))}</span>"
                for r in row["reasons"]) + "</div>", unsafe_allow_html=True)
        kind = tr.event_type(row["event_type"]) if row.get("event_type") else ""
        st.markdown(f"**{safe(_day(row.get('date'), tr))}** · {safe(kind)} / {safe(row.get('sub_event_type'))}"
                    f" · <small>{safe(row.get('article_title') or '')} {safe(row.get('article_source') or '')}</small>",
                    unsafe_allow_html=True)
        loc = decode_location(row.get("location")) or {}
        st.markdown(passage_html(row.get("passage") or "", row.get("passage_start") or 0, loc.get("start"),
                                 loc.get("end")), unsafe_allow_html=True)

        # focus order: the note, then Accept, Reject, Undo, Next
        st.text_input(tr("review.note"), key="rv_note", max_chars=300)
        nxt = _after(options, cur)
        b1, b2, b3, b4 = st.columns(4)
        b1.button(tr("review.accept"), type="primary", key="rv_accept", shortcut=SHORTCUTS["accept"], width="stretch",
                  help=tr("review.accept_help"),
                  on_click=lambda: _run(db, tr("review.done_accepted"), review.accept, note=_note(), advance_to=nxt))
        b2.button(tr("review.reject"), key="rv_reject", shortcut=SHORTCUTS["reject"], width="stretch",
                  help=tr("review.reject_help"),
                  on_click=lambda: _run(db, tr("review.done_rejected"), review.reject, note=_note(), advance_to=nxt))
        b3.button(tr("review.undo"), key="rv_undo", shortcut=SHORTCUTS["undo"], width="stretch",
                  on_click=_undo, args=(db,), help=tr("review.undo_help"))
        b4.button(tr("review.next"), key="rv_next", shortcut=SHORTCUTS["next"], width="stretch", on_click=_next,
                  args=(options,), disabled=nxt is None)

        with st.expander(tr("review.candidates", n=len(cands)), expanded=len(cands) > 1):
            if cands:
                st.radio(tr("review.place"), list(range(len(cands))), key=f"rv_cand_{cur}",
                         format_func=lambda i: _candidate_label(i + 1, cands[i], tr))
                st.button(tr("review.use_candidate"), key="rv_use_cand", on_click=_place_candidate,
                          args=(db, gaz, cands, tr))
            else:
                st.caption(tr("review.no_candidates"))
        with st.expander(tr("review.find_place"), expanded=not cands or loc.get("reason") is not None):
            q = st.text_input(tr("review.place_name"), key="rv_query", max_chars=100,
                              placeholder=tr("review.place_name_example"))
            found = find_places(gaz, q) if q.strip() else []
            if q.strip() and not found:
                st.caption(tr("review.not_in_gazetteer"))
            if found:
                st.selectbox(tr("review.places"), list(range(len(found))), key="rv_found",
                             format_func=lambda i: f"{found[i].label} · {found[i].kind} · "
                                                   f"{found[i].admin2.name_en if found[i].admin2 else ''} "
                                                   f"{found[i].admin1.name_en if found[i].admin1 else ''} · {found[i].id}")
                st.button(tr("review.place_here"), key="rv_use_found", on_click=_place_found, args=(db, found, tr))
                if getattr(review, "add_alias_and_place", None) is not None and row.get("place_text"):
                    st.button(tr("review.place_here_alias", name=row["place_text"]),
                              key="rv_alias", on_click=_alias_found, args=(db, gaz, found, tr),
                              help=tr("review.alias_help"))
        with st.expander(tr("review.type_and_date")):
            types = list(EVENT_COLOURS)
            if row.get("event_type") and row["event_type"] not in types:
                types.append(row["event_type"])
            t1, t2 = st.columns(2)
            t1.selectbox(tr("event_type"), types, key=f"rv_type_{cur}", format_func=tr.event_type,
                         index=types.index(row["event_type"]) if row.get("event_type") in types else 0)
            t2.text_input(tr("review.sub_event_type"), value=row.get("sub_event_type") or "", key=f"rv_sub_{cur}")
            st.button(tr("review.save_type"), key="rv_set_type", on_click=lambda: _run(
                db, tr("review.done_type"), review.set_type, st.session_state[f"rv_type_{cur}"],
                st.session_state[f"rv_sub_{cur}"].strip(), note=_note()))
            try:
                d0 = date.fromisoformat(row["date"]) if row.get("date") else date.today()
            except ValueError:
                d0 = date.today()
            st.date_input(tr("review.date"), value=d0, key=f"rv_date_{cur}")
            st.button(tr("review.save_date"), key="rv_set_date", on_click=lambda: _run(
                db, tr("review.done_date"), review.set_date, st.session_state[f"rv_date_{cur}"].isoformat(),
                note=_note()))
        _merge_split(db, row, df_all, tr)

    with right:
        log = audit_log(str(db), cur)
        map_key = f"rv_map_{cur}_{len(log)}"  # a new map after each action: no stale click
        map_state = st.session_state.get(map_key)
        pending = map_state.get("last_clicked") if isinstance(map_state, dict) else None
        st.caption(tr("review.map_caption"))
        shapes = admin_shapes(str(gaz_path), gaz_path.stat().st_mtime) if gaz_path.exists() else None
        small = _small_map(row, cands, pending, shapes, tr, tiles=configured_tiles(st.session_state))
        out = st_folium(small, key=map_key, height=380, use_container_width=True, returned_objects=["last_clicked"])
        click = (out or {}).get("last_clicked") or pending  # redrawn with the pending point, it reports none
        if click:
            lat, lon = round(float(click["lat"]), 5), round(float(click["lng"]), 5)
            st.button(tr("review.place_at", lat=f"{lat:.5f}", lon=f"{lon:.5f}"), key="rv_place_click",
                      type="primary", shortcut=SHORTCUTS["place"], on_click=lambda: _run(
                          db, tr("review.done_placed", place=f"{lat:.5f}, {lon:.5f}"), review.set_location,
                          lat=lat, lon=lon, gazetteer=gaz, note=_note()))
        st.markdown("##### " + tr("review.audit_log"))
        if log:
            st.markdown(_audit_html(log, tr), unsafe_allow_html=True)
        else:
            st.caption(tr("review.no_actions"))
