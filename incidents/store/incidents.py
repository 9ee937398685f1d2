"""Incident rows in the store: writing an article's incidents (each with its uid, its own event group
and the places it points at) and reading them back, selected by an IncidentFilter.

An incident's location is stored as columns (LOCATION_COLUMNS, for filters and indexes) plus the
whole Location as JSON (`location`, which keeps the tagger's probability); `place_doubted` (0/1) marks
a place the tagger doubts, kept off the map's default view until an analyst accepts it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from geodata.schema import Location
from incidents.groups import Member, own_group, unique_uid
from incidents.store.filters import IncidentFilter
from incidents.store.part import Part

INCIDENT_COLUMNS = ("article_key", "grp", "date", "time_precision", "event_type", "sub_event_type",
                    "actor1", "actor2", "actors", "fatalities", "place_id", "place_text", "name_ar",
                    "name_en", "feature", "lat", "lon", "admin1", "admin1_ar", "admin1_pcode", "admin2",
                    "admin2_ar", "precision", "confidence", "radius_km", "location", "passage",
                    "passage_start", "passage_end", "place_start", "place_end", "evidence",
                    "source_kind", "external_id", "uid", "event_group", "place_doubted")
# store column -> Location key: an incident's location as columns (plus the whole Location as JSON)
LOCATION_COLUMNS = {"place_id": "id", "place_text": "text", "name_ar": "name_ar", "name_en": "name_en",
                    "feature": "feature", "lat": "lat", "lon": "lon", "admin1": "admin1", "admin1_ar": "admin1_ar",
                    "admin1_pcode": "admin1_pcode", "admin2": "admin2", "admin2_ar": "admin2_ar",
                    "precision": "precision", "confidence": "confidence", "radius_km": "radius_km",
                    "place_doubted": "doubted"}
REVIEW_STATE = ("review_status", "reviewed_by", "reviewed_at")
STORED_COLUMNS = ("rowid", *INCIDENT_COLUMNS, *REVIEW_STATE)  # an incident row as stored (no derived columns)
_PUT_PLACE = ("INSERT INTO places (id, name_ar, name_en, feature, lat, lon, admin1, admin2) VALUES (?,?,?,?,?,?,?,?) "
              "ON CONFLICT (id) DO UPDATE SET name_ar = excluded.name_ar, name_en = excluded.name_en, "
              "feature = excluded.feature, lat = excluded.lat, lon = excluded.lon, admin1 = excluded.admin1, "
              "admin2 = excluded.admin2")
_SELECT_INCIDENTS = (
    "SELECT i.rowid, " + ", ".join("i." + c for c in INCIDENT_COLUMNS) + ", i.review_status, i.reviewed_by, "
    "i.reviewed_at, a.title AS article_title, a.date AS article_date, a.source AS article_source, "
    "a.url AS article_url, a.language AS article_language, "
    "(SELECT count(DISTINCT g.article_key) FROM incidents g WHERE g.event_group = i.event_group) AS event_sources "
    "FROM incidents i JOIN articles a ON a.key = i.article_key")


def location_columns(loc: dict) -> dict:
    """The incident columns of a Location dict (the LOCATION_COLUMNS and `location`, its JSON)."""
    out = {col: loc.get(key) for col, key in LOCATION_COLUMNS.items()}
    out["place_doubted"] = int(bool(out["place_doubted"]))  # 0/1 on both backends
    out["location"] = json.dumps(loc, ensure_ascii=False)
    return out


def incident_rows(article_key: str, incidents: list[dict]) -> tuple[list[tuple], dict, dict[str, Member]]:
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


class Incidents(Part):
    # ---- writing (inside an article's transaction) ----------------------------------------------------
    @staticmethod
    def insert(con, article_key: str, incidents: list[dict], bulk=None) -> dict[str, Member]:
        """Insert rows, each with its uid and its own event group; returns them as Members by uid.
        `bulk` (the backend): many rows at once (COPY on PostgreSQL)."""
        rows, places, members = incident_rows(article_key, incidents)
        if bulk is not None:
            bulk.bulk_insert(con, "incidents", INCIDENT_COLUMNS, rows)
        else:
            con.executemany(f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES "
                            f"({', '.join('?' * len(INCIDENT_COLUMNS))})", rows)
        Incidents.put_places(con, places)
        return members

    def insert_bulk(self, con, rows: list[tuple], places: dict) -> None:
        """Insert incident_rows' rows of many articles at once (COPY on PostgreSQL) and their places."""
        self.backend.bulk_insert(con, "incidents", INCIDENT_COLUMNS, rows)
        con.executemany(_PUT_PLACE, list(places.values()))

    @staticmethod
    def put_places(con, places: dict) -> None:
        if places:
            con.executemany(_PUT_PLACE, list(places.values()))

    @staticmethod
    def reviewed_of_article(con, article_key: str) -> list[dict]:
        """An article's incidents an analyst reviewed, as stored (STORED_COLUMNS), in stored order."""
        return [dict(r) for r in con.execute(f"SELECT {', '.join(STORED_COLUMNS)} FROM incidents WHERE "
                                             "article_key = ? AND review_status != 'auto' ORDER BY rowid",
                                             (article_key,))]

    @staticmethod
    def delete_of_article(con, article_key: str) -> None:
        con.execute("DELETE FROM incidents WHERE article_key=?", (article_key,))

    # ---- reading -------------------------------------------------------------------------------------
    def _select(self, where: str = "", params: Iterable = (), limit: int | None = None) -> Iterator[dict]:
        sql = _SELECT_INCIDENTS
        if where:
            sql += " WHERE " + where
        sql += " ORDER BY i.date NULLS FIRST, i.article_key, i.rowid"
        if limit:
            sql += f" LIMIT {int(limit)}"
        for row in self.con.execute(sql, tuple(params)):
            yield dict(row)

    def select(self, which: IncidentFilter | None = None, limit: int | None = None) -> Iterator[dict]:
        """Incident rows (every one when `which` is None) with their article's title/date/source/url/
        language and `event_sources` (how many distinct articles report the incident's event group).
        Ordered by date, then article, then the order of extraction: the same order however and in
        whatever order the articles were stored (ingest, a resumed ingest, reprocess, load)."""
        where, params = which.sql(self.backend) if which is not None else ("", [])
        return self._select(where, params, limit)

    def events(self, which: IncidentFilter | None = None) -> Iterator[tuple[str, list[dict]]]:
        """(group id, member incidents) for each event group with at least one incident `which` selects,
        with all its members, selected or not, in canonical order (date, uid); events ordered by their
        first date, then group id. Rejected incidents are left out unless `which` includes them."""
        where, params = which.sql(self.backend) if which is not None else ("", [])
        sub = f"i.event_group IN (SELECT i.event_group FROM incidents i JOIN articles a ON a.key = i.article_key " \
              f"WHERE {where})" if where else ""
        if which is None or not which.with_rejected:
            sub = " AND ".join(x for x in (sub, "i.review_status != 'rejected'") if x)
        groups: dict[str, list[dict]] = {}
        for row in self._select(sub, params):
            groups.setdefault(row["event_group"], []).append(row)
        for members in groups.values():
            members.sort(key=lambda r: (r["date"] or "", r["uid"]))
        for gid in sorted(groups, key=lambda g: (groups[g][0]["date"] or "", g)):
            yield gid, groups[gid]

    def one(self, uid: str) -> dict | None:
        """One incident row by its uid (as `select` gives it), or None."""
        return next(self._select("i.uid = ?", (uid,)), None)

    def counts(self) -> dict:
        """How many articles and incidents are stored."""
        c = self.con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM incidents)").fetchone()
        return {"articles": c[0], "incidents": c[1]}

    def review_counts(self) -> dict[str, int]:
        """{review status: how many incidents}."""
        return {k: v for k, v in self.con.execute("SELECT review_status, count(*) FROM incidents GROUP BY review_status")}
