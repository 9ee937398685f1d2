"""Follow the news: RSS/Atom feeds and article pages, fetched politely and ingested as they come.

The face is three functions (the rest is private):
- `load_feeds(path)` -> the `Source`s of a feeds file (TOML, see feeds.example.toml);
- `poll(sources, store, geoparser)` -> one round over the sources: each feed read with a conditional
  GET, each new item's link fetched, its article extracted (trafilatura) and stored, the feed's state
  written to the store; an article page given as a source is fetched itself. Returns a `WatchSummary`;
- `watch(sources, store, geoparser, every=…)` -> `poll` again and again until `stop` is set (the CLI
  sets it on Ctrl-C and SIGTERM): a source is read again when its `interval` has passed.
`fetch_urls(urls, store, geoparser)` is `poll` for single article pages (`incidentmap fetch`).

Transport (robots.txt, per-host delay, timeouts, retries, size limit, conditional GET) is
incidents.fetch. A failing feed or page never stops the others: each failure is a line of the
summary with its URL and the reason. Each article is stored in its own transaction (Store.save_article);
the stop flag is checked between items, so Ctrl-C never leaves half an article.

De-duplication: an item whose link (or canonical URL: <link rel=canonical>, utm_* and click ids
stripped) was fetched before, with the same `updated` date in the feed, is not fetched again; a page
whose text is already stored under another URL is a duplicate and is not stored twice; a page whose
text changed replaces its own article's incidents (reviews are carried over by the store).
"""

from __future__ import annotations

import io
import re
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from geodata.printable import printable as P
from incidents.articles import Article
from incidents.fetch import FetchError, Fetcher, Response, decode_html

FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
SOURCE_KEYS = {"url", "label", "language", "interval", "enabled", "allow_private"}
MAX_ITEMS_PER_FEED = 100  # newest items of one feed read per round


class FeedsFileError(ValueError):
    """A feeds file that cannot be used; the message names the file and the entry."""


@dataclass
class Source:
    url: str
    label: str = ""
    language: str = ""
    interval: float | None = None  # minutes between two reads (None: watch's --every)
    enabled: bool = True
    allow_private: bool = False  # a feed on your own network: it and its items may be on private addresses

    @property
    def name(self) -> str:
        return self.label or self.url


@dataclass
class SourceResult:
    url: str
    label: str = ""
    kind: str = "feed"  # feed | page
    status: str = "ok"  # ok | not modified | error
    reason: str = ""  # why it failed (status error)
    items: int = 0  # items in the feed
    seen: int = 0  # items fetched before (skipped)
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    duplicates: int = 0
    incidents: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)  # (item URL, reason)

    def count(self, status: str, incidents: int = 0) -> None:
        setattr(self, status, getattr(self, status) + 1)
        self.incidents += incidents


@dataclass
class WatchSummary:
    sources: list[SourceResult] = field(default_factory=list)
    stopped: bool = False  # stopped early by Ctrl-C / SIGTERM

    @property
    def read(self) -> int:
        """Sources that answered (with items, or 'not modified')."""
        return sum(1 for s in self.sources if s.status != "error")

    def total(self, what: str) -> int:
        return sum(getattr(s, what) for s in self.sources)

    @property
    def errors(self) -> list[tuple[str, str]]:
        out = []
        for s in self.sources:
            if s.status == "error":
                out.append((s.url, s.reason))
            out += s.errors
        return out

    def text(self) -> str:
        lines = [f"{len(self.sources)} source(s), {self.read} read: {self.total('new')} new article(s), "
                 f"{self.total('replaced')} replaced, {self.total('unchanged')} unchanged, "
                 f"{self.total('duplicates')} duplicate(s), {self.total('seen')} item(s) seen before; "
                 f"{self.total('incidents')} incident(s) stored; {len(self.errors)} error(s)"
                 + ("; stopped early" if self.stopped else "")]
        for s in self.sources:  # labels, URLs and reasons come from feeds: escaped, one line each
            what = s.reason if s.status == "error" else s.status
            lines.append(f"  {s.kind} {P(s.label or s.url)}: {P(what)}; {s.items} item(s), {s.new} new, "
                         f"{s.replaced} replaced, {s.incidents} incident(s)" + (f" ({P(s.url)})" if s.label else ""))
        lines += [f"  error: {P(url)}: {P(reason)}" for url, reason in self.errors]
        return "\n".join(lines)


# ---- the feeds file ---------------------------------------------------------------------------------
def load_feeds(path: str | Path) -> list[Source]:
    """The sources of a TOML feeds file: `[[feed]]` tables with url (required), label, language,
    interval (minutes), enabled (default true) and allow_private (default false: the feed and its
    items may be on loopback/private addresses, for a feed on your own network)."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise FeedsFileError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise FeedsFileError(f"{path}: not valid TOML ({exc})") from exc
    out = []
    for n, entry in enumerate(data.get("feed", []), 1):
        where = f"{path}: feed #{n}"
        if not isinstance(entry, dict) or not entry.get("url"):
            raise FeedsFileError(f"{where}: needs url = \"https://…\"")
        unknown = set(entry) - SOURCE_KEYS
        if unknown:
            raise FeedsFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(sorted(SOURCE_KEYS))}")
        interval = entry.get("interval")
        if interval is not None and (not isinstance(interval, (int, float)) or interval <= 0):
            raise FeedsFileError(f"{where}: interval is minutes, a number above 0")
        private = entry.get("allow_private", False)
        if not isinstance(private, bool):
            raise FeedsFileError(f"{where}: allow_private is true or false")
        out.append(Source(url=str(entry["url"]), label=str(entry.get("label", "")),
                          language=str(entry.get("language", "")), interval=interval,
                          enabled=bool(entry.get("enabled", True)), allow_private=private))
    return out


# ---- URLs -----------------------------------------------------------------------------------------------
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|at_medium|at_campaign)$", re.I)


def canonical_url(url: str) -> str:
    """The URL without fragment and tracking parameters (utm_*, fbclid…), scheme and host in lower case."""
    p = urlsplit(url.strip())
    query = urlencode([(k, v) for k, v in parse_qsl(p.query, keep_blank_values=True) if not _TRACKING.match(k)])
    host = p.netloc.lower()
    if (p.scheme == "http" and host.endswith(":80")) or (p.scheme == "https" and host.endswith(":443")):
        host = host.rsplit(":", 1)[0]
    return urlunsplit((p.scheme.lower(), host, p.path or "/", query, ""))


_CANONICAL = re.compile(r"<link\b[^>]*\brel\s*=\s*[\"']?canonical[\"']?[^>]*>", re.I)
_HREF = re.compile(r"\bhref\s*=\s*[\"']([^\"']+)[\"']", re.I)
_HTML_LANG = re.compile(r"<html\b[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.I)


def _page_canonical(markup: str, url: str) -> str:
    from incidents.fetch import absolute

    m = _CANONICAL.search(markup[:200_000])
    href = _HREF.search(m.group(0)) if m else None
    link = absolute(url, href.group(1)) if href else url
    return canonical_url(link if urlsplit(link).scheme in ("http", "https") else url)


# ---- one page -----------------------------------------------------------------------------------------
def article_from_html(markup: str, url: str, language: str = "", source: str = "") -> tuple[Article, str]:
    """(Article, author) of an article page: its main text and metadata by trafilatura (navigation,
    related/most-read boxes, ads, comments and footers left out). `url` is the page's canonical URL."""
    import trafilatura

    from geodata.normalize import is_arabic
    from incidents.dates import parse_date

    doc = trafilatura.bare_extraction(markup, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=True)
    body = (doc.text or "").strip() if doc is not None else ""
    if not body:
        raise ValueError("no article text found in the page")
    title = (doc.title or "").strip()
    paragraphs = [line.strip() for line in body.splitlines() if line.strip()]
    if title and paragraphs and paragraphs[0] == title:  # the page's <h1> repeats the title
        paragraphs = paragraphs[1:] or paragraphs
    body = "\n\n".join(paragraphs)
    lang_attr = _HTML_LANG.search(markup[:5000])
    lang = (language or (doc.language or "") or (lang_attr.group(1).lower() if lang_attr else "")
            or ("ar" if is_arabic(body[:2000]) else "en"))
    text = f"{title}\n\n{body}" if title else body
    art = Article(text=text, title=title, date=parse_date(doc.date) if doc.date else None,
                  source=source or doc.sitename or doc.hostname or urlsplit(url).netloc, url=url,
                  language=lang[:2], body_start=len(title) + 2 if title else 0)
    if art.date is None:
        art.warnings.append("no publication date in the page")
    return art, (doc.author or "")


def _ingest_page(url: str, store, geoparser, fetcher: Fetcher, result: SourceResult, language: str = "",
                 source: str = "", feed_url: str | None = None, entry_updated: str | None = None,
                 resp: Response | None = None, allow_private: bool = False) -> None:
    """Fetch (unless `resp` is given), extract and store one article page; count it in `result`."""
    from incidents.extract import extract

    known = store.feeds.fetched(url)
    try:
        if resp is None:
            resp = fetcher.get(url, etag=known and known["etag"], modified=known and known["modified"],
                               accept=PAGE_ACCEPT, allow_private=allow_private)
        if resp.status == 304:
            store.feeds.save_fetched(url, **{**(known or {}), "entry_updated": entry_updated, "feed_url": feed_url,
                                       "status": "unchanged", "error": None})
            result.count("unchanged")
            return
        markup, _enc = decode_html(resp.body, resp.content_type, url)
        canonical = _page_canonical(markup, resp.url)
        art, author = article_from_html(markup, canonical, language=language, source=source)
    except Exception as exc:  # noqa: BLE001 - one unreadable page (a charset that is no text encoding,
        # markup that trips the extractor) is an error for that item, never for the whole feed
        reason = exc.reason if isinstance(exc, FetchError) else (
            str(exc) if isinstance(exc, ValueError) else f"{exc.__class__.__name__}: {exc}")
        result.errors.append((url, reason))
        store.feeds.save_fetched(url, status="error", error=reason, feed_url=feed_url, entry_updated=None)
        return
    page = {"canonical": canonical, "content_hash": art.id, "etag": resp.etag, "modified": resp.modified,
            "author": author, "feed_url": feed_url, "entry_updated": entry_updated, "error": None}
    twin = store.articles.key_with_id(art.id)
    if twin and twin != art.key:
        result.count("duplicates")
        store.feeds.save_fetched(url, **page, article_key=twin, status="duplicate")
        return
    try:
        incidents = extract(art, geoparser)
        saved = store.save_article(art, incidents, origin="web")
    except Exception as exc:  # one bad article never stops the others
        reason = f"could not be extracted or stored ({exc.__class__.__name__}: {exc})"
        result.errors.append((url, reason))
        store.feeds.save_fetched(url, status="error", error=reason, feed_url=feed_url, entry_updated=None)
        return
    status = saved.status if saved.status in ("new", "replaced", "unchanged") else "replaced"
    result.count(status, saved.incidents)
    for u in {url, canonical}:
        store.feeds.save_fetched(u, **page, article_key=art.key, status=status)


def _page_result(url: str, store, geoparser, fetcher: Fetcher, **kw) -> SourceResult:
    """A page as a source of its own: its failure is the source's."""
    result = SourceResult(url=url, label=kw.get("source", ""), kind="page")
    _ingest_page(url, store, geoparser, fetcher, result, **kw)
    if result.errors:
        result.status, result.reason = "error", result.errors.pop()[1]
    return result


# ---- one feed -----------------------------------------------------------------------------------------
def _looks_like_feed(resp: Response) -> bool:
    ctype = resp.content_type.lower()
    if any(t in ctype for t in ("rss", "atom", "xml")):
        return True
    head = resp.body[:1024].lstrip().lower()
    return head.startswith(b"<?xml") or head.startswith(b"<rss") or head.startswith(b"<feed")


def _poll_source(src: Source, store, geoparser, fetcher: Fetcher, stop: threading.Event) -> SourceResult:
    import feedparser

    state = store.feeds.state(src.url) or {}
    result = SourceResult(url=src.url, label=src.label)
    now = time.time()
    try:
        resp = fetcher.get(src.url, etag=state.get("etag"), modified=state.get("modified"), accept=FEED_ACCEPT,
                           allow_private=src.allow_private)
    except FetchError as exc:
        result.status, result.reason = "error", exc.reason
        store.feeds.save_state(src.url, label=src.label, last_checked=now, last_error=exc.reason,
                              last_error_at=now, failures=state.get("failures", 0) + 1)
        return result
    kind = state.get("kind") or ("feed" if resp.status == 304 or _looks_like_feed(resp) else "page")
    result.kind = kind
    if resp.status == 304:
        result.status = "not modified"
    elif kind == "page":
        result = _page_result(src.url, store, geoparser, fetcher, language=src.language, source=src.label,
                              resp=resp)
    else:
        parsed = feedparser.parse(io.BytesIO(resp.body), response_headers={
            "content-location": resp.url, "content-type": resp.content_type or "application/xml"})
        if parsed.bozo and not parsed.entries:
            result.status = "error"
            result.reason = f"not a readable feed ({parsed.get('bozo_exception') or 'malformed XML'})"
        else:
            _read_entries(src, parsed, store, geoparser, fetcher, stop, result, state)
    fields = {"label": src.label, "kind": kind, "last_checked": now, "checks": state.get("checks", 0) + 1}
    if result.status == "error":
        fields.update(last_error=result.reason, last_error_at=now, failures=state.get("failures", 0) + 1)
    else:
        fields.update(last_success=now, last_new=result.new,
                      articles_new=state.get("articles_new", 0) + result.new,
                      items_seen=state.get("items_seen", 0) + result.new + result.replaced)
        if resp.status != 304:
            fields.update(etag=resp.etag, modified=resp.modified)
        if result.errors:
            fields.update(last_error=f"{len(result.errors)} item(s) failed; last: {result.errors[-1][0]}: "
                                     f"{result.errors[-1][1]}", last_error_at=now)
        else:
            fields.update(last_error=None)
    store.feeds.save_state(src.url, **fields)
    return result


def _read_entries(src: Source, parsed, store, geoparser, fetcher: Fetcher, stop: threading.Event,
                  result: SourceResult, state: dict) -> None:
    from incidents.fetch import absolute

    language = src.language or (parsed.feed.get("language") or "")[:2]
    entries = [e for e in parsed.entries[:MAX_ITEMS_PER_FEED] if e.get("link")]
    result.items = len(entries)
    if entries:  # the feed's newest item (feeds list newest first)
        store.feeds.save_state(src.url, last_item=entries[0].get("id") or absolute(src.url, entries[0]["link"]),
                              last_item_at=time.time())
    for entry in reversed(entries):  # oldest first: the last one stored is the newest
        if stop.is_set():
            return
        link = absolute(src.url, entry["link"])
        # dict.get: feedparser's own get maps a missing `updated` to `published` with a warning
        updated = dict.get(entry, "updated") or dict.get(entry, "published") or ""
        known = store.feeds.fetched(link) or store.feeds.fetched(canonical_url(link))
        if known and known["status"] != "error" and (known["entry_updated"] or "") == updated:
            result.seen += 1
            continue
        _ingest_page(link, store, geoparser, fetcher, result, language=language,
                     source=src.label or parsed.feed.get("title", ""), feed_url=src.url, entry_updated=updated,
                     allow_private=src.allow_private)


# ---- the face -------------------------------------------------------------------------------------------
def _round(sources: list[Source], fetcher: Fetcher | None, stop: threading.Event | None, read) -> WatchSummary:
    """`read(source, fetcher, stop)` -> SourceResult for each enabled source, until `stop` is set."""
    stop = stop or (fetcher.stop if fetcher else threading.Event())
    fetcher = fetcher or Fetcher(stop=stop)
    summary = WatchSummary()
    for src in sources:
        if stop.is_set():
            break
        if not src.enabled:
            continue
        try:
            summary.sources.append(read(src, fetcher, stop))
        except Exception as exc:  # a bug or a locked store on one source never stops the others
            summary.sources.append(SourceResult(url=src.url, label=src.label, status="error",
                                                reason=f"{exc.__class__.__name__}: {exc}"))
    summary.stopped = stop.is_set()
    return summary


def poll(sources: list[Source], store, geoparser, fetcher: Fetcher | None = None,
         stop: threading.Event | None = None) -> WatchSummary:
    """Read every enabled source once (see the module's docstring)."""
    return _round(sources, fetcher, stop, lambda src, f, halt: _poll_source(src, store, geoparser, f, halt))


def fetch_urls(urls: list[str], store, geoparser, fetcher: Fetcher | None = None,
               stop: threading.Event | None = None) -> WatchSummary:
    """Fetch, extract and store single article pages (a page fetched before: a conditional GET)."""
    return _round([Source(url=u) for u in urls], fetcher, stop,
                  lambda src, f, _halt: _page_result(src.url, store, geoparser, f))


def watch(sources: list[Source], store, geoparser, every: float = 15.0, fetcher: Fetcher | None = None,
          stop: threading.Event | None = None, report=print) -> int:
    """Poll the sources until `stop` is set: each source when its interval (else `every` minutes) has
    passed since it was last read. `report` gets each round's summary text. Returns the rounds run."""
    stop = stop or (fetcher.stop if fetcher else threading.Event())
    fetcher = fetcher or Fetcher(stop=stop)
    rounds = 0
    while not stop.is_set():
        now = time.time()
        due = []
        for src in sources:
            last = (store.feeds.state(src.url) or {}).get("last_checked")
            if last is None or now - last >= 60 * (src.interval or every) - 1:
                due.append(src)
        if due:
            summary = poll(due, store, geoparser, fetcher, stop)
            rounds += 1
            report(time.strftime("%Y-%m-%d %H:%M:%S ") + summary.text())
        stop.wait(60 * min([every] + [s.interval for s in sources if s.interval]))
    return rounds
