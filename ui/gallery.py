"""Thumbnails of collected samples."""

from __future__ import annotations

import numpy as np


def montage(images: list[np.ndarray], columns: int, cell: int = 28, gap: int = 2) -> np.ndarray:
    """Up to `columns` 28x28 images side by side on a grey strip, as one uint8 picture."""
    strip = np.full((cell, columns * (cell + gap) - gap), 60, np.uint8)
    for index, image in enumerate(images[:columns]):
        left = index * (cell + gap)
        strip[:, left : left + cell] = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    return strip
