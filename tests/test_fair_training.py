"""Real (tiny) trainings through the fair queue: a short job overtakes a long one at an epoch boundary, the
interleaved curves are bit-identical to runs alone, Cancel works within one epoch for comparisons and sweeps,
and a class pressing "Measure it" on one lesson gets one shared sweep."""

import threading
import time

import pytest

import tl_core
from tl_core.classroom.jobs import CANCELLED, DONE, JobQueue
from tl_core.classroom.lesson import Lesson
from tl_core.classroom.requests import LessonSweepRequest, curve_progress, submit
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.engine import compare
from tl_core.training.results import SweepSummary
from tl_core.training.settings import TrainSettings
from tl_core.training.sweep import data_efficiency
from tl_core.training.tasks import charset_task

pytestmark = pytest.mark.slow

LONG = TrainSettings(strategy="fine-tune-all", epochs=12, seed=5)
SHORT = TrainSettings(strategy="fine-tune-all", epochs=2, seed=6)  # the same kind: built while LONG is paused


@pytest.fixture(scope="module")
def pretrained():
    return tl_core.load_model("compact-gap")


@pytest.fixture(scope="module")
def task():
    return charset_task("katakana", 2, seed=1, eval_per_class=2)


def curves(comparison) -> list:
    """Every number of both curves except the clock (which depends on the machine's load)."""
    return [
        (which, r.epoch, r.loss, r.train_accuracy, r.eval_accuracy)
        for which in ("transfer", "scratch")
        for r in getattr(comparison, which).curve
    ]


def wait_until(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_a_short_training_overtakes_a_long_one_and_both_curves_match_runs_alone(pretrained, task):
    alone_long = curves(compare(pretrained, "compact-gap", task, LONG))
    alone_short = curves(compare(pretrained, "compact-gap", task, SHORT))

    queue = JobQueue(max_concurrent=1)

    def comparison(settings):
        return lambda job: compare(pretrained, "compact-gap", task, settings, curve_progress(job), queue.watch(job))

    long = queue.submit("alice", "comparison", comparison(LONG), estimate_seconds=60)
    wait_until(lambda: len(long.events) >= 2)  # the long job is training
    short = queue.submit("bob", "comparison", comparison(SHORT), estimate_seconds=2)
    wait_until(lambda: short.status == DONE)
    assert long.status not in (DONE, CANCELLED) and long.pauses >= 1  # it gave way and waits to resume
    wait_until(lambda: long.status == DONE)
    assert short.finished < long.finished
    assert curves(long.result) == alone_long  # same seed, same numbers, whatever ran in between
    assert curves(short.result) == alone_short


def test_a_cancelled_comparison_stops_within_one_epoch(pretrained, task):
    queue = JobQueue(max_concurrent=1)
    cancelled_at = []

    def work(job):
        return compare(pretrained, "compact-gap", task, LONG, curve_progress(job), queue.watch(job))

    job = queue.submit("alice", "comparison", work)
    wait_until(lambda: len(job.events) >= 2)
    cancelled_at.append(len(job.events))
    queue.cancel(job.id)
    wait_until(lambda: job.status == CANCELLED)
    assert len(job.events) <= cancelled_at[0] + 1


def test_a_cancelled_sweep_stops_within_one_epoch_of_its_current_comparison(pretrained):
    queue = JobQueue(max_concurrent=1)
    checks = []

    def work(job):
        watch = queue.watch(job)

        def should_stop():
            checks.append(1)
            return watch()

        return data_efficiency(
            pretrained,
            "compact-gap",
            lambda k, seed: charset_task("katakana", k, seed, eval_per_class=1),
            TrainSettings(strategy="fine-tune-all", epochs=30),
            shots=(1, 2),
            seeds=1,
            should_stop=should_stop,
        )

    job = queue.submit("alice", "sweep", work)
    wait_until(lambda: len(checks) >= 3)  # inside the first comparison: its epochs are checkpoints too
    queue.cancel(job.id)
    checks_when_cancelled = len(checks)
    wait_until(lambda: job.status == CANCELLED)
    assert job.result.cancelled and job.result.shots == ()
    assert len(checks) - checks_when_cancelled <= 1  # the very next epoch boundary stopped it


def test_a_class_pressing_measure_it_on_one_lesson_runs_one_sweep_kept_by_everyone(pretrained, tmp_path):
    store = WorkspaceStore(tmp_path / "workspaces.sqlite3")
    lesson = Lesson(charset="katakana", shots=1, train=TrainSettings(epochs=2, seed=3))
    shots = (1, 2)
    queue = JobQueue(max_concurrent=1)
    hold = threading.Event()
    queue.submit("someone-else", "comparison", lambda job: hold.wait(10), estimate_seconds=1)  # the class waits
    students = ("ann", "ben", "cho")
    jobs = [
        submit(queue, LessonSweepRequest(store.workspace(name), pretrained, lesson, shots, estimate_seconds=10.0))
        for name in students
    ]
    assert jobs[0] is jobs[1] is jobs[2] and jobs[0].owners == list(students)
    hold.set()
    wait_until(lambda: jobs[0].status == DONE)
    runs = [store.workspace(name).latest_run("lesson-sweep", SweepSummary.from_json).summary for name in students]
    assert runs[0] == runs[1] == runs[2] and runs[0].shots == shots
    points = [what for _, what in jobs[0].events]  # the live numbers every owner's panel showed
    assert len(points) == 2 and points[0].startswith("1 per class, seed 0: transfer")
