"""`backfill` on a local Dask cluster + `load` give what `ingest` gives; bad rows are reported; loading
twice changes nothing; partitions are cut at record boundaries with ingest's row numbers."""

from __future__ import annotations

import csv
import gzip
import json
import struct

import psutil
import pyarrow.parquet as pq
import pytest

from conftest import SEED
from incidents.articles import ArticleError, read_table
from incidents.backfill import plan_file, read_partition
from incidents.cli import main
from incidents.ingest import ingest_paths
from incidents.store import Store

SEED_TEXT = SEED.read_text(encoding="utf-8")
AR_1 = "قصف على إدلب\n2020-09-21\n\nقصفت قوات النظام أمس بلدة كفرنبل بالمدفعية.\n\nوشنت الطائرات الحربية غارات على معرة النعمان."
AR_2 = "استهدفت طائرات حربية روسية، اليوم، بلدة كنصفرة في جبل الزاوية بريف إدلب الجنوبي بعدة غارات جوية."
EN_1 = "Shelling\n2020-07-10\n\nOn 5 July 2020, regime forces shelled Kafr Nabl.\nAn air strike hit Saraqeb, killing 3 civilians."
EN_2 = "Russian warplanes carried out air strikes on the town of Ariha in Idlib countryside on Sunday."


def _write_archive(folder):
    """A CSV (multi-line quoted texts, no URLs: keys are file:row) with an empty-text row, and the
    same kind of rows as JSON Lines (with URLs) plus a line that is not JSON, plain and gzipped."""
    folder.mkdir()
    rows = [
        {"title": "تقرير", "text": SEED_TEXT, "date": "2020-09-21", "source": "seed"},
        {"title": "Kafr Nabl", "text": EN_1, "date": "2020-07-10", "source": "wire"},
        {"title": "بلا نص", "text": "   ", "date": "2020-07-10", "source": "wire"},  # the bad row: no text
        {"title": "إدلب", "text": AR_1, "date": "2020-09-21", "source": "sana"},
        {"title": "Ariha", "text": EN_2, "date": "2019-05-12", "source": "wire"},
    ]
    csv_path = folder / "archive.csv"
    with open(csv_path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["title", "text", "date", "source"])
        w.writeheader()
        w.writerows(rows)
    lines = [json.dumps({"title": "كنصفرة", "content": AR_2, "date": "2021-03-02", "url": "https://example.org/a/1"},
                        ensure_ascii=False),
             "",
             json.dumps({"title": "Ariha", "text": EN_2, "date": "2019-05-13", "url": "https://example.org/a/2"}),
             "{not json",
             json.dumps({"title": "إدلب", "text": AR_1 + "\nوقتل 4 مدنيين.", "date": "2020-09-22",
                         "url": "https://example.org/a/3", "language": "ar"}, ensure_ascii=False)]
    jsonl = folder / "feed.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    gz = folder / "feed.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write(jsonl.read_text(encoding="utf-8"))
    return csv_path, jsonl, gz


def _rows(db, sql: str) -> list[tuple]:
    """The rows of a query on the store at `db` (either backend), sorted."""
    with Store(db, readonly=True) as store:
        return sorted(map(tuple, store.con.execute(sql)))


def _incidents(db) -> list[tuple]:
    return _rows(db, "SELECT article_key, place_id, date, sub_event_type, passage_start, passage_end, "
                     "place_start, place_end, event_group, uid FROM incidents")


def _dump(db) -> list[list[tuple]]:
    return [_rows(db, f"SELECT * FROM {t}") for t in ("articles", "incidents", "places")]


def _children() -> set[int]:
    """Live child processes, except multiprocessing's resource tracker (one per parent process, started
    by the first spawn and kept until this process exits, whoever spawned)."""
    return {p.pid for p in psutil.Process().children(recursive=True) if p.is_running()
            and p.status() != psutil.STATUS_ZOMBIE and "resource_tracker" not in " ".join(p.cmdline())}


# ---- planning: no cluster needed ---------------------------------------------------------------
def test_csv_partitions_are_cut_at_records_with_ingest_row_numbers(tmp_path):
    csv_path, _, _ = _write_archive(tmp_path / "in")
    parts, bad = plan_file(0, str(csv_path), blocksize=1)  # smaller than any record: one record each
    assert not bad and len(parts) == 5 and parts[0].first_row == 2
    got = [(row, str(a) if isinstance(a, ArticleError) else (a.path, a.id, a.title, a.date))
           for p in parts for _fi, _file, row, a in read_partition(p)]
    want = [str(a) if isinstance(a, ArticleError) else (a.path, a.id, a.title, a.date) for a in read_table(str(csv_path))]
    assert [g for _, g in got] == want
    assert [row for row, _ in got] == [2, 3, 4, 5, 6]


def test_gzipped_jsonl_partitions_number_lines_as_ingest(tmp_path):
    _, jsonl, gz = _write_archive(tmp_path / "in")
    parts, bad = plan_file(3, str(gz), blocksize=100)
    assert not bad and len(parts) >= 3 and all(p.file_index == 3 for p in parts)
    got = [str(a).replace(".gz", "") if isinstance(a, ArticleError) else (a.path.replace(".gz", ""), a.id)
           for p in parts for *_, a in read_partition(p)]
    want = [str(a) if isinstance(a, ArticleError) else (a.path, a.id) for a in read_table(str(jsonl))]
    assert got == want and "feed.jsonl:4: not a JSON object" in got[2]


def test_a_csv_without_a_text_column_is_one_bad_file(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    parts, bad = plan_file(0, str(p), blocksize=1000)
    assert parts == [] and len(bad) == 1 and bad[0].row is None and "no text column" in bad[0].reason


# ---- the whole run on a local cluster of 2 worker processes ---------------------------------------
@pytest.fixture(scope="module")
def backfilled(tmp_path_factory, real_gazetteer_path):
    """`backfill` run once (the slow part) on the test archive: (CSV, JSON Lines, gzipped JSON Lines, the
    output folder, its exit status, what it printed, the processes it left behind)."""
    import contextlib
    import io

    base = tmp_path_factory.mktemp("backfill")
    csv_path, jsonl, gz = _write_archive(base / "in")
    out = base / "out"
    before = _children()
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = main(["backfill", str(csv_path), str(gz), "--out", str(out), "--workers", "2", "--gazetteer",
                   str(real_gazetteer_path), "--blocksize", "0.0001", "--quiet"])
    left = {pid: " ".join(psutil.Process(pid).cmdline()) for pid in _children() - before}
    return csv_path, jsonl, gz, out, rc, (stdout.getvalue(), stderr.getvalue()), left


@pytest.mark.shared
def test_backfill_writes_bad_rows_and_geoparquet(backfilled):
    csv_path, _jsonl, gz, out, rc, (printed_out, printed_err), left = backfilled
    assert rc == 0, (printed_out, printed_err)
    assert "dashboard http://127.0.0.1:" in printed_err
    assert "7 article(s)" in printed_out and "2 bad row(s)" in printed_out
    assert not left, f"the local cluster left processes behind: {left}"

    # the bad rows: file, row, reason
    with open(out / "bad_rows.csv", encoding="utf-8") as f:
        bad = sorted((r["file"], r["row"], r["reason"]) for r in csv.DictReader(f))
    assert [(b[0], b[1]) for b in bad] == [(str(csv_path), "4"), (str(gz), "4")]
    assert "no text" in bad[0][2] and "not a JSON object" in bad[1][2]

    manifest = json.loads((out / "_backfill.json").read_text(encoding="utf-8"))
    assert manifest["complete"] and manifest["articles"] == 7 and manifest["partitions"] >= 6

    # GeoParquet: WKB points and the `geo` metadata
    parts = sorted((out / "incidents").glob("part-*.parquet"))
    table = pq.read_table(parts[0])
    geo = json.loads(table.schema.metadata[b"geo"])
    assert geo["version"] == "1.1.0" and geo["primary_column"] == "geometry"
    assert geo["columns"]["geometry"]["encoding"] == "WKB"
    row = next(r for r in table.to_pylist() if r["geometry"])
    assert struct.unpack("<BIdd", row["geometry"]) == (1, 1, row["lon"], row["lat"])
    lon0, lat0, lon1, lat1 = geo["columns"]["geometry"]["bbox"]
    assert lon0 <= row["lon"] <= lon1 and lat0 <= row["lat"] <= lat1


@pytest.mark.shared
def test_load_equals_ingest_and_loading_twice_changes_nothing(backfilled, new_db, geoparser, capsys):
    csv_path, jsonl, _gz, out, rc, _printed, _left = backfilled
    assert rc == 0
    ingest_db = new_db()
    with Store(ingest_db) as store:
        summary = ingest_paths([str(csv_path), str(jsonl)], store, geoparser, show_progress=False)
    assert summary.articles == 7 and len(summary.errors) == 2

    # load = ingest (same incidents, same event groups and uids), and loading twice changes nothing
    load_db = new_db()
    assert main(["load", str(out), "--db", load_db, "--quiet"]) == 0
    assert "7 new" in capsys.readouterr().out
    assert _incidents(load_db) == _incidents(ingest_db) and len(_incidents(load_db)) > 15
    first = _dump(load_db)
    assert main(["load", str(out), "--db", load_db, "--quiet"]) == 0
    assert "7 unchanged" in capsys.readouterr().out
    assert _dump(load_db) == first


@pytest.mark.parametrize("data, codec", [
    ("قصف على سراقب\nثم على إدلب\n".encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + "قصف على سراقب\n".encode("utf-8"), "utf-8-sig"),
    ("قصف على بلدة سراقب\nوأريحا\n".encode("cp1256"), "cp1256"),
    ("Bombardement à Saraqib\net à Ariha\n".encode("latin-1"), "latin-1"),
    ("قصف على سراقب\n".encode("utf-16"), "utf-16"),
])
def test_the_backfill_reads_a_file_in_the_encoding_ingest_reads_it_in(tmp_path, data, codec):
    from geodata.textio import decode_bytes
    from incidents.backfill import _encoding

    path = tmp_path / "a.txt"
    path.write_bytes(data)
    text, used = decode_bytes(data, str(path))
    assert used == codec
    streamed, errors, skip = _encoding(str(path))
    assert data[skip:].decode(streamed, errors) == text
    assert "سراقب" in text or "Saraqib" in text  # read as what was written, not only "no error"


def test_the_backfill_refuses_a_binary_file_as_ingest_does(tmp_path):
    from geodata.textio import UnreadableInput, decode_bytes
    from incidents.backfill import _encoding

    path = tmp_path / "a.txt"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(ArticleError, match="binary file"):
        _encoding(str(path))
    with pytest.raises(UnreadableInput, match="binary file"):
        decode_bytes(path.read_bytes(), str(path))
    path.write_bytes(b"text, not binary\n")
    assert _encoding(str(path))[0] == "utf-8"  # the same reader takes a text file
