"""Compiled models kept warm and reused between runs, and the one pool the engine borrows from.

With TensorFlow 2.21 / Keras 3.15 building and compiling a model costs seconds and leaks its traced functions,
so the engine borrows a compiled model of the same structure from `MODEL_POOL` and loads the fresh weights into
it (see `CompiledModelPool`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np

from tl_core.models.batches import predict_in_batches
from tl_core.models.precision import bf16_copy
from tl_core.training.transfer import compile_for

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily


class CompiledModelPool:
    """Compiled models, kept and reset for reuse instead of built and compiled for every run.

    With TensorFlow 2.21 / Keras 3.15, every newly compiled model that trains leaves about 13 MB behind
    (its traced train functions are never freed; see benchmarks/soak.py). Reusing a compiled model of the
    same structure and trainable layers traces once and then stays flat. A borrowed model gets the fresh
    model's variables (weights, batch-norm statistics and dropout seeds, so runs stay deterministic) and a
    reset optimizer at the requested learning rate.
    """

    MAX_KINDS = 24  # distinct (structure, frozen layers) kept; the least recently used kind is dropped

    def __init__(self) -> None:
        self._idle: dict[tuple, list[PooledModel]] = {}  # insertion order = least recently used first
        self._lock = threading.Lock()

    @contextmanager
    def borrow(
        self, fresh: Model, key: tuple, build: Callable[[], object], learning_rate: float
    ) -> Iterator[PooledModel]:
        """A compiled model like `fresh` (same `key` = same structure, frozen layers and precision), loaded
        with it, as a `PooledModel` (the model and its compiled forward passes)."""
        with self._lock:
            idle = self._idle.pop(key, [])
            self._idle[key] = idle  # now the most recently used kind
            while len(self._idle) > self.MAX_KINDS:
                del self._idle[next(iter(self._idle))]
            pooled = idle.pop() if idle else None
        if pooled is None:
            compiled = build()
            compile_for(compiled, learning_rate)
            pooled = PooledModel(compiled)
        else:
            _reset_optimizer(pooled.model.optimizer, learning_rate)
        copy_variables(fresh, pooled.model)
        try:
            yield pooled
        finally:
            with self._lock:
                self._idle.setdefault(key, []).append(pooled)

    def kinds(self) -> list[tuple]:
        with self._lock:
            return list(self._idle)

    def discard(self, key: tuple) -> None:
        """Forget a kind's idle models (the next run of that kind builds and compiles again)."""
        with self._lock:
            self._idle.pop(key, None)


class PooledModel:
    """A compiled model of the pool, with its compiled forward passes (traced once, reused like the model)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._forwards: dict[bool, tuple] = {}  # bf16 -> (the model that runs, its compiled call)

    def predict(self, images: np.ndarray, bf16: bool = False) -> np.ndarray:
        """Class probabilities of `images` (N, 28, 28, 1) with the model's current weights; `bf16` runs them
        through a bfloat16 copy (weights copied in first) when the model itself computes in float32."""
        bf16 = bf16 and self.model.compute_dtype == "float32"
        if bf16 not in self._forwards:
            from tl_core.backend import tensorflow

            tf = tensorflow()
            runner = bf16_copy(self.model) if bf16 else self.model
            call = tf.function(
                lambda batch: runner(batch, training=False),
                input_signature=[tf.TensorSpec((None, 28, 28, 1), tf.float32)],
            )
            self._forwards[bf16] = (runner, call)
        runner, call = self._forwards[bf16]
        if runner is not self.model:
            copy_variables(self.model, runner)
        return predict_in_batches(self.model, images, forward=call)


MODEL_POOL = CompiledModelPool()


def copy_variables(source: Model, target: Model) -> None:
    for target_variable, source_variable in zip(target.variables, source.variables, strict=True):
        target_variable.assign(source_variable)


def _reset_optimizer(optimizer, learning_rate: float) -> None:
    """Back to a just-compiled state: step 0, no momentum, the given learning rate."""
    for variable in optimizer.variables:
        if not variable.path.endswith("learning_rate"):
            variable.assign(np.zeros(variable.shape, variable.dtype))
    optimizer.learning_rate = learning_rate
