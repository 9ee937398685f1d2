"""The incident store: one SQLite file (WAL, so the dashboard reads while an ingest writes).

The only module that speaks SQL. Tables: `articles` (one row per article, keyed by its source
key, with its content hash), `incidents` (one row per incident location) and `places` (the
gazetteer entries incidents point at). Each article is written in one transaction: re-ingesting
the same text changes nothing; a changed text replaces that article's incidents only.

Every incident has a stable `uid` and an `event_group` (incidents.groups: the incidents of several
articles that report one real-world event). Saving an article regroups, in the same transaction,
only the neighbourhood it touches: the incidents connected to its old and new incidents by the
grouping rule's candidate relation (a date window and a lat/lon box in SQL, the rule in Python).

Schema versions (the database says which it is at, `meta.schema_version`; opening migrates):
  1. articles, incidents, places.
  2. incidents.uid (unique) and incidents.event_group (indexed), backfilled.
  3. Reviews: incidents.review_status (auto | reviewed | rejected), reviewed_by, reviewed_at, and the
     `reviews` table, the audit log of analysts' actions (uid, action, value, previous, by, at, note;
     an undone action keeps its row with undone_by/undone_at).
  4. Following feeds (incidents.feeds): `feeds`, one row per followed source with its state (conditional
     GET validators, last item seen, last check/success/error, counts), and `fetched`, one row per URL
     fetched (item link or canonical URL: its content hash, validators, the feed's `updated` date, the
     article it became, status and error).

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
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from geodata.paths import data_home
from geodata.schema import Location
from incidents.groups import (GROUPED_KINDS, Member, candidates, date_window, incident_uid, overrides,
                              own_group, partition, rule_fingerprint, search_box)

SCHEMA_VERSION = 4
# The schema as version 1 created it. Never edited: a new store is created at version 1 and then
# migrated step by step (MIGRATIONS), so a new store and an upgraded old one are the same.
SCHEMA_V1 = """
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
                    "source_kind", "external_id", "uid", "event_group")
MEMBER_COLUMNS = ("uid", "article_key", "date", "event_type", "place_id", "lat", "lon", "precision", "radius_km",
                  "source_kind", "external_id", "event_group")
_SELECT_INCIDENTS = (
    "SELECT i.*, a.title AS article_title, a.date AS article_date, a.source AS article_source, "
    "a.url AS article_url, a.language AS article_language, "
    "(SELECT count(DISTINCT g.article_key) FROM incidents g WHERE g.event_group = i.event_group) AS event_sources "
    "FROM incidents i JOIN articles a ON a.key = i.article_key")


def _to_v2(con) -> None:
    """Event groups: a stable uid per incident (unique) and its event group (indexed; filled by the
    regrouping that follows every migration)."""
    con.execute("ALTER TABLE incidents ADD COLUMN uid TEXT")
    con.execute("ALTER TABLE incidents ADD COLUMN event_group TEXT")
    used: set[str] = set()
    updates = []
    for r in con.execute("SELECT rowid, article_key, passage, passage_start, place_start, sub_event_type, "
                         "source_kind, external_id FROM incidents ORDER BY rowid"):
        uid = _unique_uid(dict(r), used)
        used.add(uid)
        updates.append((uid, r["rowid"]))
    con.executemany("UPDATE incidents SET uid = ? WHERE rowid = ?", updates)
    con.execute("CREATE UNIQUE INDEX incidents_uid ON incidents(uid)")
    con.execute("CREATE INDEX incidents_event_group ON incidents(event_group)")


def _to_v3(con) -> None:
    """Reviews: each incident's review state, and the audit log of analysts' actions."""
    con.execute("ALTER TABLE incidents ADD COLUMN review_status TEXT NOT NULL DEFAULT 'auto'")
    con.execute("ALTER TABLE incidents ADD COLUMN reviewed_by TEXT")
    con.execute("ALTER TABLE incidents ADD COLUMN reviewed_at TEXT")
    con.execute("CREATE INDEX incidents_review ON incidents(review_status)")
    con.execute("CREATE TABLE reviews (id INTEGER PRIMARY KEY, uid TEXT NOT NULL, action TEXT NOT NULL, "
                "value TEXT, previous TEXT, by TEXT, at TEXT, note TEXT, undone_by TEXT, undone_at TEXT)")
    con.execute("CREATE INDEX reviews_uid ON reviews(uid)")


FEED_COLUMNS = ("label", "kind", "etag", "modified", "last_item", "last_item_at", "last_checked", "last_success",
                "last_error", "last_error_at", "checks", "failures", "items_seen", "articles_new", "last_new")
FETCHED_COLUMNS = ("canonical", "content_hash", "article_key", "feed_url", "entry_updated", "etag", "modified",
                   "author", "status", "error", "fetched_at")


def _to_v4(con) -> None:
    """Following feeds: each source's state, and every URL fetched (de-duplication, conditional GET)."""
    con.execute("CREATE TABLE feeds (url TEXT PRIMARY KEY, label TEXT, kind TEXT, etag TEXT, modified TEXT, "
                "last_item TEXT, last_item_at REAL, last_checked REAL, last_success REAL, last_error TEXT, "
                "last_error_at REAL, checks INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0, "
                "items_seen INTEGER NOT NULL DEFAULT 0, articles_new INTEGER NOT NULL DEFAULT 0, "
                "last_new INTEGER NOT NULL DEFAULT 0)")
    con.execute("CREATE TABLE fetched (url TEXT PRIMARY KEY, canonical TEXT, content_hash TEXT, article_key TEXT, "
                "feed_url TEXT, entry_updated TEXT, etag TEXT, modified TEXT, author TEXT, status TEXT, "
                "error TEXT, fetched_at REAL)")
    con.execute("CREATE INDEX fetched_canonical ON fetched(canonical)")
    con.execute("CREATE INDEX articles_id ON articles(id)")


# version -> the step that takes a store there from the version before; run in one transaction
MIGRATIONS = {2: _to_v2, 3: _to_v3, 4: _to_v4}

# store column -> Location key: an incident's location as columns (plus the whole Location as JSON)
LOCATION_COLUMNS = {"place_id": "id", "place_text": "text", "name_ar": "name_ar", "name_en": "name_en",
                    "feature": "feature", "lat": "lat", "lon": "lon", "admin1": "admin1", "admin1_ar": "admin1_ar",
                    "admin1_pcode": "admin1_pcode", "admin2": "admin2", "admin2_ar": "admin2_ar",
                    "precision": "precision", "confidence": "confidence", "radius_km": "radius_km"}
REVIEW_STATE = ("review_status", "reviewed_by", "reviewed_at")
# what an analyst's review decides, and what re-extraction never changes silently afterwards
REVIEWED_FIELDS = (*LOCATION_COLUMNS, "location", "event_type", "sub_event_type", "date", "time_precision",
                   *REVIEW_STATE)
REVIEW_ACTIONS = ("accept", "reject", "set_location", "set_type", "set_date")
GROUP_ACTIONS = ("merge", "split")  # hand-made event groups (review_groups): constraints on regrouping


def default_db_path() -> Path:
    return data_home() / "incidents.sqlite"


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
    def __init__(self, path: str | Path | None = None, readonly: bool = False):
        self.path = Path(path or default_db_path())
        if readonly:
            if not self.path.exists():
                raise FileNotFoundError(f"{self.path}: no incident store here; run `incidentmap ingest articles/`")
            self.con = self._connect_readonly()
            if self._outdated():  # an older schema or grouping rule: upgrade once, then read
                schema_current = int(self._meta().get("schema_version", 0)) == SCHEMA_VERSION
                self.con.close()
                try:
                    Store(self.path).close()
                except sqlite3.OperationalError as exc:
                    if not schema_current:  # a stale grouping rule only: read the groups as they are
                        raise ValueError(f"{self.path}: this store needs upgrading to schema {SCHEMA_VERSION} "
                                         f"and cannot be written here ({exc}); open it once with write access, "
                                         f"e.g. `incidentmap ingest`") from exc
                self.con = self._connect_readonly()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self.con.row_factory = sqlite3.Row
            self.con.execute("PRAGMA journal_mode=WAL")
            self.con.execute("PRAGMA synchronous=NORMAL")  # WAL: safe from corruption; fsync at checkpoints
            self.con.execute("PRAGMA foreign_keys=ON")
            self._migrate()

    def _connect_readonly(self) -> sqlite3.Connection:
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
        con.row_factory = sqlite3.Row
        return con

    def _meta(self) -> dict:
        try:
            return {k: v for k, v in self.con.execute("SELECT key, value FROM meta")}
        except sqlite3.OperationalError:
            return {}  # a new file
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{self.path}: not an incident store ({exc})") from exc

    def _outdated(self) -> bool:
        meta = self._meta()
        return bool(meta) and (int(meta.get("schema_version", 0)) < SCHEMA_VERSION
                               or meta.get("group_rule") != rule_fingerprint())

    def _migrate(self) -> None:
        meta = self._meta()
        version = int(meta["schema_version"]) if "schema_version" in meta else None
        if version is not None and version > SCHEMA_VERSION:
            raise ValueError(f"{self.path}: store schema {version} is newer than this program ({SCHEMA_VERSION})")
        if version == SCHEMA_VERSION and meta.get("group_rule") == rule_fingerprint():
            return
        with self.transaction() as con:
            if version is None:  # a new store
                for sql in SCHEMA_V1.split(";"):
                    if sql.strip():
                        con.execute(sql)
                version = 1
            for step in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[step](con)
            self._regroup_all(con)
            con.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [("schema_version", str(SCHEMA_VERSION)), ("group_rule", rule_fingerprint())])

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
    def save_article(self, article, incidents: list, origin: str = "news", force: bool = False) -> SaveResult:
        """Store one article with its incidents atomically, carry its reviews over (see the module's
        docstring) and regroup the events around them. An unchanged text is skipped unless `force`
        (reprocess: the same text, a new gazetteer)."""
        old = self.con.execute("SELECT id FROM articles WHERE key=?", (article.key,)).fetchone()
        if old and old[0] == article.id and not force:
            return SaveResult("unchanged", 0)
        with self.transaction() as con:
            gone = self._members(con, "article_key = ?", (article.key,))
            reviewed = [dict(r) for r in con.execute("SELECT * FROM incidents WHERE article_key = ? AND "
                                                     "review_status != 'auto' ORDER BY rowid", (article.key,))]
            con.execute("DELETE FROM incidents WHERE article_key=?", (article.key,))
            con.execute("INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (
                article.key, article.id, article.title, article.date.isoformat() if article.date else None,
                article.source, article.url, article.language, article.path, article.text, origin,
                time.time(), json.dumps(article.warnings, ensure_ascii=False)))
            new = self._insert_incidents(con, article.key, [i.to_dict() for i in incidents])
            kept, orphaned = self._carry_reviews(con, article, reviewed)
            if reviewed:
                new = self._members(con, "article_key = ?", (article.key,))
            self._regroup(con, new, probes=list(gone.values()))
        status = "unchanged" if old and old[0] == article.id else "replaced" if old else "new"
        return SaveResult(status if not force or status != "unchanged" else "reprocessed", len(incidents),
                          kept, orphaned)

    @staticmethod
    def _carry_reviews(con, article, reviewed: list[dict]) -> tuple[int, int]:
        """Give each reviewed old incident's state to its new counterpart (same uid, else same passage and
        place text, else the one new incident of its passage); keep it as it was when there is none
        but its passage is still in the text.
        Returns (kept, orphaned)."""
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
                    con.execute("UPDATE reviews SET value = replace(value, ?, ?) WHERE action = 'merge' AND "
                                "instr(value, ?) > 0", (old["uid"], match["uid"], old["uid"]))
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
        with self.transaction() as con:
            con.execute("DELETE FROM incidents WHERE article_key=?", (article_key,))
            con.execute("INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (
                article_key, article_row.get("id", article_key), article_row.get("title", ""), None,
                article_row.get("source", ""), "", "", article_row.get("path", ""), "", article_row.get("origin", ""),
                time.time(), "[]"))
            self._insert_incidents(con, article_key, rows)

    @staticmethod
    def _insert_incidents(con, article_key: str, incidents: list[dict]) -> dict[str, Member]:
        """Insert rows, each with its uid and its own event group; returns them as Members by uid."""
        rows, places, members = [], {}, {}
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
            row["uid"] = _unique_uid(row, members)
            m = Member.from_row(row)
            row["event_group"] = own_group(m)
            members[m.uid] = m
            rows.append(tuple(row[c] for c in INCIDENT_COLUMNS))
            if loc.get("id"):
                places[loc["id"]] = (loc["id"], loc.get("name_ar"), loc.get("name_en"), loc.get("feature"),
                                     loc.get("lat"), loc.get("lon"), loc.get("admin1"), loc.get("admin2"))
        con.executemany(f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES "
                        f"({', '.join('?' * len(INCIDENT_COLUMNS))})", rows)
        con.executemany("INSERT OR REPLACE INTO places VALUES (?,?,?,?,?,?,?,?)", list(places.values()))
        return members

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
        self._write_groups(con, partition(self._members(con, "1").values(), links, alone), current)

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
                for r in self._candidate_rows(con, f):
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

    @staticmethod
    def _candidate_rows(con, m: Member) -> list:
        """Stored incidents that may be candidates of m: its date window, and its place or its box."""
        kinds = ", ".join("?" * len(GROUPED_KINDS))
        window = date_window(m)
        if window is None:
            return []
        widest = con.execute(f"SELECT max(radius_km) FROM incidents WHERE source_kind IN ({kinds}) AND "
                             "date BETWEEN ? AND ? AND precision <= 2", (*GROUPED_KINDS, *window)).fetchone()[0]
        box = search_box(m, widest or 0.0)
        where = (f"source_kind IN ({kinds}) AND date BETWEEN ? AND ? AND lat IS NOT NULL AND lon IS NOT NULL "
                 "AND (place_id = ?")
        params = [*GROUPED_KINDS, box.date_from, box.date_to, box.place_id]
        if box.box:
            where += " OR (lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?)"
            params += list(box.box)
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
        with self.transaction() as con:
            before = self._reviewed_state(con, uid)
            new = {**changes, "review_status": status, "reviewed_by": by, "reviewed_at": at}
            rid = con.execute("INSERT INTO reviews (uid, action, value, previous, by, at, note) VALUES (?,?,?,?,?,?,?)",
                              (uid, action, json.dumps(value, ensure_ascii=False),
                               json.dumps(before, ensure_ascii=False), by, at, note or None)).lastrowid
            self._set_incident(con, uid, new, before)
        return self.reviews(uid, review_id=rid)[0]

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
        with self.transaction() as con:
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
                ids.append(con.execute(
                    "INSERT INTO reviews (uid, action, value, previous, by, at, note) VALUES (?,?,?,?,?,?,?)",
                    (uid, action, json.dumps(value), json.dumps(before, ensure_ascii=False), by, at,
                     note or None)).lastrowid)
                self._set_incident(con, uid, {"review_status": "reviewed", "reviewed_by": by, "reviewed_at": at},
                                   before)
            if action == "merge":
                for rid, pair in ((ids[0], ids[1]), (ids[1], ids[0])):
                    con.execute("UPDATE reviews SET value = json_set(value, '$.pair', ?) WHERE id = ?", (pair, rid))
            self._regroup_around(con, uids)
        return [self.reviews(review_id=rid)[0] for rid in ids]

    def undo_review(self, uid: str, by: str) -> dict:
        """Revert the last action on incident `uid` that is not undone yet (its row stays in the log,
        marked undone). Undoing a merge undoes it for both incidents (the other one's review state goes
        back too, unless it has been reviewed again since). Returns that review row."""
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self.transaction() as con:
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
        return self.reviews(uid, review_id=last["id"])[0]

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
    def counts(self) -> dict:
        c = self.con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM incidents)").fetchone()
        return {"articles": c[0], "incidents": c[1]}

    def incidents(self, where: str = "", params: Iterable = (), limit: int | None = None) -> Iterator[dict]:
        """Incident rows with their article's title/date/source/url/language and `event_sources`
        (how many distinct articles report the incident's event group)."""
        sql = _SELECT_INCIDENTS
        if where:
            sql += " WHERE " + where
        sql += " ORDER BY i.date, i.rowid"
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
        """Every stored article that incidents are extracted from (not ACLED imports), by key."""
        return [dict(r) for r in self.con.execute("SELECT * FROM articles WHERE coalesce(origin, '') != 'acled' "
                                                  "ORDER BY key")]

    def meta(self, key: str, default: str | None = None) -> str | None:
        return self._meta().get(key, default)

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as con:
            con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # ---- followed feeds (incidents.feeds) -------------------------------------------------------
    def feed_state(self, url: str) -> dict | None:
        row = self.con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def feed_states(self) -> list[dict]:
        """Every followed source's state, the most recently checked first."""
        return [dict(r) for r in self.con.execute("SELECT * FROM feeds ORDER BY last_checked DESC, url")]

    def save_feed_state(self, url: str, **fields) -> None:
        """Set some of a source's FEED_COLUMNS (the row is created when new); one transaction."""
        bad = set(fields) - set(FEED_COLUMNS)
        if bad:
            raise ValueError(f"no feed state column(s) {', '.join(sorted(bad))}")
        with self.transaction() as con:
            con.execute("INSERT OR IGNORE INTO feeds (url) VALUES (?)", (url,))
            if fields:
                con.execute(f"UPDATE feeds SET {', '.join(c + ' = ?' for c in fields)} WHERE url = ?",
                            (*fields.values(), url))

    def fetched_page(self, url: str) -> dict | None:
        """What is known of a fetched URL (by the URL itself, else as a canonical URL), or None."""
        row = self.con.execute("SELECT * FROM fetched WHERE url = ?", (url,)).fetchone() or \
            self.con.execute("SELECT * FROM fetched WHERE canonical = ? ORDER BY fetched_at DESC LIMIT 1",
                             (url,)).fetchone()
        return dict(row) if row else None

    def save_fetched(self, url: str, **fields) -> None:
        """Record a fetched URL (FETCHED_COLUMNS; `fetched_at` now when not given); one transaction."""
        fields = {k: v for k, v in fields.items() if k in FETCHED_COLUMNS}
        fields["fetched_at"] = fields.get("fetched_at") or time.time()
        cols = ("url", *fields)
        with self.transaction() as con:
            con.execute(f"INSERT INTO fetched ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))}) "
                        f"ON CONFLICT(url) DO UPDATE SET {', '.join(c + ' = excluded.' + c for c in fields)}",
                        (url, *fields.values()))

    def article_key_with_id(self, article_id: str) -> str | None:
        """The key of a stored article with this content hash (Article.id), or None."""
        row = self.con.execute("SELECT key FROM articles WHERE id = ? LIMIT 1", (article_id,)).fetchone()
        return row[0] if row else None

    def article_text(self, key: str) -> str | None:
        row = self.con.execute("SELECT text FROM articles WHERE key=?", (key,)).fetchone()
        return row[0] if row else None


def _unique_uid(row: dict, used) -> str:
    """The incident's uid, told apart from the ones in `used` (a repeated sentence, a repeated
    ACLED id) by its occurrence number."""
    n, uid = 0, incident_uid(row)
    while uid in used:
        n += 1
        uid = incident_uid(row, n)
    return uid


def build_where(date_from: str | None = None, date_to: str | None = None, admin1: str | None = None,
                admin2: str | None = None, event_type: str | None = None, actor: str | None = None,
                text: str | None = None, max_precision: int | None = None,
                source_kind: str | None = None, include_rejected: bool = False) -> tuple[str, list]:
    """A WHERE clause and its parameters for the usual filters (all optional). Incidents an analyst
    rejected are left out unless `include_rejected`."""
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
    if not include_rejected:
        parts.append("i.review_status != 'rejected'")
    return " AND ".join(parts), params
