"""HTTP for feeds and article pages: polite, bounded, and honest about failures.

`Fetcher.get(url, etag=, modified=)` is the only way incidentmap reads the web. It
- asks robots.txt first (one per host, re-read daily; a 4xx robots.txt allows everything, an
  unreachable one or a 5xx forbids the host for now, as RFC 9309 says) and honours its Crawl-delay;
- waits `delay` seconds between two requests to the same host (the larger of ours and robots');
- sends If-None-Match / If-Modified-Since when given an ETag / Last-Modified (a 304 is an answer);
- speaks http and https only, at every hop: it follows redirects itself (at most 10), each new URL
  checked like the first (scheme, robots.txt, address), so a redirect to ftp:// or file:// is refused;
- refuses hosts that resolve to loopback, private, link-local, multicast, reserved or otherwise
  non-public addresses (`refused_address`), checked after DNS resolution and connecting to the very
  address checked, unless `allow_private` (the Fetcher's, for every request, or `get`'s, for one
  feed on your own network); environment proxies are not used;
- gives each request `timeout` seconds in all (connecting, headers, body): a watchdog closes the
  socket at the deadline or as soon as `stop` is set, so a server dripping a byte a second cannot
  stretch it and SIGTERM is honoured within a fraction of a second; stops reading past `max_bytes`;
- retries connection errors and 5xx with exponential backoff, never a 4xx nor a request that ran
  out of time (a slow server would only be slow again);
- raises `FetchError(url, reason)` for everything else, the reason a short sentence.

Memory stays flat over days: the per-host tables are bounded LRU maps. `decode_html` turns the
body into text: the HTTP charset, else the page's <meta charset>, else geodata.textio.decode_bytes
(UTF-8, Windows-1256 when the bytes read as Arabic), else charset-normalizer's guess.
"""

from __future__ import annotations

import codecs
import errno
import http.client
import ipaddress
import os
import re
import select
import socket
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

USER_AGENT = "incidentmap/0.1 (offline conflict-report geoparser; +https://github.com/incidentmap)"
MAX_BYTES = 5_000_000
MAX_HOSTS = 512  # entries kept in the per-host tables (robots.txt, last request time)
ROBOTS_TTL = 24 * 3600
MAX_REDIRECTS = 10


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


@dataclass
class _Raw:
    """One HTTP answer as read off the wire (redirects not followed)."""
    status: int
    reason: str
    headers: dict
    body: bytes = b""


def refused_address(address: str) -> str | None:
    """Why the fetcher may not connect to this IP address by default (loopback, private, link-local,
    multicast, reserved, unspecified or otherwise not globally routable), else None."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    for what in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(ip, f"is_{what}"):
            return f"a {what.replace('_', '-')} address"
    if not ip.is_global:
        return "not a public address"
    return None


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
                 stop: threading.Event | None = None, allow_private: bool = False):
        self.delay, self.timeout, self.retries, self.backoff = delay, timeout, retries, backoff
        self.max_bytes, self.user_agent, self.respect_robots = max_bytes, user_agent, respect_robots
        self.allow_private = allow_private
        self.stop = stop or threading.Event()
        self._robots: _Bounded = _Bounded(MAX_HOSTS)  # host -> (read at, parser or reason string)
        self._last: _Bounded = _Bounded(MAX_HOSTS)  # host -> time of the last request
        self._tls = ssl.create_default_context()

    # ---- public -----------------------------------------------------------------------------
    def get(self, url: str, etag: str | None = None, modified: str | None = None,
            accept: str = "*/*", allow_private: bool = False) -> Response:
        """The page at `url` (redirects followed). `allow_private` lets this request reach hosts on
        loopback/private/link-local addresses (a feed on your own network), as the Fetcher's own
        `allow_private` does for every request."""
        headers = {"User-Agent": self.user_agent, "Accept": accept, "Accept-Encoding": "identity"}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        private = allow_private or self.allow_private
        attempt = 0
        while True:
            try:
                return self._follow(url, headers, private)
            except FetchError as exc:
                retry = exc.status is None or exc.status >= 500
                if not retry or attempt >= self.retries or self.stop.is_set():
                    if attempt:
                        exc.reason += f" (after {attempt + 1} tries)"
                    raise
                self.stop.wait(self.backoff * (2 ** attempt))
                attempt += 1

    # ---- internals ----------------------------------------------------------------------------
    def _follow(self, url: str, headers: dict, private: bool) -> Response:
        """One try: each hop checked (scheme, robots.txt, the host's addresses) before it is asked."""
        first = url
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                what = "not an http(s) URL" if url == first else f"redirected to {url[:200]!r}, not an http(s) URL"
                raise FetchError(first, what, status=400)
            crawl_delay = self._allowed(url, private)
            self._wait_turn(parts.netloc, crawl_delay)
            if self.stop.is_set():
                raise FetchError(first, "stopped", status=499)
            resp = self._once(url, headers, private)
            location = resp.headers.get("location")
            if resp.status in (301, 302, 303, 307, 308) and location:
                url = urljoin(url, location.strip())
                continue
            if resp.status == 304:
                return Response(url=url, status=304, headers=resp.headers)
            if resp.status >= 400 or resp.status in (301, 302, 303, 307, 308):
                raise FetchError(first, f"HTTP {resp.status} {resp.reason}", status=resp.status)
            return Response(url=url, status=resp.status, body=resp.body, headers=resp.headers)
        raise FetchError(first, f"more than {MAX_REDIRECTS} redirects", status=310)

    def _wait_turn(self, host: str, crawl_delay: float) -> None:
        gap = max(self.delay, min(crawl_delay, 60.0))
        last = self._last.get(host)
        if last is not None:
            wait = last + gap - time.monotonic()
            if wait > 0:
                self.stop.wait(wait)
        self._last[host] = time.monotonic()

    def _refused(self, host: str, address: str) -> str | None:
        """Why `host`, resolved to `address`, may not be reached (None: it may)."""
        return refused_address(address)

    def _connect(self, private: bool, url: str, deadline: float, opened: list):
        """socket.create_connection for http.client that connects only to addresses it may reach:
        the host is resolved here, every address checked, and the socket connects to a checked one
        (so a second DNS answer cannot swap in an internal address). Connecting watches `stop` and
        the request's deadline."""

        def create_connection(address, timeout=None, source_address=None):
            host, port = address
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except socket.gaierror as exc:
                raise FetchError(url, f"cannot resolve {host} ({exc.strerror})") from None
            if not private:
                for info in infos:
                    why = self._refused(host, info[4][0])
                    if why:
                        who = host if host == info[4][0] else f"{host} ({info[4][0]})"
                        raise FetchError(url, f"refused: {who} is {why} (a feed on your own network needs "
                                              "--allow-private or allow_private = true)", status=403)
            err = None
            for family, kind, proto, _name, addr in infos:
                sock = socket.socket(family, kind, proto)
                opened.append(sock)
                try:
                    self._connect_one(sock, addr, deadline)
                    sock.settimeout(timeout)
                    return sock
                except OSError as exc:
                    sock.close()
                    err = exc
            raise err or OSError(f"no address for {host}")

        return create_connection

    def _connect_one(self, sock: socket.socket, addr, deadline: float) -> None:
        """Connect without blocking for longer than a tenth of a second at a time."""
        sock.setblocking(False)
        err = sock.connect_ex(addr)
        while err in (errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK):
            if self.stop.is_set():
                raise InterruptedError("stopped")
            if time.monotonic() > deadline:
                raise TimeoutError("connecting timed out")
            _r, writable, _x = select.select([], [sock], [], 0.1)
            if writable:
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise OSError(err, os.strerror(err))

    def _once(self, url: str, headers: dict, private: bool) -> "_Raw":
        """One HTTP exchange, redirects not followed. The whole exchange (connecting, headers, body)
        has `timeout` seconds: a watchdog closes the socket at the deadline, or as soon as `stop`
        is set, so neither a server sending a byte a second nor SIGTERM waits on a blocked read."""
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise FetchError(url, "not a valid port", status=400) from None
        target = urlunsplit(("", "", parts.path or "/", parts.query, ""))
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname, port, timeout=self.timeout, context=self._tls)
        else:
            conn = http.client.HTTPConnection(parts.hostname, port, timeout=self.timeout)
        deadline = time.monotonic() + self.timeout
        opened: list[socket.socket] = []  # the socket, also after http.client hands it to the response
        conn._create_connection = self._connect(private, url, deadline, opened)
        done, fired = threading.Event(), []

        def watchdog():
            while not done.wait(0.1):
                if self.stop.is_set() or time.monotonic() > deadline:
                    fired.append("stopped" if self.stop.is_set() else "deadline")
                    for sock in opened:
                        try:
                            sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                    return

        guard = threading.Thread(target=watchdog, daemon=True, name="fetch-deadline")
        guard.start()
        try:
            try:
                raw, failure = self._exchange(conn, url, target, headers), None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raw, failure = None, exc
            finally:
                done.set()
            if fired == ["stopped"]:  # a closed socket reads as the end: never take it for the whole body
                raise FetchError(url, "stopped", status=499)
            if fired or isinstance(failure, (socket.timeout, TimeoutError)):
                # 408: not retried, a server that used up the whole deadline once would do it again
                raise FetchError(url, f"timed out after {self.timeout:g} s", status=408)
            if failure is not None:
                raise FetchError(url, f"cannot connect or read ({failure.__class__.__name__}: {failure})")
            return raw
        finally:
            conn.close()

    def _exchange(self, conn, url: str, target: str, headers: dict) -> "_Raw":
        conn.request("GET", target, headers=headers)
        resp = conn.getresponse()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        raw = _Raw(resp.status, resp.reason, hdrs)
        if resp.status != 200:
            return raw  # redirects, 304 and errors: the body is not wanted
        length = hdrs.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            raise FetchError(url, f"{int(length) / 1e6:.1f} MB is over the {self.max_bytes / 1e6:g} MB limit",
                             status=413)
        chunks, size = [], 0
        while True:
            chunk = resp.read1(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > self.max_bytes:
                raise FetchError(url, f"over the {self.max_bytes / 1e6:g} MB limit", status=413)
            chunks.append(chunk)
        raw.body = b"".join(chunks)
        return raw

    def _allowed(self, url: str, private: bool = False) -> float:
        """The host's Crawl-delay (0 if none); FetchError when robots.txt forbids the URL."""
        if not self.respect_robots:
            return 0.0
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        cached = self._robots.get(host)
        if cached is None or time.time() - cached[0] > ROBOTS_TTL:
            try:
                cached = (time.time(), self._read_robots(host, private))
            except FetchError as exc:  # a refused address: the page's error, not robots.txt's
                raise FetchError(url, exc.reason, status=exc.status) from None
            self._robots[host] = cached
        rules = cached[1]
        if isinstance(rules, str):
            raise FetchError(url, rules, status=403)
        if not rules.can_fetch(self.user_agent, url):
            raise FetchError(url, "robots.txt disallows it", status=403)
        return float(rules.crawl_delay(self.user_agent) or 0.0)

    def _read_robots(self, host: str, private: bool = False) -> RobotFileParser | str:
        rp = RobotFileParser(host + "/robots.txt")
        try:
            url = host + "/robots.txt"
            for _hop in range(5):  # RFC 9309: follow at least five redirects, each hop checked
                self._wait_turn(urlsplit(url).netloc, 0.0)
                resp = self._once(url, {"User-Agent": self.user_agent}, private)
                location = resp.headers.get("location")
                if resp.status not in (301, 302, 303, 307, 308) or not location:
                    break
                url = urljoin(url, location.strip())
                if urlsplit(url).scheme not in ("http", "https"):
                    raise FetchError(url, "robots.txt redirected to a non-http(s) URL", status=404)
            if resp.status >= 300:
                raise FetchError(host + "/robots.txt", f"HTTP {resp.status}", status=resp.status)
        except FetchError as exc:
            if exc.status == 403 and exc.reason.startswith("refused"):
                raise  # an address we may not reach: say so, not "robots.txt unreadable"
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 499:
                rp.parse([])  # no robots.txt: everything allowed
                return rp
            return f"robots.txt unreadable ({exc.reason}); the host is skipped for now"
        rp.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        return rp


# ---- text -----------------------------------------------------------------------------------------
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


class UnknownCharset(ValueError):
    """A page that declares a charset which is no text encoding (rot13, base64, hex, a made-up name):
    an error for that page, never for the feed it came from."""


def _codec(name: str | None) -> str | None:
    """The codec of a declared charset name; None when none is declared; UnknownCharset when the
    name is no text encoding Python knows (bytes.decode would raise LookupError)."""
    if not name or not name.strip().strip("\"'"):
        return None
    name = name.strip().strip("\"'")
    try:
        info = codecs.lookup(name)
    except LookupError:
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UnknownCharset(f"declares charset {name[:40]!r}, which is no text encoding")
    return info.name


def declared_charset(content_type: str, body: bytes) -> str | None:
    """The charset the HTTP header declares, else the page's <meta>, else None; UnknownCharset
    when the one declared is no text encoding."""
    msg = Message()
    msg["content-type"] = content_type or "text/plain"
    enc = _codec(msg.get_param("charset"))
    if enc:
        return enc
    m = _META_CHARSET.search(body[:8192])
    return _codec(m.group(1).decode("ascii", "replace")) if m else None


def decode_html(body: bytes, content_type: str = "", url: str = "<page>") -> tuple[str, str]:
    """(text, encoding used) of a fetched body. Raises geodata.textio.UnreadableInput for binary data,
    UnknownCharset for a charset that is no text encoding (both ValueErrors)."""
    from geodata.textio import decode_bytes

    declared = declared_charset(content_type, body)
    if declared:
        try:
            return body.decode(declared), declared
        except UnicodeDecodeError:
            pass  # a lying header: guess below
    return decode_bytes(body, url, guess=True)  # better than Latin-1 if charset-normalizer knows


def absolute(base: str, link: str) -> str:
    return urljoin(base, link)
