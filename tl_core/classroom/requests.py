"""Every kind of job the shared trainer runs, as a typed request, and the one function that queues them.

A request says what to train and for whom; `submit` turns it into the queue's work (progress becomes the job's
events, which the pages' job panel draws; cancelling goes through the queue's `watch`) and queues it. Pages, the
classroom benchmark and the command line all call `submit`, so a kind of job is wired in exactly one place.

Progress events, by kind:
- comparison and lesson: `(which, EpochRecord)`, "transfer" or "scratch", one per epoch of either model;
- sweep, lesson sweep and personal model: `(fraction done, text)`, and the text is also the job's `note`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from tl_core.classroom.class_dataset import POOL_KIND, PooledTask, class_pool_key
from tl_core.classroom.experiments import (
    comparison_record,
    keep_comparison,
    lesson_record,
    lesson_sweep_record,
    sweep_and_keep,
)
from tl_core.classroom.jobs import Job, JobDetails, JobQueue
from tl_core.classroom.lesson import LESSON_SWEEP_SHOTS, Lesson, lesson_key
from tl_core.data.charsets import CHARSETS
from tl_core.storage.workspace import Workspace
from tl_core.training.cost import SweepSize
from tl_core.training.engine import ProgressCallback
from tl_core.training.personal import KIND as PERSONAL_KIND
from tl_core.training.personal import personal_and_keep
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import Task

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

Work = Callable[[Job], Any]


@dataclass(frozen=True)
class _ForWorkspace:
    """What every request names first: the workspace that keeps the result, and the zoo model it starts from."""

    workspace: Workspace
    pretrained: Model  # read-only on the job's thread
    estimate_seconds: float = field(kw_only=True)  # trainer seconds it should take (tl_core.training.cost)
    kind: ClassVar[str]  # the job's kind, also the kind of the run it keeps
    share_key: ClassVar[str | None] = None  # jobs with the same key are one job (see tl_core.classroom.jobs)

    def details(self) -> JobDetails:
        """What the job panel needs to draw progress (e.g. the epochs, for the curves' axis)."""
        return JobDetails()

    @property
    def zoo_name(self) -> str:
        """The zoo model `pretrained` is (a trainer in another process loads it by this name)."""
        raise NotImplementedError

    def travelling(self) -> Self:
        """This request as it goes to another process (a Ray trainer): the zoo model by name, not its weights."""
        return replace(self, pretrained=None)

    def arrived(self, zoo_model: Callable[[str], Model]) -> Self:
        """A travelling request made whole again where it runs, with that process's copy of the zoo model."""
        return replace(self, pretrained=zoo_model(self.zoo_name))

    def keep_for_every_owner(self, queue: JobQueue, job: Job, *run: Any) -> int | None:
        """A shared job's result, kept in the workspace of everyone who joined it (no one joins any more once it
        is being handed out); the run id in this request's workspace."""
        store = self.workspace.store
        run_ids = {owner: store.workspace(owner).save_run(self.kind, *run) for owner in queue.seal(job)}
        return run_ids.get(self.workspace.name)


@dataclass(frozen=True)
class _FromZooModel(_ForWorkspace):
    architecture: str  # the zoo model's name
    model_title: str  # ... and how pages call it

    @property
    def zoo_name(self) -> str:
        return self.architecture


@dataclass(frozen=True)
class ComparisonRequest(_FromZooModel):
    """Both models trained on the workspace's task, kept in it."""

    task: Task
    settings: TrainSettings
    kind = "comparison"

    def details(self) -> JobDetails:
        return JobDetails(epochs=self.settings.epochs, classes=len(self.task.labels))

    def work(self, queue: JobQueue) -> Work:
        def work(job: Job) -> int | None:
            progress, should_stop = curve_progress(job), queue.watch(job)
            asked = (self.pretrained, self.architecture, self.model_title, self.task, self.settings)
            return keep_comparison(self.workspace, comparison_record(*asked, progress, should_stop))

        return work


@dataclass(frozen=True)
class SweepRequest(_FromZooModel):
    """The data-efficiency sweep over the workspace's task, kept in it."""

    settings: TrainSettings
    size: SweepSize
    kind = "sweep"

    def work(self, queue: JobQueue) -> Work:
        def work(job: Job) -> int | None:
            progress, should_stop = sweep_progress(job), queue.watch(job)
            asked = (self.pretrained, self.architecture, self.model_title, self.settings)
            return sweep_and_keep(self.workspace, *asked, progress, should_stop, self.size)

        return work


@dataclass(frozen=True)
class LessonRequest(_ForWorkspace):
    """A lesson's comparison, shared: everyone who presses Train on the same lesson while it waits or runs joins
    this one training (same settings, same seed, same result), which is kept in every owner's workspace."""

    lesson: Lesson
    model_title: str
    place: str  # where on the lesson page it was started (its panel shows there)
    title: str
    kind = "lesson"

    @property
    def share_key(self) -> str:
        return lesson_key(self.lesson)

    @property
    def zoo_name(self) -> str:
        return self.lesson.model

    def details(self) -> JobDetails:
        classes = len(CHARSETS[self.lesson.charset].labels)
        return JobDetails(self.title, self.lesson.train.epochs, classes, self.place)

    def work(self, queue: JobQueue) -> Work:
        def work(job: Job) -> int | None:
            kept = lesson_record(self.pretrained, self.lesson, self.model_title, curve_progress(job), queue.watch(job))
            return None if kept is None else self.keep_for_every_owner(queue, job, *kept)

        return work


@dataclass(frozen=True)
class LessonSweepRequest(_ForWorkspace):
    """The lesson's "fewer labels" check, shared like `LessonRequest`; each finished point's numbers are the job's note,
    so every owner sees the same live numbers."""

    lesson: Lesson
    shots: tuple[int, ...] = LESSON_SWEEP_SHOTS
    kind = "lesson-sweep"

    @property
    def share_key(self) -> str:
        return f"sweep:{','.join(map(str, self.shots))}:{lesson_key(self.lesson)}"

    @property
    def zoo_name(self) -> str:
        return self.lesson.model

    def details(self) -> JobDetails:
        return JobDetails(title="Measuring how many labels each model needs", place="sweep")

    def work(self, queue: JobQueue) -> Work:
        def work(job: Job) -> int | None:
            sweep = lesson_sweep_record(self.pretrained, self.lesson, self.shots, sweep_progress(job), queue.watch(job))
            return None if sweep is None else self.keep_for_every_owner(queue, job, sweep)

        return work


@dataclass(frozen=True)
class PersonalModelRequest(_FromZooModel):
    """A personal copy of a zoo model, adapted to the workspace's corrections, kept in it."""

    corrections: int
    kind = PERSONAL_KIND

    def details(self) -> JobDetails:
        return JobDetails(f"Fine-tuning your personal copy of {self.model_title} on {self.corrections} corrections")

    def work(self, queue: JobQueue) -> Work:
        return lambda job: personal_and_keep(
            self.workspace,
            self.pretrained,
            self.architecture,
            progress=step_progress(job),
            should_stop=queue.watch(job),
        )


@dataclass(frozen=True)
class ClassPoolRequest(_FromZooModel):
    """Both models trained on a class's pooled drawings and checked on the held-out students' drawings
    (`tl_core.classroom.class_dataset`); shared like a lesson: whoever asks for the same pool and settings while it
    waits or runs joins it. Kept with the held-out students and the evaluation drawings' ids, for the class page."""

    pooled: PooledTask
    settings: TrainSettings
    class_code: str
    kind = POOL_KIND

    @property
    def share_key(self) -> str:
        return f"{class_pool_key(self.class_code)}:{self.pooled.version}:{self.settings}"

    def details(self) -> JobDetails:
        title = "Training both models on the class's drawings"
        return JobDetails(title, self.settings.epochs, len(self.pooled.task.labels), "class")

    def work(self, queue: JobQueue) -> Work:
        def work(job: Job) -> int | None:
            asked = (self.pretrained, self.architecture, self.model_title, self.pooled.task, self.settings)
            kept = comparison_record(*asked, curve_progress(job), queue.watch(job))
            if kept is None:
                return None
            summary, models = kept
            stored = replace(summary, lesson_key=class_pool_key(self.class_code)).to_json()
            stored |= {"held_out": list(self.pooled.held_out), "eval_sample_ids": list(self.pooled.eval_sample_ids)}
            return self.keep_for_every_owner(queue, job, stored, models)

        return work


Request = (
    ComparisonRequest | SweepRequest | LessonRequest | LessonSweepRequest | PersonalModelRequest | ClassPoolRequest
)


class RunsElsewhere(Protocol):
    """A queue whose jobs run in other processes (`tl_core.classroom.ray_jobs.RayJobQueue`)."""

    def submit_request(self, request: Request, browser: str | None = None) -> Job: ...


def submit(queue: JobQueue | RunsElsewhere, request: Request, browser: str | None = None) -> Job:
    """Queue the request for its workspace (or join the same shared job); raises `JobRefused` when a limit
    stands in the way, with nothing queued.

    On a Ray cluster the request itself travels to a trainer, which makes its work there; in this process the
    work is a closure over the request, run on the queue's thread.
    """
    if not isinstance(queue, JobQueue):
        return queue.submit_request(request, browser)
    return queue.submit(
        request.workspace.name,
        request.kind,
        request.work(queue),
        request.estimate_seconds,
        details=request.details(),
        share_key=request.share_key,
        browser=browser,
    )


def curve_progress(job: Job) -> ProgressCallback:
    """Each epoch of either model becomes a ("transfer" | "scratch", EpochRecord) event of the job."""
    return lambda which, record: job.events.append((which, record))


def sweep_progress(job: Job) -> Callable[[int, int, str], None]:
    """Each finished point of a sweep becomes a (fraction done, "5 per class, seed 0: transfer 95%, ...") event."""
    return lambda done, total, what: _step(job, done / total, f"{done}/{total} runs · {what}", what)


def step_progress(job: Job) -> Callable[[float, str], None]:
    """Each step of a job that is not epochs of two models becomes a (fraction done, text) event."""
    return lambda fraction, text: _step(job, fraction, text, text)


def _step(job: Job, fraction: float, note: str, text: str) -> None:
    job.note = note
    job.events.append((fraction, text))
