"""The incidentmap command: gazetteer build/info and geocode."""

import json
import subprocess
import sys

import pytest

from incidents.cli import main


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "incidents.cli", *args], input=stdin, capture_output=True)


@pytest.mark.shared
def test_geocode_json_on_the_seed(real_gazetteer_path, capsys):
    from conftest import SEED

    assert main(["geocode", str(SEED), "--json", "--gazetteer", str(real_gazetteer_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    keys = {"text", "start", "end", "lat", "lon", "name_ar", "name_en", "feature", "admin1", "admin2",
            "precision", "confidence", "id"}
    assert rows and all(keys <= set(r) for r in rows)
    assert any(r["name_en"] == "Kansafrah" for r in rows)


@pytest.mark.shared
def test_geocode_reads_windows_1256_and_latin1_from_stdin(real_gazetteer_path):
    out = run("geocode", "-", "--json", "--gazetteer", str(real_gazetteer_path),
              stdin="قصف على بلدة سراقب".encode("cp1256"))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[0]["name_en"] == "Saraqib"
    out = run("geocode", "-", "--json", "--gazetteer", str(real_gazetteer_path),
              stdin="Bombardement à Saraqib".encode("latin-1"))
    assert json.loads(out.stdout)[0]["name_en"] == "Saraqib"


def test_geocode_errors_name_the_file(tmp_path):
    binary = tmp_path / "x.bin"
    binary.write_bytes(b"\x00\x01\x02" * 10)
    out = run("geocode", str(binary), "--gazetteer", str(tmp_path / "none.sqlite"))
    assert out.returncode == 2 and b"x.bin" in out.stderr and b"binary" in out.stderr
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    out = run("geocode", str(empty))
    assert out.returncode == 2 and b"empty.txt" in out.stderr


def test_gazetteer_build_and_info(tmp_path):
    out = run("gazetteer", "build", "--quiet", "--out", str(tmp_path / "g.sqlite"),
              "--from", str(tmp_path / "missing.tar.gz"))
    assert out.returncode == 0, out.stderr
    assert b"village-level coverage is missing" in out.stdout and b"missing.tar.gz" in out.stdout
    info = run("gazetteer", "info", "--gazetteer", str(tmp_path / "g.sqlite"))
    assert json.loads(info.stdout)["counts"]["area"] >= 10
