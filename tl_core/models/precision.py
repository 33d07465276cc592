"""In which number format the engine computes: float32, or bfloat16 where this CPU has it.

Measured on the project machine (2 cores, AVX-512 BF16 and AMX): a forward pass at evaluation size runs
about 3.5x faster in bfloat16 than in float32, and scratch training at batch 16 about 1.6x faster. But a
5-shot scratch run is chaotic: any change to its arithmetic changes which seeds stall at chance, so
training in bfloat16 changes the accuracy a given seed reaches (36 seeds: 1 stall instead of 4, mean 0.68
instead of 0.63). Evaluation is not chaotic: a forward pass in bfloat16 moves a prediction only where the top
two classes are within rounding of each other. Hence the default:

- `auto` (default): train in float32 (every curve as before), evaluate the curves in bfloat16 where the CPU
  supports it, in float32 elsewhere;
- `float32`: everything in float32 (what a CPU without bfloat16 gets anyway);
- `bfloat16`: also train in mixed bfloat16 (float32 weights and outputs): fastest, but a seed's accuracy is
  not the float32 one (see the README's throughput section).

`TL_PRECISION` chooses; `TL_CPU_BF16=0` (or `1`) overrides the CPU detection, e.g. to try the fallback on a
machine that has bfloat16.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

PRECISIONS = ("auto", "float32", "bfloat16")
MIXED = "mixed_bfloat16"  # Keras' policy: bfloat16 arithmetic, float32 weights
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")  # oneDNN runs bfloat16 natively with either


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (without it, oneDNN emulates it slower than float32);
    `TL_CPU_BF16=0` or `1` says so instead."""
    override = os.environ.get("TL_CPU_BF16")
    if override in ("0", "1"):
        return override == "1"
    return cpu_flags_have_bf16()


@functools.cache
def cpu_flags_have_bf16(cpuinfo: Path = Path("/proc/cpuinfo")) -> bool:
    try:
        flags = cpuinfo.read_text(errors="replace").split()
    except OSError:
        return False
    return any(flag in flags for flag in BF16_CPU_FLAGS)


@dataclass(frozen=True)
class Precision:
    """What the engine uses, resolved for this CPU: see the module docstring."""

    requested: str = "auto"  # TL_PRECISION
    train_bf16: bool = False  # models train in mixed bfloat16
    evaluate_bf16: bool = False  # curves are evaluated with a bfloat16 copy of the model

    @classmethod
    def resolve(cls, requested: str, bf16_available: bool) -> Precision:
        if requested not in PRECISIONS:
            raise ValueError(f"Unknown precision {requested!r}; choose one of {', '.join(PRECISIONS)}.")
        use = bf16_available and requested != "float32"
        return cls(requested, train_bf16=use and requested == "bfloat16", evaluate_bf16=use)

    @classmethod
    def from_env(cls) -> Precision:
        requested = os.environ.get("TL_PRECISION", "auto").strip().lower() or "auto"
        if requested not in PRECISIONS:
            requested = "auto"  # a typo in a server setting must not stop training
        return cls.resolve(requested, cpu_has_bf16())

    @property
    def name(self) -> str:
        """In words, for benchmarks and logs: e.g. 'float32 training, bfloat16 evaluation'."""
        train = "bfloat16" if self.train_bf16 else "float32"
        evaluate = "bfloat16" if self.evaluate_bf16 else "float32"
        return f"{train} training, {evaluate} evaluation"


@contextmanager
def layer_dtype(bf16: bool) -> Iterator[None]:
    """Layers created inside the block compute in mixed bfloat16 when `bf16` (this thread only).

    Keras keeps its default dtype policy per thread, so a training thread building bfloat16 models does not
    change what a page's thread builds.
    """
    if not bf16:
        yield
        return
    from tl_core.backend import keras

    config = keras().config
    before = config.dtype_policy()
    config.set_dtype_policy(MIXED)
    try:
        yield
    finally:
        config.set_dtype_policy(before)


def bf16_copy(model: Model) -> Model:
    """The same model (same weights) computing in mixed bfloat16; its output layer stays float32."""
    from tl_core.backend import building, keras

    def recast(layer):
        config = layer.get_config()
        if "dtype" in config and layer.name != "classes":
            config["dtype"] = MIXED
        return layer.__class__.from_config(config)

    with building(), layer_dtype(True):  # the enclosing models too, so `copy.compute_dtype` says bfloat16
        copy = keras().models.clone_model(model, clone_function=recast, recursive=True)
    copy.set_weights(model.get_weights())
    return copy
