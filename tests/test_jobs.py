"""The training queue: never more fits at once than allowed, shortest remaining job first with equal jobs in
turn, limits checked before anything is queued, cancellable at every epoch (tiny stand-in work here; real
trainings interleaved in tests/test_fair_training.py)."""

import logging
import threading
import time

import pytest

from tl_core.classroom.jobs import (
    CANCELLED,
    DONE,
    FAILED,
    FAILED_ON_SERVER,
    PAUSED,
    QUEUED,
    RUNNING,
    JobQueue,
    JobRefused,
    QueueLimits,
    max_concurrent_fits,
)
from tl_core.storage.workspace import WorkspaceError
from tl_core.training.tasks import TaskError


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


@pytest.mark.parametrize("slots", [1, 2])
def test_jobs_start_in_order_and_never_exceed_the_limit(slots):
    queue = JobQueue(max_concurrent=slots)
    started, lock = [], threading.Lock()
    running = [0]
    peak = [0]

    def work(job):
        with lock:
            started.append(job.id)
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return job.id * 10

    jobs = [queue.submit(f"owner{i}", "comparison", work) for i in range(6)]
    wait_until(lambda: all(job.status == DONE for job in jobs))
    assert started == [job.id for job in jobs] if slots == 1 else sorted(started) == [job.id for job in jobs]
    assert peak[0] <= slots and queue.most_running_at_once <= slots
    assert [job.result for job in jobs] == [job.id * 10 for job in jobs]


def test_waiting_jobs_know_their_position_and_an_estimate():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    first = queue.submit("a", "comparison", lambda job: release.wait(5), estimate_seconds=8)
    second = queue.submit("b", "comparison", lambda job: None, estimate_seconds=8)
    third = queue.submit("c", "comparison", lambda job: None, estimate_seconds=8)
    wait_until(lambda: first.status == RUNNING)
    assert (queue.position(first), queue.position(second), queue.position(third)) == (0, 1, 2)
    assert 0 < queue.estimated_wait(second) <= 8 < queue.estimated_wait(third) <= 16
    release.set()
    wait_until(lambda: third.status == DONE)
    assert queue.position(third) == 0


def test_jobs_submitted_before_the_first_takes_its_free_turn_are_not_counted_twice():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    with queue._lock:  # three presses at once: no worker thread has taken the free turn yet
        jobs = [queue.submit(owner, "comparison", lambda job: release.wait(5), estimate_seconds=8) for owner in "abc"]
        assert [queue.position(job) for job in jobs] == [1, 1, 2]  # the first is about to start: two wait
    wait_until(lambda: jobs[0].status == RUNNING)
    assert [queue.position(job) for job in jobs] == [0, 1, 2]
    release.set()
    wait_until(lambda: all(job.status == DONE for job in jobs))


def test_a_queued_job_can_be_cancelled_and_never_runs():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    ran = []
    blocker = queue.submit("a", "comparison", lambda job: release.wait(5))
    victim = queue.submit("b", "comparison", lambda job: ran.append(job.id))
    wait_until(lambda: blocker.status == RUNNING)
    assert victim.status == QUEUED
    queue.cancel(victim.id)
    wait_until(lambda: victim.status == CANCELLED)
    release.set()
    wait_until(lambda: blocker.status == DONE)
    assert not ran


def test_a_running_job_stops_when_cancelled():
    queue = JobQueue(max_concurrent=1)
    epochs = []

    def work(job):
        stop = queue.watch(job)
        for epoch in range(1000):
            if stop():
                return epochs
            epochs.append(epoch)
            time.sleep(0.01)

    job = queue.submit("a", "comparison", work)
    wait_until(lambda: len(epochs) >= 3)
    queue.cancel(job.id)
    wait_until(lambda: job.status == CANCELLED)
    assert len(epochs) < 1000


def test_jobs_nobody_looks_at_are_cancelled():
    queue = JobQueue(max_concurrent=1, abandon_after=0.3)
    release = threading.Event()
    watched = queue.submit("a", "comparison", lambda job: release.wait(5))
    orphan = queue.submit("b", "comparison", lambda job: None)
    deadline = time.monotonic() + 1.5
    while time.monotonic() < deadline:  # the first page keeps polling its job, the second is gone
        queue.get(watched.id)
        time.sleep(0.05)
    assert orphan.status == CANCELLED and watched.status == RUNNING
    release.set()
    wait_until(lambda: watched.status == DONE)


def test_a_failing_job_reports_its_error_and_the_queue_goes_on():
    queue = JobQueue(max_concurrent=1)
    bad = queue.submit("a", "comparison", lambda job: 1 / 0)
    good = queue.submit("b", "comparison", lambda job: "ok")
    wait_until(lambda: good.status == DONE)
    assert bad.status == FAILED and bad.error == FAILED_ON_SERVER
    assert good.result == "ok"


def test_a_server_error_reaches_the_log_and_the_student_gets_a_plain_sentence(caplog):
    """Issue 13: `OSError: [Errno 28] No space left on device: '/srv/...'` was shown to the student as is."""
    path = "/srv/tl-data/models/run-17.keras"

    def work(job):
        raise OSError(28, "No space left on device", path)

    queue = JobQueue(max_concurrent=1)
    with caplog.at_level(logging.ERROR, logger="tl_core.classroom.jobs"):
        job = queue.submit("ws-a", "comparison", work)
        wait_until(lambda: job.status == FAILED)
    assert job.error == FAILED_ON_SERVER
    assert path not in job.error and "OSError" not in job.error and "Errno" not in job.error
    records = [record for record in caplog.records if record.name == "tl_core.classroom.jobs"]
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    assert "ws-a" in records[0].getMessage() and "comparison" in records[0].getMessage()
    logged = caplog.text  # the message, then the traceback with the exception's type and text
    assert path in logged and "OSError" in logged and "Traceback" in logged and "in work" in logged


@pytest.mark.parametrize(
    "error", [WorkspaceError("A workspace holds at most 5000 samples."), TaskError("A classifier needs two classes.")]
)
def test_errors_written_for_users_are_shown_as_they_are(error, caplog):
    def work(job):
        raise error

    queue = JobQueue(max_concurrent=1)
    with caplog.at_level(logging.INFO, logger="tl_core.classroom.jobs"):
        job = queue.submit("ws-a", "comparison", work)
        wait_until(lambda: job.status == FAILED)
    assert job.error == f"The training stopped: {error}"
    assert str(error) in caplog.text  # still logged: a teacher asking what happened finds it


def test_a_page_reattaches_to_the_newest_job_of_its_workspace():
    queue = JobQueue(max_concurrent=1)
    first = queue.submit("ws-1", "comparison", lambda job: None)
    wait_until(lambda: first.status == DONE)
    newest = queue.submit("ws-1", "comparison", lambda job: None)
    queue.submit("ws-2", "comparison", lambda job: None)
    assert queue.latest("ws-1", "comparison").id == newest.id
    assert queue.latest("ws-3") is None


@pytest.mark.parametrize("value, expected", [(None, 1), ("3", 3), ("0", 1), ("lots", 1), ("-2", 1)])
def test_max_concurrent_fits_comes_from_the_environment(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("TL_MAX_CONCURRENT_FITS", raising=False)
    else:
        monkeypatch.setenv("TL_MAX_CONCURRENT_FITS", value)
    assert max_concurrent_fits() == expected


def test_jobs_finished_long_ago_are_forgotten(monkeypatch):
    import tl_core.classroom.jobs as jobs

    queue = JobQueue(max_concurrent=1)
    old = queue.submit("a", "comparison", lambda job: None)
    wait_until(lambda: old.status == DONE)
    monkeypatch.setattr(jobs, "FORGET_AFTER_SECONDS", 0.0)
    time.sleep(0.01)
    queue.submit("b", "comparison", lambda job: None)
    assert queue.get(old.id) is None and queue.latest("a") is None


def test_the_same_lesson_asked_for_twice_is_trained_once_for_both():
    queue = JobQueue(max_concurrent=1)
    release, runs = threading.Event(), []

    def work(job):
        runs.append(job.id)
        release.wait(5)
        return queue.seal(job)

    first = queue.submit("alice", "lesson", work, share_key="lesson-a")
    second = queue.submit("bob", "lesson", lambda job: runs.append("copy"), share_key="lesson-a")
    other = queue.submit("carol", "lesson", lambda job: runs.append("other"), share_key="lesson-b")
    assert second is first and first.owners == ["alice", "bob"] and other is not first
    assert queue.latest("bob") is first  # bob's page finds the shared job
    release.set()
    wait_until(lambda: first.status == DONE and other.status == DONE)
    assert first.result == ["alice", "bob"]  # the work hands its result to both owners
    assert runs == [first.id, "other"]  # trained once, not twice


def test_leaving_a_shared_job_keeps_it_running_for_the_others():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    job = queue.submit("alice", "lesson", lambda job: release.wait(5) and queue.seal(job), share_key="k")
    queue.submit("bob", "lesson", lambda job: None, share_key="k")
    wait_until(lambda: job.status == RUNNING)
    queue.cancel(job.id, owner="alice")
    assert not job.cancel_requested and job.owners == ["bob"]
    queue.cancel(job.id, owner="bob")  # the last owner leaving cancels it
    assert job.cancel_requested
    release.set()
    wait_until(lambda: job.status in (DONE, CANCELLED))
    assert job.status == CANCELLED


def test_after_sealing_a_newcomer_gets_a_job_of_their_own():
    queue = JobQueue(max_concurrent=1)
    sealed, release = threading.Event(), threading.Event()

    def work(job):
        queue.seal(job)
        sealed.set()
        release.wait(5)

    first = queue.submit("alice", "lesson", work, share_key="k")
    sealed.wait(5)
    late = queue.submit("bob", "lesson", lambda job: "own", share_key="k")
    assert late is not first and first.owners == ["alice"]
    release.set()
    wait_until(lambda: late.status == DONE)
    assert late.result == "own"


def epochs_of_work(queue, log, epochs, seconds_per_epoch=0.02):
    """Stand-in training: `epochs` slices, each followed by the engine's checkpoint (the job's should_stop)."""

    def work(job):
        stop = queue.watch(job)
        for epoch in range(epochs):
            time.sleep(seconds_per_epoch)
            log.append((job.id, epoch))
            if stop():
                return "stopped"
        return "done"

    return work


def test_a_short_job_submitted_after_a_long_one_finishes_first():
    queue = JobQueue(max_concurrent=1)
    log = []
    long = queue.submit("alice", "comparison", epochs_of_work(queue, log, 60), estimate_seconds=100)
    wait_until(lambda: len(log) >= 3)
    short = queue.submit("bob", "comparison", epochs_of_work(queue, log, 5), estimate_seconds=2)
    wait_until(lambda: short.status == DONE)
    assert long.status in (RUNNING, PAUSED) and long.pauses == 1
    wait_until(lambda: long.status == DONE, timeout=20)
    ran = [job_id for job_id, _ in log]
    first_short = ran.index(short.id)
    # The long job gave way at its next epoch; the short one then ran to the end before the long one resumed.
    assert ran[first_short : first_short + 5] == [short.id] * 5 and set(ran[first_short + 5 :]) == {long.id}
    assert [epoch for job_id, epoch in log if job_id == long.id] == list(range(60))  # resumed where it paused


def test_equal_jobs_run_one_after_another_not_interleaved():
    queue = JobQueue(max_concurrent=1)
    log = []
    jobs = [queue.submit(f"s{i}", "comparison", epochs_of_work(queue, log, 4), estimate_seconds=5) for i in range(3)]
    wait_until(lambda: all(job.status == DONE for job in jobs))
    assert [job_id for job_id, _ in log] == [job.id for job in jobs for _ in range(4)]
    assert all(job.pauses == 0 for job in jobs)


def test_a_job_that_outruns_its_estimate_gives_way_to_newcomers():
    """Ranked by how far it has overrun its estimate, so a wrong estimate cannot hold the trainer."""
    queue = JobQueue(max_concurrent=1)
    log = []
    liar = queue.submit("alice", "comparison", epochs_of_work(queue, log, 200), estimate_seconds=0.1)
    wait_until(lambda: len(log) >= 20)  # 0.4 s used: 0.3 s over its estimate
    honest = queue.submit("bob", "comparison", epochs_of_work(queue, log, 3), estimate_seconds=0.2)
    wait_until(lambda: honest.status == DONE)
    assert liar.status != DONE and liar.pauses >= 1
    queue.cancel(liar.id)
    wait_until(lambda: liar.status == CANCELLED)


def test_waiting_students_see_an_estimate_that_counts_only_the_jobs_ahead():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    long = queue.submit("a", "comparison", lambda job: release.wait(5), estimate_seconds=100)
    wait_until(lambda: long.status == RUNNING)
    short = queue.submit("b", "comparison", lambda job: None, estimate_seconds=10)
    other = queue.submit("c", "comparison", lambda job: None, estimate_seconds=20)
    # The long job is not ahead of the shorter ones: they only wait for the rest of its current slice.
    assert queue.estimated_wait(short) == pytest.approx(queue.typical_slice_seconds)
    assert queue.estimated_wait(other) == pytest.approx(queue.typical_slice_seconds + 10)
    assert queue.estimated_finish(other) == pytest.approx(queue.typical_slice_seconds + 30)
    assert (queue.position(short), queue.position(other)) == (1, 2)
    release.set()
    wait_until(lambda: other.status == DONE)


def test_one_unfinished_job_per_workspace_and_per_browser_and_nothing_queued_when_refused():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    first = queue.submit("ws-1", "comparison", lambda job: release.wait(5), browser="browser-a")
    before = sum(queue.counts().values())
    with pytest.raises(JobRefused, match="This workspace already has a training") as same_workspace:
        queue.submit("ws-1", "sweep", lambda job: None, browser="browser-b")
    with pytest.raises(JobRefused, match="Another tab of this browser") as same_browser:
        queue.submit("ws-2", "comparison", lambda job: None, browser="browser-a")
    assert same_workspace.value.reason == same_browser.value.reason == "busy"
    assert sum(queue.counts().values()) == before and queue.latest("ws-2") is None
    queue.submit("ws-3", "comparison", lambda job: None, browser="browser-c")  # someone else: fine
    queue.cancel(first.id)  # a cancelled job frees its place at once, before it has even stopped
    again = queue.submit("ws-1", "comparison", lambda job: "again", browser="browser-a")
    release.set()
    wait_until(lambda: again.status == DONE)
    assert again.result == "again"


def test_joining_a_shared_lesson_is_allowed_but_not_a_second_job():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    lesson = queue.submit("ann", "lesson", lambda job: release.wait(5), share_key="k", browser="b-ann")
    assert queue.submit("ben", "lesson", lambda job: None, share_key="k", browser="b-ben") is lesson
    assert queue.submit("ben", "lesson", lambda job: None, share_key="k", browser="b-ben") is lesson  # pressed twice
    with pytest.raises(JobRefused):
        queue.submit("ben", "comparison", lambda job: None, browser="b-ben")
    release.set()
    wait_until(lambda: lesson.status == DONE)


def test_the_server_holds_at_most_the_queued_jobs_limit():
    queue = JobQueue(limits=QueueLimits(max_concurrent_fits=1, max_queued_jobs=3, max_job_seconds=120))
    release = threading.Event()
    jobs = [queue.submit(f"s{i}", "comparison", lambda job: release.wait(5)) for i in range(3)]
    with pytest.raises(JobRefused, match=r"The trainer is full \(3 trainings") as full:
        queue.submit("s3", "comparison", lambda job: None)
    assert full.value.reason == "full" and len([j for j in jobs if j.status not in (DONE,)]) == 3
    assert queue.most_unfinished_at_once == 3
    release.set()
    wait_until(lambda: all(job.status == DONE for job in jobs))
    assert queue.submit("s3", "comparison", lambda job: None) is not None  # room again


def test_a_job_over_the_budget_is_refused_before_it_is_queued():
    queue = JobQueue(limits=QueueLimits(max_concurrent_fits=1, max_queued_jobs=60, max_job_seconds=120))
    ran = []
    with pytest.raises(JobRefused, match="about 1,100 s of the shared trainer, over this server's limit of 120 s"):
        queue.submit("hog", "comparison", lambda job: ran.append(1), estimate_seconds=1100)
    assert not ran and sum(queue.counts().values()) == 0 and queue.latest("hog") is None


@pytest.mark.parametrize(
    "environment, expected",
    [
        ({}, QueueLimits(1, 60, 120.0)),
        ({"TL_MAX_QUEUED_JOBS": "100", "TL_MAX_JOB_SECONDS": "600"}, QueueLimits(1, 100, 600.0)),
        ({"TL_MAX_QUEUED_JOBS": "lots", "TL_MAX_JOB_SECONDS": "nan"}, QueueLimits(1, 60, 120.0)),
        ({"TL_MAX_QUEUED_JOBS": "-5", "TL_MAX_JOB_SECONDS": "0"}, QueueLimits(1, 1, 1.0)),
    ],
)
def test_a_teacher_sets_the_limits_with_environment_variables(monkeypatch, environment, expected):
    for name in ("TL_MAX_CONCURRENT_FITS", "TL_MAX_QUEUED_JOBS", "TL_MAX_JOB_SECONDS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert QueueLimits.from_env() == expected


def test_a_paused_job_cancelled_stops_without_waiting_for_a_turn():
    queue = JobQueue(max_concurrent=1)
    log = []
    long = queue.submit("alice", "comparison", epochs_of_work(queue, log, 100), estimate_seconds=100)
    wait_until(lambda: len(log) >= 2)
    release = threading.Event()
    blocker = queue.submit("bob", "comparison", lambda job: release.wait(10), estimate_seconds=1)
    wait_until(lambda: long.status == PAUSED and blocker.status == RUNNING)
    queue.cancel(long.id)
    wait_until(lambda: long.status == CANCELLED, timeout=3)  # while bob still holds the only turn
    assert blocker.status == RUNNING and long.result == "stopped"
    release.set()
    wait_until(lambda: blocker.status == DONE)


def test_a_paused_job_nobody_looks_at_is_cancelled():
    queue = JobQueue(max_concurrent=1, abandon_after=0.5)
    log = []
    orphan = queue.submit("alice", "comparison", epochs_of_work(queue, log, 100), estimate_seconds=100)
    wait_until(lambda: len(log) >= 2)
    release = threading.Event()
    watched = queue.submit("bob", "comparison", lambda job: release.wait(10), estimate_seconds=1)
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # bob's page polls; alice's page is gone
        queue.get(watched.id)
        time.sleep(0.05)
    assert orphan.status == CANCELLED and watched.status == RUNNING
    release.set()


def test_a_job_slightly_over_its_estimate_finishes_before_equal_newcomers_start():
    """Estimates are a little off in practice: a job just past its estimate must not be paused for a newcomer."""
    queue = JobQueue(max_concurrent=1)
    log = []
    first = queue.submit("alice", "comparison", epochs_of_work(queue, log, 30, 0.02), estimate_seconds=0.5)
    wait_until(lambda: len(log) >= 1)
    second = queue.submit("bob", "comparison", epochs_of_work(queue, log, 30, 0.02), estimate_seconds=0.5)
    wait_until(lambda: second.status == DONE)
    assert first.finished < second.started and first.pauses == 0  # 0.6 s used of 0.5 estimated: 20% over


def test_leaving_a_shared_job_frees_the_browser_and_a_second_click_cannot_cancel_it_for_the_others():
    queue = JobQueue(max_concurrent=1)
    release = threading.Event()
    job = queue.submit("ann", "lesson", lambda job: release.wait(5), share_key="k", browser="b-ann")
    queue.submit("ben", "lesson", lambda job: None, share_key="k", browser="b-ben")
    queue.cancel(job.id, owner="ben")  # ben leaves ...
    queue.cancel(job.id, owner="ben")  # ... and clicks Cancel again on a page that still shows the job
    assert job.owners == ["ann"] and not job.cancel_requested
    own = queue.submit("ben", "comparison", lambda job: "ben's own", browser="b-ben")  # ben may train again
    release.set()
    wait_until(lambda: job.status == DONE and own.status == DONE)
    assert own.result == "ben's own"


def test_a_sealed_shared_job_cannot_be_cancelled_while_it_hands_out_its_result():
    queue = JobQueue(max_concurrent=1)
    sealed, release = threading.Event(), threading.Event()

    def work(job):
        owners = queue.seal(job)
        sealed.set()
        release.wait(5)
        return owners

    job = queue.submit("ann", "lesson", work, share_key="k")
    sealed.wait(5)
    queue.cancel(job.id, owner="ann")
    release.set()
    wait_until(lambda: job.status in (DONE, CANCELLED))
    assert job.status == DONE and job.result == ["ann"]


def test_a_long_job_behind_a_stream_of_short_ones_still_gets_its_turn():
    """Waiting counts (a quarter of a second of urgency per second): no job waits for ever."""
    queue = JobQueue(max_concurrent=1)
    log = []

    def short(index):
        return queue.submit(f"s{index}", "comparison", epochs_of_work(queue, log, 10), estimate_seconds=0.2)

    stream = [short(0)]
    long = queue.submit("long", "comparison", epochs_of_work(queue, log, 3), estimate_seconds=0.8)
    stream.append(short(1))
    deadline = time.monotonic() + 20
    while long.started is None and time.monotonic() < deadline:  # always a fresh short job waiting
        wait_until(lambda: stream[-2].status == DONE)
        stream.append(short(len(stream)))
    assert long.started is not None
    # It waited about 4 x (0.8 - 0.2) s: some ten short jobs went first, not the whole stream.
    went_first = sum(job.started is not None and job.started < long.started for job in stream)
    assert 5 <= went_first <= 30, went_first
    wait_until(lambda: long.status == DONE and all(job.status == DONE for job in stream))
