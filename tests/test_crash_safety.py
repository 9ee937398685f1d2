"""Crash safety: a real `ingest`, `reprocess` or `load` process killed with SIGKILL in the middle of its
run leaves a store that opens, passes SQLite's integrity check and holds every article committed
before the kill; a second run completes it to the very export an uninterrupted run gives."""

from __future__ import annotations

import csv
import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path

import pytest

import incidents
from conftest import SHARED, need
from incidents.cli import main
from incidents.store import Store

FAKES = SHARED / "eval" / "fa-kes" / "FA-KES-Dataset.csv"
pytestmark = pytest.mark.shared


def _rows(n: int) -> list[dict]:
    need(FAKES)
    with open(FAKES, encoding="utf-8", errors="replace", newline="") as f:
        return [r for _, r in zip(range(n), csv.DictReader(f))]


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("crash") / "fakes.csv"
    rows = _rows(160)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def export(db) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["export", "--db", str(db), "--include-rejected"]) == 0
    return out.getvalue()


def _count(db: Path, sql: str) -> int:
    """A count read the way another reader would, while the writer runs (0 before the store exists)."""
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0


def kill_midway(args: list[str], db: Path, sql: str, at_least: int, total: int, home: Path) -> int:
    """Run `incidentmap ARGS` in its own process group; SIGKILL it once `sql` counts `at_least` (and
    fewer than `total`). Returns the count seen just before the kill."""
    code = Path(incidents.__file__).resolve().parent.parent  # the code under test, for the child too
    env = dict(os.environ, INCIDENTMAP_HOME=str(home), PYTHONPATH=os.pathsep.join(
        [str(code), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.Popen([sys.executable, "-m", "incidents.cli", *args], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        seen = 0
        while time.monotonic() < deadline and proc.poll() is None:
            seen = _count(db, sql)
            if seen >= at_least:
                break
            time.sleep(0.005)
        assert proc.poll() is None, f"finished before it could be killed ({seen} of {total}): " + \
            proc.stderr.read().decode()[-2000:]
        assert seen < total
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        return seen
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)
        proc.stderr.close()


def check_after_kill(db: Path, committed: int) -> None:
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    with Store(db) as store:  # opens (and recovers the WAL) as any command would
        assert store.counts()["articles"] >= committed


def test_ingest_killed_midway_then_run_again(archive, real_gazetteer_path, tmp_path):
    gaz = ["--gazetteer", str(real_gazetteer_path)]
    ref = tmp_path / "ref.sqlite"
    assert main(["ingest", str(archive), "--db", str(ref), "--quiet", *gaz]) == 0
    db = tmp_path / "s.sqlite"
    committed = kill_midway(["ingest", str(archive), "--db", str(db), "--quiet", *gaz], db,
                            "SELECT count(*) FROM articles", 20, 160, tmp_path / "home")
    check_after_kill(db, committed)
    assert main(["ingest", str(archive), "--db", str(db), "--quiet", *gaz]) == 0
    assert export(db) == export(ref)


def test_reprocess_killed_midway_then_run_again(archive, real_gazetteer_path, tmp_path):
    gaz = ["--gazetteer", str(real_gazetteer_path)]
    db = tmp_path / "s.sqlite"
    assert main(["ingest", str(archive), "--db", str(db), "--quiet", *gaz]) == 0
    before = export(db)
    started = time.time()
    redone = kill_midway(["reprocess", "--quiet", "--db", str(db), *gaz], db,
                         f"SELECT count(*) FROM articles WHERE ingested_at > {started}", 20, 160, tmp_path / "home")
    check_after_kill(db, 160)
    assert redone >= 20
    assert main(["reprocess", "--quiet", "--db", str(db), *gaz]) == 0
    assert export(db) == before


def test_load_killed_midway_then_run_again(archive, real_gazetteer_path, tmp_path):
    out = tmp_path / "bf"
    assert main(["backfill", str(archive), "--out", str(out), "--workers", "1", "--quiet", "--blocksize", "0.02",
                 "--gazetteer", str(real_gazetteer_path)]) == 0
    parts = len(list((out / "articles").glob("*.parquet")))
    assert parts >= 10
    ref = tmp_path / "ref.sqlite"
    assert main(["load", str(out), "--db", str(ref), "--quiet"]) == 0
    db = tmp_path / "s.sqlite"
    committed = kill_midway(["load", str(out), "--db", str(db), "--quiet"], db, "SELECT count(*) FROM articles",
                            1, 160, tmp_path / "home")
    check_after_kill(db, committed)
    assert main(["load", str(out), "--db", str(db), "--quiet"]) == 0
    assert export(db) == export(ref)
