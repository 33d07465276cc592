"""The code keeps ruff's default formatting: `# fmt: skip` only where a table of data reads better laid out by
hand: the character sets and the digit-style stroke templates, and module-level tables of constants (such as a
test's list of cases), nowhere else."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_TABLES = {"tl_core/data/charsets.py", "tl_core/data/digit_styles.py"}  # tables built of constructor calls
ESCAPES = ("fmt: skip", "fmt: off")


def constant_tables(tree: ast.Module) -> set[int]:
    """Last lines of module-level assignments whose value is a literal of constants (a table of data)."""
    ends = set()
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            try:
                ast.literal_eval(node.value)
            except ValueError:
                continue
            ends.add(node.end_lineno)
    return ends


def formatting_escapes() -> list[str]:
    found = []
    paths = [ROOT / "app.py"] + [
        p
        for folder in ("tl_core", "ui", "pages", "benchmarks", "tools", "tests")
        for p in sorted((ROOT / folder).rglob("*.py"))
    ]
    for path in paths:
        name = str(path.relative_to(ROOT))
        text = path.read_text()
        if name in DATA_TABLES or path == Path(__file__) or not any(escape in text for escape in ESCAPES):
            continue
        tables = constant_tables(ast.parse(text))
        for number, line in enumerate(text.splitlines(), 1):
            if any(escape in line for escape in ESCAPES) and number not in tables:
                found.append(f"{name}:{number}")
    return found


def test_the_check_accepts_a_table_of_constants_and_nothing_else():
    tree = ast.parse('CASES = [\n    "a", "b",\n]\nSIZE = len(CASES)\n')
    assert constant_tables(tree) == {3}


def test_no_formatting_escape_outside_tables_of_data():
    assert formatting_escapes() == []
