"""The store's two backends: SQL box/region filters, schema versions, concurrent writers, credentials.

Tests taking `db_url` run on SQLite and on PostgreSQL/PostGIS (a throwaway cluster: tests/pgcluster.py).
"""

from __future__ import annotations

import csv
import subprocess
import sys

import pytest

from incidents.cli import main
from incidents.store import SCHEMA_VERSION, IncidentFilter, SchemaOutdated, Store

from conftest import SHARED, need

# three imported incidents at known points: Idlib city, Aleppo, Deir ez-Zor
POINTS = {"IDL1": (35.93, 36.63), "ALP1": (36.20, 37.16), "DEZ1": (35.33, 40.14)}


def _rows():
    return [{"external_id": eid, "group": eid, "date": "2020-09-21", "event_type": "Explosions/Remote violence",
             "sub_event_type": "Shelling/artillery/missile attack", "actors": [], "passage": f"{eid} shelled.",
             "location": {"name_en": eid, "lat": lat, "lon": lon, "precision": 1}, "source_kind": "acled"}
            for eid, (lat, lon) in POINTS.items()]


def _stored(db) -> Store:
    store = Store(db)
    store.save_rows("acled:test", {"title": "ACLED", "source": "ACLED", "origin": "acled"}, _rows())
    return store


def test_box_and_region_filters_are_answered_in_sql(db_url, tmp_path, capsys):
    store = _stored(db_url)
    ids = lambda **f: {r["external_id"] for r in store.incidents(IncidentFilter(**f))}  # noqa: E731
    assert ids(bbox=(36.0, 35.0, 38.0, 37.0)) == {"IDL1", "ALP1"}
    assert ids(bbox=(39.0, 34.0, 41.0, 36.0)) == {"DEZ1"}
    # a quadrilateral over Idlib and Deir ez-Zor that misses Aleppo, though Aleppo is inside its box
    quad = "POLYGON((36.5 35.0, 40.5 35.0, 40.5 35.5, 36.5 36.1, 36.5 35.0))"
    assert ids(region=quad) == {"IDL1", "DEZ1"}
    assert ids(region=quad, bbox=(39.0, 34.0, 41.0, 36.0)) == {"DEZ1"}
    assert ids(region=quad, date_from="2021-01-01") == set()
    store.close()

    gj = tmp_path / "region.geojson"
    gj.write_text('{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": '
                  '[[[37.0, 36.0], [37.5, 36.0], [37.5, 36.5], [37.0, 36.5], [37.0, 36.0]]]}}', encoding="utf-8")
    assert main(["export", "--db", db_url, "--region", str(gj)]) == 0
    out = capsys.readouterr()
    assert [r["location"] for r in csv.DictReader(out.out.splitlines())] == ["ALP1"]
    assert main(["export", "--db", db_url, "--bbox", "39,34,41,36"]) == 0
    assert [r["location"] for r in csv.DictReader(capsys.readouterr().out.splitlines())] == ["DEZ1"]
    assert main(["export", "--db", db_url, "--bbox", "41,34,39,36"]) == 2
    assert "west must not exceed east" in capsys.readouterr().err


def test_postgis_geometry_and_its_gist_index(pg_url):
    store = _stored(pg_url)
    [indexdef] = store.con.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'incidents_geom'").fetchone()
    assert "gist" in indexdef.lower()
    pts = dict(store.con.execute("SELECT external_id, ST_AsText(geom) FROM incidents").fetchall())
    assert pts["ALP1"] == "POINT(37.16 36.2)"
    # the geometry follows the coordinates (an analyst moving an incident)
    uid = next(r["uid"] for r in store.incidents() if r["external_id"] == "DEZ1")
    store.review(uid, "set_location", {"lat": 35.0, "lon": 38.0}, value={"lat": 35.0, "lon": 38.0}, by="t")
    assert store.con.execute("SELECT ST_AsText(geom) FROM incidents WHERE uid = ?", (uid,)).fetchone()[0] == \
        "POINT(38 35)"
    store.close()


def test_an_older_or_newer_schema_is_refused(db_url, capsys):
    _stored(db_url).close()
    for version, match in ((SCHEMA_VERSION - 1, "incidentmap db upgrade --db"), (SCHEMA_VERSION + 1, "newer")):
        store = Store(db_url)
        store.set_meta("schema_version", str(version))
        store.close()
        with pytest.raises(ValueError, match=match):
            Store(db_url, readonly=True)
        assert main(["ingest", "--db", db_url, "--quiet", "nothing.txt"]) == 2
        assert match in capsys.readouterr().err
        if version < SCHEMA_VERSION:
            with pytest.raises(SchemaOutdated):
                Store(db_url)
        con = Store.__new__(Store)  # put the version back by hand
        from incidents.store import open_backend

        con.backend = open_backend(db_url)
        con.con = con.backend.connect()
        con.con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        if con.backend.dialect == "sqlite":
            con.con.commit()
        con.close()
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["db", "status", "--db", db_url]) == 0
    assert "3 incidents" in capsys.readouterr().out


def test_a_new_postgres_database_is_created_by_db_upgrade(pg_url, capsys):
    with pytest.raises(FileNotFoundError, match="db upgrade"):
        Store(pg_url, readonly=True)
    assert main(["db", "upgrade", "--db", pg_url]) == 0
    assert f"{pg_url}: created at schema {SCHEMA_VERSION}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", pg_url]) == 0
    assert "up to date" in capsys.readouterr().out
    with Store(pg_url, readonly=True) as store:
        assert store.counts() == {"articles": 0, "incidents": 0}
        assert store.con.execute("SELECT extname FROM pg_extension WHERE extname = 'postgis'").fetchone()


def test_credentials_are_never_printed(pg_server, capsys):
    secret = "s3cr3t-pw"
    host_port = pg_server.split("@", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql://nobody:{secret}@{host_port}/no_such_db"
    assert main(["export", "--db", url]) == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and f"postgresql://nobody@{host_port}/no_such_db" in err
    assert secret not in err


@pytest.mark.shared
def test_two_concurrent_ingests_into_postgres_equal_one_sqlite_ingest(pg_url, tmp_path, real_gazetteer_path):
    rows = list(csv.DictReader(open(need(SHARED / "eval" / "fa-kes" / "FA-KES-Dataset.csv"), encoding="utf-8")))
    files = []
    for name, part in (("a.csv", rows[:40]), ("b.csv", rows[40:80])):
        files.append(str(tmp_path / name))
        with open(files[-1], "w", encoding="utf-8", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(part)
    common = ["--quiet", "--gazetteer", str(real_gazetteer_path)]
    assert main(["ingest", *files, "--db", str(tmp_path / "one.sqlite"), *common]) == 0
    assert main(["db", "upgrade", "--db", pg_url]) == 0
    # two writers at once, each with every file (in opposite orders): the same articles race
    procs = [subprocess.Popen([sys.executable, "-m", "incidents.cli", "ingest", *order, "--db", pg_url, *common],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for order in (files, files[::-1])]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("0 error(s)" in out for out, _ in outs), outs

    def content(db):
        with Store(db, readonly=True) as store:
            incidents = sorted((r["uid"], r["event_group"], r["article_key"], r["place_id"], r["date"],
                                r["sub_event_type"], r["passage_start"], r["event_sources"]) for r in store.incidents())
            return store.counts(), incidents

    (counts_pg, incidents_pg), (counts_one, incidents_one) = content(pg_url), content(str(tmp_path / "one.sqlite"))
    assert counts_pg == counts_one and counts_one["articles"] == 80
    assert len(incidents_one) > 40 and len({r[1] for r in incidents_one}) < len(incidents_one)  # some grouped
    assert incidents_pg == incidents_one  # nothing lost, nothing twice, the same event groups


@pytest.mark.shared
def test_writers_at_once_group_one_event_as_one_writer_would(db_url, geoparser):
    """Many outlets report one shelling and two writers store them at the same moment: each sees
    the other's reports (one writer at a time), so they all end in one event group."""
    import datetime
    import threading

    from incidents.articles import Article
    from incidents.extract import extract

    reports = []
    for i in range(16):
        art = Article(text=f"Shelling report {i}\n\nRegime forces shelled Kafr Nabl on 5 July 2020, a local "
                           f"source told outlet {i}.\n", title=f"Report {i}", url=f"https://outlet{i}.example/a",
                      date=datetime.date(2020, 7, 6), source=f"Outlet {i}")
        reports.append((art, extract(art, geoparser)))
    assert all(incs for _, incs in reports)
    Store(db_url).close()  # the schema first
    start = threading.Barrier(2)
    errors = []

    def writer(half):
        try:
            with Store(db_url) as store:
                start.wait()
                for art, incs in half:
                    store.save_article(art, incs)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(reports[k::2],)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    with Store(db_url, readonly=True) as store:
        rows = [r for r in store.incidents() if r["name_en"] == "Kafr Nabl"]
        assert store.counts()["articles"] == 16 and len(rows) == 16
        assert len({r["event_group"] for r in rows}) == 1 and {r["event_sources"] for r in rows} == {16}


def _save_in_child(db):
    with Store(db) as store:
        store.save_rows("acled:child", {"title": "ACLED", "source": "ACLED", "origin": "acled"}, _rows()[:1])


def test_a_forked_process_opens_its_own_connections(db_url):
    """A process forked after the parent opened the store (multiprocessing's default on Linux) must
    not share the parent's pooled connections: both would read each other's answers."""
    import multiprocessing

    parent = _stored(db_url)
    child = multiprocessing.get_context("fork").Process(target=_save_in_child, args=(db_url,))
    child.start()
    assert {r["external_id"] for r in parent.incidents()} == set(POINTS)  # the parent keeps working meanwhile
    child.join(60)
    assert child.exitcode == 0
    assert sorted(r["external_id"] for r in parent.incidents()) == sorted([*POINTS, "IDL1"])
    parent.close()


def test_readers_do_not_wait_for_a_writer(db_url):
    """A dashboard reads while an ingest holds its write transaction (WAL; MVCC), and sees the
    state before it until it commits."""
    import time

    writer = _stored(db_url)
    with writer.transaction() as con:
        con.execute("DELETE FROM incidents WHERE external_id = 'ALP1'")
        t = time.perf_counter()
        with Store(db_url, readonly=True) as reader:
            assert reader.counts()["incidents"] == 3  # not the uncommitted delete
        assert time.perf_counter() - t < 5
    with Store(db_url, readonly=True) as reader:
        assert reader.counts()["incidents"] == 2
    writer.close()


def _schema(db_url) -> list:
    """What the schema is, as each backend describes it (tables, columns, indexes)."""
    from incidents.store import open_backend

    backend = open_backend(db_url)
    con = backend.connect()
    try:
        if backend.dialect == "sqlite":
            return con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        return con.execute("SELECT table_name, column_name, data_type, column_default, is_nullable, "
                           "generation_expression FROM information_schema.columns WHERE table_schema = 'public' "
                           "ORDER BY table_name, ordinal_position").fetchall() + \
            con.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                        "ORDER BY indexname").fetchall()
    finally:
        backend.release(con)


def test_a_store_at_every_earlier_version_upgrades_to_the_schema_of_a_new_one(db_url, tmp_path):
    from incidents.store import open_backend
    from incidents.store.migrations import STEPS

    dialect = "sqlite" if "://" not in db_url else "postgresql"
    steps = STEPS[dialect]
    fresh = str(tmp_path / "fresh.sqlite") if dialect == "sqlite" else db_url
    assert main(["db", "upgrade", "--db", fresh]) == 0
    want = _schema(fresh)
    assert any("incidents" in map(str, row) for row in want) and len(want) > 10
    earlier = range(min(steps), SCHEMA_VERSION)
    assert list(earlier)  # each backend has one at least
    for version in earlier:
        db = str(tmp_path / f"v{version}.sqlite") if dialect == "sqlite" else db_url
        if dialect == "postgresql":  # one database: emptied for each earlier version
            import psycopg

            with psycopg.connect(db_url, autocommit=True) as raw:
                raw.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        backend = open_backend(db)
        con = backend.connect()
        for v in range(min(steps), version + 1):
            steps[v](con)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
        (con.raw if dialect == "postgresql" else con).commit()
        backend.release(con)
        with pytest.raises(SchemaOutdated):
            Store(db)
        assert main(["db", "upgrade", "--db", db]) == 0
        assert _schema(db) == want, f"{dialect}: a store at version {version}, upgraded"
