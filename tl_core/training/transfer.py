"""Transfer learning as a few verbs: a pretrained backbone, a new head, and what is frozen when.

Strategies (the Keras transfer-learning guide's rules live here, once, so no page has to remember them):
- `feature-extraction`: the backbone is frozen; only a new head learns.
- `fine-tune-top`: the head learns first with the backbone frozen, then the backbone's last block is
  unfrozen and everything trainable continues at a low learning rate.
- `fine-tune-all`: every layer learns at a low learning rate, except batch norm, which stays frozen so it
  keeps the statistics it learned on digits (a frozen BatchNormalization runs in inference mode in Keras 3).
After any change of `trainable` the model must be compiled again: `compile_for` does that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tl_core.backend import building, keras
from tl_core.models.architectures import (
    assemble,
    backbone_of,
    block_names,
    build_classifier,
    build_head,
    get_architecture,
)

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

STRATEGIES = ("feature-extraction", "fine-tune-top", "fine-tune-all")
DEFAULT_STRATEGY = "feature-extraction"


def validate_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise ValueError(f"Unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}.")
    return strategy


def clone_backbone(pretrained_model: Model) -> Model:
    """A trainable copy of a zoo model's backbone with its pretrained weights (the zoo model stays untouched)."""
    source = backbone_of(pretrained_model)
    with building():  # cloning builds layers, which draws from Keras' shared generator
        copy = keras().models.clone_model(source)
    copy.set_weights(source.get_weights())
    return copy


def new_head(backbone: Model, n_classes: int, architecture: str) -> Model:
    return build_head(backbone.output_shape[-1], n_classes, get_architecture(architecture).head_dropout)


def transfer_model(pretrained_model: Model, architecture: str, n_classes: int) -> Model:
    """Pretrained backbone (a copy) + a fresh head with `n_classes` outputs."""
    backbone = clone_backbone(pretrained_model)
    return assemble(backbone, new_head(backbone, n_classes, architecture), name=f"{architecture}-transfer")


def scratch_model(architecture: str, n_classes: int) -> Model:
    """The same architecture, randomly initialised."""
    return build_classifier(architecture, n_classes)


def freeze_backbone(model: Model) -> None:
    backbone_of(model).trainable = False


def unfreeze_last_block(model: Model) -> None:
    """Make only the backbone's last block trainable (batch norm inside it stays frozen)."""
    backbone = backbone_of(model)
    backbone.trainable = True
    last = block_names(backbone)[-1]
    for block in backbone.layers:
        block.trainable = block.name == last
    _freeze_batch_norm(backbone)


def unfreeze_all(model: Model) -> None:
    backbone_of(model).trainable = True
    _freeze_batch_norm(backbone_of(model))


def _freeze_batch_norm(backbone) -> None:
    for layer in _all_layers(backbone):
        if isinstance(layer, keras().layers.BatchNormalization):
            layer.trainable = False


def _all_layers(layer):
    for child in getattr(layer, "layers", []):
        yield child
        yield from _all_layers(child)


def compile_for(model: Model, learning_rate: float) -> None:
    model.compile(
        optimizer=keras().optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
