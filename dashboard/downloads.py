"""The table of the filtered incidents and their downloads: CSV, GeoJSON, KML, GeoPackage and the
situation report (HTML, PDF), each of exactly what the current filters show, the report in the
interface's language. Opt-in (sending thousands of rows with their passages on every rerun would
slow each filter change), and lazy: a file is made when its button is clicked (Streamlit calls the
button's function then), from the store's rows of the filtered incidents."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

COLUMNS = ["date", "event_type", "sub_event_type", "name_en", "name_ar", "admin1", "admin2", "precision",
           "confidence", "actor1", "actor2", "fatalities", "passage", "article_title"]


def _rows(db, ids: frozenset) -> list[dict]:
    """The store's rows (as export reads them) of the incidents the filters show."""
    from incidents.store import Store

    store = Store(db, readonly=True)
    try:
        return [r for r in store.incidents() if r["rowid"] in ids]
    finally:
        store.close()


def report_filters(f) -> list[tuple[str, str]]:
    """The dashboard's filters (dashboard.filters.Filters) as the report names them:
    (key of incidents/data/report_*.json without 'f_', value)."""
    if f is None:
        return []
    shown = [("date_from", f.date_from.isoformat() if f.date_from else ""),
             ("date_to", f.date_to.isoformat() if f.date_to else ""),
             ("admin1", ", ".join(f.governorates)), ("admin2", ", ".join(f.districts)),
             ("event_type", ", ".join(f.event_types)), ("actor", ", ".join(f.actors)), ("text", f.text),
             ("max_precision", str(f.max_precision) if f.max_precision < 3 else ""),
             ("review", ", ".join(f.review_status) if set(f.review_status) != {"auto", "reviewed"} else ""),
             ("region", "; ".join(f"{lon:.3f},{lat:.3f}" for lon, lat in f.area)),
             ("include_doubted", "✓" if f.show_doubted else "")]
    return [(k, v) for k, v in shown if v]


def gpkg_bytes(rows: list[dict]) -> bytes:
    from incidents.exports_geo import write_gpkg

    with tempfile.TemporaryDirectory(prefix="incidentmap-gpkg-") as tmp:
        path = Path(tmp) / "incidents.gpkg"
        write_gpkg(rows, path)
        return path.read_bytes()


def kml_text(rows: list[dict]) -> str:
    import io

    from incidents.exports_geo import write_kml

    buf = io.StringIO()
    write_kml(rows, buf)
    return buf.getvalue()


def report_html(rows: list[dict], lang: str, filters, gazetteer: Path | None) -> str:
    from dashboard.data import admin_shapes, place_labels
    from incidents.report import render_html

    shapes, labels = _basemap(gazetteer, admin_shapes, place_labels)
    return render_html(rows, lang=lang, filters=report_filters(filters), shapes=shapes, labels=labels)


def report_pdf(rows: list[dict], lang: str, filters, gazetteer: Path | None) -> bytes:
    from dashboard.data import admin_shapes, place_labels
    from incidents.report import render_pdf

    shapes, labels = _basemap(gazetteer, admin_shapes, place_labels)
    with tempfile.TemporaryDirectory(prefix="incidentmap-report-") as tmp:
        out = Path(tmp) / "report.pdf"
        render_pdf(rows, out, lang=lang, filters=report_filters(filters), shapes=shapes, labels=labels)
        return out.read_bytes()


def _basemap(gazetteer: Path | None, admin_shapes, place_labels) -> tuple[dict, dict]:
    """The map's outlines and town names (cached per gazetteer version by dashboard.data)."""
    if gazetteer is None or not Path(gazetteer).exists():
        return {}, {}
    version = Path(gazetteer).stat().st_mtime
    return admin_shapes(str(gazetteer), version), place_labels(str(gazetteer), version)


def render(tr, db, df: pd.DataFrame, filters=None, gazetteer: Path | None = None) -> None:
    if not st.toggle(tr("table_toggle", n=len(df)), key="show_table"):
        return
    st.dataframe(df[COLUMNS].head(5000), width="stretch", hide_index=True)
    if len(df) > 5000:
        st.caption(tr("table_first"))
    from incidents.acled import csv_text, to_geojson
    from incidents.report import RendererMissing, chromium_path

    ids = frozenset(int(i) for i in df["rowid"])
    rows = lambda: _rows(db, ids)  # noqa: E731  (read when a button is clicked)
    lang = tr.lang
    st.caption(tr("downloads_hint"))
    safe = st.checkbox(tr("csv_neutralise"), value=True, key="csv_neutralise", help=tr("csv_neutralise_help"))
    c = st.columns(6)
    c[0].download_button(tr("download_csv"), lambda: csv_text(rows(), neutralise=safe), "incidents.csv", "text/csv",
                         on_click="ignore", key="dl_csv")
    c[1].download_button(tr("download_geojson"), lambda: json.dumps(to_geojson(rows()), ensure_ascii=False),
                         "incidents.geojson", "application/geo+json", on_click="ignore", key="dl_geojson")
    c[2].download_button(tr("download_kml"), lambda: kml_text(rows()), "incidents.kml",
                         "application/vnd.google-earth.kml+xml", on_click="ignore", key="dl_kml")
    c[3].download_button(tr("download_gpkg"), lambda: gpkg_bytes(rows()), "incidents.gpkg",
                         "application/geopackage+sqlite3", on_click="ignore", key="dl_gpkg")
    c[4].download_button(tr("download_report_html"), lambda: report_html(rows(), lang, filters, gazetteer),
                         f"report-{lang}.html", "text/html", on_click="ignore", key="dl_report_html")
    try:
        chromium_path()
        pdf_missing = None
    except RendererMissing as exc:
        pdf_missing = str(exc)
    c[5].download_button(tr("download_report_pdf"), lambda: report_pdf(rows(), lang, filters, gazetteer),
                         f"report-{lang}.pdf", "application/pdf", on_click="ignore", key="dl_report_pdf",
                         disabled=pdf_missing is not None, help=tr("report_pdf_needs_chromium") if pdf_missing else None)
