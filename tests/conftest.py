"""Shared fixtures: the ../shared data (skipped with a reason when absent) and built gazetteers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("INCIDENTMAP_SHARED", ROOT.parent / "shared"))
WOF_ARCHIVE = SHARED / "gazetteer" / "whosonfirst-data-admin-sy-master.tar.gz"
OSY_ARCHIVE = SHARED / "gazetteer" / "open-syria-data-geography-main.tar.gz"
SEED = ROOT / "articles" / "000_ab807f8b2d3e6b71.txt"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"needs {path} (the ../shared data set), which is absent on this machine")
    return path


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Tests never touch the user's data directory."""
    monkeypatch.setenv("INCIDENTMAP_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="session")
def real_gazetteer_path(tmp_path_factory) -> Path:
    """A gazetteer built from the real shared archives (once per test session)."""
    need(WOF_ARCHIVE)
    need(OSY_ARCHIVE)
    from geodata.build import build

    out = tmp_path_factory.mktemp("gaz") / "gazetteer.sqlite"
    report = build([str(WOF_ARCHIVE), str(OSY_ARCHIVE)], out=out, show_progress=False)
    assert report.counts.get("locality", 0) > 10_000
    return out


@pytest.fixture(scope="session")
def real_gazetteer(real_gazetteer_path):
    from geodata.gazetteer import Gazetteer

    return Gazetteer.load(real_gazetteer_path)


@pytest.fixture(scope="session")
def geoparser(real_gazetteer):
    from geodata.geoparser import Geoparser

    return Geoparser(gazetteer=real_gazetteer)


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


# --- PostgreSQL: a throwaway server for the store's PostgreSQL/PostGIS backend (tests/pgcluster.py)


def _pgcluster():
    """tests/pgcluster.py as the module `pgcluster`, whatever pytest's import mode."""
    import importlib.util
    import sys

    if "pgcluster" not in sys.modules:
        spec = importlib.util.spec_from_file_location("pgcluster", Path(__file__).with_name("pgcluster.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules["pgcluster"] = module
        spec.loader.exec_module(module)
    return sys.modules["pgcluster"]


def _with_dbname(url: str, dbname: str) -> str:
    """The same server, user and options as `url`, database `dbname`."""
    if url.startswith(("postgresql://", "postgres://")):
        from urllib.parse import quote, urlsplit, urlunsplit

        parts = urlsplit(url)
        return urlunsplit(parts._replace(path="/" + quote(dbname)))
    from psycopg.conninfo import make_conninfo  # a "key=value" connection string

    return make_conninfo(url, dbname=dbname)


@pytest.fixture(scope="session")
def pg_server():
    """URL of a PostgreSQL server's maintenance database, where tests may CREATE DATABASE.

    $INCIDENTMAP_TEST_PG when set (.ci/run sets it), else a cluster of our own for the session
    (stopped at the end, whatever happened), else the test is skipped with the reason.
    """
    url = os.environ.get("INCIDENTMAP_TEST_PG")
    if url:
        yield url
        return
    pgcluster = _pgcluster()
    ok, reason = pgcluster.available()
    if not ok:
        pytest.skip(f"PostgreSQL/PostGIS not installed ({reason}); .ci/run installs them")
    import shutil

    cluster = pgcluster.start()  # its own directory under /tmp, reachable by the postgres user
    try:
        yield cluster.url
    finally:
        try:
            cluster.stop()
        finally:
            shutil.rmtree(cluster.base_dir, ignore_errors=True)


def _create_database(server: str, prefix: str = "im_test", template: str | None = None) -> str:
    """CREATE DATABASE with a new random name on `server` (a copy of `template` when given); its name."""
    import secrets

    import psycopg
    from psycopg import sql

    name = f"{prefix}_{secrets.token_hex(6)}"
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(query)
    return name


def _drop_databases(server: str, names) -> None:
    """DROP DATABASE … WITH (FORCE) (whoever is still connected) for each name."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server, autocommit=True) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def pg_url(pg_server):
    """URL of a fresh, empty database on `pg_server`, dropped (WITH (FORCE)) after the test."""
    name = _create_database(pg_server)
    try:
        yield _with_dbname(pg_server, name)
    finally:
        _drop_databases(pg_server, [name])


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The store's location on each backend: an SQLite file path, then a PostgreSQL URL
    (`pg_url`; skipped where PostgreSQL/PostGIS is not installed)."""
    if request.param == "sqlite":
        return str(tmp_path / "store.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def pg_template(pg_server):
    """Name of a database on `pg_server` that has PostGIS and nothing else: `new_db` copies it, since
    CREATE EXTENSION postgis costs about a second in each new database (`pg_url`'s databases are
    empty, so the store's own CREATE EXTENSION is tested there)."""
    import psycopg

    name = _create_database(pg_server, "im_template")
    try:
        with psycopg.connect(_with_dbname(pg_server, name), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        yield name
    finally:
        _drop_databases(pg_server, [name])


@pytest.fixture(params=["sqlite", "postgresql"], ids=["sqlite", "postgresql"])
def new_db(request, tmp_path):
    """A factory, for tests that need several stores: each call `new_db()` gives the location of another
    fresh store on the backend, as `db_url` does: a new SQLite file in tmp_path, or a new database on
    `pg_server` (with PostGIS in it already: a copy of `pg_template`), all dropped after the test."""
    made: list[str] = []  # SQLite files, or PostgreSQL database names
    if request.param == "postgresql":
        server, template = request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template")

    def new() -> str:
        if request.param == "sqlite":
            made.append(str(tmp_path / f"store{len(made)}.sqlite"))
            return made[-1]
        made.append(_create_database(server, template=template))
        return _with_dbname(server, made[-1])

    yield new
    if request.param == "postgresql" and made:
        _drop_databases(server, made)
