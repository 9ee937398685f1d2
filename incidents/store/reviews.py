"""Reviews in the store: analysts' decisions on incidents, their audit log (`reviews`), undo, and
carrying reviews over when an article is extracted again.

Reviews outlive re-extraction: saving an article carries every reviewed incident's state (its
location, type, date and review status: `REVIEWED_FIELDS`) over to the new incident that has the same
uid, else the same passage and place text, else is the one incident of its passage; a reviewed
incident the new extraction lacks is kept as it was while its passage is still in the article;
otherwise it is dropped and its reviews stay in the log ("orphaned"). Merges and splits of event
groups (actions "merge" and "split", one row per incident involved) live in the log, keyed by uid,
so they outlive re-ingest and reprocess as every review does (a carried incident's new uid is
written into the log).
"""

from __future__ import annotations

import json
import time

from incidents.groups import GROUPED_KINDS, Member, own_group
from incidents.store.incidents import LOCATION_COLUMNS, REVIEW_STATE
from incidents.store.part import Part

# what an analyst's review decides, and what re-extraction never changes silently afterwards
REVIEWED_FIELDS = (*LOCATION_COLUMNS, "location", "event_type", "sub_event_type", "date", "time_precision",
                   *REVIEW_STATE)
REVIEW_ACTIONS = ("accept", "reject", "set_location", "set_type", "set_date")
GROUP_ACTIONS = ("merge", "split")  # hand-made event groups (review_groups): constraints on regrouping


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Reviews(Part):
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
        at = _now()

        def write(con):
            before = self._reviewed_state(con, uid)
            new = {**changes, "review_status": status, "reviewed_by": by, "reviewed_at": at}
            rid = self._log(con, uid, action, json.dumps(value, ensure_ascii=False), before, by, at, note)
            self._set_incident(con, uid, new, before)
            return rid

        return self.log(uid, review_id=self.write(write))[0]

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
        at = _now()

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
            self.store.groups.regroup_around(con, uids)
            return ids

        return [self.log(review_id=rid)[0] for rid in self.write(write)]

    def undo(self, uid: str, by: str) -> dict:
        """Revert the last action on incident `uid` that is not undone yet (its row stays in the log,
        marked undone). Undoing a merge undoes it for both incidents (the other one's review state goes
        back too, unless it has been reviewed again since). Returns that review row."""
        at = _now()

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
                self.store.groups.regroup_around(con, touched)
            return last["id"]

        return self.log(uid, review_id=self.write(write))[0]

    def log(self, uid: str | None = None, review_id: int | None = None) -> list[dict]:
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
            self.store.groups.regroup_moved(con, uid, group)

    @staticmethod
    def carry(con, article, reviewed: list[dict]) -> tuple[int, int]:
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
