"""HTTP for feeds and article pages: polite, bounded, and honest about failures.

`Fetcher.get(url, etag=, modified=)` is the only way incidentmap reads the web. It
- asks robots.txt first (one per host, re-read daily; a 4xx robots.txt allows everything, an
  unreachable one or a 5xx forbids the host for now, as RFC 9309 says) and honours its Crawl-delay;
- waits `delay` seconds between two requests to the same host (the larger of ours and robots');
- sends If-None-Match / If-Modified-Since when given an ETag / Last-Modified (a 304 is an answer);
- follows redirects (urllib's handler, at most 10), times out (`timeout` per socket operation and
  the same again for the whole body), stops reading past `max_bytes`;
- retries timeouts, connection errors and 5xx with exponential backoff, never a 4xx;
- raises `FetchError(url, reason)` for everything else, the reason a short sentence.

Memory stays flat over days: the per-host tables are bounded LRU maps. `decode_html` turns the
body into text: the HTTP charset, else the page's <meta charset>, else geodata.textio.decode_bytes
(UTF-8, Windows-1256 when the bytes read as Arabic), else charset-normalizer's guess.
"""

from __future__ import annotations

import codecs
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

USER_AGENT = "incidentmap/0.1 (offline conflict-report geoparser; +https://github.com/incidentmap)"
MAX_BYTES = 5_000_000
MAX_HOSTS = 512  # entries kept in the per-host tables (robots.txt, last request time)
ROBOTS_TTL = 24 * 3600


class FetchError(Exception):
    """A URL that could not be read; `reason` says why in words (for the summary)."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.status = url, reason, status

    def __str__(self) -> str:
        return f"{self.url}: {self.reason}"


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int  # 200, or 304 (not modified: body empty)
    body: bytes = b""
    headers: dict = field(default_factory=dict)  # lower-case names

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class _Bounded(OrderedDict):
    """An LRU dict of at most `limit` entries."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def __setitem__(self, key, value):
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class Fetcher:
    def __init__(self, delay: float = 2.0, timeout: float = 20.0, retries: int = 2, backoff: float = 2.0,
                 max_bytes: int = MAX_BYTES, user_agent: str = USER_AGENT, respect_robots: bool = True,
                 stop: threading.Event | None = None):
        self.delay, self.timeout, self.retries, self.backoff = delay, timeout, retries, backoff
        self.max_bytes, self.user_agent, self.respect_robots = max_bytes, user_agent, respect_robots
        self.stop = stop or threading.Event()
        self._robots: _Bounded = _Bounded(MAX_HOSTS)  # host -> (read at, parser or reason string)
        self._last: _Bounded = _Bounded(MAX_HOSTS)  # host -> time of the last request
        self._opener = urllib.request.build_opener(urllib.request.HTTPRedirectHandler())

    # ---- public -----------------------------------------------------------------------------
    def get(self, url: str, etag: str | None = None, modified: str | None = None,
            accept: str = "*/*") -> Response:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FetchError(url, "not an http(s) URL")
        crawl_delay = self._allowed(url)
        headers = {"User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        attempt = 0
        while True:
            self._wait_turn(parts.netloc, crawl_delay)
            try:
                return self._once(url, headers)
            except FetchError as exc:
                retry = exc.status is None or exc.status >= 500
                if not retry or attempt >= self.retries or self.stop.is_set():
                    if attempt:
                        exc.reason += f" (after {attempt + 1} tries)"
                    raise
                self.stop.wait(self.backoff * (2 ** attempt))
                attempt += 1

    # ---- internals ----------------------------------------------------------------------------
    def _wait_turn(self, host: str, crawl_delay: float) -> None:
        gap = max(self.delay, min(crawl_delay, 60.0))
        last = self._last.get(host)
        if last is not None:
            wait = last + gap - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
        self._last[host] = time.monotonic()

    def _once(self, url: str, headers: dict) -> Response:
        req = urllib.request.Request(url, headers=headers)
        started = time.monotonic()
        try:
            resp = self._opener.open(req, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            hdrs = {k.lower(): v for k, v in exc.headers.items()} if exc.headers else {}
            exc.close()
            if exc.code == 304:
                return Response(url=exc.url or url, status=304, headers=hdrs)
            raise FetchError(url, f"HTTP {exc.code} {exc.reason}", status=exc.code) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (socket.timeout, TimeoutError)):
                raise FetchError(url, f"timed out after {self.timeout:g} s") from None
            raise FetchError(url, f"cannot connect ({reason})") from None
        except (socket.timeout, TimeoutError):
            raise FetchError(url, f"timed out after {self.timeout:g} s") from None
        except (OSError, ValueError) as exc:
            raise FetchError(url, f"cannot connect ({exc})") from None
        with resp:
            hdrs = {k.lower(): v for k, v in resp.headers.items()}
            length = hdrs.get("content-length", "")
            if length.isdigit() and int(length) > self.max_bytes:
                raise FetchError(url, f"{int(length) / 1e6:.1f} MB is over the {self.max_bytes / 1e6:g} MB limit",
                                 status=413)
            chunks, size = [], 0
            try:
                while True:
                    chunk = resp.read(65536)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FetchError(url, f"over the {self.max_bytes / 1e6:g} MB limit", status=413)
                    if time.monotonic() - started > 2 * self.timeout:
                        raise FetchError(url, f"timed out reading the body (over {2 * self.timeout:g} s)")
                    chunks.append(chunk)
            except (socket.timeout, TimeoutError):
                raise FetchError(url, f"timed out after {self.timeout:g} s") from None
            except OSError as exc:
                raise FetchError(url, f"connection broken ({exc})") from None
            return Response(url=resp.geturl() or url, status=resp.status, body=b"".join(chunks), headers=hdrs)

    def _allowed(self, url: str) -> float:
        """The host's Crawl-delay (0 if none); FetchError when robots.txt forbids the URL."""
        if not self.respect_robots:
            return 0.0
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(host)
        if cached is None or time.time() - cached[0] > ROBOTS_TTL:
            cached = (time.time(), self._read_robots(host))
            self._robots[host] = cached
        rules = cached[1]
        if isinstance(rules, str):
            raise FetchError(url, rules, status=403)
        if not rules.can_fetch(self.user_agent, url):
            raise FetchError(url, "robots.txt disallows it", status=403)
        return float(rules.crawl_delay(self.user_agent) or 0.0)

    def _read_robots(self, host: str) -> RobotFileParser | str:
        rp = RobotFileParser(host + "/robots.txt")
        try:
            self._wait_turn(urlsplit(host).netloc, 0.0)
            resp = self._once(host + "/robots.txt", {"User-Agent": self.user_agent})
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                rp.parse([])  # no robots.txt: everything allowed
                return rp
            return f"robots.txt unreadable ({exc.reason}); the host is skipped for now"
        rp.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        return rp


# ---- text -----------------------------------------------------------------------------------------
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().strip("\"'")).name
    except LookupError:
        return None


def declared_charset(content_type: str, body: bytes) -> str | None:
    """The charset the HTTP header declares, else the page's <meta> (a known codec name), else None."""
    msg = Message()
    msg["content-type"] = content_type or "text/plain"
    enc = _codec(msg.get_param("charset"))
    if enc:
        return enc
    m = _META_CHARSET.search(body[:8192])
    return _codec(m.group(1).decode("ascii", "replace")) if m else None


def decode_html(body: bytes, content_type: str = "", url: str = "<page>") -> tuple[str, str]:
    """(text, encoding used) of a fetched body. Raises geodata.textio.UnreadableInput for binary data."""
    from geodata.textio import decode_bytes

    declared = declared_charset(content_type, body)
    if declared:
        try:
            return body.decode(declared), declared
        except UnicodeDecodeError:
            pass  # a lying header: guess below
    text, enc = decode_bytes(body, url)
    if enc == "latin-1":  # decode_bytes' last resort: ask charset-normalizer for better
        from charset_normalizer import from_bytes

        best = from_bytes(body).best()
        if best is not None:
            return str(best), best.encoding
    return text, enc


def absolute(base: str, link: str) -> str:
    return urljoin(base, link)
