"""Analysts' review of incidents: what needs attention first, and the actions (accept, reject, set the
location, type or date, merge two event groups, split an incident off its group, add its place name
as an alias of a gazetteer place, undo), each recorded in the store's audit log with who, when, the previous
values and a note.

Used by `incidentmap review …` and the dashboard's Review page. The SQL is the store's
(`Store.review`, `Store.undo_review`); this module decides what an action changes. A review outlives
re-ingest and `reprocess` (see incidents/store.py).
"""

from __future__ import annotations

import getpass
import json
import os
from datetime import date

from geodata.earth import LatLon, km
from geodata.place import DUPLICATE_KM
from geodata.schema import NOT_IN_GAZETTEER, WRONG_CONTEXT, Location, decode_location
from incidents.store import IncidentFilter, Store, location_columns

# the queues: "pending" (Needs review) = review_status "auto" with at least one reason to look at it;
# "auto" = review_status "auto" and nothing to check; then the analysts' "reviewed" and "rejected"
STATUSES = ("pending", "auto", "reviewed", "rejected")
SAME_PLACE_KM = DUPLICATE_KM  # two gazetteer entries of one name this close are one place (as the build merges them)
ADMIN_KINDS = ("governorate", "district", "subdistrict")
LOW_CONFIDENCE = 0.5
CLOSE_SCORE = 0.1  # a runner-up this close to the chosen place's score makes the choice doubtful


def default_reviewer() -> str:
    """Who acts when --by is not given: $USER (else the login name)."""
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


# ---- what needs attention ---------------------------------------------------------------------------
def _location(row: dict) -> dict:
    return decode_location(row.get("location")) or {}


# Why an incident needs an analyst: a code with its parameters ({"code": "coarse_precision",
# "precision": 3}); each interface words it from its catalogue (the dashboard: `review.reason_<code>`
# in dashboard/locales/), the CLI in English with REASON_WORDS. A geoparser reason with no code of its
# own is {"code": "location", "text": …}, shown as the geoparser wrote it.
REASON_WORDS = {"not_in_gazetteer": "not in gazetteer", "wrong_context": "wrong context",
                "low_confidence": "low confidence ({value})", "coarse_precision": "coarse precision ({value})",
                "close_alternative": "close alternative: {value}", "doubted_place": "may not be a place ({value})"}


def reason_value(reason: dict) -> str | None:
    """A reason's parameter as the words show it (a confidence with two decimals), or None."""
    code = reason["code"]
    if code == "low_confidence":
        return f"{reason['confidence']:.2f}"
    if code == "doubted_place":
        return f"{reason['probability']:.2f}" if reason.get("probability") is not None else "?"
    if code == "coarse_precision":
        return str(reason["precision"])
    if code == "close_alternative":
        return str(reason["name"])
    return reason.get("text")


def reason_words(reason: dict) -> str:
    """A reason in English, as `review list` prints it."""
    words = REASON_WORDS.get(reason["code"])
    return words.format(value=reason_value(reason)) if words else reason_value(reason) or reason["code"]


def attention(row: dict) -> tuple[int, list[dict]]:
    """(how much an incident needs an analyst, the reasons as codes with parameters), from its stored
    row: a name no gazetteer holds, the wrong-context guard, words the tagger doubts are a place
    here (kept off the map's default view until accepted), low confidence, a coarse place, runners-up
    close in score."""
    loc = _location(row)
    reasons, score = [], 0
    if row.get("place_doubted") or loc.get("doubted"):
        reasons.append({"code": "doubted_place", "probability": loc.get("probability")})
        score += 7
    if loc.get("reason") == NOT_IN_GAZETTEER:
        reasons.append({"code": "not_in_gazetteer"})
        score += 8
    elif loc.get("reason"):
        reasons.append({"code": "wrong_context"} if loc["reason"] == WRONG_CONTEXT else
                       {"code": "location", "text": loc["reason"]})
        score += 6
    confidence = row.get("confidence")
    if confidence is not None and confidence < LOW_CONFIDENCE:
        reasons.append({"code": "low_confidence", "confidence": confidence})
        score += 4
    if row.get("precision") is None or row["precision"] >= 2:
        reasons.append({"code": "coarse_precision", "precision": row.get("precision")})
        score += 2
    alts = [a for a in loc.get("alternatives") or [] if not same_place(loc, a)]
    if alts and confidence is not None and alts[0].get("score") is not None \
            and confidence - alts[0]["score"] <= CLOSE_SCORE:
        reasons.append({"code": "close_alternative", "name": alts[0].get("name_en") or alts[0].get("name_ar")})
        score += 2
    return score, reasons


_CENTRE = ("مركز ", "Markaz ")  # OCHA's name of the subdistrict around a district's seat: "X centre"


def _name_keys(p: dict) -> set[str]:
    """The exact keys of a place's names; a central subdistrict ("مركز القرداحة") keyed as its town."""
    from geodata.normalize import name_keys

    def town(name: str) -> str:
        for c in _CENTRE:
            if name.startswith(c) and name[len(c):].strip():
                return name[len(c):]
        return name

    return {k for n in (p.get("name_ar"), p.get("name_en")) if n and (k := name_keys(town(n.strip()))[0])}


def _is_admin(p: dict) -> bool:
    """An administrative unit: by its kind, else (runners-up stored before they carried it) by its
    source, Open-Syria's units (`osy:`)."""
    kind = p.get("feature") or p.get("kind")
    return kind in ADMIN_KINDS if kind else str(p.get("id") or "").startswith("osy:")


def same_place(chosen: dict, alt: dict) -> bool:
    """Is a runner-up the chosen place under another entry: the same id, a duplicate entry of the
    same name within SAME_PLACE_KM, or the administrative unit named after the chosen town (or the
    town a chosen unit is named after) in the same governorate? Such a runner-up is no doubt."""
    if alt.get("id") and alt.get("id") == chosen.get("id"):
        return True
    if not _name_keys(chosen) & _name_keys(alt):
        return False
    if None not in (chosen.get("lat"), chosen.get("lon"), alt.get("lat"), alt.get("lon")) and \
            km(LatLon(chosen["lat"], chosen["lon"]), LatLon(alt["lat"], alt["lon"])) <= SAME_PLACE_KM:
        return True
    return (_is_admin(alt) != _is_admin(chosen)) and bool(alt.get("admin1")) and alt.get("admin1") == chosen.get("admin1")


def queue(store: Store, status: str = "pending", include_acled: bool = False) -> list[dict]:
    """The incidents of one review status, each with `attention` and `reasons`; pending ones most in
    need first (then lowest confidence, then date), reviewed and rejected ones newest review first."""
    if status not in STATUSES:
        raise ValueError(f"--status {status}: one of {', '.join(STATUSES)}")
    rows = list(store.incidents(IncidentFilter(review_status="auto" if status == "pending" else status,
                                               exclude_source_kind=None if include_acled else "acled",
                                               include_rejected=True)))
    for r in rows:
        r["attention"], r["reasons"] = attention(r)
    if status in ("pending", "auto"):  # Needs review: at least one reason; the others have nothing to check
        rows = [r for r in rows if bool(r["reasons"]) == (status == "pending")]
    if status in ("pending", "auto"):
        rows.sort(key=lambda r: (-r["attention"], r["confidence"] if r["confidence"] is not None else 0,
                                 r["date"] or "", r["uid"]))
    else:
        rows.sort(key=lambda r: (r["reviewed_at"] or "", r["uid"]), reverse=True)
    return rows


def queue_counts(store: Store) -> dict[str, int]:
    """{status: how many incidents `queue(store, status)` lists} for every queue in STATUSES."""
    counts = {s: 0 for s in STATUSES}
    for r in store.incidents(IncidentFilter(exclude_source_kind="acled", include_rejected=True)):
        status = r["review_status"]
        if status == "auto":
            status = "pending" if attention(r)[1] else "auto"
        counts[status] = counts.get(status, 0) + 1
    return counts


def candidates(row: dict) -> list[dict]:
    """The places the geoparser weighed for an incident: the chosen one first, then the runners-up
    (id, name_en, name_ar, admin1, lat, lon, score)."""
    loc = _location(row)
    chosen = [{"id": loc.get("id"), "name_en": loc.get("name_en"), "name_ar": loc.get("name_ar"),
               "admin1": loc.get("admin1"), "lat": loc.get("lat"), "lon": loc.get("lon"),
               "score": loc.get("confidence"), "chosen": True}] if loc.get("lat") is not None else []
    return chosen + [dict(a, chosen=False) for a in loc.get("alternatives") or []]


# ---- actions ----------------------------------------------------------------------------------------
def accept(store: Store, uid: str, by: str | None = None, note: str = "") -> dict:
    """The incident is right as it is (its place, type and date will not change silently)."""
    return store.review(uid, "accept", {}, None, by or default_reviewer(), note)


def reject(store: Store, uid: str, by: str | None = None, note: str = "") -> dict:
    """Not an incident: left off the map and the exports (unless asked for)."""
    return store.review(uid, "reject", {}, None, by or default_reviewer(), note, status="rejected")


def _precision(kind: str, radius_km: float) -> int:
    if kind in ("governorate", "country"):
        return 3
    return 2 if kind in ("area", "district", "subdistrict") or radius_km else 1


def set_location(store: Store, uid: str, place=None, lat: float | None = None, lon: float | None = None,
                 gazetteer=None, by: str | None = None, note: str = "") -> dict:
    """Place the incident at a gazetteer `place` (a geodata Place), or at a point (lat, lon; its
    governorate and district from `gazetteer`'s polygons when one is given)."""
    by = by or default_reviewer()
    old = _location(store.incident(uid) or {"location": None})
    keep = {"text": old.get("text"), "start": old.get("start"), "end": old.get("end"), "confidence": 1.0,
            "alternatives": old.get("alternatives") or []}
    if place is not None:
        loc = Location.from_place(place, precision=_precision(place.kind, place.radius_km),
                                  evidence=[f"placed by {by}: {place.label} ({place.id})"], **keep)
        value = {"place_id": place.id}
    elif lat is not None and lon is not None:
        admin = {}
        if gazetteer is not None and gazetteer.has_admin_polygons():
            gov, dist = gazetteer.admin_at(lat, lon)
            if gov is not None:
                admin.update(admin1=gov.name_en, admin1_ar=gov.name_ar, admin1_pcode=gov.pcode)
            if dist is not None:
                admin.update(admin2=dist.name_en, admin2_ar=dist.name_ar)
        loc = Location(lat=lat, lon=lon, feature="point", country="SY", precision=1,
                       evidence=[f"placed by {by} at {lat:.5f}, {lon:.5f}"], **admin, **keep)
        value = {"lat": lat, "lon": lon}
    else:
        raise ValueError("set-location needs --place PLACE_ID or both --lat and --lon")
    changes = location_columns(loc.to_dict())
    changes["place_text"] = old.get("text")  # the words in the passage stay what they were
    return store.review(uid, "set_location", changes, value, by, note)


def set_type(store: Store, uid: str, event_type: str, sub_event_type: str = "", by: str | None = None,
             note: str = "") -> dict:
    value = {"event_type": event_type, "sub_event_type": sub_event_type or None}
    return store.review(uid, "set_type", value, value, by or default_reviewer(), note)


def set_date(store: Store, uid: str, day: str, time_precision: int = 1, by: str | None = None,
             note: str = "") -> dict:
    try:
        iso = date.fromisoformat(day).isoformat()
    except ValueError as exc:
        raise ValueError(f"date {day!r}: write it as YYYY-MM-DD") from exc
    value = {"date": iso, "time_precision": time_precision}
    return store.review(uid, "set_date", value, value, by or default_reviewer(), note)


def merge_groups(store: Store, uid_a: str, uid_b: str, by: str | None = None, note: str = "") -> dict:
    """The event groups of the two incidents become one event, whatever the automatic grouping says
    (now and after every later ingest, re-ingest or reprocess, until undone or split). Returns the
    log row of `uid_a` (its `value` names the other incident)."""
    return store.review_groups("merge", [uid_a, uid_b], by or default_reviewer(), note)[0]


def split_incident(store: Store, uid: str, by: str | None = None, note: str = "") -> dict:
    """The incident leaves its event group and is an event of its own from now on (its former group
    mates regroup without it); a later merge of it cancels this."""
    return store.review_groups("split", [uid], by or default_reviewer(), note)[0]


def add_alias_and_place(store: Store, uid: str, place_id: str, by: str | None = None, name: str | None = None,
                        gazetteer=None, note: str = "") -> dict:
    """The incident's place text (the words in its passage) becomes an alias of gazetteer place
    `place_id` in the overlay (so every later article, and `reprocess --only-new-names`, finds the place
    by it), and the incident is placed there. The place text is taken only when the geoparser found it
    in no gazetteer (reason "not in gazetteer"); otherwise (a village it never recognised, so the
    incident fell back to the governorate) give the words as `name`. `gazetteer`: a loaded geodata
    Gazetteer (default: the default index). Returns the set_location log row, with `alias_id` (None
    when the name was already an alias of that place). Undo reverts the location; the alias stays
    (`incidentmap places remove ALIAS_ID`)."""
    from geodata import overlay
    from geodata.gazetteer import Gazetteer

    by = by or default_reviewer()
    row = store.incident(uid)
    if row is None:
        raise ValueError(f"{uid}: no such incident; the ids are `event_id_cnty` in `incidentmap export`")
    loc = _location(row)
    if not name:
        if loc.get("reason") != NOT_IN_GAZETTEER:
            raise ValueError(f"{uid}: its place text {row.get('place_text')!r} is a gazetteer name already "
                             f"({row.get('name_en') or row.get('name_ar')}); say which words to add as the alias")
        name = row.get("place_text") or loc.get("text")
    name = (name or "").strip()
    if not name:
        raise ValueError(f"{uid}: the incident names no place in its passage; use set-location instead")
    if name not in (row.get("passage") or ""):
        raise ValueError(f"{uid}: {name!r} is not in the incident's passage")
    gaz = gazetteer if gazetteer is not None else Gazetteer.load()
    place = gaz.get(place_id)
    if place is None:
        raise ValueError(f"{place_id}: no such place in the gazetteer or overlay; find ids with "
                         "`incidentmap places list`")
    try:
        alias_id = overlay.add_alias(place_id, name, added_by=by, note=note or f"from incident {uid}").id
    except overlay.OverlayError as exc:
        if "already an alias" not in str(exc):
            raise
        alias_id = None
    done = set_location(store, uid, place=place, gazetteer=gaz, by=by,
                        note=note or f"{name!r} added as an alias of {place_id}")
    return dict(done, alias_id=alias_id)


def undo(store: Store, uid: str, by: str | None = None) -> dict:
    """Revert the last action on the incident (the log keeps it, marked undone)."""
    return store.undo_review(uid, by or default_reviewer())


# ---- re-extraction ----------------------------------------------------------------------------------
OVERLAY_NAMES_META = "reprocess_overlay_names"  # the overlay's names at the last reprocess (a JSON list)


def overlay_names(path=None) -> set[str]:
    """Every name the overlay file gives (its places' names and aliases, its alias rows), folded."""
    from geodata import overlay
    from geodata.normalize import fold_text

    return {f for p in overlay.read(path) for n in p.names() if (f := fold_text(n))}


def mentions(text: str, names: set[str]) -> bool:
    """Does the (folded) text contain one of the folded `names`?"""
    from geodata.normalize import fold_text

    folded = fold_text(text or "")
    return any(n in folded for n in names)


def reprocess(store: Store, geoparser, progress=None, only_new_names: bool = False) -> dict:
    """Re-extract every stored article with `geoparser` (the current gazetteer and overlay) and save it
    again, the reviews carried over by the store (a reviewed incident keeps its location, type, date
    and status). `only_new_names`: only the articles whose text contains a name the overlay gained
    since the last reprocess (every overlay name when no reprocess recorded them yet). Either way the
    overlay's names are recorded in the store's meta afterwards (unless an article failed). Returns counts: articles, incidents,
    reviews_kept, reviews_orphaned, skipped (articles not re-read), new_names, errors."""
    from incidents.articles import Article
    from incidents.extract import extract

    names = overlay_names()
    seen = set(json.loads(store.meta(OVERLAY_NAMES_META) or "[]"))
    new = names - seen
    out = {"articles": 0, "incidents": 0, "reviews_kept": 0, "reviews_orphaned": 0, "skipped": 0,
           "new_names": sorted(new) if only_new_names else [], "errors": []}
    for row in store.articles.news():
        if only_new_names and not mentions(row["text"], new):
            out["skipped"] += 1
            continue
        art = Article.from_stored(row)  # exactly what ingest read: a table row stays body, its date its date
        if art.key != row["key"]:
            out["errors"].append(f"{row['key']}: the stored text no longer gives the same article key; re-ingest it")
            continue
        try:
            res = store.save_article(art, extract(art, geoparser), origin=row["origin"] or "news", force=True)
        except Exception as exc:  # one bad article never stops the batch
            out["errors"].append(f"{row['key']}: {exc.__class__.__name__}: {exc}")
            continue
        out["articles"] += 1
        out["incidents"] += res.incidents
        out["reviews_kept"] += res.reviews_kept
        out["reviews_orphaned"] += res.reviews_orphaned
        if progress:
            progress(1)
    if not out["errors"]:  # an article that failed is picked up by the next --only-new-names too
        store.set_meta(OVERLAY_NAMES_META, json.dumps(sorted(names), ensure_ascii=False))
    return out
