"""Experiments run for a workspace, with their results kept in it: a comparison, or a data-efficiency sweep.

These are what a training job executes (see `jobs`): plain functions of numpy data and callbacks, so the
same code path serves the page, the command line and the benchmarks.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import numpy as np

from tl_core.cost import SweepSize
from tl_core.evaluation import confusion, confusion_of
from tl_core.lesson import LESSON_SWEEP_SHOTS, Lesson, lesson_key, lesson_to_query
from tl_core.model_io import model_to_bytes
from tl_core.sweep import SEEDS, data_efficiency
from tl_core.tasks import Task, sweep_task_maker
from tl_core.training import (
    ProgressCallback,
    RunResult,
    StopCallback,
    TrainSettings,
    compare,
    comparison_summary,
)
from tl_core.workspace import Workspace


def compare_and_keep(
    workspace: Workspace,
    pretrained_model,
    architecture: str,
    model_title: str,
    task: Task,
    settings: TrainSettings,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> int | None:
    """Train both models; keep curves, confusion matrices, settings and both models in the workspace.

    Returns the run id, or None when the comparison was cancelled (nothing half-done is kept).
    """
    kept = comparison_record(pretrained_model, architecture, model_title, task, settings, progress, should_stop)
    if kept is None:
        return None
    summary, models = kept
    summary["charset"] = workspace.charset
    return workspace.save_run("comparison", summary, models)


def comparison_record(
    pretrained_model,
    architecture: str,
    model_title: str,
    task: Task,
    settings: TrainSettings,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> tuple[dict, dict[str, bytes]] | None:
    """Train both models: (summary with curves, confusion matrices and settings, {which: .keras bytes}).

    None when the comparison was cancelled.
    """
    result = compare(pretrained_model, architecture, task, settings, progress, should_stop)
    if result.transfer.cancelled or result.scratch.cancelled:
        return None
    summary = comparison_summary(result)
    summary.update(
        model=architecture,
        model_title=model_title,
        warning=task.warning,
        train_size=len(task.x_train),
        settings=asdict(result.settings),
        confusion={which: _confusion(getattr(result, which), task) for which in ("transfer", "scratch")},
        misread={which: _misread(getattr(result, which), task) for which in ("transfer", "scratch")},
    )
    models = {which: model_to_bytes(getattr(result, which).model) for which in ("transfer", "scratch")}
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
    pretrained_model,
    architecture: str,
    model_title: str,
    settings: TrainSettings,
    progress=None,
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
    if sweep["cancelled"]:
        return None
    sweep.update(
        model_title=model_title, strategy=settings.strategy, epochs=settings.epochs, note=note, seeds=size.seeds
    )
    return workspace.save_run("sweep", sweep)


def lesson_record(
    pretrained_model,
    lesson: Lesson,
    model_title: str,
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
) -> tuple[dict, dict[str, bytes]] | None:
    """A lesson's comparison (its own rendered samples, not a workspace's): (summary, models), or None."""
    kept = comparison_record(pretrained_model, lesson.model, model_title, lesson.task(), lesson.train, progress,
                             should_stop)  # fmt: skip
    if kept is not None:
        kept[0].update(lesson_key=lesson_key(lesson), lesson=lesson_to_query(lesson), charset=lesson.charset,
                       shots=lesson.shots)  # fmt: skip
    return kept


def shared_lesson_work(workspace: Workspace, pretrained_model, lesson: Lesson, model_title: str, queue):
    """The work of a shared lesson job (see `jobs`): trained once, kept in the workspace of every owner.

    Everyone who opened the same lesson link and pressed Train while it waited or ran is an owner; the
    result is the same for all of them (same settings, same seed), so it is computed once.
    """

    def work(job) -> int | None:
        kept = lesson_record(pretrained_model, lesson, model_title, curve_progress(job), queue.watch(job))
        if kept is None:
            return None
        run_ids = {owner: workspace.store.workspace(owner).save_run("lesson", *kept) for owner in queue.seal(job)}
        return run_ids.get(workspace.name)

    return work


def lesson_sweep_record(
    pretrained_model,
    lesson: Lesson,
    shots: tuple[int, ...] = LESSON_SWEEP_SHOTS,
    progress=None,
    should_stop: StopCallback | None = None,
) -> dict | None:
    """The lesson's "fewer labels" check: both models at `shots` samples per class, one seed each (None when
    cancelled)."""
    sweep = data_efficiency(
        pretrained_model, lesson.model, lambda k, seed: replace(lesson, shots=k).task(), lesson.train,
        shots=shots, seeds=1, progress=progress, should_stop=should_stop,
    )  # fmt: skip
    if sweep["cancelled"]:
        return None
    sweep.update(lesson_key=lesson_key(lesson), strategy=lesson.train.strategy, epochs=lesson.train.epochs, seeds=1)
    return sweep


def lesson_sweep_share_key(lesson: Lesson, shots: tuple[int, ...]) -> str:
    """Students asking for the same lesson's check at the same shot counts share one sweep."""
    return f"sweep:{','.join(map(str, shots))}:{lesson_key(lesson)}"


def shared_lesson_sweep_work(
    workspace: Workspace, pretrained_model, lesson: Lesson, queue, shots: tuple[int, ...] = LESSON_SWEEP_SHOTS
):
    """The work of a shared "Measure it" job: one sweep for everyone who asked, kept in every owner's workspace;
    each finished point's numbers are the job's note, so every owner sees the same live numbers."""

    def work(job) -> int | None:
        sweep = lesson_sweep_record(pretrained_model, lesson, shots, sweep_progress(job), queue.watch(job))
        if sweep is None:
            return None
        run_ids = {owner: workspace.store.workspace(owner).save_run("lesson-sweep", sweep) for owner in queue.seal(job)}
        return run_ids.get(workspace.name)

    return work


# --- the work functions pages submit to the queue (see `jobs`): progress goes to the job, pages poll it ------
def curve_progress(job) -> ProgressCallback:
    """Each epoch of either model becomes a ("transfer" | "scratch", EpochRecord) event of the job."""
    return lambda which, record: job.events.append((which, record))


def sweep_progress(job):
    """Each finished point of a sweep becomes a (fraction done, "5 per class, seed 0: transfer 95%, ...") event."""

    def on_point(done: int, total: int, what: str) -> None:
        job.note = f"{done}/{total} runs · {what}"
        job.events.append((done / total, what))

    return on_point


def comparison_work(
    workspace: Workspace,
    pretrained_model,
    architecture: str,
    model_title: str,
    task: Task,
    settings: TrainSettings,
    queue,
):
    """A comparison job: both models trained on the workspace's task and kept in it."""
    return lambda job: compare_and_keep(
        workspace, pretrained_model, architecture, model_title, task, settings, curve_progress(job), queue.watch(job)
    )


def sweep_work(
    workspace: Workspace,
    pretrained_model,
    architecture: str,
    model_title: str,
    settings: TrainSettings,
    size: SweepSize,
    queue,
):
    """A data-efficiency sweep job over the workspace's task, kept in it."""
    return lambda job: sweep_and_keep(
        workspace, pretrained_model, architecture, model_title, settings, sweep_progress(job), queue.watch(job), size
    )
