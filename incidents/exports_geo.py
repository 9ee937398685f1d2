"""`export --format kml` and `--format gpkg`: the export's rows for Google Earth and QGIS.

* KML (simplekml): one Placemark per incident (or per event with `--events`) in a folder per
  governorate; its name is the place, its TimeStamp the date, its description the date, type,
  the passage, the source and a link to the article; one shared style per event type, in the
  colours of the map (incidents.present).
* GeoPackage (pyogrio, GDAL's own writer): one point layer `incidents` (EPSG:4326), one feature
  per incident (or event) with the export's columns (incidents.acled.EXPORT_COLUMNS), typed:
  numbers stay numbers, empty values are NULL.

Rows without coordinates cannot be placed and are left out of both (as in GeoJSON); the count
returned is what was written.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from pathlib import Path

from incidents.acled import EXPORT_COLUMNS, to_acled_row
from incidents.present import EVENT_COLOURS, colour

INTEGER_COLUMNS = {"time_precision", "geo_precision", "fatalities", "passage_start", "passage_end", "place_start",
                   "place_end", "event_sources"}
REAL_COLUMNS = {"latitude", "longitude", "confidence", "radius_km"}


def _placed(items: Iterable, row) -> Iterable[dict]:
    for item in items:
        r = row(item)
        if r.get("latitude") is not None and r.get("longitude") is not None:
            yield r


def _description(r: dict) -> str:
    """The Placemark's balloon: HTML with the text escaped (passages are untrusted)."""
    e = lambda v: html.escape("" if v is None else str(v))  # noqa: E731
    url = r.get("article_url") or ""
    link = f'<a href="{e(url)}">{e(url)}</a>' if url.startswith(("http://", "https://")) else ""
    rtl = ' dir="rtl"' if any("\u0600" <= c <= "\u06ff" for c in (r.get("notes") or "")[:200]) else ""
    lines = [f"<b>{e(r.get('event_date'))}</b> · {e(r.get('event_type'))}"
             + (f" / {e(r.get('sub_event_type'))}" if r.get("sub_event_type") else ""),
             f"{e(r.get('location'))}" + (f" ({e(r.get('location_ar'))})" if r.get("location_ar") else "")
             + (f", {e(r.get('admin1'))}" if r.get("admin1") else ""),
             f"<p{rtl}>{e(r.get('notes'))}</p>",
             f"Source: {e(r.get('source'))}" + (f" — {e(r.get('article_title'))}" if r.get("article_title") else ""),
             link, f"id: {e(r.get('event_id_cnty'))}"]
    return "<br>".join(x for x in lines if x)


def kml_document(items: Iterable, row=to_acled_row, name: str = "incidentmap"):
    """(simplekml.Kml, number of Placemarks) for the export rows of `items`."""
    import simplekml

    kml = simplekml.Kml(name=name)
    styles = {}
    for t, c in [*EVENT_COLOURS.items(), ("", colour(None))]:
        st = simplekml.Style()
        st.iconstyle.color = simplekml.Color.rgb(int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16))
        st.iconstyle.scale = 0.9
        st.iconstyle.icon.href = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"
        st.labelstyle.scale = 0.8
        styles[t] = st
    folders: dict[str, object] = {}
    n = 0
    for r in _placed(items, row):
        gov = r.get("admin1") or "—"
        if gov not in folders:
            folders[gov] = kml.newfolder(name=gov)
        p = folders[gov].newpoint(name=r.get("location") or r.get("location_ar") or "?",
                                  coords=[(float(r["longitude"]), float(r["latitude"]))])
        p.description = _description(r)
        if r.get("event_date"):
            p.timestamp.when = str(r["event_date"])
        p.style = styles.get(r.get("event_type") or "", styles[""])
        p.extendeddata.newdata("event_id_cnty", r.get("event_id_cnty"))
        p.extendeddata.newdata("event_type", r.get("event_type"))
        p.extendeddata.newdata("geo_precision", r.get("geo_precision"))
        n += 1
    return kml, n


def write_kml(items: Iterable, out, row=to_acled_row) -> int:
    """KML to a path or an open text file; returns the number of Placemarks."""
    kml, n = kml_document(items, row)
    text = kml.kml(format=False)  # minidom pretty-printing took most of the time (26k placemarks: 32 s)
    if isinstance(out, (str, Path)):
        Path(out).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return n


def gpkg_table(items: Iterable, row=to_acled_row):
    """A pyarrow table: the export's columns, typed, and a WKB point `geometry`."""
    import pyarrow as pa
    import shapely

    rows = list(_placed(items, row))
    cols = {}
    for c in EXPORT_COLUMNS:
        values = [r.get(c) for r in rows]
        if c in INTEGER_COLUMNS:
            cols[c] = pa.array([None if v in (None, "") else int(v) for v in values], pa.int64())
        elif c in REAL_COLUMNS:
            cols[c] = pa.array([None if v in (None, "") else float(v) for v in values], pa.float64())
        else:
            cols[c] = pa.array([None if v in (None, "") else str(v) for v in values], pa.string())
    points = shapely.points([float(r["longitude"]) for r in rows], [float(r["latitude"]) for r in rows])
    cols["geometry"] = pa.array(shapely.to_wkb(points) if rows else [], pa.binary())
    return pa.table(cols)


def write_gpkg(items: Iterable, path: str | Path, row=to_acled_row, layer: str = "incidents") -> int:
    """A GeoPackage with one point layer; an existing file is replaced. Returns the number of features."""
    import pyogrio

    path = Path(path)
    table = gpkg_table(items, row)
    tmp = path.with_name(path.name + ".part.gpkg")
    tmp.unlink(missing_ok=True)
    pyogrio.write_arrow(table, str(tmp), layer=layer, driver="GPKG", geometry_name="geometry",
                        geometry_type="Point", crs="EPSG:4326")
    tmp.replace(path)
    return table.num_rows
