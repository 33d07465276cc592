"""Running a network over many images: one forward call per fixed-size batch.

Every prediction, embedding and evaluation in tl_core goes through `predict_in_batches`, so batch size, dtype and
the empty case are the same everywhere. It calls the model directly instead of `model.predict`, which costs tens of
milliseconds per call in set-up alone (too much for one drawing on every rerun).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from tl_core.models.architectures import INPUT_SHAPE

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

BATCH_SIZE = 512  # images per forward call: the default evaluation set (10 renders of 46 characters) in one call


def predict_in_batches(
    model: Model,
    images: np.ndarray,
    batch_size: int = BATCH_SIZE,
    forward: Callable[[np.ndarray], object] | None = None,
) -> np.ndarray:
    """(N, 28, 28), (N, 28, 28, 1) or one (28, 28) image -> the model's outputs (N, ...), `batch_size` at a time.

    `forward`: a compiled forward pass of `model` (e.g. a tf.function) to call instead of `model` itself; the
    model still gives the output width when there are no images.
    """
    batch = np.asarray(images, np.float32).reshape(-1, *INPUT_SHAPE)
    call = forward or (lambda part: model(part, training=False))
    parts = [np.asarray(call(batch[i : i + batch_size])) for i in range(0, len(batch), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, model.output_shape[-1]), np.float32)
