"""Event groups: one real-world event reported by several articles (incidents.groups, the store's
incremental regrouping, `export --events`, the dashboard's one marker per event)."""

from __future__ import annotations

import csv
import io
import json
import random
import sqlite3
from datetime import date, timedelta
from itertools import permutations

import pandas as pd
import pytest

from incidents.articles import article_from_text
from incidents.groups import COMPATIBLE, Member, candidates, near, partition
from incidents.store import SCHEMA_VERSION, IncidentFilter, SchemaOutdated, Store
from incidents.store.migrations import SQLITE_V1 as SCHEMA_V1

# Two outlets, two languages, one shelling of Kansafrah on 21 September 2020.
AR_KANSAFRAH = ("قصف مدفعي على كنصفرة\n\n21 سبتمبر 2020\n\n"
                "قصفت قوات النظام بالمدفعية الثقيلة صباح اليوم قرية كنصفرة في جبل الزاوية جنوبي إدلب، "
                "من دون أنباء عن وقوع إصابات.\n")
EN_KANSAFRAH = ("Regime artillery hits Kansafrah\n\n21 September 2020\n\n"
                "Regime forces shelled the village of Kansafrah in Jabal al-Zawiya, in the southern Idlib "
                "countryside, this morning. No casualties were reported.\n")
# The next day, 3.9 km away (within 2 km + 2 km): a protest, which is no report of a shelling.
AR_PROTEST = ("وقفة احتجاجية في كفر عويد\n\n22 سبتمبر 2020\n\n"
              "نظم العشرات من أهالي بلدة كفر عويد في جبل الزاوية اليوم وقفة احتجاجية للمطالبة بوقف القصف.\n")
# Kansafrah shelled again three days later: another event.
EN_AGAIN = ("Shelling again on Kansafrah\n\n24 September 2020\n\n"
            "Regime forces shelled the village of Kansafrah in Jabal al-Zawiya today. No casualties were reported.\n")
EN_SARAQIB = ("Regime artillery hits Saraqib\n\n21 September 2020\n\n"
              "Regime forces shelled the town of Saraqib in the eastern Idlib countryside this morning. "
              "No casualties were reported.\n")

OUTLETS = {"ar": ("Enab Baladi", "https://example.org/enab/"), "en": ("Syria Direct", "https://example.org/sd/")}


def article(text: str, name: str, lang: str, day: str | None = None):
    source, url = OUTLETS[lang]
    meta = {"source": source, "url": url + name, "title": text.splitlines()[0]}
    if day:
        meta["date"] = day
    return article_from_text(text, path=f"{name}.txt", meta=meta)


def daily_shelling(day: date):
    return article(f"Kansafrah shelled\n\n{day.isoformat()}\n\nRegime forces shelled the village of Kansafrah "
                   f"in Jabal al-Zawiya today. No casualties were reported.\n", f"daily-{day}", "en",
                   day.isoformat())


def as_partition(groups: dict[str, str]) -> frozenset:
    """{uid: group id} as a set of sets of uids (the grouping, whatever the ids)."""
    by_group: dict[str, set] = {}
    for uid, gid in groups.items():
        by_group.setdefault(gid, set()).add(uid)
    return frozenset(frozenset(g) for g in by_group.values())


def partition_of(store: Store) -> frozenset:
    """The stored grouping."""
    return as_partition({r["uid"]: r["event_group"] for r in store.incidents()})


def regrouped_from_scratch(store: Store) -> frozenset:
    """What grouping every stored incident at once gives (the incremental updates must agree)."""
    return as_partition(partition(Member.from_row(r) for r in store.incidents()))


def groups_by_place_and_date(store: Store) -> dict:
    return {(r["name_en"], r["date"], r["article_source"]): r["event_group"] for r in store.incidents()}


# ---- the rule, on hand-made incidents (no gazetteer) -----------------------------------------------
def member(uid, article="a", day=date(2020, 9, 21), event_type="Explosions/Remote violence", place="p1",
           lat=35.0, lon=36.0, precision=1, radius_km=None, source_kind="news", external_id=None):
    return Member(uid, article, day, event_type, place, lat, lon, precision, radius_km, source_kind, external_id)


KM_LAT = 1 / 111.2  # degrees of latitude per km, near enough for these tests


def test_near_is_the_sum_of_uncertainty_radii():
    a = member("a", place="x")
    assert near(a, member("b", place="y", lat=35.0 + 3.9 * KM_LAT))  # 2 km + 2 km
    assert not near(a, member("b", place="y", lat=35.0 + 4.2 * KM_LAT))
    assert near(a, member("b", place="y", lat=35.0 + 6.8 * KM_LAT, precision=2))  # 2 km + 5 km
    assert near(a, member("b", place="y", lat=35.0 + 11 * KM_LAT, precision=2, radius_km=10))  # its own radius
    governorate = member("g", place="gov", lat=35.0 + 1 * KM_LAT, precision=3)
    assert not near(a, governorate)  # a governorate-level place joins only the same place
    assert near(governorate, member("h", place="gov", lat=36.0, precision=3))


def test_types_compatible_both_ways_from_the_data_file():
    assert frozenset(("Battles", "Explosions/Remote violence")) in COMPATIBLE
    shell = member("a", article="x")
    clash = member("b", article="y", event_type="Battles")
    protest = member("c", article="z", event_type="Protests")
    assert candidates(shell, clash) and candidates(clash, shell)
    assert not candidates(shell, protest) and not candidates(protest, clash)


def test_a_week_of_daily_shelling_is_not_one_event():
    week = [member(f"u{d}", article=f"art{d}", day=date(2020, 9, 21) + timedelta(days=d)) for d in range(7)]
    groups = partition(week)
    by_group: dict[str, list] = {}
    for m in week:
        by_group.setdefault(groups[m.uid], []).append(m.date.day)
    assert sorted(by_group.values()) == [[21, 22], [23, 24], [25, 26], [27]]
    assert groups["u0"] == "EG-u0"  # the seed's uid names the group
    assert partition(reversed(week)) == groups


def test_one_articles_villages_are_separate_events():
    a = member("a", article="list", place="x")
    b = member("b", article="list", place="y", lat=35.0 + 2 * KM_LAT)  # near, same article, other place
    c = member("c", article="other", place="y", lat=35.0 + 2 * KM_LAT)
    groups = partition([a, b, c])
    assert groups["a"] != groups["b"] and groups["a"] == groups["c"]


def test_undated_unplaced_and_imported_incidents_stand_alone():
    groups = partition([member("a"), member("b", article="b", day=None), member("c", article="c", lat=None, lon=None),
                        member("d", article="acled", source_kind="acled", external_id="SYR123")])
    assert groups == {"a": "EG-a", "b": "EG-b", "c": "EG-c", "d": "SYR123"}


# ---- the store, on articles read by the real geoparser ---------------------------------------------
@pytest.fixture(scope="module")
def extracted(geoparser):
    """Each test article with its incidents, extracted once."""
    from incidents.extract import extract

    arts = {"ar": article(AR_KANSAFRAH, "ar-kansafrah", "ar"), "en": article(EN_KANSAFRAH, "en-kansafrah", "en"),
            "protest": article(AR_PROTEST, "ar-protest", "ar"), "again": article(EN_AGAIN, "en-again", "en")}
    for d in range(7):
        day = date(2020, 10, 1) + timedelta(days=d)
        arts[f"daily{d}"] = daily_shelling(day)
    out = {k: (a, extract(a, geoparser)) for k, a in arts.items()}
    assert all(len(incs) == 1 for _a, incs in out.values()), {k: len(v[1]) for k, v in out.items()}
    return out


def store_of(location, extracted, keys) -> Store:
    store = Store(location)
    for k in keys:
        store.save_article(*extracted[k])
    return store


@pytest.mark.shared
def test_arabic_and_english_reports_are_one_event(db_url, extracted):
    store = store_of(db_url, extracted, ["ar", "en"])
    rows = list(store.incidents())
    assert [r["name_en"] for r in rows] == ["Kansafrah", "Kansafrah"]
    assert len({r["event_group"] for r in rows}) == 1
    assert [r["event_sources"] for r in rows] == [2, 2]
    assert rows[0]["event_group"] == "EG-" + min(r["uid"] for r in rows)  # the seed: same date, lowest uid
    assert len({r["uid"] for r in rows}) == 2


@pytest.mark.shared
def test_an_incompatible_event_nearby_the_next_day_is_another_event(db_url, extracted):
    store = store_of(db_url, extracted, ["ar", "en", "protest"])
    g = groups_by_place_and_date(store)
    assert g[("Kafr `Uwayd", "2020-09-22", "Enab Baladi")] != g[("Kansafrah", "2020-09-21", "Enab Baladi")]
    # only the type keeps it apart: the place is near and the day is within one
    by_type = sorted(store.incidents(), key=lambda r: r["event_type"] != "Protests")  # the protest first
    prot, shell = (Member.from_row(r) for r in by_type[:2])
    assert near(prot, shell) and abs((prot.date - shell.date).days) == 1


@pytest.mark.shared
def test_the_same_village_three_days_later_is_another_event(db_url, extracted):
    store = store_of(db_url, extracted, ["ar", "en", "again"])
    g = groups_by_place_and_date(store)
    assert g[("Kansafrah", "2020-09-24", "Syria Direct")] != g[("Kansafrah", "2020-09-21", "Syria Direct")]
    assert len(set(g.values())) == 2


@pytest.mark.shared
def test_grouping_does_not_depend_on_ingest_order(tmp_path, extracted):
    """Every order of four reports. SQLite only (its 25 stores take 6 to 12 s on PostgreSQL, a new database
    each): the shuffled weeks below check the incremental regrouping on both backends."""
    keys = ["ar", "en", "protest", "again"]
    reference = store_of(tmp_path / "ref.sqlite", extracted, keys)
    want_partition, want_ids = partition_of(reference), {r["uid"]: r["event_group"] for r in reference.incidents()}
    assert len(want_partition) == 3
    for n, order in enumerate(permutations(keys)):
        store = store_of(tmp_path / f"p{n}.sqlite", extracted, order)
        assert partition_of(store) == want_partition, order
        assert {r["uid"]: r["event_group"] for r in store.incidents()} == want_ids, order
        store.close()


@pytest.mark.shared
def test_a_week_of_daily_reports_groups_alike_in_any_order(new_db, extracted):
    """A week of daily reports of one village, in shuffled orders: the same groups as a full regrouping."""
    week = [f"daily{d}" for d in range(7)]
    rng = random.Random(7)
    for n in range(12):
        order = week[:] if n == 0 else rng.sample(week, len(week))
        store = store_of(new_db(), extracted, order)
        assert partition_of(store) == regrouped_from_scratch(store), order
        assert sorted(len(g) for g in partition_of(store)) == [1, 2, 2, 2], order  # never one chained week
        store.close()


@pytest.mark.shared
def test_reingesting_a_changed_article_regroups(new_db, extracted, geoparser):
    from incidents.extract import extract

    store = store_of(new_db(), extracted, ["ar", "en"])
    moved = article(EN_SARAQIB, "en-kansafrah", "en")  # the English article, corrected: it was Saraqib
    assert store.save_article(moved, extract(moved, geoparser)).status == "replaced"
    rows = {r["name_en"]: r for r in store.incidents()}
    assert rows["Kansafrah"]["event_group"] != rows["Saraqib"]["event_group"]
    assert rows["Kansafrah"]["event_sources"] == rows["Saraqib"]["event_sources"] == 1
    store.save_article(*extracted["en"])  # corrected back
    assert {r["event_sources"] for r in store.incidents()} == {2}
    # deleting a group's seed regroups what it held: days 1+2 were one event, 3 alone; without
    # day 1's report (moved elsewhere), days 2+3 are one event
    week = store_of(new_db(), extracted, ["daily0", "daily1", "daily2"])
    assert sorted(len(g) for g in partition_of(week)) == [1, 2]
    day0 = article(EN_SARAQIB.replace("21 September 2020", "1 October 2020"), "daily-2020-10-01", "en")
    week.save_article(day0, extract(day0, geoparser))
    g = groups_by_place_and_date(week)
    assert g[("Kansafrah", "2020-10-02", "Syria Direct")] == g[("Kansafrah", "2020-10-03", "Syria Direct")]
    assert partition_of(week) == regrouped_from_scratch(week)


def with_an_acled_row(store: Store) -> Store:
    store.save_rows("acled:x", {"title": "ACLED", "source": "ACLED", "origin": "acled"}, [{
        "external_id": "SYR999", "group": "SYR999", "date": "2020-09-21", "event_type": "Explosions/Remote violence",
        "sub_event_type": "Shelling/artillery/missile attack", "actors": [], "passage": "Kansafrah shelled.",
        "location": {"name_en": "Kansafrah", "lat": 35.65935, "lon": 36.48547, "precision": 1},
        "source_kind": "acled"}])
    return store


def stored_groups(location, readonly: bool = True) -> dict:
    """{uid: event group} as a new Store opened on `location` reads them."""
    with Store(location, readonly=readonly) as store:
        return {r["uid"]: r["event_group"] for r in store.incidents()}


def assert_a_new_rule_regroups(location, want: dict) -> None:
    """Another grouping rule (an edited event_compatibility.json): readers read the store as it is, the next
    writer regroups everything."""
    with Store(location) as store, store.transaction() as con:
        con.execute("UPDATE incidents SET event_group = uid")
        con.execute("UPDATE meta SET value = 'an older rule' WHERE key = 'group_rule'")
    assert stored_groups(location) != want  # read as it is
    Store(location).close()  # the next writer regroups
    assert stored_groups(location) == want


@pytest.mark.shared
def test_a_changed_grouping_rule_regroups_on_the_next_write(db_url, extracted):
    with with_an_acled_row(store_of(db_url, extracted, ["ar", "en", "again"])) as store:
        want = {r["uid"]: r["event_group"] for r in store.incidents()}
    assert len(want) == 4 and len(set(want.values())) == 3 and "SYR999" in want.values()
    assert stored_groups(db_url, readonly=False) == want  # opening again changes nothing
    assert_a_new_rule_regroups(db_url, want)


@pytest.mark.shared
def test_a_version_1_store_migrates(tmp_path, extracted):
    current = with_an_acled_row(store_of(tmp_path / "v2.sqlite", extracted, ["ar", "en", "again"]))
    want = {r["uid"]: r["event_group"] for r in current.incidents()}
    current.close()
    old = tmp_path / "v1.sqlite"
    assert "uid" not in SCHEMA_V1  # the schema as version 1 wrote it (later versions are migrations)
    con = sqlite3.connect(old)
    con.executescript(SCHEMA_V1)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("ATTACH ? AS v2", (str(tmp_path / "v2.sqlite"),))
    v1_articles = ", ".join(r[1] for r in con.execute("PRAGMA main.table_info(articles)"))
    con.execute(f"INSERT INTO articles ({v1_articles}) SELECT {v1_articles} FROM v2.articles")
    v1_columns = ", ".join(r[1] for r in con.execute("PRAGMA main.table_info(incidents)"))
    con.execute(f"INSERT INTO incidents ({v1_columns}) SELECT {v1_columns} FROM v2.incidents")
    con.commit()
    con.close()

    from incidents.cli import main

    for readonly in (True, False):  # every command refuses it, naming the command that upgrades it
        with pytest.raises(SchemaOutdated, match="incidentmap db upgrade"):
            Store(old, readonly=readonly)
    assert main(["export", "--db", str(old)]) == 2
    assert main(["db", "upgrade", "--db", str(old)]) == 0
    store = Store(old, readonly=True)
    assert store.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    assert {r["uid"]: r["event_group"] for r in store.incidents()} == want  # the same uids and groups
    assert want[next(r["uid"] for r in store.incidents() if r["source_kind"] == "acled")] == "SYR999"
    assert sorted(r["event_sources"] for r in store.incidents()) == [1, 1, 2, 2]
    indexes = {r[0] for r in store.con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"incidents_uid", "incidents_event_group", "incidents_date"} <= indexes
    store.close()
    assert stored_groups(old, readonly=False) == want  # opening again changes nothing
    assert_a_new_rule_regroups(old, want)


@pytest.mark.shared
def test_export_events_and_columns(tmp_path, db_url, extracted, real_gazetteer_path, capsys):
    from incidents.cli import main

    db = db_url
    store_of(db, extracted, ["ar", "en", "protest", "again"]).close()
    acled = tmp_path / "acled.csv"
    acled.write_text("event_id_cnty,event_date,year,event_type,sub_event_type,actor1,latitude,longitude,location,"
                     "notes,source,fatalities\nSYR999,2020-09-21,2020,Explosions/Remote violence,"
                     "Shelling/artillery/missile attack,Military Forces of Syria,35.65935,36.48547,Kansafrah,"
                     "Regime forces shelled Kansafrah.,SOHR,0\n", encoding="utf-8")
    assert main(["import-acled", str(acled), "--db", str(db), "--gazetteer", str(real_gazetteer_path)]) == 0
    capsys.readouterr()

    assert main(["export", "--db", str(db), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 5 and {"event_group", "event_sources"} <= set(rows[0])
    news = [r for r in rows if r["source_kind"] == "news"]
    store = Store(db, readonly=True)
    assert {r["event_id_cnty"] for r in news} == {r["uid"] for r in store.incidents(IncidentFilter(source_kind="news", include_rejected=True))}
    [imported] = [r for r in rows if r["source_kind"] == "acled"]
    assert imported["event_id_cnty"] == imported["event_group"] == "SYR999" and imported["event_sources"] == "1"
    shelled = [r for r in news if r["event_date"] == "2020-09-21"]
    assert len({r["event_group"] for r in shelled}) == 1 and {r["event_sources"] for r in shelled} == {"2"}

    assert main(["export", "--db", str(db), "--format", "csv", "--events"]) == 0
    out = capsys.readouterr()
    events = list(csv.DictReader(io.StringIO(out.out)))
    assert "4 event(s) exported" in out.err
    assert list(events[0]) == list(rows[0])  # the same layout
    [both] = [e for e in events if e["event_sources"] == "2"]
    assert both["event_id_cnty"] == both["event_group"] == shelled[0]["event_group"]
    assert both["source"] in ("Enab Baladi; Syria Direct", "Syria Direct; Enab Baladi")
    members = sorted(store.incidents(IncidentFilter(event_group=both["event_group"], include_rejected=True)), key=lambda r: (r["date"], r["uid"]))
    assert both["notes"] == members[0]["passage"]  # the group's first report (its seed)
    assert (both["location"], both["event_date"], both["geo_precision"]) == ("Kansafrah", "2020-09-21", "1")
    assert both["fatalities"] == "0"
    assert {e["event_id_cnty"] for e in events} == {both["event_id_cnty"], "SYR999"} | {
        r["event_group"] for r in news if r["event_date"] != "2020-09-21"}

    # filters pick events by any member; the event keeps all its sources
    assert main(["export", "--db", str(db), "--events", "--text", "Regime forces shelled the village of Kansafrah",
                 "--from", "2020-09-21", "--to", "2020-09-21"]) == 0
    [only] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert only["event_sources"] == "2" and "Enab Baladi" in only["source"]

    assert main(["export", "--db", str(db), "--format", "geojson", "--events"]) == 0
    gj = json.loads(capsys.readouterr().out)
    assert len(gj["features"]) == 4
    props = next(f["properties"] for f in gj["features"] if f["properties"]["event_sources"] == 2)
    assert props["event_id_cnty"] == both["event_id_cnty"] and "latitude" not in props


# ---- the dashboard: one marker per event ------------------------------------------------------------
def test_one_marker_per_event_with_its_sources():
    from dashboard.mapview import clicked_events, clicked_rows, marker_payload

    base = dict(event_type="Explosions/Remote violence", sub_event_type="Shelling/artillery/missile attack",
                name_ar="كنسفرة", place_text="كنصفرة", radius_km=0.0, admin1="Idlib", admin2="Ariha", actor_names=[])
    df = pd.DataFrame([
        dict(base, rowid=1, uid="b1", event_group="EG-a1", event_sources=2, date=pd.Timestamp("2020-09-21"),
             name_en="Kansafrah", lat=35.659, lon=36.485, precision=1, passage="Kansafrah shelled"),
        dict(base, rowid=2, uid="a1", event_group="EG-a1", event_sources=2, date=pd.Timestamp("2020-09-21"),
             name_en="Jabal al-Zawiya", lat=35.7, lon=36.5, precision=2, radius_km=12.0, passage="قصف"),
        dict(base, rowid=3, uid="c1", event_group="EG-c1", event_sources=1, date=pd.Timestamp("2020-09-24"),
             name_en="Kansafrah", lat=35.659, lon=36.485, precision=1, passage="again"),
    ])
    rows = marker_payload(df)["rows"]
    assert len(rows) == 1  # both events at Kansafrah's point; the vaguer report adds no marker of its own
    [r] = rows
    assert (r[2], r[8], r[9]) == (3, 2, 1)  # the newest event speaks: 2 events here, 1 source for it
    one = marker_payload(df[df["rowid"] != 3])["rows"]
    assert [(x[0], x[2], x[5], x[9]) for x in one] == [(35.659, 1, 1, 2)]  # the precise report places it
    here = clicked_rows(df[df["rowid"] != 3], None, "Kansafrah (كنسفرة) · 2020-09-21 · Shelling · 2 sources #1")
    [event] = clicked_events(df, here)
    assert event["rowid"].tolist() == [1, 2]  # the clicked report first, then every other source
