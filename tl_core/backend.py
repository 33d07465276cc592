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

    _set_thread_pools(tf)
    return tf


def _set_thread_pools(tf) -> None:
    """Explicit thread pools, sized so the allowed concurrent fits share the cores instead of oversubscribing.

    Intra-op: cores / TL_MAX_CONCURRENT_FITS (at least 1) threads per op; inter-op: 2, enough for a fit and
    the predictions users make meanwhile. Must run before TensorFlow executes anything.
    """
    from tl_core.jobs import max_concurrent_fits

    cores = os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, cores // max_concurrent_fits()))
        tf.config.threading.set_inter_op_parallelism_threads(2)
    except RuntimeError:  # TensorFlow already ran an op (e.g. imported elsewhere first): keep its pools
        pass


@functools.cache
def keras():
    tensorflow()  # keras 3 picks its backend from the environment; make sure it is TensorFlow's
    import keras as keras_module

    return keras_module


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow so a run is repeatable on the same machine."""
    keras().utils.set_random_seed(seed)
