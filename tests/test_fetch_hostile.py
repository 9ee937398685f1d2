"""Issue 19: the fetcher against hostile servers and feeds. Every server here is started by the test
on 127.0.0.1 and stopped after; nothing touches the internet.

The fetcher refuses loopback addresses by default, which is what these tests check. Where a test
needs a "public" site to start from, `Internet` treats the host name `news.example` as one: a fake
DNS answer sends it to the test's server on 127.0.0.1, and only that name skips the address check;
every other host (127.0.0.1 itself above all) is checked as usual.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from incidents.feeds import Source, poll
from incidents.fetch import Fetcher, FetchError
from incidents.store import Store

ROOT = Path(__file__).resolve().parent.parent
PAGE = (Path(__file__).parent / "fixtures" / "feeds" / "en_saraqib.html").read_bytes()
SECRET = b"<html><body><article><p>INTERNAL SECRET: the admin password is hunter2. Government forces " \
         b"shelled the town of Saraqib in Idlib on Tuesday, killing three civilians.</p></article></body></html>"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _send(self, status, body=b"", ctype="text/html", headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: C901 - a route table
        srv = self.server
        path = self.path.split("?")[0]
        srv.hits[path] += 1
        if path == "/secret":
            return self._send(200, SECRET)
        if path == "/page.html":
            return self._send(200, PAGE, "text/html; charset=utf-8")
        if path.startswith("/hop"):  # /hop1 -> /hop2 -> /hop3 -> the target
            n = int(path[4:] or 1)
            return self._send(302, headers={"Location": f"/hop{n + 1}" if n < 3 else srv.state["target"]})
        if path == "/to-ftp":
            return self._send(301, headers={"Location": srv.state["ftp"]})
        if path.startswith("/charset/"):
            return self._send(200, PAGE, f"text/html; charset={path.rsplit('/', 1)[1]}")
        if path == "/feed.xml":
            return self._send(200, srv.state["feed"].encode(), "application/rss+xml")
        if path in ("/drip-body", "/drip-close"):  # headers at once, then a byte a second
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "600")
            if path == "/drip-close":  # http.client hands the socket over to the response
                self.send_header("Connection", "close")
            self.end_headers()
            return self._drip(b"<p>" + b"x" * 597)
        if path == "/drip-headers":  # the status line and headers a byte a second
            return self._drip(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 600)
        return self._send(404, b"no such page")

    def _drip(self, data: bytes):
        for i in range(len(data)):
            if self.server.closing.is_set():
                return
            try:
                self.wfile.write(data[i:i + 1])
                self.wfile.flush()
            except OSError:
                return
            self.server.closing.wait(1.0)


@pytest.fixture
def web():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.daemon_threads = True
    srv.hits, srv.state, srv.closing = Counter(), {}, threading.Event()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    srv.port = srv.server_address[1]
    srv.base = f"http://127.0.0.1:{srv.port}"
    yield srv
    srv.closing.set()
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def ftp():
    """A socket server on 127.0.0.1 that speaks a little FTP and records every connection and command."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(5)
    lst.settimeout(0.2)
    seen, done = [], threading.Event()

    def serve():
        while not done.is_set():
            try:
                conn, _ = lst.accept()
            except OSError:
                continue
            seen.append("connect")
            with conn:
                conn.settimeout(1)
                try:
                    conn.sendall(b"220 ready\r\n")
                    while not done.is_set():
                        line = conn.recv(1024)
                        if not line:
                            break
                        seen.append(line.decode(errors="replace").split()[0])
                        conn.sendall(b"530 no\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"ftp://127.0.0.1:{lst.getsockname()[1]}/etc/passwd", seen
    done.set()
    thread.join(5)
    lst.close()


class Internet(Fetcher):
    """A fetcher for which `news.example` is a public site (see the module's docstring)."""

    def _refused(self, host: str, address: str) -> str | None:
        return None if host == "news.example" else super()._refused(host, address)


@pytest.fixture
def news(web, monkeypatch):
    """http://news.example:<port> reaches the test's server; 127.0.0.1 stays what it is."""
    real = socket.getaddrinfo

    def fake(host, port, *args, **kw):
        return real("127.0.0.1" if host == "news.example" else host, port, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return f"http://news.example:{web.port}"


def quick(cls=Fetcher, **kw) -> Fetcher:
    return cls(**{"delay": 0.0, "timeout": 2.0, "retries": 0, "backoff": 0.01, **kw})


# ---- addresses ---------------------------------------------------------------------------------------
def test_loopback_and_private_hosts_are_refused_unless_allowed(web):
    for url in (web.base + "/secret", f"http://localhost:{web.port}/secret"):
        with pytest.raises(FetchError, match="refused: .*loopback"):
            quick().get(url)
    assert web.hits["/secret"] == 0 and web.hits["/robots.txt"] == 0  # not even robots.txt was asked
    assert quick(allow_private=True).get(web.base + "/secret").body == SECRET  # the CLI's --allow-private
    assert quick().get(web.base + "/secret", allow_private=True).status == 200  # a feed's allow_private

    from incidents.fetch import refused_address

    for addr, what in [("10.1.2.3", "private"), ("192.168.0.1", "private"), ("172.16.5.5", "private"),
                       ("169.254.169.254", "link-local"), ("fe80::1", "link-local"), ("::1", "loopback"),
                       ("224.0.0.1", "multicast"), ("0.0.0.0", "unspecified"), ("::ffff:127.0.0.1", "loopback"),
                       ("240.0.0.1", "reserved"), ("100.64.0.1", "not a public")]:
        assert what in (refused_address(addr) or ""), addr
    assert refused_address("93.184.216.34") is None and refused_address("2606:4700::1111") is None


def test_a_feed_item_linking_to_an_internal_service_is_not_fetched(web, news, tmp_path, geoparser):
    web.state["feed"] = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
                         f'<item><title>internal</title><link>{web.base}/secret</link></item>'
                         f'<item><title>good</title><link>{news}/page.html</link></item>'
                         f'</channel></rss>')
    store = Store(tmp_path / "s.sqlite")
    summary = poll([Source(url=news + "/feed.xml")], store, geoparser, quick(Internet))
    assert web.hits["/secret"] == 0
    assert [reason for url, reason in summary.errors if url.endswith("/secret")][0].startswith("refused")
    assert summary.total("new") == 1  # the good item still came in
    assert store.articles.text(web.base + "/secret") is None and store.counts()["articles"] == 1
    state = store.feeds.state(news + "/feed.xml")
    assert "1 item(s) failed" in state["last_error"] and "loopback" in state["last_error"]


def test_a_redirect_chain_ending_at_an_internal_service_is_stopped_at_that_hop(web, news):
    web.state["target"] = f"http://127.0.0.1:{web.port}/secret"
    with pytest.raises(FetchError, match="refused: 127.0.0.1 is a loopback"):
        quick(Internet).get(news + "/hop1")
    assert web.hits["/hop3"] == 1 and web.hits["/secret"] == 0
    web.state["target"] = "/page.html"  # the same chain ending on the public site is followed
    r = quick(Internet).get(news + "/hop1")
    assert r.status == 200 and r.url == news + "/page.html"


def test_a_redirect_to_ftp_is_refused_and_the_ftp_server_never_hears_from_us(web, ftp):
    url, seen = ftp
    web.state["ftp"] = url
    with pytest.raises(FetchError, match="not an http"):
        quick(allow_private=True).get(web.base + "/to-ftp")  # even with private addresses allowed
    time.sleep(0.3)
    assert seen == []


# ---- time ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/drip-body", "/drip-close", "/drip-headers"])
def test_a_slow_drip_cannot_stretch_the_deadline(web, path):
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out after 2 s"):
        quick(allow_private=True, retries=2).get(web.base + path)
    took = time.monotonic() - started
    assert took < 3.0 and web.hits[path] == 1, took  # the whole deadline, once: not tried again


@pytest.mark.shared
def test_sigterm_stops_a_fetch_within_two_seconds(web, real_gazetteer_path, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "incidents.cli", "fetch", web.base + "/drip-close", "--timeout", "120",
                             "--delay", "0", "--allow-private", "--db", str(tmp_path / "s.sqlite"),
                             "--gazetteer", str(real_gazetteer_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while web.hits["/drip-close"] == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert web.hits["/drip-close"] == 1, proc.communicate()[1] if proc.poll() is not None else "no request"
        time.sleep(1.0)  # well into the drip
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(10)
        took = time.monotonic() - sent
        err = proc.stderr.read()
        assert took < 3.0, (took, err)  # a second or two (0.8 s on a quiet machine), with slack for a loaded CI; before: ~43 s
        assert "SIGTERM: stopping" in err and "stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# ---- charsets -------------------------------------------------------------------------------------------
def test_a_page_with_a_charset_that_is_no_text_encoding_fails_alone(web, tmp_path, geoparser):
    bad = ["rot13", "base64", "hex", "no-such-charset"]
    items = "".join(f"<item><title>{cs}</title><link>{web.base}/charset/{cs}</link></item>" for cs in bad)
    web.state["feed"] = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{items}'
                         f'<item><title>good</title><link>{web.base}/page.html</link></item></channel></rss>')
    store = Store(tmp_path / "s.sqlite")
    feed = Source(url=web.base + "/feed.xml", allow_private=True)
    for _round in range(2):  # every round: the good item is not jammed behind the bad ones
        summary = poll([feed], store, geoparser, quick())
        assert summary.sources[0].status == "ok"
    assert store.counts()["articles"] == 1
    reasons = {url.rsplit("/", 1)[1]: reason for url, reason in summary.errors}
    assert set(reasons) == set(bad) and all("no text encoding" in r for r in reasons.values())
    state = store.feeds.state(feed.url)
    assert "4 item(s) failed" in state["last_error"] and "no text encoding" in state["last_error"]
    page = store.feeds.fetched(web.base + "/charset/rot13")
    assert page["status"] == "error" and "rot13" in page["error"]
