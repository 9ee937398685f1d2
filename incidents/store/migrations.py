"""The incident store's schema, as numbered migrations for each backend.

The database says which version it is at (`meta.schema_version`). `STEPS[dialect][n]` takes a store
from version n-1 to n (the lowest n creates a new store); `incidentmap db upgrade` runs the missing
steps in one transaction, and every other command refuses an older store, naming that command.
Steps are never edited once released: a change is a new step, for every backend.

SQLite began at version 1 and grew step by step:
  1. articles, incidents, places.
  2. incidents.uid (unique) and incidents.event_group (indexed), backfilled.
  3. Reviews: incidents.review_status (auto | reviewed | rejected), reviewed_by, reviewed_at, and the
     `reviews` table, the audit log of analysts' actions (uid, action, value, previous, by, at, note;
     an undone action keeps its row with undone_by/undone_at).
  4. Following feeds: `feeds`, one row per followed source with its state (conditional GET
     validators, last item seen, last check/success/error, counts), and `fetched`, one row per URL
     fetched (content hash, validators, the feed's `updated` date, the article it became, status).
  5. articles.body_start: where the article's body begins, as it was read when it came in (so that
     `reprocess` re-reads exactly that, a table row as body); filled for the stored articles with what
     their ingest read (incidents.articles.stored_body_start).
  6. incidents.place_doubted (0/1, both backends): the tagger doubts the words name a place here
     (geodata.schema.UNCERTAIN_PLACE in the location's evidence); filled from the stored evidence.
PostgreSQL starts at version 4 (the same tables and columns, in one baseline step) with PostGIS: a
`geom` point generated from lat/lon with a GiST index, which region and box filters use; its step 5 is
SQLite's.
"""

from __future__ import annotations

from incidents.groups import unique_uid

SCHEMA_VERSION = 6

# ---- SQLite ----------------------------------------------------------------------------------
SQLITE_V1 = """
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


def _run(con, script: str) -> None:
    for sql in script.split(";"):
        if sql.strip():
            con.execute(sql)


def _sqlite_v1(con) -> None:
    _run(con, SQLITE_V1)


def _sqlite_v2(con) -> None:
    """Event groups: a stable uid per incident (unique) and its event group (indexed; filled by the
    regrouping that follows every migration)."""
    con.execute("ALTER TABLE incidents ADD COLUMN uid TEXT")
    con.execute("ALTER TABLE incidents ADD COLUMN event_group TEXT")
    used: set[str] = set()
    updates = []
    for r in con.execute("SELECT rowid, article_key, passage, passage_start, place_start, sub_event_type, "
                         "source_kind, external_id FROM incidents ORDER BY rowid"):
        uid = unique_uid(dict(r), used)
        used.add(uid)
        updates.append((uid, r["rowid"]))
    con.executemany("UPDATE incidents SET uid = ? WHERE rowid = ?", updates)
    con.execute("CREATE UNIQUE INDEX incidents_uid ON incidents(uid)")
    con.execute("CREATE INDEX incidents_event_group ON incidents(event_group)")


def _sqlite_v3(con) -> None:
    """Reviews: each incident's review state, and the audit log of analysts' actions."""
    _run(con, """
    ALTER TABLE incidents ADD COLUMN review_status TEXT NOT NULL DEFAULT 'auto';
    ALTER TABLE incidents ADD COLUMN reviewed_by TEXT;
    ALTER TABLE incidents ADD COLUMN reviewed_at TEXT;
    CREATE INDEX incidents_review ON incidents(review_status);
    CREATE TABLE reviews (id INTEGER PRIMARY KEY, uid TEXT NOT NULL, action TEXT NOT NULL,
        value TEXT, previous TEXT, by TEXT, at TEXT, note TEXT, undone_by TEXT, undone_at TEXT);
    CREATE INDEX reviews_uid ON reviews(uid)""")


def _sqlite_v4(con) -> None:
    """Following feeds: each source's state, and every URL fetched (de-duplication, conditional GET)."""
    _run(con, """
    CREATE TABLE feeds (url TEXT PRIMARY KEY, label TEXT, kind TEXT, etag TEXT, modified TEXT,
        last_item TEXT, last_item_at REAL, last_checked REAL, last_success REAL, last_error TEXT,
        last_error_at REAL, checks INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
        items_seen INTEGER NOT NULL DEFAULT 0, articles_new INTEGER NOT NULL DEFAULT 0,
        last_new INTEGER NOT NULL DEFAULT 0);
    CREATE TABLE fetched (url TEXT PRIMARY KEY, canonical TEXT, content_hash TEXT, article_key TEXT,
        feed_url TEXT, entry_updated TEXT, etag TEXT, modified TEXT, author TEXT, status TEXT,
        error TEXT, fetched_at REAL);
    CREATE INDEX fetched_canonical ON fetched(canonical);
    CREATE INDEX articles_id ON articles(id)""")


def _v5(con) -> None:
    """articles.body_start (both backends), filled for the stored articles with what their ingest read."""
    from incidents.articles import stored_body_start

    con.execute("ALTER TABLE articles ADD COLUMN body_start INTEGER")
    rows = con.execute("SELECT key, text, title, path, origin FROM articles").fetchall()
    con.executemany("UPDATE articles SET body_start = ? WHERE key = ?",
                    [(stored_body_start(dict(r)), r["key"]) for r in rows])


def _v6(con) -> None:
    """incidents.place_doubted (both backends), set for the stored incidents whose location's evidence
    says the tagger doubts the place."""
    from geodata.schema import UNCERTAIN_PLACE

    con.execute("ALTER TABLE incidents ADD COLUMN place_doubted INTEGER NOT NULL DEFAULT 0")
    con.execute("UPDATE incidents SET place_doubted = 1 WHERE location LIKE ?", (f'%"{UNCERTAIN_PLACE}:%',))


# ---- PostgreSQL + PostGIS ----------------------------------------------------------------------
POSTGRES_V4 = """
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE articles (
    key TEXT PRIMARY KEY, id TEXT NOT NULL, title TEXT, date TEXT, source TEXT, url TEXT,
    language TEXT, path TEXT, text TEXT, origin TEXT, ingested_at DOUBLE PRECISION, warnings TEXT);
CREATE INDEX articles_id ON articles(id);
CREATE TABLE incidents (
    rowid BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    article_key TEXT NOT NULL REFERENCES articles(key) ON DELETE CASCADE,
    grp TEXT, date TEXT, time_precision INTEGER, event_type TEXT, sub_event_type TEXT,
    actor1 TEXT, actor2 TEXT, actors TEXT, fatalities INTEGER,
    place_id TEXT, place_text TEXT, name_ar TEXT, name_en TEXT, feature TEXT,
    lat DOUBLE PRECISION, lon DOUBLE PRECISION,
    admin1 TEXT, admin1_ar TEXT, admin1_pcode TEXT, admin2 TEXT, admin2_ar TEXT,
    precision INTEGER, confidence DOUBLE PRECISION, radius_km DOUBLE PRECISION, location TEXT,
    passage TEXT, passage_start INTEGER, passage_end INTEGER, place_start INTEGER, place_end INTEGER,
    evidence TEXT, source_kind TEXT, external_id TEXT,
    uid TEXT NOT NULL, event_group TEXT,
    review_status TEXT NOT NULL DEFAULT 'auto', reviewed_by TEXT, reviewed_at TEXT,
    geom geometry(Point, 4326) GENERATED ALWAYS AS (
        CASE WHEN lat IS NULL OR lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(lon, lat), 4326) END) STORED);
CREATE UNIQUE INDEX incidents_uid ON incidents(uid);
CREATE INDEX incidents_date ON incidents(date);
CREATE INDEX incidents_admin ON incidents(admin1, admin2);
CREATE INDEX incidents_article ON incidents(article_key);
CREATE INDEX incidents_event_group ON incidents(event_group);
CREATE INDEX incidents_review ON incidents(review_status);
CREATE INDEX incidents_geom ON incidents USING GIST (geom);
CREATE TABLE places (
    id TEXT PRIMARY KEY, name_ar TEXT, name_en TEXT, feature TEXT, lat DOUBLE PRECISION,
    lon DOUBLE PRECISION, admin1 TEXT, admin2 TEXT);
CREATE TABLE reviews (
    id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, uid TEXT NOT NULL, action TEXT NOT NULL,
    value TEXT, previous TEXT, by TEXT, at TEXT, note TEXT, undone_by TEXT, undone_at TEXT);
CREATE INDEX reviews_uid ON reviews(uid);
CREATE TABLE feeds (
    url TEXT PRIMARY KEY, label TEXT, kind TEXT, etag TEXT, modified TEXT, last_item TEXT,
    last_item_at DOUBLE PRECISION, last_checked DOUBLE PRECISION, last_success DOUBLE PRECISION,
    last_error TEXT, last_error_at DOUBLE PRECISION, checks INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0, items_seen INTEGER NOT NULL DEFAULT 0,
    articles_new INTEGER NOT NULL DEFAULT 0, last_new INTEGER NOT NULL DEFAULT 0);
CREATE TABLE fetched (
    url TEXT PRIMARY KEY, canonical TEXT, content_hash TEXT, article_key TEXT, feed_url TEXT,
    entry_updated TEXT, etag TEXT, modified TEXT, author TEXT, status TEXT, error TEXT,
    fetched_at DOUBLE PRECISION);
CREATE INDEX fetched_canonical ON fetched(canonical)
"""


def _postgres_v4(con) -> None:
    _run(con, POSTGRES_V4)


# dialect -> {version: the step that takes a store there from the version before}
STEPS = {
    "sqlite": {1: _sqlite_v1, 2: _sqlite_v2, 3: _sqlite_v3, 4: _sqlite_v4, 5: _v5, 6: _v6},
    "postgresql": {4: _postgres_v4, 5: _v5, 6: _v6},
}
