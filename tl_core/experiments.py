"""Experiments run for a workspace, with their results kept in it: a comparison, or a data-efficiency sweep.

These are what a training job executes (see `jobs`): plain functions of numpy data and callbacks, so the
same code path serves the page, the command line and the benchmarks.
"""

from __future__ import annotations

from dataclasses import asdict, replace

from tl_core.evaluation import confusion
from tl_core.lesson import LESSON_SWEEP_SHOTS, Lesson, lesson_key, lesson_to_query
from tl_core.model_io import model_to_bytes
from tl_core.sweep import data_efficiency
from tl_core.tasks import Task, sweep_task_maker
from tl_core.training import ProgressCallback, StopCallback, TrainSettings, compare, comparison_summary
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
        confusion={
            which: confusion(getattr(result, which).model, task.x_eval, task.y_eval, len(task.labels))
            for which in ("transfer", "scratch")
        },
    )
    models = {which: model_to_bytes(getattr(result, which).model) for which in ("transfer", "scratch")}
    return summary, models


def sweep_and_keep(
    workspace: Workspace,
    pretrained_model,
    architecture: str,
    model_title: str,
    settings: TrainSettings,
    progress=None,
    should_stop: StopCallback | None = None,
) -> int | None:
    """The data-efficiency sweep for this workspace's task, kept in the workspace (None when cancelled)."""
    make_task, shots, note = sweep_task_maker(workspace)
    sweep = data_efficiency(pretrained_model, architecture, make_task, settings, shots=shots, progress=progress,
                            should_stop=should_stop)  # fmt: skip
    if sweep["cancelled"]:
        return None
    sweep.update(model_title=model_title, strategy=settings.strategy, epochs=settings.epochs, note=note)
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
        def on_epoch(which, record):
            job.events.append((which, record))

        kept = lesson_record(pretrained_model, lesson, model_title, on_epoch, queue.watch(job))
        if kept is None:
            return None
        run_ids = {owner: workspace.store.workspace(owner).save_run("lesson", *kept) for owner in queue.seal(job)}
        return run_ids.get(workspace.name)

    return work


def lesson_sweep_and_keep(
    workspace: Workspace,
    pretrained_model,
    lesson: Lesson,
    progress=None,
    should_stop: StopCallback | None = None,
) -> int | None:
    """The lesson's "fewer labels" check: both models at LESSON_SWEEP_SHOTS samples per class, one seed each."""
    sweep = data_efficiency(
        pretrained_model, lesson.model, lambda shots, seed: replace(lesson, shots=shots).task(), lesson.train,
        shots=LESSON_SWEEP_SHOTS, seeds=1, progress=progress, should_stop=should_stop,
    )  # fmt: skip
    if sweep["cancelled"]:
        return None
    sweep.update(lesson_key=lesson_key(lesson), strategy=lesson.train.strategy, epochs=lesson.train.epochs)
    return workspace.save_run("lesson-sweep", sweep)
