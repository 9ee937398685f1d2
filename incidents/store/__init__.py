"""The incident store: one interface over small parts, two backends (the only package that speaks SQL).

`Store(location)` opens an SQLite file (the default: `$INCIDENTMAP_DB`, else
`$INCIDENTMAP_HOME/incidents.sqlite`; incidents.store.sqlite) or a PostgreSQL/PostGIS database given
as `postgresql://user@host:port/dbname` (team mode; incidents.store.postgres). Both hold the same
tables (incidents.store.migrations: versioned steps per backend, `incidentmap db upgrade`), and
everything is written once for both in SQL they share.

Tables: `articles` (one row per article, keyed by its source key, with its content hash),
`incidents` (one row per incident location), `places` (the gazetteer entries incidents point at),
`reviews` (the audit log), `feeds` and `fetched` (followed sources), `meta`.

`Store` composes the parts, each a file that speaks SQL only inside itself:
  - `store.articles` (incidents.store.articles): saving an article with its incidents in one
    transaction, reading articles back;
  - `store.incident_rows` (incidents.store.incidents): incident rows, selected by an `IncidentFilter`
    (incidents.store.filters: callers say what they want as a typed value, never as SQL);
  - `store.groups` (incidents.store.eventgroups): regrouping the event groups around a change;
  - `store.review_log` (incidents.store.reviews): analysts' reviews, the audit log, undo, carrying
    reviews over re-extraction;
  - `store.feeds` (incidents.store.feeds): followed sources and fetched URLs;
  - `store.schema` (incidents.store.meta): the meta table, schema checks and upgrades.
`Store`'s own methods are the usual entry points (save, select, review), delegating to the parts.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geodata.paths import data_home
from incidents.store.articles import ARTICLE_COLUMNS, Articles, SaveResult
from incidents.store.eventgroups import MEMBER_COLUMNS, EventGroups
from incidents.store.feeds import FEED_COLUMNS, FETCHED_COLUMNS, Feeds
from incidents.store.filters import IncidentFilter
from incidents.store.incidents import (INCIDENT_COLUMNS, LOCATION_COLUMNS, REVIEW_STATE, STORED_COLUMNS, Incidents,
                                       location_columns)
from incidents.store.meta import Meta, SchemaOutdated
from incidents.store.migrations import SCHEMA_VERSION
from incidents.store.reviews import GROUP_ACTIONS, REVIEW_ACTIONS, REVIEWED_FIELDS, Reviews

__all__ = ["ARTICLE_COLUMNS", "FEED_COLUMNS", "FETCHED_COLUMNS", "GROUP_ACTIONS", "INCIDENT_COLUMNS",
           "LOCATION_COLUMNS", "MEMBER_COLUMNS", "REVIEWED_FIELDS", "REVIEW_ACTIONS", "REVIEW_STATE",
           "SCHEMA_VERSION", "STORED_COLUMNS", "IncidentFilter", "SaveResult", "SchemaOutdated", "Store",
           "change_token", "default_db", "default_db_path", "is_url", "location_columns", "open_backend",
           "store_exists"]


def default_db_path() -> Path:
    return data_home() / "incidents.sqlite"


def default_db() -> str:
    """The store every command uses without --db: $INCIDENTMAP_DB (a file or a postgresql:// URL),
    else $INCIDENTMAP_HOME/incidents.sqlite."""
    return os.environ.get("INCIDENTMAP_DB") or str(default_db_path())


def is_url(location: str | Path) -> bool:
    """Whether a store location names a PostgreSQL database (else it is an SQLite file)."""
    return str(location).startswith(("postgresql://", "postgres://"))


def open_backend(location: str | Path | None = None):
    """The backend object for a store location (a file path or a postgresql:// URL)."""
    location = str(location or default_db())
    if is_url(location):
        from incidents.store.postgres import PostgresBackend  # psycopg is imported for team mode only

        return PostgresBackend(location)
    from incidents.store.sqlite import SQLiteBackend

    return SQLiteBackend(location)


def store_exists(location: str | Path | None = None) -> bool:
    """Whether an incident store is there (a file, or a database with the store's tables)."""
    return open_backend(location).exists()


def change_token(location: str | Path | None = None) -> str:
    """A value that changes whenever the store does (dashboard caches key on it)."""
    return open_backend(location).change_token()


class Store:
    """The incident store at `location` (a file path or a postgresql:// URL; default `default_db()`).
    A new store is created on first write; an older schema is refused (`incidentmap db upgrade`);
    `readonly` opens without writing (a store whose grouping rule changed is read as it is); `upgrade`
    brings an older schema up to date (`incidentmap db upgrade`): `upgraded_from` says from which
    version ("new" for a new store, None when nothing was done)."""

    def __init__(self, location: str | Path | None = None, readonly: bool = False, upgrade: bool = False):
        self.backend = open_backend(location)
        self.dialect = self.backend.dialect
        self.path = self.backend.describe()  # what messages call it (a URL without its password)
        self.readonly = readonly
        self.upgraded_from: int | str | None = None
        self.articles, self.incident_rows, self.groups = Articles(self), Incidents(self), EventGroups(self)
        self.review_log, self.feeds, self.schema = Reviews(self), Feeds(self), Meta(self)
        self.con = self.backend.connect(readonly=readonly)
        try:
            self.schema.check(upgrade)
        except BaseException:
            self.close()
            raise

    def upgrade(self) -> tuple[int | None, int]:
        """Create the store or bring its schema up to date (incidents.store.meta.Meta.upgrade)."""
        return self.schema.upgrade()

    def close(self) -> None:
        con, self.con = self.con, None
        if con is not None:
            self.backend.release(con)

    def __del__(self):  # a store nobody closed gives its connection back (the PostgreSQL pool's)
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self):
        """One write transaction (the backend's single-writer lock held)."""
        self.backend.begin(self.con)
        try:
            yield self.con
        except BaseException:
            self.backend.rollback(self.con)
            raise
        self.backend.commit(self.con)

    def _write(self, fn, attempts: int = 8):
        """fn(con) in one write transaction, retried (with jittered backoff) when the backend reports
        a transient conflict with another writer; returns fn's result."""
        for attempt in range(attempts):
            try:
                with self.transaction() as con:
                    return fn(con)
            except self.backend.retryable:
                if attempt == attempts - 1:
                    raise
                time.sleep(random.uniform(0, 0.05 * 2 ** attempt))

    # ---- writing (incidents.store.articles) -------------------------------------------------------
    def save_article(self, article, incidents: list, origin: str = "news", force: bool = False) -> SaveResult:
        """Store one article with its incidents atomically, carry its reviews over and regroup the
        events around them (incidents.store.articles.Articles.save)."""
        return self.articles.save(article, incidents, origin=origin, force=force)

    def save_rows(self, article_key: str, article_row: dict, rows: list[dict]) -> None:
        """Store pre-built incident rows (imports such as ACLED) under one pseudo-article."""
        self.articles.save_rows(article_key, article_row, rows)

    def load_articles(self, items: list[tuple], origin: str = "news") -> list[SaveResult]:
        """Store many extracted articles at once (incidents.store.articles.Articles.load)."""
        return self.articles.load(items, origin=origin)

    # ---- reviews (incidents.store.reviews) -------------------------------------------------------
    def review(self, uid: str, action: str, changes: dict, value, by: str, note: str = "",
               status: str = "reviewed") -> dict:
        """Record one analyst action on incident `uid` (incidents.store.reviews.Reviews.review)."""
        return self.review_log.review(uid, action, changes, value, by, note=note, status=status)

    def review_groups(self, action: str, uids: list[str], by: str, note: str = "") -> list[dict]:
        """Merge or split event groups by hand (incidents.store.reviews.Reviews.review_groups)."""
        return self.review_log.review_groups(action, uids, by, note=note)

    def undo_review(self, uid: str, by: str) -> dict:
        """Revert the last action on incident `uid` not undone yet (incidents.store.reviews.Reviews.undo)."""
        return self.review_log.undo(uid, by)

    def reviews(self, uid: str | None = None, review_id: int | None = None) -> list[dict]:
        """The audit log, oldest first (of one incident, or one row), value/previous decoded."""
        return self.review_log.log(uid, review_id=review_id)

    # ---- reading (incidents.store.incidents) -----------------------------------------------------
    def incidents(self, which: IncidentFilter | None = None, limit: int | None = None) -> Iterator[dict]:
        """Incident rows (every one when `which` is None), with their article's title/date/source/url/
        language and `event_sources` (incidents.store.incidents.Incidents.select)."""
        return self.incident_rows.select(which, limit=limit)

    def events(self, which: IncidentFilter | None = None) -> Iterator[tuple[str, list[dict]]]:
        """(group id, member incidents) for each event group with at least one incident `which` selects
        (incidents.store.incidents.Incidents.events)."""
        return self.incident_rows.events(which)

    def incident(self, uid: str) -> dict | None:
        """One incident row by its uid (as `incidents` gives it), or None."""
        return self.incident_rows.one(uid)

    def counts(self) -> dict:
        """{"articles": how many, "incidents": how many}."""
        return self.incident_rows.counts()

    def review_counts(self) -> dict[str, int]:
        """{review status: how many incidents}."""
        return self.incident_rows.review_counts()

    def meta(self, key: str, default: str | None = None) -> str | None:
        return self.schema.get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        self.schema.set(key, value)
