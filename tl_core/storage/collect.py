"""Collecting labelled samples: from a canvas drawing, or auto-filled from the handwriting renderer."""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

from tl_core.data.png import encode_png
from tl_core.data.preprocess import canvas_to_input
from tl_core.data.render import render_character
from tl_core.data.strokes import has_strokes
from tl_core.storage.contents import Workspace

# Progress callback: (classes done, classes in all).
ProgressCallback = Callable[[int, int], None]


def add_drawing(workspace: Workspace, label: str, rgba: np.ndarray) -> int:
    """Store a canvas drawing as a sample of `label`. Raises EmptyDrawingError / ValueError for bad input."""
    model_input = canvas_to_input(rgba)  # validates size and type before anything is stored
    return workspace.add_sample(label, model_input, encode_png(rgba), source="drawn")


def drawable_labels(labels: list[str]) -> list[str]:
    """Labels the renderer can draw: single characters with KanjiVG strokes."""
    return [label for label in labels if has_strokes(label)]


def autofill(workspace: Workspace, per_class: int, progress: ProgressCallback | None = None) -> dict[str, int]:
    """Render `per_class` new samples for every class the renderer can draw; returns how many per class.

    Each call draws fresh samples: the seed comes from the workspace name and how many rendered samples
    it already holds, so the result is repeatable for a given workspace state but never repeats a sample.
    """
    labels = drawable_labels(workspace.classes())
    already = sum(1 for sample in workspace.samples() if sample.source == "rendered")
    seed = zlib.crc32(workspace.name.encode()) + already
    items = []
    for done, label in enumerate(labels):
        for index in range(per_class):
            drawing = render_character(label, np.random.default_rng([seed, done, index]))
            items.append((label, canvas_to_input(drawing), encode_png(drawing), "rendered"))
        if progress:
            progress(done + 1, len(labels))
    workspace.add_samples(items)
    return {label: per_class for label in labels}
