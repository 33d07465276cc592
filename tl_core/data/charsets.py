"""Built-in character sets: scripts the digit models never saw, all drawable from KanjiVG strokes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tl_core.data.render import DEFAULT_STYLE, HandwritingStyle, render_samples


@dataclass(frozen=True)
class Charset:
    name: str
    title: str
    labels: tuple[str, ...]
    description: str


_HIRAGANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン"
# JLPT N5 kanji (the usual list of about 80 taught first).
_N5_KANJI = (
    "一二三四五六七八九十百千万円日月火水木金土年時分半今何人男女子父母友先生学校本山川田天気雨花"
    "上下左右中外前後東西南北大小長高安新古白名見行来出入食飲言話読書聞休"
)

CHARSETS: dict[str, Charset] = {
    charset.name: charset
    for charset in (
        Charset("hiragana", "Hiragana (46)", tuple(_HIRAGANA), "The 46 basic Japanese hiragana."),
        Charset("katakana", "Katakana (46)", tuple(_KATAKANA), "The 46 basic Japanese katakana."),
        Charset(
            "kanji-numerals",
            "Kanji numerals (10)",
            tuple("一二三四五六七八九十"),
            "一 to 十: very distinct shapes; with 20 samples each, scratch reads them as well as transfer does.",
        ),  # fmt: skip
        Charset("jlpt-n5", f"JLPT N5 kanji ({len(_N5_KANJI)})", tuple(_N5_KANJI), "The first kanji learners meet."),
        Charset("latin-upper", "Latin capitals (26)", tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), "A to Z."),
        Charset("latin-lower", "Latin lowercase (26)", tuple("abcdefghijklmnopqrstuvwxyz"), "a to z."),
        Charset("digits", "Digits (10)", tuple("0123456789"), "Sanity check: the pretrained models read these."),
    )
}
DEFAULT_CHARSET = "hiragana"  # many classes, few shots: where transfer visibly helps


def list_charsets() -> list[dict]:
    return [
        {"name": c.name, "title": c.title, "labels": list(c.labels), "description": c.description}
        for c in CHARSETS.values()
    ]


def get_charset(name: str) -> Charset:
    if name not in CHARSETS:
        raise ValueError(f"Unknown character set {name!r}; choose one of {', '.join(CHARSETS)}.")
    return CHARSETS[name]


def render_charset(
    name: str, n_per_class: int, seed: int, style: HandwritingStyle = DEFAULT_STYLE
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """`n_per_class` rendered samples of every character: X (N, 28, 28) float32, y (N,) int, labels."""
    if n_per_class < 0:
        raise ValueError("n_per_class must be zero or more.")
    labels = list(get_charset(name).labels)
    x, y = render_samples(labels, n_per_class, seed, style)
    return x, y, labels
