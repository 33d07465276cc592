"""Stroke data of characters, read from the KanjiVG SVGs that the `kanjivg` package ships.

KanjiVG draws every character in a 109 x 109 box as an ordered list of strokes (SVG paths), with a
position for each stroke's number. Licence: CC BY-SA 3.0, (c) Ulrich Apel and the KanjiVG contributors.
"""

from __future__ import annotations

import functools
import importlib.metadata
import math
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from svg.path import Move, parse_path

VIEWBOX_SIDE = 109.0  # KanjiVG's coordinate box
POINT_SPACING = 1.0  # sample a stroke about every unit of the 109-unit box (~2.6 px on a 280 px canvas)
KANJIVG_ATTRIBUTION = "Character strokes from KanjiVG (kanjivg.tagaini.net), (c) Ulrich Apel, CC BY-SA 3.0."
_STROKE_ID = re.compile(r"-s(\d+)$")


@dataclass(frozen=True)
class StrokeCharacter:
    char: str
    strokes: tuple[np.ndarray, ...]  # in writing order; each (n_points, 2) as (x, y) in the 109-unit box
    number_positions: tuple[tuple[float, float], ...]  # where KanjiVG prints each stroke's number


@functools.cache
def kanjivg_dir() -> Path:
    """`site-packages/kanji/`, where the `kanjivg` wheel installs one SVG per character."""
    return Path(importlib.metadata.distribution("kanjivg").locate_file("kanji"))


def svg_path(char: str) -> Path:
    if len(char) != 1:
        raise ValueError(f"Expected a single character, got {char!r}.")
    return kanjivg_dir() / f"{ord(char):05x}.svg"


def has_strokes(char: str) -> bool:
    return len(char) == 1 and svg_path(char).is_file()


@functools.lru_cache(maxsize=4096)
def load_character(char: str) -> StrokeCharacter:
    """The strokes of one character (the main form; KanjiVG's `-Variant` files are never read)."""
    path = svg_path(char)
    if not path.is_file():
        raise KeyError(f"KanjiVG has no strokes for {char!r}.")
    root = ElementTree.parse(path).getroot()
    numbered = []
    for element in root.iter():
        if element.tag.endswith("path") and (match := _STROKE_ID.search(element.get("id", ""))):
            numbered.append((int(match.group(1)), _sample_path(element.get("d"))))
    strokes = tuple(points for _, points in sorted(numbered, key=lambda item: item[0]))
    positions = tuple(
        _text_position(element.get("transform", "")) for element in root.iter() if element.tag.endswith("text")
    )
    return StrokeCharacter(char=char, strokes=strokes, number_positions=positions)


def _sample_path(d: str) -> np.ndarray:
    """Points along an SVG path, evenly enough for drawing it as a polyline."""
    pieces = []
    for segment in parse_path(d):
        if isinstance(segment, Move):
            continue
        count = max(2, math.ceil(segment.length(error=1e-3) / POINT_SPACING) + 1)
        pieces.append(np.array([segment.point(t) for t in np.linspace(0.0, 1.0, count)]))
    points = np.concatenate(pieces)
    return np.stack([points.real, points.imag], axis=1)


def _text_position(transform: str) -> tuple[float, float]:
    # KanjiVG writes stroke numbers as transform="matrix(1 0 0 1 X Y)".
    numbers = re.findall(r"-?\d+(?:\.\d+)?", transform)
    return (float(numbers[-2]), float(numbers[-1])) if len(numbers) >= 2 else (0.0, 0.0)


def stroke_order_picture(char: str, side: int = 220) -> np.ndarray:
    """A hint for drawing `char`: its strokes from light to dark in writing order, each numbered where it
    starts (KanjiVG's number positions). (side, side, 3) uint8."""
    from PIL import Image, ImageDraw, ImageFont

    character = load_character(char)
    scale = side / VIEWBOX_SIDE
    image = Image.new("RGB", (side, side), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(10, side // 16))
    count = len(character.strokes)
    for index, stroke in enumerate(character.strokes):
        shade = int(170 - 150 * index / max(1, count - 1))  # later strokes darker
        points = [tuple(point) for point in (stroke * scale).tolist()]
        draw.line(points, fill=(shade, shade, 255 - shade // 3), width=max(2, side // 40), joint="curve")
        start_x, start_y = points[0]
        draw.ellipse((start_x - 3, start_y - 3, start_x + 3, start_y + 3), fill=(228, 87, 46))
    for number, (x, y) in enumerate(character.number_positions, start=1):
        draw.text((x * scale, y * scale), str(number), fill=(228, 87, 46), font=font, anchor="ls")
    return np.asarray(image)
