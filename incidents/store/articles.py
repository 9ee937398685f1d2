"""Articles in the store, and saving an article with its incidents in one transaction.

Each article is written in one transaction (retried on a backend's transient conflicts): re-ingesting
the same text changes nothing; a changed text replaces that article's incidents only, carries their
reviews over (incidents.store.reviews) and regroups the events around them
(incidents.store.eventgroups).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from incidents.store.incidents import incident_rows
from incidents.store.part import Part

ARTICLE_COLUMNS = ("key", "id", "title", "date", "source", "url", "language", "path", "text", "origin",
                   "ingested_at", "warnings", "body_start")


@dataclass
class SaveResult:
    status: str  # "new", "unchanged", "replaced"
    incidents: int
    reviews_kept: int = 0  # reviewed incidents carried over to the new extraction (or kept as they were)
    reviews_orphaned: int = 0  # reviewed incidents whose passage is gone from the article


def _article_row(article, origin: str) -> tuple:
    """An Article as a row of `articles` (ARTICLE_COLUMNS)."""
    return (article.key, article.id, article.title, article.date.isoformat() if article.date else None,
            article.source, article.url, article.language, article.path, article.text, origin, time.time(),
            json.dumps(article.warnings, ensure_ascii=False), article.body_start)


class Articles(Part):
    # ---- writing ---------------------------------------------------------------------------------
    def save(self, article, incidents: list, origin: str = "news", force: bool = False) -> SaveResult:
        """Store one article with its incidents atomically, carry its reviews over and regroup the
        events around them. An unchanged text is skipped unless `force` (reprocess: the same text, a
        new gazetteer)."""
        store = self.store
        old = self.con.execute("SELECT id FROM articles WHERE key=?", (article.key,)).fetchone()
        if old and old[0] == article.id and not force:  # the common case on a re-run, without the write lock
            return SaveResult("unchanged", 0)

        def write(con):
            old = con.execute("SELECT id FROM articles WHERE key=?", (article.key,)).fetchone()
            if old and old[0] == article.id and not force:  # another writer stored it meanwhile
                return SaveResult("unchanged", 0)
            gone, reviewed = {}, []  # a new article has no incidents yet (they reference it)
            if old:
                gone = store.groups.members(con, "article_key = ?", (article.key,))
                reviewed = store.incident_rows.reviewed_of_article(con, article.key)
                store.incident_rows.delete_of_article(con, article.key)
            self._put(con, _article_row(article, origin))
            new = store.incident_rows.insert(con, article.key, [i.to_dict() for i in incidents])
            kept, orphaned = store.review_log.carry(con, article, reviewed)
            if reviewed:
                new = store.groups.members(con, "article_key = ?", (article.key,))
            store.groups.regroup(con, new, probes=list(gone.values()))
            status = "unchanged" if old and old[0] == article.id else "replaced" if old else "new"
            return SaveResult(status if not force or status != "unchanged" else "reprocessed", len(incidents),
                              kept, orphaned)

        return self.write(write)

    @staticmethod
    def _put(con, values: tuple) -> None:
        con.execute(f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}) VALUES ({', '.join('?' * len(ARTICLE_COLUMNS))}) "
                    f"ON CONFLICT (key) DO UPDATE SET {', '.join(c + ' = excluded.' + c for c in ARTICLE_COLUMNS[1:])}",
                    values)

    def save_rows(self, article_key: str, article_row: dict, rows: list[dict]) -> None:
        """Store pre-built incident rows (imports such as ACLED) under one pseudo-article. Fast: each
        row is its own event group (ACLED's event id); imported rows are never grouped with news."""
        def write(con):
            self.store.incident_rows.delete_of_article(con, article_key)
            self._put(con, (
                article_key, article_row.get("id", article_key), article_row.get("title", ""), None,
                article_row.get("source", ""), "", "", article_row.get("path", ""), "", article_row.get("origin", ""),
                time.time(), "[]", 0))
            self.store.incident_rows.insert(con, article_key, rows, bulk=self.backend)

        self.write(write)

    def load(self, items: list[tuple], origin: str = "news") -> list[SaveResult]:
        """Store many extracted articles at once: [(Article, incidents)] → a SaveResult each, in order.
        Articles new to the store are written in one transaction in bulk (COPY on PostgreSQL) and
        their events regrouped together; an unchanged article is skipped; a changed one goes through
        `save` (its reviews carried over). The same store as saving them one by one."""
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
                r, p, m = incident_rows(a.key, [i.to_dict() for i in incs])
                rows += r
                places.update(p)
                members.update(m)
            self.store.incident_rows.insert_bulk(con, rows, places)
            self.store.groups.regroup(con, members, probes=[])
            return known

        known = self.write(write) if latest else {}
        out = {}
        for a, incs in latest.values():
            if a.key not in known:
                out[a.key] = SaveResult("new", len(incs))
            elif known[a.key] == a.id:
                out[a.key] = SaveResult("unchanged", 0)
            else:
                out[a.key] = self.save(a, incs, origin=origin)
        return [out[a.key] if latest[a.key][0] is a else SaveResult("unchanged", 0) for a, _ in items]

    # ---- reading ---------------------------------------------------------------------------------
    def stored_id(self, key: str) -> str | None:
        """The content hash (Article.id) of the article stored under `key`, or None when there is none."""
        row = self.con.execute("SELECT id FROM articles WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def news(self) -> list[dict]:
        """Every stored article that incidents are extracted from (not ACLED imports), by key; each row
        rebuilds the Article exactly as it was read (incidents.articles.Article.from_stored)."""
        return [dict(r) for r in self.con.execute("SELECT * FROM articles WHERE coalesce(origin, '') != 'acled' "
                                                  "ORDER BY key")]

    def key_with_id(self, article_id: str) -> str | None:
        """The key of a stored article with this content hash (Article.id), or None."""
        row = self.con.execute("SELECT key FROM articles WHERE id = ? LIMIT 1", (article_id,)).fetchone()
        return row[0] if row else None

    def text(self, key: str) -> str | None:
        """A stored article's text, or None."""
        row = self.con.execute("SELECT text FROM articles WHERE key=?", (key,)).fetchone()
        return row[0] if row else None
