"""The zoo of pretrained digit models shipped in `assets/models/`: cards (JSON) and weights (`.keras`).

Cards are read without TensorFlow, so a page can show them before the ~9 s TensorFlow import finishes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tl_core.models.architectures import ARCHITECTURES
from tl_core.models.batches import predict_in_batches

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

MODELS_DIR = Path(__file__).resolve().parents[2] / "assets" / "models"


def list_models(models_dir: Path = MODELS_DIR) -> list[dict]:
    """The model cards, in the zoo's order (the default model first)."""
    cards = [model_card(name, models_dir) for name in ARCHITECTURES if (models_dir / f"{name}.json").exists()]
    return cards


def model_card(name: str, models_dir: Path = MODELS_DIR) -> dict:
    if name not in ARCHITECTURES:  # only known names: never build a path from arbitrary input
        raise ValueError(f"Unknown model {name!r}; choose one of {', '.join(ARCHITECTURES)}.")
    return json.loads((models_dir / f"{name}.json").read_text())


def load_model(name: str, models_dir: Path = MODELS_DIR) -> Model:
    """The pretrained Keras model `name`: (N, 28, 28, 1) float32 in [0, 1] -> (N, 10) digit probabilities.

    The file's sha256 must match its card, so a corrupted or swapped file is refused rather than loaded.
    """
    from tl_core.backend import building, keras
    from tl_core.models.pretrain import sha256_of

    card = model_card(name, models_dir)
    path = models_dir / card["file"]
    if sha256_of(path) != card["sha256"]:
        raise ValueError(f"{path.name} does not match the sha256 on its model card; re-run pretraining.")
    with building():  # loading builds layers, which draws from Keras' shared generator
        return keras().models.load_model(path, compile=False, safe_mode=True)


def predict_probabilities(model: Model, images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) or (28, 28) float32 -> (N, n_classes) probabilities, fast for a single drawing (the package's
    public name for `predict_in_batches` on a classifier)."""
    return predict_in_batches(model, images)


def compiled_predictor(model: Model) -> Callable[[np.ndarray], np.ndarray]:
    """A compiled (tf.function) forward pass for a long-lived model: ~1 ms per drawing instead of ~9 ms eager.

    Use it for models that live as long as the process (the zoo): every compiled function keeps its traced
    graph for good, so short-lived models (a user's trained ones) are better called directly.
    Returns f(images (N, 28, 28) or (28, 28)) -> (N, n_classes) probabilities.
    """
    from tl_core.backend import tensorflow

    forward = tensorflow().function(lambda batch: model(batch, training=False), reduce_retracing=True)
    return lambda images: predict_in_batches(model, images, forward=forward)
