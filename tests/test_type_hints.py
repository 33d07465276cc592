"""Every public function and method of tl_core says what it takes and returns (type hints on every parameter and
on the return), so a newcomer reads a signature instead of the body."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "tl_core"


def unannotated() -> list[str]:
    found = []

    def visit(body: list, path: Path, owner: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, path, f"{node.name}.")
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                public = not node.name.startswith("_") or (owner and node.name == "__init__")
                if not public:
                    continue
                arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                arguments += [a for a in (node.args.vararg, node.args.kwarg) if a is not None]
                bare = [a.arg for a in arguments if a.annotation is None and a.arg not in ("self", "cls")]
                if bare or (node.returns is None and node.name != "__init__"):
                    where = f"{path.relative_to(CORE.parent)}:{node.lineno} {owner}{node.name}"
                    found.append(f"{where} {bare}{' (no return)' if node.returns is None else ''}")

    for path in sorted(CORE.rglob("*.py")):
        visit(ast.parse(path.read_text()).body, path, "")
    return found


def test_every_public_function_of_tl_core_has_type_hints():
    assert unannotated() == []
