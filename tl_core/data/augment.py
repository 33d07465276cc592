"""Augmentation that makes scanned MNIST digits look like the varied drawings people make on a canvas.

Users draw with a round pen at any size, slant and position. Each augmented digit is upsampled, tilted,
slanted and stretched, often redrawn as solid, even ink (as a canvas pen draws), its strokes thickened or
thinned (the pen width relative to the digit changes with how big people draw), and then put through the
same MNIST normalisation as a canvas drawing, plus a small whole-pixel shift.
Seeded: the same generator state gives the same batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from tl_core.data.preprocess import EmptyDrawingError, mnist_normalize


@dataclass(frozen=True)
class DigitAugment:
    probability: float = 0.85  # share of digits augmented; the rest are seen as scanned
    upsample: int = 3  # work at 84 x 84 so stroke width changes in steps of a third of a model pixel
    max_rotation_deg: float = 12.0  # tilt either way
    max_shear: float = 0.3  # slant: x moves by shear * y
    aspect_jitter: float = 0.15  # x and y scaled independently by 1 +- this
    pen_radius_range: tuple[int, int] = (-1, 3)  # grey erosion (<0) or dilation (>0) radius, upsampled px
    pen_probability: float = 0.5  # share redrawn as a solid, even-width pen stroke, as the canvas draws
    pen_threshold: float = 0.35  # ink level that becomes pen when redrawing
    max_shift_px: int = 1  # whole-pixel shift after normalising, either way on each axis

    def describe(self) -> dict:
        return {
            "probability": self.probability,
            "rotation_deg": self.max_rotation_deg,
            "shear": self.max_shear,
            "aspect_jitter": self.aspect_jitter,
            "pen_width_change_px": [r * 2 / self.upsample for r in self.pen_radius_range],
            "shift_px": self.max_shift_px,
            "solid_pen_probability": self.pen_probability,
        }


def augment_digits(images: np.ndarray, rng: np.random.Generator, config: DigitAugment = DigitAugment()) -> np.ndarray:
    """(N, 28, 28) float32 digits -> augmented copies of the same shape."""
    out = np.empty_like(images, dtype=np.float32)
    for index, image in enumerate(images):
        out[index] = _augment_one(image, rng, config) if rng.random() < config.probability else image
    return out


def _augment_one(image: np.ndarray, rng: np.random.Generator, config: DigitAugment) -> np.ndarray:
    big = ndimage.zoom(image, config.upsample, order=1)
    warped = _random_warp(big, rng, config)
    if rng.random() < config.pen_probability:
        # Scans have soft, uneven strokes; a canvas pen is solid and even. Redraw the digit as solid ink.
        warped = (warped > config.pen_threshold).astype(np.float32)
    radius = int(rng.integers(config.pen_radius_range[0], config.pen_radius_range[1] + 1))
    if radius > 0:
        warped = ndimage.grey_dilation(warped, footprint=_disk(radius))
    elif radius < 0:
        thinner = ndimage.grey_erosion(warped, footprint=_disk(-radius))
        warped = thinner if thinner.max() > 0.5 else warped  # never erase a faint digit entirely
    try:
        normalized = mnist_normalize(warped)
    except EmptyDrawingError:
        return image
    shift = rng.integers(-config.max_shift_px, config.max_shift_px + 1, size=2)
    return ndimage.shift(normalized, shift, order=0, mode="constant", cval=0.0)


def _random_warp(image: np.ndarray, rng: np.random.Generator, config: DigitAugment) -> np.ndarray:
    angle = np.deg2rad(rng.uniform(-config.max_rotation_deg, config.max_rotation_deg))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    shear = np.array([[1.0, rng.uniform(-config.max_shear, config.max_shear)], [0.0, 1.0]])
    aspect = np.diag(1.0 + rng.uniform(-config.aspect_jitter, config.aspect_jitter, size=2))
    forward = rotation @ shear @ aspect  # acts on (row, col) offsets from the centre
    # A margin so nothing is cut off; the normalisation crops to the ink afterwards anyway.
    out_side = int(image.shape[0] * 1.5)
    inverse = np.linalg.inv(forward)
    in_centre = (np.array(image.shape) - 1) / 2
    out_centre = np.full(2, (out_side - 1) / 2)
    offset = in_centre - inverse @ out_centre
    return ndimage.affine_transform(image, inverse, offset=offset, output_shape=(out_side, out_side), order=1)


def _disk(radius: int) -> np.ndarray:
    grid = np.arange(-radius, radius + 1)
    return (grid[:, None] ** 2 + grid[None, :] ** 2) <= radius**2


@dataclass(frozen=True)
class SampleAugment:
    """Light, fast jitter of few-shot samples at model resolution (no re-normalisation), for fine-tuning."""

    copies: int = 4  # augmented copies drawn once per sample; each epoch picks one version of every sample
    max_rotation_deg: float = 10.0  # tilt either way
    max_shear: float = 0.2  # slant
    scale_range: tuple[float, float] = (0.9, 1.1)  # zoom
    max_shift_px: float = 1.5  # translation either way on each axis


def jitter_copies(images: np.ndarray, rng: np.random.Generator, config: SampleAugment = SampleAugment()) -> np.ndarray:
    """(N, 28, 28) -> (copies, N, 28, 28): `config.copies` jittered versions of every image."""
    out = np.empty((config.copies, *images.shape), np.float32)
    centre = (np.array(images.shape[1:]) - 1) / 2
    for copy in range(config.copies):
        for index, image in enumerate(images):
            angle = np.deg2rad(rng.uniform(-config.max_rotation_deg, config.max_rotation_deg))
            rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
            shear = np.array([[1.0, rng.uniform(-config.max_shear, config.max_shear)], [0.0, 1.0]])
            forward = rotation @ shear * rng.uniform(*config.scale_range)
            inverse = np.linalg.inv(forward)
            shift = rng.uniform(-config.max_shift_px, config.max_shift_px, size=2)
            offset = centre - inverse @ (centre + shift)
            out[copy, index] = ndimage.affine_transform(image, inverse, offset=offset, order=1, mode="constant")
    return out
