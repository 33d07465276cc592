"""The one place TensorFlow and Keras are imported.

`import tensorflow` takes about 9 s on the project machines, so nothing in `tl_core` imports it at module
level: functions that need it call `keras()` or `tensorflow()`, which import once and configure once.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType


@functools.cache
def tensorflow() -> ModuleType:
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
    from tl_core.limits import max_concurrent_fits

    cores = os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(max(1, cores // max_concurrent_fits()))
        tf.config.threading.set_inter_op_parallelism_threads(2)
    except RuntimeError:  # TensorFlow already ran an op (e.g. imported elsewhere first): keep its pools
        pass


@functools.cache
def keras() -> ModuleType:
    tensorflow()  # keras 3 picks its backend from the environment; make sure it is TensorFlow's
    import keras as keras_module

    return keras_module


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow so a run is repeatable on the same machine."""
    keras().utils.set_random_seed(seed)


# Keras draws initial weights from one process-wide generator. Building any model consumes it, so a page
# loading a model while a training thread seeds and builds its own would change that training's weights.
# Seeding-and-building, and every other model build, take turns on this lock; then a seed means one result.
_BUILDING = threading.RLock()


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed, then build models inside the block: no other thread builds a model in between."""
    with _BUILDING:
        seed_everything(seed)
        yield


@contextmanager
def building() -> Iterator[None]:
    """Build or load models inside the block, never in the middle of another thread's seeded build."""
    with _BUILDING:
        yield
