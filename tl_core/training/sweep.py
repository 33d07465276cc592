"""Data efficiency: accuracy against samples per class, for transfer and scratch, over several seeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from tl_core.training.engine import compare
from tl_core.training.results import COMPARISON_MODELS, Comparison, SweepCurve, SweepSummary
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import SHOTS, Task

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

SEEDS = 3  # repeats per point; the chart shows their mean and range

# (runs done, runs in all, what was just done)
SweepProgress = Callable[[int, int, str], None]


def data_efficiency(
    pretrained_model: Model,
    architecture: str,
    make_task: Callable[[int, int], Task],
    settings: TrainSettings | None = None,
    shots: tuple[int, ...] = SHOTS,
    seeds: int = SEEDS,
    progress: SweepProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> SweepSummary:
    """Final eval accuracy of both models for every (shots, seed); `make_task(shots, seed)` builds the data.

    `should_stop` is passed on to every comparison, so a cancelled sweep stops within one epoch.

    Returns both models' accuracies at each shot count: mean, lowest and highest over the seeds, and each seed's.
    """
    settings = settings or TrainSettings()
    accuracies = {which: [] for which in COMPARISON_MODELS}  # per model: per point, per seed
    total, done = len(shots) * seeds, 0
    for k in shots:
        per_seed = {which: [] for which in COMPARISON_MODELS}
        for seed in range(seeds):
            if should_stop and should_stop():
                return _summarise(shots[: len(accuracies["transfer"])], accuracies, cancelled=True)
            task = make_task(k, seed)
            result = compare(pretrained_model, architecture, task, replace(settings, seed=seed), None, should_stop)
            if result.transfer.cancelled or result.scratch.cancelled:  # within one epoch of the request
                return _summarise(shots[: len(accuracies["transfer"])], accuracies, cancelled=True)
            for which in COMPARISON_MODELS:
                per_seed[which].append(getattr(result, which).final_accuracy)
            done += 1
            if progress:
                progress(done, total, f"{k} per class, seed {seed}{_accuracies(result)}")
        for which in accuracies:
            accuracies[which].append(per_seed[which])
    return _summarise(shots, accuracies, cancelled=False)


def _accuracies(result: Comparison) -> str:
    """ ": transfer 95%, scratch 61%", the live numbers a sweep shows as each point finishes."""
    if result.transfer.final_accuracy is None:  # custom classes with nothing held out
        return ""
    return f": transfer {result.transfer.final_accuracy:.0%}, scratch {result.scratch.final_accuracy:.0%}"


def _summarise(shots: tuple[int, ...], accuracies: dict[str, list], cancelled: bool) -> SweepSummary:
    return SweepSummary(
        shots=tuple(shots), cancelled=cancelled, **{which: _curve(rows) for which, rows in accuracies.items()}
    )


def _curve(rows: list[list[float | None]]) -> SweepCurve:
    """One model's accuracies (per point, per seed) as mean, lowest and highest per point."""
    values = np.array(rows, dtype=float).reshape(len(rows), -1) if rows else np.zeros((0, 0))
    if not len(values):
        return SweepCurve((), (), (), ())
    return SweepCurve(
        mean=tuple(values.mean(axis=1).tolist()),
        low=tuple(values.min(axis=1).tolist()),
        high=tuple(values.max(axis=1).tolist()),
        runs=tuple(map(tuple, values.tolist())),
    )
