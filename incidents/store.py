"""The incident store: one SQLite file (WAL, so the dashboard reads while an ingest writes).

The only module that speaks SQL. Tables: `articles` (one row per article, keyed by its source
key, with its content hash), `incidents` (one row per incident location) and `places` (the
gazetteer entries incidents point at). Each article is written in one transaction: re-ingesting
the same text changes nothing; a changed text replaces that article's incidents only.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geodata.paths import data_home
from geodata.schema import Location

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, title TEXT, date TEXT, source TEXT, url TEXT,
    language TEXT, path TEXT, text TEXT, origin TEXT, ingested_at REAL, warnings TEXT);
CREATE TABLE IF NOT EXISTS incidents (
    rowid INTEGER PRIMARY KEY, article_key TEXT NOT NULL REFERENCES articles(key) ON DELETE CASCADE,
    grp TEXT, date TEXT, time_precision INTEGER, event_type TEXT, sub_event_type TEXT,
    actor1 TEXT, actor2 TEXT, actors TEXT, fatalities INTEGER,
    place_id TEXT, place_text TEXT, name_ar TEXT, name_en TEXT, feature TEXT, lat REAL, lon REAL,
    admin1 TEXT, admin1_ar TEXT, admin1_pcode TEXT, admin2 TEXT, admin2_ar TEXT,
    precision INTEGER, confidence REAL, radius_km REAL, location TEXT,
    passage TEXT, passage_start INTEGER, passage_end INTEGER, place_start INTEGER, place_end INTEGER,
    evidence TEXT, source_kind TEXT, external_id TEXT);
CREATE INDEX IF NOT EXISTS incidents_date ON incidents(date);
CREATE INDEX IF NOT EXISTS incidents_admin ON incidents(admin1, admin2);
CREATE INDEX IF NOT EXISTS incidents_article ON incidents(article_key);
CREATE TABLE IF NOT EXISTS places (
    id TEXT PRIMARY KEY, name_ar TEXT, name_en TEXT, feature TEXT, lat REAL, lon REAL,
    admin1 TEXT, admin2 TEXT);
"""

INCIDENT_COLUMNS = ("article_key", "grp", "date", "time_precision", "event_type", "sub_event_type",
                    "actor1", "actor2", "actors", "fatalities", "place_id", "place_text", "name_ar",
                    "name_en", "feature", "lat", "lon", "admin1", "admin1_ar", "admin1_pcode", "admin2",
                    "admin2_ar", "precision", "confidence", "radius_km", "location", "passage",
                    "passage_start", "passage_end", "place_start", "place_end", "evidence",
                    "source_kind", "external_id")


def default_db_path() -> Path:
    return data_home() / "incidents.sqlite"


@dataclass
class SaveResult:
    status: str  # "new", "unchanged", "replaced"
    incidents: int


class Store:
    def __init__(self, path: str | Path | None = None, readonly: bool = False):
        self.path = Path(path or default_db_path())
        if readonly:
            if not self.path.exists():
                raise FileNotFoundError(f"{self.path}: no incident store here; run `incidentmap ingest articles/`")
            self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        self.con.row_factory = sqlite3.Row

    def _migrate(self) -> None:
        row = None
        try:
            row = self.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.OperationalError:
            pass
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: not an incident store ({exc})") from exc
        if row and int(row[0]) > SCHEMA_VERSION:
            raise ValueError(f"{self.path}: store schema {row[0]} is newer than this program ({SCHEMA_VERSION})")
        self.con.executescript(SCHEMA)
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        self.con.commit()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self):
        try:
            self.con.execute("BEGIN IMMEDIATE")
            yield self.con
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # ---- writing -------------------------------------------------------------------------
    def save_article(self, article, incidents: list, origin: str = "news") -> SaveResult:
        """Store one article with its incidents atomically."""
        old = self.con.execute("SELECT id FROM articles WHERE key=?", (article.key,)).fetchone()
        if old and old[0] == article.id:
            return SaveResult("unchanged", 0)
        with self.transaction() as con:
            con.execute("DELETE FROM incidents WHERE article_key=?", (article.key,))
            con.execute("INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (
                article.key, article.id, article.title, article.date.isoformat() if article.date else None,
                article.source, article.url, article.language, article.path, article.text, origin,
                time.time(), json.dumps(article.warnings, ensure_ascii=False)))
            self._insert_incidents(con, article.key, [i.to_dict() for i in incidents])
        return SaveResult("replaced" if old else "new", len(incidents))

    def save_rows(self, article_key: str, article_row: dict, rows: list[dict]) -> None:
        """Store pre-built incident rows (imports such as ACLED) under one pseudo-article."""
        with self.transaction() as con:
            con.execute("DELETE FROM incidents WHERE article_key=?", (article_key,))
            con.execute("INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (
                article_key, article_row.get("id", article_key), article_row.get("title", ""), None,
                article_row.get("source", ""), "", "", article_row.get("path", ""), "", article_row.get("origin", ""),
                time.time(), "[]"))
            self._insert_incidents(con, article_key, rows)

    @staticmethod
    def _insert_incidents(con, article_key: str, incidents: list[dict]) -> None:
        rows, places = [], {}
        for d in incidents:
            loc = Location.from_dict(d["location"]).to_dict()  # one typed shape, whoever built the row
            actors = d.get("actors") or []
            a1 = next((a["name"] for a in actors if a.get("role") == "attacker"), actors[0]["name"] if actors else None)
            a2 = next((a["name"] for a in actors if a["name"] != a1), None)
            rows.append((article_key, d.get("group"), d.get("date"), d.get("time_precision"), d.get("event_type"),
                         d.get("sub_event_type"), a1, a2, json.dumps(actors, ensure_ascii=False),
                         d.get("fatalities"), loc.get("id"), loc.get("text"), loc.get("name_ar"), loc.get("name_en"),
                         loc.get("feature"), loc.get("lat"), loc.get("lon"), loc.get("admin1"), loc.get("admin1_ar"),
                         loc.get("admin1_pcode"), loc.get("admin2"), loc.get("admin2_ar"), loc.get("precision"),
                         loc.get("confidence"), loc.get("radius_km"), json.dumps(loc, ensure_ascii=False),
                         d.get("passage"), d.get("passage_start"), d.get("passage_end"), d.get("place_start"),
                         d.get("place_end"), json.dumps(d.get("evidence") or [], ensure_ascii=False),
                         d.get("source_kind", "news"), d.get("external_id")))
            if loc.get("id"):
                places[loc["id"]] = (loc["id"], loc.get("name_ar"), loc.get("name_en"), loc.get("feature"),
                                     loc.get("lat"), loc.get("lon"), loc.get("admin1"), loc.get("admin2"))
        con.executemany(f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES "
                        f"({', '.join('?' * len(INCIDENT_COLUMNS))})", rows)
        con.executemany("INSERT OR REPLACE INTO places VALUES (?,?,?,?,?,?,?,?)", list(places.values()))

    # ---- reading -------------------------------------------------------------------------
    def counts(self) -> dict:
        c = self.con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM incidents)").fetchone()
        return {"articles": c[0], "incidents": c[1]}

    def incidents(self, where: str = "", params: Iterable = (), limit: int | None = None) -> Iterator[dict]:
        sql = ("SELECT i.*, a.title AS article_title, a.date AS article_date, a.source AS article_source, "
               "a.url AS article_url, a.language AS article_language FROM incidents i "
               "JOIN articles a ON a.key = i.article_key")
        if where:
            sql += " WHERE " + where
        sql += " ORDER BY i.date, i.rowid"
        if limit:
            sql += f" LIMIT {int(limit)}"
        for row in self.con.execute(sql, tuple(params)):
            yield dict(row)

    def article_text(self, key: str) -> str | None:
        row = self.con.execute("SELECT text FROM articles WHERE key=?", (key,)).fetchone()
        return row[0] if row else None


def build_where(date_from: str | None = None, date_to: str | None = None, admin1: str | None = None,
                admin2: str | None = None, event_type: str | None = None, actor: str | None = None,
                text: str | None = None, max_precision: int | None = None,
                source_kind: str | None = None) -> tuple[str, list]:
    """A WHERE clause and its parameters for the usual filters (all optional)."""
    like = lambda v: f"%{v}%" if v else v  # noqa: E731
    clauses = [  # (value, SQL with one ? per use of the value)
        (date_from, "i.date >= ?"), (date_to, "i.date <= ?"),
        (admin1, "(i.admin1 = ? OR i.admin1_ar = ? OR i.admin1_pcode = ?)"),
        (admin2, "(i.admin2 = ? OR i.admin2_ar = ?)"),
        (event_type, "(i.event_type = ? OR i.sub_event_type = ?)"),
        (like(actor), "i.actors LIKE ?"), (like(text), "i.passage LIKE ?"),
        (max_precision, "i.precision <= ?"), (source_kind, "i.source_kind = ?"),
    ]
    parts, params = [], []
    for value, sql in clauses:
        if value:
            parts.append(sql)
            params += [value] * sql.count("?")
    return " AND ".join(parts), params
