"""Trainings on a Ray cluster (`TL_RAY_ADDRESS`): the same jobs and the same queue rules, in other processes.

With `TL_RAY_ADDRESS` unset, a server trains on its own threads (`tl_core.classroom.jobs.JobQueue`); set
(`auto`, `127.0.0.1:6379` or `ray://host:10001`), every app server, the benchmarks and the command line use a
`RayJobQueue` instead, which answers the same questions (`get`, `latest`, `cancel`, `position`, ...), so a
page does not know which one runs its job. Three parts, all Ray Core (the first two, which run in the cluster,
are in `ray_board`):

- **The job board**: one named, detached actor (`BOARD_NAME`) the whole cluster shares. It holds the one
  `JobQueue` of the school: jobs, owners, browsers, progress, cancel flags, the schedule, the limits and the
  sharing of lesson trainings, exactly as in one process; so a student on another app server reattaches to
  their job, and students on two servers pressing Train on one lesson join one training. It computes nothing:
  where the in-process queue runs a job's work on a thread, the board calls a trainer and waits for it.
- **Trainers**: named, detached actors (one per turn, `TL_MAX_CONCURRENT_FITS`), each a warm process: it imports
  TensorFlow and compiles the default lesson's models when it starts, and keeps the zoo models and the
  compiled-model pool between jobs (no 9 s import per job). A trainer reports every epoch to the board (the
  live curves) and asks it after every epoch whether to go on (cancel, pause for a more urgent job), just as
  a job's thread asks the in-process queue. A trainer whose process dies mid-training is restarted by Ray and
  the job is run again from its start, once (`max_task_retries=1`); a second death ends the job as failed,
  with the queue's message for the student. The app keeps serving either way.
- **`RayJobQueue`**, in every app server: connects, finds (or creates) the board, and turns the board's
  answers into `Job` snapshots on this process's clock.

A request travels to the trainer pickled: its workspace by the store's location (a PostgreSQL URL for a
cluster of machines; an SQLite path only works when every process sees that file) and its zoo model by name,
which the trainer loads once. The board never unpickles a request, so it never opens a database or TensorFlow.

The board's limits are those of the process that created it (the first app server to start): every server
then reads them from the board, so a class sees one budget. Jobs the board holds live as long as the board;
a cluster restart forgets unfinished jobs (finished ones are in the workspaces).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import pickle
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tl_core.classroom.jobs import DEFAULT_ABANDON_SECONDS, Job, JobQueue, Whereabouts
from tl_core.classroom.ray_board import BOARD_NAME, NAMESPACE, JobBoard
from tl_core.limits import QueueLimits

if TYPE_CHECKING:
    from tl_core.classroom.requests import Request

logger = logging.getLogger(__name__)

ADDRESS_VARIABLE = "TL_RAY_ADDRESS"
BOARD_THREADS = 1000  # the board's calls block (a paused job's checkpoint waits for its turn): one thread each
ROOT = Path(__file__).resolve().parents[2]


def ray_address() -> str | None:
    """`TL_RAY_ADDRESS`, or None when trainings stay in this process."""
    return os.environ.get(ADDRESS_VARIABLE, "").strip() or None


def connect(address: str) -> None:
    """Join the Ray cluster at `address` once per process (a second call with the same address does nothing).

    Every process Ray starts for this app (board, trainers) gets this process's `TL_*` settings and the
    project on its import path, so a trainer sees the same limits, precision and database as the app.
    """
    import ray

    if ray.is_initialized():
        return
    settings = {name: value for name, value in os.environ.items() if name.startswith("TL_")}
    settings["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    ray.init(
        address=address,
        namespace=NAMESPACE,
        runtime_env={"env_vars": settings},
        logging_level=logging.WARNING,
        log_to_driver=False,  # the trainers' logs stay in the cluster's log files, not in every app server's
    )


class RayJobQueue:
    """The school's training queue on a Ray cluster, as one app server sees it (same questions as `JobQueue`)."""

    def __init__(
        self,
        address: str,
        limits: QueueLimits | None = None,
        abandon_after: float = DEFAULT_ABANDON_SECONDS,
    ) -> None:
        import ray

        connect(address)
        self._ray = ray
        self._asked = (limits or QueueLimits.from_env(), abandon_after)  # for a board this server creates
        self._board = self._find_or_create_board()
        self.problem: str | None = None  # as JobQueue's: this is the queue the server was configured with
        self.limits: QueueLimits = self._call("limits")
        self.max_concurrent = self.limits.max_concurrent_fits
        self.abandon_after: float = self._call("abandon_after")

    # --- the questions pages ask (as JobQueue) -------------------------------------------------------
    def submit_request(self, request: Request, browser: str | None = None) -> Job:
        """Queue `request` on the cluster (or join the same shared job); raises `JobRefused` like `JobQueue.submit`."""
        travelling = pickle.dumps(request.travelling())  # the board passes these bytes on unopened
        details = request.details()
        return self._job(
            self._call(
                "submit",
                request.workspace.name,
                request.kind,
                travelling,
                request.estimate_seconds,
                details,
                request.share_key,
                browser,
            )
        )

    def get(self, job_id: int, touch: bool = True) -> Job | None:
        return self._job(self._call("get", job_id, touch))

    def latest(self, owner: str, kind: str | None = None, touch: bool = True) -> Job | None:
        return self._job(self._call("latest", owner, kind, touch))

    def cancel(self, job_id: int, owner: str | None = None) -> None:
        self._call("cancel", job_id, owner)

    def position(self, job: Job) -> int:
        return self._call("position", job.id)

    def estimated_wait(self, job: Job) -> float:
        return self._call("estimated_wait", job.id)

    def estimated_finish(self, job: Job) -> float:
        return self._call("estimated_finish", job.id)

    def whereabouts(self, owners: list[str]) -> dict[str, Whereabouts]:
        return self._call("whereabouts", owners)

    def counts(self) -> dict[str, int]:
        return self._call("counts")

    @property
    def most_running_at_once(self) -> int:
        return self._call("stat", "most_running_at_once")

    @property
    def most_unfinished_at_once(self) -> int:
        return self._call("stat", "most_unfinished_at_once")

    def attempts(self, job: Job) -> int:
        """How many times a trainer started `job` (2: its first trainer's process died and it ran again)."""
        return self._call("attempts", job.id)

    def trainer_pids(self) -> list[int]:
        """The trainers' process ids (to measure their memory, or to kill one in a test)."""
        return self._call("trainer_pids")

    def shut_down(self) -> None:
        """End the board and the trainers (tests, benchmarks): the next `RayJobQueue` starts afresh.

        The board is found by its name, not through this object's handle: another connection may have replaced it.
        """
        ray = self._ray
        try:
            names = ray.get(ray.get_actor(BOARD_NAME, namespace=NAMESPACE).trainer_names.remote())
        except (ValueError, ray.exceptions.RayActorError):  # no board, or one that already died
            names = []
        for name in [*names, BOARD_NAME]:
            with contextlib.suppress(ValueError):  # never started
                ray.kill(ray.get_actor(name, namespace=NAMESPACE), no_restart=True)

    def _find_or_create_board(self) -> Any:
        """The cluster's board, created with this server's limits if there is none yet."""
        return (
            self._ray.remote(JobBoard)
            .options(
                name=BOARD_NAME,
                namespace=NAMESPACE,
                lifetime="detached",
                get_if_exists=True,
                max_concurrency=BOARD_THREADS,
                num_cpus=0,  # it only keeps the books
            )
            .remote(*self._asked)
        )

    def _call(self, method: str, *args: Any) -> Any:
        """Ask the board; if it died (its node restarted), ask a new one once: the jobs it held are lost, but
        pages keep working (a finished job's result is in the workspace, and a student can press Train again)."""
        try:
            outcome = self._ray.get(getattr(self._board, method).remote(*args))
        except self._ray.exceptions.RayActorError:
            logger.error("The job board is gone (a restarted Ray head?); starting a new one. Unfinished jobs are lost.")
            self._board = self._find_or_create_board()
            outcome = self._ray.get(getattr(self._board, method).remote(*args))
        if isinstance(outcome, Exception):  # JobRefused and friends come back as values, to be raised here as is
            raise outcome
        return outcome

    def _job(self, seen: tuple[Job, float] | None) -> Job | None:
        """The board's job on this process's clock: its times are the board's `time.monotonic()`, which is
        another machine's (or process's) clock; shifted by the difference, `elapsed` and "finished 2 minutes
        ago" mean the same here."""
        if seen is None:
            return None
        job, board_now = seen
        shift = time.monotonic() - board_now
        moved = {
            name: getattr(job, name) + shift
            for name in ("created", "started", "finished", "last_seen", "turn_since")
            if getattr(job, name) is not None
        }
        return dataclasses.replace(job, **moved)


UNREACHABLE = (
    "This server cannot reach the school's training cluster right now, so trainings run on this server itself: "
    "they work, but more slowly when many train at once, and only students on this server share a lesson's training."
)
PROBE_SECONDS = 3.0  # ray.init waits minutes for an address where nothing answers; a page must not


def job_queue() -> JobQueue | RayJobQueue:
    """This server's training queue: the Ray cluster's when `TL_RAY_ADDRESS` is set, else one in this process.

    A cluster that cannot be reached (nothing answers at its address, or joining it fails) leaves this server
    training in-process, with `problem` saying so for the page and the reason in the log.
    """
    address = ray_address()
    if not address:
        return JobQueue()
    try:
        _probe(address)
        return RayJobQueue(address)
    except Exception as error:  # whatever Ray raises; the app keeps serving either way
        logger.error("The Ray cluster at %s cannot be used (%s); training in this process instead.", address, error)
        queue = JobQueue()
        queue.problem = UNREACHABLE
        return queue


def _probe(address: str) -> None:
    """Raise OSError unless something accepts a connection at `address` (host:port or ray://host:port)."""
    if address == "auto":
        return  # the cluster this machine runs, found by Ray itself from its files
    host, _, port = address.removeprefix("ray://").rpartition(":")
    with socket.create_connection((host or "127.0.0.1", int(port or 6379)), timeout=PROBE_SECONDS):
        pass
