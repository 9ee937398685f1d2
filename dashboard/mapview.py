"""The folium map: incident markers, precision drawn honestly, admin outlines, legend, choropleth.

* Markers go through one FastMarkerCluster carrying only coordinates, the row id, a colour and a
  short escaped label: passages stay on the server and are fetched when a marker is clicked, so
  23k incidents load about as fast as a dozen.
* Precision 1 (the village itself) is a filled dot; precision 2-3 (vicinity, mountain area,
  governorate) is a hollow dashed circle sized to its uncertainty in metres, so nobody mistakes
  it for an exact village.
* Governorate and district outlines from the gazetteer's polygons are always drawn: when map
  tiles cannot load (offline), the map still shows where things are.
* Every JS/CSS file comes from the app itself (dashboard.assets), never from a CDN.
* Article text is untrusted: labels are HTML-escaped before they reach Leaflet.
"""

from __future__ import annotations

import html

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
DEFAULT_RADIUS_KM = {2: 5.0, 3: 30.0}
SYRIA_CENTER = (35.0, 38.5)

MARKER_CALLBACK = """
function (row) {
    var ll = new L.LatLng(row[0], row[1]);
    var m;
    if (row[5] <= 1) {
        m = L.circleMarker(ll, {radius: 7, color: '#222', weight: 1, fillColor: row[3], fillOpacity: 0.9});
    } else {
        m = L.circle(ll, {radius: row[6], color: row[3], weight: 2, dashArray: '6 4', fill: true,
                          fillOpacity: 0.04});
    }
    m.bindTooltip(row[4]);
    return m;
}
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


def label(row) -> str:
    name = row.name_en or row.place_text or "?"
    if row.name_ar and row.name_ar != name:
        name = f"{name} ({row.name_ar})"
    day = row.date.date().isoformat() if pd.notna(row.date) else "date unknown"
    return html.escape(f"{name} · {day} · {row.sub_event_type or row.event_type or ''} #{row.rowid}")


def marker_rows(df: pd.DataFrame) -> list[list]:
    rows = []
    for r in df.itertuples(index=False):
        if pd.isna(r.lat) or pd.isna(r.lon):
            continue
        prec = int(r.precision) if pd.notna(r.precision) else 3
        radius_km = r.radius_km if pd.notna(r.radius_km) and r.radius_km else DEFAULT_RADIUS_KM.get(prec, 5.0)
        rows.append([round(float(r.lat), 5), round(float(r.lon), 5), int(r.rowid), colour(r.event_type),
                     label(r), prec, round(radius_km * 1000)])
    return rows


def _offline(element) -> None:
    element.default_js = []
    element.default_css = []


def build_map(df: pd.DataFrame, shapes: dict | None = None, choropleth: bool = False,
              tiles: bool = True) -> folium.Map:
    m = folium.Map(location=SYRIA_CENTER, zoom_start=7, tiles=None, control_scale=True)
    m.default_js, m.default_css = assets.MAP_JS, assets.MAP_CSS
    if tiles:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap (online)").add_to(m)
    shapes = shapes or {}
    for kind, weight, dash in (("governorate", 1.5, None), ("district", 0.6, "3 3")):
        fc = shapes.get(kind)
        if not fc:
            continue
        if kind == "governorate" and choropleth:
            continue
        layer = folium.GeoJson(fc, name=f"{kind} outlines", control=True, interactive=False,
                               style_function=lambda _f, w=weight, d=dash: {
                                   "color": "#555", "weight": w, "dashArray": d, "fill": False})
        _offline(layer)
        layer.add_to(m)
    if choropleth and shapes.get("governorate"):
        counts = df.groupby("admin1").size().to_dict()
        top = max(counts.values()) if counts else 1
        fc = {"type": "FeatureCollection", "features": []}
        for f in shapes["governorate"]["features"]:
            n = int(counts.get(f["properties"]["name_en"], 0))
            fc["features"].append({**f, "properties": {**f["properties"], "incidents": n,
                                                       "share": n / top if top else 0}})
        layer = folium.GeoJson(
            fc, name="incidents per governorate",
            style_function=lambda feat: {"color": "#444", "weight": 1, "fillColor": "#b30000",
                                         "fillOpacity": 0.05 + 0.6 * feat["properties"]["share"]},
            tooltip=folium.GeoJsonTooltip(fields=["name_en", "name_ar", "incidents"],
                                          aliases=["Governorate", "", "Incidents"]))
        _offline(layer)
        layer.add_to(m)
    cluster = FastMarkerCluster(marker_rows(df), callback=MARKER_CALLBACK, name="incidents",
                                options={"maxClusterRadius": 40, "disableClusteringAtZoom": 11})
    cluster.default_js, cluster.default_css = assets.CLUSTER_JS, assets.CLUSTER_CSS
    cluster.add_to(m)
    present = [(k, v) for k, v in EVENT_COLOURS.items() if k in set(df["event_type"].dropna())] or \
        list(EVENT_COLOURS.items())
    Legend(present).add_to(m)
    if len(df) and df["lat"].notna().any():
        lat, lon = df["lat"].dropna(), df["lon"].dropna()
        if lat.max() - lat.min() < 0.05 and lon.max() - lon.min() < 0.05:
            m.location, m.options["zoom"] = [float(lat.mean()), float(lon.mean())], 11
        else:
            m.fit_bounds([[float(lat.min()), float(lon.min())], [float(lat.max()), float(lon.max())]])
    return m


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
