"""What a network sees: its first layer's filters, the feature maps of one drawing, and a saliency map.

- Filters: a conv backbone's first layer is a bank of small kernels (stroke and edge detectors after
  pretraining); a dense-only backbone's first layer has one 28x28 weight image per unit, tied to pixel
  positions, which is why it transfers poorly.
- Stroke directions: nine weights read as nine coloured squares say little to a learner. What a kernel does
  shows when it is slid over ink: `ink_response` is where a drawing lights each filter up, and
  `stroke_directions` names the direction each answers most, measured on four straight test strokes
  (measured on compact-gap: 23 of its 32 filters prefer one direction, all four directions present).
- Feature maps: the last spatial (H, W, C) output of every backbone block, i.e. what each block passes on.
  Blocks whose output is a vector (after flattening or global pooling, with no spatial map inside) have none.
- Saliency: |d log p(class) / d pixel|, the input gradient of the top prediction, scaled to [0, 1].
- `network_view`: all of the above for one network and one drawing, as the pages show them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tl_core.backend import keras, tensorflow
from tl_core.models.architectures import INPUT_SHAPE, backbone_of
from tl_core.models.batches import predict_in_batches

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily


@dataclass(frozen=True)
class Filters:
    kind: str  # "conv" (k x k kernels) or "dense" (one 28x28 weight image per unit)
    layer: str  # the layer's name
    images: np.ndarray  # (F, h, w) float32, each scaled to [-1, 1] by its largest absolute weight


# The straight test strokes: name -> angle in degrees, anticlockwise from horizontal (image rows grow downwards).
STROKE_DIRECTIONS = {"horizontal": 0, "rising": 45, "vertical": 90, "falling": 135}
# A filter "prefers" a direction when ink along it adds this many times what ink along its least favourite
# direction adds. 3x3 kernels are broadly tuned (their best and second best are often 45 degrees apart and
# close), so best against worst is the comparison that means something.
MIN_DIRECTION_PREFERENCE = 1.5
STROKE_LENGTH = 16  # px of the 28x28 input: long enough that a stroke's ends count for little
STROKE_WIDTH = 2.5  # px: about the width of a drawn stroke after preprocessing


@dataclass(frozen=True)
class BlockMaps:
    block: str  # backbone block name, e.g. "block2"
    maps: np.ndarray  # (C, H, W) float32, the channels sorted by how strongly this drawing excites them
    channels: np.ndarray  # (C,) original channel index of each map


def first_layer_filters(model: Model) -> Filters:
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


def straight_stroke(angle: float, length: float = STROKE_LENGTH, width: float = STROKE_WIDTH) -> np.ndarray:
    """A straight, anti-aliased stroke through the centre of a (28, 28) input, `angle` degrees from horizontal."""
    size = INPUT_SHAPE[0]
    rows, columns = np.mgrid[0:size, 0:size] - (size - 1) / 2
    radians = np.deg2rad(angle)
    along = columns * np.cos(radians) - rows * np.sin(radians)  # minus: rows grow downwards
    across = columns * np.sin(radians) + rows * np.cos(radians)
    ink = np.clip(width / 2 + 0.5 - np.abs(across), 0, 1) * (np.abs(along) <= length / 2)
    return ink.astype(np.float32)


def ink_response(model: Model, images: np.ndarray) -> np.ndarray:
    """How much the ink raises each first-layer filter's output: (N, F, H, W) float32, >= 0.

    The output is the first convolution's after its own batch norm and activation (what it passes on), less
    its output on a blank input: some filters answer the background (a positive bias), and what a learner
    should see is where the strokes, not the paper, light a filter up.
    """
    x = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
    outputs = _first_layer_output(model, np.concatenate([x, np.zeros((1, *INPUT_SHAPE), np.float32)]))
    if outputs.ndim != 4:
        raise ValueError("A dense first layer has no spatial response: each unit weighs every pixel at once.")
    added = np.clip(outputs[:-1] - outputs[-1:], 0, None)  # (N, H, W, F)
    return np.moveaxis(added, -1, 1)


def stroke_directions(model: Model) -> tuple[str | None, ...]:
    """For each first-layer filter: the test-stroke direction it answers most (a STROKE_DIRECTIONS name),
    or None when it has no clear favourite (it answers ink in any direction, or none)."""
    strokes = np.stack([straight_stroke(angle) for angle in STROKE_DIRECTIONS.values()])
    strength = ink_response(model, strokes).sum(axis=(2, 3))  # (directions, F)
    names = list(STROKE_DIRECTIONS)
    found = []
    for per_direction in strength.T:
        best, worst = per_direction.max(), per_direction.min()
        clear = best > 0 and best >= MIN_DIRECTION_PREFERENCE * worst
        found.append(names[int(per_direction.argmax())] if clear else None)
    return tuple(found)


def filters_to_show(directions: tuple[str | None, ...], strength: np.ndarray, count: int = 8) -> list[int]:
    """`count` filters for a learner, the ones a drawing excites most (`strength`: (F,)) taken in turns by
    stroke direction, so every direction the layer detects is on view; filters without a favourite
    direction come last (they answer any ink, which the edge detectors already show)."""
    by_strength = [int(i) for i in np.argsort(-np.asarray(strength), kind="stable")]
    queues = [[i for i in by_strength if directions[i] == name] for name in STROKE_DIRECTIONS]
    chosen = []
    for turn in range(max(map(len, queues), default=0)):
        chosen += [queue[turn] for queue in queues if turn < len(queue)]
    chosen += [i for i in by_strength if directions[i] is None]
    return chosen[:count]


def feature_maps(model: Model, image: np.ndarray, limit: int = 8) -> list[BlockMaps]:
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


def saliency(model: Model, image: np.ndarray, class_index: int | None = None) -> tuple[np.ndarray, int]:
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


def ink_focus(model: Model, image: np.ndarray, ink_level: float = 0.1) -> float:
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


@dataclass(frozen=True)
class NetworkView:
    """What one network makes of one drawing: everything the "what each network sees" pictures show."""

    guess: int  # the class the network reads the drawing as (its most probable)
    confidence: float  # that class's probability
    saliency: np.ndarray  # (28, 28) in [0, 1]: the pixels that would change that answer most
    filters: Filters  # the first layer's weights, as pictures
    directions: tuple[str | None, ...]  # conv: each filter's favourite stroke direction (`stroke_directions`)
    response: np.ndarray | None  # conv: (F, H, W) where the drawing lights each filter up; dense: None
    shown_filters: list[int]  # conv: the filters worth showing, first to last (`filters_to_show`); dense: none
    blocks: list[BlockMaps]  # the most active feature maps of every block with a spatial output


def network_view(model: Model, image: np.ndarray, filters_shown: int = 8, maps_per_block: int = 8) -> NetworkView:
    """Look inside a classifier on one (28, 28) image: its answer, saliency, first layer and feature maps."""
    probabilities = predict_in_batches(model, image)[0]
    guess = int(probabilities.argmax())
    heat, _ = saliency(model, image, guess)
    filters = first_layer_filters(model)
    directions, response, shown = (), None, []
    if filters.kind == "conv":
        directions = stroke_directions(model)  # 20 ms: not worth a cache
        response = ink_response(model, image)[0]
        shown = filters_to_show(directions, response.sum(axis=(1, 2)), filters_shown)
    blocks = feature_maps(model, image, limit=maps_per_block)
    return NetworkView(guess, float(probabilities[guess]), heat, filters, directions, response, shown, blocks)


def _first_layer_output(model, x: np.ndarray) -> np.ndarray:
    """The backbone's first weighted layer with the batch norm and activation right after it: (N, H, W, F)."""
    layers = keras().layers
    passed_weighted = False
    for layer in _leaf_layers(backbone_of(model)):
        if passed_weighted and not isinstance(layer, layers.BatchNormalization | layers.Activation | layers.ReLU):
            break
        x = layer(x, training=False)
        passed_weighted = passed_weighted or isinstance(layer, layers.Conv2D | layers.Dense)
    if not passed_weighted:
        raise ValueError("The backbone has no convolution or dense layer.")
    return np.asarray(x, np.float32)


def _scaled(images: np.ndarray) -> np.ndarray:
    peak = np.abs(images).reshape(len(images), -1).max(axis=1)
    return (images / np.where(peak > 0, peak, 1.0)[:, None, None]).astype(np.float32)


def _leaf_layers(layer):
    for child in getattr(layer, "layers", []):
        if hasattr(child, "layers"):
            yield from _leaf_layers(child)
        else:
            yield child
