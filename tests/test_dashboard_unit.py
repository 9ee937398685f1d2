"""Map, filter and passage building without a browser."""

import html
from datetime import date

import pandas as pd

from dashboard.detail import passage_html
from dashboard.filters import Filters, apply
from dashboard.mapview import build_map, clicked_rows, marker_callback, marker_payload


def frame():
    rows = [
        dict(rowid=1, date=pd.Timestamp("2020-09-21"), event_type="Battles", sub_event_type="Armed clash",
             name_en="Saraqib", name_ar="سراقب", place_text="سراقب", lat=35.86, lon=36.8, precision=1,
             radius_km=0.0, admin1="Idlib", admin2="Idlib", passage="اشتباكات في سراقب", actor_names=["HTS"]),
        dict(rowid=2, date=pd.Timestamp("2020-09-20"), event_type="Explosions/Remote violence",
             sub_event_type="Shelling/artillery/missile attack", name_en="Jabal al-Turkman", name_ar="جبل التركمان",
             place_text="عين عيسى", lat=35.82, lon=36.02, precision=2, radius_km=12.0, admin1="Latakia",
             admin2=None, passage="<img src=x onerror=alert(1)> قصف", actor_names=["Syrian regime forces"]),
    ]
    return pd.DataFrame(rows)


def test_filters_round_trip_through_url_params():
    f = Filters(date_from=date(2020, 9, 20), governorates=["Idlib", "Latakia"], event_types=["Battles"],
                actors=["HTS"], text="سراقب", max_precision=2, choropleth=True)
    params = f.to_params()
    back = Filters.from_params(lambda k: params.get(k, []) if isinstance(params.get(k), list)
                               else ([params[k]] if k in params else []))
    assert back == f
    bad = Filters.from_params(lambda k: {"from": ["not-a-date"], "prec": ["9"]}.get(k, []))
    assert bad.date_from is None and bad.max_precision == 3


def test_apply_filters():
    df = frame()
    assert list(apply(df, Filters(governorates=["Latakia"]))["rowid"]) == [2]
    assert list(apply(df, Filters(max_precision=1))["rowid"]) == [1]
    assert list(apply(df, Filters(date_to=date(2020, 9, 20)))["rowid"]) == [2]
    assert list(apply(df, Filters(actors=["HTS"]))["rowid"]) == [1]
    assert list(apply(df, Filters(text="عين عيسى"))["rowid"]) == [2]
    assert len(apply(df, Filters())) == 2


def test_markers_carry_no_passages_and_escape_labels():
    payload = marker_payload(frame())
    rows = payload["rows"]
    rows = sorted(rows, key=lambda r: r[2])
    assert [r[5] for r in rows] == [1, 2] and rows[1][6] == 12000  # precision and radius in metres
    assert rows[0][7] == (pd.Timestamp("2020-09-21") - pd.Timestamp("1970-01-01")).days
    assert payload["colours"][rows[0][3]] == "#d62728"  # Battles red
    flat = repr(payload)
    assert "onerror" not in flat and "قصف" not in flat  # passages stay on the server
    evil = marker_callback(marker_payload(frame().assign(name_en=["<script>x</script>", "ok"])))
    assert "<script>" not in evil and html.escape("<script>") in evil


def test_one_marker_per_location_newest_first():
    df = frame()
    twin = df.iloc[[0]].assign(rowid=3, date=pd.Timestamp("2020-09-25"), event_type="Protests",
                               sub_event_type="Peaceful protest")
    rows = marker_payload(pd.concat([df, twin], ignore_index=True))["rows"]
    assert len(rows) == 2
    saraqib = [r for r in rows if r[0] == 35.86][0]
    assert saraqib[8] == 2 and saraqib[2] == 3  # two incidents there; the newest (#3) speaks for it


def test_map_uses_only_local_assets():
    shapes = {"governorate": {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"id": "g", "name_en": "Idlib", "name_ar": "إدلب", "admin1": "Idlib"},
        "geometry": {"type": "Polygon", "coordinates": [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}}]},
        "district": None}
    for choro in (False, True):
        out = build_map(frame(), shapes, choropleth=choro).get_root().render()
        assert "/app/static/vendor/leaflet.js" in out and "leaflet.markercluster.js" in out
        for cdn in ("cdn.jsdelivr", "cdnjs.cloudflare", "code.jquery", "bootstrapcdn"):
            assert cdn not in out


def test_clicked_rows_by_tooltip_or_coordinates():
    df = frame()
    assert list(clicked_rows(df, None, "Saraqib · 2020-09-21 · Armed clash #1")["rowid"]) == [1]
    assert list(clicked_rows(df, {"lat": 35.82, "lng": 36.02}, None)["rowid"]) == [2]
    assert clicked_rows(df, None, None).empty


def test_passage_highlight_is_escaped_and_rtl():
    p = "قصف <b>عنيف</b> على سراقب"
    out = passage_html(p, 100, 100 + p.index("سراقب"), 100 + len(p))
    assert 'dir="rtl"' in out and "<mark>سراقب</mark>" in out and "<b>" not in out and "&lt;b&gt;" in out
    assert 'dir="ltr"' in passage_html("Shelling on Saraqib", 0, 12, 19)


def test_timeline_brush_to_date_range():
    from dashboard.timeline import selected_range, timeline_chart, timeline_frame

    data, unit = timeline_frame(frame())
    assert unit == "day" and data["incidents"].sum() == 2
    assert timeline_chart(frame()).to_dict()["params"][0]["name"] == "brush"
    ms = [pd.Timestamp("2020-09-20").value // 10**6, pd.Timestamp("2020-09-21").value // 10**6]
    assert selected_range({"selection": {"brush": {"yearmonthdate_period": ms}}}) == \
        (pd.Timestamp("2020-09-20"), pd.Timestamp("2020-09-21"))
    assert selected_range({"selection": {"brush": {}}}) is None


def test_app_runs_on_an_empty_store(tmp_path, monkeypatch):
    """No store yet (fresh install): the page explains what to do instead of failing."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("INCIDENTMAP_DB", str(tmp_path / "none.sqlite"))
    monkeypatch.setenv("INCIDENTMAP_GAZETTEER", str(tmp_path / "none-gazetteer.sqlite"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "dashboard" / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    assert any("No incidents" in i.value for i in at.info)
    assert "0 of 0 incidents" in at.markdown[0].value


def test_review_status_filter_hides_rejected_by_default_and_round_trips():
    df = frame().assign(review_status=["reviewed", "rejected"])
    assert list(apply(df, Filters())["rowid"]) == [1]  # rejected: off the map unless asked for
    assert Filters().to_params() == {}
    for f in (Filters(review_status=["rejected"]), Filters(review_status=[])):
        params = f.to_params()
        back = Filters.from_params(lambda k: params.get(k, []))
        assert back.review_status == f.review_status
    assert list(apply(df, Filters(review_status=[]))["rowid"]) == [1, 2]  # [] = every status ("all")
    payload = marker_payload(df)
    assert sorted(r[10] for r in payload["rows"]) == [1, 2]  # reviewed, rejected: marked on the map


def test_robust_bounds_ignore_places_abroad_and_far_outliers():
    from dashboard.mapview import SYRIA_BOUNDS, robust_bounds, view_for_bounds

    # a cluster in Idlib, a Moscow from a photo caption, nothing else
    lat = [35.9 + i * 0.001 for i in range(100)] + [55.75]
    lon = [36.6 + i * 0.001 for i in range(100)] + [37.62]
    (s, w), (n, e) = robust_bounds(lat, lon)
    assert 35.8 < s < 35.95 and 35.95 < n < 36.1 and 36.5 < w and e < 36.8  # Moscow does not count
    # a few far outliers inside the country do not drive the view either (2nd-98th percentile)
    lat2 = [35.9] * 98 + [32.7, 37.0]
    lon2 = [36.6] * 98 + [36.1, 42.0]
    (s, w), (n, e) = robust_bounds(lat2, lon2)
    assert n - s < 0.5 and e - w < 0.5
    # nothing inside the country: the country's box
    assert robust_bounds([55.75], [37.62]) == [list(SYRIA_BOUNDS[0]), list(SYRIA_BOUNDS[1])]
    assert robust_bounds([], []) == [list(SYRIA_BOUNDS[0]), list(SYRIA_BOUNDS[1])]
    # one village: a small box around it, a close zoom
    (s, w), (n, e) = robust_bounds([35.86], [36.8])
    assert s < 35.86 < n and w < 36.8 < e
    centre, zoom = view_for_bounds([[s, w], [n, e]])
    assert abs(centre[0] - 35.86) < 0.01 and 10 <= zoom <= 12
    assert view_for_bounds([list(SYRIA_BOUNDS[0]), list(SYRIA_BOUNDS[1])])[1] in (6, 7)


def test_i18n_catalogues_have_the_same_keys_and_format_numbers_and_dates():
    from dashboard.i18n import Tr, catalogue, pick

    en, ar = catalogue("en"), catalogue("ar")
    assert set(en) == set(ar)
    assert all(ar[k] for k in ar) and len(ar["months"]) == len(en["months"]) == 12
    for k, v in en.items():  # the same {placeholders} in both
        if isinstance(v, str):
            import re

            assert set(re.findall(r"{(\w+)}", v)) == set(re.findall(r"{(\w+)}", ar[k])), k
    assert pick("AR") == "ar" and pick("fr") == "en" and pick(None) == "en"
    t_en, t_ar = Tr("en"), Tr("ar")
    assert t_en("count", shown=1234, total=23000) == "1,234 of 23,000 incidents"
    assert t_ar("count", shown=1234, total=23000) == "١٬٢٣٤ من ٢٣٬٠٠٠ حادثة"
    assert t_en.date(pd.Timestamp("2020-09-21")) == "21 Sep 2020" and t_ar.date("2020-09-21") == "٢١ أيلول ٢٠٢٠"
    assert t_ar.event_type("Battles") == "معارك" and t_ar.event_type(None) == "أخرى"
    assert t_ar.place("Saraqib", "سراقب") == "سراقب" and t_en.place("Saraqib", "سراقب") == "Saraqib"
    assert t_ar.place(None, None, "كنصفرة") == "كنصفرة"


def test_timeline_bins_by_range_and_labels_each_tick_once():
    from dashboard.i18n import Tr
    from dashboard.timeline import periods, timeline_chart, timeline_frame, unit_for

    assert (unit_for(2), unit_for(62), unit_for(300), unit_for(2000)) == ("day", "day", "week", "month")
    long = pd.DataFrame({"date": pd.date_range("2017-01-01", "2023-06-30", periods=500), "event_type": "Battles"})
    data, unit = timeline_frame(long)
    assert unit == "month" and data["period"].is_unique
    axis = timeline_chart(long, Tr("ar")).to_dict()["encoding"]["x"]["axis"]
    assert axis["tickCount"]["interval"] == "year" and "٠" in axis["labelExpr"]  # Arabic digits
    short = frame()
    axis = timeline_chart(short, Tr("en")).to_dict()["encoding"]["x"]["axis"]
    assert axis["tickCount"] == {"interval": "day", "step": 1}  # one tick a day: no date twice
    assert [p[0].day for p in periods(short)] == [20, 21]


def test_list_items_newest_first_in_the_interface_language():
    from dashboard.i18n import Tr
    from dashboard.listview import items

    en = items(frame(), Tr("en"))
    assert [r for r, _ in en] == [1, 2]  # 21 Sep before 20 Sep
    assert en[0][1].startswith("21 Sep 2020 · Battles · Saraqib — اشتباكات في سراقب")
    ar = items(frame(), Tr("ar"))
    assert ar[0][1].startswith("٢١ أيلول ٢٠٢٠ – معارك – سراقب")


def test_map_labels_and_words_in_arabic():
    from dashboard.i18n import Tr

    towns = [[35.93, 36.63, "Idlib", "إدلب", 6]]
    out = build_map(frame(), None, labels={"towns": towns}, tr=Tr("ar")).get_root().render()
    assert "إدلب" in out and "place-label" in out and "معارك" in out and "محيط" in out
    payload = marker_payload(frame(), "ar")
    assert "سراقب (Saraqib)" in payload["names"] and "معارك" in payload["types"]


def test_doubted_places_are_off_the_default_view_until_accepted_or_asked_for():
    df = frame().assign(review_status=["auto", "auto"], place_doubted=[0, 1])
    assert list(apply(df, Filters())["rowid"]) == [1]  # the tagger doubts rowid 2's place: for review
    assert list(apply(df, Filters(show_doubted=True))["rowid"]) == [1, 2]
    accepted = df.assign(review_status=["auto", "reviewed"])
    assert list(apply(accepted, Filters())["rowid"]) == [1, 2]  # an analyst accepted it: on the map
    params = Filters(show_doubted=True).to_params()
    assert params == {"doubted": "1"}
    assert Filters.from_params(lambda k: [params[k]] if k in params else []).show_doubted


def test_region_drawn_on_the_map_filters_and_round_trips_through_the_url():
    from dashboard.filters import area_from_geojson, parse_area

    drawn = {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
        [[36.7, 35.8], [36.9, 35.8], [36.9, 35.9], [36.7, 35.9], [36.7, 35.8]]]}}
    area = area_from_geojson(drawn)
    assert len(area) == 4
    f = Filters(area=area)
    assert list(apply(frame(), f)["rowid"]) == [1]  # Saraqib inside, Jabal al-Turkman outside
    params = f.to_params()
    assert Filters.from_params(lambda k: [params[k]] if k in params else []) == f
    assert parse_area("1,2;3") == [] and parse_area("a,b;c,d;e,f") == [] and area_from_geojson(None) == []


def test_safe_text_escapes_html_and_markdown_code_spans():
    from dashboard.detail import safe

    assert safe("Ma`arrat an Nu`man <b>") == "Ma&#96;arrat an Nu&#96;man &lt;b&gt;" and safe(None) == ""


def test_review_small_map_has_tiles_only_when_configured(monkeypatch):
    """Issue 19: the Review view's map asked OpenStreetMap for tiles although none was configured."""
    from dashboard.i18n import Tr
    from dashboard.mapview import configured_tiles
    from dashboard.review import _small_map

    row = {"lat": 35.86, "lon": 36.8, "precision": 1, "name_en": "Saraqib", "place_text": "سراقب"}
    monkeypatch.delenv("INCIDENTMAP_TILES", raising=False)
    assert configured_tiles({}) is None
    offline_html = _small_map(row, [], None, None, Tr("en"), tiles=configured_tiles({})).get_root().render()
    assert "tile.openstreetmap.org" not in offline_html and "tileLayer" not in offline_html
    monkeypatch.setenv("INCIDENTMAP_TILES", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    tiles = configured_tiles({})
    assert tiles == ("http://127.0.0.1:9/{z}/{x}/{y}.png", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    online_html = _small_map(row, [], None, None, Tr("en"), tiles=tiles).get_root().render()
    assert "http://127.0.0.1:9/{z}/{x}/{y}.png" in online_html
    assert configured_tiles({"tiles_url": " https://t.example/{z}/{x}/{y}.png ", "tiles_attr": "T"}) == \
        ("https://t.example/{z}/{x}/{y}.png", "T")  # the map settings win over the environment
