"""Event groups: which incidents, from different articles, report the same real-world event.

Pure: incidents in (as `Member` records), a group id per incident out. The store decides which
incidents to pass (the neighbourhood of a changed article) and writes the answer.

Two incidents are *candidates* for one event when all three hold:
  * their dates are at most one day apart (a report published the next day says "yesterday");
  * they are near: the same gazetteer place, or, both placed at precision 1-2, no farther apart
    than the sum of their uncertainty radii (`radius_km` when set, else 2 km at precision 1 and
    5 km at precision 2); a governorate-level (precision 3) incident is near only the same place;
  * their event types are compatible: the same, or a pair in `data/event_compatibility.json`.
Groups are cut from the candidates greedily in a canonical order (date, then uid): the earliest
incident not yet grouped seeds a group, and every later ungrouped incident that is a candidate
*with the seed* joins it, unless the group already holds another place or another date from that
incident's own article (an article that lists five shelled villages reports five events).
Measuring against the seed, never against any member, keeps a week of daily shelling of one village
from chaining into one event; the canonical order makes the answer a function of the set of
incidents alone, never of the order they were ingested in. The group id is "EG-" + the seed's uid.

Incidents without a date or without coordinates are groups of their own, and so are imported rows
(ACLED: their own event id); only news-derived incidents are grouped.

Analysts' decisions win over the rule (`partition`'s `links` and `alone`, which the store derives from
its audit log, see `overrides`): an incident *split* off stays an event of its own (it takes no part in
the greedy cut, so its former group mates regroup without it), and two incidents *merged* put their
groups together (the union of every group a chain of merges connects). A merged group's id is
"EG-" + the uid of its first member in the canonical order, as for an automatic group, so the answer
is still a function of the set of incidents and the set of decisions.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from geodata.earth import km

DAY_WINDOW = 1  # days between two reports of one event, at most
DEFAULT_RADIUS_KM = {1: 2.0, 2: 5.0}  # uncertainty when the place has no radius of its own
GROUPED_KINDS = ("news",)
COMPATIBILITY_FILE = Path(__file__).parent / "data" / "event_compatibility.json"
GROUP_PREFIX = "EG-"
_KM_PER_DEGREE_LAT = 110.5  # the least a degree of latitude measures: boxes stay supersets


def _load_compatibility(path: Path = COMPATIBILITY_FILE) -> frozenset[frozenset[str]]:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return frozenset(frozenset(entry["types"]) for entry in data.get("compatible", []))


COMPATIBLE = _load_compatibility()


def rule_fingerprint() -> str:
    """Changes whenever the grouping rule does (the table or the constants): a store grouped under
    another fingerprint regroups everything before it groups incrementally again."""
    rule = [DAY_WINDOW, sorted(DEFAULT_RADIUS_KM.items()), list(GROUPED_KINDS),
            sorted(sorted(pair) for pair in COMPATIBLE)]
    return hashlib.sha256(json.dumps(rule).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Member:
    """What grouping needs to know of one stored incident."""

    uid: str
    article: str
    date: date | None
    event_type: str | None
    place_id: str | None
    lat: float | None
    lon: float | None
    precision: int | None
    radius_km: float | None
    source_kind: str = "news"
    external_id: str | None = None

    @classmethod
    def from_row(cls, row: Mapping) -> "Member":
        """From a stored incident row (the store's column names)."""
        try:
            day = date.fromisoformat(row["date"]) if row["date"] else None
        except ValueError:
            day = None
        return cls(uid=row["uid"], article=row["article_key"], date=day, event_type=row["event_type"],
                   place_id=row["place_id"], lat=row["lat"], lon=row["lon"], precision=row["precision"],
                   radius_km=row["radius_km"], source_kind=row["source_kind"] or "news",
                   external_id=row["external_id"])

    @property
    def groupable(self) -> bool:
        return (self.source_kind in GROUPED_KINDS and self.date is not None
                and self.lat is not None and self.lon is not None)


def incident_uid(row: Mapping, occurrence: int = 0) -> str:
    """A stable id for one incident: a hash of its article's key and what the incident is in that
    article (the passage text, the place's offset inside it, the sub-event type), so an edit
    elsewhere in the article does not change it; an imported row hashes its external id.
    `occurrence` tells apart identical incidents of one article (a sentence printed twice)."""
    if row.get("source_kind") not in (None, *GROUPED_KINDS) and row.get("external_id"):
        parts = [row.get("article_key"), row.get("source_kind"), row.get("external_id")]
    else:
        offset = (row["place_start"] - row["passage_start"]
                  if row.get("place_start") is not None and row.get("passage_start") is not None else None)
        parts = [row.get("article_key"), row.get("passage"), offset, row.get("sub_event_type")]
    if occurrence:
        parts.append(occurrence)
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def unique_uid(row: Mapping, used, last: dict | None = None) -> str:
    """The incident's uid, told apart from the ones in `used` (a repeated sentence, a repeated
    ACLED id) by its occurrence number. `last` (one dict per batch of rows) remembers the last
    occurrence given to each first uid, so a sentence repeated n times costs n hashes, not n²/2
    (the answer is the same: the occurrences before it are all taken)."""
    first = uid = incident_uid(row)
    n = 0
    if last is not None and first in last:
        n = last[first] + 1
        uid = incident_uid(row, n)
    while uid in used:
        n += 1
        uid = incident_uid(row, n)
    if last is not None:
        last[first] = n
    return uid


def own_group(m: Member) -> str:
    """The group of an incident alone: an imported row's own event id, else "EG-" + its uid."""
    if m.source_kind not in GROUPED_KINDS and m.external_id:
        return m.external_id
    return GROUP_PREFIX + m.uid


def radius(m: Member) -> float | None:
    """Uncertainty radius in km; None for governorate-level (or unknown-precision) places."""
    if m.precision is None or m.precision >= 3:
        return None
    if m.radius_km and m.radius_km > 0:
        return float(m.radius_km)
    return DEFAULT_RADIUS_KM[max(1, m.precision)]


def near(a: Member, b: Member) -> bool:
    if a.place_id and a.place_id == b.place_id:
        return True
    ra, rb = radius(a), radius(b)
    if ra is None or rb is None or a.lat is None or b.lat is None:
        return False
    return km(a, b) <= ra + rb


def compatible(a: str | None, b: str | None) -> bool:
    return a == b or frozenset((a, b)) in COMPATIBLE


def candidates(a: Member, b: Member) -> bool:
    """May a and b be one event? Symmetric; the store follows it to find a changed article's
    neighbourhood (everything connected to it), which it then regroups."""
    return (a.groupable and b.groupable and abs((a.date - b.date).days) <= DAY_WINDOW
            and compatible(a.event_type, b.event_type) and near(a, b))


def _fits(group: list[Member], m: Member) -> bool:
    """One article's incidents share a group only at the same place on the same date."""
    return all((g.place_id, g.lat, g.lon, g.date) == (m.place_id, m.lat, m.lon, m.date)
               for g in group if g.article == m.article)


def _canonical(m: Member) -> tuple:
    """Canonical order: dated incidents by (date, uid), then the undated ones by uid."""
    return (0, m.date.isoformat(), m.uid) if m.date is not None else (1, "", m.uid)


def overrides(actions: Iterable[tuple[str, str, str | None]]) -> tuple[list[tuple[str, str]], set[str]]:
    """The analysts' grouping decisions in force, from their actions in log order: (action, uid, other
    uid) with action "merge" (uid's and other's groups are one event) or "split" (uid is an event of its
    own). A later action on an incident supersedes an earlier one of the other kind: a split cancels
    the merges of that incident before it, a merge cancels its earlier split. Returns (links, alone)."""
    actions = list(actions)
    last_split: dict[str, int] = {}
    last_merge: dict[str, int] = {}
    for i, (action, uid, other) in enumerate(actions):
        if action == "split":
            last_split[uid] = i
        elif action == "merge":
            for u in (uid, other):
                last_merge[u] = i
    links = [(uid, other) for i, (action, uid, other) in enumerate(actions)
             if action == "merge" and all(last_split.get(u, -1) < i for u in (uid, other))]
    alone = {uid for uid, i in last_split.items() if last_merge.get(uid, -1) < i}
    return links, alone


def partition(members: Iterable[Member], links: Iterable[tuple[str, str]] = (),
              alone: Iterable[str] = ()) -> dict[str, str]:
    """{uid: group id} for the given incidents. The set passed must be closed under `candidates`
    and under `links` (whole connected neighbourhoods), or groups at its edge may differ from a full
    regrouping. `alone`: incidents split off by hand (their own events); `links`: pairs merged by hand
    (their groups become one; pairs naming an incident not passed are ignored)."""
    alone = set(alone)
    out: dict[str, str] = {}
    pool, by_uid = [], {}
    for m in members:
        by_uid[m.uid] = m
        if m.groupable and m.uid not in alone:
            pool.append(m)
        else:
            out[m.uid] = own_group(m)
    pool.sort(key=lambda m: (m.date, m.uid))
    for i, seed in enumerate(pool):
        if seed.uid in out:
            continue
        gid, group = own_group(seed), [seed]
        out[seed.uid] = gid
        for j in range(i + 1, len(pool)):
            m = pool[j]
            if (m.date - seed.date).days > DAY_WINDOW:
                break  # sorted by date: nothing later can join this seed
            if m.uid not in out and candidates(seed, m) and _fits(group, m):
                group.append(m)
                out[m.uid] = gid
    links = [(a, b) for a, b in links if a in by_uid and b in by_uid]
    return _merge_linked(out, by_uid, links) if links else out


def _merge_linked(out: dict[str, str], by_uid: dict[str, Member], links: list[tuple[str, str]]) -> dict[str, str]:
    """Unite the groups that hand-made merges connect; each union takes the group id of its first
    member in canonical order."""
    parent: dict[str, str] = {}

    def root(g: str) -> str:
        while g in parent:
            g = parent[g]
        return g

    for a, b in links:
        ra, rb = root(out[a]), root(out[b])
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    if not parent:
        return out
    first: dict[str, Member] = {}
    for uid, g in out.items():
        r, m = root(g), by_uid[uid]
        if r not in first or _canonical(m) < _canonical(first[r]):
            first[r] = m
    return {uid: own_group(first[root(g)]) for uid, g in out.items()}


@dataclass(frozen=True)
class SearchBox:
    """Where a store looks for an incident's candidates: a date window, its place, and (for precise
    places) a lat/lon box that holds every point within reach. A superset: `candidates` decides."""

    date_from: str
    date_to: str
    place_id: str | None
    box: tuple[float, float, float, float] | None  # lat_min, lat_max, lon_min, lon_max


def date_window(m: Member) -> tuple[str, str] | None:
    """The first and last ISO dates of m's candidates; None when m is grouped with nothing."""
    if not m.groupable:
        return None
    return tuple((m.date + timedelta(days=d)).isoformat() for d in (-DAY_WINDOW, DAY_WINDOW))


def search_box(m: Member, max_radius_km: float) -> SearchBox | None:
    """The box around `m` holding every candidate whose radius is at most `max_radius_km` (the
    largest radius among the incidents of m's date window)."""
    days = date_window(m)
    if days is None:
        return None
    r = radius(m)
    if r is None:
        return SearchBox(days[0], days[1], m.place_id, None)
    reach = r + max(max_radius_km, *DEFAULT_RADIUS_KM.values())
    dlat = reach / _KM_PER_DEGREE_LAT
    widest = min(89.0, abs(m.lat) + dlat)
    dlon = min(180.0, reach / (_KM_PER_DEGREE_LAT * math.cos(math.radians(widest))))
    return SearchBox(days[0], days[1], m.place_id, (m.lat - dlat, m.lat + dlat, m.lon - dlon, m.lon + dlon))
