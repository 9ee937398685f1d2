"""Benchmark the dashboard in Chromium: time to the first marker with the bundled report alone and
with the whole ACLED file imported beside it (same run), the time a filter change takes and the
time a click on an incident of the list takes to show its passage in the detail panel.

    .venv/bin/python bench/bench_dashboard.py [--shared ../shared] [--gazetteer PATH] [--runs 3]
Targets: first marker with ACLED within 1.3x of the bundled case (and < 3 s bundled); filter redraw
< 0.5 s, timed from the key press on a settled page until both the count and the map's markers show
the new set; a click < 0.3 s, from the click until the passage is on screen.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]



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

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(home: Path):
    port = free_port()
    env = dict(os.environ, INCIDENTMAP_HOME=str(home))
    proc = subprocess.Popen([sys.executable, "-m", "incidents.cli", "serve", "--headless", "--port", str(port)],
                            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "_stcore/health", timeout=2)
            return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("streamlit did not start")


CLUSTER_SIZE = """() => { let n = -1; window.map.eachLayer(l => {
    if (l.getLayers && l._featureGroup) n = Math.max(n, l.getLayers().length); }); return n; }"""


def cluster_size(page) -> int:
    """Markers in the newest map iframe's cluster layer (-1 while it is not there)."""
    handles = page.locator("iframe[title='streamlit_folium.st_folium']").element_handles()
    for el in reversed(handles):
        fr = el.content_frame()
        try:
            if fr:
                return fr.evaluate(CLUSTER_SIZE)
        except Exception:
            pass
    return -1


def wait_for_markers(page, timeout: float = 120) -> None:
    """Until some map iframe (the current one; an old one may be detaching) shows a marker."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        for el in page.locator("iframe[title='streamlit_folium.st_folium']").element_handles():
            fr = el.content_frame()
            try:
                if fr and fr.locator("path.leaflet-interactive, .marker-cluster").count():
                    return
            except Exception:  # frame detached while we looked
                pass
        time.sleep(0.02)
    raise TimeoutError("no marker appeared")


def first_marker(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    t = time.perf_counter()
    page.goto(url)
    wait_for_markers(page)
    secs = time.perf_counter() - t
    page.close()
    return secs


def filter_change(browser, url: str) -> float:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("#incident-count", timeout=120_000)
    wait_for_markers(page)
    time.sleep(1)  # a settled page, as a user has it when they change a filter
    before = page.locator("#incident-count").inner_text()
    markers_before = cluster_size(page)
    box = page.locator("[data-testid='stMultiSelect']").filter(has_text="Governorate").locator("input")
    box.click()
    box.fill("Latakia")
    t = time.perf_counter()
    page.keyboard.press("Enter")
    page.wait_for_function(f"document.querySelector('#incident-count').innerText !== {before!r}", timeout=60_000)
    deadline = time.perf_counter() + 60
    while cluster_size(page) in (markers_before, -1) and time.perf_counter() < deadline:
        time.sleep(0.01)  # until the map shows the new set of markers, not only the new count
    secs = time.perf_counter() - t
    page.close()
    return secs


def click_detail(browser, url: str, nth: int) -> float:
    """Click the `nth` item of the incident list on a settled page; seconds until its passage shows."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector(".st-key-incident-list button", timeout=120_000)
    wait_for_markers(page)
    time.sleep(1)
    item = page.locator(".st-key-incident-list button").nth(nth)
    t = time.perf_counter()
    item.click()
    page.wait_for_selector(".incident-passage", timeout=60_000)
    secs = time.perf_counter() - t
    page.close()
    return secs


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--gazetteer", default=str(ROOT / ".data" / "gazetteer.sqlite"))
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    results = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for case in ("bundled", "bundled+acled"):
            home = Path(tmp) / case
            home.mkdir()
            shutil.copy(args.gazetteer, home / "gazetteer.sqlite")
            env = dict(os.environ, INCIDENTMAP_HOME=str(home))
            subprocess.run([sys.executable, "-m", "incidents.cli", "ingest", str(ROOT / "articles"), "--quiet"],
                           env=env, check=True, capture_output=True)
            if case.endswith("acled"):
                subprocess.run([sys.executable, "-m", "incidents.cli", "import-acled",
                                str(Path(args.shared) / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv")],
                               env=env, check=True, capture_output=True)
            proc, url = serve(home)
            try:
                first_marker(browser, url)  # warm-up: caches, first Python imports
                times = [first_marker(browser, url) for _ in range(args.runs)]
                redraw = [filter_change(browser, url) for _ in range(args.runs)]
                clicks = [click_detail(browser, url, i) for i in range(args.runs)]
            finally:
                stop_server(proc)
            results[case] = (statistics.median(times), statistics.median(redraw), statistics.median(clicks))
            print(f"{case}: first marker median {results[case][0]:.2f} s ({', '.join(f'{t:.2f}' for t in times)}); "
                  f"filter change median {results[case][1]:.2f} s ({', '.join(f'{t:.2f}' for t in redraw)}); "
                  f"click to passage median {results[case][2]:.2f} s ({', '.join(f'{t:.2f}' for t in clicks)})",
                  flush=True)
        browser.close()
    ratio = results["bundled+acled"][0] / results["bundled"][0]
    print(f"ratio ACLED/bundled first marker: {ratio:.2f} (target <= 1.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
