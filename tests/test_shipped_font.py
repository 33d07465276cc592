"""The Japanese font the app ships covers every character it shows, and Streamlit is told to serve it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from tl_core.data.charsets import CHARSETS

ROOT = Path(__file__).resolve().parents[1]
FONTS = sorted((ROOT / "static" / "fonts").glob("NotoSansJP-*.woff2"))


def test_both_weights_and_the_licence_are_shipped():
    assert [font.name for font in FONTS] == ["NotoSansJP-Bold.woff2", "NotoSansJP-Regular.woff2"]
    assert "SIL OPEN FONT LICENSE Version 1.1" in (ROOT / "static" / "fonts" / "LICENSE-NotoSansJP.txt").read_text()


@pytest.mark.parametrize("path", FONTS, ids=lambda path: path.name)
def test_every_built_in_character_and_all_kana_have_a_glyph(path):
    covered = set(TTFont(path)["cmap"].getBestCmap())
    needed = {ord(label) for charset in CHARSETS.values() for label in charset.labels if ord(label) >= 0x3000}
    needed |= {ord(c) for c in "がぱゃっゎゔヴァッー、。「」（）"}  # voiced, small kana, punctuation: user labels
    assert needed - covered == set()


def test_streamlit_serves_the_font_and_uses_it_after_its_own():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    faces = config["theme"]["fontFaces"]
    assert {face["url"] for face in faces} == {f"app/static/fonts/{font.name}" for font in FONTS}
    family = faces[0]["family"]
    assert config["theme"]["font"].split(", ") == ["Source Sans", family]  # Latin in Streamlit's own font
