"""What the dashboard and the shared reports draw the same way, in one place: the colour of each
event type, the source passage with its place highlighted (right to left for Arabic, escaped), the
governorate/district outlines and the town names of the offline map, from the gazetteer.

Pure: no Streamlit, no rendering. The dashboard caches these per gazetteer version
(dashboard.data); incidents.report and incidents.exports_geo call them directly.
"""

from __future__ import annotations

import html
from pathlib import Path

from geodata.normalize import is_arabic

EVENT_COLOURS = {
    "Battles": "#d62728",
    "Explosions/Remote violence": "#ff7f0e",
    "Violence against civilians": "#9467bd",
    "Strategic developments": "#1f77b4",
    "Protests": "#2ca02c",
    "Riots": "#8c564b",
}
OTHER_COLOUR = "#7f7f7f"
DEFAULT_RADIUS_KM = {2: 5.0, 3: 30.0}  # how a coarse place is drawn when it has no radius of its own


def colour(event_type: str | None) -> str:
    return EVENT_COLOURS.get(event_type or "", OTHER_COLOUR)


def radius_km(precision: int | None, radius: float | None) -> float:
    """The circle a coarse place (precision 2-3) is drawn with: its own radius, else a default."""
    if radius:
        return float(radius)
    return DEFAULT_RADIUS_KM.get(int(precision or 3), 5.0)


def passage_html(passage: str, passage_start: int, place_start: int | None, place_end: int | None) -> str:
    """The passage as an escaped <blockquote>, the place name in <mark> (offsets are the article's)."""
    rtl = is_arabic(passage)
    if place_start is not None and place_end is not None and passage_start <= place_start < place_end:
        a, b = place_start - passage_start, place_end - passage_start
        if b <= len(passage):
            body = (html.escape(passage[:a]) + "<mark>" + html.escape(passage[a:b]) + "</mark>"
                    + html.escape(passage[b:]))
        else:
            body = html.escape(passage)
    else:
        body = html.escape(passage)
    direction = 'dir="rtl" style="text-align:right;font-size:1.05em"' if rtl else 'dir="ltr"'
    return f'<blockquote class="incident-passage" {direction}>{body}</blockquote>'


def load_gazetteer(gazetteer):
    """A loaded Gazetteer from itself or its index file; None when there is no index."""
    from geodata.gazetteer import Gazetteer

    if gazetteer is None or isinstance(gazetteer, Gazetteer):
        return gazetteer
    return Gazetteer.load(str(gazetteer)) if Path(gazetteer).exists() else None


def admin_shapes(gazetteer) -> dict:
    """Governorate and district outlines {kind: GeoJSON FeatureCollection or None}, simplified for a
    map. `gazetteer`: a Gazetteer or its index file."""
    from shapely.geometry import mapping, shape

    g = load_gazetteer(gazetteer)
    if g is None:
        return {"governorate": None, "district": None}
    out = {}
    for kind, tol in (("governorate", 0.01), ("district", 0.005)):
        feats = []
        for pid, geom in g.shapes((kind,)).items():
            p = g.places[pid]
            simple = shape(geom).simplify(tol, preserve_topology=True)
            feats.append({"type": "Feature", "geometry": mapping(simple),
                          "properties": {"id": pid, "name_en": p.name_en, "name_ar": p.name_ar,
                                         "admin1": p.admin1.name_en if p.admin1 else p.name_en}})
        out[kind] = {"type": "FeatureCollection", "features": feats} if feats else None
    return out


def place_labels(gazetteer) -> dict:
    """Town names for the offline map, from the gazetteer: `towns` = [[lat, lon, name_en, name_ar,
    min zoom]] for governorate seats (zoom 6+: the most populous locality of each governorate),
    district towns (8+: the locality named like its district, else its most populous) and other
    towns of 20,000+ people (9+); `villages` = [[lat, lon, name_en, name_ar]] for every other Syrian
    locality. `gazetteer`: a Gazetteer or its index file."""
    from geodata.normalize import name_keys

    g = load_gazetteer(gazetteer)
    if g is None:
        return {"towns": [], "villages": []}
    locs = [p for p in g.places.values() if p.country == "SY" and p.kind in ("locality", "city")
            and p.lat is not None and p.lon is not None]
    level: dict[str, int] = {}
    by_gov: dict[str, list] = {}
    by_dist: dict[str, list] = {}
    for p in locs:
        if p.admin1:
            by_gov.setdefault(p.admin1.id, []).append(p)
        if p.admin2:
            by_dist.setdefault(p.admin2.id, []).append(p)
        if (p.population or 0) >= 20000:
            level[p.id] = 9
    for members in by_gov.values():
        level[max(members, key=lambda p: (p.population or 0, p.id)).id] = 6
    for dist_id, members in by_dist.items():
        d = g.places.get(dist_id)
        keys = {k for n in ((d.name_en, d.name_ar) if d else ()) if n for k in name_keys(n)[:1]}
        named = [p for p in members if keys & {name_keys(n)[0] for n in (p.name_en, p.name_ar) if n}]
        best = max(named or members, key=lambda p: (p.population or 0, p.id))
        level[best.id] = min(level.get(best.id, 8), 8)
    towns = [[round(p.lat, 4), round(p.lon, 4), p.name_en or p.name_ar, p.name_ar or p.name_en, level[p.id]]
             for p in locs if p.id in level]
    villages = [[round(p.lat, 4), round(p.lon, 4), p.name_en or p.name_ar, p.name_ar or p.name_en]
                for p in locs if p.id not in level and (p.name_en or p.name_ar)]
    return {"towns": sorted(towns, key=lambda t: t[4]), "villages": villages}
