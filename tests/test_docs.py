"""The README and the guides in docs/: every relative link and picture resolves, and the README's
layout table names files that exist and every module of the three packages."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _layout_paths() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    out = []
    for row in table.splitlines():
        if not row.startswith("| `"):
            continue
        folder = ""
        for p in re.findall(r"`([^`]+)`", row.split("|")[1]):
            if "/" in p:
                folder = p.rsplit("/", 1)[0] + "/" if not p.endswith("/") else ""
                out.append(p)
            else:  # `incidents/store/articles.py`, `incidents.py`: the same folder as the first
                out.append(folder + p)
    return out


def test_every_relative_link_and_picture_resolves():
    checked = 0
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            checked += 1
            assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name}: {target} does not exist"
    assert checked >= 6  # the README's guides and pictures at least


def test_the_readme_starts_with_the_two_commands():
    head = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6]
    commands = [line.split("#")[0].strip() for line in head if line.startswith("make ")]
    assert commands == ["make run", "make test"]


def test_layout_table_matches_the_folders():
    paths = _layout_paths()
    assert len(paths) > 40
    missing = [p for p in paths if not (any(ROOT.glob(p)) if "*" in p else (ROOT / p.rstrip("/")).exists())]
    assert not missing, f"the layout table names files that do not exist: {missing}"
    named = set(paths)
    modules = [str(p.relative_to(ROOT)) for pkg in ("geodata", "incidents", "dashboard")
               for p in sorted((ROOT / pkg).rglob("*.py")) if p.name != "__init__.py" or p.parent.name == "store"]
    unnamed = [m for m in modules if m not in named and str(Path(m).parent) + "/" not in named]
    assert not unnamed, f"modules the README's layout table does not name: {unnamed}"
