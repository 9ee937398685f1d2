"""The throwaway PostgreSQL test server (tests/pgcluster.py and the pg_url fixture)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psutil
import pytest

HERE = Path(__file__).resolve().parent


def _load_pgcluster():
    if "pgcluster" not in sys.modules:
        spec = importlib.util.spec_from_file_location("pgcluster", HERE / "pgcluster.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["pgcluster"] = module
        spec.loader.exec_module(module)
    return sys.modules["pgcluster"]


pgcluster = _load_pgcluster()


def _need_postgres():
    ok, reason = pgcluster.available()
    if not ok:
        pytest.skip(f"PostgreSQL/PostGIS not installed ({reason}); .ci/run installs them")


def running_from(data_dir: Path) -> list[int]:
    """PostgreSQL processes working in `data_dir`, found by psutil (independently of pgcluster):
    the postmaster names it with -D, and every server process has it as its working directory."""
    data = str(data_dir.resolve())
    found = []
    for proc in psutil.process_iter(["pid", "name", "cmdline", "cwd", "status"]):
        info = proc.info
        if info["status"] == psutil.STATUS_ZOMBIE or not (info["name"] or "").startswith("postgres"):
            continue
        if data in (info["cmdline"] or []) or info["cwd"] == data:
            found.append(info["pid"])
    return found


def test_pg_url_is_a_fresh_postgis_capable_database_on_localhost_only(pg_url):
    import psycopg

    assert re.fullmatch(r"postgresql://[^/]+/im_test_[0-9a-f]{12}", pg_url), pg_url
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == pg_url.rsplit("/", 1)[1]
        tables = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
        ).fetchone()[0]
        assert tables == 0  # empty
        assert conn.execute("SELECT count(*) FROM pg_extension WHERE extname = 'postgis'").fetchone()[0] == 0
        conn.execute("CREATE EXTENSION postgis")
        version = conn.execute("SELECT postgis_version()").fetchone()[0]
        assert re.match(r"\d+\.\d+", version), version
        point = conn.execute("SELECT ST_AsText(ST_SetSRID(ST_MakePoint(36.3, 33.5), 4326))").fetchone()[0]
        assert point == "POINT(36.3 33.5)"
        assert conn.execute("SHOW listen_addresses").fetchone()[0] == "127.0.0.1"
        # Its Unix socket is in its own data directory, not /var/run/postgresql.
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()[0]
        assert sockets == conn.execute("SHOW data_directory").fetchone()[0]
        assert conn.execute("SHOW fsync").fetchone()[0] == "off"


def test_start_then_stop_leaves_no_server_process():
    _need_postgres()
    import psycopg

    cluster = pgcluster.start()
    data = cluster.data_dir
    client = None
    try:
        pid = cluster.pid
        assert pid is not None and psutil.pid_exists(pid)
        client = psycopg.connect(cluster.url)  # a backend process too
        assert client.execute("SELECT 1").fetchone() == (1,)
        running = running_from(data)
        assert pid in running and len(running) >= 3, running  # the check does see a live server
        assert sorted(pgcluster.processes(data)) == sorted(running)
        # Detached: the server is in a session of its own, not the test's.
        assert os.getsid(pid) == pid != os.getsid(0)
        cluster.stop()  # -m fast: even with a client connected
        assert running_from(data) == []
        assert not (data / "postmaster.pid").exists()
        assert not any(psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE for p in running)
        cluster.stop()  # stopping a stopped cluster is fine
    finally:
        if client is not None:
            try:
                client.close()
            except Exception:
                pass
        cluster.stop()
        shutil.rmtree(cluster.base_dir, ignore_errors=True)
    assert running_from(data) == []


def test_command_line_start_prints_url_and_stop_stops_it():
    _need_postgres()
    import psycopg

    base = Path(tempfile.mkdtemp(prefix="incidentmap-pg-cli-", dir="/tmp"))  # mode 0700, like mktemp -d
    cli = [sys.executable, str(HERE / "pgcluster.py")]
    try:
        # capture_output: the command must return with the server running detached, holding
        # none of its output pipes (as in .ci/run's URL=$(...)); else this times out.
        out = subprocess.run([*cli, "start", str(base)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        url = out.stdout.strip()
        m = re.fullmatch(r"postgresql://postgres@127\.0\.0\.1:(\d+)/postgres", url)
        assert m, url
        with psycopg.connect(url) as conn:
            assert conn.execute("SHOW port").fetchone()[0] == m.group(1)
        assert "ready to accept connections" in (base / "log").read_text()
        assert running_from(base / "data")

        out = subprocess.run([*cli, "stop", str(base)], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert running_from(base / "data") == []
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(url, connect_timeout=5)
    finally:
        subprocess.run([*cli, "stop", str(base)], capture_output=True, timeout=120)
        shutil.rmtree(base, ignore_errors=True)
    assert running_from(base / "data") == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to the postgres user")
def test_as_root_a_directory_postgres_cannot_reach_is_refused_clearly(tmp_path):
    _need_postgres()
    private = Path(tempfile.mkdtemp(prefix="incidentmap-pg-private-", dir="/tmp"))  # 0700, root's
    try:
        with pytest.raises(pgcluster.ClusterError, match="cannot reach"):
            pgcluster.start(private / "cluster")
        assert running_from(private / "cluster" / "data") == []
    finally:
        shutil.rmtree(private, ignore_errors=True)
