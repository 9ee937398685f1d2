"""The Review view (dashboard/review.py) and the Sources panel (dashboard/sources.py) speak the page's
language: no word of English (or of any language) written into the texts they put on screen, every
catalogue key they use in both catalogues, the Arabic words where an analyst reads them, and the
English ones the browser tests click on unchanged."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pandas as pd
import pytest

DASHBOARD = Path(__file__).resolve().parents[1] / "dashboard"
VIEWS = ("review.py", "sources.py", "downloads.py")

# Streamlit calls (st.x, or a column/progress bar's .x) whose first argument is shown on the page
TEXT_CALLS = {"title", "header", "subheader", "caption", "markdown", "write", "text", "info", "success",
              "warning", "error", "toast", "expander", "spinner", "button", "form_submit_button", "text_input",
              "text_area", "number_input", "date_input", "selectbox", "multiselect", "radio", "checkbox",
              "toggle", "select_slider", "slider", "segmented_control", "download_button", "progress",
              "metric", "tabs"}
TEXT_KWARGS = {"label", "help", "placeholder", "text", "body", "caption", "tooltip", "value_label"}
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters in a row, of any script
TAG = re.compile(r"<[^>]*>")
# Latin words an Arabic page may show: a command, file names, a URL scheme
TECHNICAL = {"incidentmap", "watch", "feeds", "toml", "example", "https", "robots", "txt"}


def _is_translation(call: ast.Call) -> bool:
    """tr(...), tr.num(...), tr.digits(...), tr.event_type(...): the words come from the catalogue."""
    f = call.func
    return (isinstance(f, ast.Name) and f.id == "tr") or (
        isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "tr")


def _template(node: ast.AST, roots: list) -> str:
    """The text an expression puts on screen, with "{}" where a value (or a translation) goes; the
    branches of conditionals and the items of joins are added to `roots`, checked on their own."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else "{}"
    if isinstance(node, ast.JoinedStr):
        out = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value))
            else:
                out.append(_template(part.value, roots))
        return "".join(out)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _template(node.left, roots) + _template(node.right, roots)
    if isinstance(node, ast.IfExp):
        roots += [node.body, node.orelse]
    elif isinstance(node, ast.BoolOp):
        roots += node.values
    elif isinstance(node, ast.Call) and not _is_translation(node):
        f = node.func
        if isinstance(f, ast.Attribute) and f.attr == "join" and node.args:
            roots.append(f.value)
            if isinstance(node.args[0], (ast.GeneratorExp, ast.ListComp)):
                roots.append(node.args[0].elt)
        elif isinstance(f, ast.Name) and f.id in ("safe", "str") and node.args:
            return _template(node.args[0], roots)
    return "{}"


def _words_in(node: ast.AST) -> list[str]:
    """The pieces of literal text with words in them that `node` puts on screen (HTML tags aside)."""
    found, roots = [], [node]
    while roots:
        text = _template(roots.pop(), roots)
        text = TAG.sub("", text).replace("{}", " ")
        if WORD.search(text):
            found.append(text.strip())
    return found


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of every literal text with words that reaches the screen: the first argument and
    the label/help/placeholder/text/tooltip arguments of Streamlit's text and widget calls, what a
    `format_func` returns, and module-level label dicts ({"pending": "Needs review", …})."""
    tree = ast.parse(source)
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _is_translation(node):
            continue
        shown = []
        if isinstance(node.func, ast.Attribute) and node.func.attr in TEXT_CALLS and node.args:
            shown.append(node.args[0])
        for kw in node.keywords:
            if kw.arg in TEXT_KWARGS:
                shown.append(kw.value)
            elif kw.arg == "format_func":
                shown.append(kw.value.body if isinstance(kw.value, ast.Lambda) else kw.value)
        hits += [(node.lineno, text) for arg in shown for text in _words_in(arg)]
    for node in tree.body:  # STATUS_LABELS-like dicts
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            values = node.value.values
            if values and all(isinstance(v, ast.Constant) and isinstance(v.value, str) and WORD.search(v.value)
                              for v in values):
                hits.append((node.lineno, ", ".join(v.value for v in values)))
    return hits


def keys_used(source: str) -> tuple[set[str], set[str]]:
    """The catalogue keys `tr("…")` is called with, and the prefixes of those it makes (`tr("a." + s)`)."""
    keys, prefixes = set(), set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant):
                keys.add(arg.value)
            elif isinstance(arg, ast.BinOp) and isinstance(arg.left, ast.Constant):
                prefixes.add(arg.left.value)
            elif isinstance(arg, ast.JoinedStr) and isinstance(arg.values[0], ast.Constant):
                prefixes.add(arg.values[0].value)
    return keys, prefixes


# ---- the checker itself -----------------------------------------------------------------------------------
def test_the_checker_flags_english_on_screen_and_lets_keys_markup_and_translations_through():
    bad = '''
STATUS_LABELS = {"pending": "Needs review", "reviewed": "Reviewed"}
st.subheader("Who is reviewing?")
b1.button("Accept", key="rv_accept", help="Right as it is")
st.info(f"Nothing in “{q}”." + (" Every incident has been reviewed." if done else ""))
st.radio("Q", opts, format_func=lambda s: f"{s} ({n}) items")
st.markdown(f"<span id='review-count'>**{n}** in “{q}”</span>", unsafe_allow_html=True)
bar.progress(0.3, text="Fetching and extracting…")
folium.CircleMarker(p, tooltip="clicked")
st.text_input(tr("review.place_name"), placeholder="كنصفرة / Kansafrah")
'''
    texts = [t for _line, t in untranslated(bad)]
    for want in ("Needs review, Reviewed", "Who is reviewing?", "Accept", "Right as it is", "Nothing in “ ”.",
                 "Every incident has been reviewed.", "( ) items", "in “ ”", "Fetching and extracting…", "clicked",
                 "كنصفرة / Kansafrah"):
        assert any(want in t for t in texts), (want, texts)
    good = '''
SHORTCUTS = {"accept": "A", "reject": "X"}
st.subheader(tr("review.who"))
b1.button(tr("review.accept"), key="rv_accept", shortcut=SHORTCUTS["accept"], help=tr("review.accept_help"))
st.markdown("##### " + tr("review.audit_log"))
st.markdown(f"<span id='review-count'>{tr('review.queue_count', n=n, queue=q)}</span>", unsafe_allow_html=True)
st.markdown(f"#### {safe(row.get('place_text') or '?')} → {safe(row.get('name_en') or '—')}")
st.error(f"{safe(u)}: {safe(reason)}")
st.radio(tr("review.queue"), opts, format_func=lambda s: f"{tr('review.status_' + s)} ({tr.num(n)})")
st.markdown("<div class='review-reasons'>" + " ".join(f"<span style='x'>{safe(r)}</span>" for r in rs) + "</div>")
st.text_input(tr("review.place_name"), key="rv_query", placeholder=tr("review.place_name_example"))
'''
    assert untranslated(good) == []


# ---- the two views ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", VIEWS)
def test_no_untranslated_text_on_screen(name):
    hits = untranslated((DASHBOARD / name).read_text(encoding="utf-8"))
    assert hits == [], f"{name}: literal text on screen, move it to dashboard/locales/*.json: {hits}"


@pytest.mark.parametrize("name", VIEWS)
def test_every_key_used_is_in_both_catalogues(name):
    from dashboard.i18n import catalogue

    keys, prefixes = keys_used((DASHBOARD / name).read_text(encoding="utf-8"))
    assert keys and (prefixes or name == "downloads.py")  # the views make keys; downloads only names them
    for lang in ("en", "ar"):
        words = catalogue(lang)
        assert keys <= set(words), (lang, keys - set(words))
        for p in prefixes:
            assert any(k.startswith(p) for k in words), (lang, p)


def test_review_and_sources_words_in_arabic():
    from dashboard.i18n import Tr
    from dashboard.review import SHORTCUTS, STATUSES

    ar = Tr("ar")
    assert (ar("review.accept"), ar("review.reject"), ar("review.undo")) == ("قبول", "رفض", "تراجع")
    assert ar("review.audit_log") == "سجل التدقيق" and ar("sources.title") == "المصادر"
    assert ar("review.queue_count", n=12, queue=ar("review.status_pending")) == "**١٢** في «بحاجة إلى مراجعة»"
    keys = ar("review.keys", **SHORTCUTS)  # the letters stay Latin, explained in Arabic
    assert all(letter in keys for letter in "AXUNP") and "للقبول" in keys and "للرفض" in keys
    assert not re.search(r"[A-Za-z]{2,}", keys)
    assert ar("sources.summary", n=3, articles=1200, failing=0) == \
        "المصادر: ٣؛ المقالات الواردة منها: ١٬٢٠٠؛ مصادر أخفقت في آخر فحص: ٠"
    for s in STATUSES:
        assert not re.search(r"[A-Za-z]", ar("review.status_" + s))


def test_the_english_the_browser_tests_click_on_is_unchanged():
    from dashboard.i18n import Tr
    from dashboard.review import SHORTCUTS

    en = Tr("en")
    assert en("review.who") == "Who is reviewing?" and en("review.start") == "Start reviewing"
    assert en("review.your_name").startswith("Your name") and en("review.note").startswith("Note (optional")
    assert [en(f"review.{k}") for k in ("accept", "reject", "undo", "change_name")] == \
        ["Accept", "Reject", "Undo", "Change name"]
    assert en("review.candidates", n=2) == "Candidates (2)"
    assert en("review.place_at", lat="35.12345", lon="36.54321") == "Place at 35.12345, 36.54321"
    assert en("review.queue_count", n=2, queue=en("review.status_pending")) == "**2** in “Needs review”"
    assert en("review.keys", **SHORTCUTS) == \
        "Keys: A accept · X reject · U undo · N next · P place at the clicked point"
    assert en("sources.title") == "Sources" and en("sources.add_url") == "Add a URL"
    assert en("sources.summary", n=1, articles=3, failing=0).startswith("1 source(s)")


def test_audit_log_candidates_and_sources_table_in_both_languages():
    from dashboard.i18n import Tr
    from dashboard.review import _audit_html, _candidate_label, _label
    from dashboard.sources import PANEL_COLUMNS, panel_table

    log = [{"at": "2024-01-02 10:00", "by": "Layla", "action": "accept", "value": None, "previous": None,
            "note": "", "undone_at": "2024-01-02 11:00", "undone_by": "Omar"}]
    en, ar = Tr("en"), Tr("ar")
    assert ("<th>when (UTC)</th><th>who</th><th>action</th><th>value</th><th>previous</th><th>note</th><th></th>"
            in _audit_html(log, en)) and "undone by Omar 2024-01-02 11:00" in _audit_html(log, en)
    html_ar = _audit_html(log, ar)
    assert "<th>الإجراء</th>" in html_ar and "تراجع عنه Omar" in html_ar and "who" not in html_ar
    cand = {"name_en": "Saraqib", "name_ar": "سراقب", "admin1": "Idleb", "score": 0.8, "chosen": True}
    assert _candidate_label(1, cand, en) == "1. Saraqib سراقب (Idleb) · score 0.8 · chosen"
    assert _candidate_label(1, cand, ar) == "١. Saraqib سراقب (Idleb) · الدرجة ٠.٨ · المختار"
    row = {"date": None, "name_en": "Saraqib", "place_text": "سراقب", "reasons": [{"code": "low_confidence", "confidence": 0.4}]}
    assert _label(row, en).startswith("no date · ") and _label(row, ar).startswith("بلا تاريخ · ")
    row["date"] = "2020-09-22"  # as stored in English, the Arabic way in Arabic
    assert _label(row, en).startswith("2020-09-22 · ") and _label(row, ar).startswith("٢٢ أيلول ٢٠٢٠ · ")

    df = pd.DataFrame([["A", "feed", None, None, 2, 5, 0, ""], ["B", "page", None, None, 0, 1, 3, "HTTP 500"]],
                      columns=list(PANEL_COLUMNS))
    assert list(panel_table(df, en).columns) == list(PANEL_COLUMNS)
    shown = panel_table(df, ar)
    assert list(shown.columns) == ["المصدر", "النوع", "آخر تحديث", "آخر فحص", "الجديد في آخر جولة", "المقالات",
                                   "الإخفاقات", "آخر خطأ"]
    assert shown["النوع"].tolist() == ["خلاصة RSS", "صفحة ويب"] and df["kind"].tolist() == ["feed", "page"]


# ---- drawn by Streamlit, in Arabic (no store: the empty states) ------------------------------------------
def _review_app(db: str):
    from pathlib import Path

    from dashboard import review

    review.render(Path(db), Path(db).with_suffix(".gaz"))


def _sources_app(db: str):
    from pathlib import Path

    from dashboard import sources

    sources.render(Path(db))


@pytest.mark.parametrize("app", [_review_app, _sources_app])
def test_the_views_draw_in_the_session_language(app, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.delenv("INCIDENTMAP_AUTH", raising=False)  # nobody signs in: everyone may review
    at = AppTest.from_function(app, args=(str(tmp_path / "none.sqlite"),), default_timeout=60)
    at.session_state["lang"] = "ar"  # as app.py sets it from ?lang=ar
    at.session_state["reviewer"] = "ليلى"
    at.run()
    assert not at.exception, at.exception
    shown = " ".join([e.value for e in (*at.title, *at.info, *at.caption, *at.markdown)]
                     + [w.label for w in (*at.button, *at.radio, *at.number_input, *at.text_input, *at.expander)])
    if app is _review_app:
        assert "المراجعة" in shown and "لا شيء في «بحاجة إلى مراجعة»" in shown and "تراجع" in shown
        assert "مفاتيح الاختصار" in shown and "قائمة المراجعة" in shown
    else:
        assert "التحديث كل" in shown and "إضافة رابط" in shown and "لا توجد مصادر متابَعة بعد" in shown
    english = [w for w in re.findall(r"[A-Za-z]{3,}", TAG.sub("", shown))
               if w not in TECHNICAL]
    assert english == [], english


def test_queue_reasons_in_the_interface_language():
    """The queue's reasons come from incidents.review as codes with parameters; the view words them from
    its catalogue, in English as `review list` prints them, and in Arabic."""
    from dashboard.i18n import Tr
    from dashboard.review import _label, reason_text
    from geodata.schema import NOT_IN_GAZETTEER
    from incidents.review import attention, reason_words

    row = {"confidence": 0.3, "precision": 3, "location": json.dumps(
        {"reason": NOT_IN_GAZETTEER, "alternatives": [{"name_en": "Binnish", "score": 0.29}]})}
    _, reasons = attention(row)
    en, ar = Tr("en"), Tr("ar")
    assert [r["code"] for r in reasons] == ["not_in_gazetteer", "low_confidence", "coarse_precision",
                                            "close_alternative"]
    english = ["not in gazetteer", "low confidence (0.30)", "coarse precision (3)", "close alternative: Binnish"]
    assert [reason_words(r) for r in reasons] == english  # as `review list` prints them
    assert [reason_text(r, en) for r in reasons] == english  # the dashboard's English catalogue: the same words
    shown = [reason_text(r, ar) for r in reasons]
    assert shown[:3] == ["ليس في المعجم الجغرافي", "ثقة منخفضة (٠.٣٠)", "دقة تقريبية (٣)"]
    assert all(not re.search(r"[A-Za-z]{3}", s) for s in shown[:3])
    assert reason_text({"code": "location", "text": "something new"}, ar) == "something new"  # the geoparser's own
    assert "ثقة منخفضة" in _label({"date": None, "name_en": "X", "reasons": reasons}, ar)
