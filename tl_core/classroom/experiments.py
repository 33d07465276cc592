"""Experiments run for a workspace, with their results kept in it: a comparison, or a data-efficiency sweep.

These are what a training job executes (see `jobs`): plain functions of numpy data and callbacks, so the
same code path serves the page, the command line and the benchmarks.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import TYPE_CHECKING

import numpy as np

from tl_core.classroom.lesson import LESSON_SWEEP_SHOTS, Lesson, lesson_key, lesson_to_query
from tl_core.models.model_io import model_to_bytes
from tl_core.storage.workspace import Workspace
from tl_core.training.cost import SweepSize
from tl_core.training.engine import ProgressCallback, StopCallback, compare
from tl_core.training.evaluation import confusion, confusion_of
from tl_core.training.results import (
    COMPARISON_MODELS,
    ComparisonSummary,
    RunResult,
    SweepSummary,
    comparison_summary,
)
from tl_core.training.settings import TrainSettings
from tl_core.training.sweep import SEEDS, SweepProgress, data_efficiency
from tl_core.training.tasks import Task, sweep_task_maker

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily


def keep_comparison(workspace: Workspace, kept: tuple[ComparisonSummary, dict[str, bytes]] | None) -> int | None:
    """Keep a workspace's comparison (`comparison_record`'s result: curves, confusion matrices, settings and both
    models) in it; the run id, or None when the comparison was cancelled (nothing half-done is kept)."""
    if kept is None:
        return None
    summary, models = kept
    return workspace.save_run("comparison", replace(summary, charset=workspace.charset), models)


def comparison_record(
    pretrained_model: Model,
    architecture: str,
    model_title: str,
    task: Task,
    settings: TrainSettings,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> tuple[ComparisonSummary, dict[str, bytes]] | None:
    """Train both models: (summary with curves, confusion matrices and settings, {which: .keras bytes}).

    None when the comparison was cancelled.
    """
    result = compare(pretrained_model, architecture, task, settings, progress, should_stop)
    if result.transfer.cancelled or result.scratch.cancelled:
        return None
    summary = replace(
        comparison_summary(result),
        model=architecture,
        model_title=model_title,
        warning=task.warning,
        train_size=len(task.x_train),
        settings=asdict(result.settings),
        confusion={which: _confusion(getattr(result, which), task) for which in COMPARISON_MODELS},
        misread={which: _misread(getattr(result, which), task) for which in COMPARISON_MODELS},
    )
    models = {which: model_to_bytes(getattr(result, which).model) for which in COMPARISON_MODELS}
    return summary, models


def _confusion(run: RunResult, task: Task) -> list[list[int]]:
    """From the run's last evaluation when it kept its predictions, else with a forward pass."""
    if run.eval_predictions is not None:
        return confusion_of(run.eval_predictions, task.y_eval, len(task.labels))
    return confusion(run.model, task.x_eval, task.y_eval, len(task.labels))


def _misread(run: RunResult, task: Task) -> list[list[int]] | None:
    """[evaluation index, predicted class] of every evaluation sample the run got wrong, so pages can show the
    very drawings behind a confusion (a few hundred small pairs at most); None when the run kept no predictions."""
    if run.eval_predictions is None:
        return None
    wrong = np.flatnonzero(run.eval_predictions != task.y_eval)
    return [[int(index), int(run.eval_predictions[index])] for index in wrong]


def sweep_and_keep(
    workspace: Workspace,
    pretrained_model: Model,
    architecture: str,
    model_title: str,
    settings: TrainSettings,
    progress: SweepProgress | None = None,
    should_stop: StopCallback | None = None,
    size: SweepSize | None = None,
) -> int | None:
    """The data-efficiency sweep for this workspace's task, kept in the workspace (None when cancelled).

    `size` (shots and seeds) defaults to every shot count the workspace allows with `SEEDS` seeds.
    """
    make_task, shots, note = sweep_task_maker(workspace)
    size = size or SweepSize(shots, SEEDS)
    sweep = data_efficiency(
        pretrained_model,
        architecture,
        make_task,
        settings,
        shots=size.shots,
        seeds=size.seeds,
        progress=progress,
        should_stop=should_stop,
    )
    if sweep.cancelled:
        return None
    kept = replace(
        sweep, model_title=model_title, strategy=settings.strategy, epochs=settings.epochs, note=note, seeds=size.seeds
    )
    return workspace.save_run("sweep", kept)


def lesson_record(
    pretrained_model: Model,
    lesson: Lesson,
    model_title: str,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> tuple[ComparisonSummary, dict[str, bytes]] | None:
    """A lesson's comparison (its own rendered samples, not a workspace's): (summary, models), or None."""
    kept = comparison_record(
        pretrained_model, lesson.model, model_title, lesson.task(), lesson.train, progress, should_stop
    )
    if kept is None:
        return None
    summary, models = kept
    about_the_lesson = dict(lesson_key=lesson_key(lesson), lesson=lesson_to_query(lesson), shots=lesson.shots)
    return replace(summary, charset=lesson.charset, **about_the_lesson), models


def lesson_sweep_record(
    pretrained_model: Model,
    lesson: Lesson,
    shots: tuple[int, ...] = LESSON_SWEEP_SHOTS,
    progress: SweepProgress | None = None,
    should_stop: StopCallback | None = None,
) -> SweepSummary | None:
    """The lesson's "fewer labels" check: both models at `shots` samples per class, one seed each (None when
    cancelled)."""
    sweep = data_efficiency(
        pretrained_model,
        lesson.model,
        lambda k, seed: replace(lesson, shots=k).task(),
        lesson.train,
        shots=shots,
        seeds=1,
        progress=progress,
        should_stop=should_stop,
    )
    if sweep.cancelled:
        return None
    return replace(
        sweep, lesson_key=lesson_key(lesson), strategy=lesson.train.strategy, epochs=lesson.train.epochs, seeds=1
    )
