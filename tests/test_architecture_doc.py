"""docs/architecture.md stays true: every module, package and name it points at exists, every idp_bridge package is
in it, its layer table is the one tests/test_import_layers.py enforces, and it stays under 200 lines."""

from __future__ import annotations

import re
from pathlib import Path

from tests.import_graph import REPO, project_modules
from tests.test_import_layers import LAYERS

DOC = REPO / "docs" / "architecture.md"
ROOTS = (REPO, REPO / "idp_bridge")
# A path-like reference: a/b/, a/b.py, a/b.attr (an attribute of module a/b), or a dotted module in backticks.
_PATH = re.compile(r"(?<![\w/.\-])(?:[a-z_][a-z0-9_]*/)+(?:[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)?")
_FILE = re.compile(r"(?<![\w/.\-])[a-z_][a-z0-9_]*\.py\b")
_DOTTED = re.compile(r"`([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+)`")


def _source(relative: str) -> tuple[Path, bool] | None:
    """(the file or package directory, is a package) for `a/b` under one of ROOTS."""
    for root in ROOTS:
        if (root / f"{relative}.py").is_file():
            return root / f"{relative}.py", False
        if (root / relative / "__init__.py").is_file() or (root / relative).is_dir():
            return root / relative, True
    return None


def unresolved(reference: str) -> str | None:
    """None when `reference` names an existing package, module, or a module's top-level name; else why not."""
    text = reference.rstrip("/")
    if text.endswith(".py"):
        return None if any((root / text).is_file() for root in ROOTS) else f"{reference}: no such file"
    head, _, last = text.rpartition("/")
    names = last.split(".")
    for cut in range(len(names), 0, -1):
        found = _source("/".join(filter(None, (head, *names[:cut]))))
        if found is None:
            continue
        path, package = found
        missing = [
            n
            for n in names[cut:]
            if package or not re.search(rf"^(?:async def|def|class) {n}\b|^{n}\b", path.read_text(), re.M)
        ]
        return f"{reference}: {path.relative_to(REPO)} has no {missing[0]}" if missing else None
    return f"{reference}: no such package or module"


def references(text: str) -> set[str]:
    dotted = {d for d in _DOTTED.findall(text) if not d.endswith(".py")}
    return set(_PATH.findall(text)) | set(_FILE.findall(text)) - {"__init__.py"} | dotted


def test_every_reference_in_the_doc_exists() -> None:
    found = references(DOC.read_text())
    assert len(found) > 60
    assert sorted(filter(None, map(unresolved, found))) == []


def test_the_reference_check_can_fail() -> None:
    assert unresolved("sessions/end.py") is None and unresolved("sessions/end") is None
    assert unresolved("sessions/browser.start_session") is None and unresolved("store/sqlite/") is None
    assert unresolved("sessions/nowhere.py") == "sessions/nowhere.py: no such file"
    assert (
        unresolved("sessions/browser.nothing")
        == "sessions/browser.nothing: idp_bridge/sessions/browser.py has no nothing"
    )
    assert unresolved("store/mongo/") == "store/mongo/: no such package or module"


def test_every_idp_bridge_package_is_named() -> None:
    text = DOC.read_text()
    packages = sorted(
        m.removeprefix("idp_bridge.").replace(".", "/")
        for m, module in project_modules(packages=("idp_bridge",)).items()
        if module.path.name == "__init__.py" and m != "idp_bridge"
    )
    assert len(packages) > 15
    assert [p for p in packages if f"{p}/" not in text and f"`{p.rsplit('/', 1)[-1]}/`" not in text] == []


def test_the_layer_table_is_the_enforced_one() -> None:
    text = DOC.read_text()
    table = text[text.index("<!-- layers:") :].split("\n\n", 1)[0]
    rows = re.findall(r"^\| (\d+) \| ([a-z_, ]+) \|$", table, re.M)
    assert [int(n) for n, _ in rows] == list(range(len(LAYERS)))
    assert [tuple(name.strip() for name in names.split(",")) for _, names in rows] == list(LAYERS)


def test_the_doc_stays_short() -> None:
    assert len(DOC.read_text().splitlines()) < 200
