"""The one place TensorFlow and Keras are imported.

`import tensorflow` takes about 9 s on the project machines, so nothing in `tl_core` imports it at module
level: functions that need it call `keras()` or `tensorflow()`, which import once and configure once.
"""

from __future__ import annotations

import functools
import os


@functools.cache
def tensorflow():
    # Quiet the C++ start-up banner before the first import; real errors still surface as exceptions.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


@functools.cache
def keras():
    tensorflow()  # keras 3 picks its backend from the environment; make sure it is TensorFlow's
    import keras as keras_module

    return keras_module


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow so a run is repeatable on the same machine."""
    keras().utils.set_random_seed(seed)
