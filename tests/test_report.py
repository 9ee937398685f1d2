"""Sharing what the map shows (issue 22): the situation report (HTML opened in Chromium with the
network blocked, PDF read back with pdftotext), KML (one Placemark per incident) and GeoPackage
(the standard tables, one feature per incident), from Python and from the command line."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
KML = "{http://www.opengis.net/kml/2.2}"

# Three events: one reported twice (an Arabic and an English report), a coarse one (governorate),
# and one whose passage tries to run script. Offsets are the article's, as the store keeps them.
AR1 = "قصفت قوات النظام صباح اليوم بلدة كنصفرة في جبل الزاوية بريف إدلب الجنوبي."
EN1 = "Regime forces shelled the town of Kansafra in Jabal al-Zawiya on Monday."
AR2 = "غارات جوية على ريف حماة الشمالي من دون أنباء عن إصابات."
EN3 = "An IED <script>window.__pwned=1</script> exploded in Saraqib, killing two."


def _row(n, group, day, etype, passage, place, name_en, name_ar, lat, lon, precision, admin1, admin1_ar,
         source, url="", radius=None, fatalities=None):
    start = 1000 * n
    p0 = start + passage.index(place)
    return {"rowid": n, "uid": f"u{n:03d}", "event_group": group, "article_key": f"art{n}", "date": day,
            "event_type": etype, "sub_event_type": "", "name_en": name_en, "name_ar": name_ar, "place_text": place,
            "lat": lat, "lon": lon, "precision": precision, "radius_km": radius, "admin1": admin1,
            "admin1_ar": admin1_ar, "admin2": None, "passage": passage, "passage_start": start, "passage_end":
            start + len(passage), "place_start": p0, "place_end": p0 + len(place), "article_title": f"Report {n}",
            "article_source": source, "article_url": url, "source_kind": "news", "review_status":
            "reviewed" if n == 1 else "auto", "fatalities": fatalities, "event_sources": 1}


def rows() -> list[dict]:
    return [
        _row(1, "EG-a", "2020-09-21", "Explosions/Remote violence", AR1, "كنصفرة", "Kansafra", "كنصفرة", 35.62, 36.53,
             1, "Idlib", "إدلب", "Enab Baladi", "https://example.org/ar/1"),
        _row(2, "EG-a", "2020-09-21", "Explosions/Remote violence", EN1, "Kansafra", "Kansafra", "كنصفرة", 35.62,
             36.53, 1, "Idlib", "إدلب", "SANA English"),
        _row(3, "EG-b", "2020-09-14", "Explosions/Remote violence", AR2, "حماة", "Hama", "حماة", 35.13, 36.75, 3,
             "Hama", "حماة", "Orient"),
        _row(4, "EG-c", "2020-09-22", "Violence against civilians", EN3, "Saraqib", "Saraqib", "سراقب", 35.86, 36.8,
             1, "Idlib", "إدلب", "Reuters", "https://example.org/en/4", fatalities=2),
    ]


SHAPES = {"governorate": {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name_en": "Idlib", "name_ar": "إدلب"},
     "geometry": {"type": "Polygon", "coordinates": [[[36.2, 35.4], [37.0, 35.4], [37.0, 36.2], [36.2, 36.2],
                                                      [36.2, 35.4]]]}}]}, "district": None}
LABELS = {"towns": [[35.93, 36.63, "Idlib", "إدلب", 6], [35.14, 36.75, "Hama", "حماة", 6]], "villages": []}


# ---- KML and GeoPackage ------------------------------------------------------------------------
def test_kml_has_one_placemark_per_incident_in_governorate_folders(tmp_path):
    from incidents.exports_geo import write_kml

    out = tmp_path / "x.kml"
    assert write_kml(rows(), str(out)) == 4
    root = ET.parse(out).getroot()
    marks = root.findall(f".//{KML}Placemark")
    assert len(marks) == 4
    folders = {f.findtext(f"{KML}name"): len(f.findall(f"{KML}Placemark")) for f in root.iter(f"{KML}Folder")}
    assert folders == {"Idlib": 3, "Hama": 1}
    by_name = {m.findtext(f"{KML}name"): m for m in marks}
    saraqib = by_name["Saraqib"]
    assert saraqib.findtext(f"{KML}TimeStamp/{KML}when") == "2020-09-22"
    desc = saraqib.findtext(f"{KML}description")
    assert "&lt;script&gt;" in desc and "<script>" not in desc  # the passage is text, not markup
    assert "https://example.org/en/4" in desc and "Reuters" in desc
    # one shared style per event type, with the map's colours (KML: aabbggrr)
    style = saraqib.findtext(f"{KML}styleUrl").lstrip("#")
    colours = {s.get("id"): s.findtext(f"{KML}IconStyle/{KML}color") for s in root.iter(f"{KML}Style")}
    assert colours[style] == "ffbd6794"  # Violence against civilians #9467bd
    assert len({m.findtext(f"{KML}styleUrl") for m in marks}) == 2


def test_kml_per_event_and_rows_without_coordinates_left_out(tmp_path):
    from incidents.acled import to_event_row
    from incidents.exports_geo import write_kml

    events = [("EG-a", rows()[:2]), ("EG-b", rows()[2:3])]
    out = tmp_path / "e.kml"
    assert write_kml(events, str(out), row=to_event_row) == 2
    assert len(ET.parse(out).getroot().findall(f".//{KML}Placemark")) == 2
    unplaced = dict(rows()[3], lat=None, lon=None)
    assert write_kml([unplaced], str(tmp_path / "none.kml")) == 0


def test_geopackage_standard_tables_and_one_feature_per_incident(tmp_path):
    from incidents.acled import EXPORT_COLUMNS
    from incidents.exports_geo import write_gpkg

    out = tmp_path / "x.gpkg"
    assert write_gpkg(rows(), out) == 4
    with open(out, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"
    con = sqlite3.connect(out)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # 'GPKG'
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys", "incidents"} <= tables
    assert con.execute("SELECT table_name, data_type, srs_id FROM gpkg_contents").fetchall() == \
        [("incidents", "features", 4326)]
    geom_col, gtype, srs = con.execute("SELECT column_name, geometry_type_name, srs_id FROM gpkg_geometry_columns "
                                       "WHERE table_name='incidents'").fetchone()
    assert (gtype, srs) == ("POINT", 4326)
    assert con.execute("SELECT count(*) FROM incidents").fetchone()[0] == 4
    cols = {r[1]: r[2] for r in con.execute("PRAGMA table_info(incidents)")}
    assert set(EXPORT_COLUMNS) <= set(cols)
    assert cols["fatalities"].upper().startswith("INT") and cols["latitude"].upper() in ("REAL", "DOUBLE")
    assert con.execute("SELECT fatalities FROM incidents WHERE location='Saraqib'").fetchone()[0] == 2
    assert con.execute("SELECT fatalities FROM incidents WHERE location='Hama'").fetchone()[0] is None
    con.close()
    import pyogrio
    import shapely

    meta = pyogrio.read_info(out)  # GDAL reads it back as QGIS would
    assert meta["features"] == 4 and meta["geometry_type"] == "Point" and "4326" in meta["crs"]
    _, _, geoms, _ = pyogrio.raw.read(out)
    assert sorted(round(p.x, 2) for p in shapely.from_wkb(geoms)) == [36.53, 36.53, 36.75, 36.8]


# ---- the report: structure -------------------------------------------------------------------
def test_events_group_reports_newest_first_and_shares():
    from incidents.report import group_events, summarise

    events = group_events(rows())
    assert [e.gid for e in events] == ["EG-c", "EG-a", "EG-b"]
    assert [len(e.members) for e in events] == [1, 2, 1]
    s = summarise(events)
    assert (s["events"], s["incidents"], s["articles"]) == (3, 4, 4)
    assert dict(s["by_governorate"]) == {"Idlib": 2, "Hama": 1}
    assert dict(s["by_week"]) == {"2020-09-14": 1, "2020-09-21": 2}
    assert s["precision"] == {1: 3, 2: 0, 3: 1, None: 0} and s["reviewed"] == 1


def test_report_catalogues_have_the_same_keys_and_the_dashboards_type_names():
    from incidents.words import DATA

    en, ar = (json.loads((DATA / f"report_{lang}.json").read_text(encoding="utf-8")) for lang in ("en", "ar"))
    assert set(en) == set(ar)
    for k, v in en.items():
        if isinstance(v, str):
            assert set(re.findall(r"{(\w+)}", v)) == set(re.findall(r"{(\w+)}", ar[k])), k
    dash = {lang: json.loads((ROOT / "dashboard" / "locales" / f"{lang}.json").read_text(encoding="utf-8"))
            for lang in ("en", "ar")}
    for lang, cat in (("en", en), ("ar", ar)):
        for k in [k for k in cat if k.startswith("type:")] + ["months"]:
            assert cat[k] == dash[lang][k], (lang, k)


# ---- the report in a browser with the network blocked -------------------------------------------
@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open_offline(browser, path: Path):
    """Open a file with every request that is not file:// blocked (and recorded)."""
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    blocked = []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(path.as_uri())
    page.wait_for_selector("body[data-map-ready]", timeout=20_000)
    return page, blocked


@pytest.mark.browser
def test_html_report_offline_shows_markers_passages_and_counts(tmp_path, browser):
    from incidents.report import render_html

    out = tmp_path / "r.html"
    out.write_text(render_html(rows(), title="Weekly report", filters=[("admin1", "Idlib")], shapes=SHAPES,
                               labels=LABELS), encoding="utf-8")
    page, blocked = _open_offline(browser, out)
    assert blocked == []  # nothing fetched: Leaflet, data, fonts are in the file
    assert page.evaluate("typeof L") == "object"
    # one marker per place of an event: Kansafra (2 reports, 1 event), Hama (dashed circle), Saraqib
    assert page.get_attribute("body", "data-map-ready") == "3"
    assert page.locator("#map path.leaflet-interactive").count() == 3
    assert page.locator("#map path.leaflet-interactive[stroke-dasharray]").count() == 1  # Hama, precision 3
    assert page.locator(".place-label").count() >= 1  # town names drawn on the map
    assert page.locator("#map path:not(.leaflet-interactive)").count() >= 1  # the governorate outline
    text = page.inner_text("body")
    assert "Weekly report" in text and "governorate: Idlib" in text
    assert "20 Sep 2020" not in text and "14 Sep 2020 to 22 Sep 2020" in text
    for passage in (AR1, EN1, AR2):
        assert passage in text
    assert "window.__pwned=1" in text and page.evaluate("window.__pwned") is None  # shown, never run
    assert [m.inner_text() for m in page.locator("mark").all()] == ["Saraqib", "كنصفرة", "Kansafra", "حماة"]
    headings = page.locator("article.ev h3").all_inner_texts()
    assert len(headings) == 3 and headings[0].startswith("22 Sep 2020")  # newest first
    counts = page.locator("table.counts").first.inner_text()
    assert re.search(r"Idlib\s+2", counts) and re.search(r"Hama\s+1", counts)
    assert "3 events from 4 reports in 4 article(s)" in text
    assert re.search(r"the place itself \(precision 1\)\s+75 %", text)
    assert page.locator("#timeline svg").count() == 1
    # a marker's popup links to its event in the table
    page.locator("#map path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".leaflet-popup-content a[href^='#ev-']", timeout=5_000)


@pytest.mark.browser
def test_arabic_report_is_right_to_left(tmp_path, browser):
    from incidents.report import render_html

    out = tmp_path / "ar.html"
    out.write_text(render_html(rows(), lang="ar", shapes=SHAPES, labels=LABELS), encoding="utf-8")
    page, blocked = _open_offline(browser, out)
    assert blocked == []
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    text = page.inner_text("body")
    assert "تقرير الوضع" in text and "٣ حدثاً من ٤ تقريراً" in text
    assert "حماة" in page.locator("article.ev h3").last.inner_text()  # Arabic place names
    assert page.evaluate("document.fonts.check('12px \"Report Sans\"', 'كنصفرة')")


# ---- the PDF ---------------------------------------------------------------------------------
def _pdftotext(path: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("needs pdftotext (poppler-utils; .ci/run installs it)")
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def _needs_chromium():
    from incidents.report import RendererMissing, chromium_path

    try:
        chromium_path()
    except RendererMissing as e:
        pytest.skip(str(e))


def test_pdf_names_the_places_and_has_every_event(tmp_path):
    _needs_chromium()
    from incidents.report import render_pdf

    out = tmp_path / "r.pdf"
    render_pdf(rows(), out, shapes=SHAPES, labels=LABELS)
    assert out.read_bytes()[:5] == b"%PDF-"
    text = _pdftotext(out)
    for place in ("Kansafra", "Hama", "Saraqib"):
        assert place in text
    assert "3 events from 4 reports" in text
    assert len(re.findall(r"^\s*2\d Sep 2020 · |^\s*14 Sep 2020 · ", text, re.M)) == 3  # one heading per event
    assert text.count("Source: ") == 4  # every report's passage, with its source
    assert re.search(r"Page 1 of [12]\b", text)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
    assert "A4" in info


def test_pdf_of_many_events_prints_passages_for_the_first_200_only(tmp_path):
    _needs_chromium()
    from incidents.report import PDF_PASSAGES, render_pdf

    base = rows()[3]
    many = [dict(base, rowid=n, uid=f"m{n}", event_group=f"EG-{n}", date=f"2020-{1 + n % 12:02d}-{1 + n % 28:02d}",
                 passage=f"Shelling number {n} hit Saraqib.", passage_start=0, place_start=None, place_end=None)
            for n in range(260)]
    out = tmp_path / "many.pdf"
    render_pdf(many, out)
    text = _pdftotext(out)
    assert PDF_PASSAGES == 200
    assert len(re.findall(r"Shelling number \d+ hit", text)) == 200
    assert "Passages are printed for the first 200 events" in text
    assert "260 events from 260 reports" in text
    pages = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(out)], capture_output=True,
                                                            text=True).stdout).group(1))
    assert f"Page {pages} of {pages}" in text


def test_arabic_pdf_has_arabic_text_and_page_numbers(tmp_path):
    _needs_chromium()
    from incidents.report import render_pdf

    out = tmp_path / "ar.pdf"
    render_pdf(rows(), out, lang="ar", shapes=SHAPES, labels=LABELS)
    text = re.sub("[\u202a-\u202e]", "", _pdftotext(out))  # pdftotext marks the runs' direction
    assert "تقرير الوضع" in text and "كنصفرة" in text  # shaped glyphs that still read as the words
    footers = re.findall(r"صفحة\s*([١-٩])\s*من\s*([١-٩])", text)
    assert footers and footers[0][0] == "١"  # "page 1 of N" in Arabic-Indic digits


# ---- the command line ------------------------------------------------------------------------
@pytest.fixture
def store_path(tmp_path):
    """A store with the rows above, stored as an import (each row its own event)."""
    from geodata.schema import Location
    from incidents.store import Store

    items = []
    for r in rows():
        loc = Location(text=r["place_text"], name_en=r["name_en"], name_ar=r["name_ar"], lat=r["lat"], lon=r["lon"],
                       precision=r["precision"], admin1=r["admin1"], admin1_ar=r["admin1_ar"], country="SY").to_dict()
        items.append({"date": r["date"], "event_type": r["event_type"], "sub_event_type": "", "location": loc,
                      "passage": r["passage"], "passage_start": 0, "passage_end": len(r["passage"]),
                      "place_start": r["place_start"] - r["passage_start"],
                      "place_end": r["place_end"] - r["passage_start"], "evidence": [], "source_kind": "news",
                      "time_precision": 1, "actors": []})
    path = tmp_path / "store.sqlite"
    with Store(path, upgrade=True) as st:
        st.save_rows("test", {"title": "test rows", "source": "tests"}, items)
    return path


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "incidents.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_cli_export_kml_and_gpkg_with_filters(tmp_path, store_path):
    r = _cli("export", "--db", str(store_path), "--format", "kml", "--admin1", "Idlib")
    assert r.returncode == 0, r.stderr
    assert len(ET.fromstring(r.stdout).findall(f".//{KML}Placemark")) == 3
    out = tmp_path / "x.gpkg"
    r = _cli("export", "--db", str(store_path), "--format", "gpkg", "--out", str(out), "--from", "2020-09-20")
    assert r.returncode == 0, r.stderr
    assert sqlite3.connect(out).execute("SELECT count(*) FROM incidents").fetchone()[0] == 3
    r = _cli("export", "--db", str(store_path), "--format", "gpkg")
    assert r.returncode == 2 and "--out" in r.stderr
    from incidents.review import reject
    from incidents.store import Store

    with Store(store_path) as st:
        uid = next(r["uid"] for r in st.incidents() if r["name_en"] == "Hama")
        reject(st, uid, by="test")
    counts = {}
    for review in ("auto", "rejected", None):
        r = _cli("export", "--db", str(store_path), "--format", "kml", *(["--review", review] if review else []))
        assert r.returncode == 0, r.stderr
        counts[review] = len(ET.fromstring(r.stdout).findall(f".//{KML}Placemark"))
    assert counts == {"auto": 3, "rejected": 1, None: 3}  # rejected ones only when asked for


def test_cli_report_html_with_the_export_filters(tmp_path, store_path):
    out = tmp_path / "r.html"
    r = _cli("report", "--db", str(store_path), "--out", str(out), "--event-type", "Explosions/Remote violence",
             "--quiet", "--title", "Shelling this week")
    assert r.returncode == 0, r.stderr
    doc = out.read_text(encoding="utf-8")
    assert "Shelling this week" in doc and "Explosions/Remote violence" in doc
    assert doc.count('<article class="ev"') == 3 and "Saraqib" not in doc.split('id="events"')[1]
    assert "default-src 'none'" in doc  # the page may fetch nothing
    assert not re.search(r"""(src|href)=["']?https?:|url\(["']?https?:|@import""", doc.split('id="events"')[0])
    r = _cli("report", "--db", str(store_path), "--out", str(tmp_path / "r.txt"))
    assert r.returncode == 2 and "FILE.html or FILE.pdf" in r.stderr
    r = subprocess.run([sys.executable, "-m", "incidents.cli", "report", "--db", str(store_path), "--quiet", "--out",
                        str(tmp_path / "r.pdf")], capture_output=True, text=True, cwd=ROOT,
                       env=dict(os.environ, PYTHONPATH=str(ROOT), INCIDENTMAP_CHROMIUM=str(tmp_path / "no-chromium")))
    assert r.returncode == 2 and "needs Chromium" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "r.pdf").exists()



def test_cli_empty_report_names_the_filter_value_nobody_has(tmp_path, store_path):
    """A misspelt governorate gives an empty report, and a note saying no incident has it; a
    governorate the store has gives incidents and no such note."""
    r = _cli("report", "--db", str(store_path), "--out", str(tmp_path / "a.html"), "--admin1", "Nowhere", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "report of 0 incident(s)" in r.stderr and "no stored incident has governorate 'Nowhere'" in r.stderr
    r = _cli("report", "--db", str(store_path), "--out", str(tmp_path / "b.html"), "--admin1", "Idlib", "--quiet")
    assert r.returncode == 0, r.stderr
    assert "report of 0 incident(s)" not in r.stderr and "no stored incident has" not in r.stderr
    r = _cli("export", "--db", str(store_path), "--actor", "Nobody at all")
    assert "0 incident(s) exported" in r.stderr and "no stored incident has actor 'Nobody at all'" in r.stderr

# ---- the dashboard's downloads ---------------------------------------------------------------
def test_dashboard_filters_named_in_the_report():
    from datetime import date

    from dashboard.downloads import report_filters
    from dashboard.filters import Filters

    f = Filters(date_from=date(2020, 9, 14), governorates=["Idlib", "Hama"], max_precision=2,
                review_status=["reviewed"], area=[(36.1, 35.2), (36.9, 35.2), (36.5, 36.0)])
    assert report_filters(f) == [("date_from", "2020-09-14"), ("admin1", "Idlib, Hama"), ("max_precision", "2"),
                                 ("review", "reviewed"), ("region", "36.100,35.200; 36.900,35.200; 36.500,36.000")]
    assert report_filters(Filters()) == []


@pytest.fixture
def dashboard(tmp_path, store_path):
    """The dashboard served on 127.0.0.1 over the test rows' store (no gazetteer: no outlines)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"needs Debian's Chromium at {CHROMIUM} (.ci/run installs it)")
    from test_dashboard_browser import serving

    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(store_path, home / "incidents.sqlite")
    env = dict(os.environ, INCIDENTMAP_HOME=str(home), PYTHONPATH=str(ROOT))
    with serving(env) as url:
        yield url


def _download(page, label: str) -> bytes:
    with page.expect_download(timeout=60_000) as d:
        page.get_by_role("button", name=label).click()
    return Path(d.value.path()).read_bytes()


@pytest.mark.browser
def test_dashboard_downloads_exactly_what_the_filters_show(dashboard, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(dashboard + "?gov=Idlib")
    page.wait_for_selector("#incident-count", timeout=60_000)
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('3 of 4')",
                           timeout=30_000)
    page.get_by_text("Table and downloads (3 incidents)").click()
    page.get_by_role("button", name="KML (Google Earth)").wait_for(timeout=30_000)
    kml = ET.fromstring(_download(page, "KML (Google Earth)"))
    assert {m.findtext(f"{KML}name") for m in kml.iter(f"{KML}Placemark")} == {"Kansafra", "Saraqib"}
    assert len(list(kml.iter(f"{KML}Placemark"))) == 3
    gpkg = _download(page, "GeoPackage (QGIS)")
    assert gpkg[:16] == b"SQLite format 3\x00"
    doc = _download(page, "Report (HTML)").decode("utf-8")
    assert doc.count('<article class="ev"') == 3 and "بلدة <mark>كنصفرة</mark>" in doc and "ريف حماة" not in doc
    assert "governorate</b>: Idlib" in doc
    pdf = _download(page, "Report (PDF)")
    assert pdf[:5] == b"%PDF-"
    page.close()


@pytest.mark.browser
def test_dashboard_report_in_the_interface_language(dashboard, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page.goto(dashboard + "?lang=ar")
    page.wait_for_selector("#incident-count", timeout=60_000)
    page.get_by_text("الجدول والتنزيلات").click()
    page.get_by_role("button", name="التقرير (HTML)").wait_for(timeout=30_000)
    doc = _download(page, "التقرير (HTML)").decode("utf-8")
    assert '<html lang="ar" dir="rtl">' in doc and "تقرير الوضع" in doc
    assert doc.count('<article class="ev"') == 4
    page.close()


def test_report_filters_are_worded_in_the_reports_language():
    """An Arabic report names its filters in Arabic: dates with Arabic month names and digits, the
    event type and review state from the catalogue; a place typed by the analyst stays as typed."""
    from incidents.report import header_html
    from incidents.words import report_words

    s = {"first": "2020-09-14", "last": "2020-09-22", "events": 1, "incidents": 1, "articles": 1}
    filters = [("date_from", "2020-09-14"), ("event_type", "Battles"), ("review", "reviewed"), ("admin1", "Idlib")]
    ar = header_html(report_words("ar"), "t", s, filters)
    en = header_html(report_words("en"), "t", s, filters)
    assert "أيلول" in ar and "١٤" in ar and "2020-09-14" not in ar
    assert "Battles" not in ar and report_words("ar").event_type("Battles") in ar
    assert "راجعها محلل" in ar and ">reviewed<" not in ar
    assert "Idlib" in ar and "Idlib" in en  # typed by the analyst: as typed
    assert "14 Sep 2020" in en and "Battles" in en and "reviewed" in en


def test_report_counts_rejected_incidents_apart_from_reviewed_ones():
    """A report that includes rejected incidents says how many an analyst rejected; one without
    them has no such line, and the reviewed share counts the reviewed ones only."""
    from incidents.report import group_events, precision_html, summarise
    from incidents.words import report_words

    rs = rows()
    rs[0]["review_status"], rs[1]["review_status"] = "reviewed", "rejected"
    w = report_words("en")
    html = precision_html(w, summarise(group_events(rs)))
    assert "reviewed by an analyst" in html and "rejected by an analyst" in html
    s = summarise(group_events(rs[:1] + rs[2:]))
    assert s["reviewed"] == 1 and s["rejected"] == 0
    assert "rejected by an analyst" not in precision_html(w, s) and "reviewed by an analyst" in precision_html(w, s)
