"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the app served
on 127.0.0.1 with the bundled report and a hostile article ingested. No network is used: every
map asset is served by the app itself."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT, SEED

pytestmark = [pytest.mark.shared, pytest.mark.browser]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SETTLED_JS = """(quietMs) => { const app = document.querySelector('[data-testid="stApp"]');
    const now = performance.now();
    const idle = !!app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-stale="true"]');
    if (!idle || window.__idleSince === undefined) { window.__idleSince = idle ? now : undefined; return false; }
    return now - window.__idleSince >= quietMs; }"""
MAP_STILL_JS = "() => !!window.map && !document.querySelector('.leaflet-zoom-anim, .leaflet-cluster-anim')"


def settled(page, timeout: int = 60_000, quiet_ms: int = 500) -> None:
    """Wait until Streamlit's script run is over and no element on the page is stale, and has stayed
    so for `quiet_ms` (a component reporting back, e.g. the map its view, starts another run a
    moment after the first ends): the page a user would act on (a click during a rerun can land on
    the old copy of a widget)."""
    page.evaluate("() => { delete window.__idleSince; }")
    page.wait_for_function(SETTLED_JS, arg=quiet_ms, timeout=timeout)


def map_still(frame, timeout: int = 30_000) -> None:
    """Wait until the Leaflet map in `frame` is drawn and neither zooming nor animating clusters."""
    frame.wait_for_function(MAP_STILL_JS, timeout=timeout)


HOSTILE = ("<script>window.__pwned='title'</script>\n\n21 سبتمبر 2020\n"
           "قصفت قوات النظام صباح اليوم بلدة سراقب <img src=x onerror=\"window.__pwned='passage'\"> "
           "من دون أنباء عن وقوع إصابات.\n")



def stop_server(proc) -> None:
    """Stop a server started with start_new_session=True: its whole process group (the
    `incidentmap serve` wrapper and its Streamlit child), politely first."""
    import signal

    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    except ProcessLookupError:
        pass
    try:  # a child that outlived the wrapper is still in the group
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ingested_home(tmp_path_factory, gazetteer_path, articles, **env) -> tuple[Path, dict]:
    """A fresh INCIDENTMAP_HOME with a copy of the gazetteer and `articles` (a file or folder)
    ingested: (home, the environment to serve it with, plus `env`). Skips without Chromium."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (.ci/run installs it)")
    home = tmp_path_factory.mktemp("home")
    shutil.copy(gazetteer_path, home / "gazetteer.sqlite")
    env = dict(os.environ, INCIDENTMAP_HOME=str(home), **env)
    subprocess.run([sys.executable, "-m", "incidents.cli", "ingest", str(articles), "--quiet"], env=env, check=True,
                   capture_output=True)
    return home, env


@contextlib.contextmanager
def serving(env: dict):
    """`incidentmap serve` on a free 127.0.0.1 port with `env`: yields its URL once healthy, then
    stops its process group."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "incidents.cli", "serve", "--headless", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        stop_server(proc)
        pytest.fail("streamlit did not start: " + proc.stdout.read().decode(errors="replace")[-2000:])
    try:
        yield url
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def server(tmp_path_factory, real_gazetteer_path):
    arts = tmp_path_factory.mktemp("arts")
    shutil.copy(SEED, arts / SEED.name)
    shutil.copy(SEED.with_suffix(".meta.json"), arts / SEED.with_suffix(".meta.json").name)
    (arts / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    _home, env = ingested_home(tmp_path_factory, real_gazetteer_path, arts)
    with serving(env) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("iframe[title='streamlit_folium.st_folium']", timeout=60_000)
    frame = page.locator("iframe[title='streamlit_folium.st_folium']").element_handle().content_frame()
    frame.wait_for_selector("path.leaflet-interactive, .marker-cluster", timeout=60_000)
    return page, frame


def _open_filtered(browser, url, shown: int):
    """Open a filtered URL, wait until the count says `shown`, return the page and the map frame."""
    page, _ = _open(browser, url)
    page.wait_for_function(f"document.querySelector('#incident-count').innerText.startsWith('{shown} of')",
                           timeout=30_000)
    frame = page.locator("iframe[title='streamlit_folium.st_folium']").element_handle().content_frame()
    frame.wait_for_selector("path.leaflet-interactive", timeout=30_000)
    return page, frame


def _count(page) -> tuple[int, int]:
    text = page.locator("#incident-count").inner_text()
    shown, total = [int(x.replace(",", "")) for x in text.replace("incidents", "").split(" of ")]
    return shown, total


CLUSTER_SIZE = """() => { let n = -1; window.map.eachLayer(l => {
    if (l.getLayers && l._featureGroup && l.getLayers) n = Math.max(n, l.getLayers().length); }); return n; }"""


def _markers(frame, expected: int) -> int:
    """Markers in the cluster layer (counted in Leaflet, not the DOM: clusters hide their markers)."""
    try:
        frame.wait_for_function(f"({CLUSTER_SIZE})() === {expected}", timeout=20_000)
    except Exception:
        pass
    return frame.evaluate(CLUSTER_SIZE)


def test_page_loads_with_the_bundled_incidents(server, browser):
    page, frame = _open(browser, server)
    shown, total = _count(page)
    assert shown == total == 13  # 12 from the bundled report, 1 from the hostile article
    # one marker per location: the hostile article's Saraqib shares the bundled report's marker
    assert _markers(frame, 12) == 12
    assert frame.locator("#incident-legend").count() == 1
    page.close()


def test_url_reproduces_a_filtered_view_and_filter_reduces_markers(server, browser):
    page, frame = _open_filtered(browser, server + "?gov=Latakia", 1)
    assert _count(page) == (1, 13)
    assert _markers(frame, 1) == 1
    page.close()


def test_sidebar_filter_updates_the_url(server, browser):
    page, _ = _open(browser, server)
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text="Governorate").locator("input")
    box.click()
    box.fill("Latakia")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('1 of')", timeout=30_000)
    page.wait_for_function("location.search.includes('gov=Latakia')", timeout=30_000)
    page.close()


def test_clicking_a_marker_shows_its_passage(server, browser):
    page, frame = _open_filtered(browser, server + "?gov=Latakia", 1)
    frame.locator("path.leaflet-interactive").first.click(force=True)
    page.wait_for_selector(".incident-passage", timeout=30_000)
    assert "عين عيسى" in page.locator(".incident-passage mark").first.inner_text()
    assert page.locator(".incident-passage").first.get_attribute("dir") == "rtl"
    page.close()


def test_hostile_article_never_runs_script(server, browser):
    page, frame = _open_filtered(browser, server + "?q=onerror", 1)
    frame.locator("path.leaflet-interactive").first.hover(force=True)  # tooltip
    frame.locator("path.leaflet-interactive").first.click(force=True)  # detail panel
    page.wait_for_selector(".incident-passage", timeout=30_000)
    assert "onerror" in page.locator(".incident-passage").first.inner_text()  # shown as text
    assert page.get_by_text("<script>window.__pwned='title'</script>").count() >= 1  # the title, as text
    settled(page)  # every script the page would run has had its chance
    for f in page.frames:
        assert f.evaluate("window.__pwned === undefined"), f.url
    page.close()


def test_click_and_filter_keep_the_map_view(server, browser):
    page, frame = _open(browser, server)
    settled(page)  # a settled page, as a user's is: the first rerun (the map reporting its view) is over
    frame.evaluate("() => window.map.setView([35.8625, 36.8006], 12, {animate: false})")  # Saraqib
    # a marker drawn inside the view (a hidden path of a clustered marker does not count)
    frame.wait_for_function("""() => { let ok = false; window.map.eachLayer(l => {
        if (l instanceof L.CircleMarker && !(l instanceof L.Circle) && l._map
            && window.map.getBounds().contains(l.getLatLng())) ok = true; }); return ok; }""", timeout=30_000)
    map_still(frame)
    xy = frame.evaluate("""() => { let p = null; window.map.eachLayer(l => {
        if (!p && l instanceof L.CircleMarker && !(l instanceof L.Circle)
            && window.map.getBounds().contains(l.getLatLng())) {
            const c = window.map.latLngToContainerPoint(l.getLatLng());
            const r = window.map.getContainer().getBoundingClientRect();
            p = [r.left + c.x, r.top + c.y]; } }); return p; }""")
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    page.mouse.click(box["x"] + xy[0], box["y"] + xy[1])  # a real click on the marker
    page.wait_for_selector(".incident-passage", timeout=30_000)
    settled(page)
    assert frame.evaluate("() => window.map.getZoom()") == 12  # no reload, no reset
    page.get_by_text("Location precision").scroll_into_view_if_needed()
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text="Event type").locator("input")
    box.click()
    box.fill("Battles")
    page.keyboard.press("Enter")
    page.wait_for_function("location.search.includes('type=Battles')", timeout=30_000)
    settled(page)
    assert frame.evaluate("() => window.map.getZoom()") == 12
    page.close()


VIEW = "() => { const b = window.map.getBounds(); return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(), window.map.getZoom()]; }"


def _incident_points(frame) -> list:
    return frame.evaluate("""() => { let pts = []; window.map.eachLayer(l => {
        if (l.getLayers && l._featureGroup) l.getLayers().forEach(m => { const p = m.getLatLng(); pts.push([p.lat, p.lng]); });
        }); return pts; }""")


def test_first_view_fits_the_filtered_incidents_not_the_world(server, browser):
    page, frame = _open(browser, server)
    s, w, n, e, _z = frame.evaluate(VIEW)
    assert e - w < 12 and n - s < 8  # the country, not the world (scale bar "1000 mi")
    assert s < 33 and n > 37 and w < 36 and e > 42  # all of it: nothing is filtered
    page.close()
    page, frame = _open_filtered(browser, server + "?gov=Idlib", 12)
    settled(page)
    map_still(frame)
    s, w, n, e, zoom = frame.evaluate(VIEW)
    pts = _incident_points(frame)
    assert pts and all(s <= lat <= n and w <= lon <= e for lat, lon in pts)  # every incident in view
    assert zoom >= 8 and e - w < 3  # and the view is Idlib's, not the country's
    page.close()


def test_streamlit_toolbar_is_hidden_and_the_map_is_wide(server, browser):
    page, _frame = _open(browser, server)
    assert not page.locator("[data-testid='stAppDeployButton']").is_visible()
    assert not page.locator("[data-testid='stToolbar']").is_visible()
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    assert box["width"] >= 0.6 * 1400 and box["height"] >= 600
    assert page.title() == "Incident map"
    page.close()


def test_list_click_opens_the_detail_and_flies_to_the_marker(server, browser):
    page, frame = _open(browser, server + "?gov=Latakia")
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('1 of')", timeout=30_000)
    items = page.locator(".st-key-incident-list button")
    assert items.count() == 1 and "Jabal al-Turkman" in items.first.inner_text()
    items.first.click()
    page.wait_for_selector(".incident-passage", timeout=30_000)
    assert "عين عيسى" in page.locator(".incident-passage mark").first.inner_text()
    frame.wait_for_function("() => window.map.getZoom() === 12", timeout=30_000)
    lat, lon = frame.evaluate("() => { const c = window.map.getCenter(); return [c.lat, c.lng]; }")
    assert abs(lat - 35.8) < 0.3 and abs(lon - 36.0) < 0.3  # Jabal al-Turkman
    # the panel collapses
    page.locator("[data-testid='stExpander'] summary").filter(has_text="Details").click()
    page.wait_for_function("!document.querySelector('.incident-passage') || "
                           "!document.querySelector('.incident-passage').checkVisibility()", timeout=10_000)
    page.close()


def test_arabic_interface_right_to_left_with_arabic_labels(server, browser):
    page, frame = _open(browser, server + "?lang=ar")
    page.wait_for_function("document.querySelector('#incident-count').innerText.includes('من')", timeout=30_000)
    assert page.evaluate("getComputedStyle(document.querySelector('[data-testid=stMain]')).direction") == "rtl"
    assert page.title() == "خريطة الحوادث"
    assert page.get_by_text("المرشّحات").count() >= 1 and page.get_by_text("المحافظة").count() >= 1
    assert page.get_by_text("إظهار أماكن قد لا تكون أماكن").count() == 1  # the doubted-places filter
    assert "١٣" in page.locator("#incident-count").inner_text()  # Arabic-Indic digits
    assert "معارك" in frame.locator("#incident-legend").inner_text()
    labels = frame.locator(".place-label").all_inner_texts()
    assert "إدلب" in labels and "حلب" in labels
    assert "أيلول" in page.locator(".st-key-incident-list button").first.inner_text()
    page.wait_for_function("location.search.includes('lang=ar')", timeout=10_000)
    page.close()


def test_town_labels_on_the_offline_map(server, browser):
    page, frame = _open(browser, server)
    labels = frame.locator(".place-label").all_inner_texts()
    assert {"Idlib", "Aleppo", "Damascus"} <= set(labels)
    frame.evaluate("() => window.map.setView([35.8625, 36.8006], 12, {animate: false})")  # Saraqib
    frame.wait_for_function("() => document.querySelectorAll('.place-label.z11').length > 5", timeout=30_000)
    page.close()


def test_player_steps_through_time(server, browser):
    page, _ = _open(browser, server)
    page.locator("[data-testid='stCheckbox']").filter(has_text="Player").locator("label").click()
    page.wait_for_selector("text=Period shown", timeout=30_000)
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('3 of')",
                           timeout=30_000)  # 20 Sep 2020: three incidents
    page.get_by_role("button", name="▶", exact=True).click()
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('10 of')",
                           timeout=30_000)  # 21 Sep 2020: the others
    page.close()


def test_drawing_a_region_filters_by_it(server, browser):
    page, frame = _open_filtered(browser, server + "?gov=Idlib", 12)
    settled(page)
    frame.evaluate("() => window.map.setView([35.8625, 36.8006], 11, {animate: false})")  # around Saraqib
    map_still(frame)
    frame.locator(".area-draw a.draw-rect").click()
    box = page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    corners = frame.evaluate("""() => { const r = window.map.getContainer().getBoundingClientRect();
        const a = window.map.latLngToContainerPoint([35.90, 36.75]), b = window.map.latLngToContainerPoint([35.82, 36.85]);
        return [r.left + a.x, r.top + a.y, r.left + b.x, r.top + b.y]; }""")
    page.mouse.move(box["x"] + corners[0], box["y"] + corners[1])
    page.mouse.down()
    page.mouse.move(box["x"] + corners[2], box["y"] + corners[3], steps=5)
    page.mouse.up()
    # Saraqib: the bundled report's incident and the hostile article's
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('2 of')", timeout=30_000)
    page.wait_for_function("location.search.includes('area=')", timeout=10_000)
    page.goto(page.url)  # the URL reproduces the region filter
    page.wait_for_function("document.querySelector('#incident-count') && "
                           "document.querySelector('#incident-count').innerText.startsWith('2 of')", timeout=60_000)
    page.close()


def test_add_an_article_from_the_page(server, browser):
    """Runs last in this module: it adds an incident to the shared store."""
    page, _ = _open(browser, server)
    before = _count(page)[1]
    page.get_by_text("Add an article").click()
    page.locator("textarea").fill("اشتباكات في قرية كنصفرة\n\n22 سبتمبر 2020\n"
                                  "اندلعت اشتباكات عنيفة صباح اليوم بين قوات النظام وفصائل المعارضة في قرية كنصفرة.")
    page.get_by_role("button", name="Add to the map").click()
    page.wait_for_selector("text=incident(s) added", timeout=60_000)
    page.reload()
    page.wait_for_function(f"document.querySelector('#incident-count') && "
                           f"document.querySelector('#incident-count').innerText.includes('of {before + 1}')",
                           timeout=60_000)
    page.close()


def test_the_dashboard_reads_a_postgres_store(tmp_path_factory, real_gazetteer_path, pg_server, browser):
    """Team mode: the same page on a PostgreSQL/PostGIS store (ingested through INCIDENTMAP_DB)."""
    from conftest import _create_database, _drop_databases, _with_dbname

    name = _create_database(pg_server)
    try:
        arts = tmp_path_factory.mktemp("pgarts")
        shutil.copy(SEED, arts / SEED.name)
        shutil.copy(SEED.with_suffix(".meta.json"), arts / SEED.with_suffix(".meta.json").name)
        _home, env = ingested_home(tmp_path_factory, real_gazetteer_path, arts,
                                   INCIDENTMAP_DB=_with_dbname(pg_server, name))
        with serving(env) as url:
            page, frame = _open_filtered(browser, url + "?gov=Latakia", 1)
            assert _count(page) == (1, 12)
            frame.locator("path.leaflet-interactive").first.click(force=True)
            page.wait_for_selector(".incident-passage", timeout=30_000)
            assert "عين عيسى" in page.locator(".incident-passage mark").first.inner_text()
            page.close()
    finally:
        _drop_databases(pg_server, [name])
