"""The folium map: incident markers, precision drawn honestly, admin outlines, legend, choropleth.

* Markers go through one FastMarkerCluster carrying only coordinates, the row id, a colour and a
  short escaped label: passages stay on the server and are fetched when a marker is clicked, so
  23k incidents load about as fast as a dozen.
* One marker per real-world event (event group, incidents.groups): the Arabic and the English
  report of one shelling are one marker, "2 sources" in its tooltip, placed where its most precise
  report puts it; events at the very same point share a marker ("3 events, latest …").
* Precision 1 (the village itself) is a filled dot; precision 2-3 (vicinity, mountain area,
  governorate) is a hollow dashed circle sized to its uncertainty in metres, so nobody mistakes
  it for an exact village.
* Governorate and district outlines from the gazetteer's polygons are always drawn: when map
  tiles cannot load (offline), the map still shows where things are.
* Every JS/CSS file comes from the app itself (dashboard.assets), never from a CDN.
* Article text is untrusted: labels are HTML-escaped before they reach Leaflet.
* Incidents an analyst reviewed have a thick green ring and "✓ reviewed" in their tooltip; rejected
  ones (shown only when the review-status filter asks for them) are faded, "✗ rejected".
"""

from __future__ import annotations

import html
import json
import os

import folium
import pandas as pd
import streamlit as st
from branca.element import MacroElement, Template
from folium.plugins import FastMarkerCluster

from dashboard import assets
from geodata.earth import NEAR_DEGREES, SYRIA_BOX
from incidents.present import DEFAULT_RADIUS_KM, EVENT_COLOURS, OTHER_COLOUR, colour  # noqa: F401  (shared with reports)

REVIEWED_COLOUR = "#0a7d28"  # the ring of an incident an analyst reviewed
SYRIA_CENTER = (35.0, 38.5)
SYRIA_BOUNDS = ((SYRIA_BOX.south, SYRIA_BOX.west), (SYRIA_BOX.north, SYRIA_BOX.east))  # south-west, north-east


def in_country(lat: pd.Series, lon: pd.Series, bounds=SYRIA_BOUNDS, margin: float = NEAR_DEGREES) -> pd.Series:
    (s, w), (n, e) = bounds
    return lat.between(s - margin, n + margin) & lon.between(w - margin, e + margin)


def robust_bounds(lat, lon, bounds=SYRIA_BOUNDS, q: float = 0.02, min_span: float = 0.08):
    """The view that shows these incidents: only points inside the country's box count (a Moscow
    from a photo caption never drives the view); with 50 or more, the 2nd-98th percentile box, so a
    few far outliers inside the country do not either; a box at least `min_span` degrees wide.
    [[south, west], [north, east]]; the country's box when no point counts."""
    lat, lon = pd.Series(lat, dtype=float), pd.Series(lon, dtype=float)
    keep = lat.notna() & lon.notna()
    lat, lon = lat[keep], lon[keep]
    inside = in_country(lat, lon, bounds)
    lat, lon = lat[inside], lon[inside]
    if lat.empty:
        return [list(bounds[0]), list(bounds[1])]
    lo, hi = (q, 1 - q) if len(lat) >= 50 else (0.0, 1.0)
    s, n = float(lat.quantile(lo)), float(lat.quantile(hi))
    w, e = float(lon.quantile(lo)), float(lon.quantile(hi))
    if n - s < min_span:
        s, n = (s + n) / 2 - min_span / 2, (s + n) / 2 + min_span / 2
    if e - w < min_span:
        w, e = (w + e) / 2 - min_span / 2, (w + e) / 2 + min_span / 2
    return [[round(s, 5), round(w, 5)], [round(n, 5), round(e, 5)]]


def view_for_bounds(bounds, width_px: int = 820, height_px: int = 620, max_zoom: int = 12):
    """(centre, zoom) that shows `bounds` on a map of that size (Web Mercator, like Leaflet's fitBounds)."""
    import math

    (s, w), (n, e) = bounds

    def y(lat):
        r = math.radians(max(-85.0, min(85.0, lat)))
        return math.log(math.tan(math.pi / 4 + r / 2))

    zx = math.log2(width_px * 360 / (256 * max(e - w, 1e-6)))
    zy = math.log2(height_px * 2 * math.pi / (256 * max(y(n) - y(s), 1e-9)))
    zoom = max(3, min(max_zoom, int(math.floor(min(zx, zy)))))
    centre_lat = math.degrees(2 * math.atan(math.exp((y(n) + y(s)) / 2)) - math.pi / 2)
    return (round(centre_lat, 5), round((w + e) / 2, 5)), zoom

# The callback is an IIFE so the lookup tables (place names, event types, colours) are parsed once;
# each data row is [lat, lon, id, type index, name index, precision, radius in m, days since 1970,
# events at this location, sources (articles) of the newest of them, review (0 auto, 1 reviewed, 2 rejected)].
CALLBACK_TEMPLATE = """
(function () {
    var names = %(names)s, types = %(types)s, colours = %(colours)s, REVIEWED = '%(reviewed)s', W = %(words)s;
    var DIGITS = W.digits;
    function local(s) { return DIGITS ? String(s).replace(/[0-9]/g, function (c) { return DIGITS[+c]; }) : s; }
    function day(d) { return d < 0 ? W.unknown : local(new Date(d * 864e5).toISOString().slice(0, 10)); }
    return function (row) {
        var ll = new L.LatLng(row[0], row[1]);
        var m, reviewed = row[10] === 1, rejected = row[10] === 2;
        if (row[5] <= 1) {
            m = L.circleMarker(ll, {radius: 7, color: reviewed ? REVIEWED : '#222', weight: reviewed ? 3 : 1,
                                    fillColor: colours[row[3]], fillOpacity: rejected ? 0.25 : 0.9});
        } else {
            m = L.circle(ll, {radius: row[6], color: colours[row[3]], weight: reviewed ? 4 : 2,
                              dashArray: reviewed ? null : '6 4', fill: true, fillOpacity: 0.04});
        }
        m.incidentId = row[2];  // the app reads the clicked marker's id from the click event
        // Tooltips are bound on first hover: 23k tooltips up front would slow the first paint.
        m.on('mouseover', function () {
            if (!m.getTooltip()) {
                var many = row[8] > 1 ? W.sep + W.events.replace('{n}', local(row[8])) + ' ' : W.sep;
                var sources = row[9] > 1 ? W.sep + local(row[9]) + ' ' + W.sources : '';
                m.bindTooltip((reviewed ? W.reviewed + W.sep : rejected ? W.rejected + W.sep : '') + names[row[4]] + many + day(row[7]) + W.sep + types[row[3]] + sources + ' #' + row[2],
                              {direction: W.rtl ? 'left' : 'right'});
                m.openTooltip();
            }
        });
        return m;
    };
})()
"""

LEGEND = """
{% macro html(this, kwargs) %}
<div id="incident-legend" dir="{{ this.dir }}" style="position: absolute; top: 10px; right: 10px; z-index: 9999;
     background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px; font: 12px sans-serif;
     box-shadow: 0 1px 4px rgba(0,0,0,0.3);">
  {% for name, colour in this.colours %}
  <div><span style="display:inline-block;width:11px;height:11px;border-radius:50%;background:{{ colour }};
       border:1px solid #222;margin:0 5px"></span>{{ name }}</div>
  {% endfor %}
  <div style="margin-top:4px"><span style="display:inline-block;width:11px;height:11px;border-radius:50%;
       border:2px dashed #555;margin:0 5px"></span>{{ this.approx }}</div>
</div>
{% endmacro %}
"""


class Legend(MacroElement):
    def __init__(self, colours, approx: str = "vicinity / area / governorate (approximate)", rtl: bool = False):
        super().__init__()
        self._template = Template(LEGEND)
        self.colours = list(colours)
        self.approx = approx
        self.dir = "rtl" if rtl else "ltr"


# Town names on the offline map (dashboard.data.place_labels): seats always, district towns from zoom
# 8, larger towns from 9, and from zoom 11 every village in view (fetched once, as a static file).
LABELS = """
{% macro header(this, kwargs) %}
<style>
.place-label { background: none; border: none; box-shadow: none; padding: 0; color: #222;
  font: 600 12px/1.1 sans-serif; white-space: nowrap; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.place-label.z6 { font-size: 14px; font-weight: 700; }
.place-label.z11 { font-weight: 400; font-size: 11px; color: #444; }
.leaflet-container { background: #f2efe9; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }};
    var NAME = {{ this.name_index }}, towns = {{ this.towns }}, villagesUrl = {{ this.villages_url }};
    var layer = L.layerGroup().addTo(map), villages = null, loading = false, cache = {};
    map.placeLabels = layer;
    function label(p, z) {
        var key = p[0] + ',' + p[1];
        if (!cache[key]) {
            cache[key] = L.marker([p[0], p[1]], {interactive: false, keyboard: false,
                icon: L.divIcon({className: 'place-label z' + z, html: '', iconSize: null, iconAnchor: [-4, 6]})});
            cache[key].options.icon.options.html = String(p[NAME]).replace(/[&<>"]/g, function (c) {
                return {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]; });
        }
        return cache[key];
    }
    function draw() {
        var z = map.getZoom(), b = map.getBounds().pad(0.2), keep = [], taken = {};
        function room(p) {  // one label per 90x18 px cell (and its neighbour): no pile of names
            var c = map.latLngToContainerPoint([p[0], p[1]]), gx = Math.floor(c.x / 90), gy = Math.floor(c.y / 18);
            if (taken[gx + ',' + gy] || taken[(gx - 1) + ',' + gy] || taken[(gx + 1) + ',' + gy]) return false;
            taken[gx + ',' + gy] = true;
            return true;
        }
        towns.forEach(function (t) { if (z >= t[4] && b.contains([t[0], t[1]]) && room(t)) keep.push(label(t, t[4])); });
        if (z >= 11) {
            if (villages) {
                for (var i = 0; i < villages.length && keep.length < 400; i++) {
                    var v = villages[i];
                    if (b.contains([v[0], v[1]]) && room(v)) keep.push(label(v, 11));
                }
            } else if (!loading && villagesUrl) {
                loading = true;
                fetch(villagesUrl).then(function (r) { return r.json(); })
                    .then(function (d) { villages = d; draw(); }).catch(function () { villages = []; });
            }
        }
        layer.clearLayers();
        keep.forEach(function (m) { layer.addLayer(m); });
    }
    map.on('zoomend moveend', draw);
    map.whenReady(draw);
})();
{% endmacro %}
"""


# Drawing a region to filter by: a rectangle (drag) or a polygon (click the corners, double-click to
# finish), ours in a few lines of Leaflet instead of folium's Draw plugin, whose leaflet.draw files
# come from a CDN and are in no PyPI package. The drawn shape goes back to Python the way
# streamlit-folium expects from leaflet.draw: a `draw:created` event and `window.drawnItems`.
DRAW = """
{% macro header(this, kwargs) %}
<style>
.area-draw a { font: bold 15px/26px sans-serif; text-align: center; cursor: pointer; }
.area-draw a.active { background: #ffe08a; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
    var map = {{ this._parent.get_name() }}, W = {{ this.words }};
    var style = {color: '#c00', weight: 2, dashArray: '5 4', fillOpacity: 0.04};
    var drawn = L.featureGroup().addTo(map), stop = null, buttons = {};
    window.drawnItems = drawn;
    function done(layer) {
        drawn.clearLayers();
        drawn.addLayer(layer);
        map.fire('draw:created', {layer: layer, layerType: 'polygon'});
    }
    function finish() { if (stop) { stop(); stop = null; }
        for (var k in buttons) L.DomUtil.removeClass(buttons[k], 'active');
        map.getContainer().style.cursor = ''; }
    function rect() {
        var start = null, box = null;
        map.dragging.disable();
        function down(e) { start = e.latlng; box = L.rectangle([start, start], style).addTo(map); }
        function move(e) { if (box) box.setBounds([start, e.latlng]); }
        function up() {
            if (!box) return;
            var b = box.getBounds(); finish();
            done(L.polygon([b.getSouthWest(), b.getSouthEast(), b.getNorthEast(), b.getNorthWest()], style));
        }
        map.on('mousedown', down); map.on('mousemove', move); map.on('mouseup', up);
        return function () { map.off('mousedown', down); map.off('mousemove', move); map.off('mouseup', up);
                             if (box) map.removeLayer(box); map.dragging.enable(); };
    }
    function poly() {
        var pts = [], line = L.polyline([], style).addTo(map);
        map.doubleClickZoom.disable();
        function click(e) { pts.push(e.latlng); line.setLatLngs(pts); }
        function end() { var p = pts.slice(); finish(); if (p.length >= 3) done(L.polygon(p, style)); }
        map.on('click', click); map.on('dblclick', end);
        return function () { map.off('click', click); map.off('dblclick', end); map.removeLayer(line);
                             setTimeout(function () { map.doubleClickZoom.enable(); }, 0); };
    }
    var Control = L.Control.extend({options: {position: 'topleft'}, onAdd: function () {
        var div = L.DomUtil.create('div', 'leaflet-bar area-draw');
        [['rect', '▭', W.rect, rect], ['poly', '⬠', W.poly, poly], ['clear', '✕', W.clear, null]].forEach(function (b) {
            var a = L.DomUtil.create('a', 'draw-' + b[0], div);
            a.href = '#'; a.innerHTML = b[1]; a.title = b[2]; a.setAttribute('role', 'button');
            a.setAttribute('aria-label', b[2]);
            buttons[b[0]] = a;
            L.DomEvent.on(a, 'click', function (e) {
                L.DomEvent.stop(e); finish();
                if (b[3]) { stop = b[3](); L.DomUtil.addClass(a, 'active'); map.getContainer().style.cursor = 'crosshair'; }
                else { drawn.clearLayers(); map.fire('draw:deleted', {layer: drawn}); }
            });
        });
        L.DomEvent.disableClickPropagation(div);
        return div;
    }});
    map.addControl(new Control());
})();
{% endmacro %}
"""


class DrawArea(MacroElement):
    """The rectangle/polygon/clear buttons (see DRAW)."""

    def __init__(self, tr=None):
        super().__init__()
        self._template = Template(DRAW)
        words = {"rect": "Draw a rectangle to filter by", "poly": "Draw a polygon (double-click to finish)",
                 "clear": "Remove the drawn area"}
        if tr:
            words = {k: tr(f"draw_{k}") for k in words}
        self.words = json.dumps(words, ensure_ascii=False)


class PlaceLabels(MacroElement):
    """Town and village names in the interface language, drawn by zoom level (see LABELS)."""

    def __init__(self, towns: list, villages_url: str | None, lang: str = "en"):
        super().__init__()
        self._template = Template(LABELS)
        self.towns = json.dumps(towns, ensure_ascii=False)
        self.villages_url = json.dumps(villages_url)
        self.name_index = 3 if lang == "ar" else 2


def _event_keys(df: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(event group, tie-breaker) per row; a frame without event groups has one event per row."""
    rowid = df["rowid"].astype(str)
    group = df["event_group"].fillna(rowid) if "event_group" in df else rowid
    tie = df["uid"].fillna(rowid) if "uid" in df else rowid
    return group, tie


def events(df: pd.DataFrame) -> pd.DataFrame:
    """One row per event group in `df`: its most precise incident (ties by uid) speaks for it, with
    `event_key` (its group) and `sources` (how many articles report it: the store's count over the
    whole group)."""
    group, tie = _event_keys(df)
    sources = df["event_sources"].fillna(1) if "event_sources" in df else pd.Series(1, index=df.index)
    d = df.assign(event_key=group, _tie=tie, sources=sources, _prec=df["precision"].fillna(3))
    return d.sort_values(["_prec", "_tie"]).drop_duplicates("event_key").drop(columns=["_tie", "_prec"])


def marker_payload(df: pd.DataFrame, lang: str = "en") -> dict:
    """Compact rows for the browser plus lookup tables (names, types, colours). Names and types
    are HTML-escaped (article text is untrusted); passages are not sent at all. In Arabic the
    Arabic name comes first and the type is the event type's Arabic name."""
    d = df.dropna(subset=["lat", "lon"])
    d = d.assign(precision=d["precision"].fillna(3).astype(int))
    # One marker per event, at its most precise report; events at one point share it: the newest
    # speaks for it, and the count says how many more the detail panel will list.
    # 23k ACLED rows -> 2.8k markers.
    d = events(d).sort_values("date", ascending=False, na_position="last")
    groups = d.groupby(["lat", "lon", "precision"], sort=False)
    count = groups.size()
    d = groups.first().assign(n=count).reset_index()
    en = d["name_en"].fillna(d["place_text"]).fillna("?").astype(str)
    ar = d["name_ar"].fillna("").astype(str)
    if lang == "ar":
        full = ar.where(ar != "", en).where((ar == "") | (ar == en), ar + " (" + en + ")")
    else:
        full = en.where((ar == "") | (ar == en), en + " (" + ar + ")")
    name_idx, names = pd.factorize(full)
    if lang == "ar":
        from dashboard.i18n import Tr

        kind = d["event_type"].map(Tr("ar").event_type).astype(str)
    else:
        kind = d["sub_event_type"].fillna(d["event_type"]).fillna("").astype(str)
    type_idx, types = pd.factorize(kind)
    first_event = d["event_type"].groupby(type_idx).first() if len(d) else pd.Series(dtype=str)
    prec = d["precision"]
    radius_km = d["radius_km"].where(d["radius_km"].fillna(0) > 0, prec.map(DEFAULT_RADIUS_KM).fillna(5.0))
    days = (d["date"] - pd.Timestamp("1970-01-01")).dt.days.fillna(-1).astype(int)
    review = d["review_status"].map({"reviewed": 1, "rejected": 2}).fillna(0).astype(int) if "review_status" in d \
        else pd.Series(0, index=d.index)
    rows = [list(r) for r in zip(d["lat"].astype(float).round(5).tolist(), d["lon"].astype(float).round(5).tolist(),
                                 d["rowid"].astype(int).tolist(), type_idx.tolist(), name_idx.tolist(), prec.tolist(),
                                 (radius_km * 1000).round().astype(int).tolist(), days.tolist(),
                                 d["n"].astype(int).tolist(), d["sources"].astype(int).tolist(),
                                 review.tolist())]
    return {"rows": rows, "names": [html.escape(n) for n in names], "types": [html.escape(t) for t in types],
            "colours": [colour(first_event.get(i)) for i in range(len(types))]}


def marker_callback(payload: dict, tr=None) -> str:
    from dashboard.i18n import Tr

    tr = tr or Tr("en")
    words = {"unknown": tr("date_unknown"), "events": tr("tip_events"), "sources": tr("tip_sources"),
             "reviewed": tr("tip_reviewed"), "rejected": tr("tip_rejected"), "rtl": tr.rtl,
             "digits": "٠١٢٣٤٥٦٧٨٩" if tr.rtl else "", "sep": tr("sep")}
    return CALLBACK_TEMPLATE % {**{k: json.dumps(payload[k], ensure_ascii=False) for k in ("names", "types", "colours")},
                                "reviewed": REVIEWED_COLOUR, "words": json.dumps(words, ensure_ascii=False)}


@st.cache_resource(show_spinner=False, max_entries=32)
def marker_payload_for(path: str, version: float, filters_key: str, lang: str = "en") -> dict:
    """The map's marker payload for one filter state (reruns on click or toggle reuse it)."""
    from dashboard.data import load_incidents
    from dashboard.filters import Filters, apply

    params = json.loads(filters_key)
    f = Filters.from_params(lambda k: params[k] if isinstance(params.get(k), list) else
                            ([params[k]] if k in params else []))
    return marker_payload(apply(load_incidents(path, version), f), lang)


def offline(element) -> None:
    """No CDN: the element's JS/CSS come with the map (dashboard.assets)."""
    element.default_js = []
    element.default_css = []


def configured_tiles(state) -> tuple[str, str] | None:
    """The online tile layer the user configured — the map settings' URL (`state`: Streamlit's session
    state), else $INCIDENTMAP_TILES — as (URL template, attribution); None: offline, no tiles."""
    url = (state.get("tiles_url") or os.environ.get("INCIDENTMAP_TILES") or "").strip()
    attribution = (state.get("tiles_attr") or os.environ.get("INCIDENTMAP_TILES_ATTRIBUTION") or "").strip()
    return (url, attribution or url) if url else None


def add_tiles(m: folium.Map, tiles) -> None:
    """The tile layer `tiles` asks for (see base_map); none, so nothing is fetched, when it is None."""
    if tiles is True:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)").add_to(m)
    elif tiles:
        url, attribution = tiles
        folium.TileLayer(url, attr=attribution or url, name="tiles (online)").add_to(m)


def base_map(shapes: dict | None = None, extent: pd.DataFrame | None = None, tiles=None,
             bounds=None, labels: dict | None = None, villages_url: str | None = None, tr=None) -> folium.Map:
    """What stays put while filters change: tiles, admin outlines, town labels, legend, the first
    view. Filtering only swaps the incident layers (see incident_layers), so the map keeps its view
    and is not reloaded.

    `tiles`: None or False for the offline map (outlines and town labels on a plain background);
    True for OpenStreetMap; a (URL template, attribution) pair for any online tile server.
    `bounds`: the first view ([[s, w], [n, e]]); else robust_bounds of `extent`'s incidents."""
    # maxZoom on the map itself: without a tile layer (offline) markercluster needs it
    m = folium.Map(location=SYRIA_CENTER, zoom_start=7, tiles=None, control_scale=True, zoom_snap=0.5)
    m.options.update(maxZoom=18, minZoom=3)
    m.default_js = assets.MAP_JS + assets.CLUSTER_JS  # the cluster layer arrives later, its JS must not
    m.default_css = assets.MAP_CSS + assets.CLUSTER_CSS
    add_tiles(m, tiles)
    for kind, weight, dash in (("governorate", 1.5, None), ("district", 0.6, "3 3")):
        fc = (shapes or {}).get(kind)
        if fc:
            layer = folium.GeoJson(fc, name=f"{kind} outlines", interactive=False,
                                   style_function=lambda _f, w=weight, d=dash: {
                                       "color": "#555", "weight": w, "dashArray": d, "fill": False})
            offline(layer)
            layer.add_to(m)
    lang = tr.lang if tr else "en"
    if labels and labels.get("towns"):
        PlaceLabels(labels["towns"], villages_url, lang).add_to(m)
    DrawArea(tr).add_to(m)
    Legend([(tr.event_type(k) if tr else k, v) for k, v in EVENT_COLOURS.items()],
           *((tr("legend_approx"), tr.rtl) if tr else ())).add_to(m)
    if bounds is None and extent is not None and len(extent) and extent["lat"].notna().any():
        bounds = robust_bounds(extent["lat"], extent["lon"])
    if bounds is not None:
        m.fit_bounds(bounds)
    return m


def incident_layers(df: pd.DataFrame, shapes: dict | None = None, choropleth: bool = False,
                    payload: dict | None = None, tr=None, area=None) -> list:
    """The layers that follow the filters: the incident markers and, if asked, the choropleth.
    `payload` is marker_payload(df) when the caller has it cached."""
    layers = []
    if choropleth and (shapes or {}).get("governorate"):
        counts = df.groupby("admin1").size().to_dict()
        top = max(counts.values()) if counts else 1
        fc = {"type": "FeatureCollection", "features": []}
        for f in shapes["governorate"]["features"]:
            n = int(counts.get(f["properties"]["name_en"], 0))
            fc["features"].append({**f, "properties": {**f["properties"], "incidents": n,
                                                       "share": n / top if top else 0}})
        group = folium.FeatureGroup(name="incidents per governorate")
        layer = folium.GeoJson(
            fc, style_function=lambda feat: {"color": "#444", "weight": 1, "fillColor": "#b30000",
                                             "fillOpacity": 0.05 + 0.6 * feat["properties"]["share"]},
            tooltip=folium.GeoJsonTooltip(
                fields=["name_ar", "name_en", "incidents"] if tr and tr.rtl else ["name_en", "name_ar", "incidents"],
                aliases=[tr("choro_governorate") if tr else "Governorate", "",
                         tr("choro_incidents") if tr else "Incidents"]))
        offline(layer)
        layer.add_to(group)
        layers.append(group)
    if area and len(area) >= 3:  # the region filter's outline (also when it came from the URL)
        outline = folium.FeatureGroup(name="area")
        folium.Polygon([(lat, lon) for lon, lat in area], color="#c00", weight=2, dash_array="5 4", fill=False,
                       interactive=False).add_to(outline)
        layers.append(outline)
    group = folium.FeatureGroup(name="incidents")
    payload = payload or marker_payload(df, tr.lang if tr else "en")
    cluster = FastMarkerCluster(payload["rows"], callback=marker_callback(payload, tr),
                                options={"maxClusterRadius": 40, "disableClusteringAtZoom": 11,
                                         "chunkedLoading": True})
    offline(cluster)
    cluster.add_to(group)
    layers.append(group)
    return layers


def build_map(df: pd.DataFrame, shapes: dict | None = None, choropleth: bool = False,
              tiles=None, labels: dict | None = None, tr=None) -> folium.Map:
    """Everything on one standalone map (for export and tests); the app uses base_map + layers."""
    m = base_map(shapes, df, tiles=tiles, labels=labels, tr=tr)
    for layer in incident_layers(df, shapes, choropleth, tr=tr):
        layer.add_to(m)
    return m


def clicked_events(df_all: pd.DataFrame, here: pd.DataFrame) -> list[pd.DataFrame]:
    """The events of the clicked incidents `here`, newest first, each as every incident of its group
    (all its sources, whatever the filters): the ones `here` first, then the others by date and uid."""
    if here.empty:
        return []
    order = events(here).sort_values("date", ascending=False, na_position="last")["event_key"].tolist()
    group, tie = _event_keys(df_all)
    members = df_all.assign(event_key=group, _tie=tie, _elsewhere=~df_all["rowid"].isin(here["rowid"]))
    members = members[members["event_key"].isin(order)].sort_values(["_elsewhere", "date", "_tie"])
    by_event = {g: m.drop(columns=["_tie", "_elsewhere"]) for g, m in members.groupby("event_key", sort=False)}
    return [by_event[g] for g in order]


def clicked_rows(df: pd.DataFrame, clicked: dict | None, tooltip: str | None) -> pd.DataFrame:
    """The incidents at the clicked marker: by the #id in its tooltip, else by its coordinates."""
    import re

    if tooltip:
        m = re.search(r"#(\d+)\s*$", tooltip.strip())
        if m:
            hit = df[df["rowid"] == int(m.group(1))]
            if len(hit):
                r = hit.iloc[0]
                return df[(df["lat"] == r["lat"]) & (df["lon"] == r["lon"])]
    if clicked and clicked.get("lat") is not None:
        near = df[((df["lat"] - clicked["lat"]).abs() < 1e-4) & ((df["lon"] - clicked["lng"]).abs() < 1e-4)]
        return near
    return df.iloc[0:0]


def rows_at(df: pd.DataFrame, rowid: int | None) -> pd.DataFrame:
    """The incidents at the same point as incident `rowid` (what its marker stands for)."""
    if rowid is None:
        return df.iloc[0:0]
    hit = df[df["rowid"] == int(rowid)]
    if hit.empty or pd.isna(hit.iloc[0]["lat"]):
        return hit
    r = hit.iloc[0]
    return df[(df["lat"] == r["lat"]) & (df["lon"] == r["lon"])]
