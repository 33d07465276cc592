"""The README's "What is here" table matches the tree: every path it names exists, and every part of tl_core
and every module in it is named in its row (a newcomer reads the table to find where a thing lives)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "tl_core"


def layout_rows() -> dict[str, str]:
    """Path -> what the table says it holds."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## What is here") :]
    section = section[: section.index("\n\n", section.index("| path |"))]
    return dict(re.findall(r"^\| `([^`]+)` \| (.+) \|$", section, re.MULTILINE))


def named(text: str) -> set[str]:
    return set(re.findall(r"`([^`]+)`", text))


def test_every_path_in_the_table_exists():
    rows = layout_rows()
    assert len(rows) >= 10
    missing = [path for path in rows if not (ROOT / path).exists()]
    assert missing == []


def test_every_part_of_tl_core_and_every_module_in_it_is_in_the_table():
    rows = layout_rows()
    parts = sorted(p for p in CORE.iterdir() if (p / "__init__.py").exists())
    assert [f"tl_core/{p.name}/" for p in parts if f"tl_core/{p.name}/" not in rows] == []
    unnamed = []
    for part in parts:
        modules = {m.stem for m in part.glob("*.py") if m.stem != "__init__"}
        unnamed += [f"{part.name}/{m}" for m in sorted(modules - named(rows[f"tl_core/{part.name}/"]))]
    root_modules = {m.stem for m in CORE.glob("*.py") if m.stem != "__init__"}
    unnamed += sorted(root_modules - named(rows["tl_core/"]))
    assert unnamed == []


def test_every_top_level_folder_with_code_is_in_the_table():
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and any(p.glob("*.py")) and not p.name.startswith(".")}
    listed = {path.split("/")[0] for path in layout_rows()}
    assert folders - listed <= {"tools"}  # tools/ holds one script, named in the static/fonts row
