"""The code keeps ruff's default formatting: `# fmt: skip` only where a table of data reads better aligned by hand
(the character sets and the digit-style stroke templates), nowhere else."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_TABLES = {"tl_core/data/charsets.py", "tl_core/data/digit_styles.py"}


def formatting_escapes() -> list[str]:
    found = []
    for folder in ("tl_core", "ui", "pages", "benchmarks", "tools", "tests"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if ("fmt: skip" in line or "fmt: off" in line) and name not in DATA_TABLES and path != Path(__file__):
                    found.append(f"{name}:{number}")
    for name in ("app.py",):
        if "fmt: skip" in (ROOT / name).read_text():
            found.append(name)
    return found


def test_no_formatting_escape_outside_tables_of_data():
    assert formatting_escapes() == []
