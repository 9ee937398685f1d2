"""Read articles: plain text as pasted from a news site, Markdown/text with front matter, a
sidecar `.meta.json`, folders of such files, and CSV or JSON Lines files of many articles.

For plain text the reader finds the title (the first line, when more text follows it), a repeated
title, the date line ("21 سبتمبر 2020", "21 أيلول 2020", "Wed 05 Apr 2017", "2020-09-21") and a
photo caption, and records where the body starts; the text itself is never altered, so offsets stay
true. A text whose body would be empty (one paragraph) is read as body. A row of a CSV or JSON Lines
file is body only: its title and date come from its columns.

That reading is made once, when an article comes in, and stored with it (`body_start`, title, date,
language…): `reprocess` and every other re-reading rebuild the same Article with
`Article.from_stored`, never by reading the text again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from geodata.normalize import is_arabic
from geodata.textio import UnreadableInput, decode_bytes, html_to_text, looks_like_html
from incidents.dates import parse_date

MAX_FILE_BYTES = 60_000_000
# A CSV cell may hold a whole (long) article: the csv module's limit (131,072 characters) would stop
# the file at it, so any cell a file within MAX_FILE_BYTES can hold is read (process-wide setting).
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".text")
TABLE_SUFFIXES = (".csv", ".jsonl", ".ndjson")


@dataclass
class Article:
    text: str
    title: str = ""
    date: date | None = None
    source: str = ""
    url: str = ""
    language: str = ""
    path: str = ""  # file (and row) it came from
    body_start: int = 0  # where the body begins in `text` (after title, date line, caption)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def from_stored(cls, row: dict) -> "Article":
        """The Article a store row (incidents.store.ARTICLE_COLUMNS) holds, exactly as it was read when
        it came in: text, title, date, body start and the rest are taken as stored, nothing re-read."""
        when = row.get("date")
        if isinstance(when, str):
            when = date.fromisoformat(when) if when else None
        warnings = row.get("warnings") or []
        if isinstance(warnings, str):
            warnings = json.loads(warnings or "[]")
        body_start = row.get("body_start")
        if body_start is None:  # stored before the reading was kept (schema 4): what that ingest read
            body_start = stored_body_start(row)
        return cls(text=row.get("text") or "", title=row.get("title") or "", date=when, source=row.get("source") or "",
                   url=row.get("url") or "", language=row.get("language") or "", path=row.get("path") or "",
                   body_start=body_start, warnings=list(warnings))

    @property
    def id(self) -> str:
        """Content hash: the same text always gets the same id."""
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    @property
    def key(self) -> str:
        """Identity across edits: the URL, else the file (and row) it came from, else the id."""
        return self.url or self.path or self.id

    def meta(self) -> dict:
        return {"id": self.id, "title": self.title, "date": self.date.isoformat() if self.date else None,
                "source": self.source, "url": self.url, "language": self.language, "path": self.path}


class ArticleError(ValueError):
    """One article or file that cannot be read; the message names it and says why."""


_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_CAPTION_END = re.compile(r"\([^()\n]{2,40}\)\s*$")


def _front_matter(text: str) -> tuple[dict, int]:
    m = _FRONT.match(text)
    if not m:
        return {}, 0
    meta = {}
    for line in m.group(1).splitlines():
        if ":" in line and not line.lstrip().startswith("#"):
            k, v = line.split(":", 1)
            meta[k.strip().lower()] = v.strip().strip("\"'")
    return meta, m.end()


def _lines(text: str, start: int) -> Iterator[tuple[int, int, str]]:
    pos = start
    for line in text[start:].splitlines(keepends=True):
        yield pos, pos + len(line), line.strip()
        pos += len(line)


NO_DATE_LINE = "no date line found; the publication date is unknown"


def analyse_plain(text: str, start: int = 0) -> tuple[str, date | None, int, list[str]]:
    """(title, date, body_start, warnings) of a pasted news article."""
    title, when, body_start, warnings = "", None, start, []
    seen = 0
    for s, e, line in _lines(text, start):
        if not line:
            body_start = e
            continue
        seen += 1
        if seen > 6:
            break
        if not title:
            title, body_start = line, e
            continue
        if line == title:
            body_start = e
            continue
        if when is None and len(line) <= 40:
            d = parse_date(line)
            if d is not None:
                when, body_start = d, e
                continue
        if when is not None and _CAPTION_END.search(line) and len(line) < 300:
            body_start = e  # a photo caption ending with its agency: "...(الأناضول)"
            continue
        if len(re.findall(r"\w+", line)) < 3:
            body_start = e  # page furniture such as "+ الخط -"
            continue
        break
    if title and not text[body_start:].strip():  # nothing follows the "title": the text is the body
        title, body_start = "", start
    if when is None:
        warnings.append(NO_DATE_LINE)
    return title, when, body_start, warnings


def article_from_text(text: str, path: str = "", meta: dict | None = None) -> Article:
    """Build an Article from text plus optional metadata (front matter wins over a sidecar)."""
    if looks_like_html(text):
        text = html_to_text(text)
    front, offset = _front_matter(text)
    meta = {**(meta or {}), **front}
    title, when, body_start, warnings = analyse_plain(text, offset)
    if meta.get("title"):
        title = meta["title"]
    if meta.get("date"):
        d = parse_date(str(meta["date"]))
        if d is None:
            warnings.append(f"date {meta['date']!r} cannot be read; the date line of the text is used")
        else:
            when = d
            warnings = [w for w in warnings if w != NO_DATE_LINE]
    if not text[body_start:].strip():
        warnings.append("no article text (only a title or front matter); nothing to extract")
    lang = meta.get("language") or meta.get("lang") or ("ar" if is_arabic(text[:2000]) else "en")
    return Article(text=text, title=title, date=when, source=meta.get("source") or "",
                   url=meta.get("url") or "", language=lang, path=path, body_start=body_start,
                   warnings=warnings)


def _read_bytes(path: str) -> bytes:
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise ArticleError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    if size > MAX_FILE_BYTES:
        raise ArticleError(f"{path}: {size / 1e6:.0f} MB is over the {MAX_FILE_BYTES // 1_000_000} MB limit; split it")
    with open(path, "rb") as f:
        data = f.read()
    if not data.strip():
        raise ArticleError(f"{path}: empty file")
    return data


def _decode(data: bytes, path: str) -> str:
    try:
        return decode_bytes(data, path)[0]
    except UnreadableInput as exc:
        raise ArticleError(str(exc)) from exc


def read_text_article(path: str) -> Article:
    text = _decode(_read_bytes(path), path)
    sidecar = os.path.splitext(path)[0] + ".meta.json"
    meta = {}
    if os.path.exists(sidecar):
        try:
            with open(sidecar, encoding="utf-8") as f:
                meta = json.load(f)
        except (OSError, ValueError) as exc:
            raise ArticleError(f"{sidecar}: sidecar metadata is not valid JSON ({exc})") from exc
    art = article_from_text(text, path=path, meta=meta)
    if not art.text.strip():
        raise ArticleError(f"{path}: no text")
    return art


TEXT_COLUMNS = ("content", "article_content", "text", "body", "notes")
TITLE_COLUMNS = ("title", "article_title", "headline")


def _row_article(row: dict, where: str) -> Article:
    """A row of a table (CSV, JSON Lines, Parquet) as an Article: its text column is the body, whole
    (never split into a title and a body); the title, date, source, URL and language come from their
    columns. Without a title or date column, the text's first line (when more text follows) names it and
    a date line opening the text dates it; the body still starts at the text's first character."""
    low = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
    text = next((low[c] for c in TEXT_COLUMNS if low.get(c, "").strip()), "")
    if not text.strip():
        raise ArticleError(f"{where}: no text (expected a column {', '.join(TEXT_COLUMNS)})")
    if looks_like_html(text):
        text = html_to_text(text)
    title = next((low[c].strip() for c in TITLE_COLUMNS if low.get(c, "").strip()), "")
    warnings = []
    first_line, date_line, _body, _warn = analyse_plain(text)  # for a missing title or date column only
    date_columns = ("date", "published", "event_date")
    raw_date = next((low[c] for c in date_columns if low.get(c)), "").strip()
    when = parse_date(raw_date) if raw_date else date_line
    if raw_date and when is None:
        warnings.append(f"date {raw_date!r} cannot be read; the publication date is unknown")
    elif when is None:
        what = "empty date cell" if any(c in low for c in date_columns) else "no date column"
        warnings.append(f"{what} and no date line; the publication date is unknown")
    lang = (low.get("language") or low.get("lang") or "").strip() or ("ar" if is_arabic(text[:2000]) else "en")
    return Article(text=text, title=title or first_line, date=when, source=low.get("source", "").strip(),
                   url=(low.get("url", "") or low.get("link", "")).strip(), language=lang, path=where,
                   body_start=0, warnings=warnings)


def read_table(path: str) -> Iterator[Article | ArticleError]:
    """Articles of a CSV or JSON Lines file; a bad row yields an ArticleError and the rest go on."""
    text = _decode(_read_bytes(path), path)
    if path.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text))
        cols = {(c or "").strip().lower() for c in reader.fieldnames or []}
        if not cols & set(TEXT_COLUMNS):
            raise ArticleError(f"{path}: CSV has no text column (one of {', '.join(TEXT_COLUMNS)}); "
                               f"columns are {', '.join(sorted(cols)) or 'none'}")
        i = 1  # rows are numbered as a spreadsheet does: the header is row 1
        while True:
            i += 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # the parser cannot go on in this file; the other files can
                yield ArticleError(f"{path}:{i}: CSV cannot be read from here on ({exc}); "
                                   "the rows after it are skipped")
                return
            try:
                yield _row_article(row, f"{path}:{i}")
            except ArticleError as exc:
                yield exc
        return
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield json_row_article(line, f"{path}:{i}")
        except ArticleError as exc:
            yield exc


def json_row_article(line: str, where: str) -> Article:
    """One JSON Lines record as an Article; an ArticleError (naming `where`) for anything that is not
    a JSON object of an article, nesting too deep for the parser included."""
    try:
        row = json.loads(line)
        if not isinstance(row, dict):
            raise ValueError("not a JSON object")
        row = {k: str(v) if v is not None else "" for k, v in row.items()}
    except ValueError as exc:
        raise ArticleError(f"{where}: not a JSON object ({exc})") from exc
    except RecursionError:
        raise ArticleError(f"{where}: JSON nested too deeply to read") from None
    return _row_article(row, where)


def iter_articles(paths: list[str]) -> Iterator[Article | ArticleError]:
    """Every article under the given files and folders, with errors in place of unreadable ones."""
    for p in paths:
        if os.path.isdir(p):
            files = []
            for root, _dirs, names in os.walk(p):
                files += [os.path.join(root, n) for n in sorted(names)
                          if n.lower().endswith(TEXT_SUFFIXES + TABLE_SUFFIXES) and not n.startswith(".")]
            yield from iter_articles(sorted(files))
            continue
        if not os.path.exists(p):
            yield ArticleError(f"{p}: no such file or folder")
            continue
        try:
            if p.lower().endswith(TABLE_SUFFIXES):
                yield from read_table(p)
            else:
                yield read_text_article(p)
        except ArticleError as exc:
            yield exc


_TABLE_ROW_PATH = re.compile(r"\.(csv|jsonl|ndjson|parquet)(\.(gz|bz2|xz))?:\d+$", re.I)


def stored_body_start(row: dict) -> int:
    """Where the body of an article stored without its body start (schema 4 and before) begins, as its
    ingest read it: 0 for a table row (rows are body only), after the "title\\n\\n" of a fetched page,
    else the plain-text reading of its text (a one-paragraph text is body)."""
    text, title = row.get("text") or "", row.get("title") or ""
    if _TABLE_ROW_PATH.search(row.get("path") or "") or row.get("origin") == "acled":
        return 0
    if row.get("origin") == "web":
        return len(title) + 2 if title and text.startswith(title + "\n\n") else 0
    _front, offset = _front_matter(text)
    return analyse_plain(text, offset)[2]
