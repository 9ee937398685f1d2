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

import folium
import pandas as pd
from branca.element import MacroElement, Template
from folium.plugins import FastMarkerCluster

from dashboard import assets

EVENT_COLOURS = {
    "Battles": "#d62728",
    "Explosions/Remote violence": "#ff7f0e",
    "Violence against civilians": "#9467bd",
    "Strategic developments": "#1f77b4",
    "Protests": "#2ca02c",
    "Riots": "#8c564b",
}
OTHER_COLOUR = "#7f7f7f"
REVIEWED_COLOUR = "#0a7d28"  # the ring of an incident an analyst reviewed
DEFAULT_RADIUS_KM = {2: 5.0, 3: 30.0}
SYRIA_CENTER = (35.0, 38.5)

# The callback is an IIFE so the lookup tables (place names, event types, colours) are parsed once;
# each data row is [lat, lon, id, type index, name index, precision, radius in m, days since 1970,
# events at this location, sources (articles) of the newest of them, review (0 auto, 1 reviewed, 2 rejected)].
CALLBACK_TEMPLATE = """
(function () {
    var names = %(names)s, types = %(types)s, colours = %(colours)s, REVIEWED = '%(reviewed)s';
    function day(d) { return d < 0 ? 'date unknown' : new Date(d * 864e5).toISOString().slice(0, 10); }
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
        // Tooltips are bound on first hover: 23k tooltips up front would slow the first paint.
        m.on('mouseover', function () {
            if (!m.getTooltip()) {
                var many = row[8] > 1 ? ' · ' + row[8] + ' events, latest ' : ' · ';
                var sources = row[9] > 1 ? ' · ' + row[9] + ' sources' : '';
                m.bindTooltip((reviewed ? '✓ reviewed · ' : rejected ? '✗ rejected · ' : '') + names[row[4]] + many + day(row[7]) + ' · ' + types[row[3]] + sources + ' #' + row[2]);
                m.openTooltip();
            }
        });
        return m;
    };
})()
"""

LEGEND = """
{% macro html(this, kwargs) %}
<div id="incident-legend" style="position: absolute; bottom: 24px; left: 10px; z-index: 9999;
     background: rgba(255,255,255,0.92); padding: 6px 10px; border-radius: 4px; font: 12px sans-serif;
     box-shadow: 0 1px 4px rgba(0,0,0,0.3);">
  {% for name, colour in this.colours %}
  <div><span style="display:inline-block;width:11px;height:11px;border-radius:50%;background:{{ colour }};
       border:1px solid #222;margin-right:5px"></span>{{ name }}</div>
  {% endfor %}
  <div style="margin-top:4px"><span style="display:inline-block;width:11px;height:11px;border-radius:50%;
       border:2px dashed #555;margin-right:5px"></span>vicinity / area / governorate (approximate)</div>
</div>
{% endmacro %}
"""


class Legend(MacroElement):
    def __init__(self, colours):
        super().__init__()
        self._template = Template(LEGEND)
        self.colours = list(colours)


def colour(event_type: str | None) -> str:
    return EVENT_COLOURS.get(event_type or "", OTHER_COLOUR)


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


def marker_payload(df: pd.DataFrame) -> dict:
    """Compact rows for the browser plus lookup tables (names, types, colours). Names and types
    are HTML-escaped (article text is untrusted); passages are not sent at all."""
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
    full = en.where((ar == "") | (ar == en), en + " (" + ar + ")")
    name_idx, names = pd.factorize(full)
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


def marker_callback(payload: dict) -> str:
    return CALLBACK_TEMPLATE % {**{k: json.dumps(payload[k], ensure_ascii=False) for k in ("names", "types", "colours")},
                                "reviewed": REVIEWED_COLOUR}


def offline(element) -> None:
    """No CDN: the element's JS/CSS come with the map (dashboard.assets)."""
    element.default_js = []
    element.default_css = []


def base_map(shapes: dict | None = None, extent: pd.DataFrame | None = None, tiles: bool = True) -> folium.Map:
    """What stays put while filters change: tiles, admin outlines, legend, the view. Filtering only
    swaps the incident layers (see incident_layers), so the map keeps its view and is not reloaded."""
    m = folium.Map(location=SYRIA_CENTER, zoom_start=7, tiles=None, control_scale=True)
    m.default_js = assets.MAP_JS + assets.CLUSTER_JS  # the cluster layer arrives later, its JS must not
    m.default_css = assets.MAP_CSS + assets.CLUSTER_CSS
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)").add_to(m)
    for kind, weight, dash in (("governorate", 1.5, None), ("district", 0.6, "3 3")):
        fc = (shapes or {}).get(kind)
        if fc:
            layer = folium.GeoJson(fc, name=f"{kind} outlines", interactive=False,
                                   style_function=lambda _f, w=weight, d=dash: {
                                       "color": "#555", "weight": w, "dashArray": d, "fill": False})
            offline(layer)
            layer.add_to(m)
    Legend(EVENT_COLOURS.items()).add_to(m)
    if extent is not None and len(extent) and extent["lat"].notna().any():
        lat, lon = extent["lat"].dropna(), extent["lon"].dropna()
        if lat.max() - lat.min() < 0.05 and lon.max() - lon.min() < 0.05:
            m.location, m.options["zoom"] = [float(lat.mean()), float(lon.mean())], 11
        else:
            m.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    return m


def incident_layers(df: pd.DataFrame, shapes: dict | None = None, choropleth: bool = False,
                    payload: dict | None = None) -> list:
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
            tooltip=folium.GeoJsonTooltip(fields=["name_en", "name_ar", "incidents"],
                                          aliases=["Governorate", "", "Incidents"]))
        offline(layer)
        layer.add_to(group)
        layers.append(group)
    group = folium.FeatureGroup(name="incidents")
    payload = payload or marker_payload(df)
    cluster = FastMarkerCluster(payload["rows"], callback=marker_callback(payload),
                                options={"maxClusterRadius": 40, "disableClusteringAtZoom": 11,
                                         "chunkedLoading": True})
    offline(cluster)
    cluster.add_to(group)
    layers.append(group)
    return layers


def build_map(df: pd.DataFrame, shapes: dict | None = None, choropleth: bool = False,
              tiles: bool = True) -> folium.Map:
    """Everything on one standalone map (for export and tests); the app uses base_map + layers."""
    m = base_map(shapes, df, tiles=tiles)
    for layer in incident_layers(df, shapes, choropleth):
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
