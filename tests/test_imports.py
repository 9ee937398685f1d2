"""The import graph of the three packages: no module imports another in a circle, and no layer
imports a layer above it (geodata knows nothing of incidents or the dashboard; incidents nothing
of the dashboard).

Every `import`/`from … import` of every module is read from its syntax tree, those inside
functions included (a circle closed by a late import is still a circle: each side must be read to
understand the other). Importing a package's submodule is an edge to that submodule, not to the
package's `__init__` (Python runs the `__init__` too, but it imports nothing back).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("geodata", "incidents", "dashboard")
LAYER = {"geodata": 0, "incidents": 1, "dashboard": 2}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in PACKAGES:
        for p in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(p.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = p
    return out


def _target(name: str, modules: dict[str, Path]) -> str | None:
    """The project module that `import name` runs last: the longest prefix that is a module."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """module -> the project modules it imports (anywhere in its body)."""
    modules = modules or _modules()
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for mod, path in modules.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the module's package, one level up per extra dot
                    pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (node.level - 1)]
                    base = ".".join(pkg + ([base] if base else []))
                # `from pkg import sub` imports the submodule; `from mod import name` the module
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for name in names:
                t = _target(name, modules)
                if t and t != mod:
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_imports_inside_functions_and_relative_ones(tmp_path):
    (tmp_path / "geodata").mkdir()
    (tmp_path / "geodata" / "__init__.py").write_text("")
    (tmp_path / "geodata" / "a.py").write_text("from geodata import b\n")
    (tmp_path / "geodata" / "b.py").write_text("def f():\n    from .c import x\n")
    (tmp_path / "geodata" / "c.py").write_text("import os\ndef g():\n    import geodata.a\n")
    (tmp_path / "geodata" / "d.py").write_text("from geodata.c import x\n")
    mods = {m: tmp_path / p for m, p in [("geodata", "geodata/__init__.py"), ("geodata.a", "geodata/a.py"),
                                          ("geodata.b", "geodata/b.py"), ("geodata.c", "geodata/c.py"),
                                          ("geodata.d", "geodata/d.py")]}
    graph = import_graph(mods)
    assert graph["geodata.a"] == {"geodata.b"}
    assert graph["geodata.b"] == {"geodata.c"}
    assert graph["geodata.c"] == {"geodata.a"}
    assert cycles(graph) == [["geodata.a", "geodata.b", "geodata.c"]]  # found, and d is not in it
    graph["geodata.c"] = set()
    assert cycles(graph) == []


def test_the_project_graph_is_read():
    graph = import_graph()
    assert "geodata.gazetteer" in graph["geodata.geoparser"]
    assert "geodata.overlay" in graph["geodata.gazetteer"]  # an import inside a function
    assert "geodata.schema" in graph["incidents.extract"]


def test_no_module_imports_another_in_a_circle():
    found = cycles(import_graph())
    assert found == [], f"import circles: {found}"


def test_no_layer_imports_a_layer_above_it():
    graph = import_graph()
    upward = [(m, t) for m, ts in graph.items() for t in ts
              if LAYER[t.split(".")[0]] > LAYER[m.split(".")[0]]]
    downward = [(m, t) for m, ts in graph.items() for t in ts
                if LAYER[t.split(".")[0]] < LAYER[m.split(".")[0]]]
    assert downward  # the walk sees the layers' ordinary imports
    assert upward == [], f"imports of a higher layer: {upward}"
