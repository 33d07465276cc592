"""Make the Japanese font the app ships: Noto Sans CJK JP, cut down to the characters the app shows.

    .venv/bin/python tools/subset_japanese_font.py FONTS_DIR    (or: make font)

FONTS_DIR holds Debian's `fonts-noto-cjk` files (`NotoSansCJK-Regular.ttc`, `NotoSansCJK-Bold.ttc`);
`make font` downloads that package and runs this. The result, `static/fonts/NotoSansJP-{Regular,Bold}.woff2`
(and the OFL licence beside it), is committed: the app serves it itself, so a lab PC or a fresh Linux image
with no Japanese font shows hiragana, katakana and kanji as glyphs, not as empty boxes, with no network.

Kept: every character of the built-in character sets, the whole hiragana and katakana blocks (voiced and
small kana, which users type as their own labels), CJK punctuation and full-width forms. Latin is left
out on purpose: Streamlit's own Source Sans draws it, and this font is only the fallback for what it lacks.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT_DIR = ROOT / "static" / "fonts"
JAPANESE_FACE_INDEX = 0  # in Noto's CJK collections the first face is the Japanese one ("Noto Sans CJK JP")
BLOCKS = (
    range(0x3000, 0x3040),  # CJK symbols and punctuation
    range(0x3040, 0x30A0),  # hiragana
    range(0x30A0, 0x3100),  # katakana
    range(0xFF01, 0xFF61),  # full-width forms
)
WEIGHTS = {"Regular": "NotoSansCJK-Regular.ttc", "Bold": "NotoSansCJK-Bold.ttc"}


def characters_to_keep() -> str:
    from tl_core.data.charsets import CHARSETS

    kept = {chr(code) for block in BLOCKS for code in block}
    kept |= {label for charset in CHARSETS.values() for label in charset.labels if ord(label) >= 0x3000}
    return "".join(sorted(kept))


def subset(source: Path, target: Path, characters: str) -> None:
    from fontTools import subset as fonttools_subset
    from fontTools.ttLib import TTCollection

    font = TTCollection(str(source)).fonts[JAPANESE_FACE_INDEX]
    options = fonttools_subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]  # keep vertical forms and kerning; they cost little at this size
    options.name_IDs = ["*"]  # keep the licence and copyright names
    subsetter = fonttools_subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    font.flavor = "woff2"
    font.recalcTimestamp = False  # the same input gives the same file, byte for byte
    target.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(target))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fonts_dir", type=Path, help="folder with NotoSansCJK-Regular.ttc and -Bold.ttc")
    parser.add_argument("--debian-copyright", type=Path, help="the package's copyright file (holds the OFL text)")
    arguments = parser.parse_args()
    characters = characters_to_keep()
    for weight, file_name in WEIGHTS.items():
        target = OUT_DIR / f"NotoSansJP-{weight}.woff2"
        subset(arguments.fonts_dir / file_name, target, characters)
        print(f"{target.relative_to(ROOT)}: {len(characters)} characters, {target.stat().st_size / 1024:.0f} kB")
    if arguments.debian_copyright:
        licence = OUT_DIR / "LICENSE-NotoSansJP.txt"
        licence.write_text(ofl_text(arguments.debian_copyright.read_text()))
        print(f"{licence.relative_to(ROOT)}: the SIL Open Font License 1.1 the font comes under")


def ofl_text(debian_copyright: str) -> str:
    """The licence to ship beside the font: Google's copyright line and the OFL's text, from Debian's file."""
    stanzas = debian_copyright.split("\n\n")
    text = next(s for s in stanzas if s.startswith("License: SIL-1.1\n"))  # the stanza that holds the text
    body = [line[1:] if line != " ." else "" for line in text.splitlines()[1:]]
    return (
        "Noto Sans CJK JP (a subset: static/fonts/NotoSansJP-*.woff2, made by tools/subset_japanese_font.py)\n"
        "Copyright 2014-2021 Adobe (http://www.adobe.com/), with Reserved Font Name 'Source'.\n"
        "Source: https://github.com/googlefonts/noto-cjk, via Debian's fonts-noto-cjk package.\n\n"
        "SIL Open Font License, Version 1.1\n\n" + "\n".join(body) + "\n"
    )


if __name__ == "__main__":
    main()
