"""The store is one interface over small parts, and the only place that speaks SQL (issue 23).

No class in incidents/store/ has more than 25 methods; no module of incidents/ or dashboard/ outside
incidents/store/ writes SQL, reaches for the store's connection, or hands the store a string to
select incidents with (filters are IncidentFilter values)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from incidents.store import IncidentFilter
from incidents.store.sqlite import SQLiteBackend

ROOT = Path(__file__).resolve().parent.parent
STORE = ROOT / "incidents" / "store"
MAX_METHODS = 25
SQL = re.compile(r"^\s*(SELECT\b.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|\bi\.\w+\s*(=|!=|<=|>=|IN|LIKE)\s*(\?|\(\?|')",
                 re.DOTALL)  # SQL as this code base writes it: upper-case keywords
QUERIES = {"incidents", "events", "where"}  # Store methods a caller might once have handed SQL


def _trees(folder: Path):
    for path in sorted(folder.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_no_class_in_the_store_has_more_than_25_methods():
    sizes = {}
    for path, tree in _trees(STORE):
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                sizes[f"{path.name}:{node.name}"] = sum(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                                        for n in node.body)
    assert "__init__.py:Store" in sizes and sizes["incidents.py:Incidents"] > 0  # the walk found the parts
    assert {k: n for k, n in sizes.items() if n > MAX_METHODS} == {}


def _callers():
    for folder in (ROOT / "incidents", ROOT / "dashboard"):
        for path, tree in _trees(folder):
            if STORE not in path.parents:
                yield path, tree


def test_no_module_outside_the_store_speaks_sql_to_it():
    found = []
    for path, tree in _callers():
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                found.append(f"{rel}:{node.lineno}: SQL text {node.value[:50]!r}")
            elif isinstance(node, ast.Attribute) and node.attr in ("con", "backend", "where") \
                    and isinstance(node.value, ast.Name) and "store" in node.value.id:
                found.append(f"{rel}:{node.lineno}: {node.value.id}.{node.attr}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERIES \
                    and any(isinstance(a, (ast.Constant, ast.JoinedStr)) and isinstance(getattr(a, "value", ""), str)
                            for a in node.args):
                found.append(f"{rel}:{node.lineno}: {node.func.attr}() given a string")
    assert found == []


def test_the_check_sees_sql_where_it_is():  # the scan above is not blind: it flags what it forbids
    assert SQL.search("SELECT * FROM incidents") and SQL.search("i.rowid IN (?, ?)")
    assert SQL.search("i.source_kind != 'acled'") and not SQL.search("Select a place from the list")
    tree = ast.parse('store.incidents("i.uid = ?", (1,))\nstore.con.execute("x")')
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "attr", "") in QUERIES]
    attrs = [n for n in ast.walk(tree) if isinstance(n, ast.Attribute) and n.attr == "con"]
    assert calls and attrs


@pytest.mark.parametrize("which, sql, params", [
    (IncidentFilter(), "i.review_status != 'rejected'", []),
    (IncidentFilter(review_status="rejected"), "i.review_status = ?", ["rejected"]),
    (IncidentFilter(admin1="Idlib", include_rejected=True), "(i.admin1 = ? OR i.admin1_ar = ? OR i.admin1_pcode = ?)",
     ["Idlib"] * 3),
    (IncidentFilter(rowids=(), include_rejected=True), "1 = 0", []),
    (IncidentFilter(uids=("a", "b"), include_rejected=True), "i.uid IN (?, ?)", ["a", "b"]),
])
def test_a_filter_becomes_sql_inside_the_store(which, sql, params):
    assert which.sql(SQLiteBackend(":memory:")) == (sql, params)
