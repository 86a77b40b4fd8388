"""Import directions, checked over the source: providers <- policies <- idp_bridge, the layers inside idp_bridge
(docs/architecture.md), self-contained packages, store backends apart, no import cycles; and the size rules."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tests.import_graph import REPO, Graph, cycles, import_graph, is_within, project_modules

LAYERS: tuple[tuple[str, ...], ...] = (
    ("clock", "config", "web"),
    ("store", "observability"),
    ("audit", "oidc", "wiring"),
    ("policy",),
    ("bridge", "flow"),
    ("roles",),
    ("sessions",),
    ("mfa",),
    ("endpoints",),
    ("built_in_sign_in",),
    ("forward_auth", "admin"),
    ("app",),
    ("asgi", "demo"),
    ("cli",),
)
"""Bottom first; a module may import its own layer and the layers below. Names are inside idp_bridge."""

BRIDGE_PARTS = ("sessions.cookie", "sessions.cache", "sessions.runtime", "forward_auth.target")
"""Modules the Bridge is built from that belong, by subject, to a package above it: they sit on the bridge's layer."""

SELF_CONTAINED = ("clock", "config", "web", "store")
"""Packages that import nothing of idp_bridge outside themselves."""

MAX_MODULE_LINES = 400
MAX_PACKAGE_MODULES = 12

MODULES = project_modules()
GRAPH = import_graph(MODULES)


def layer_of(module: str) -> int | None:
    """The layer of an idp_bridge module: a listed bridge part's, else its package's (None: not in idp_bridge)."""
    if not is_within(module, "idp_bridge") or module == "idp_bridge":
        return None
    inner = module.removeprefix("idp_bridge.")
    bridge_layer = next(i for i, names in enumerate(LAYERS) if "bridge" in names)
    if any(is_within(inner, part) for part in BRIDGE_PARTS):
        return bridge_layer
    top = inner.split(".")[0]
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"idp_bridge.{top} is in no layer: add it to LAYERS and docs/architecture.md")


def layer_violations(graph: Graph) -> list[str]:
    found = []
    for module, targets in sorted(graph.items()):
        here = layer_of(module)
        for target in sorted(targets):
            there = layer_of(target)
            if here is not None and there is not None and there > here:
                found.append(f"{module} (layer {here}) imports {target} (layer {there})")
    return found


def direction_violations(graph: Graph) -> list[str]:
    """providers imports neither policies nor idp_bridge; policies does not import idp_bridge."""
    below = {"providers": ("policies", "idp_bridge"), "policies": ("idp_bridge",)}
    return [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        for package, forbidden in below.items()
        if is_within(module, package)
        for target in sorted(targets)
        if any(is_within(target, f) for f in forbidden)
    ]


def outside_imports(graph: Graph, package: str, allowed: tuple[str, ...]) -> list[str]:
    """Imports of idp_bridge modules by `package` that are neither inside it nor under one of `allowed`."""
    return [
        f"{module} imports {target}"
        for module, targets in sorted(graph.items())
        if is_within(module, package)
        for target in sorted(targets)
        if is_within(target, "idp_bridge") and not any(is_within(target, a) for a in (package, *allowed))
    ]


def test_providers_and_policies_import_nothing_above_them() -> None:
    assert direction_violations(GRAPH) == []


def test_every_idp_bridge_package_keeps_to_its_layer() -> None:
    assert layer_violations(GRAPH) == []


@pytest.mark.parametrize("package", SELF_CONTAINED)
def test_self_contained_packages_import_only_themselves(package: str) -> None:
    assert outside_imports(GRAPH, f"idp_bridge.{package}", ()) == []


def test_store_protocol_and_records_know_no_backend_and_backends_know_no_other() -> None:
    store = "idp_bridge.store"
    shared = (f"{store}.protocol", f"{store}.records")
    backends = sorted(
        {m.split(".")[2] for m in MODULES if is_within(m, store) and m.count(".") >= 3} - {"protocol", "records"}
    )
    assert "sqlite" in backends
    for part in shared:
        assert outside_imports(GRAPH, part, shared) == []
    for backend in backends:
        assert outside_imports(GRAPH, f"{store}.{backend}", shared) == []


def test_the_console_and_the_api_share_only_the_api_models() -> None:
    admin = "idp_bridge.admin"
    console_uses_api = [
        f"{m} imports {t}"
        for m, ts in GRAPH.items()
        if is_within(m, f"{admin}.console")
        for t in ts
        if is_within(t, f"{admin}.api") and t != f"{admin}.api.models"
    ]
    api_uses_console = [
        f"{m} imports {t}"
        for m, ts in GRAPH.items()
        if is_within(m, f"{admin}.api")
        for t in ts
        if is_within(t, f"{admin}.console")
    ]
    assert console_uses_api == api_uses_console == []


def test_no_import_cycles() -> None:
    assert cycles(GRAPH) == []


def test_the_checks_catch_what_they_look_for() -> None:
    """The same functions on a graph with one violation of each kind: every one is reported."""
    bad: dict[str, frozenset[str]] = {
        "providers.oidc": frozenset({"policies.allow_list"}),
        "policies.allow_list": frozenset({"idp_bridge.store.records.core"}),
        "idp_bridge.store.records.core": frozenset({"idp_bridge.sessions.end", "idp_bridge.store.sqlite.core"}),
        "idp_bridge.sessions.end": frozenset({"idp_bridge.admin.session_control"}),
        "idp_bridge.sessions.cookie": frozenset({"idp_bridge.sessions.end"}),
        "idp_bridge.admin.session_control": frozenset({"idp_bridge.sessions.end"}),
    }
    assert direction_violations(bad) == [
        "policies.allow_list imports idp_bridge.store.records.core",
        "providers.oidc imports policies.allow_list",
    ]
    assert layer_violations(bad) == [
        "idp_bridge.sessions.cookie (layer 4) imports idp_bridge.sessions.end (layer 6)",
        "idp_bridge.sessions.end (layer 6) imports idp_bridge.admin.session_control (layer 10)",
        "idp_bridge.store.records.core (layer 1) imports idp_bridge.sessions.end (layer 6)",
    ]
    assert outside_imports(bad, "idp_bridge.store", ()) == [
        "idp_bridge.store.records.core imports idp_bridge.sessions.end"
    ]
    assert outside_imports(bad, "idp_bridge.store.records", ("idp_bridge.store.protocol",)) == [
        "idp_bridge.store.records.core imports idp_bridge.sessions.end",
        "idp_bridge.store.records.core imports idp_bridge.store.sqlite.core",
    ]
    assert cycles(bad) == [["idp_bridge.admin.session_control", "idp_bridge.sessions.end"]]


def _python_files() -> list[str]:
    roots = ("idp_bridge", "providers", "policies", "tests", "bench")
    return sorted(
        str(p.relative_to(REPO)) for root in roots for p in (REPO / root).rglob("*.py") if "node_modules" not in p.parts
    )


def test_no_module_over_400_lines_and_no_utils() -> None:
    long = {f: n for f in _python_files() if (n := len((REPO / f).read_text().splitlines())) > MAX_MODULE_LINES}
    assert long == {}
    assert [f for f in _python_files() if f.endswith("/utils.py")] == []


def _modules_per_package() -> Mapping[str, int]:
    counts: dict[str, int] = {}
    for name, module in MODULES.items():
        if module.path.name != "__init__.py":
            package = name.rsplit(".", 1)[0]
            counts[package] = counts.get(package, 0) + 1
    return counts


def test_no_package_over_12_modules_and_every_package_says_what_it_owns() -> None:
    assert {p: n for p, n in _modules_per_package().items() if n > MAX_PACKAGE_MODULES} == {}
    packages = [m for m in MODULES.values() if m.path.name == "__init__.py"]
    undocumented = [m.name for m in packages if not m.path.read_text().lstrip().startswith('"""')]
    assert len(packages) > 20 and undocumented == []
