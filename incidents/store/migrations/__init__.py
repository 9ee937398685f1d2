"""The incident store's schema, as numbered migration files shared by both backends.

The database says which version it is at (`meta.schema_version`). Each version n is a file in this
folder: `NNNN_what.sql` when its SQL is the same for SQLite and PostgreSQL, else one file per backend
(`NNNN_what.sqlite.sql`, `NNNN_what.postgresql.sql`); a backend with no file for a version starts
after it. A version that must also fill its new columns from the stored rows has a data part here
(`DATA`), run after its SQL. `STEPS[dialect][n]` takes a store from version n-1 to n (the lowest n
creates a new store); `incidentmap db upgrade` runs the missing steps in one transaction, and every
other command refuses an older store, naming that command. Files are never edited once released: a
change is a new version, for every backend.

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
PostgreSQL starts at version 4 (the same tables and columns, in one baseline file) with PostGIS: a
`geom` point generated from lat/lon with a GiST index, which region and box filters use; its versions
5 and 6 are SQLite's (one shared file each).
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources

from incidents.groups import unique_uid

SCHEMA_VERSION = 6
DIALECTS = ("sqlite", "postgresql")
_FILE = re.compile(r"(\d{4})_[a-z0-9_]+(?:\.(sqlite|postgresql))?\.sql")


def _files() -> dict[tuple[int, str | None], str]:
    """(version, dialect or None for both) -> file name, from the folder."""
    out = {}
    for f in resources.files(__name__).iterdir():
        m = _FILE.fullmatch(f.name)
        if m:
            key = (int(m.group(1)), m.group(2))
            if key in out:
                raise RuntimeError(f"two migration files for version {key[0]} ({out[key]}, {f.name})")
            out[key] = f.name
    return out


def sql_of(dialect: str, version: int) -> str | None:
    """The SQL that takes a `dialect` store to `version` (its own file, else the shared one), or None."""
    files = _files()
    name = files.get((version, dialect)) or files.get((version, None))
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8") if name else None


def statements(script: str) -> list[str]:
    """A script's statements, each whole (sqlite3.complete_statement: a ';' inside a string or a
    comment does not end one); comment-only lines dropped."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip().rstrip(";").strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"an incomplete statement at the end of a migration: {buf.strip()[:60]!r}")
    return out


def _fill_uids(con) -> None:
    """Version 2: a stable uid for every stored incident."""
    used: set[str] = set()
    updates = []
    for r in con.execute("SELECT rowid, article_key, passage, passage_start, place_start, sub_event_type, "
                         "source_kind, external_id FROM incidents ORDER BY rowid"):
        uid = unique_uid(dict(r), used)
        used.add(uid)
        updates.append((uid, r["rowid"]))
    con.executemany("UPDATE incidents SET uid = ? WHERE rowid = ?", updates)


def _fill_body_start(con) -> None:
    """Version 5: each stored article's body start, as its ingest read it."""
    from incidents.articles import stored_body_start

    rows = con.execute("SELECT key, text, title, path, origin FROM articles").fetchall()
    con.executemany("UPDATE articles SET body_start = ? WHERE key = ?",
                    [(stored_body_start(dict(r)), r["key"]) for r in rows])


def _fill_place_doubted(con) -> None:
    """Version 6: the stored incidents whose location's evidence says the tagger doubts the place."""
    from geodata.schema import UNCERTAIN_PLACE

    con.execute("UPDATE incidents SET place_doubted = 1 WHERE location LIKE ?", (f'%"{UNCERTAIN_PLACE}:%',))


DATA = {2: _fill_uids, 5: _fill_body_start, 6: _fill_place_doubted}  # version -> its data part, run after its SQL


def _step(dialect: str, version: int, script: str):
    def run(con) -> None:
        for sql in statements(script):
            con.execute(sql)
        if version in DATA:
            DATA[version](con)

    run.__name__ = f"to_v{version}_{dialect}"
    return run


# dialect -> {version: the step that takes a store there from the version before}
STEPS = {d: {v: _step(d, v, sql) for v in range(1, SCHEMA_VERSION + 1) if (sql := sql_of(d, v)) is not None}
         for d in DIALECTS}
SQLITE_V1 = sql_of("sqlite", 1)  # the schema as version 1 wrote it (tests make old stores with it)
