"""`ingest --workers N`: the same incidents as one process, each worker loading the geoparser once."""

import shutil

import pytest

from incidents.ingest import ingest_paths
from incidents.store import Store

from conftest import SEED

pytestmark = pytest.mark.shared


def _rows(store):
    return sorted((r["place_id"], r["date"], r["sub_event_type"], r["passage_start"]) for r in store.incidents())


def test_workers_give_the_same_incidents(tmp_path, new_db, geoparser, real_gazetteer_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / "a.txt")
    (folder / "b.txt").write_text("قصف على إدلب\n2020-09-21\n\nقصفت قوات النظام أمس بلدة كفرنبل بالمدفعية.\n",
                                  encoding="utf-8")
    (folder / "c.txt").write_text("Shelling\n2020-07-10\n\nOn 5 July 2020, regime forces shelled Kafr Nabl.\n",
                                  encoding="utf-8")
    (folder / "bad.txt").write_bytes(b"\x00\x01binary")
    one, two = Store(new_db()), Store(new_db())
    s1 = ingest_paths([str(folder)], one, geoparser, show_progress=False)
    s2 = ingest_paths([str(folder)], two, None, show_progress=False, workers=2, gazetteer=str(real_gazetteer_path))
    assert s1.articles == s2.articles == 3 and len(s1.errors) == len(s2.errors) == 1
    assert "bad.txt" in s2.errors[0]
    assert _rows(one) == _rows(two) and len(_rows(two)) > 10
