"""Event groups in the store: regrouping the neighbourhood of a change (the rule itself is
incidents.groups; this part reads its candidates and writes the groups).

Saving an article regroups, in the same transaction, only the neighbourhood it touches: the
incidents connected to its old and new incidents by the grouping rule's candidate relation (a date
window and a lat/lon box in SQL, the rule in Python). Analysts' merges and splits (actions "merge"
and "split" in the audit log) are constraints every regrouping respects: the decisions in force are
derived from the log (incidents.groups.overrides) and passed to `partition`; the neighbourhood of a
change follows merge links as well as the candidate relation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from incidents.groups import GROUPED_KINDS, Member, candidates, date_window, overrides, own_group, partition, search_box
from incidents.store.part import Part

MEMBER_COLUMNS = ("uid", "article_key", "date", "event_type", "place_id", "lat", "lon", "precision", "radius_km",
                  "source_kind", "external_id", "event_group")


class EventGroups(Part):
    @staticmethod
    def members(con, where: str, params: Iterable = ()) -> dict[str, Member]:
        """The incidents matching `where` (SQL on `incidents`, written by this package) as Members by uid."""
        sql = f"SELECT {', '.join(MEMBER_COLUMNS)} FROM incidents WHERE {where}"
        return {r["uid"]: Member.from_row(r) for r in con.execute(sql, tuple(params))}

    @staticmethod
    def _write_groups(con, groups: dict[str, str], current: dict[str, str | None]) -> None:
        con.executemany("UPDATE incidents SET event_group = ? WHERE uid = ?",
                        [(g, uid) for uid, g in groups.items() if current.get(uid) != g])

    def regroup_all(self, con) -> None:
        """Every incident grouped from scratch (a new schema or a new grouping rule)."""
        current = {r["uid"]: r["event_group"] for r in con.execute("SELECT uid, event_group FROM incidents")}
        links, alone = self.overrides(con)
        self._write_groups(con, partition(self.members(con, "1 = 1").values(), links, alone), current)

    @staticmethod
    def overrides(con) -> tuple[list[tuple[str, str]], set[str]]:
        """The analysts' merges and splits in force (incidents.groups.overrides), from the audit log."""
        rows = con.execute("SELECT action, uid, value FROM reviews WHERE action IN ('merge', 'split') "
                           "AND undone_at IS NULL ORDER BY id").fetchall()
        return overrides((r["action"], r["uid"], (json.loads(r["value"] or "null") or {}).get("with"))
                         for r in rows)

    def regroup(self, con, start: dict[str, Member], probes: list[Member]) -> None:
        """Regroup the neighbourhood of an article's incidents: `start` (just inserted, each in its own
        group) and `probes` (its deleted old ones, which only lead to their neighbours). Follows the
        candidate relation until closed, so each connected set is regrouped whole: the same answer as
        regrouping the whole store, at the cost of the neighbourhood only."""
        known = dict(start)
        current = {uid: own_group(m) for uid, m in start.items()}
        links, alone = self.overrides(con)
        linked: dict[str, set[str]] = {}
        for a, b in links:
            linked.setdefault(a, set()).add(b)
            linked.setdefault(b, set()).add(a)
        frontier = list(start.values()) + probes
        probed = set()  # incidents alike in all that `candidates` reads have the same candidates
        widest: dict = {}  # date window -> the widest radius stored in it (unchanged while regrouping)
        queried: dict = {}  # a search's parameters -> what it found (incidents that differ only in
        read: dict = {}  # what `candidates` reads, such as their type, search alike); uid -> (Member, group)
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
                for c, group in self._candidate_rows(con, f, widest, queried, read):
                    if c.uid not in known and candidates(f, c):
                        known[c.uid], current[c.uid] = c, group
                        found.append(c)
            frontier = found
        self._write_groups(con, partition(known.values(), links, alone), current)

    def regroup_around(self, con, uids: Iterable[str]) -> None:
        """Regroup the incidents `uids` and their current group mates (each set back to its own group
        first, then the neighbourhood regrouped as after an ingest)."""
        uids = list(uids)
        marks = ", ".join("?" * len(uids))
        self._regroup_from(con, f"uid IN ({marks}) OR event_group IN (SELECT event_group FROM incidents "
                                f"WHERE uid IN ({marks}))", (*uids, *uids))

    def regroup_moved(self, con, uid: str, group: str) -> None:
        """Regroup an incident that moved (in place or date) and its former group mates (`group`)."""
        self._regroup_from(con, "event_group = ? OR uid = ?", (group, uid))

    def _regroup_from(self, con, where: str, params: tuple) -> None:
        start = self.members(con, where, params)
        con.executemany("UPDATE incidents SET event_group = ? WHERE uid = ?",
                        [(own_group(m), m.uid) for m in start.values()])
        self.regroup(con, start, probes=[])

    def _candidate_rows(self, con, m: Member, widest: dict, queried: dict, read: dict) -> list:
        """Stored incidents that may be candidates of m, as (Member, stored event group): its date
        window, and its place or its box. For one regrouping (nothing is written before it ends),
        `widest` caches the widest radius per date window, `queried` what each search found and
        `read` each incident read, so that searches finding the same incident share it."""
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
        key = tuple(params)
        if key not in queried:
            found = []
            for r in con.execute(f"SELECT {', '.join(MEMBER_COLUMNS)} FROM incidents WHERE {where})", params):
                c = read.get(r["uid"])
                if c is None:
                    c = read[r["uid"]] = (Member.from_row(r), r["event_group"])
                found.append(c)
            queried[key] = found
        return queried[key]
