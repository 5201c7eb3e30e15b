"""The house rules of docs/architecture.md, read from the source: imports point down the layers (endpoints files may
use identity's permission dependencies), no import circle between modules (function-level imports included), and no
Python file over 400 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "tenantplane"
MAX_LINES = 400

# Bottom to top; a domain imports only domains on a lower layer (docs/architecture.md, "Imports point down").
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(layer.split())
    for layer in (
        "settings models",  # configuration, and the loader that finds <domain>.models by name
        "kit",
        "audit migrations",
        "identity",
        "jobs secrets",
        "executions notifications",
        "actionlinks",
        "runbooks approvals",
        "automation",
        "sla",
        "itsm",
        "insights",
        "gitops web",
        "app",
        "cli",
    )
)
LAYER_OF = {domain: i for i, layer in enumerate(LAYERS) for domain in layer}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> Iterator[str]:
    """The tenantplane modules a file imports, at any depth of its code (lazy imports too)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("tenantplane."))
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and node.module.startswith("tenantplane")
        ):
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield submodule if submodule in MODULES else node.module


def _graph() -> dict[str, set[str]]:
    return {name: {target for target in _imports(path) if target in MODULES} for name, path in MODULES.items()}


def _domain(module: str) -> str:
    return module.split(".")[1] if "." in module else module


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_domain_has_a_layer() -> None:
    domains = {_domain(name) for name in MODULES if name != "tenantplane"}
    assert sorted(domains - LAYER_OF.keys()) == []


def test_imports_point_down_the_layers() -> None:
    upward = []
    for module, targets in _graph().items():
        source = _domain(module)
        if source == "tenantplane":
            continue
        for target in targets:
            goal = _domain(target)
            if goal in (source, "tenantplane"):
                continue
            permission_dependency = MODULES[module].name.endswith("endpoints.py") and goal == "identity"
            if LAYER_OF[goal] >= LAYER_OF[source] and not permission_dependency:
                upward.append(f"{module} -> {target}")
    assert sorted(upward) == []


def test_no_module_imports_itself_round_a_circle() -> None:
    assert _circles(_graph()) == []


def test_the_circle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


def test_no_python_file_is_over_400_lines() -> None:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    over = {str(path.relative_to(ROOT)): n for path in files if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert over == {}
