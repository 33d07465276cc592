"""A process-wide queue of training jobs that shares the trainer fairly: short jobs never wait behind a long
one for more than one epoch of it, each student has at most one job, and no job is bigger than the budget.

Streamlit runs every browser session as a thread of one process, and TensorFlow is not safe for building
and training models from many threads at once; and a training must survive the reruns a user causes. So
pages never train on their own thread: they submit a job here and poll it. A job is owned by a key (the
workspace name), so a refreshed or reconnected page finds its job again. A job nobody has looked at for
`abandon_after` seconds (its pages are gone) is cancelled.

**Scheduling.** Every job runs on a thread of its own but computes only while it holds one of the
`TL_MAX_CONCURRENT_FITS` turns. Trainings advance in slices: after every epoch the engine calls the job's
`should_stop` (see `watch`), which is also where a job gives its turn up when a more urgent job waits.
The most urgent job is the one with the least *expected remaining* compute (shortest remaining first, from
the calibrated estimate minus what it has used; ties go to the earlier job). That is what keeps a class
moving: a default comparison submitted while someone's two-minute run trains starts at that run's next
epoch, and thirty equal jobs still run one after another instead of all finishing late together. A job that
outruns its estimate is ranked by how far it has overrun it (least attained service past the estimate), so
a job a little over still finishes first, while a wrong estimate cannot make a long job look short for long.
Waiting also counts: a job gains a quarter of a second of urgency per second it waits, so a long job behind
a stream of short ones still gets its turn (after waiting about four times the difference). A paused job
keeps its models and data and resumes exactly where it was; the numbers it computes do not depend on what
ran in between.

**Limits**, all checked before anything is queued (`JobRefused` says which, in words for the student): one
unfinished job per workspace and per browser, at most `TL_MAX_QUEUED_JOBS` unfinished jobs on the server,
and no job whose estimate exceeds `TL_MAX_JOB_SECONDS` (see `tl_core.training.cost` for the estimates and for
cheaper runs that fit).

Jobs with a `share_key` (a lesson's settings: the same link, the same seed, hence the same result) are shared:
whoever asks for the same key while such a job waits or runs joins it as another owner instead of queueing a
copy, sees the same live curves, and gets the result kept in their own workspace. A class of thirty pressing
Train on one lesson link waits for one training, not thirty; and it counts as one job in the schedule.

Kept as one module: the queue's lock guards scheduling, limits and sharing together; split across modules, each
part would reach into the others' state under that lock.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from tl_core.limits import QueueLimits, max_concurrent_fits  # noqa: F401 (max_concurrent_fits: part of this API)
from tl_core.storage.workspace import WorkspaceError
from tl_core.training.tasks import TaskError

logger = logging.getLogger(__name__)

QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED = "queued", "running", "paused", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
AGING_PER_SECOND_WAITED = 0.25  # seconds of urgency a job gains per second it waits: no job waits for ever
DEFAULT_ABANDON_SECONDS = 45.0  # a page polls twice a second; a refresh reattaches well within this
FORGET_AFTER_SECONDS = 3600.0  # finished jobs are kept this long for pages to show how they ended


BUSY_WORKSPACE = "This workspace already has a training waiting or running: wait for it, or cancel it first."
BUSY_BROWSER = (
    "Another tab of this browser already has a training waiting or running: one at a time per student, so "
    "everyone gets a turn."
)
FULL = "The trainer is full ({limit} trainings waiting or running). Try again in a minute; your work is kept."
OVER_BUDGET = (
    "This run needs about {seconds:,.0f} s of the shared trainer, over this server's limit of {limit:,.0f} s per "
    "job. Use fewer epochs, fewer samples, the feature-extraction strategy or a smaller model."
)
# What a student reads when a job fails: a raw exception ("OSError: [Errno 28] No space left on device:
# '/srv/...'") means nothing to them and shows the server's paths; its details go to the server log instead.
FAILED_ON_SERVER = (
    "The training stopped because of a problem on the server; your samples are safe. Try again, or tell your "
    "teacher if it happens again."
)
WRITTEN_FOR_USERS = (WorkspaceError, TaskError)  # their messages say what to do, in words for the student


@dataclass(frozen=True)
class JobDetails:
    """What pages need to show a job's progress (all optional: a job says what it has)."""

    title: str | None = None  # what the job panel calls it ("Training the lesson's two models")
    epochs: int | None = None  # the live curves' x axis
    classes: int | None = None  # the live curves' chance level, 1 / classes
    place: str | None = None  # where on its page it was started (the lesson shows it there)


@dataclass(frozen=True)
class Whereabouts:
    """Someone's latest job as a class page shows it: small, so thirty are one question (and one message on Ray)."""

    status: str
    kind: str
    position: int  # its place in line while queued (0 otherwise)
    training: str | None  # the model its last epoch was of ("transfer", "scratch"); None before any, or not curves
    epochs_done: int  # epochs of that model finished
    epochs: int | None  # per model (JobDetails.epochs)


class JobRefused(Exception):
    """A job was not queued; `str(error)` tells the student why and what to do. `reason` is one of
    "busy" (this workspace or browser has a job already), "full" (the server's queue) or "budget"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple:
        return JobRefused, (self.reason, str(self))  # it crosses processes (a Ray cluster's job board) intact


@dataclass
class Job:
    id: int
    owners: list[str]  # who may reattach (workspace names): whoever asked first, then whoever joined a shared job
    kind: str  # e.g. "comparison" or "sweep"
    estimate_seconds: float  # expected trainer seconds, for the schedule and the estimates shown
    created: float = field(default_factory=time.monotonic)
    status: str = QUEUED
    started: float | None = None  # when it first got a turn
    finished: float | None = None
    last_seen: float = field(default_factory=time.monotonic)
    cancel_requested: bool = False
    events: list = field(default_factory=list)  # progress events, appended by the work function
    note: str = ""  # a line of progress text
    details: JobDetails = field(default_factory=JobDetails)  # what pages need to show its progress
    share_key: str | None = None  # jobs with the same key compute the same thing: later askers join this one
    browsers: dict[str, str] = field(default_factory=dict)  # owner -> their browser (one unfinished job each)
    sealed: bool = False  # no one joins any more: the work is handing its result to the owners
    used_seconds: float = 0.0  # trainer seconds received so far (time holding a turn)
    turn_since: float | None = None  # when its current turn began; None while it has no turn
    pauses: int = 0  # how often it gave its turn to a more urgent job
    result: Any = None
    error: str | None = None

    @property
    def elapsed(self) -> float:
        """Wall seconds since it first got a turn (pauses included)."""
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started

    @property
    def active(self) -> bool:
        """Unfinished and not being cancelled: it counts against the limits."""
        return self.status not in FINISHED and not self.cancel_requested

    def compute_used(self, now: float) -> float:
        since = self.turn_since  # read once: another thread may end the turn meanwhile
        return self.used_seconds + (now - since if since is not None else 0.0)

    def waited(self, now: float) -> float:
        """Seconds it has spent unfinished without a turn (queued or paused)."""
        return max(0.0, (self.finished or now) - self.created - self.compute_used(now))

    def expected_remaining(self, now: float) -> float:
        """Trainer seconds it still needs, by its estimate; once past it, how far it has overrun it.

        The second part is what keeps a wrong estimate honest: a job that overran by x seconds ranks like a
        job with x seconds left, so it finishes first when it is nearly done (a few percent over), and gives
        way to a newcomer of size y once it has overrun by more than y.
        """
        return abs(self.estimate_seconds - self.compute_used(now))


class JobQueue:
    typical_slice_seconds = 2.0  # an epoch of a large run: only for the waiting time shown to a student
    problem: str | None = None  # why this is not the queue the server was configured with (see ray_jobs.job_queue)

    def __init__(
        self,
        max_concurrent: int | None = None,
        abandon_after: float = DEFAULT_ABANDON_SECONDS,
        limits: QueueLimits | None = None,
    ) -> None:
        limits = limits or QueueLimits.from_env()
        if max_concurrent is not None:
            limits = QueueLimits(max(1, max_concurrent), limits.max_queued_jobs, limits.max_job_seconds)
        self.limits = limits
        self.max_concurrent = limits.max_concurrent_fits
        self.abandon_after = abandon_after
        self._lock = threading.Condition()
        self._jobs: dict[int, Job] = {}
        self._holding: set[int] = set()  # jobs computing now (at most max_concurrent)
        self.most_running_at_once = 0  # for the load benchmark: never above max_concurrent
        self.most_unfinished_at_once = 0  # for the load benchmark: never above max_queued_jobs
        self._ids = itertools.count(1)

    def submit(
        self,
        owner: str,
        kind: str,
        work: Callable[[Job], Any],
        estimate_seconds: float = 10.0,
        details: JobDetails | None = None,
        share_key: str | None = None,
        browser: str | None = None,
    ) -> Job:
        """Queue `work(job)`; it runs on its own thread, computing while it holds a turn. Returns the job at once.

        With a `share_key`, an unfinished job with the same key is joined instead (`work` is then not used).
        Raises `JobRefused`, with nothing queued, when a limit stands in the way (see the module docstring).
        """
        with self._lock:
            self._forget_finished(older_than=FORGET_AFTER_SECONDS)
            shared = self._joinable(share_key) if share_key is not None else None
            self._check_one_each(owner, browser, allowed=shared)
            if shared is not None:
                if owner not in shared.owners:
                    shared.owners.append(owner)
                if browser is not None:
                    shared.browsers[owner] = browser
                shared.last_seen = time.monotonic()
                return shared
            self._check_capacity(estimate_seconds)
            job = Job(
                next(self._ids),
                [owner],
                kind,
                estimate_seconds,
                details=details or JobDetails(),
                share_key=share_key,
                browsers={owner: browser} if browser is not None else {},
            )
            self._jobs[job.id] = job
            self.most_unfinished_at_once = max(self.most_unfinished_at_once, sum(j.active for j in self._jobs.values()))
        threading.Thread(target=self._run, args=(job, work), name=f"job-{job.id}", daemon=True).start()
        return job

    def _check_one_each(self, owner: str, browser: str | None, allowed: Job | None) -> None:
        for job in self._jobs.values():
            if not job.active or job is allowed:
                continue
            if owner in job.owners:
                raise JobRefused("busy", BUSY_WORKSPACE)
            if browser is not None and browser in job.browsers.values():
                raise JobRefused("busy", BUSY_BROWSER)

    def _check_capacity(self, estimate_seconds: float) -> None:
        limits = self.limits
        if estimate_seconds > limits.max_job_seconds:  # first: waiting would never change this answer
            raise JobRefused("budget", OVER_BUDGET.format(seconds=estimate_seconds, limit=limits.max_job_seconds))
        if sum(job.active for job in self._jobs.values()) >= limits.max_queued_jobs:
            raise JobRefused("full", FULL.format(limit=limits.max_queued_jobs))

    def get(self, job_id: int, touch: bool = True) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None and touch:
                job.last_seen = time.monotonic()
            return job

    def latest(self, owner: str, kind: str | None = None, touch: bool = True) -> Job | None:
        """The newest job of `owner` (and `kind`): how a refreshed page reattaches."""
        with self._lock:
            jobs = [j for j in self._jobs.values() if owner in j.owners and (kind is None or j.kind == kind)]
            job = max(jobs, key=lambda j: j.id, default=None)
            if job is not None and touch:
                job.last_seen = time.monotonic()
            return job

    def cancel(self, job_id: int, owner: str | None = None) -> None:
        """Cancel the job; for a shared job, `owner` only leaves it, and the last owner to leave cancels it.

        A cancelled job stops at its next epoch and frees its place in the queue at once.
        """
        with self._lock:
            if (job := self._jobs.get(job_id)) is None or job.status in FINISHED or job.sealed:
                return  # sealed: the result is being handed to its owners, nothing to cancel any more
            if owner is not None and owner not in job.owners:
                return  # someone who already left (a second click on a page that still shows the job)
            if owner is not None and len(job.owners) > 1:
                job.owners.remove(owner)
                job.browsers.pop(owner, None)
                return
            job.cancel_requested = True
            self._lock.notify_all()

    def copy_of(self, job: Job) -> Job:
        """A copy of `job` as it is now, that no thread changes (its lists are copies too): for sending elsewhere."""
        with self._lock:
            return replace(job, events=list(job.events), owners=list(job.owners), browsers=dict(job.browsers))

    def seal(self, job: Job) -> list[str]:
        """Close a shared job to newcomers and return its owners: call once the result is ready to hand out."""
        with self._lock:
            job.sealed = True
            return list(job.owners)

    def _joinable(self, share_key: str) -> Job | None:
        for job in self._jobs.values():
            if job.share_key == share_key and job.active and not job.sealed:
                return job
        return None

    # --- what pages show ---------------------------------------------------------------------------------
    def _ahead_of(self, job: Job, now: float) -> list[Job]:
        """Unfinished jobs that will compute before `job` finishes, by the schedule's rule."""
        mine = self._urgency(job, now)
        return [j for j in self._jobs.values() if j is not job and j.active and self._urgency(j, now) < mine]

    def position(self, job: Job) -> int:
        """1 for the next job to get a turn; 0 while it computes or once it has finished.

        A free turn is taken by the most urgent waiting job as soon as its thread wakes: a job ahead that has not
        taken one yet (just submitted, or between two slices) does not make anyone wait longer."""
        with self._lock:
            if job.status in FINISHED or job.id in self._holding:
                return 0
            now = time.monotonic()
            waiting_ahead = sum(1 for j in self._ahead_of(job, now) if j.id not in self._holding)
            free_turns = self.max_concurrent - len(self._holding)
            return 1 + max(0, waiting_ahead - free_turns)

    def estimated_wait(self, job: Job) -> float:
        """Seconds until `job` computes again: the remaining compute of every job ahead of it, shared among the
        turns, plus the rest of the current slice of longer jobs computing now (at most one epoch of theirs)."""
        with self._lock:
            if job.status in FINISHED or job.id in self._holding:
                return 0.0
            now = time.monotonic()
            ahead = self._ahead_of(job, now)
            work = sum(j.expected_remaining(now) for j in ahead)
            if len([j for j in ahead if j.id in self._holding]) < len(self._holding):
                work += self.typical_slice_seconds  # a longer job finishing its epoch first
            return work / self.max_concurrent

    def estimated_finish(self, job: Job) -> float:
        """Seconds until `job` should be done, if no shorter job arrives meanwhile."""
        with self._lock:
            if job.status in FINISHED:
                return 0.0
            now = time.monotonic()
            mine = job.expected_remaining(now)
        return (0.0 if job.id in self._holding else self.estimated_wait(job)) + mine

    def whereabouts(self, owners: list[str]) -> dict[str, Whereabouts]:
        """Where each of `owners`' latest job is (those who have one), asked at once; watching touches no one."""
        wanted = set(owners)
        with self._lock:
            latest: dict[str, Job] = {}
            for job in self._jobs.values():
                for owner in wanted.intersection(job.owners):
                    if owner not in latest or job.id > latest[owner].id:
                        latest[owner] = job
            return {owner: self._whereabouts(job) for owner, job in latest.items()}

    def _whereabouts(self, job: Job) -> Whereabouts:
        curves = [which for which, _ in list(job.events) if isinstance(which, str)]  # (model, EpochRecord) events
        training = curves[-1] if curves else None
        position = self.position(job) if job.status == QUEUED else 0
        return Whereabouts(job.status, job.kind, position, training, curves.count(training), job.details.epochs)

    def counts(self) -> dict[str, int]:
        with self._lock:
            statuses = [job.status for job in self._jobs.values()]
        return {status: statuses.count(status) for status in (QUEUED, RUNNING, PAUSED, DONE, FAILED, CANCELLED)}

    def _forget_finished(self, older_than: float) -> None:
        """Drop jobs finished long ago (their results are in the workspace), so memory stays flat."""
        now = time.monotonic()
        for job_id in [i for i, j in self._jobs.items() if j.finished and now - j.finished > older_than]:
            del self._jobs[job_id]

    # --- the worker side -----------------------------------------------------------------------------
    def _urgency(self, job: Job, now: float) -> tuple[float, float]:
        """Smaller is more urgent: expected remaining compute, less a quarter of the time it has waited (so a long
        job behind a stream of short ones gets its turn after waiting about 4x the difference), then age."""
        return (job.expected_remaining(now) - AGING_PER_SECOND_WAITED * job.waited(now), job.id)

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        if not self._take_turn(job):
            with self._lock:
                job.status, job.finished = CANCELLED, time.monotonic()
                self._lock.notify_all()
            return
        status = FAILED
        try:
            job.result = work(job)
            status = CANCELLED if job.cancel_requested else DONE
        except Exception as error:  # a failed job reports its error to its page; the server carries on
            job.error = f"The training stopped: {error}" if isinstance(error, WRITTEN_FOR_USERS) else FAILED_ON_SERVER
            logger.exception("Job %s (%s of %s) failed", job.id, job.kind, ", ".join(job.owners))
        finally:
            with self._lock:  # status and finish time together: a page that sees one sees the other
                self._release_turn(job)
                job.status, job.finished = status, time.monotonic()
                self._lock.notify_all()

    def _take_turn(self, job: Job) -> bool:
        """Wait until `job` is the most urgent job waiting and a turn is free; False when cancelled meanwhile."""
        with self._lock:
            while True:
                if self._stopping(job):
                    return False
                if len(self._holding) < self.max_concurrent and self._most_urgent_waiting() is job:
                    self._holding.add(job.id)
                    self.most_running_at_once = max(self.most_running_at_once, len(self._holding))
                    job.turn_since = time.monotonic()
                    job.started = job.started or job.turn_since
                    job.status = RUNNING
                    self._lock.notify_all()
                    return True
                self._lock.wait(timeout=1.0)

    def _release_turn(self, job: Job) -> None:
        if job.id in self._holding:
            self._holding.discard(job.id)
            job.used_seconds = job.compute_used(time.monotonic())
            job.turn_since = None

    def _most_urgent_waiting(self) -> Job | None:
        now = time.monotonic()
        waiting = [j for j in self._jobs.values() if j.active and j.id not in self._holding]
        return min(waiting, key=lambda j: self._urgency(j, now), default=None)

    def checkpoint(self, job: Job) -> bool:
        """A safe point between two slices of `job` (after an epoch): give the turn to a more urgent job if one
        waits, and come back when it is this job's turn again. Returns True when the job should stop."""
        with self._lock:
            if self._stopping(job):
                return True  # it keeps its turn while it winds down, so nothing computes beside the next job
            now = time.monotonic()
            rival = self._most_urgent_waiting()
            if rival is None or self._urgency(rival, now) > self._urgency(job, now):
                return False
            self._release_turn(job)
            job.status, job.pauses = PAUSED, job.pauses + 1
            self._lock.notify_all()
        return not self._take_turn(job)

    def _stopping(self, job: Job) -> bool:
        if not job.cancel_requested and time.monotonic() - job.last_seen > self.abandon_after:
            job.cancel_requested = True  # abandoned: no page has asked about it for a while
        return job.cancel_requested

    def watch(self, job: Job) -> Callable[[], bool]:
        """The job's `should_stop` for the training engine, called after every epoch: a checkpoint (see above)
        that returns True when the job was cancelled or abandoned by its pages."""
        return lambda: self.checkpoint(job)
