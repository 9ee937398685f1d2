"""Situation reports: what the map shows, as one self-contained HTML file or a PDF for print.

`render_html(rows, ...)` and `render_pdf(rows, out, ...)` take stored incident rows (as
`Store.incidents`/`Store.events` give them, already filtered) and write, in English or Arabic
(right to left): a title, the period and filters, a map (one marker per event, colour per type,
coarse places as dashed circles, governorate/district outlines and town names), counts by
governorate, event type and week, the timeline, every event newest first with each source
passage (place highlighted), source and link, and how the places were found (share of
precision 1/2/3, share reviewed).

* HTML: nothing is fetched. Leaflet (from the XStatic package), styles, data, the charts (SVG from
  Vega-Lite by vl-convert) and a font subset (fontTools, from a system font with Arabic glyphs) are
  inlined, so the file opens from a USB stick with no internet. Large reports stay quick to open:
  markers go to one canvas above 2,000 events and each event's block is laid out only when
  scrolled to (`content-visibility`).
* PDF: the same content for A4 (`@page`, page numbers in the margin), the map as a static SVG
  drawn here (outlines, town names, markers), passages for the first `PDF_PASSAGES` events and a
  table for the rest; printed by headless Chromium (`--print-to-pdf`; a system package, see the
  README), which shapes Arabic as a browser does.

Words come from `incidents/data/report_*.json` (incidents.words), colours and passage markup from
incidents.present (the dashboard draws them the same way).
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from geodata.earth import NEAR_SYRIA, SYRIA_BOX
from incidents.present import EVENT_COLOURS, OTHER_COLOUR, colour, passage_html, radius_km
from incidents.words import Words, report_words

PDF_PASSAGES = 200  # the PDF prints passages for this many events, a table row for the others
CANVAS_ABOVE = 2000  # markers on one canvas (not one SVG element each) above this many
FONTS = {  # weight -> a font with Latin and Arabic glyphs (Debian: fonts-dejavu-core), subset and inlined
    400: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    700: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}


# ---- the data: events from incident rows -------------------------------------------------------
@dataclass
class Event:
    """One real-world event: its incidents (reports) in canonical order and the one that places it."""

    gid: str
    members: list[dict]
    best: dict

    @property
    def date(self) -> str:
        return self.best.get("date") or ""

    @property
    def articles(self) -> int:
        return len({m.get("article_key") for m in self.members})


def group_events(rows) -> list[Event]:
    """Incident rows grouped by event group (a row without one is its own event); each event's place
    and date from its most precise report (ties by uid), as `export --events`; newest first."""
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(r.get("event_group") or f"row:{r.get('rowid')}", []).append(r)
    out = []
    for gid, members in groups.items():
        members.sort(key=lambda r: (r.get("date") or "", r.get("uid") or ""))
        best = min(members, key=lambda r: (r.get("precision") is None, r.get("precision") or 0, r.get("uid") or ""))
        out.append(Event(gid, members, best))
    out.sort(key=lambda e: (e.date, e.gid), reverse=True)
    return out


def week_start(day: str) -> str | None:
    try:
        d = date.fromisoformat(day[:10])
    except (TypeError, ValueError):
        return None
    return (d - timedelta(days=d.weekday())).isoformat()


def summarise(events: list[Event]) -> dict:
    """Counts by governorate, type and week (events), and precision/review shares (reports)."""
    reports = [m for e in events for m in e.members]
    prec = Counter(m.get("precision") if m.get("precision") in (1, 2, 3) else None for m in reports)
    dates = sorted(e.date[:10] for e in events if e.date)
    return {
        "events": len(events), "incidents": len(reports),
        "articles": len({m.get("article_key") for m in reports}),
        "by_governorate": Counter(e.best.get("admin1") or "" for e in events).most_common(),
        "by_type": Counter(e.best.get("event_type") or "" for e in events).most_common(),
        "by_week": sorted(Counter(w for e in events if (w := week_start(e.date))).items()),
        "precision": {k: prec.get(k, 0) for k in (1, 2, 3, None)},
        "reviewed": sum(1 for m in reports if m.get("review_status") == "reviewed"),
        "rejected": sum(1 for m in reports if m.get("review_status") == "rejected"),
        "first": dates[0] if dates else None, "last": dates[-1] if dates else None,
    }


# ---- pieces shared by HTML and PDF -------------------------------------------------------------
def _esc(v) -> str:
    return html.escape("" if v is None else str(v))


def _place(w: Words, r: dict) -> str:
    return w.place(r.get("name_en"), r.get("name_ar"), r.get("place_text")) or "?"


def _gov(w: Words, r: dict) -> str:
    return w.place(r.get("admin1"), r.get("admin1_ar"), "") or ""


def _gov_names(events: list[Event]) -> dict:
    """English governorate name -> its Arabic name, from the rows themselves."""
    names: dict[str, str] = {}
    for e in events:
        if e.best.get("admin1") and e.best.get("admin1_ar"):
            names.setdefault(e.best["admin1"], e.best["admin1_ar"])
    return names


def _pct(w: Words, n: int, total: int) -> str:
    """'58 %' / '٥٨٪'."""
    share = round(100 * n / total) if total else 0
    return w.digits(f"{share}٪" if w.rtl else f"{share} %")


def filter_value(w: Words, key: str, value: str) -> str:
    """A filter's value in the report's language: dates and event types worded, review states from
    the catalogue; names typed by the analyst (places, actors, text) as typed."""
    if key in ("date_from", "date_to"):
        return w.date(value)
    if key == "event_type":
        return w.event_type(value)
    if key == "review":
        return w("review_state_" + value)
    return w.digits(value) if key == "bbox" else value


def header_html(w: Words, title: str, s: dict, filters: list[tuple[str, str]]) -> str:
    period = w("period_value", start=w.date(s["first"]), end=w.date(s["last"])) if s["first"] else w("no_dates")
    shown = "".join(f"<li><b>{_esc(w('f_' + k))}</b>: {_esc(filter_value(w, k, v))}</li>"
                    for k, v in filters if v not in (None, "", False))
    return (f'<header><h1>{_esc(title)}</h1>'
            f'<p class="period"><b>{_esc(w("period"))}</b>: {_esc(period)}</p>'
            f'<p class="summary">{_esc(w("summary", events=s["events"], incidents=s["incidents"], articles=s["articles"]))}</p>'
            f'<div class="filters"><b>{_esc(w("filters"))}</b>: '
            f'{"<ul>" + shown + "</ul>" if shown else _esc(w("no_filters"))}</div>'
            f'<p class="generated">{_esc(w("generated", date=w.date(date.today().isoformat())))}</p></header>')


def legend_html(w: Words) -> str:
    items = "".join(f'<span class="key"><i style="background:{c}"></i>{_esc(w.event_type(t))}</span>'
                    for t, c in EVENT_COLOURS.items())
    return (f'<div class="legend">{items}<span class="key"><i class="approx"></i>{_esc(w("legend_approx"))}'
            f'</span></div>')


def counts_html(w: Words, s: dict, gov_ar: dict) -> str:
    def table(title: str, rows, label) -> str:
        top = max((n for _, n in rows), default=1) or 1
        body = "".join(f'<tr><td>{_esc(label(k))}</td><td class="n">{w.num(n)}</td>'
                       f'<td class="bar"><i style="width:{100 * n / top:.1f}%"></i></td></tr>' for k, n in rows)
        return (f'<table class="counts"><caption>{_esc(title)}</caption><tbody>{body}</tbody></table>')

    gov = table(w("by_governorate"), s["by_governorate"],
                lambda k: (gov_ar.get(k) or k if w.rtl else k) or w("no_governorate"))
    typ = table(w("by_type"), s["by_type"], w.event_type)
    # weeks: a list in columns (six years are 300 lines), newest first
    top = max((n for _, n in s["by_week"]), default=1) or 1
    weeks = "".join(f'<div class="wk"><span>{_esc(w.date(k))}</span><span class="n">{w.num(n)}</span>'
                    f'<i style="width:{40 * n / top:.1f}px"></i></div>' for k, n in reversed(s["by_week"]))
    return f'<section id="counts"><h2>{_esc(w("counts"))}</h2><div class="cols">{gov}{typ}</div>' \
           f'<div class="weeks"><b>{_esc(w("by_week"))}</b><div class="wklist">{weeks}</div></div></section>'


def precision_html(w: Words, s: dict) -> str:
    total = s["incidents"]
    rows = [(w(f"precision_{k}"), s["precision"][k]) for k in (1, 2, 3)]
    if s["precision"][None]:
        rows.append((w("precision_none"), s["precision"][None]))
    rows.append((w("reviewed_share"), s["reviewed"]))
    if s.get("rejected"):  # only in a report that asked for rejected incidents too
        rows.append((w("rejected_share"), s["rejected"]))
    body = "".join(f'<tr><td>{_esc(label)}</td><td class="n">{_pct(w, n, total)}</td>'
                   f'<td>{_esc(w("share_of", share=w.num(n), total=total))}</td></tr>' for label, n in rows)
    return f'<section id="precision"><h2>{_esc(w("precision_title"))}</h2><table class="counts">{body}</table></section>'


def event_html(w: Words, e: Event, n: int, passages: bool = True) -> str:
    b = e.best
    fat = [m["fatalities"] for m in e.members if m.get("fatalities") is not None]
    head = w("sep").join(x for x in (w.date(e.date) or w("date_unknown"), w.event_type(b.get("event_type")),
                                     _place(w, b) + (f" ({_gov(w, b)})" if _gov(w, b) else "")) if x)
    more = [w("reports_of_event", n=len(e.members))] if len(e.members) > 1 else []
    if fat:
        more.append(f'{w("col_fatalities")}: {w.num(min(fat))}')
    out = [f'<article class="ev" id="ev-{n}" data-event="{_esc(e.gid)}"><h3>{_esc(head)}</h3>']
    if more:
        out.append(f'<p class="meta">{_esc(w("sep").join(more))}</p>')
    if passages:
        for m in e.members:
            src = m.get("article_source") or m.get("source_kind") or ""
            title = m.get("article_title") or ""
            url = m.get("article_url") or ""
            link = f'<a href="{_esc(url)}" rel="noreferrer">{_esc(w("link"))}</a>' if url.startswith(("http://", "https://")) \
                else _esc(w("no_link"))
            out.append(passage_html(m.get("passage") or "", m.get("passage_start") or 0, m.get("place_start"),
                                    m.get("place_end")))
            out.append(f'<p class="src">{_esc(w("source"))}: {_esc(src)}{w("sep") if title else ""}{_esc(title)} '
                       f'· {link}</p>')
    out.append("</article>")
    return "".join(out)


def events_table_html(w: Words, events: list[Event]) -> str:
    """The events beyond the ones printed with passages: one table row each."""
    head = "".join(f"<th>{_esc(w(k))}</th>" for k in ("col_date", "col_type", "col_place", "col_governorate",
                                                      "col_sources"))
    rows = [f'<tr><td>{_esc(w.date(e.date))}</td><td>{_esc(w.event_type(e.best.get("event_type")))}</td>'
            f'<td>{_esc(_place(w, e.best))}</td><td>{_esc(_gov(w, e.best))}</td><td class="n">{w.num(e.articles)}</td></tr>'
            for e in events]
    # tables of 500 rows: Chromium paginates many small tables much faster than one long one
    chunks = [rows[i:i + 500] for i in range(0, len(rows), 500)]
    return "".join(f'<table class="evtable"><thead><tr>{head}</tr></thead><tbody>{"".join(c)}</tbody></table>'
                   for c in chunks)


# ---- charts: Vega-Lite specs rendered to SVG by vl-convert -------------------------------------
def _chart_svg(spec: dict) -> str:
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec)
    return svg[svg.index("<svg"):]


def timeline_svg(w: Words, events: list[Event], width: int = 680) -> str:
    """Events per week, stacked by event type, in the type colours."""
    counts = Counter((wk, e.best.get("event_type") or "") for e in events if (wk := week_start(e.date)))
    if not counts:
        return ""
    types = [t for t in EVENT_COLOURS if any(k[1] == t for k in counts)] + \
        sorted({t for _, t in counts if t not in EVENT_COLOURS})
    # a time axis, each bar one week wide: an ordinal axis of the weeks that have events put a week
    # and the one three years later side by side, as if nothing lay between them
    values = [{"week": wk, "end": (date.fromisoformat(wk) + timedelta(days=7)).isoformat(), "type": w.event_type(t),
               "n": n} for (wk, t), n in sorted(counts.items())]
    font = "Report Sans, DejaVu Sans, sans-serif"
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": width, "height": 160,
        "data": {"values": values}, "mark": {"type": "bar"},
        "config": {"font": font, "axis": {"labelFont": font, "titleFont": font},
                   "legend": {"labelFont": font, "orient": "bottom", "columns": 3}},
        "encoding": {
            "x": {"field": "week", "type": "temporal", "title": None,
                  "axis": {"labelAngle": -45, "labelOverlap": "greedy", "labelFontSize": 9, "format": "%Y-%m-%d"}},
            "x2": {"field": "end"},
            "y": {"aggregate": "sum", "field": "n", "type": "quantitative", "title": w("timeline_axis")},
            "color": {"field": "type", "type": "nominal", "title": None,
                      "scale": {"domain": [w.event_type(t) for t in types],
                                "range": [colour(t) for t in types]}},
        },
    }
    return _chart_svg(spec)


# ---- the static map (PDF) ----------------------------------------------------------------------
def view_box(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(west, south, east, north) showing the points inside Syria's box: with 50 or more, their
    2nd-98th percentiles (a far outlier never zooms the map out); the country when none is inside."""
    w0, s0, e0, n0 = NEAR_SYRIA.west, NEAR_SYRIA.south, NEAR_SYRIA.east, NEAR_SYRIA.north
    pts = [(lon, lat) for lon, lat in points if w0 <= lon <= e0 and s0 <= lat <= n0]
    if not pts:
        return SYRIA_BOX.west, SYRIA_BOX.south, SYRIA_BOX.east, SYRIA_BOX.north
    lons, lats = sorted(p[0] for p in pts), sorted(p[1] for p in pts)
    cut = int(len(pts) * 0.02) if len(pts) >= 50 else 0
    west, east = lons[cut], lons[-1 - cut]
    south, north = lats[cut], lats[-1 - cut]
    span = max(east - west, north - south, 0.3) * 0.08 + 0.05
    west, east, south, north = west - span, east + span, south - span, north + span
    if east - west < 0.5:
        mid = (east + west) / 2
        west, east = mid - 0.25, mid + 0.25
    if north - south < 0.4:
        mid = (north + south) / 2
        south, north = mid - 0.2, mid + 0.2
    return west, south, east, north


def _merc_y(lat: float) -> float:
    r = math.radians(max(-85.0, min(85.0, lat)))
    return math.log(math.tan(math.pi / 4 + r / 2))


def static_map_svg(w: Words, events: list[Event], shapes: dict, labels: dict, width: int = 680,
                   max_height: int = 620) -> str:
    """The filtered events on a plain background with outlines and town names, as one SVG (Web
    Mercator, fitted to the events' view box)."""
    located = [e for e in events if e.best.get("lat") is not None and e.best.get("lon") is not None]
    west, south, east, north = view_box([(float(e.best["lon"]), float(e.best["lat"])) for e in located])
    x_scale = width / math.radians(east - west)
    height = min(max_height, int(x_scale * (_merc_y(north) - _merc_y(south))) + 1)
    scale = min(x_scale, height / (_merc_y(north) - _merc_y(south)))
    ox = (width - scale * math.radians(east - west)) / 2
    oy = (height - scale * (_merc_y(north) - _merc_y(south))) / 2

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return (round(ox + scale * math.radians(lon - west), 1), round(oy + scale * (_merc_y(north) - _merc_y(lat)), 1))

    def rings(geom: dict):
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        for poly in polys:
            for ring in poly:
                yield ring

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="static-map" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="Report Sans, DejaVu Sans, sans-serif">',
           f'<rect width="{width}" height="{height}" fill="#f2efe9"/>']
    for kind, stroke, dash in (("district", 0.5, ' stroke-dasharray="3 3"'), ("governorate", 1.2, "")):
        fc = (shapes or {}).get(kind) or {}
        for f in fc.get("features", []):
            d = "".join("M" + "L".join(f"{x},{y}" for x, y in (xy(*pt[:2]) for pt in ring)) + "Z"
                        for ring in rings(f["geometry"]))
            out.append(f'<path d="{d}" fill="none" stroke="#555" stroke-width="{stroke}"{dash}/>')
    km_px = scale / 6371.0 / max(math.cos(math.radians((north + south) / 2)), 0.2)
    for e in sorted(located, key=lambda e: -(e.best.get("precision") or 3)):
        b = e.best
        x, y = xy(float(b["lon"]), float(b["lat"]))
        c = colour(b.get("event_type"))
        if (b.get("precision") or 3) <= 1:
            out.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{c}" fill-opacity="0.9" stroke="#222" stroke-width="0.6"/>')
        else:
            r = max(4.0, min(radius_km(b.get("precision"), b.get("radius_km")) * km_px, 80.0))
            out.append(f'<circle cx="{x}" cy="{y}" r="{r:.1f}" fill="{c}" fill-opacity="0.05" stroke="{c}" '
                       f'stroke-width="1.2" stroke-dasharray="4 3"/>')
    span = east - west
    level = 6 if span > 3 else 8 if span > 1.2 else 9
    taken: set[tuple[int, int]] = set()
    name_at = 3 if w.rtl else 2
    for t in (labels or {}).get("towns", []):
        if t[4] > level or not (west <= t[1] <= east and south <= t[0] <= north):
            continue
        x, y = xy(t[1], t[0])
        cell = (int(x // 90), int(y // 16))
        if cell in taken or (cell[0] - 1, cell[1]) in taken or (cell[0] + 1, cell[1]) in taken:
            continue
        taken.add(cell)
        out.append(f'<circle cx="{x}" cy="{y}" r="1.6" fill="#333"/><text x="{x + 3}" y="{y - 3}" font-size="'
                   f'{11 if t[4] == 6 else 9}" fill="#222" stroke="#fff" stroke-width="2.5" paint-order="stroke" '
                   f'font-weight="{700 if t[4] == 6 else 400}">{_esc(t[name_at])}</text>')
    out.append("</svg>")
    return "".join(out)


# ---- the interactive map (HTML) ----------------------------------------------------------------
MAP_SCRIPT = """
(function () {
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var map = L.map('map', {preferCanvas: D.canvas, zoomSnap: 0.25, maxZoom: 18, minZoom: 4});
  window.reportMap = map;
  map.fitBounds(D.bounds);
  [['district', 0.6, '3 3'], ['governorate', 1.5, null]].forEach(function (k) {
    if (D.shapes[k[0]]) L.geoJSON(D.shapes[k[0]], {interactive: false,
      style: {color: '#555', weight: k[1], dashArray: k[2], fill: false}}).addTo(map);
  });
  var labels = L.layerGroup().addTo(map);
  function drawLabels() {
    var z = map.getZoom(), b = map.getBounds().pad(0.1), taken = {};
    labels.clearLayers();
    D.towns.forEach(function (t) {
      if (z < t[4] || !b.contains([t[0], t[1]])) return;
      var c = map.latLngToContainerPoint([t[0], t[1]]), gx = Math.floor(c.x / 90), gy = Math.floor(c.y / 18);
      if (taken[gx + ',' + gy] || taken[(gx - 1) + ',' + gy] || taken[(gx + 1) + ',' + gy]) return;
      taken[gx + ',' + gy] = 1;
      labels.addLayer(L.marker([t[0], t[1]], {interactive: false, keyboard: false, icon: L.divIcon({
        className: 'place-label z' + t[4], html: t[D.nameAt], iconSize: null, iconAnchor: [-4, 6]})}));
    });
  }
  map.on('zoomend moveend', drawLabels);
  drawLabels();
  var markers = [];
  D.markers.forEach(function (m) {
    // [lat, lon, type index, precision, radius m, [event numbers]]
    var c = D.colours[m[2]], layer;
    if (m[3] <= 1) layer = L.circleMarker([m[0], m[1]], {radius: 6, color: '#222', weight: 1, fillColor: c, fillOpacity: 0.9});
    else layer = L.circle([m[0], m[1]], {radius: m[4], color: c, weight: 2, dashArray: '6 4', fillOpacity: 0.04});
    layer.bindPopup(function () {
      return m[5].slice(0, 12).map(function (n) {
        return '<a href="#ev-' + n + '">' + D.titles[n] + '</a>'; }).join('<br>') +
        (m[5].length > 12 ? '<br>+' + (m[5].length - 12) : '');
    });
    layer.addTo(map);
    markers.push(layer);
  });
  window.reportMarkers = markers;
  document.body.setAttribute('data-map-ready', markers.length);
})();
"""


def _leaflet() -> tuple[str, str]:
    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)
    return (base / "leaflet.js").read_text(encoding="utf-8"), (base / "leaflet.css").read_text(encoding="utf-8")


def map_data(w: Words, events: list[Event], shapes: dict, labels: dict) -> dict:
    """What the HTML map script reads: markers (events at one point share one), escaped popup
    titles, outlines, towns, the first view."""
    at: dict[tuple, list[int]] = {}
    kinds: dict[tuple, str] = {}
    titles = []
    for n, e in enumerate(events):
        b = e.best
        titles.append(_esc(w("sep").join(x for x in (w.date(e.date), w.event_type(b.get("event_type")), _place(w, b)) if x)))
        if b.get("lat") is None or b.get("lon") is None:
            continue
        key = (round(float(b["lat"]), 5), round(float(b["lon"]), 5), int(b.get("precision") or 3),
               round(radius_km(b.get("precision"), b.get("radius_km")) * 1000))
        at.setdefault(key, []).append(n)
        kinds.setdefault(key, b.get("event_type") or "")
    types = list(EVENT_COLOURS) + sorted({t for t in kinds.values() if t not in EVENT_COLOURS})
    markers = [[lat, lon, types.index(kinds[(lat, lon, p, r)]), p, r, ns] for (lat, lon, p, r), ns in at.items()]
    west, south, east, north = view_box([(m[1], m[0]) for m in markers])
    towns = [[t[0], t[1], _esc(t[2]), _esc(t[3]), t[4]] for t in (labels or {}).get("towns", [])]
    return {"markers": markers, "colours": [EVENT_COLOURS.get(t, OTHER_COLOUR) for t in types], "titles": titles,
            "shapes": shapes or {}, "towns": towns, "nameAt": 3 if w.rtl else 2,
            "bounds": [[south, west], [north, east]], "canvas": len(markers) > CANVAS_ABOVE}


# ---- fonts -------------------------------------------------------------------------------------
def font_face(text: str) -> str:
    """@font-face rules (regular and bold) with a subset, the characters `text` uses, of a system font
    with Latin and Arabic glyphs (FONTS), inlined as base64 (fontTools), so the report looks the same
    on a machine without such a font and Chromium prints real bold rather than a smeared copy. ''
    for a weight whose font is not installed (the reader's fonts are used)."""
    import io
    import logging

    from fontTools import subset
    from fontTools.ttLib import TTFont

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset": harmless
    unicodes = {ord(c) for c in set(text)} | set(range(0x20, 0x7F))
    rules = []
    for weight, path in FONTS.items():
        if not os.path.exists(path):
            continue
        font = TTFont(path)
        opts = subset.Options()
        opts.layout_features = ["*"]  # keep Arabic joining forms and ligatures
        sub = subset.Subsetter(opts)
        sub.populate(unicodes=unicodes)
        sub.subset(font)
        buf = io.BytesIO()
        font.save(buf)
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        rules.append(f"@font-face {{ font-family: 'Report Sans'; font-weight: {weight}; "
                     f"src: url(data:font/ttf;base64,{data}) format('truetype'); }}")
    return "\n".join(rules)


# ---- the document ------------------------------------------------------------------------------
STYLE = """
body { font-family: 'Report Sans', 'DejaVu Sans', 'Noto Sans Arabic', sans-serif; margin: 0 auto; max-width: 1100px;
  padding: 16px 20px; color: #1c1c1c; font-size: 14px; line-height: 1.45; }
h1 { font-size: 24px; margin: 0 0 6px; } h2 { font-size: 18px; margin: 22px 0 8px; border-bottom: 1px solid #ccc; }
h3 { font-size: 14px; margin: 0 0 4px; }
header p { margin: 3px 0; } header ul { margin: 2px 0; padding-inline-start: 22px; }
.generated { color: #666; font-size: 12px; }
#map { height: 560px; border: 1px solid #bbb; background: #f2efe9; }
.leaflet-container { background: #f2efe9; }
.place-label { background: none; border: none; box-shadow: none; color: #222; font: 600 12px/1.1 'Report Sans', sans-serif;
  white-space: nowrap; pointer-events: none; text-shadow: 0 0 3px #fff, 0 0 3px #fff; }
.place-label.z6 { font-size: 14px; font-weight: 700; }
.legend { margin: 6px 0; font-size: 12px; } .legend .key { margin-inline-end: 14px; white-space: nowrap; }
.legend i { display: inline-block; width: 11px; height: 11px; border-radius: 50%; border: 1px solid #222;
  margin-inline-end: 5px; vertical-align: -1px; }
.legend i.approx { border: 2px dashed #555; background: none; }
.cols { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table.counts { border-collapse: collapse; min-width: 300px; }
table.counts caption { font-weight: bold; text-align: start; padding: 4px 0; }
table.counts td { padding: 2px 8px; border-bottom: 1px solid #eee; }
td.n { text-align: end; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar { width: 160px; } td.bar i { display: block; height: 10px; background: #6b8fb3; }
.weeks { margin-top: 12px; } .wklist { columns: 5 150px; column-gap: 18px; font-size: 12px; margin-top: 4px; }
.wk { display: flex; gap: 6px; align-items: center; break-inside: avoid; }
.wk span:first-child { flex: 1; } .wk i { display: inline-block; height: 8px; background: #6b8fb3; }
.ev { border-top: 1px solid #ddd; padding: 8px 0; content-visibility: auto; contain-intrinsic-size: auto 160px; }
.ev .meta, .ev .src { color: #555; font-size: 12px; margin: 2px 0; }
blockquote.incident-passage { margin: 6px 0; padding: 6px 10px; background: #f7f7f4; border-inline-start: 3px solid #bbb; }
mark { background: #ffe08a; padding: 0 2px; }
table.evtable { border-collapse: collapse; width: 100%; font-size: 11px; }
table.evtable th, table.evtable td { border-bottom: 1px solid #e4e4e4; padding: 2px 6px; text-align: start; }
.note { color: #555; }
.chart svg { max-width: 100%; height: auto; }
"""

PRINT_STYLE = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm;
  @bottom-center { content: "%(page)s " counter(page%(style)s) " %(of)s " counter(pages%(style)s);
                   font: 9px 'Report Sans', sans-serif; color: #555; } }
body { max-width: none; padding: 0; font-size: 11px; }
h1 { font-size: 20px; } h2 { font-size: 15px; break-after: avoid; }
.static-map { display: block; margin: 0 auto; max-width: 100%%; height: auto; }
.ev { content-visibility: visible; break-inside: avoid; padding: 5px 0; }
.wklist { font-size: 9px; columns: 5; }
table.counts tr, table.evtable tr { break-inside: avoid; }
a { color: #1a4d8f; }
"""


def _document(w: Words, title: str, body: str, style: str, scripts: str = "", fonts: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="{w.lang}" dir="{"rtl" if w.rtl else "ltr"}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
            f'style-src \'unsafe-inline\'; font-src data:; script-src \'unsafe-inline\'">'
            f'<title>{_esc(title)}</title><style>{fonts}\n{style}</style></head>'
            f'<body>{body}{scripts}</body></html>')


def _progress(total: int, enabled: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, disable=not enabled, desc=desc, unit=" events", leave=False)


def _body(w: Words, title: str, events: list[Event], filters, map_html: str, chart_width: int,
          passages: int | None, progress: bool, desc: str) -> str:
    """The report's sections; passages for the first `passages` events (None: all), a table row for
    the others."""
    s = summarise(events)
    parts = [header_html(w, title, s, list(filters)),
             f'<section id="map-section"><h2>{_esc(w("map"))}</h2>{map_html}{legend_html(w)}']
    unplaced = sum(1 for e in events if e.best.get("lat") is None)
    if unplaced:
        parts.append(f'<p class="note">{_esc(w("no_coords", n=unplaced))}</p>')
    parts.append("</section>")
    parts.append(counts_html(w, s, _gov_names(events)))
    timeline = timeline_svg(w, events, width=chart_width)
    if timeline:
        # time runs left to right in both languages: in a right-to-left page the chart's text would flip
        parts.append(f'<section id="timeline"><h2>{_esc(w("timeline"))}</h2><div class="chart" dir="ltr">'
                     f'{timeline}</div></section>')
    parts.append(precision_html(w, s))
    parts.append(f'<section id="events"><h2>{_esc(w("events_title"))}</h2>')
    limit = len(events) if passages is None else passages
    if len(events) > limit:
        parts.append(f'<p class="note">{_esc(w("passages_limited", n=limit))}</p>')
    with _progress(len(events), progress, desc) as bar:
        for n, e in enumerate(events[:limit]):
            parts.append(event_html(w, e, n))
            bar.update()
        if len(events) > limit:
            parts.append(events_table_html(w, events[limit:]))
            bar.update(len(events) - limit)
    parts.append("</section>")
    return "".join(parts)


def render_html(rows, *, lang: str = "en", title: str | None = None, filters: list[tuple[str, str]] = (),
                shapes: dict | None = None, labels: dict | None = None, progress: bool = False) -> str:
    """The self-contained HTML report of these incident rows (see the module's docstring): every
    passage of every event, the interactive map."""
    w = report_words(lang)
    title = title or w("title")
    events = group_events(rows)
    body = _body(w, title, events, filters, '<div id="map"></div>', 900, None, progress, "report (HTML)")
    data = json.dumps(map_data(w, events, shapes or {}, labels or {}), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("</", "<\\/")  # nothing in the data can close the script element
    js, css = _leaflet()
    scripts = (f'<script type="application/json" id="report-data">{data}</script>'
               f'<script>{js}</script><script>{MAP_SCRIPT}</script>')
    fonts = font_face(title + body + "".join(t[3] if w.rtl else t[2] for t in (labels or {}).get("towns", [])))
    return _document(w, title, body, css + STYLE, scripts, fonts)


def print_html(rows, *, lang: str = "en", title: str | None = None, filters: list[tuple[str, str]] = (),
               shapes: dict | None = None, labels: dict | None = None, progress: bool = False,
               passages: int = PDF_PASSAGES) -> str:
    """The report laid out for A4 (what render_pdf prints): static map and charts, passages for the
    first `passages` events and a table row for the others, page numbers."""
    w = report_words(lang)
    title = title or w("title")
    events = group_events(rows)
    body = _body(w, title, events, filters, static_map_svg(w, events, shapes or {}, labels or {}), 680, passages,
                 progress, "report (PDF)")
    style = PRINT_STYLE % {"page": w("page"), "of": w("page_of"), "style": ", arabic-indic" if w.rtl else ""}
    return _document(w, title, body, STYLE + style, fonts=font_face(title + body))


# ---- printing ----------------------------------------------------------------------------------
class RendererMissing(RuntimeError):
    """No Chromium to print a PDF with (the HTML report needs none)."""


def chromium_path() -> str:
    """Headless Chromium for print-to-PDF: $INCIDENTMAP_CHROMIUM, else chromium/chromium-browser/
    google-chrome on PATH."""
    found = os.environ.get("INCIDENTMAP_CHROMIUM") or next(
        (p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if not found or not os.access(found, os.X_OK):
        raise RendererMissing("a PDF report needs Chromium (Debian: apt-get install chromium; or set "
                              "INCIDENTMAP_CHROMIUM to a Chrome/Chromium binary); the HTML report does not")
    return found


def html_to_pdf(document: str, out: str | Path, timeout: float = 600) -> None:
    """Print an HTML document to a PDF file with headless Chromium: no network (the document needs
    none), no header/footer of Chromium's own (the document's @page rules number the pages)."""
    exe = chromium_path()
    out = Path(out).resolve()
    with tempfile.TemporaryDirectory(prefix="incidentmap-pdf-") as tmp:
        src = Path(tmp) / "report.html"
        src.write_text(document, encoding="utf-8")
        tmp_out = out.with_name(out.name + ".part")
        # --disable-pdf-tagging: the accessibility tree of a 20,000-row table tripled the file and the time
        cmd = [exe, "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-extensions", "--disable-sync", "--mute-audio",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", "--disable-pdf-tagging",
               f"--print-to-pdf={tmp_out}", src.as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")  # Chromium refuses to start as root with its sandbox
        # its own process group: on a timeout, the renderer processes go with it
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        try:
            _, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            import signal

            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            tmp_out.unlink(missing_ok=True)
            raise RuntimeError(f"Chromium did not finish printing the report within {timeout:.0f} s") from None
        if proc.returncode != 0 or not tmp_out.exists() or tmp_out.stat().st_size == 0:
            tmp_out.unlink(missing_ok=True)
            raise RuntimeError(f"Chromium could not print the report (exit {proc.returncode}): "
                               f"{stderr.strip()[-500:]}")
        tmp_out.replace(out)


def render_pdf(rows, out: str | Path, **kw) -> None:
    """The PDF report of these incident rows (print_html printed by Chromium)."""
    progress = kw.get("progress", False)
    document = print_html(rows, **kw)
    if progress:
        import sys

        print("printing the PDF with Chromium…", file=sys.stderr)
    html_to_pdf(document, out)


def write_report(rows, out: str | Path, **kw) -> str:
    """HTML or PDF by the file's suffix; returns which."""
    suffix = Path(out).suffix.lower()
    if suffix == ".pdf":
        render_pdf(rows, out, **kw)
        return "pdf"
    if suffix not in (".html", ".htm"):
        raise ValueError(f"{out}: a report is FILE.html or FILE.pdf")
    text = render_html(rows, **kw)
    tmp = Path(str(out) + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return "html"

