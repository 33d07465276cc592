"""tl_core's modules import each other in one direction: no cycle, counting imports inside functions too
(a lazy import is still a dependency; it only hides the cycle from Python's start-up)."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "tl_core"


def imports_of(path: Path) -> set[str]:
    """The tl_core modules a module imports, anywhere in it (module names without the package)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tl_core"):
            names = [node.module] if node.module != "tl_core" else [f"tl_core.{a.name}" for a in node.names]
            found.update(name.split(".")[1] for name in names if "." in name)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("tl_core."))
    return found - {path.stem}


def graph() -> dict[str, set[str]]:
    modules = {path.stem: path for path in CORE.glob("*.py") if path.stem not in ("__init__", "__main__")}
    return {name: imports_of(path) & set(modules) for name, path in modules.items()}


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


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycle_inside_tl_core():
    assert cycles(graph()) == []


def test_the_lowest_layer_imports_nothing_above_it():
    edges = graph()
    assert edges["backend"] <= {"precision", "limits"}, edges["backend"]  # not the queue (jobs), as it did
    assert edges["limits"] == set()
