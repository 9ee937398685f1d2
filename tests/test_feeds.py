"""Following feeds: a local HTTP server on 127.0.0.1 serves the fixture feeds and pages
(tests/fixtures/feeds); nothing here touches the internet."""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from incidents.feeds import Source, canonical_url, fetch_urls, load_feeds, poll, watch
from incidents.fetch import Fetcher, FetchError, decode_html
from incidents.store import Store

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
ROOT = Path(__file__).resolve().parent.parent
HUGE = 5_000_000 + 100_000


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html", headers: dict | None = None,
              length: bool = True):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if length:
            self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _file(self, name: str, ctype: str, etag: str | None = None):
        if etag and self.headers.get("If-None-Match") == etag:
            return self._send(304, headers={"ETag": etag})
        self._send(200, (FIXTURES / name).read_bytes(), ctype, {"ETag": etag} if etag else None)

    def do_GET(self):  # noqa: C901 - a route table
        srv = self.server
        path = self.path.split("?")[0]
        srv.hits[path] += 1
        if path == "/robots.txt":
            return self._file("robots.txt", "text/plain")
        if path == "/feed.xml":
            v = srv.state["feed"]
            return self._file(f"feed_v{v}.xml", "application/rss+xml", etag=f'"feed-v{v}"')
        if path == "/atom.xml":
            return self._file("atom.xml", "application/atom+xml")
        if path == "/malformed.xml":
            return self._file("malformed.xml", "application/rss+xml")
        if path == "/old/saraqib":
            return self._send(301, headers={"Location": "/en/saraqib.html?utm_source=rss&ref=feed"})
        if path == "/en/saraqib.html":
            body = (FIXTURES / "en_saraqib.html").read_bytes()
            if srv.state["en"] == 2:  # the article changed upstream: a fourth victim, another place too
                body = body.replace(b"killing\n  three civilians", b"killing\n  four civilians").replace(
                    b"</article>", b"<p>Later on Tuesday, government forces shelled the town of Kafr Nabl in "
                                   b"the southern Idlib countryside.</p></article>")
            etag = f'"en-{srv.state["en"]}"'
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, headers={"ETag": etag})
            return self._send(200, body, "text/html; charset=utf-8", {"ETag": etag})
        if path == "/en/mirror.html":  # the same article under another URL, no canonical link
            body = (FIXTURES / "en_saraqib.html").read_bytes().replace(b'<link rel="canonical"', b"<link rel=x")
            return self._send(200, body)
        if path == "/ar/kafranbel.html":
            return self._file("ar_kafranbel.html", "text/html; charset=utf-8")
        if path == "/ar/ariha.html":  # Windows-1256, declared only in the page's <meta>
            return self._file("ariha_cp1256.html", "text/html")
        if path == "/ar/ariha-undeclared.html":  # Windows-1256, declared nowhere
            body = (FIXTURES / "ariha_cp1256.html").read_bytes().replace(b"; charset=windows-1256", b"")
            return self._send(200, body, "text/html")
        if path == "/gone.html":
            return self._send(404, b"not found")
        if path == "/broken.html":
            return self._send(500, b"oops")
        if path == "/slow.html":
            time.sleep(1.5)
            return self._file("en_saraqib.html", "text/html")
        if path == "/huge.html":
            return self._send(200, b"<html><body><p>" + b"x" * HUGE + b"</p></body></html>")
        if path == "/huge-unannounced.html":  # no Content-Length: the limit applies while reading
            return self._send(200, b"<html><body><p>" + b"y" * HUGE + b"</p></body></html>", length=False)
        if path.startswith("/private/"):
            return self._file("en_saraqib.html", "text/html")
        return self._send(404, b"no such fixture")


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.hits, srv.state = Counter(), {"feed": 1, "en": 1}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


def fetcher(**kw) -> Fetcher:
    # The fixture server listens on 127.0.0.1, which the fetcher refuses by default (issue 19):
    # these tests allow private addresses explicitly.
    return Fetcher(**{"delay": 0.0, "timeout": 0.5, "retries": 1, "backoff": 0.01, "allow_private": True, **kw})


def places(store: Store, url_part: str = "") -> set[str]:
    return {r["name_en"] for r in store.incidents() if url_part in (r["article_url"] or "")}


# ---- the transport -----------------------------------------------------------------------------------
def test_fetcher_errors_say_why_and_retry_only_server_errors(server):
    f = fetcher()
    with pytest.raises(FetchError, match="HTTP 404"):
        f.get(server.base + "/gone.html")
    assert server.hits["/gone.html"] == 1  # a 4xx is never retried
    with pytest.raises(FetchError, match=r"HTTP 500.*after 2 tries"):
        f.get(server.base + "/broken.html")
    assert server.hits["/broken.html"] == 2
    with pytest.raises(FetchError, match="timed out"):
        fetcher(retries=0).get(server.base + "/slow.html")
    for path in ("/huge.html", "/huge-unannounced.html"):
        with pytest.raises(FetchError, match="MB limit"):
            f.get(server.base + path)
    with pytest.raises(FetchError, match="robots.txt disallows"):
        f.get(server.base + "/private/secret.html")
    assert server.hits["/private/secret.html"] == 0
    with pytest.raises(FetchError, match="not an http"):
        f.get("file:///etc/passwd")


def test_fetcher_redirects_conditional_get_and_host_delay(server):
    f = fetcher(delay=0.3)
    r = f.get(server.base + "/old/saraqib")
    assert r.status == 200 and r.url.startswith(server.base + "/en/saraqib.html") and r.etag == '"en-1"'
    started = time.monotonic()
    again = f.get(server.base + "/en/saraqib.html", etag=r.etag)
    assert again.status == 304 and again.body == b""
    assert time.monotonic() - started >= 0.25  # the per-host delay


def test_decoding_honours_header_meta_and_guesses_windows_1256():
    raw = (FIXTURES / "ariha_cp1256.html").read_bytes()
    text, enc = decode_html(raw, "text/html")
    assert enc == "cp1256" and "أريحا" in text
    text, enc = decode_html(raw.replace(b"; charset=windows-1256", b""), "text/html")
    assert "أريحا" in text
    text, enc = decode_html("Ariha, Idlib".encode("utf-16"), "text/html; charset=utf-16")
    assert text == "Ariha, Idlib"


def test_canonical_url_strips_tracking():
    assert canonical_url("HTTP://Example.COM:80/a/b?utm_source=rss&id=3&fbclid=x#top") == "http://example.com/a/b?id=3"
    assert canonical_url("https://example.com") == "https://example.com/"


# ---- feeds into the store ------------------------------------------------------------------------------
@pytest.mark.shared
def test_watch_a_feed_twice_then_the_new_item_only(server, geoparser, db_url):
    db = db_url
    feed = Source(url=server.base + "/feed.xml", label="Example Syria News")
    store = Store(db)
    first = poll([feed], store, geoparser, fetcher())
    res = first.sources[0]
    assert res.status == "ok" and res.items == 5 and res.new == 2, first.text()
    # the right incidents, and none from navigation, "most read", "related" boxes or footers
    assert places(store, "saraqib") == {"Saraqib"}
    assert places(store, "kafranbel") == {"Kafr Nabl"}
    furniture = {"Aleppo", "Homs", "Raqqa", "Daraa", "Douma", "Manbij", "Jisr al-Shughur", "Deir ez-Zor",
                 "Hama", "Latakia", "Jisr ash-Shughur"}
    assert not furniture & places(store)
    # stored articles keep their (canonical) URL; redirect and utm_ parameters undone
    urls = {r["url"] for r in store.articles.news()}
    assert urls == {server.base + "/en/saraqib-shelling.html", server.base + "/ar/kafranbel.html"}
    # errors reported per item, with the reason; the good items were stored all the same
    errors = dict(first.errors)
    assert "HTTP 404" in errors[server.base + "/gone.html"]
    assert "HTTP 500" in errors[server.base + "/broken.html"]
    assert "robots.txt" in errors[server.base + "/private/secret.html"]
    assert "2 new article(s)" in first.text() and "/gone.html: HTTP 404" in first.text()
    author = store.feeds.fetched(server.base + "/en/saraqib-shelling.html")["author"]
    assert author == "Lina Haddad"
    n_incidents = store.counts()["incidents"]
    store.close()

    # a restart: a new Store on the same file; the feed did not change (ETag -> 304)
    store = Store(db)
    state = store.feeds.state(feed.url)
    assert state["etag"] == '"feed-v1"' and state["articles_new"] == 2 and state["last_success"]
    assert "3 item(s) failed" in state["last_error"]
    second = poll([feed], store, geoparser, fetcher())
    assert second.sources[0].status == "not modified" and second.total("new") == 0
    assert server.hits["/feed.xml"] == 2 and server.hits["/en/saraqib.html"] == 1

    # version 2 adds one item: only that article is fetched and stored (Windows-1256, meta charset)
    server.state["feed"] = 2
    third = poll([feed], store, geoparser, fetcher())
    res = third.sources[0]
    assert res.status == "ok" and res.new == 1 and res.seen == 2, third.text()
    assert server.hits["/en/saraqib.html"] == 1 and server.hits["/ar/kafranbel.html"] == 1
    assert places(store, "ariha") == {"Ariha"}
    assert store.counts()["articles"] == 3 and store.counts()["incidents"] > n_incidents
    assert store.feeds.state(feed.url)["articles_new"] == 3
    assert store.feeds.state(feed.url)["last_item"].endswith("ariha-2024-03-07")  # the feed's newest item
    store.close()


@pytest.mark.shared
def test_a_failing_feed_never_stops_the_others(server, geoparser, db_url):
    store = Store(db_url)
    sources = [Source(url=server.base + "/malformed.xml"), Source(url=server.base + "/gone-feed.xml"),
               Source(url=server.base + "/slow.html"), Source(url=server.base + "/atom.xml", label="atom"),
               Source(url=server.base + "/off.xml", enabled=False)]
    s = poll(sources, store, geoparser, fetcher(retries=0))
    by = {r.url.rsplit("/", 1)[1]: r for r in s.sources}
    assert set(by) == {"malformed.xml", "gone-feed.xml", "slow.html", "atom.xml"}
    assert by["malformed.xml"].status == "error" and "not a readable feed" in by["malformed.xml"].reason
    assert "HTTP 404" in by["gone-feed.xml"].reason and "timed out" in by["slow.html"].reason
    assert by["atom.xml"].status == "ok" and by["atom.xml"].new == 1
    assert s.read == 1 and len(s.errors) == 3
    assert store.feeds.state(server.base + "/malformed.xml")["failures"] == 1
    assert store.feeds.state(server.base + "/atom.xml")["last_error"] is None


@pytest.mark.shared
def test_fetch_pages_dedup_and_changed_upstream(server, geoparser, db_url):
    store = Store(db_url)
    f = fetcher()
    s = fetch_urls([server.base + "/en/saraqib.html?utm_campaign=x", server.base + "/gone.html",
                    server.base + "/ar/ariha-undeclared.html"], store, geoparser, f)
    assert [r.status for r in s.sources] == ["ok", "error", "ok"] and s.total("new") == 2
    assert places(store, "ariha-undeclared") == {"Ariha"}
    # the same text under another URL is a duplicate, not a second article
    s = fetch_urls([server.base + "/en/mirror.html"], store, geoparser, f)
    assert s.total("duplicates") == 1 and store.counts()["articles"] == 2
    # unchanged upstream: a conditional GET answered 304
    s = fetch_urls([server.base + "/en/saraqib.html"], store, geoparser, f)
    assert s.total("unchanged") == 1 and s.total("new") == 0
    # changed upstream: the article's own incidents are replaced, nothing else
    server.state["en"] = 2
    before = {r["uid"] for r in store.incidents() if "ariha" in r["article_url"]}
    s = fetch_urls([server.base + "/en/saraqib.html"], store, geoparser, f)
    assert s.total("replaced") == 1, s.text()
    assert places(store, "saraqib") == {"Saraqib", "Kafr Nabl"}
    assert {r["uid"] for r in store.incidents() if "ariha" in r["article_url"]} == before
    assert store.counts()["articles"] == 2


@pytest.mark.shared
def test_watch_stops_between_articles_and_export_shows_the_url(server, geoparser, new_db):
    store = Store(new_db())
    stop = threading.Event()
    f = fetcher(stop=stop)
    reports = []

    def report(text):  # the first round is done: ask to stop, as SIGTERM would
        reports.append(text)
        stop.set()

    rounds = watch([Source(url=server.base + "/feed.xml")], store, geoparser, every=0.01, fetcher=f, report=report)
    assert rounds == 1 and "2 new article(s)" in reports[0]
    # stop set before the first item: nothing fetched, nothing half-written
    store2 = Store(new_db())
    stopped = poll([Source(url=server.base + "/atom.xml")], store2, geoparser, fetcher(stop=stop))
    assert stopped.stopped and store2.counts()["articles"] == 0

    from incidents.acled import to_acled_row

    rows = [to_acled_row(r) for r in store.incidents()]
    assert {r["article_url"] for r in rows} == {server.base + "/en/saraqib-shelling.html",
                                                server.base + "/ar/kafranbel.html"}


# ---- the feeds file and the CLI ----------------------------------------------------------------------------
def test_feeds_file_and_the_example(tmp_path):
    example = load_feeds(ROOT / "feeds.example.toml")
    assert len(example) >= 5 and not any(s.enabled for s in example)
    assert all(s.url.startswith("https://") and s.label for s in example)
    f = tmp_path / "feeds.toml"
    f.write_text('[[feed]]\nurl = "http://127.0.0.1:1/feed.xml"\nlabel = "x"\ninterval = 30\n', encoding="utf-8")
    (src,) = load_feeds(f)
    assert src.enabled and src.interval == 30 and src.label == "x"
    f.write_text('[[feed]]\nurl = "http://x/"\ncolour = "red"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown key.*colour"):
        load_feeds(f)
    f.write_text('[[feed]]\nlabel = "no url"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="needs url"):
        load_feeds(f)


@pytest.mark.shared
def test_cli_watch_once_and_fetch(server, real_gazetteer_path, tmp_path, db_url, capsys):
    from incidents.cli import main

    db = db_url
    common = ["--db", db, "--gazetteer", str(real_gazetteer_path), "--delay", "0", "--timeout", "1",
              "--allow-private"]  # the fixture server is on 127.0.0.1
    feeds = tmp_path / "feeds.toml"
    feeds.write_text(f'[[feed]]\nurl = "{server.base}/atom.xml"\nlabel = "Atom fixture"\n\n'
                     f'[[feed]]\nurl = "{server.base}/off.xml"\nenabled = false\n', encoding="utf-8")
    assert main(["watch", "--once", "--feeds", str(feeds), server.base + "/gone-feed.xml", *common]) == 0
    out = capsys.readouterr().out
    assert "2 source(s), 1 read: 1 new article(s)" in out and "gone-feed.xml: HTTP 404" in out
    assert main(["watch", "--once", server.base + "/gone-feed.xml", *common]) == 1  # nothing read
    assert main(["fetch", server.base + "/en/saraqib.html", *common]) == 0
    assert "1 new article(s)" in capsys.readouterr().out
    assert main(["watch", *common]) == 2  # nothing to watch: says so
    assert "nothing to watch" in capsys.readouterr().err


@pytest.mark.shared
def test_cli_watch_runs_until_sigterm_and_stops_cleanly(server, real_gazetteer_path, db_url):
    import signal
    import subprocess
    import sys

    db = db_url
    proc = subprocess.Popen([sys.executable, "-m", "incidents.cli", "watch", server.base + "/atom.xml", "--every", "60",
                             "--db", str(db), "--gazetteer", str(real_gazetteer_path), "--delay", "0",
                             "--allow-private"],  # the fixture server is on 127.0.0.1
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = proc.stdout.readline()  # the first round's summary: then it sleeps until the next round
        assert "1 new article(s)" in line, line + proc.stderr.read()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        assert "SIGTERM: stopping" in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    store = Store(db)
    assert store.counts()["articles"] == 1 and store.feeds.state(server.base + "/atom.xml")["checks"] == 1


def test_sources_panel_lists_feeds_with_their_state(db_url):
    from dashboard.sources import PANEL_COLUMNS, sources_frame

    db = db_url
    assert sources_frame(db).empty  # no store yet
    store = Store(db)
    store.feeds.save_state("https://a.example/feed", label="A", kind="feed", last_checked=time.time(),
                          last_success=time.time(), last_new=2, articles_new=5)
    store.feeds.save_state("https://b.example/feed", last_checked=time.time() - 60, last_error="HTTP 500",
                          failures=3)
    store.close()
    df = sources_frame(db)
    assert list(df.columns[:len(PANEL_COLUMNS)]) == list(PANEL_COLUMNS)
    assert df["source"].tolist() == ["A", "https://b.example/feed"]
    assert df.iloc[0]["articles"] == 5 and df.iloc[0]["new last time"] == 2 and df.iloc[0]["last error"] == ""
    assert df.iloc[1]["last error"] == "HTTP 500" and pd_isnull(df.iloc[1]["last update"])


def pd_isnull(v) -> bool:
    import pandas as pd

    return bool(pd.isnull(v))
