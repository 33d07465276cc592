"""The training queue: first come first served, never more fits at once than allowed, cancellable."""

import threading
import time

import pytest

from tl_core.jobs import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobQueue, max_concurrent_fits


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
    assert bad.status == FAILED and "ZeroDivisionError" in bad.error
    assert good.result == "ok"


def test_a_page_reattaches_to_the_newest_job_of_its_workspace():
    queue = JobQueue(max_concurrent=1)
    queue.submit("ws-1", "comparison", lambda job: None)
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
    import tl_core.jobs as jobs

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
