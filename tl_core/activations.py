"""What a network sees: its first layer's filters, the feature maps of one drawing, and a saliency map.

- Filters: a conv backbone's first layer is a bank of small kernels (stroke and edge detectors after
  pretraining); a dense-only backbone's first layer has one 28x28 weight image per unit, tied to pixel
  positions, which is why it transfers poorly.
- Feature maps: the last spatial (H, W, C) output of every backbone block, i.e. what each block passes on.
  Blocks whose output is a vector (after flattening or global pooling, with no spatial map inside) have none.
- Saliency: |d log p(class) / d pixel|, the input gradient of the top prediction, scaled to [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tl_core.backend import keras, tensorflow
from tl_core.models import INPUT_SHAPE, backbone_of


@dataclass(frozen=True)
class Filters:
    kind: str  # "conv" (k x k kernels) or "dense" (one 28x28 weight image per unit)
    layer: str  # the layer's name
    images: np.ndarray  # (F, h, w) float32, each scaled to [-1, 1] by its largest absolute weight


@dataclass(frozen=True)
class BlockMaps:
    block: str  # backbone block name, e.g. "block2"
    maps: np.ndarray  # (C, H, W) float32, the channels sorted by how strongly this drawing excites them
    channels: np.ndarray  # (C,) original channel index of each map


def first_layer_filters(model) -> Filters:
    """The first weighted layer of the model's backbone, as pictures."""
    layers = keras().layers
    for layer in _leaf_layers(backbone_of(model)):
        if isinstance(layer, layers.Conv2D):
            kernel = np.asarray(layer.kernel)  # (k, k, channels_in, F)
            images = np.moveaxis(kernel[:, :, 0, :], -1, 0)
            return Filters("conv", layer.name, _scaled(images))
        if isinstance(layer, layers.Dense):
            kernel = np.asarray(layer.kernel)  # (784, units)
            images = kernel.T.reshape(-1, INPUT_SHAPE[0], INPUT_SHAPE[1])
            return Filters("dense", layer.name, _scaled(images))
    raise ValueError("The backbone has no convolution or dense layer.")


def feature_maps(model, image: np.ndarray, limit: int = 8) -> list[BlockMaps]:
    """The `limit` most active channels of every block's last spatial output, for one (28, 28) image."""
    x = np.asarray(image, np.float32).reshape(1, *INPUT_SHAPE)
    found = []
    for block in backbone_of(model).layers:
        spatial = None
        for layer in block.layers:
            x = layer(x, training=False)
            if len(x.shape) == 4:
                spatial = np.asarray(x[0])  # (H, W, C)
        if spatial is None:
            continue
        strength = spatial.mean(axis=(0, 1))
        order = np.argsort(strength)[::-1][:limit]
        found.append(BlockMaps(block.name, np.moveaxis(spatial[:, :, order], -1, 0), order))
    return found


def saliency(model, image: np.ndarray, class_index: int | None = None) -> tuple[np.ndarray, int]:
    """(saliency map (28, 28) in [0, 1], the class it explains: the top prediction unless given)."""
    tf = tensorflow()
    x = tf.convert_to_tensor(np.asarray(image, np.float32).reshape(1, *INPUT_SHAPE))
    with tf.GradientTape() as tape:
        tape.watch(x)
        probabilities = model(x, training=False)
        if class_index is None:
            class_index = int(tf.argmax(probabilities[0]))
        score = tf.math.log(probabilities[0, class_index] + 1e-9)
    gradient = np.abs(np.asarray(tape.gradient(score, x))[0, :, :, 0])
    peak = gradient.max()
    return (gradient / peak if peak > 0 else gradient).astype(np.float32), class_index


def ink_focus(model, image: np.ndarray, ink_level: float = 0.1) -> float:
    """How much more saliency falls on the ink and its 4-neighbours than elsewhere (mean against mean).

    Around 1: the model looks everywhere alike; well above 1: it looks at the strokes.
    """
    picture, _ = saliency(model, image)
    ink = np.asarray(image) > ink_level
    near = ink.copy()
    for axis in (0, 1):
        for shift in (-1, 1):
            near |= np.roll(ink, shift, axis=axis)
    on, off = float(picture[near].mean()), float(picture[~near].mean())
    if off == 0:
        return math.inf if on > 0 else 1.0  # all on the ink, or no gradient anywhere
    return on / off


def _scaled(images: np.ndarray) -> np.ndarray:
    peak = np.abs(images).reshape(len(images), -1).max(axis=1)
    return (images / np.where(peak > 0, peak, 1.0)[:, None, None]).astype(np.float32)


def _leaf_layers(layer):
    for child in getattr(layer, "layers", []):
        if hasattr(child, "layers"):
            yield from _leaf_layers(child)
        else:
            yield child
