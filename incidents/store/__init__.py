"""The incident store: one interface, two backends (the only package that speaks SQL).

`Store(location)` opens an SQLite file (the default: `$INCIDENTMAP_DB`, else
`$INCIDENTMAP_HOME/incidents.sqlite`; incidents.store.sqlite) or a PostgreSQL/PostGIS database given
as `postgresql://user@host:port/dbname` (team mode; incidents.store.postgres). Both hold the same
tables (incidents.store.migrations: versioned steps per backend, `incidentmap db upgrade`), and
everything below is written once for both in SQL they share.

Tables: `articles` (one row per article, keyed by its source key, with its content hash),
`incidents` (one row per incident location), `places` (the gazetteer entries incidents point at),
`reviews` (the audit log), `feeds` and `fetched` (followed sources), `meta`. Each article is written
in one transaction (retried on a backend's transient conflicts): re-ingesting the same text changes
nothing; a changed text replaces that article's incidents only.

Every incident has a stable `uid` and an `event_group` (incidents.groups: the incidents of several
articles that report one real-world event). Saving an article regroups, in the same transaction,
only the neighbourhood it touches: the incidents connected to its old and new incidents by the
grouping rule's candidate relation (a date window and a lat/lon box in SQL, the rule in Python).

Reviews outlive re-extraction: saving an article carries every reviewed incident's state (its
location, type, date and review status: `REVIEWED_FIELDS`) over to the new incident that has the same
uid, else the same passage and place text, else is the one incident of its passage; a reviewed
incident the new extraction lacks is kept as it was while its passage is still in the article;
otherwise it is dropped and its reviews stay in the
log ("orphaned"). This runs inside the article's transaction, so ingest, watch and reprocess share it.
Analysts' merges and splits of event groups (actions "merge" and "split" in the audit log, one row per
incident involved; see `review_groups`) are constraints every regrouping respects: the store derives
the decisions in force from the log (incidents.groups.overrides: not undone, not superseded by a later
action of the other kind) and passes them to `partition`; the neighbourhood of a change follows
merge links as well as the candidate relation. They live in the log, keyed by uid, so they outlive
re-ingest and reprocess as every review does (a carried incident's new uid is written into the log).
`meta.group_rule` is the grouping rule's fingerprint: when the rule changes (an analyst edits
incidents/data/event_compatibility.json), opening the store regroups every incident once.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geodata.paths import data_home
from geodata.schema import Location
from incidents.groups import (GROUPED_KINDS, Member, candidates, date_window, overrides, own_group, partition,
                              rule_fingerprint, search_box, unique_uid)
from incidents.store.migrations import SCHEMA_VERSION, STEPS

INCIDENT_COLUMNS = ("article_key", "grp", "date", "time_precision", "event_type", "sub_event_type",
                    "actor1", "actor2", "actors", "fatalities", "place_id", "place_text", "name_ar",
                    "name_en", "feature", "lat", "lon", "admin1", "admin1_ar", "admin1_pcode", "admin2",
                    "admin2_ar", "precision", "confidence", "radius_km", "location", "passage",
                    "passage_start", "passage_end", "place_start", "place_end", "evidence",
                    "source_kind", "external_id", "uid", "event_group")
ARTICLE_COLUMNS = ("key", "id", "title", "date", "source", "url", "language", "path", "text", "origin",
                   "ingested_at", "warnings", "body_start")
_PUT_PLACE = ("INSERT INTO places (id, name_ar, name_en, feature, lat, lon, admin1, admin2) VALUES (?,?,?,?,?,?,?,?) "
              "ON CONFLICT (id) DO UPDATE SET name_ar = excluded.name_ar, name_en = excluded.name_en, "
              "feature = excluded.feature, lat = excluded.lat, lon = excluded.lon, admin1 = excluded.admin1, "
              "admin2 = excluded.admin2")
MEMBER_COLUMNS = ("uid", "article_key", "date", "event_type", "place_id", "lat", "lon", "precision", "radius_km",
                  "source_kind", "external_id", "event_group")
_SELECT_INCIDENTS = (
    "SELECT i.rowid, " + ", ".join("i." + c for c in INCIDENT_COLUMNS) + ", i.review_status, i.reviewed_by, "
    "i.reviewed_at, a.title AS article_title, a.date AS article_date, a.source AS article_source, "
    "a.url AS article_url, a.language AS article_language, "
    "(SELECT count(DISTINCT g.article_key) FROM incidents g WHERE g.event_group = i.event_group) AS event_sources "
    "FROM incidents i JOIN articles a ON a.key = i.article_key")


FEED_COLUMNS = ("label", "kind", "etag", "modified", "last_item", "last_item_at", "last_checked", "last_success",
                "last_error", "last_error_at", "checks", "failures", "items_seen", "articles_new", "last_new")
FETCHED_COLUMNS = ("canonical", "content_hash", "article_key", "feed_url", "entry_updated", "etag", "modified",
                   "author", "status", "error", "fetched_at")


# store column -> Location key: an incident's location as columns (plus the whole Location as JSON)
LOCATION_COLUMNS = {"place_id": "id", "place_text": "text", "name_ar": "name_ar", "name_en": "name_en",
                    "feature": "feature", "lat": "lat", "lon": "lon", "admin1": "admin1", "admin1_ar": "admin1_ar",
                    "admin1_pcode": "admin1_pcode", "admin2": "admin2", "admin2_ar": "admin2_ar",
                    "precision": "precision", "confidence": "confidence", "radius_km": "radius_km"}
REVIEW_STATE = ("review_status", "reviewed_by", "reviewed_at")
STORED_COLUMNS = ("rowid", *INCIDENT_COLUMNS, *REVIEW_STATE)  # an incident row as stored (no derived columns)
# what an analyst's review decides, and what re-extraction never changes silently afterwards
REVIEWED_FIELDS = (*LOCATION_COLUMNS, "location", "event_type", "sub_event_type", "date", "time_precision",
                   *REVIEW_STATE)
REVIEW_ACTIONS = ("accept", "reject", "set_location", "set_type", "set_date")
GROUP_ACTIONS = ("merge", "split")  # hand-made event groups (review_groups): constraints on regrouping


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


class SchemaOutdated(ValueError):
    """The store is at an older schema version than this program; `incidentmap db upgrade` upgrades it."""


@dataclass
class SaveResult:
    status: str  # "new", "unchanged", "replaced"
    incidents: int
    reviews_kept: int = 0  # reviewed incidents carried over to the new extraction (or kept as they were)
    reviews_orphaned: int = 0  # reviewed incidents whose passage is gone from the article


def location_columns(loc: dict) -> dict:
    """The incident columns of a Location dict (the LOCATION_COLUMNS and `location`, its JSON)."""
    out = {col: loc.get(key) for col, key in LOCATION_COLUMNS.items()}
    out["location"] = json.dumps(loc, ensure_ascii=False)
    return out


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
        self.con = self.backend.connect(readonly=readonly)
        try:
            self._check_schema(upgrade)
        except BaseException:
            self.close()
            raise

    def _meta(self) -> dict:
        return self.backend.read_meta(self.con)

    def _check_schema(self, upgrade: bool = False) -> None:
        meta = self._meta()
        if not meta:
            if self.readonly:
                raise FileNotFoundError(f"{self.path}: no incident store here; run `incidentmap ingest articles/` "
                                        f"or `incidentmap db upgrade --db {self.path}`")
            self.upgrade()
            self.upgraded_from = "new"
            return
        version = int(meta.get("schema_version", 0))
        if version > SCHEMA_VERSION:
            raise ValueError(f"{self.path}: store schema {version} is newer than this program ({SCHEMA_VERSION}); "
                             "upgrade incidentmap")
        if version < SCHEMA_VERSION and upgrade and not self.readonly:
            self.upgrade()
            self.upgraded_from = version
            return
        if version < SCHEMA_VERSION:
            raise SchemaOutdated(f"{self.path}: store schema {version} is older than this program's "
                                 f"({SCHEMA_VERSION}); upgrade it with `incidentmap db upgrade --db {self.path}` "
                                 "(back the store up first)")
        if meta.get("group_rule") != rule_fingerprint() and not self.readonly:
            self._write(self._regroup_rule)  # the grouping rule changed: regroup every incident once

    def _regroup_rule(self, con) -> None:
        self._regroup_all(con)
        self._set_meta(con, "group_rule", rule_fingerprint())

    def upgrade(self) -> tuple[int | None, int]:
        """Create the store or bring its schema to SCHEMA_VERSION (one transaction), then regroup every
        incident. Returns (version before, or None for a new store; version now)."""
        steps = STEPS[self.dialect]

        def migrate(con):
            meta = self.backend.read_meta(con)
            version = int(meta["schema_version"]) if "schema_version" in meta else None
            if version is not None and version > SCHEMA_VERSION:
                raise ValueError(f"{self.path}: store schema {version} is newer than this program ({SCHEMA_VERSION})")
            if version == SCHEMA_VERSION and meta.get("group_rule") == rule_fingerprint():
                return version
            todo = [min(steps)] if version is None else []
            todo += range((version or min(steps)) + 1, SCHEMA_VERSION + 1)
            missing = [v for v in todo if v not in steps]
            if missing:
                raise ValueError(f"{self.path}: no migration from schema {version} for {self.dialect}")
            for v in todo:
                steps[v](con)
            self._regroup_all(con)
            self._set_meta(con, "schema_version", str(SCHEMA_VERSION))
            self._set_meta(con, "group_rule", rule_fingerprint())
            return version

        try:
            before = self._write(migrate)
        except Exception as exc:
            if "postgis" in str(exc).lower():
                raise ValueError(f"{self.path}: the PostGIS extension could not be created ({exc}); install "
                                 "PostGIS on the server and run `incidentmap db upgrade` as a user allowed to "
                                 "CREATE EXTENSION (the database owner or a superuser)") from exc
            raise
        return before, SCHEMA_VERSION

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

    @staticmethod
    def _set_meta(con, key: str, value: str) -> None:
        con.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value))

    # ---- writing -------------------------------------------------------------------------
    def save_article(self, article, incidents: list, origin: str = "news", force: bool = False) -> SaveResult:
        """Store one article with its incidents atomically, carry its reviews over (see the module's
        docstring) and regroup the events around them. An unchanged text is skipped unless `force`
        (reprocess: the same text, a new gazetteer)."""
        old = self.con.execute("SELECT id FROM articles WHERE key=?", (article.key,)).fetchone()
        if old and old[0] == article.id and not force:  # the common case on a re-run, without the write lock
            return SaveResult("unchanged", 0)

        def write(con):
            old = con.execute("SELECT id FROM articles WHERE key=?", (article.key,)).fetchone()
            if old and old[0] == article.id and not force:  # another writer stored it meanwhile
                return SaveResult("unchanged", 0)
            gone, reviewed = {}, []  # a new article has no incidents yet (they reference it)
            if old:
                gone = self._members(con, "article_key = ?", (article.key,))
                reviewed = [dict(r) for r in con.execute(f"SELECT {', '.join(STORED_COLUMNS)} FROM incidents WHERE "
                                                         "article_key = ? AND review_status != 'auto' ORDER BY rowid",
                                                         (article.key,))]
                con.execute("DELETE FROM incidents WHERE article_key=?", (article.key,))
            self._put_article(con, _article_row(article, origin))
            new = self._insert_incidents(con, article.key, [i.to_dict() for i in incidents])
            kept, orphaned = self._carry_reviews(con, article, reviewed)
            if reviewed:
                new = self._members(con, "article_key = ?", (article.key,))
            self._regroup(con, new, probes=list(gone.values()))
            status = "unchanged" if old and old[0] == article.id else "replaced" if old else "new"
            return SaveResult(status if not force or status != "unchanged" else "reprocessed", len(incidents),
                              kept, orphaned)

        return self._write(write)

    @staticmethod
    def _put_article(con, values: tuple) -> None:
        con.execute(f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))}) "
                    f"ON CONFLICT (key) DO UPDATE SET {', '.join(c + ' = excluded.' + c for c in ARTICLE_COLUMNS[1:])}",
                    values)

    @staticmethod
    def _carry_reviews(con, article, reviewed: list[dict]) -> tuple[int, int]:
        """Give each reviewed old incident's state to its new counterpart (same uid, else same passage and
        place text, else the one new incident of its passage); keep it as it was when there is none
        but its passage is still in the text.
        Returns (kept, orphaned)."""
        if not reviewed:
            return 0, 0
        fresh = [dict(r) for r in con.execute("SELECT rowid, uid, passage, place_text FROM incidents "
                                              "WHERE article_key = ? ORDER BY rowid", (article.key,))]
        taken: set[str] = set()
        kept = orphaned = 0
        for old in reviewed:
            free = [f for f in fresh if f["uid"] not in taken]
            same_passage = [f for f in free if f["passage"] == old["passage"]]
            match = next((f for f in free if f["uid"] == old["uid"]), None) or \
                next((f for f in same_passage if f["place_text"] == old["place_text"]), None) or \
                (same_passage[0] if len(same_passage) == 1 else None)  # the passage's one incident, placed anew
            if match is not None:
                taken.add(match["uid"])
                con.execute(f"UPDATE incidents SET {', '.join(c + ' = ?' for c in REVIEWED_FIELDS)} WHERE uid = ?",
                            (*(old[c] for c in REVIEWED_FIELDS), match["uid"]))
                if match["uid"] != old["uid"]:
                    con.execute("UPDATE reviews SET uid = ? WHERE uid = ?", (match["uid"], old["uid"]))
                    con.execute("UPDATE reviews SET value = replace(value, ?, ?) WHERE action = 'merge'",
                                (old["uid"], match["uid"]))
                kept += 1
                continue
            at = article.text.find(old["passage"] or "\0")
            if at < 0 or con.execute("SELECT 1 FROM incidents WHERE uid = ?", (old["uid"],)).fetchone():
                orphaned += 1
                continue
            row = {k: v for k, v in old.items() if k != "rowid"}
            shift = at - (old["passage_start"] or 0)
            for c in ("passage_start", "passage_end", "place_start", "place_end"):
                row[c] = row[c] + shift if row[c] is not None else None
            row["event_group"] = own_group(Member.from_row(row))
            con.execute(f"INSERT INTO incidents ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                        tuple(row.values()))
            kept += 1
        return kept, orphaned

    def save_rows(self, article_key: str, article_row: dict, rows: list[dict]) -> None:
        """Store pre-built incident rows (imports such as ACLED) under one pseudo-article. Fast: each
        row is its own event group (ACLED's event id); imported rows are never grouped with news."""
        def write(con):
            con.execute("DELETE FROM incidents WHERE article_key=?", (article_key,))
            self._put_article(con, (
                article_key, article_row.get("id", article_key), article_row.get("title", ""), None,
                article_row.get("source", ""), "", "", article_row.get("path", ""), "", article_row.get("origin", ""),
                time.time(), "[]", 0))
            self._insert_incidents(con, article_key, rows, bulk=self.backend)

        self._write(write)

    @staticmethod
    def _insert_incidents(con, article_key: str, incidents: list[dict], bulk=None) -> dict[str, Member]:
        """Insert rows, each with its uid and its own event group; returns them as Members by uid.
        `bulk` (the backend): many rows at once (COPY on PostgreSQL)."""
        rows, places, members = _incident_rows(article_key, incidents)
        if bulk is not None:
            bulk.bulk_insert(con, "incidents", INCIDENT_COLUMNS, rows)
        else:
            con.executemany(f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES "
                            f"({', '.join('?' * len(INCIDENT_COLUMNS))})", rows)
        if places:
            con.executemany(_PUT_PLACE, list(places.values()))
        return members

    def load_articles(self, items: list[tuple], origin: str = "news") -> list[SaveResult]:
        """Store many extracted articles at once: [(Article, incidents)] → a SaveResult each, in order.
        Articles new to the store are written in one transaction in bulk (COPY on PostgreSQL) and
        their events regrouped together; an unchanged article is skipped; a changed one goes through
        `save_article` (its reviews carried over). The same store as saving them one by one."""
        latest = {a.key: (a, incs) for a, incs in items}  # an article given twice: its last version

        def write(con):
            keys = list(latest)
            known = {}
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                known.update(con.execute(f"SELECT key, id FROM articles WHERE key IN ({', '.join('?' * len(chunk))})",
                                         chunk).fetchall())
            fresh = [(a, incs) for a, incs in latest.values() if a.key not in known]
            self.backend.bulk_insert(con, "articles", ARTICLE_COLUMNS, [_article_row(a, origin) for a, _ in fresh])
            rows, places, members = [], {}, {}
            for a, incs in fresh:
                r, p, m = _incident_rows(a.key, [i.to_dict() for i in incs])
                rows += r
                places.update(p)
                members.update(m)
            self.backend.bulk_insert(con, "incidents", INCIDENT_COLUMNS, rows)
            con.executemany(_PUT_PLACE, list(places.values()))
            self._regroup(con, members, probes=[])
            return known

        known = self._write(write) if latest else {}
        out = {}
        for a, incs in latest.values():
            if a.key not in known:
                out[a.key] = SaveResult("new", len(incs))
            elif known[a.key] == a.id:
                out[a.key] = SaveResult("unchanged", 0)
            else:
                out[a.key] = self.save_article(a, incs, origin=origin)
        return [out[a.key] if latest[a.key][0] is a else SaveResult("unchanged", 0) for a, _ in items]

    # ---- event groups ----------------------------------------------------------------------
    @staticmethod
    def _members(con, where: str, params: Iterable = ()) -> dict[str, Member]:
        sql = f"SELECT {', '.join(MEMBER_COLUMNS)} FROM incidents WHERE {where}"
        return {r["uid"]: Member.from_row(r) for r in con.execute(sql, tuple(params))}

    @staticmethod
    def _write_groups(con, groups: dict[str, str], current: dict[str, str | None]) -> None:
        con.executemany("UPDATE incidents SET event_group = ? WHERE uid = ?",
                        [(g, uid) for uid, g in groups.items() if current.get(uid) != g])

    def _regroup_all(self, con) -> None:
        """Every incident grouped from scratch (a new schema or a new grouping rule)."""
        current = {r["uid"]: r["event_group"] for r in con.execute("SELECT uid, event_group FROM incidents")}
        links, alone = self._group_overrides(con)
        self._write_groups(con, partition(self._members(con, "1 = 1").values(), links, alone), current)

    @staticmethod
    def _group_overrides(con) -> tuple[list[tuple[str, str]], set[str]]:
        """The analysts' merges and splits in force (incidents.groups.overrides), from the audit log."""
        rows = con.execute("SELECT action, uid, value FROM reviews WHERE action IN ('merge', 'split') "
                           "AND undone_at IS NULL ORDER BY id").fetchall()
        return overrides((r["action"], r["uid"], (json.loads(r["value"] or "null") or {}).get("with"))
                         for r in rows)

    def _regroup(self, con, start: dict[str, Member], probes: list[Member]) -> None:
        """Regroup the neighbourhood of an article's incidents: `start` (just inserted, each in its own
        group) and `probes` (its deleted old ones, which only lead to their neighbours). Follows the
        candidate relation until closed, so each connected set is regrouped whole: the same answer as
        regrouping the whole store, at the cost of the neighbourhood only."""
        known = dict(start)
        current = {uid: own_group(m) for uid, m in start.items()}
        links, alone = self._group_overrides(con)
        linked: dict[str, set[str]] = {}
        for a, b in links:
            linked.setdefault(a, set()).add(b)
            linked.setdefault(b, set()).add(a)
        frontier = list(start.values()) + probes
        probed = set()  # incidents alike in all that `candidates` reads have the same candidates
        widest: dict = {}  # date window -> the widest radius stored in it (unchanged while regrouping)
        while frontier:
            found = []
            for f in frontier:
                for u in sorted(linked.get(f.uid, ())):  # merged by hand: its group comes along
                    r = None if u in known else con.execute(
                        f"SELECT {', '.join(MEMBER_COLUMNS)} FROM incidents WHERE uid = ?", (u,)).fetchone()
                    if r is not None:
                        c = Member.from_row(r)
                        known[c.uid], current[c.uid] = c, r["event_group"]
                        found.append(c)
                alike = (f.place_id, f.lat, f.lon, f.date, f.precision, f.radius_km, f.event_type, f.source_kind)
                if alike in probed:
                    continue
                probed.add(alike)
                for r in self._candidate_rows(con, f, widest):
                    c = Member.from_row(r)
                    if c.uid not in known and candidates(f, c):
                        known[c.uid], current[c.uid] = c, r["event_group"]
                        found.append(c)
            frontier = found
        self._write_groups(con, partition(known.values(), links, alone), current)

    def _regroup_around(self, con, uids: Iterable[str]) -> None:
        """Regroup the incidents `uids` and their current group mates (each set back to its own group
        first, then the neighbourhood regrouped as after an ingest)."""
        uids = list(uids)
        marks = ", ".join("?" * len(uids))
        start = self._members(con, f"uid IN ({marks}) OR event_group IN (SELECT event_group FROM incidents "
                                   f"WHERE uid IN ({marks}))", (*uids, *uids))
        con.executemany("UPDATE incidents SET event_group = ? WHERE uid = ?",
                        [(own_group(m), m.uid) for m in start.values()])
        self._regroup(con, start, probes=[])

    def _candidate_rows(self, con, m: Member, widest: dict) -> list:
        """Stored incidents that may be candidates of m: its date window, and its place or its box.
        `widest` caches the widest radius per date window for one regrouping."""
        kinds = ", ".join("?" * len(GROUPED_KINDS))
        window = date_window(m)
        if window is None:
            return []
        if window not in widest:
            widest[window] = con.execute(f"SELECT max(radius_km) FROM incidents WHERE source_kind IN ({kinds}) AND "
                                         "date BETWEEN ? AND ? AND precision <= 2",
                                         (*GROUPED_KINDS, *window)).fetchone()[0]
        box = search_box(m, widest[window] or 0.0)
        where = (f"source_kind IN ({kinds}) AND date BETWEEN ? AND ? AND lat IS NOT NULL AND lon IS NOT NULL "
                 "AND (place_id = ?")
        params = [*GROUPED_KINDS, box.date_from, box.date_to, box.place_id]
        if box.box:
            sql, more = self.backend.box_condition("", *box.box)
            where += " OR " + sql
            params += more
        sql = f"SELECT {', '.join(MEMBER_COLUMNS)} FROM incidents WHERE {where})"
        return con.execute(sql, params).fetchall()

    # ---- reviews ---------------------------------------------------------------------------
    def review(self, uid: str, action: str, changes: dict, value, by: str, note: str = "",
               status: str = "reviewed") -> dict:
        """Record one analyst action on incident `uid`: set `changes` (incident columns among
        REVIEWED_FIELDS) and its review state, log it with the previous values, and regroup the
        events around it when its place or date moved. Returns the review row."""
        if action not in REVIEW_ACTIONS:
            raise ValueError(f"review action {action!r}: one of {', '.join(REVIEW_ACTIONS)}")
        bad = set(changes) - set(REVIEWED_FIELDS)
        if bad:
            raise ValueError(f"a review cannot change {', '.join(sorted(bad))}")
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def write(con):
            before = self._reviewed_state(con, uid)
            new = {**changes, "review_status": status, "reviewed_by": by, "reviewed_at": at}
            rid = self._log(con, uid, action, json.dumps(value, ensure_ascii=False), before, by, at, note)
            self._set_incident(con, uid, new, before)
            return rid

        return self.reviews(uid, review_id=self._write(write))[0]

    @staticmethod
    def _log(con, uid: str, action: str, value: str, before: dict, by: str, at: str, note: str) -> int:
        """Append one row to the audit log; returns its id."""
        return con.execute("INSERT INTO reviews (uid, action, value, previous, by, at, note) VALUES (?,?,?,?,?,?,?) "
                           "RETURNING id", (uid, action, value, json.dumps(before, ensure_ascii=False), by, at,
                                            note or None)).fetchone()[0]

    def review_groups(self, action: str, uids: list[str], by: str, note: str = "") -> list[dict]:
        """Merge the event groups of two incidents (`action` "merge", uids [a, b]) or split one incident
        off into an event of its own ("split", [uid]), as an analyst's decision the grouping respects
        from now on (see the module's docstring). Each incident involved gets a row in the log (a
        merge's two rows name each other: value {"with": other uid, "pair": other row id}) and becomes
        `reviewed`. Returns the rows, in the order of `uids`."""
        if action not in GROUP_ACTIONS:
            raise ValueError(f"group action {action!r}: one of {', '.join(GROUP_ACTIONS)}")
        if len(uids) != (2 if action == "merge" else 1):
            raise ValueError(f"{action} takes {'two incident ids' if action == 'merge' else 'one incident id'}")
        if action == "merge" and uids[0] == uids[1]:
            raise ValueError(f"{uids[0]}: give two different incidents to merge their event groups")
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def write(con):
            ids = []
            for i, uid in enumerate(uids):
                before = self._reviewed_state(con, uid)
                row = con.execute("SELECT event_group, source_kind FROM incidents WHERE uid = ?", (uid,)).fetchone()
                if row["source_kind"] not in GROUPED_KINDS:
                    raise ValueError(f"{uid}: an imported ({row['source_kind']}) row is its own event and "
                                     "is never grouped; only incidents from articles can be merged or split")
                value = {"group": row["event_group"]}
                if action == "merge":
                    value["with"] = uids[1 - i]
                ids.append(self._log(con, uid, action, json.dumps(value), before, by, at, note))
                self._set_incident(con, uid, {"review_status": "reviewed", "reviewed_by": by, "reviewed_at": at},
                                   before)
            if action == "merge":
                for rid, pair in ((ids[0], ids[1]), (ids[1], ids[0])):
                    value = json.loads(con.execute("SELECT value FROM reviews WHERE id = ?", (rid,)).fetchone()[0])
                    con.execute("UPDATE reviews SET value = ? WHERE id = ?", (json.dumps({**value, "pair": pair}), rid))
            self._regroup_around(con, uids)
            return ids

        return [self.reviews(review_id=rid)[0] for rid in self._write(write)]

    def undo_review(self, uid: str, by: str) -> dict:
        """Revert the last action on incident `uid` that is not undone yet (its row stays in the log,
        marked undone). Undoing a merge undoes it for both incidents (the other one's review state goes
        back too, unless it has been reviewed again since). Returns that review row."""
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        def write(con):
            before = self._reviewed_state(con, uid)
            last = con.execute("SELECT id, action, value, previous FROM reviews WHERE uid = ? AND undone_at IS NULL "
                               "ORDER BY id DESC LIMIT 1", (uid,)).fetchone()
            if last is None:
                raise ValueError(f"{uid}: no review to undo")
            con.execute("UPDATE reviews SET undone_by = ?, undone_at = ? WHERE id = ?", (by, at, last["id"]))
            self._set_incident(con, uid, json.loads(last["previous"]), before)
            if last["action"] in GROUP_ACTIONS:
                touched = [uid]
                pair = (json.loads(last["value"] or "null") or {}).get("pair")
                other = con.execute("SELECT id, uid, previous FROM reviews WHERE id = ? AND undone_at IS NULL",
                                    (pair,)).fetchone() if pair else None
                if other is not None:
                    con.execute("UPDATE reviews SET undone_by = ?, undone_at = ? WHERE id = ?", (by, at, other["id"]))
                    touched.append(other["uid"])
                    latest = con.execute("SELECT max(id) FROM reviews WHERE uid = ? AND undone_at IS NULL",
                                         (other["uid"],)).fetchone()[0]
                    exists = con.execute("SELECT 1 FROM incidents WHERE uid = ?", (other["uid"],)).fetchone()
                    if exists and (latest is None or latest < other["id"]):  # nothing done to it since
                        self._set_incident(con, other["uid"], json.loads(other["previous"]),
                                           self._reviewed_state(con, other["uid"]))
                self._regroup_around(con, touched)
            return last["id"]

        return self.reviews(uid, review_id=self._write(write))[0]

    def reviews(self, uid: str | None = None, review_id: int | None = None) -> list[dict]:
        """The audit log, oldest first (of one incident, or one row), value/previous decoded."""
        where, params = [], []
        for col, v in (("uid", uid), ("id", review_id)):
            if v is not None:
                where.append(f"{col} = ?")
                params.append(v)
        sql = "SELECT * FROM reviews" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        out = []
        for r in self.con.execute(sql, params):
            d = dict(r)
            d["value"], d["previous"] = json.loads(d["value"] or "null"), json.loads(d["previous"] or "null")
            out.append(d)
        return out

    @staticmethod
    def _reviewed_state(con, uid: str) -> dict:
        row = con.execute(f"SELECT {', '.join(REVIEWED_FIELDS)} FROM incidents WHERE uid = ?", (uid,)).fetchone()
        if row is None:
            raise ValueError(f"{uid}: no such incident; the ids are `event_id_cnty` in `incidentmap export` "
                             "and in `incidentmap review list`")
        return dict(row)

    def _set_incident(self, con, uid: str, changes: dict, before: dict) -> None:
        group = con.execute("SELECT event_group FROM incidents WHERE uid = ?", (uid,)).fetchone()[0]
        con.execute(f"UPDATE incidents SET {', '.join(c + ' = ?' for c in changes)} WHERE uid = ?",
                    (*changes.values(), uid))
        if any(before.get(c) != changes[c] for c in changes if c not in REVIEW_STATE):
            # moved: regroup it and its former group mates (each set back to its own group first)
            start = self._members(con, "event_group = ? OR uid = ?", (group, uid))
            con.executemany("UPDATE incidents SET event_group = ? WHERE uid = ?",
                            [(own_group(m), m.uid) for m in start.values()])
            self._regroup(con, start, probes=[])

    # ---- reading -------------------------------------------------------------------------
    def review_counts(self) -> dict[str, int]:
        """{review status: how many incidents}."""
        return {k: v for k, v in self.con.execute("SELECT review_status, count(*) FROM incidents GROUP BY review_status")}

    def where(self, bbox: tuple[float, float, float, float] | None = None, region: str | None = None,
              **filters) -> tuple[str, list]:
        """build_where's clause for this store, plus a box (west, south, east, north) and a region
        (a WKT polygon in lon/lat), both answered in SQL (PostGIS: the GiST-indexed `geom`)."""
        where, params = build_where(**filters)
        parts = [where] if where else []
        if bbox is not None:
            west, south, east, north = bbox
            sql, more = self.backend.box_condition("i.", south, north, west, east)
            parts.append(sql)
            params = [*params, *more]
        if region:
            sql, more = self.backend.region_condition("i.", region)
            parts.append(sql)
            params = [*params, *more]
        return " AND ".join(parts), params

    def counts(self) -> dict:
        c = self.con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM incidents)").fetchone()
        return {"articles": c[0], "incidents": c[1]}

    def incidents(self, where: str = "", params: Iterable = (), limit: int | None = None) -> Iterator[dict]:
        """Incident rows with their article's title/date/source/url/language and `event_sources`
        (how many distinct articles report the incident's event group). Ordered by date, then article,
        then the order of extraction: the same order however and in whatever order the articles were
        stored (ingest, a resumed ingest, reprocess, load)."""
        sql = _SELECT_INCIDENTS
        if where:
            sql += " WHERE " + where
        sql += " ORDER BY i.date NULLS FIRST, i.article_key, i.rowid"
        if limit:
            sql += f" LIMIT {int(limit)}"
        for row in self.con.execute(sql, tuple(params)):
            yield dict(row)

    def events(self, where: str = "", params: Iterable = (),
               include_rejected: bool = False) -> Iterator[tuple[str, list[dict]]]:
        """(group id, member incidents) for each event group with at least one incident matching
        `where` (build_where's clause), with all its members, filtered or not, in canonical order
        (date, uid); events ordered by their first date, then group id. Rejected incidents are left
        out unless `include_rejected`."""
        sub = f"i.event_group IN (SELECT i.event_group FROM incidents i JOIN articles a ON a.key = i.article_key " \
              f"WHERE {where})" if where else ""
        if not include_rejected:
            sub = " AND ".join(x for x in (sub, "i.review_status != 'rejected'") if x)
        groups: dict[str, list[dict]] = {}
        for row in self.incidents(sub, params):
            groups.setdefault(row["event_group"], []).append(row)
        for members in groups.values():
            members.sort(key=lambda r: (r["date"] or "", r["uid"]))
        for gid in sorted(groups, key=lambda g: (groups[g][0]["date"] or "", g)):
            yield gid, groups[gid]

    def incident(self, uid: str) -> dict | None:
        """One incident row by its uid (as `incidents` gives it), or None."""
        return next(self.incidents("i.uid = ?", (uid,)), None)

    def news_articles(self) -> list[dict]:
        """Every stored article that incidents are extracted from (not ACLED imports), by key; each row
        rebuilds the Article exactly as it was read (incidents.articles.Article.from_stored)."""
        return [dict(r) for r in self.con.execute("SELECT * FROM articles WHERE coalesce(origin, '') != 'acled' "
                                                  "ORDER BY key")]

    def meta(self, key: str, default: str | None = None) -> str | None:
        return self._meta().get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        self._write(lambda con: self._set_meta(con, key, value))

    # ---- followed feeds (incidents.feeds) -------------------------------------------------------
    def feed_state(self, url: str) -> dict | None:
        row = self.con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def feed_states(self) -> list[dict]:
        """Every followed source's state, the most recently checked first."""
        return [dict(r) for r in self.con.execute("SELECT * FROM feeds ORDER BY last_checked DESC NULLS LAST, url")]

    def save_feed_state(self, url: str, **fields) -> None:
        """Set some of a source's FEED_COLUMNS (the row is created when new); one transaction."""
        bad = set(fields) - set(FEED_COLUMNS)
        if bad:
            raise ValueError(f"no feed state column(s) {', '.join(sorted(bad))}")

        def write(con):
            con.execute("INSERT INTO feeds (url) VALUES (?) ON CONFLICT (url) DO NOTHING", (url,))
            if fields:
                con.execute(f"UPDATE feeds SET {', '.join(c + ' = ?' for c in fields)} WHERE url = ?",
                            (*fields.values(), url))

        self._write(write)

    def fetched_page(self, url: str) -> dict | None:
        """What is known of a fetched URL (by the URL itself, else as a canonical URL), or None."""
        row = self.con.execute("SELECT * FROM fetched WHERE url = ?", (url,)).fetchone() or \
            self.con.execute("SELECT * FROM fetched WHERE canonical = ? ORDER BY fetched_at DESC NULLS LAST LIMIT 1",
                             (url,)).fetchone()
        return dict(row) if row else None

    def save_fetched(self, url: str, **fields) -> None:
        """Record a fetched URL (FETCHED_COLUMNS; `fetched_at` now when not given); one transaction."""
        fields = {k: v for k, v in fields.items() if k in FETCHED_COLUMNS}
        fields["fetched_at"] = fields.get("fetched_at") or time.time()
        cols = ("url", *fields)
        sql = (f"INSERT INTO fetched ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
               f"ON CONFLICT(url) DO UPDATE SET {', '.join(c + ' = excluded.' + c for c in fields)}")
        self._write(lambda con: con.execute(sql, (url, *fields.values())))

    def article_key_with_id(self, article_id: str) -> str | None:
        """The key of a stored article with this content hash (Article.id), or None."""
        row = self.con.execute("SELECT key FROM articles WHERE id = ? LIMIT 1", (article_id,)).fetchone()
        return row[0] if row else None

    def article_text(self, key: str) -> str | None:
        row = self.con.execute("SELECT text FROM articles WHERE key=?", (key,)).fetchone()
        return row[0] if row else None


def _article_row(article, origin: str) -> tuple:
    """An Article as a row of `articles` (ARTICLE_COLUMNS)."""
    return (article.key, article.id, article.title, article.date.isoformat() if article.date else None,
            article.source, article.url, article.language, article.path, article.text, origin, time.time(),
            json.dumps(article.warnings, ensure_ascii=False), article.body_start)


def _incident_rows(article_key: str, incidents: list[dict]) -> tuple[list[tuple], dict, dict[str, Member]]:
    """An article's incident dicts as rows of `incidents` (INCIDENT_COLUMNS; each with its uid and its
    own event group), the places they point at, and the incidents as Members by uid."""
    rows, places, members, occurrences = [], {}, {}, {}
    for d in incidents:
        loc = Location.from_dict(d["location"]).to_dict()  # one typed shape, whoever built the row
        actors = d.get("actors") or []
        a1 = next((a["name"] for a in actors if a.get("role") == "attacker"), actors[0]["name"] if actors else None)
        a2 = next((a["name"] for a in actors if a["name"] != a1), None)
        row = {"article_key": article_key, "grp": d.get("group"), "date": d.get("date"),
               "time_precision": d.get("time_precision"), "event_type": d.get("event_type"),
               "sub_event_type": d.get("sub_event_type"), "actor1": a1, "actor2": a2,
               "actors": json.dumps(actors, ensure_ascii=False), "fatalities": d.get("fatalities"),
               **location_columns(loc),
               **{k: d.get(k) for k in ("passage", "passage_start", "passage_end", "place_start", "place_end")},
               "evidence": json.dumps(d.get("evidence") or [], ensure_ascii=False),
               "source_kind": d.get("source_kind", "news"), "external_id": d.get("external_id"),
               "uid": None, "event_group": None}
        row["uid"] = unique_uid(row, members, occurrences)
        m = Member.from_row(row)
        row["event_group"] = own_group(m)
        members[m.uid] = m
        rows.append(tuple(row[c] for c in INCIDENT_COLUMNS))
        if loc.get("id"):
            places[loc["id"]] = (loc["id"], loc.get("name_ar"), loc.get("name_en"), loc.get("feature"),
                                 loc.get("lat"), loc.get("lon"), loc.get("admin1"), loc.get("admin2"))
    return rows, places, members


def build_where(date_from: str | None = None, date_to: str | None = None, admin1: str | None = None,
                admin2: str | None = None, event_type: str | None = None, actor: str | None = None,
                text: str | None = None, max_precision: int | None = None,
                source_kind: str | None = None, include_rejected: bool = False,
                review_status: str | None = None) -> tuple[str, list]:
    """A WHERE clause and its parameters for the usual filters (all optional). Incidents an analyst
    rejected are left out unless `include_rejected` or `review_status` is "rejected"."""
    like = lambda v: f"%{v}%" if v else v  # noqa: E731
    clauses = [  # (value, SQL with one ? per use of the value)
        (date_from, "i.date >= ?"), (date_to, "i.date <= ?"),
        (admin1, "(i.admin1 = ? OR i.admin1_ar = ? OR i.admin1_pcode = ?)"),
        (admin2, "(i.admin2 = ? OR i.admin2_ar = ?)"),
        (event_type, "(i.event_type = ? OR i.sub_event_type = ?)"),
        (like(actor), "i.actors LIKE ?"), (like(text), "i.passage LIKE ?"),
        (max_precision, "i.precision <= ?"), (source_kind, "i.source_kind = ?"),
        (review_status, "i.review_status = ?"),
    ]
    parts, params = [], []
    for value, sql in clauses:
        if value:
            parts.append(sql)
            params += [value] * sql.count("?")
    if not include_rejected and review_status != "rejected":
        parts.append("i.review_status != 'rejected'")
    return " AND ".join(parts), params
