"""The followed sources' state (`feeds`) and the URLs fetched (`fetched`): the store's part that
incidents.feeds reads and writes, as `store.feeds`."""

from __future__ import annotations

import time

from incidents.store.part import Part

FEED_COLUMNS = ("label", "kind", "etag", "modified", "last_item", "last_item_at", "last_checked", "last_success",
                "last_error", "last_error_at", "checks", "failures", "items_seen", "articles_new", "last_new")
FETCHED_COLUMNS = ("canonical", "content_hash", "article_key", "feed_url", "entry_updated", "etag", "modified",
                   "author", "status", "error", "fetched_at")


class Feeds(Part):
    def state(self, url: str) -> dict | None:
        """A followed source's state (FEED_COLUMNS), or None."""
        row = self.con.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return dict(row) if row else None

    def states(self) -> list[dict]:
        """Every followed source's state, the most recently checked first."""
        return [dict(r) for r in self.con.execute("SELECT * FROM feeds ORDER BY last_checked DESC NULLS LAST, url")]

    def save_state(self, url: str, **fields) -> None:
        """Set some of a source's FEED_COLUMNS (the row is created when new); one transaction."""
        bad = set(fields) - set(FEED_COLUMNS)
        if bad:
            raise ValueError(f"no feed state column(s) {', '.join(sorted(bad))}")

        def write(con):
            con.execute("INSERT INTO feeds (url) VALUES (?) ON CONFLICT (url) DO NOTHING", (url,))
            if fields:
                con.execute(f"UPDATE feeds SET {', '.join(c + ' = ?' for c in fields)} WHERE url = ?",
                            (*fields.values(), url))

        self.write(write)

    def fetched(self, url: str) -> dict | None:
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
        self.write(lambda con: con.execute(sql, (url, *fields.values())))
