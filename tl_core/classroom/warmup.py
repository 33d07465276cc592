"""Prepare what the first Train press needs before anyone presses it.

A server's first comparison job pays for things no later job does: compiling the scratch model's pool kind
and tracing its train and forward functions (see `tl_core.training.model_pool`), rendering the character
set's evaluation renders (then cached), and importing scikit-learn and SciPy on first use. Measured on the
project machine: the first default job took 12.1 s against 8.1 s for the next ones. The app calls `warm_up`
once at start-up, on the background thread that imports TensorFlow, so the first student's job pays for none
of it: it runs a two-epoch comparison of the default lesson's shape on noise, kept nowhere.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from tl_core.classroom.experiments import comparison_record
from tl_core.data.charsets import DEFAULT_CHARSET, get_charset
from tl_core.models.architectures import DEFAULT_MODEL
from tl_core.models.precision import Precision
from tl_core.models.zoo import load_model
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import Task, charset_task


def warm_up(architecture: str = DEFAULT_MODEL, charset: str = DEFAULT_CHARSET) -> float:
    """One throw-away comparison with the default settings but two epochs, on noise; the seconds it took.

    Two epochs trace everything a real run uses: the train function, the curve's forward pass (epoch 1) and
    the last epoch's full-precision one (epoch 2). The pool kinds it compiles are those of this server's
    precision (`Precision.from_env()`).
    """
    started = time.perf_counter()
    charset_task(charset, shots=1)  # renders and caches the set's evaluation renders
    labels = list(get_charset(charset).labels)
    images = np.random.default_rng(0).random((len(labels), 28, 28), dtype=np.float32)
    classes = np.arange(len(labels), dtype=np.int64)
    task = Task(labels, images, classes, images, classes, "noise (warm-up)")
    settings = replace(TrainSettings(), epochs=2)
    comparison_record(load_model(architecture), architecture, "", task, settings)
    return time.perf_counter() - started


def warmed_kind(architecture: str = DEFAULT_MODEL, charset: str = DEFAULT_CHARSET) -> tuple:
    """The pool kind `warm_up` compiles for the scratch model (what a test can look for)."""
    return ("scratch", architecture, len(get_charset(charset).labels), Precision.from_env().train_bf16)
