"""The layers of docs/architecture.md, enforced: a failing test, not goodwill.

Read from the source with ``ast`` (no import runs): every ``liaison`` package's imports
point down or sideways, never up; packages form no cycle; and the outer ring (TAXII,
sync, console, CLI, demo) reaches the store, the policy engine and the audit log only
through ``liaison.service`` and ``Node`` -- it may name their data types, nothing more.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "liaison"

#: Lowest first. A package may import its own layer and those below.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {
            "errors",
            "merkle",
            "lazy",
            "db",
            "text",
            "tomlfile",
            "stix",
            "markings",
            "signing",
            "checks",
            "config",
        }
    ),
    frozenset({"agreements", "policy", "audit", "correlate", "extract"}),
    frozenset({"store"}),
    frozenset({"node"}),
    frozenset({"service"}),
    frozenset({"taxii", "sync", "web", "cli", "demo", "__main__"}),
)
OUTER = LAYERS[-1]
#: What the outer ring may take from the store and the audit package: data types.
STORE_TYPES = frozenset(
    {"Collection", "ObjectRow", "PartyRecord", "Permission", "StatusRecord", "NewObject",
     "ObjectQuery", "format_us", "now_us", "VERSION_ALL", "VERSION_FIRST", "VERSION_LAST"}
)  # fmt: skip
AUDIT_TOOLS = frozenset({"AuditLog", "AuditEntry", "Gossip", "Ledger"})


#: Names of the ``liaison`` package itself (its version), importable from anywhere.
_ROOT = frozenset({"__init__", "__version__"})


def _layer(package: str) -> int:
    for i, layer in enumerate(LAYERS):
        if package in layer:
            return i
    raise AssertionError(f"liaison.{package} is in no layer: add it to docs/architecture.md")


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "liaison" and len(parts) > 1 else None


def _modules() -> list[tuple[str, Path, ast.Module]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        out.append((name, path, ast.parse(path.read_text(encoding="utf-8"))))
    return out


def _imports(tree: ast.Module) -> list[tuple[str, list[str], int]]:
    """(module imported, names, line) for every liaison import, nested ones included."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("liaison"):
            if node.module == "liaison":
                for alias in node.names:
                    found.append((f"liaison.{alias.name}", [], node.lineno))
            else:
                found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("liaison."):
                    found.append((alias.name, [], node.lineno))
    return found


MODULES = _modules()


def test_every_package_has_a_layer() -> None:
    for name, _, _ in MODULES:
        package = _package(name)
        if package is not None and package not in _ROOT:
            _layer(package)


def test_imports_point_down() -> None:
    wrong = []
    for name, path, tree in MODULES:
        src = _package(name)
        if src is None:
            continue
        for module, _, line in _imports(tree):
            dst = _package(module)
            if dst is not None and dst not in _ROOT and _layer(dst) > _layer(src):
                wrong.append(f"{path.relative_to(SRC)}:{line}: {src} imports {module}")
    assert not wrong, "upward imports:\n" + "\n".join(wrong)


def test_no_package_cycle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, _, tree in MODULES:
        src = _package(name)
        for module, _, _ in _imports(tree):
            dst = _package(module)
            if src and dst and dst != src and dst not in _ROOT:
                edges[src].add(dst)

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    cycles = sorted(f"{a} <-> {b}" for a in list(edges) for b in edges[a] if a in reach(b))
    assert not cycles, "package cycles: " + ", ".join(cycles)


@pytest.mark.parametrize("name", [m for m, _, _ in MODULES if _package(m) in OUTER])
def test_the_outer_ring_goes_through_the_service_layer(name: str) -> None:
    path, tree = next((p, t) for m, p, t in MODULES if m == name)
    wrong = []
    for module, names, line in _imports(tree):
        where = f"{path.relative_to(SRC)}:{line}"
        if _package(module) == "policy":
            wrong.append(f"{where}: imports the policy engine ({module})")
        if module == "liaison.store" and not set(names) <= STORE_TYPES:
            wrong.append(f"{where}: takes {sorted(set(names) - STORE_TYPES)} from the store")
        if module.startswith("liaison.store."):
            wrong.append(f"{where}: imports store internals ({module})")
        if _package(module) == "audit" and set(names) & AUDIT_TOOLS:
            wrong.append(
                f"{where}: writes the audit log itself ({sorted(set(names) & AUDIT_TOOLS)})"
            )
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "store":
            wrong.append(f"{path.relative_to(SRC)}:{node.lineno}: touches the store directly")
    assert not wrong, "\n".join(wrong)


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    """The checks above are not vacuous: a module breaking each rule is caught."""
    bad = ast.parse(
        "from liaison.policy import decide\nfrom liaison.store import Store\n"
        "from liaison.audit import AuditLog\ndef f(node):\n    return node.store.parties()\n"
    )
    found = _imports(bad)
    assert [m for m, _, _ in found] == ["liaison.policy", "liaison.store", "liaison.audit"]
    assert any(isinstance(n, ast.Attribute) and n.attr == "store" for n in ast.walk(bad))
    assert _layer("taxii") > _layer("service") > _layer("store") > _layer("signing")
