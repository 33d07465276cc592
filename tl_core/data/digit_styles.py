"""The common ways people write each digit, as stroke templates in two independent families.

MNIST was written by American Census staff and students: its 1 is a bare stroke and its 7 has no bar, so a
model trained on it alone reads a European or Japanese "1 with a flag" as a 7. This module names the styles a
digit model should read (a 1 plain, with a flag, with a flag and a base; a 7 plain, crossed, with a hook; ...)
and draws each from stroke templates, through the same handwriting renderer as the character sets.

There are two families of templates, authored separately with different proportions and constructions:
- `PRETRAINING`: may be mixed into a digit model's training data;
- `HELD_OUT`: only ever used to measure (`benchmarks/drawn_digits.py`), so a model's per-style accuracy is
  on shapes no training saw, not the training generator with another seed.

Coordinates are KanjiVG's 109-unit box (y grows downwards), so templates render exactly like KanjiVG strokes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass

import numpy as np

from tl_core.data.render import HandwritingStyle, render_strokes
from tl_core.data.strokes import POINT_SPACING

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

Stroke = np.ndarray  # (N, 2) points in the 109-unit box
Template = tuple[Stroke, ...]


@dataclass(frozen=True)
class DigitStyle:
    name: str  # e.g. "1-flag"
    digit: int
    description: str  # for the cards and the zoo page


STYLES = (
    DigitStyle("1-plain", 1, "1 as a bare stroke"),
    DigitStyle("1-flag", 1, "1 with a flag"),
    DigitStyle("1-flag-base", 1, "1 with a flag and a base"),
    DigitStyle("7-plain", 7, "7 plain"),
    DigitStyle("7-crossed", 7, "7 crossed"),
    DigitStyle("7-hook", 7, "7 with a hook"),
    DigitStyle("4-closed", 4, "4 closed"),
    DigitStyle("4-open", 4, "4 open"),
    DigitStyle("2-plain", 2, "2 without a loop"),
    DigitStyle("2-loop", 2, "2 with a loop"),
    DigitStyle("6-straight", 6, "6 with a straight stem"),
    DigitStyle("6-curved", 6, "6 with a curved stem"),
    DigitStyle("9-straight", 9, "9 with a straight stem"),
    DigitStyle("9-curved", 9, "9 with a curved stem"),
    DigitStyle("8-one-stroke", 8, "8 in one stroke"),
    DigitStyle("8-two-loops", 8, "8 as two loops"),
    DigitStyle("0-oval", 0, "0 oval"),
    DigitStyle("0-round", 0, "0 round"),
    DigitStyle("3-round-top", 3, "3 with a round top"),
    DigitStyle("3-flat-top", 3, "3 with a flat top"),
    DigitStyle("5-one-stroke", 5, "5 in one stroke"),
    DigitStyle("5-two-strokes", 5, "5 in two strokes"),
)
STYLE_NAMES = tuple(style.name for style in STYLES)
STYLE_DESCRIPTIONS = {style.name: style.description for style in STYLES}

# The held-out drawings are harder than the training renders: more tilt, slant, squash, stroke offset and tremor
# (a perfect score on gentle renders of shapes the same author drew would flatter); pens around the app's 18 px.
# Pretraining renders at least as varied (wider tilt, slant and pens): they teach a style, not one outline.
PRETRAINING_PEN = HandwritingStyle(
    pen_width_range=(10, 26), max_rotation_deg=18.0, max_shear=0.4, aspect_jitter=0.22, stroke_offset=0.045, wobble=0.03
)
HELD_OUT_PEN = HandwritingStyle(
    pen_width_range=(12, 24), max_rotation_deg=15.0, max_shear=0.35, aspect_jitter=0.2, stroke_offset=0.04, wobble=0.03
)


# --- building blocks ---------------------------------------------------------------------------------------
def _line(*points: tuple[float, float]) -> Stroke:
    """A polyline through `points`, sampled about every POINT_SPACING units like a KanjiVG stroke."""
    corners = np.asarray(points, dtype=np.float64)
    pieces = []
    for start, end in zip(corners[:-1], corners[1:], strict=True):
        steps = max(2, int(np.hypot(*(end - start)) / POINT_SPACING))
        pieces.append(start + (end - start) * np.linspace(0, 1, steps, endpoint=False)[:, None])
    return np.vstack([*pieces, corners[-1:]])


def _arc(centre: tuple[float, float], radii: tuple[float, float], start_deg: float, end_deg: float) -> Stroke:
    """An elliptic arc; angles in degrees with 0 to the right and 90 at the bottom (y grows downwards)."""
    length = abs(np.radians(end_deg - start_deg)) * (radii[0] + radii[1]) / 2
    angles = np.radians(np.linspace(start_deg, end_deg, max(3, int(length / POINT_SPACING))))
    return np.column_stack([centre[0] + radii[0] * np.cos(angles), centre[1] + radii[1] * np.sin(angles)])


def _join(*parts: Stroke) -> Stroke:
    """One stroke made of consecutive parts (the pen does not lift between them)."""
    return np.vstack(parts)


def _eight(centre: tuple[float, float], half_width: float, half_height: float, turn: float = 1.0) -> Stroke:
    """A figure eight in one stroke, from the top, crossing itself in the middle."""
    t = np.linspace(0, 2 * np.pi, int(8 * (half_width + half_height) / POINT_SPACING))
    return np.column_stack([centre[0] + turn * half_width * np.sin(2 * t) / 1.6, centre[1] - half_height * np.cos(t)])


# --- the two families ----------------------------------------------------------------------------------------
PRETRAINING: dict[str, Template] = {
    "1-plain": (_line((55, 12), (52, 98)),),
    "1-flag": (_line((36, 32), (57, 12), (53, 98)),),
    "1-flag-base": (_line((36, 32), (57, 12), (53, 96)), _line((34, 97), (74, 97))),
    "7-plain": (_line((27, 15), (80, 15), (44, 98)),),
    "7-crossed": (_line((27, 15), (80, 15), (44, 98)), _line((38, 58), (74, 55))),
    "7-hook": (_line((28, 30), (28, 15), (80, 15), (44, 98)),),
    "4-closed": (_line((60, 12), (22, 66), (84, 66)), _line((62, 12), (62, 98))),
    "4-open": (_line((34, 12), (27, 62), (82, 62)), _line((64, 28), (64, 98))),
    "2-plain": (_join(_arc((54, 35), (25, 22), 200, 380), _line((77, 43), (25, 95), (86, 95))),),
    "2-loop": (
        _join(
            _arc((54, 35), (25, 22), 200, 380),
            _line((77, 43), (34, 90)),
            _arc((30, 86), (8, 7), 30, 390),
            _line((37, 89), (86, 94)),
        ),
    ),  # fmt: skip
    "6-straight": (_join(_line((68, 10), (33, 66)), _arc((52, 75), (20, 21), 200, -160)),),
    "6-curved": (_join(_arc((66, 58), (34, 46), 285, 175), _arc((53, 76), (21, 21), 180, -180)),),
    "9-straight": (_join(_arc((50, 32), (21, 20), 0, -360), _line((71, 32), (66, 98))),),
    "9-curved": (_join(_arc((50, 32), (21, 20), 0, -360), _arc((28, 36), (43, 60), 0, 85)),),
    "8-one-stroke": (_eight((55, 55), 30, 43),),
    "8-two-loops": (_arc((55, 33), (18, 19), -90, 270), _arc((55, 75), (23, 22), -90, 270)),
    "0-oval": (_arc((55, 55), (22, 43), -90, -450),),
    "0-round": (_arc((55, 55), (34, 34), -80, -440),),
    "3-round-top": (_join(_arc((52, 32), (22, 20), 200, 450), _arc((52, 74), (26, 22), -90, 160)),),
    "3-flat-top": (_join(_line((28, 14), (76, 14), (50, 44)), _arc((50, 70), (27, 26), -90, 150)),),
    "5-one-stroke": (_join(_line((76, 16), (36, 16), (32, 50)), _arc((50, 70), (24, 24), 215, 500)),),
    "5-two-strokes": (_join(_line((36, 16), (32, 50)), _arc((50, 70), (24, 24), 215, 500)), _line((36, 16), (76, 16))),
}

# Authored apart from PRETRAINING: other proportions (narrow and wide, tall and squat), other flag angles and
# loop sizes, curves where PRETRAINING has corners and the reverse.
HELD_OUT: dict[str, Template] = {
    "1-plain": (_join(_line((50, 14), (51, 60)), _arc((39, 60), (12, 36), 0, 28)),),
    "1-flag": (_line((42, 24), (60, 8), (60, 100)),),
    "1-flag-base": (_line((44, 26), (56, 10), (56, 92)), _line((40, 93), (70, 93))),
    "7-plain": (_join(_line((32, 20), (76, 18)), _arc((30, 24), (46, 76), -5, 60)),),
    "7-crossed": (_line((30, 18), (78, 20), (52, 100)), _line((50, 54), (80, 54))),
    "7-hook": (_join(_arc((36, 24), (6, 8), 160, 270), _line((36, 16), (78, 18), (54, 96))),),
    "4-closed": (_line((55, 14), (30, 72), (80, 74)), _line((55, 14), (58, 100))),
    "4-open": (_join(_line((30, 18), (33, 70)), _line((33, 70), (78, 66))), _line((60, 36), (62, 100))),
    "2-plain": (_join(_arc((50, 36), (20, 26), 190, 400), _line((67, 53), (30, 90), (30, 94), (78, 92))),),
    "2-loop": (
        _join(
            _arc((50, 34), (22, 24), 185, 385),
            _line((70, 42), (40, 86)),
            _arc((36, 88), (6, 6), 0, 360),
            _arc((60, 80), (24, 12), 150, 90),
        ),
    ),  # fmt: skip
    "6-straight": (_join(_line((60, 10), (38, 60)), _arc((53, 74), (17, 24), 210, -150)),),
    "6-curved": (_join(_arc((70, 64), (38, 54), 265, 170), _arc((52, 80), (19, 17), 170, -190)),),
    "9-straight": (_join(_arc((52, 30), (17, 18), 20, -340), _line((68, 24), (62, 100))),),
    "9-curved": (_join(_arc((48, 34), (22, 17), -10, -370), _arc((40, 30), (30, 66), 0, 95)),),
    "8-one-stroke": (_eight((55, 54), 24, 46, turn=-1.0),),
    "8-two-loops": (_arc((57, 30), (14, 16), 0, 360), _arc((54, 72), (20, 26), 0, 360)),
    "0-oval": (_arc((55, 55), (18, 46), -100, 255),),
    "0-round": (_arc((55, 55), (38, 36), -120, 240),),
    "3-round-top": (_join(_arc((54, 30), (18, 16), 180, 450), _arc((54, 72), (24, 28), -100, 145)),),
    "3-flat-top": (_join(_line((30, 18), (74, 18), (46, 48)), _arc((48, 72), (22, 24), -80, 160)),),
    "5-one-stroke": (_join(_line((70, 12), (40, 14), (38, 46)), _arc((52, 68), (22, 28), 225, 510)),),
    "5-two-strokes": (_join(_line((40, 14), (38, 46)), _arc((52, 68), (22, 28), 225, 510)), _line((40, 14), (74, 12))),
}

FAMILIES = {"pretraining": PRETRAINING, "held-out": HELD_OUT}


def render_style(
    name: str, count: int, seed: int, family: str = "held-out", pen: HandwritingStyle | None = None
) -> list[np.ndarray]:
    """`count` canvas-like drawings (280, 280, 4) of one style from one family's template."""
    template = FAMILIES[family][name]
    pen = pen or (HELD_OUT_PEN if family == "held-out" else PRETRAINING_PEN)
    rng = np.random.default_rng([seed, STYLE_NAMES.index(name), list(FAMILIES).index(family)])
    return [render_strokes(template, rng, pen) for _ in range(count)]


def style_samples(
    count_per_style: int, seed: int, family: str = "held-out"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model inputs for every style: X (N, 28, 28) float32, y (N,) digit, style index (N,) into STYLES."""
    from tl_core.data.preprocess import canvas_to_input

    images, digits, styles = [], [], []
    for index, style in enumerate(STYLES):
        for drawing in render_style(style.name, count_per_style, seed, family):
            images.append(canvas_to_input(drawing))
            digits.append(style.digit)
            styles.append(index)
    return np.stack(images).astype(np.float32), np.array(digits), np.array(styles)


# --- measuring a model ----------------------------------------------------------------------------------------
STYLE_EVAL_PER_STYLE = 100  # held-out drawings per style on a card: 2,200 in all, a style's accuracy to +-2-5 %
STYLE_EVAL_SEED = 7  # the cards' and the benchmark's drawings; tests use other seeds
READS_STYLE_AT = 0.95  # a model "reads" a style from this accuracy on (issue 14's per-style target)


@dataclass(frozen=True)
class StyleAccuracy:
    """How well one model reads each style, on held-out template drawings."""

    per_style: dict[str, float]  # style name -> accuracy
    all_styles: float
    drawings_per_style: int
    seed: int

    @property
    def misread(self) -> list[str]:
        """Styles read less often than READS_STYLE_AT, worst first."""
        return sorted(
            (name for name, value in self.per_style.items() if value < READS_STYLE_AT), key=self.per_style.get
        )

    def to_card(self) -> dict:
        return {
            "accuracy": self.per_style,
            "all_styles": self.all_styles,
            "drawings_per_style": self.drawings_per_style,
            "seed": self.seed,
            "templates": "held-out templates of tl_core.data.digit_styles (never used in training)",
        }

    @classmethod
    def from_card(cls, block: dict) -> StyleAccuracy:
        return cls(block["accuracy"], block["all_styles"], block["drawings_per_style"], block["seed"])


def measure_styles(
    model: Model, per_style: int = STYLE_EVAL_PER_STYLE, seed: int = STYLE_EVAL_SEED, samples: tuple | None = None
) -> StyleAccuracy:
    """Accuracy of a digit model (inputs (N, 28, 28, 1), 10 outputs) on every style's held-out drawings.

    `samples`: `style_samples(per_style, seed)` already rendered, when several models are measured on them.
    """
    x, y, style_index = samples if samples is not None else style_samples(per_style, seed, family="held-out")
    predicted = np.asarray(model.predict(x[..., None], batch_size=256, verbose=0)).argmax(axis=1)
    per_style_accuracy = {
        style.name: float(np.mean(predicted[style_index == index] == y[style_index == index]))
        for index, style in enumerate(STYLES)
    }
    return StyleAccuracy(per_style_accuracy, float(np.mean(predicted == y)), per_style, seed)
