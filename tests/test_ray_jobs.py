"""Jobs on a real local Ray cluster (issue 16): the same queue, trainings in warm trainer processes.

One cluster and one job board for the module (a trainer's start imports TensorFlow and warms up, ~15 s);
each test works in workspaces of its own, in PostgreSQL (one test also in an SQLite file). The test process
never imports TensorFlow: requests travel without their zoo model (`pretrained=None`), and the trainer loads it
by name, as it does for a page.
"""

import os
import signal
import time

import pytest

from tl_core.classroom.jobs import CANCELLED, DONE, FAILED, FAILED_ON_SERVER, RUNNING, JobRefused
from tl_core.classroom.lesson import Lesson
from tl_core.classroom.local_ray import ray_cluster
from tl_core.classroom.ray_board import RETRIED
from tl_core.classroom.ray_jobs import RayJobQueue
from tl_core.classroom.requests import ComparisonRequest, LessonRequest, submit
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.results import ComparisonSummary
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import charset_task

pytestmark = pytest.mark.slow

MODEL = "compact-gap"


@pytest.fixture(scope="module")
def cluster():
    with ray_cluster(cpus=2) as local:
        yield local.address


@pytest.fixture(scope="module")
def queue(cluster):
    queue = RayJobQueue(cluster)
    yield queue
    queue.shut_down()


@pytest.fixture(scope="module")
def store(postgres_server):
    """A school's set-up: trainers write into PostgreSQL, which the app servers read."""
    return WorkspaceStore(postgres_server.new_database())


@pytest.fixture(scope="module")
def file_store(tmp_path_factory):
    """One machine's set-up: every process of the cluster sees the same SQLite file."""
    return WorkspaceStore(tmp_path_factory.mktemp("ray-store") / "workspaces.sqlite3")


@pytest.fixture(scope="module")
def task():
    return charset_task("katakana", 2, seed=1, eval_per_class=2)


def comparison(store, owner, task, epochs, seed=5):
    settings = TrainSettings(strategy="fine-tune-all", epochs=epochs, seed=seed)
    return ComparisonRequest(store.workspace(owner), None, MODEL, "CNN", task, settings, estimate_seconds=epochs * 0.2)


def wait_until(condition, timeout=180.0, every=0.1):
    deadline = time.monotonic() + timeout
    while not (outcome := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(every)
    return outcome


@pytest.mark.parametrize("where", ["store", "file_store"])
def test_a_comparison_on_ray_streams_its_curves_and_is_kept_in_the_workspace(queue, where, task, request):
    store = request.getfixturevalue(where)
    job = submit(queue, comparison(store, "ray-alice", task, epochs=6))
    seen_while_running = wait_until(lambda: (j := queue.get(job.id)).status == RUNNING and len(j.events) > 0 and j)
    assert len(seen_while_running.events) < 12  # progress arrived before the end, not all at once
    done = wait_until(lambda: (j := queue.get(job.id)).status in (DONE, FAILED, CANCELLED) and j)
    assert done.status == DONE, done.error
    assert [which for which, _ in done.events].count("scratch") == 6
    kept = store.workspace("ray-alice").latest_run("comparison", ComparisonSummary.from_json)
    assert kept is not None and kept.id == done.result
    assert len(kept.summary.transfer.eval_accuracy) == 6 and set(store.workspace("ray-alice").run_models(kept.id)) == {
        "transfer",
        "scratch",
    }
    assert 0 <= done.elapsed < 120  # the board's clock, read on this process's


def test_a_refresh_finds_the_job_again_through_a_new_connection(queue, store, task, cluster):
    job = submit(queue, comparison(store, "ray-bob", task, epochs=4))
    another_server = RayJobQueue(cluster)  # another app server finds the same board by its name
    assert another_server.latest("ray-bob").id == job.id
    with pytest.raises(JobRefused) as refused:  # the one-job-per-workspace rule holds across servers
        submit(another_server, comparison(store, "ray-bob", task, epochs=4))
    assert refused.value.reason == "busy"
    assert wait_until(lambda: (j := queue.get(job.id)).status in (DONE, FAILED) and j).status == DONE


def test_a_waiting_job_shows_its_place_and_cancel_stops_within_one_epoch(queue, store, task):
    first = submit(queue, comparison(store, "ray-carol", task, epochs=300))
    wait_until(lambda: len(queue.get(first.id).events) >= 2)
    second = submit(queue, comparison(store, "ray-dan", task, epochs=300, seed=6))
    waiting = queue.get(second.id)
    assert waiting.status != RUNNING and queue.position(waiting) == 1 and queue.estimated_wait(waiting) > 0
    places = queue.whereabouts(["ray-carol", "ray-dan", "ray-nobody"])  # a class page's one question
    assert set(places) == {"ray-carol", "ray-dan"} and places["ray-dan"].position == 1
    assert places["ray-carol"].status == RUNNING and places["ray-carol"].epochs == 300
    assert places["ray-carol"].training in ("transfer", "scratch") and places["ray-carol"].epochs_done >= 1
    queue.cancel(second.id)
    queue.cancel(first.id)
    events_when_cancelled = len(queue.get(first.id).events)
    ended = wait_until(lambda: (j := queue.get(first.id)).status in (CANCELLED, DONE, FAILED) and j)
    assert ended.status == CANCELLED
    assert len(ended.events) - events_when_cancelled <= 1  # the next epoch boundary stopped it
    assert queue.get(second.id).status == CANCELLED


def test_students_pressing_train_on_one_lesson_share_one_training(queue, store):
    lesson = Lesson(charset="katakana", shots=1, train=TrainSettings(epochs=3, seed=11))
    jobs = [
        submit(queue, LessonRequest(store.workspace(name), None, lesson, "CNN", "train", "Lesson", estimate_seconds=5))
        for name in ("ray-ann", "ray-ben")
    ]
    assert jobs[0].id == jobs[1].id and jobs[1].owners == ["ray-ann", "ray-ben"]
    assert wait_until(lambda: (j := queue.get(jobs[0].id)).status in (DONE, FAILED) and j).status == DONE
    kept = [store.workspace(name).latest_run("lesson", ComparisonSummary.from_json) for name in ("ray-ann", "ray-ben")]
    assert kept[0].summary == kept[1].summary


def test_a_sweep_and_a_personal_model_run_on_ray_with_their_progress_notes(queue, store):
    from tl_core.classroom.requests import PersonalModelRequest, SweepRequest
    from tl_core.data.digit_styles import render_style
    from tl_core.data.png import encode_png
    from tl_core.data.preprocess import canvas_to_input
    from tl_core.storage.collect import autofill
    from tl_core.training.cost import SweepSize

    swept = store.workspace("ray-hana")
    swept.start_task(["ア", "イ", "ウ"], charset=None)
    autofill(swept, 2)
    settings = TrainSettings(strategy="feature-extraction", epochs=2, seed=1)
    sweep = submit(queue, SweepRequest(swept, None, MODEL, "CNN", settings, SweepSize((1, 2), 1), estimate_seconds=5))
    sweep = wait_until(lambda: (j := queue.get(sweep.id)).status in (DONE, FAILED, CANCELLED) and j)
    assert sweep.status == DONE, sweep.error
    assert sweep.note.startswith("2/2 runs") and [fraction for fraction, _ in sweep.events] == [0.5, 1.0]
    assert swept.latest_run("sweep") is not None

    mine = store.workspace("ray-ivo")
    for drawing in render_style("1-flag", 3, seed=2, family="held-out"):
        mine.add_correction(MODEL, 1, canvas_to_input(drawing), encode_png(drawing))
    request = PersonalModelRequest(mine, None, MODEL, "CNN", corrections=3, estimate_seconds=5)
    personal = submit(queue, request)
    personal = wait_until(lambda: (j := queue.get(personal.id)).status in (DONE, FAILED, CANCELLED) and j)
    assert personal.status == DONE, personal.error
    assert personal.events and personal.result == mine.latest_run("personal").id


def test_a_trainer_killed_mid_training_is_replaced_and_the_job_runs_again(queue, store, task):
    job = submit(queue, comparison(store, "ray-erin", task, epochs=40, seed=7))
    wait_until(lambda: len(queue.get(job.id).events) >= 3)
    (victim,) = queue.trainer_pids()
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: queue.attempts(job) == 2, timeout=240)
    assert queue.get(job.id).note == RETRIED  # what the student's panel says meanwhile
    done = wait_until(lambda: (j := queue.get(job.id)).status in (DONE, FAILED, CANCELLED) and j, timeout=240)
    assert done.status == DONE, done.error
    assert [which for which, _ in done.events].count("scratch") == 40  # the retry's curve, from its start
    assert queue.trainer_pids() != [victim]
    assert store.workspace("ray-erin").latest_run("comparison") is not None


def test_a_job_whose_trainer_dies_twice_fails_with_a_message_and_the_queue_carries_on(queue, store, task):
    job = submit(queue, comparison(store, "ray-fay", task, epochs=400, seed=8))
    for attempt in (1, 2):  # the first run and its one retry
        wait_until(lambda a=attempt: queue.attempts(job) == a and len(queue.get(job.id).events) >= 2, timeout=240)
        (victim,) = queue.trainer_pids()
        os.kill(victim, signal.SIGKILL)
    failed = wait_until(lambda: (j := queue.get(job.id)).status in (DONE, FAILED, CANCELLED) and j, timeout=240)
    assert failed.status == FAILED and failed.error == FAILED_ON_SERVER
    after = submit(queue, comparison(store, "ray-gus", task, epochs=2))
    assert wait_until(lambda: (j := queue.get(after.id)).status in (DONE, FAILED) and j, timeout=240).status == DONE


def test_pages_keep_working_when_the_job_board_dies(queue, store, task):
    import ray

    from tl_core.classroom.ray_board import BOARD_NAME, NAMESPACE

    before = submit(queue, comparison(store, "ray-kim", task, epochs=2))
    ray.kill(ray.get_actor(BOARD_NAME, namespace=NAMESPACE), no_restart=True)  # as when the Ray head restarts
    assert queue.get(before.id) is None  # its jobs are lost with it; the page shows none instead of failing
    after = submit(queue, comparison(store, "ray-kim", task, epochs=2))
    assert wait_until(lambda: (j := queue.get(after.id)).status in (DONE, FAILED) and j).status == DONE


def test_a_job_no_page_asks_about_is_cancelled_on_the_cluster_too(queue, store, task, cluster):
    queue.shut_down()  # a board of its own, that gives up on a job after 3 s without a page polling
    impatient = RayJobQueue(cluster, abandon_after=3.0)
    job = submit(impatient, comparison(store, "ray-jon", task, epochs=400, seed=9))
    time.sleep(2.0)  # nobody polls: the page is gone (a peek without touching does not count as a page)
    ended = wait_until(lambda: (j := impatient.get(job.id, touch=False)).status in (CANCELLED, DONE, FAILED) and j)
    assert ended.status == CANCELLED and len(ended.events) < 2 * 400
