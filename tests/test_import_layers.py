"""tl_core's parts import each other in one direction: no cycle, and no part imports one above it, counting
imports inside functions too (a lazy import is still a dependency; it only hides a cycle from Python's start-up).
"""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "tl_core"
# Lowest first. "" is the package root (backend, limits, markdown); a module may import its own part and below.
LAYERS = ["", "data", "storage", "models", "inside", "training", "classroom"]


def module_name(path: Path) -> str:
    """'storage.workspace' for tl_core/storage/workspace.py, 'backend' for tl_core/backend.py."""
    return ".".join(path.relative_to(CORE).with_suffix("").parts)


def part(module: str) -> str:
    return module.rpartition(".")[0]


def imports_of(path: Path, known: set[str]) -> set[str]:
    """The tl_core modules a module imports, anywhere in it (names as `module_name` gives them)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tl_core"):
            base = node.module.removeprefix("tl_core").lstrip(".")
            for alias in node.names:  # `from tl_core.storage import cli` imports a module; `from x import f` not
                candidate = f"{base}.{alias.name}".lstrip(".")
                found.add(candidate if candidate in known else base)
        elif isinstance(node, ast.Import):
            found.update(a.name.removeprefix("tl_core.") for a in node.names if a.name.startswith("tl_core."))
    return (found & known) - {module_name(path)}


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in CORE.rglob("*.py") if p.stem not in ("__init__", "__main__")}
    return {name: imports_of(path, set(paths)) for name, path in paths.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in edges[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
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

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def upward_imports(edges: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, other)
        for module, imported in edges.items()
        for other in imported
        if LAYERS.index(part(other)) > LAYERS.index(part(module))
    )


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_layer_check_finds_an_upward_import():
    assert upward_imports({"data.render": {"storage.workspace"}, "storage.workspace": {"data.render"}}) == [
        ("data.render", "storage.workspace")
    ]


def test_the_graph_sees_every_module_and_their_imports():
    edges = graph()
    assert {"backend", "data.mnist", "storage.workspace", "training.engine", "classroom.jobs"} <= set(edges)
    assert "storage.workspace" in edges["classroom.jobs"]
    assert "storage.workspace" in edges["storage.cli"] and "storage.exchange" in edges["storage.cli"]


def test_every_module_belongs_to_a_layer():
    assert {part(module) for module in graph()} <= set(LAYERS)


def test_no_import_cycle_inside_tl_core():
    assert cycles(graph()) == []


def test_no_part_of_tl_core_imports_a_part_above_it():
    assert upward_imports(graph()) == []


def test_the_root_modules_import_no_part():
    edges = graph()
    assert edges["backend"] <= {"limits"}, edges["backend"]  # not the queue (classroom.jobs), as it once did
    assert edges["limits"] == set()
    assert edges["markdown"] == set()
