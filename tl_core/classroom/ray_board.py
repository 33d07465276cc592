"""The cluster side of trainings on Ray: the job board (one named, detached actor holding the school's
`JobQueue`) and the warm trainer processes it hands jobs to. `ray_jobs` explains the design and holds what
app servers use; nothing here is called directly.
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tl_core.classroom.jobs import Job, JobDetails, JobQueue, Whereabouts
from tl_core.limits import QueueLimits

logger = logging.getLogger(__name__)
Answer = TypeVar("Answer")

NAMESPACE = "transfer-learning"  # every app server and worker of one deployment meets in this namespace
BOARD_NAME = "tl-job-board"
TRAINER_NAME = "tl-trainer-{}"
TRAINER_THREADS = 64  # paused jobs wait on their trainer's threads; only the jobs holding turns compute
RETRIED = "The trainer stopped and was replaced: training again from the start."


class JobBoard:
    """The cluster's one job queue (a detached Ray actor; see the module docstring). Not used directly."""

    def __init__(self, limits: QueueLimits, abandon_after: float) -> None:
        self.queue = JobQueue(limits=limits, abandon_after=abandon_after)
        self._trainers = [_trainer(index) for index in range(limits.max_concurrent_fits)]
        self._assigned = [0] * len(self._trainers)  # unfinished jobs on each trainer (paused ones included)
        self._lock = threading.Lock()
        self._attempts: dict[int, int] = {}

    def limits(self) -> QueueLimits:
        return self.queue.limits

    def abandon_after(self) -> float:
        return self.queue.abandon_after

    def submit(
        self,
        owner: str,
        kind: str,
        travelling: bytes,
        estimate_seconds: float,
        details: JobDetails,
        share_key: str | None,
        browser: str | None,
    ) -> tuple[Job, float] | Exception:
        try:
            job = self.queue.submit(
                owner, kind, lambda job: self._train(job, travelling), estimate_seconds, details, share_key, browser
            )
        except Exception as refused:  # JobRefused: returned, so the app server raises it with its own words
            return refused
        return self._seen(job)

    def get(self, job_id: int, touch: bool) -> tuple[Job, float] | None:
        return self._seen(self.queue.get(job_id, touch))

    def latest(self, owner: str, kind: str | None, touch: bool) -> tuple[Job, float] | None:
        return self._seen(self.queue.latest(owner, kind, touch))

    def cancel(self, job_id: int, owner: str | None) -> None:
        self.queue.cancel(job_id, owner)

    def position(self, job_id: int) -> int:
        return self._ask(job_id, self.queue.position, 0)

    def estimated_wait(self, job_id: int) -> float:
        return self._ask(job_id, self.queue.estimated_wait, 0.0)

    def estimated_finish(self, job_id: int) -> float:
        return self._ask(job_id, self.queue.estimated_finish, 0.0)

    def whereabouts(self, owners: list[str]) -> dict[str, Whereabouts]:
        return self.queue.whereabouts(owners)

    def counts(self) -> dict[str, int]:
        return self.queue.counts()

    def stat(self, name: str) -> int:
        return getattr(self.queue, name)

    def trainer_pids(self) -> list[int]:
        import ray

        return ray.get([trainer.pid.remote() for trainer in self._trainers])

    def trainer_names(self) -> list[str]:
        return [TRAINER_NAME.format(index) for index in range(len(self._trainers))]

    # --- what trainers call while they train a job -----------------------------------------------------
    def attempt_started(self, job_id: int) -> None:
        """A trainer starts the job (again, after its process died): it starts from nothing, so does its progress."""
        self._attempts[job_id] = self._attempts.get(job_id, 0) + 1
        if (job := self.queue.get(job_id, touch=False)) is not None:
            job.events.clear()
            job.note = RETRIED if self._attempts[job_id] > 1 else ""

    def attempts(self, job_id: int) -> int:
        """How many times a trainer started the job (2: its first trainer died and it ran again)."""
        return self._attempts.get(job_id, 0)

    def progress(self, job_id: int, event: Any, note: str | None = None) -> None:
        if (job := self.queue.get(job_id, touch=False)) is not None:
            if note is not None:
                job.note = note
            job.events.append(event)

    def checkpoint(self, job_id: int) -> bool:
        """After an epoch: True when the job should stop; blocks while the job is paused for a more urgent one."""
        return self._ask(job_id, self.queue.checkpoint, True)

    def seal(self, job_id: int) -> list[str]:
        return self._ask(job_id, self.queue.seal, [])

    # --- inside -------------------------------------------------------------------------------------------
    def _ask(self, job_id: int, question: Callable[[Job], Answer], otherwise: Answer) -> Answer:
        """`question(job)` of the queue about a job it holds (without counting as a page's visit), or `otherwise`
        when it holds none by that id (forgotten, or lost with an earlier board)."""
        job = self.queue.get(job_id, touch=False)
        return otherwise if job is None else question(job)

    def _seen(self, job: Job | None) -> tuple[Job, float] | None:
        """A copy of the job that can leave the actor (no list another thread appends to while it is pickled),
        with the board's clock reading."""
        if job is None:
            return None
        copy = self.queue.copy_of(job)
        return copy, time.monotonic()

    def _train(self, job: Job, travelling: bytes) -> Any:
        """The job's work, on the board's thread for it (it holds a turn): a trainer trains, the board waits."""
        import ray

        with self._lock:
            index = min(range(len(self._trainers)), key=self._assigned.__getitem__)
            self._assigned[index] += 1
        try:
            return ray.get(self._trainers[index].train.remote(job.id, travelling))
        except ray.exceptions.RayTaskError as error:  # the request's own error (e.g. a WorkspaceError), unwrapped
            raise error.cause from None
        finally:
            with self._lock:
                self._assigned[index] -= 1


def _trainer(index: int):
    import ray

    return (
        ray.remote(Trainer)
        .options(
            name=TRAINER_NAME.format(index),
            namespace=NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            max_concurrency=TRAINER_THREADS,
            max_restarts=-1,  # a process that dies is replaced ...
            max_task_retries=1,  # ... and the job it was training is run again, once
            num_cpus=1,
        )
        .remote()
    )


class Trainer:
    """A warm training process (a detached Ray actor; see the module docstring). Not used directly."""

    def __init__(self) -> None:
        from tl_core.classroom.warmup import warm_up

        self._models: dict[str, Any] = {}
        self._models_lock = threading.Lock()
        try:
            warm_up()  # imports TensorFlow and compiles the default lesson's models before the first job
        except Exception:  # only a head start: the first job compiles instead
            logger.warning("Warm-up skipped; the first training compiles its models instead", exc_info=True)

    def pid(self) -> int:
        return os.getpid()

    def train(self, job_id: int, travelling: bytes) -> Any:
        import ray

        board = ray.get_actor(BOARD_NAME, namespace=NAMESPACE)
        request = pickle.loads(travelling).arrived(self._zoo_model)
        ray.get(board.attempt_started.remote(job_id))
        job = _RemoteJob(job_id, board)
        return request.work(_BoardForTrainer(board))(job)

    def _zoo_model(self, name: str) -> Any:
        """A zoo model, loaded once per trainer (read-only: jobs train copies of its weights)."""
        from tl_core.models.zoo import load_model

        with self._models_lock:
            if name not in self._models:
                self._models[name] = load_model(name)
            return self._models[name]


class _RemoteEvents:
    """A job's event list as a trainer sees it: each event goes to the board as it happens."""

    def __init__(self, job: _RemoteJob) -> None:
        self._job = job

    def append(self, event: Any) -> None:
        import ray

        ray.get(self._job.board.progress.remote(self._job.id, event, self._job.pending_note))
        self._job.pending_note = None


class _RemoteJob:
    """What a request's work touches of its `Job` (`id`, `events`, `note`), reported to the board."""

    def __init__(self, job_id: int, board: Any) -> None:
        self.id = job_id
        self.board = board
        self.pending_note: str | None = None  # sent with the next event, in one call
        self.events = _RemoteEvents(self)

    @property
    def note(self) -> str:
        return self.pending_note or ""

    @note.setter
    def note(self, text: str) -> None:
        self.pending_note = text


class _BoardForTrainer:
    """What a request's work asks its queue (`watch`, `seal`), asked of the board."""

    def __init__(self, board: Any) -> None:
        self._board = board

    def watch(self, job: _RemoteJob):
        import ray

        return lambda: ray.get(self._board.checkpoint.remote(job.id))

    def seal(self, job: _RemoteJob) -> list[str]:
        import ray

        return ray.get(self._board.seal.remote(job.id))
