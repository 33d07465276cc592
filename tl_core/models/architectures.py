"""The digit-model architectures, each an explicit backbone (feature extractor) plus a head (classifier).

Every classifier is `inputs -> backbone -> head`, with the two parts as named sub-models, so transfer code
asks for `backbone_of(model)` and `head_of(model)` and never counts layers. Backbones are a sequence of named
blocks (`block1`, `block2`, ...), so "unfreeze the last block" is a name too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tl_core.backend import keras

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

INPUT_SHAPE = (28, 28, 1)  # MNIST-style: white ink on black, float32 in [0, 1]
BACKBONE = "backbone"
HEAD = "head"


@dataclass(frozen=True)
class Architecture:
    name: str
    title: str
    description: str  # for learners: what it is and what that means for transfer
    features: str  # what the backbone's output is
    build_blocks: Callable[[], list]  # fresh, unbuilt blocks of the backbone, in order
    head_dropout: float  # dropout before the new head's dense layer


def _conv(filters: int, name: str, batch_norm: bool = False) -> list:
    layers = keras().layers
    if not batch_norm:
        return [layers.Conv2D(filters, 3, padding="same", activation="relu", name=name)]
    return [
        layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name),
        layers.BatchNormalization(name=f"{name}_bn"),
        layers.Activation("relu", name=f"{name}_relu"),
    ]


def _block(name: str, layers: list):
    return keras().Sequential(layers, name=name)


def _lenet5_blocks() -> list:
    layers = keras().layers
    return [
        _block("block1", [layers.Conv2D(6, 5, padding="same", activation="relu"), layers.MaxPooling2D()]),
        _block("block2", [layers.Conv2D(16, 5, activation="relu"), layers.MaxPooling2D()]),
        _block(
            "block3",
            [layers.Flatten(), layers.Dense(120, activation="relu"), layers.Dense(84, activation="relu")],
        ),
    ]


def _compact_gap_blocks() -> list:
    layers = keras().layers
    return [
        _block("block1", [*_conv(32, "conv1a"), *_conv(32, "conv1b"), layers.MaxPooling2D()]),
        _block("block2", [*_conv(64, "conv2a"), *_conv(64, "conv2b"), layers.MaxPooling2D()]),
        _block("block3", [*_conv(128, "conv3"), layers.GlobalAveragePooling2D()]),
    ]


def _deep_bn_blocks() -> list:
    layers = keras().layers
    blocks = []
    for index, filters in enumerate((32, 64, 128), start=1):
        convs = [
            *_conv(filters, f"conv{index}a", batch_norm=True),
            *_conv(filters, f"conv{index}b", batch_norm=True),
        ]
        ending = layers.MaxPooling2D() if index < 3 else layers.GlobalAveragePooling2D()
        blocks.append(_block(f"block{index}", [*convs, ending]))
    return blocks


def _mlp_blocks() -> list:
    layers = keras().layers
    return [
        _block("block1", [layers.Flatten(), layers.Dense(256, activation="relu")]),
        _block("block2", [layers.Dense(128, activation="relu")]),
    ]


ARCHITECTURES: dict[str, Architecture] = {
    architecture.name: architecture
    for architecture in (
        Architecture(
            name="compact-gap",
            title="Compact CNN (global pooling)",
            description=(
                "Five 3x3 convolutions in three blocks, ending in global average pooling: its features say "
                "which strokes and curves are present, not where a digit's parts sit. Such features carry "
                "over well to new scripts."
            ),
            features="128 globally average-pooled conv channels",
            build_blocks=_compact_gap_blocks,
            head_dropout=0.3,
        ),
        Architecture(
            name="deep-bn",
            title="Deeper CNN with batch norm",
            description=(
                "Six convolutions with batch normalisation in three blocks, then global average pooling. "
                "The most accurate digit reader here; batch norm needs care when fine-tuning."
            ),
            features="128 globally average-pooled conv channels",
            build_blocks=_deep_bn_blocks,
            head_dropout=0.3,
        ),
        Architecture(
            name="lenet5",
            title="LeNet-5 style",
            description=(
                "The classic of 1998: two convolution + pooling stages, then dense layers of 120 and 84 units. "
                "Its features come after digit-specific dense layers, which transfer less well."
            ),
            features="84 units of a dense layer",
            build_blocks=_lenet5_blocks,
            head_dropout=0.0,
        ),
        Architecture(
            name="mlp",
            title="Dense-only network (MLP)",
            description=(
                "No convolutions: every pixel is its own input. It reads digits well enough, but what it "
                "learned is tied to pixel positions of digits, the contrast case where transfer helps little."
            ),
            features="128 units of a dense layer",
            build_blocks=_mlp_blocks,
            head_dropout=0.2,
        ),
    )
}
DEFAULT_MODEL = "compact-gap"


def get_architecture(name: str) -> Architecture:
    if name not in ARCHITECTURES:
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[name]


def build_backbone(name: str) -> Model:
    """A fresh, randomly initialised backbone: (N, 28, 28, 1) -> (N, feature_dim)."""
    return keras().Sequential([keras().Input(INPUT_SHAPE), *get_architecture(name).build_blocks()], name=BACKBONE)


def build_head(feature_dim: int, n_classes: int, dropout: float = 0.0) -> Model:
    """A fresh head: features -> one probability per class."""
    layers = keras().layers
    head_layers = [keras().Input((feature_dim,))]
    if dropout > 0:
        head_layers.append(layers.Dropout(dropout, name="dropout"))
    # float32 even in a bfloat16 model (see `precision`): probabilities keep their full precision
    head_layers.append(layers.Dense(n_classes, activation="softmax", name="classes", dtype="float32"))
    return keras().Sequential(head_layers, name=HEAD)


def assemble(backbone: Model, head: Model, name: str) -> Model:
    """`image -> backbone -> head` as one functional model.

    No `training=False` is baked in: Keras 3 runs a frozen (non-trainable) BatchNormalization layer in
    inference mode anyway, and a backbone being fine-tuned should learn.
    """
    inputs = keras().Input(INPUT_SHAPE, name="image")
    return keras().Model(inputs, head(backbone(inputs)), name=name)


def build_classifier(name: str, n_classes: int) -> Model:
    """A fresh classifier of architecture `name` with `n_classes` outputs."""
    backbone = build_backbone(name)
    head = build_head(backbone.output_shape[-1], n_classes, get_architecture(name).head_dropout)
    return assemble(backbone, head, name)


def backbone_of(model: Model) -> Model:
    return model.get_layer(BACKBONE)


def head_of(model: Model) -> Model:
    return model.get_layer(HEAD)


def block_names(backbone: Model) -> list[str]:
    """The backbone's blocks in order, e.g. ['block1', 'block2', 'block3']."""
    return [layer.name for layer in backbone.layers]
