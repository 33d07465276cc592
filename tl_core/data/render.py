"""A handwriting-like renderer: KanjiVG strokes drawn the way a person might draw them on the canvas.

Each sample gets its own tilt, slant, size, position and pen width, every stroke is nudged on its own, and
a smooth tremor bends it along its length. The result is a canvas-like RGBA image, which then goes through
exactly the preprocessing a real canvas drawing gets (`canvas_to_input`), so a model cannot tell rendered
samples from drawn ones by how they were normalised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from tl_core.data.preprocess import canvas_to_input
from tl_core.data.strokes import VIEWBOX_SIDE, load_character


@dataclass(frozen=True)
class HandwritingStyle:
    canvas_side: int = 280  # the app's canvas is 280 x 280 px
    size_range: tuple[float, float] = (0.45, 0.85)  # character box side as a fraction of the canvas
    max_rotation_deg: float = 10.0  # whole-character tilt, either way
    max_shear: float = 0.25  # slant: x moves by shear * y
    aspect_jitter: float = 0.12  # x and y scaled independently by 1 +- this
    stroke_offset: float = 0.025  # each stroke displaced by about this fraction of the box
    wobble: float = 0.015  # smooth tremor along a stroke, as a fraction of the box
    wobble_knots: int = 4  # tremor control points per stroke: low = gentle bends, high = shaky
    pen_width_range: tuple[int, int] = (10, 26)  # canvas px; the app's pen is 18
    max_off_centre: float = 0.1  # the character's centre moves by up to this fraction of the canvas


DEFAULT_STYLE = HandwritingStyle()


def render_character(char: str, rng: np.random.Generator, style: HandwritingStyle = DEFAULT_STYLE) -> np.ndarray:
    """One handwriting-like drawing of `char`: (side, side, 4) uint8, black ink on opaque white."""
    return render_strokes(load_character(char).strokes, rng, style)


def render_strokes(
    strokes: tuple[np.ndarray, ...], rng: np.random.Generator, style: HandwritingStyle = DEFAULT_STYLE
) -> np.ndarray:
    side = style.canvas_side
    box_px = side * rng.uniform(*style.size_range)
    transform = _random_affine(rng, style) * (box_px / VIEWBOX_SIDE)
    centre = side / 2 + rng.uniform(-1, 1, size=2) * style.max_off_centre * side
    pen_width = int(rng.integers(style.pen_width_range[0], style.pen_width_range[1] + 1))

    image = Image.new("L", (side, side), 255)  # drawn in grey levels, handed out as RGBA like the canvas
    draw = ImageDraw.Draw(image)
    for stroke in strokes:
        points = (stroke - VIEWBOX_SIDE / 2) @ transform.T + centre
        points = points + rng.normal(0.0, style.stroke_offset * box_px, size=2)
        points = points + _tremor(len(points), rng, style) * box_px
        _draw_polyline(draw, points, pen_width)
    grey = np.asarray(image)
    return np.dstack([grey, grey, grey, np.full_like(grey, 255)])


EVAL_STREAM = 1  # evaluation renders draw from their own random stream, disjoint from training renders


def render_samples(
    chars: list[str],
    n_per_class: int,
    seed: int,
    style: HandwritingStyle = DEFAULT_STYLE,
    stream: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`n_per_class` model inputs per character: X (N, 28, 28) float32, y (N,) int (index into `chars`).

    Sample i of class c depends only on (seed, c, i), so asking for more samples keeps the first ones.
    With `stream=EVAL_STREAM` the generator is seeded with (seed, c, i, stream): a different seed sequence,
    so evaluation renders never coincide with training renders of any seed.
    """
    images, labels = [], []
    for class_index, char in enumerate(chars):
        for sample_index in range(n_per_class):
            entropy = [seed, class_index, sample_index] + ([] if stream is None else [stream])
            rng = np.random.default_rng(entropy)
            images.append(canvas_to_input(render_character(char, rng, style)))
            labels.append(class_index)
    x = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    return x, np.asarray(labels, dtype=np.int64)


def _random_affine(rng: np.random.Generator, style: HandwritingStyle) -> np.ndarray:
    angle = np.deg2rad(rng.uniform(-style.max_rotation_deg, style.max_rotation_deg))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-style.max_shear, style.max_shear)], [0.0, 1.0]])
    aspect = np.diag(1.0 + rng.uniform(-style.aspect_jitter, style.aspect_jitter, size=2))
    return rotation @ shear @ aspect


def _tremor(n_points: int, rng: np.random.Generator, style: HandwritingStyle) -> np.ndarray:
    """A smooth random displacement along a stroke, (n_points, 2), in units of the character box."""
    knots = rng.normal(0.0, style.wobble, size=(style.wobble_knots, 2))
    along = np.linspace(0.0, 1.0, n_points)
    knot_positions = np.linspace(0.0, 1.0, style.wobble_knots)
    return np.stack([np.interp(along, knot_positions, knots[:, axis]) for axis in range(2)], axis=1)


def _draw_polyline(draw: ImageDraw.ImageDraw, points: np.ndarray, width: int) -> None:
    """A round-capped pen stroke, like the canvas's free-drawing brush."""
    coordinates = [tuple(point) for point in points.tolist()]
    draw.line(coordinates, fill=0, width=width)
    radius = width / 2
    # A dab at every point rounds the joints and caps the way a real brush does.
    for x, y in coordinates:
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
