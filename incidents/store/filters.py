"""Which incidents a caller wants, as a typed value (`IncidentFilter`); the store alone turns it into SQL.

Callers (the CLI's export and report, the review queue, the dashboard) say what they want in these
fields and never write SQL: `Store.incidents(IncidentFilter(admin1="Idlib", date_from="2015-01-01"))`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class IncidentFilter:
    """All fields optional; a filter with none selects every incident an analyst did not reject.
    Rejected incidents are left out unless `include_rejected` or `review_status` is "rejected";
    `hide_doubted` leaves out the incidents whose place the tagger doubts and no analyst accepted yet
    (the map's default view, exports and reports unless asked for them)."""
    date_from: str | None = None  # YYYY-MM-DD, inclusive
    date_to: str | None = None
    admin1: str | None = None  # governorate: English or Arabic name, or P-code
    admin2: str | None = None  # district: English or Arabic name
    event_type: str | None = None  # ACLED event type or sub-event type
    actor: str | None = None  # a part of an actor's name
    text: str | None = None  # a part of the passage
    max_precision: int | None = None
    source_kind: str | None = None  # "news", "acled"…
    exclude_source_kind: str | None = None
    review_status: str | None = None  # "auto", "reviewed", "rejected"
    include_rejected: bool = False
    hide_doubted: bool = False
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north
    region: str | None = None  # a WKT polygon in lon/lat
    uids: tuple[str, ...] | None = None
    rowids: tuple[int, ...] | None = None
    event_group: str | None = None

    @property
    def with_rejected(self) -> bool:
        """Whether rejected incidents are selected too."""
        return self.include_rejected or self.review_status == "rejected"

    def sql(self, backend) -> tuple[str, list]:
        """(WHERE clause on incidents `i`, its parameters) for this backend; box and region are answered
        in SQL (PostGIS: the GiST-indexed `geom`)."""
        like = lambda v: f"%{v}%" if v else v  # noqa: E731
        clauses = [  # (value, SQL with one ? per use of the value)
            (self.date_from, "i.date >= ?"), (self.date_to, "i.date <= ?"),
            (self.admin1, "(i.admin1 = ? OR i.admin1_ar = ? OR i.admin1_pcode = ?)"),
            (self.admin2, "(i.admin2 = ? OR i.admin2_ar = ?)"),
            (self.event_type, "(i.event_type = ? OR i.sub_event_type = ?)"),
            (like(self.actor), "i.actors LIKE ?"), (like(self.text), "i.passage LIKE ?"),
            (self.max_precision, "i.precision <= ?"), (self.source_kind, "i.source_kind = ?"),
            (self.exclude_source_kind, "i.source_kind != ?"), (self.event_group, "i.event_group = ?"),
            (self.review_status, "i.review_status = ?"),
        ]
        parts, params = [], []
        for value, sql in clauses:
            if value:
                parts.append(sql)
                params += [value] * sql.count("?")
        for column, values in (("uid", self.uids), ("rowid", self.rowids)):
            if values is not None:
                parts.append(f"i.{column} IN ({', '.join('?' * len(values))})" if values else "1 = 0")
                params += list(values)
        if not self.with_rejected:
            parts.append("i.review_status != 'rejected'")
        if self.hide_doubted:
            parts.append("(i.place_doubted = 0 OR i.review_status = 'reviewed')")
        if self.bbox is not None:
            west, south, east, north = self.bbox
            sql, more = backend.box_condition("i.", south, north, west, east)
            parts.append(sql)
            params += more
        if self.region:
            sql, more = backend.region_condition("i.", self.region)
            parts.append(sql)
            params += more
        return " AND ".join(parts), params
