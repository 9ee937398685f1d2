"""The dashboard's Review view in a real browser (Debian's Chromium driven by Playwright) against a
store this module builds: one short Arabic report naming a village no gazetteer has (قرية تل الزعتر,
framed by "ريف إدلب" so it lands on the governorate and needs review) and a village it resolves
(كنصفرة). Its own server on a free 127.0.0.1 port, stopped with its process group at the end.
The tests run in order on one store: place by clicking the small map, undo, accept, reject, then the
main map's review marks and filter."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from test_dashboard_browser import browser, ingested_home, map_still, serving, settled  # noqa: F401 (browser: a fixture)

pytestmark = [pytest.mark.shared, pytest.mark.browser]
REVIEWER = "Layla Test"
ARTICLE = ("قصف مدفعي على قرى ريف إدلب\n\n22 سبتمبر 2020\n\n"
           "قصفت قوات النظام بالمدفعية الثقيلة صباح اليوم قرية تل الزعتر في ريف إدلب الجنوبي، "
           "من دون أنباء عن وقوع إصابات.\n\n"
           "واندلعت اشتباكات عنيفة بين قوات النظام وفصائل المعارضة في قرية كنصفرة بجبل الزاوية.\n")
MAP_IFRAME = "iframe[title='streamlit_folium.st_folium']"


@pytest.fixture(scope="module")
def site(tmp_path_factory, real_gazetteer_path):
    """(url, store path, uid of the unknown village's incident, uid of Kansafrah's)."""
    from incidents.store import Store

    src = tmp_path_factory.mktemp("review_arts") / "idlib.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    home, env = ingested_home(tmp_path_factory, real_gazetteer_path, src, INCIDENTMAP_REVIEWER="nobody-from-env")
    db = home / "incidents.sqlite"
    store = Store(db, readonly=True)
    rows = list(store.incidents())
    store.close()
    kansafrah = next(r["uid"] for r in rows if r["name_en"] == "Kansafrah")
    village = next(r["uid"] for r in rows if r["uid"] != kansafrah and "تل الزعتر" in (r["passage"] or ""))
    with serving(env) as url:
        yield url, db, village, kansafrah


def _row(db, uid: str) -> dict:
    from incidents.store import Store

    store = Store(db, readonly=True)
    try:
        return store.incident(uid)
    finally:
        store.close()


def _log(db, uid: str) -> list[dict]:
    from incidents.store import Store

    store = Store(db, readonly=True)
    try:
        return store.reviews(uid)
    finally:
        store.close()


def _open_review(browser, url, page=None):
    """A new browser session on the Review view (or `page`): it asks for the reviewer's name once."""
    page = page or browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(url + "?view=review")
    page.wait_for_selector("text=Who is reviewing?", timeout=60_000)
    box = page.get_by_label("Your name")
    expect(box).to_have_value("nobody-from-env", timeout=30_000)  # the default comes from the environment
    box.fill(REVIEWER)
    page.get_by_role("button", name="Start reviewing").click()
    page.wait_for_selector("#review-count", timeout=30_000)
    return page


def _on_screen(page) -> str:
    return page.locator("#review-state code").inner_text().strip()


def _wait_until(predicate, timeout: float = 30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out waiting for the store to change")


def test_queue_shows_the_unknown_village_first_with_its_passage_and_candidates(site, browser):
    url, _db, village, _k = site
    page = _open_review(browser, url)
    # Needs review holds the village only: Kansafrah, placed with no doubt, is under "Nothing to check"
    assert page.locator("#review-count").inner_text().startswith("1 in")
    expect(page.get_by_text("Nothing to check (1)")).to_be_visible(timeout=30_000)
    assert _on_screen(page) == village  # the one most in need of an analyst
    passage = page.locator(".incident-passage").first
    assert "تل الزعتر" in passage.inner_text() and passage.get_attribute("dir") == "rtl"
    assert page.locator(".incident-passage mark").count() == 1  # the place the geoparser took
    assert "coarse precision" in page.locator(".review-reasons").inner_text()
    assert page.get_by_text("Candidates (").count() == 1
    page.wait_for_selector(MAP_IFRAME, timeout=30_000)
    page.close()


def test_the_review_view_fetches_nothing_from_the_network_without_a_tile_layer(site, browser):
    """Issue 19: it loaded six OpenStreetMap tiles on opening although the product is offline by
    default. Every request of the page and its map frame is recorded; any to another host than the
    test's own server is blocked and fails the test."""
    from urllib.parse import urlsplit

    url, _db, village, _k = site
    context = browser.new_context(viewport={"width": 1400, "height": 1100})
    outside, local = [], []

    def route(r):
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            local.append(r.request.url)
            return r.continue_()
        outside.append(r.request.url)
        return r.abort()

    context.route("**/*", route)
    try:
        page = _open_review(browser, url, context.new_page())
        assert _on_screen(page) == village
        page.wait_for_selector(MAP_IFRAME, timeout=30_000)
        frame = page.locator(MAP_IFRAME).element_handle().content_frame()
        frame.wait_for_function("() => window.map && window.map.getSize().x > 0", timeout=30_000)
        frame.wait_for_selector("path.leaflet-interactive", timeout=30_000)  # outlines and markers drawn
        settled(page)  # the page and the map drawn and still: tiles would have been asked for by now
        map_still(frame)
        assert local and outside == [], outside
        assert frame.locator("img.leaflet-tile").count() == 0
    finally:
        context.close()


def test_click_to_place_on_the_small_map_then_undo(site, browser):
    url, db, village, _k = site
    before = _row(db, village)
    page = _open_review(browser, url)
    assert _on_screen(page) == village
    page.wait_for_selector(MAP_IFRAME, timeout=30_000)
    frame = page.locator(MAP_IFRAME).element_handle().content_frame()
    frame.wait_for_function("() => window.map && window.map.getSize().x > 0", timeout=30_000)
    settled(page)
    map_still(frame)  # the map settled
    size = frame.evaluate("() => { const s = window.map.getSize(); return [s.x, s.y]; }")
    x, y = int(size[0] * 0.25), int(size[1] * 0.3)  # away from the markers in the centre
    want = frame.evaluate(f"() => {{ const ll = window.map.containerPointToLatLng([{x}, {y}]); "
                          "return [ll.lat, ll.lng]; }")
    box = frame.evaluate("() => { const r = window.map.getContainer().getBoundingClientRect(); "
                         "return [r.left, r.top]; }")
    iframe = page.locator(MAP_IFRAME).bounding_box()
    page.mouse.click(iframe["x"] + box[0] + x, iframe["y"] + box[1] + y)  # a real click at that pixel
    place = page.get_by_role("button", name="Place at")
    place.wait_for(timeout=30_000)
    place.click()

    after = _wait_until(lambda: (r := _row(db, village))["review_status"] == "reviewed" and r)
    assert (after["lat"], after["lon"]) != (before["lat"], before["lon"])
    assert abs(after["lat"] - want[0]) < 1e-3 and abs(after["lon"] - want[1]) < 1e-3
    assert after["reviewed_by"] == REVIEWER and after["precision"] == 1
    last = _log(db, village)[-1]
    assert last["action"] == "set_location" and last["by"] == REVIEWER
    assert abs(last["value"]["lat"] - want[0]) < 1e-3
    page.wait_for_selector(".audit-log td:has-text('set_location')", timeout=30_000)  # the log on screen
    assert REVIEWER in page.locator(".audit-log").inner_text()

    page.get_by_role("button", name="Undo").click()
    undone = _wait_until(lambda: (r := _row(db, village))["review_status"] == "auto" and r)
    assert (undone["lat"], undone["lon"]) == (before["lat"], before["lon"])
    assert undone["place_id"] == before["place_id"] and undone["precision"] == before["precision"]
    last = _log(db, village)[-1]
    assert last["action"] == "set_location" and last["undone_by"] == REVIEWER and last["undone_at"]
    page.close()


def test_accept_by_keyboard_then_reject_with_a_note(site, browser):
    url, db, village, kansafrah = site
    page = _open_review(browser, url)
    assert _on_screen(page) == village
    page.get_by_role("button", name="Accept").wait_for(timeout=30_000)
    settled(page)  # a settled page, its shortcuts registered
    page.locator("h1").first.click()  # focus on the page, not in a text box
    page.keyboard.press("a")  # Accept's shortcut
    row = _wait_until(lambda: (r := _row(db, village))["review_status"] == "reviewed" and r)
    assert row["reviewed_by"] == REVIEWER
    assert [(r["action"], r["by"]) for r in _log(db, village) if not r["undone_at"]] == [("accept", REVIEWER)]

    page.wait_for_function("document.querySelector('#review-count')?.innerText.startsWith('0 in')",
                           timeout=30_000)  # Needs review is done (the accepted one stays on screen)
    page.get_by_text("Nothing to check (1)").click()  # the automatic ones with no reason
    page.wait_for_function(f"document.querySelector('#review-state code')?.innerText.trim() === '{kansafrah}'",
                           timeout=30_000)
    expect(page.get_by_label("Note (optional")).to_have_count(1, timeout=30_000)  # the rerun settled
    note = page.get_by_label("Note (optional")
    note.fill("a commemoration, not an attack")
    note.press("Enter")  # the text box commits (a rerun) before the click
    settled(page)
    page.get_by_role("button", name="Reject").click()
    row = _wait_until(lambda: (r := _row(db, kansafrah))["review_status"] == "rejected" and r)
    last = _log(db, kansafrah)[-1]
    assert (last["action"], last["by"], last["note"]) == ("reject", REVIEWER, "a commemoration, not an attack")
    page.close()


def test_main_map_marks_reviewed_and_hides_rejected_by_default(site, browser):
    url, _db, _village, _k = site
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#incident-count", timeout=60_000)
    page.wait_for_function("document.querySelector('#incident-count').innerText.startsWith('1 of 2')",
                           timeout=30_000)  # Kansafrah is rejected: off the map
    frame = page.locator(MAP_IFRAME).element_handle().content_frame()
    frame.wait_for_selector("path.leaflet-interactive", timeout=30_000)
    frame.locator("path.leaflet-interactive").first.hover(force=True)
    frame.wait_for_selector(".leaflet-tooltip:has-text('✓ reviewed')", timeout=30_000)
    page.goto(url + "?review=all")
    page.wait_for_function("document.querySelector('#incident-count') && "
                           "document.querySelector('#incident-count').innerText.startsWith('2 of 2')", timeout=60_000)
    page.goto(url + "?review=rejected")
    page.wait_for_function("document.querySelector('#incident-count') && "
                           "document.querySelector('#incident-count').innerText.startsWith('1 of 2')", timeout=60_000)
    page.close()
