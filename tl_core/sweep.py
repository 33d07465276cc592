"""Data efficiency: accuracy against samples per class, for transfer and scratch, over several seeds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from tl_core.tasks import SHOTS, Task
from tl_core.training import TrainSettings, compare

SEEDS = 3  # repeats per point; the chart shows their mean and range

# (runs done, runs in all, what was just done)
SweepProgress = Callable[[int, int, str], None]


def data_efficiency(
    pretrained_model,
    architecture: str,
    make_task: Callable[[int, int], Task],
    settings: TrainSettings | None = None,
    shots: tuple[int, ...] = SHOTS,
    seeds: int = SEEDS,
    progress: SweepProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Final eval accuracy of both models for every (shots, seed); `make_task(shots, seed)` builds the data.

    `should_stop` is passed on to every comparison, so a cancelled sweep stops within one epoch.

    Returns {"shots": [...], "transfer": {"mean", "low", "high", "runs"}, "scratch": {...}} (runs: per seed).
    """
    settings = settings or TrainSettings()
    accuracies = {"transfer": [], "scratch": []}
    total, done = len(shots) * seeds, 0
    for k in shots:
        per_seed = {"transfer": [], "scratch": []}
        for seed in range(seeds):
            if should_stop and should_stop():
                return _summarise(shots[: len(accuracies["transfer"])], accuracies, cancelled=True)
            task = make_task(k, seed)
            result = compare(pretrained_model, architecture, task, replace(settings, seed=seed), None, should_stop)
            if result.transfer.cancelled or result.scratch.cancelled:  # within one epoch of the request
                return _summarise(shots[: len(accuracies["transfer"])], accuracies, cancelled=True)
            per_seed["transfer"].append(result.transfer.final_accuracy)
            per_seed["scratch"].append(result.scratch.final_accuracy)
            done += 1
            if progress:
                progress(done, total, f"{k} per class, seed {seed}{_accuracies(result)}")
        for which in accuracies:
            accuracies[which].append(per_seed[which])
    return _summarise(shots, accuracies, cancelled=False)


def _accuracies(result) -> str:
    """ ": transfer 95%, scratch 61%", the live numbers a sweep shows as each point finishes."""
    if result.transfer.final_accuracy is None:  # custom classes with nothing held out
        return ""
    return f": transfer {result.transfer.final_accuracy:.0%}, scratch {result.scratch.final_accuracy:.0%}"


def _summarise(shots, accuracies, cancelled: bool) -> dict:
    summary = {"shots": list(shots), "cancelled": cancelled}
    for which, rows in accuracies.items():
        values = np.array(rows, dtype=float).reshape(len(rows), -1) if rows else np.zeros((0, 0))
        summary[which] = {
            "mean": values.mean(axis=1).tolist() if len(values) else [],
            "low": values.min(axis=1).tolist() if len(values) else [],
            "high": values.max(axis=1).tolist() if len(values) else [],
            "runs": values.tolist(),
        }
    return summary
