"""A process-wide queue of training jobs: at most `TL_MAX_CONCURRENT_FITS` fits at once, first come first
served, each cancellable, each abandoned job cancelled.

Streamlit runs every browser session as a thread of one process, and TensorFlow is not safe for building
and training models from many threads at once; and a training must survive the reruns a user causes. So
pages never train on their own thread: they submit a job here and poll it. A job is owned by a key (the
workspace name), so a refreshed or reconnected page finds its job again. A job nobody has looked at for
`abandon_after` seconds (its pages are gone) is cancelled.

Jobs with a `share_key` (a lesson's settings: the same link, the same seed, hence the same result) are shared:
whoever asks for the same key while such a job waits or runs joins it as another owner instead of queueing a
copy, sees the same live curves, and gets the result kept in their own workspace. A class of thirty pressing
Train on one lesson link waits for one training, not thirty.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
FINISHED = (DONE, FAILED, CANCELLED)
DEFAULT_MAX_CONCURRENT_FITS = 1  # two cores: one fit uses both; two at once only slow each other down
DEFAULT_ABANDON_SECONDS = 45.0  # a page polls twice a second; a refresh reattaches well within this
FORGET_AFTER_SECONDS = 3600.0  # finished jobs are kept this long for pages to show how they ended


@dataclass
class Job:
    id: int
    owners: list[str]  # who may reattach (workspace names): whoever asked first, then whoever joined a shared job
    kind: str  # e.g. "comparison" or "sweep"
    estimate_seconds: float  # expected run time, for queue estimates
    created: float = field(default_factory=time.monotonic)
    status: str = QUEUED
    started: float | None = None
    finished: float | None = None
    last_seen: float = field(default_factory=time.monotonic)
    cancel_requested: bool = False
    events: list = field(default_factory=list)  # progress events, appended by the work function
    note: str = ""  # a line of progress text
    details: dict = field(default_factory=dict)  # what pages need to show progress, e.g. {"epochs": 30}
    share_key: str | None = None  # jobs with the same key compute the same thing: later askers join this one
    sealed: bool = False  # no one joins any more: the work is handing its result to the owners
    result: Any = None
    error: str | None = None

    def should_stop(self) -> bool:
        return self.cancel_requested

    @property
    def elapsed(self) -> float:
        if self.started is None:
            return 0.0
        return (self.finished or time.monotonic()) - self.started


class JobQueue:
    def __init__(self, max_concurrent: int | None = None, abandon_after: float = DEFAULT_ABANDON_SECONDS) -> None:
        self.max_concurrent = max(1, max_concurrent or max_concurrent_fits())
        self.abandon_after = abandon_after
        self._lock = threading.Condition()
        self._jobs: dict[int, Job] = {}
        self._waiting: list[int] = []  # job ids, first come first served
        self._running = 0
        self.most_running_at_once = 0  # for the load benchmark: never above max_concurrent
        self._ids = itertools.count(1)

    def submit(
        self,
        owner: str,
        kind: str,
        work: Callable[[Job], Any],
        estimate_seconds: float = 10.0,
        details: dict | None = None,
        share_key: str | None = None,
    ) -> Job:
        """Queue `work(job)`; it runs on its own thread when a slot is free. Returns the job at once.

        With a `share_key`, an unfinished job with the same key is joined instead (`work` is then not used).
        """
        with self._lock:
            self._forget_finished(older_than=FORGET_AFTER_SECONDS)
            if share_key is not None and (shared := self._joinable(share_key)) is not None:
                if owner not in shared.owners:
                    shared.owners.append(owner)
                shared.last_seen = time.monotonic()
                return shared
            job = Job(next(self._ids), [owner], kind, estimate_seconds, details=dict(details or {}),
                      share_key=share_key)  # fmt: skip
            self._jobs[job.id] = job
            self._waiting.append(job.id)
        threading.Thread(target=self._run, args=(job, work), name=f"job-{job.id}", daemon=True).start()
        return job

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
        """Cancel the job; for a shared job, `owner` only leaves it, and the last owner to leave cancels it."""
        with self._lock:
            if (job := self._jobs.get(job_id)) is None or job.status in FINISHED:
                return
            if owner in job.owners and len(job.owners) > 1 and not job.sealed:
                job.owners.remove(owner)
                return
            job.cancel_requested = True
            self._lock.notify_all()

    def seal(self, job: Job) -> list[str]:
        """Close a shared job to newcomers and return its owners: call once the result is ready to hand out."""
        with self._lock:
            job.sealed = True
            return list(job.owners)

    def _joinable(self, share_key: str) -> Job | None:
        joinable = (QUEUED, RUNNING)
        for job in self._jobs.values():
            if job.share_key == share_key and job.status in joinable and not (job.sealed or job.cancel_requested):
                return job
        return None

    def position(self, job: Job) -> int:
        """1 for the next job to start; 0 once it runs or has finished."""
        with self._lock:
            return self._waiting.index(job.id) + 1 if job.id in self._waiting else 0

    def estimated_wait(self, job: Job) -> float:
        """Seconds until `job` should start: the work ahead of it, shared among the slots."""
        with self._lock:
            running = [j for j in self._jobs.values() if j.status == RUNNING]
            ahead = self._waiting[: self._waiting.index(job.id)] if job.id in self._waiting else []
            remaining = sum(max(0.0, j.estimate_seconds - j.elapsed) for j in running)
            remaining += sum(self._jobs[i].estimate_seconds for i in ahead)
            return remaining / self.max_concurrent

    def counts(self) -> dict[str, int]:
        with self._lock:
            statuses = [job.status for job in self._jobs.values()]
        return {status: statuses.count(status) for status in (QUEUED, RUNNING, DONE, FAILED, CANCELLED)}

    def _forget_finished(self, older_than: float) -> None:
        """Drop jobs finished long ago (their results are in the workspace), so memory stays flat."""
        now = time.monotonic()
        for job_id in [i for i, j in self._jobs.items() if j.finished and now - j.finished > older_than]:
            del self._jobs[job_id]

    # --- the worker side -----------------------------------------------------------------------------
    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        if not self._wait_for_slot(job):
            return
        try:
            job.result = work(job)
            job.status = CANCELLED if job.cancel_requested else DONE
        except Exception as error:  # a failed job reports its error to its page; the server carries on
            job.error = f"{type(error).__name__}: {error}"
            job.status = FAILED
            traceback.print_exc()
        finally:
            with self._lock:
                job.finished = time.monotonic()
                self._running -= 1
                self._lock.notify_all()

    def _wait_for_slot(self, job: Job) -> bool:
        with self._lock:
            while True:
                if job.cancel_requested or self._abandoned(job):
                    job.cancel_requested = True
                    job.status = CANCELLED
                    job.finished = time.monotonic()
                    self._waiting.remove(job.id)
                    self._lock.notify_all()
                    return False
                if self._waiting[0] == job.id and self._running < self.max_concurrent:
                    self._waiting.pop(0)
                    self._running += 1
                    self.most_running_at_once = max(self.most_running_at_once, self._running)
                    job.status, job.started = RUNNING, time.monotonic()
                    self._lock.notify_all()
                    return True
                self._lock.wait(timeout=1.0)

    def _abandoned(self, job: Job) -> bool:
        return time.monotonic() - job.last_seen > self.abandon_after

    def watch(self, job: Job) -> Callable[[], bool]:
        """A `should_stop` for the training engine: cancelled, or abandoned by its pages."""

        def should_stop() -> bool:
            if not job.cancel_requested and self._abandoned(job):
                job.cancel_requested = True
            return job.cancel_requested

        return should_stop


def max_concurrent_fits() -> int:
    """`TL_MAX_CONCURRENT_FITS`, default 1; anything unreadable falls back to the default."""
    try:
        return max(1, int(os.environ.get("TL_MAX_CONCURRENT_FITS", DEFAULT_MAX_CONCURRENT_FITS)))
    except ValueError:
        return DEFAULT_MAX_CONCURRENT_FITS
