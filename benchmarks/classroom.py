"""Load benchmark: a classroom of sessions on one server process, running the code paths the pages call.

Kept as one file: a benchmark is run as one script (`python benchmarks/classroom.py`), its scenarios side by side.

    .venv/bin/python benchmarks/classroom.py [--sessions 30] [--epochs 30] [--lesson] [--class] [--hog] [--json]
        [--executor inprocess|ray] [--replicas N]

Each simulated session (a thread, as Streamlit runs sessions) starts a hiragana workspace, auto-fills 3
samples per class, adds two drawings, submits "Train both models" to the process-wide queue, polls it like
the page does (twice a second), draws and predicts with the zoo model every 3 s while trainings run, and
finally predicts with its own trained models. Reported: sessions completed and failed, the most fits that
ran at once, the most unfinished jobs at once (`max_queued_jobs`), trainings run, prediction latency while
training runs (median and 95th percentile), the longest wait in the queue, the longest and the 95th
percentile time from pressing Train to the result, and peak resident memory.
With `--lesson`, every session instead opens the same shared lesson link (the default lesson, `--epochs`
epochs) and presses Train as the lesson page does (sessions asking for the same lesson while it waits or
runs share one training), then looks inside its models and presses "Measure it" (shared the same way);
also reported: how many trainings and sweeps ran (`sweeps_run`), whether every student got exactly the
same curves, and how long the look-inside pictures took.
With `--class` (implies `--lesson`), a teacher creates a class first and every session joins it under a display
name before it trains; the teacher's class page is rendered (the whole app script, in an AppTest, against the same
store and queue) every 2 s, as its live part refreshes, while the class trains (`benchmarks/class_teacher.py`):
`class_rows` (the rows the page lists at the end: one per student) and `class_page_ms_p95` (renders made while a
training ran; target <= 500 ms), with `class_page_ms_median` and `class_page_renders`.
With `--hog`, one session asks for the heaviest run the Train page allows (JLPT N5, 20 per class,
fine-tune-all, deep-bn, 200 epochs) and then its sweep; the budget refuses or reduces them, so it runs the
largest ones the budget allows (`hog_outcome`: refused, reduced or completed), while the other sessions
follow the default flow, starting once the hog's run has trained for 5 s (it pressed first, so the class
arrives while a long job holds the trainer). The same other sessions first run once without the hog, in
the same invocation: `others_result_p95_s` against `others_result_p95_s_without_hog`.
With `--executor ray`, the jobs run on a Ray cluster (`tl_core.classroom.ray_jobs`): the one `TL_RAY_ADDRESS`
names, else a one-machine cluster started for the run (`ray start --head` on loopback with every core); the
workspaces stay in an SQLite file every process of this machine sees (or `TL_DATABASE_URL`'s database). With
`--replicas N` the sessions are spread over N app-server processes (this one and N-1 started like it) that
share the cluster and the database, as several app servers behind a proxy do; they start pressing together.
Also reported: `executor`, `replicas`, `dispatch_overhead_s_median` (per job, the time it held a trainer's turn
minus the training and evaluation its run recorded: shipping it, loading, saving, progress round trips; a
lesson job also renders its samples), `compute_s_median`, `pauses_total`, and peak
memory split into the app processes (`peak_rss_mb_app`) and the cluster's processes (`peak_rss_mb_cluster`,
a local cluster only); `peak_rss_mb` is their sum (each process's own peak, so an upper bound). With
`--kill-worker-after S`, one trainer process is killed S seconds in (`workers_killed`): its job must still end.
Targets: all sessions complete (a killed trainer included), Ray's dispatch overhead <= 1 s per job, fits at
once never above TL_MAX_CONCURRENT_FITS, prediction p95 <= 200 ms, peak memory <= 6 GiB, with the hog the
others' p95 time to result <= 1.25 x without it, one sweep for a class on one lesson.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {
    "class_page_ms_p95": 500.0,
    "prediction_p95_ms": 200.0,
    "peak_rss_mb": 6 * 1024.0,
    "others_slowdown_p95": 1.25,
    "ray_overhead_s": 1.0,
}
DB_NAME = "workspaces.sqlite3"  # the app's file name in TL_DATA_DIR (tl_core.storage.database.DB_FILE)
CLASS_PAGE_REFRESH_S = 2.0  # how often the class page's live part refreshes for the teacher (pages/class.py)
DRAW_EVERY_POLLS = 6  # a prediction every 3 s per student while waiting: 30 students, 10 drawings a second


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory (VmHWM), this one's by default; NaN when it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:  # it ended meanwhile
        return float("nan")
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_classroom(
    sessions: int,
    epochs: int,
    data_dir: Path,
    lesson_mode: bool = False,
    hog: bool = False,
    hog_shots: int = 20,
    executor: str = "inprocess",
    replicas: int = 1,
    kill_worker_after: float | None = None,
    class_mode: bool = False,
) -> dict:
    """One classroom; with `hog`, the same class twice: without the hog (sessions - 1 students), then with it.

    `hog_shots`: the hog's samples per class (20, the most the Train page's auto-fill offers; tests use fewer).
    `executor`: "inprocess" (this process's queue) or "ray"; `replicas`: app-server processes (Ray only);
    `kill_worker_after`: seconds into the class when one trainer process is killed (SIGKILL; Ray only).
    `class_mode`: the sessions join a teacher's class, whose page is rendered while they train (implies the lesson).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"--executor is one of {', '.join(EXECUTORS)}")
    if (replicas > 1 or kill_worker_after is not None) and (executor != "ray" or hog):
        raise ValueError("--replicas and --kill-worker-after need --executor ray, and are not combined with --hog")
    if class_mode and hog:
        raise ValueError("--class is not combined with --hog")
    lesson_mode = lesson_mode or class_mode
    with _cluster(executor) as (address, cluster):
        one = functools.partial(
            _class_on, address, cluster, replicas, lesson_mode, epochs, kill_worker_after, class_mode=class_mode
        )
        if not hog:
            result = one(sessions, data_dir / "class")
        else:
            without = one(sessions - 1, data_dir / "without-hog")
            result = one(sessions - 1, data_dir / "with-hog", with_hog=True, hog_shots=hog_shots)
            result["sessions"] = sessions
            result["others_result_p95_s_without_hog"] = without["others_result_p95_s"]
            result["others_slowdown_p95"] = result["others_result_p95_s"] / without["others_result_p95_s"]
    return {"executor": executor, "replicas": replicas, **result}


EXECUTORS = ("inprocess", "ray")


@contextlib.contextmanager
def _cluster(executor: str):
    """(address, local cluster or None): none in-process; TL_RAY_ADDRESS's cluster, or one started here."""
    from tl_core.classroom.local_ray import ray_cluster
    from tl_core.classroom.ray_jobs import ray_address

    if executor == "inprocess":
        yield None, None
    elif address := ray_address():
        yield address, None
    else:
        with ray_cluster(cpus=os.cpu_count() or 2) as cluster:
            yield cluster.address, cluster


def _class_on(
    address,
    cluster,
    replicas,
    lesson_mode,
    epochs,
    kill_after,
    sessions,
    data_dir,
    with_hog=False,
    hog_shots=20,
    class_mode=False,
):
    """One class on the chosen executor, its sessions spread over `replicas` app-server processes; with
    `kill_after`, one trainer process is killed that many seconds after the app servers are up; with `class_mode`,
    the sessions join a teacher's class whose page a teacher thread renders meanwhile."""
    from tl_core.classroom.jobs import JobQueue
    from tl_core.classroom.ray_jobs import RayJobQueue

    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    queue = RayJobQueue(address) if address else JobQueue()
    teacher = class_code = None
    if class_mode:  # the class page reads the app's own store and queue: make them the benchmark's
        from benchmarks.class_teacher import create_class
        from tl_core.storage.workspace import WorkspaceStore
        from ui.resources import training_queue

        os.environ["TL_DATA_DIR"] = str(data_dir)
        if address:
            os.environ["TL_RAY_ADDRESS"] = address
        else:
            os.environ.pop("TL_RAY_ADDRESS", None)
        queue = training_queue()
        teacher, class_code = create_class(WorkspaceStore(os.environ.get("TL_DATABASE_URL") or data_dir / DB_NAME))
    others = [
        _start_replica(part, replicas, sessions, epochs, data_dir, lesson_mode, address, class_code)
        for part in range(1, replicas)
    ]
    watching, stop_watching = {}, threading.Event()
    if class_mode:
        from benchmarks.class_teacher import watch_class_page

        watcher = threading.Thread(
            target=lambda: watching.update(
                watch_class_page(class_code, teacher, queue, stop_watching, CLASS_PAGE_REFRESH_S)
            ),
            name="teacher",
        )
        watcher.start()
    killed = []
    if kill_after is not None:
        killer = threading.Timer(kill_after, lambda: killed.append(_kill_a_trainer(queue)))
        killer.daemon = True
        killer.start()
    try:
        parts = [
            _one_class(
                sessions, epochs, data_dir, lesson_mode, with_hog, hog_shots, queue, 0, replicas, others, class_code
            )
        ]
        parts += [_replica_result(replica) for replica in others]
        if class_mode:
            stop_watching.set()
            watcher.join()
        cluster_mb = _cluster_peak_mb(cluster)
        report = _report(parts, queue, sessions, epochs, lesson_mode, time.perf_counter() - started, cluster_mb)
        return report | watching | ({"workers_killed": len(killed)} if kill_after is not None else {})
    finally:
        stop_watching.set()
        for replica in others:
            replica.kill()
        if address:
            queue.shut_down()  # the next class starts with a fresh board (its counts are per class)


def _one_class(
    sessions: int,
    epochs: int,
    data_dir: Path,
    lesson_mode: bool,
    with_hog: bool,
    hog_shots: int,
    queue,
    part: int = 0,
    parts: int = 1,
    others: list | None = None,
    class_code: str | None = None,
) -> dict:
    """This process's share of the class (sessions part, part + parts, ...): what each session measured.

    `others`: the other app-server processes; this one waits until they are ready, then they all start together.
    `class_code`: the teacher's class every session joins before it trains.
    """
    import numpy as np

    from tl_core.classroom.jobs import FINISHED
    from tl_core.classroom.lesson import LESSON_SWEEP_SHOTS, Lesson, lesson_from_query, lesson_to_query
    from tl_core.classroom.requests import ComparisonRequest, LessonRequest, LessonSweepRequest, submit
    from tl_core.data.charsets import get_charset
    from tl_core.data.preprocess import canvas_to_input
    from tl_core.data.render import render_character
    from tl_core.inside.activations import feature_maps, saliency
    from tl_core.models.model_io import model_from_bytes
    from tl_core.models.zoo import compiled_predictor, load_model
    from tl_core.storage.collect import add_drawing, autofill
    from tl_core.storage.school_classes import SchoolClasses
    from tl_core.storage.workspace import WorkspaceStore
    from tl_core.training.cost import check_lesson, comparison_seconds, lesson_size
    from tl_core.training.results import COMPARISON_MODELS, ComparisonSummary
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import workspace_task

    store = WorkspaceStore(os.environ.get("TL_DATABASE_URL") or data_dir / DB_NAME)
    digit_model = load_model("compact-gap")
    digit_predictor = compiled_predictor(digit_model)  # what the zoo page uses
    labels = list(get_charset("hiragana").labels)
    settings = TrainSettings(epochs=epochs)
    latencies, lock = [], threading.Lock()
    outcomes, curves, inside_ms, sweep_jobs = {}, {}, [], set()
    link = lesson_to_query(Lesson(train=TrainSettings(epochs=epochs)))  # what the teacher shares
    hog_report = {}

    def predict_timed(predict, drawing) -> None:
        started = time.perf_counter()
        predict(canvas_to_input(drawing))
        elapsed = (time.perf_counter() - started) * 1000
        if queue.counts()["running"]:
            with lock:
                latencies.append(elapsed)

    def wait_for(job, rng):
        """The job as it ended (on Ray, `job` is what the board said at submit time; this asks again)."""
        polls = 0
        while (job := queue.get(job.id)).status not in FINISHED:  # the page polls twice a second ...
            if polls % DRAW_EVERY_POLLS == 0:  # ... and the student draws a stroke every few seconds
                predict_timed(digit_predictor, render_character("7", rng))
            polls += 1
            time.sleep(0.5)
        if job.status != "done":
            raise RuntimeError(f"job ended {job.status}: {job.error}")
        return job

    def student(index: int) -> None:
        if with_hog:  # the hog pressed first: its long run holds the trainer when the class arrives
            hog_is_training.wait(timeout=300)
        try:
            rng = np.random.default_rng(index)
            workspace = store.workspace(f"student-{index}")
            workspace.start_task(labels, charset="hiragana")
            if class_code:  # the class link: the student picks a name first
                SchoolClasses(store).join(class_code, workspace.name, f"Student {index + 1}")
            autofill(workspace, 3)
            for char in labels[:2]:
                add_drawing(workspace, char, render_character(char, rng))
            task = workspace_task(workspace)
            lesson, _ = lesson_from_query(link)
            estimate = comparison_seconds("compact-gap", settings, len(task.x_train), len(task.x_eval))
            request = ComparisonRequest(
                workspace, digit_model, "compact-gap", "Compact CNN", task, settings, estimate_seconds=estimate
            )
            if lesson_mode:  # as the lesson page does: the same link joins the same training
                estimate = check_lesson(lesson, float("inf")).seconds
                request = LessonRequest(
                    workspace, digit_model, lesson, "Compact CNN", "train", "Lesson", estimate_seconds=estimate
                )
            kind = request.kind
            pressed = time.monotonic()
            job = wait_for(submit(queue, request), rng)
            run = workspace.latest_run(kind, ComparisonSummary.from_json)
            if run is None:
                raise RuntimeError("no run was kept")
            answered = time.monotonic() - pressed  # from pressing Train to the result in the workspace
            models = {which: model_from_bytes(blob) for which, blob in workspace.run_models(run.id).items()}
            transfer = models["transfer"]
            predict_timed(lambda x: np.asarray(transfer(x.reshape(1, 28, 28, 1))), render_character(labels[0], rng))
            if lesson_mode:
                curves[index] = {which: run.summary.curves(which).eval_accuracy for which in COMPARISON_MODELS}
                drawing = canvas_to_input(render_character(labels[0], rng))
                looked = time.perf_counter()
                for model in (digit_model, *models.values()):
                    saliency(model, drawing)
                    feature_maps(model, drawing)
                with lock:
                    inside_ms.append((time.perf_counter() - looked) * 1000)
                # ... then "Measure it": the class's presses share one sweep
                n_train, n_eval = lesson_size(lesson)
                estimate = _lesson_sweep_seconds(lesson, LESSON_SWEEP_SHOTS)
                sweep = submit(
                    queue,
                    LessonSweepRequest(workspace, digit_model, lesson, LESSON_SWEEP_SHOTS, estimate_seconds=estimate),
                )
                with lock:
                    sweep_jobs.add(sweep.id)
                wait_for(sweep, rng)
                if workspace.latest_run("lesson-sweep") is None:
                    raise RuntimeError("no sweep was kept")
            compute = sum(
                run.summary.curves(which).seconds + (run.summary.curves(which).eval_seconds or 0.0)
                for which in COMPARISON_MODELS
            )
            outcomes[index] = {
                "ok": True,
                "queue_wait": max(0.0, job.started - pressed),
                "time_to_result": answered,
                "seconds": job.elapsed,
                "overhead": job.used_seconds - compute,  # trainer time it held beyond its own compute
                "compute": compute,
                "pauses": job.pauses,
                "job": job.id,
            }
        except Exception as error:  # a failed session is counted, not fatal to the benchmark
            outcomes[index] = {"ok": False, "error": f"{type(error).__name__}: {error}"}

    hog_is_training = threading.Event()

    def the_hog() -> None:
        """Asks for the heaviest run the Train page allows, then its sweep; runs what the budget allows."""
        try:
            hog_report.update(_hog_session(store, queue, wait_for, hog_is_training, hog_shots))
        except Exception as error:
            hog_report.update(hog_outcome="failed", hog_error=f"{type(error).__name__}: {error}")
        finally:
            hog_is_training.set()

    mine = range(part, sessions, parts)  # this app server's students
    threads = [threading.Thread(target=student, args=(i,), name=f"student-{i}") for i in mine]
    if with_hog:
        threads.insert(0, threading.Thread(target=the_hog, name="hog"))
    _start_together(part, data_dir, others or [])
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "outcomes": {str(i): outcomes[i] for i in mine},
        "latencies": latencies,
        "curves": {str(i): {which: list(accuracy) for which, accuracy in c.items()} for i, c in curves.items()},
        "inside_ms": inside_ms,
        "sweep_jobs": sorted(sweep_jobs),
        "hog_report": hog_report,
        "link": link,
        "peak_rss_mb": peak_rss_mb(),
    }


def _report(parts: list[dict], queue, sessions: int, epochs: int, lesson_mode: bool, wall: float, cluster_mb) -> dict:
    """The class's figures from every app server's share (`_one_class`'s results)."""
    import numpy as np

    outcomes = {int(i): o for part in parts for i, o in part["outcomes"].items()}
    ordered = [outcomes[i] for i in range(sessions)]
    latencies = [ms for part in parts for ms in part["latencies"]]
    curves = [c for part in parts for c in part["curves"].values()]
    inside_ms = [ms for part in parts for ms in part["inside_ms"]]
    lesson_results = {}
    if lesson_mode:
        lesson_results = {
            "lesson_link": parts[0]["link"],
            "identical_curves": bool(curves) and all(c == curves[0] for c in curves),
            "sweeps_run": len({job for part in parts for job in part["sweep_jobs"]}),
            "look_inside_ms_median": float(np.median(inside_ms)) if inside_ms else None,
            "look_inside_ms_max": float(np.max(inside_ms)) if inside_ms else None,
        }
    done = [o for o in ordered if o["ok"]]
    others = [o["time_to_result"] for o in done]
    app_mb = sum(part["peak_rss_mb"] for part in parts)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "sessions": sessions,
        "epochs": epochs,
        "max_concurrent_fits": queue.max_concurrent,
        "max_job_seconds": queue.limits.max_job_seconds,
        "queued_jobs_limit": queue.limits.max_queued_jobs,
        "completed": len(done),
        "failed": len(ordered) - len(done),
        "errors": [o["error"] for o in ordered if not o["ok"]][:5],
        "most_fits_at_once": queue.most_running_at_once,
        "max_queued_jobs": queue.most_unfinished_at_once,
        "trainings_run": len({o["job"] for o in done}),
        "prediction_ms_median": float(np.median(latencies)) if latencies else None,
        "prediction_p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
        "predictions_during_training": len(latencies),
        "longest_queue_wait_s": max((o["queue_wait"] for o in done), default=None),
        "longest_time_to_result_s": max(others, default=None),
        "others_result_p95_s": float(np.percentile(others, 95)) if others else None,
        "time_to_result_s_median": float(np.median(others)) if others else None,
        "dispatch_overhead_s_median": float(np.median([o["overhead"] for o in done])) if done else None,
        "compute_s_median": float(np.median([o["compute"] for o in done])) if done else None,
        "pauses_total": sum(o["pauses"] for o in done),
        "peak_rss_mb": app_mb + (cluster_mb or 0.0),
        "peak_rss_mb_app": app_mb,
        "peak_rss_mb_cluster": cluster_mb,
        "wall_seconds": wall,
        **parts[0]["hog_report"],
        **lesson_results,
    }


# --- several app servers: this process and N-1 started like it -------------------------------------------------
def _start_replica(part, replicas, sessions, epochs, data_dir: Path, lesson_mode: bool, address: str, class_code):
    """Another app-server process running its share of the class on the same cluster and database."""
    command = [sys.executable, __file__, "--executor", "ray", "--replicas", str(replicas), "--part", str(part)]
    command += ["--sessions", str(sessions), "--epochs", str(epochs), "--data-dir", str(data_dir)]
    command += ["--lesson"] if lesson_mode else []
    command += ["--class-code", class_code] if class_code else []
    environment = {**os.environ, "TL_RAY_ADDRESS": address}
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, text=True)


def _replica_result(replica: subprocess.Popen) -> dict:
    output, _ = replica.communicate(timeout=3600)
    if replica.returncode != 0:
        raise RuntimeError(f"an app-server process ended with {replica.returncode}")
    return json.loads(output)


def _start_together(part: int, data_dir: Path, others: list) -> None:
    """Every app server has loaded its models before any student presses Train: each says it is ready (a file),
    the first waits for all, then says go."""
    gate = data_dir / "go"
    if part:
        (data_dir / f"ready-{part}").touch()
        while not gate.exists():
            time.sleep(0.05)
        return
    while not all((data_dir / f"ready-{index}").exists() for index in range(1, len(others) + 1)):
        if any(replica.poll() not in (None, 0) for replica in others):
            raise RuntimeError("an app-server process ended before the class started")
        time.sleep(0.05)
    gate.touch()


def _kill_a_trainer(queue) -> int:
    """SIGKILL the first trainer's process mid-class (Ray restarts it and runs its job again); its pid."""
    victim = queue.trainer_pids()[0]
    os.kill(victim, signal.SIGKILL)
    return victim


def _cluster_peak_mb(cluster) -> float | None:
    """The peak resident memory of the local cluster's processes now running, summed (None: not measured here)."""
    if cluster is None:
        return None
    peaks = [peak_rss_mb(pid) for pid in cluster.processes()]
    return sum(peak for peak in peaks if peak == peak)  # NaN: a process without memory of its own, or gone


HOG_MODEL, HOG_CHARSET = "deep-bn", "jlpt-n5"  # with 20 per class: the heaviest run the Train page allows
HOG_SETTINGS = {"strategy": "fine-tune-all", "epochs": 200}


HOG_HEAD_START_S = 5.0  # trainer seconds the hog's run has had when the rest of the class presses Train


def _hog_session(store, queue, wait_for, is_training: threading.Event, shots: int) -> dict:
    import numpy as np

    from tl_core.classroom.jobs import FINISHED
    from tl_core.classroom.requests import ComparisonRequest, SweepRequest, submit
    from tl_core.data.charsets import get_charset
    from tl_core.models.zoo import load_model
    from tl_core.storage.collect import autofill
    from tl_core.training.cost import SweepSize, check_comparison, fitting_sweep
    from tl_core.training.settings import TrainSettings
    from tl_core.training.sweep import SEEDS
    from tl_core.training.tasks import sweep_task_maker, workspace_task

    workspace = store.workspace("the-hog")
    workspace.start_task(list(get_charset(HOG_CHARSET).labels), charset=HOG_CHARSET)
    autofill(workspace, shots)
    task = workspace_task(workspace)
    limit = queue.limits.max_job_seconds
    heavy = TrainSettings(**HOG_SETTINGS)
    check = check_comparison(HOG_MODEL, heavy, len(task.x_train), len(task.x_eval), limit, n_classes=len(task.labels))
    outcome = "completed" if check.fits else ("reduced" if check.cheaper else "refused")
    run = heavy if check.fits else check.cheaper
    if run is None:  # nothing with these settings fits: the cheapest strategy
        run = check_comparison(
            HOG_MODEL,
            TrainSettings(strategy="feature-extraction", epochs=200),
            len(task.x_train),
            len(task.x_eval),
            limit,
        ).cheaper
    report = {"hog_outcome": outcome, "hog_asked_s": check.seconds}
    if run is None:  # not even one epoch of anything fits this budget: nothing to run
        return report | {"hog_ran": "nothing"}
    report["hog_ran"] = f"{run.strategy}, {run.epochs} epochs"
    pretrained = load_model(HOG_MODEL)
    rng = np.random.default_rng(999)
    estimate = check_comparison(HOG_MODEL, run, len(task.x_train), len(task.x_eval), limit).seconds
    job = submit(
        queue, ComparisonRequest(workspace, pretrained, HOG_MODEL, "Deep CNN", task, run, estimate_seconds=estimate)
    )
    while job.status not in FINISHED and job.compute_used(time.monotonic()) < HOG_HEAD_START_S:
        job = queue.get(job.id)  # the hog's page polls
        time.sleep(0.1)
    is_training.set()
    job = wait_for(job, rng)
    report.update(hog_run_seconds=job.elapsed, hog_pauses=job.pauses)
    make_task, shots, _ = sweep_task_maker(workspace)
    fit = fitting_sweep(HOG_MODEL, run, SweepSize(shots, SEEDS), len(task.labels), len(task.x_eval), True, limit)
    report["hog_sweep"] = f"{fit.size.shots} x {fit.size.seeds} seeds" if fit.size else "refused"
    if fit.size is not None:
        sweep = submit(
            queue,
            SweepRequest(workspace, pretrained, HOG_MODEL, "Deep CNN", run, fit.size, estimate_seconds=fit.seconds),
        )
        sweep = wait_for(sweep, rng)
        report.update(hog_sweep_seconds=sweep.elapsed, hog_sweep_pauses=sweep.pauses)
    return report


def _lesson_sweep_seconds(lesson, shots) -> float:
    from tl_core.training.cost import SweepSize, lesson_size, sweep_seconds

    n_train, n_eval = lesson_size(lesson)
    return sweep_seconds(lesson.model, lesson.train, SweepSize(shots, 1), n_train // lesson.shots, n_eval, True)


def verdict(result: dict) -> bool:
    return (
        result["failed"] == 0
        and result["most_fits_at_once"] <= result["max_concurrent_fits"]
        and (result["prediction_p95_ms"] or 0) <= TARGETS["prediction_p95_ms"]
        and result["peak_rss_mb"] <= TARGETS["peak_rss_mb"]
        and result.get("identical_curves", True)
        and result.get("sweeps_run", 1) <= 1
        and result.get("others_slowdown_p95", 1.0) <= TARGETS["others_slowdown_p95"]
        and result.get("class_rows", result["sessions"]) == result["sessions"]
        and (result.get("class_page_ms_p95") or 0.0) <= TARGETS["class_page_ms_p95"]
        and (result["executor"] != "ray" or "lesson_link" in result or _ray_overhead_ok(result))
    )


@contextlib.contextmanager
def _quiet_stdout():
    """Everything written to stdout meanwhile goes to stderr (Ray's raylet prints a killed worker's notice on
    the driver's stdout), so that with --json, stdout holds the JSON alone."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _ray_overhead_ok(result: dict) -> bool:
    """Ray's target is per default comparison (a lesson job also renders its samples, which is not dispatch)."""
    return (result["dispatch_overhead_s_median"] or 0.0) <= TARGETS["ray_overhead_s"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lesson", action="store_true", help="every session runs the same shared lesson link")
    parser.add_argument("--class", dest="class_mode", action="store_true", help="the sessions join a teacher's class")
    parser.add_argument("--hog", action="store_true", help="one session asks for the heaviest run the UI allows")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--executor", choices=EXECUTORS, default="inprocess", help="where the jobs run")
    parser.add_argument("--replicas", type=int, default=1, help="app-server processes sharing the cluster (ray)")
    parser.add_argument("--kill-worker-after", type=float, metavar="S", help="kill a trainer S s in (ray)")
    parser.add_argument("--part", type=int, help=argparse.SUPPRESS)  # an app-server process started by --replicas
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--class-code", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part is not None:  # one of the other app servers: its share of the class, as JSON on stdout
        from tl_core.classroom.ray_jobs import RayJobQueue, ray_address

        with _quiet_stdout():
            queue = RayJobQueue(ray_address())
            raw = _one_class(
                args.sessions,
                args.epochs,
                args.data_dir,
                args.lesson,
                False,
                0,
                queue,
                args.part,
                args.replicas,
                class_code=args.class_code,
            )
        print(json.dumps(raw))
        return 0
    with tempfile.TemporaryDirectory() as folder, _quiet_stdout():
        result = run_classroom(
            args.sessions,
            args.epochs,
            Path(folder),
            args.lesson,
            args.hog,
            executor=args.executor,
            replicas=args.replicas,
            kill_worker_after=args.kill_worker_after,
            class_mode=args.class_mode,
        )
    result["ok"] = verdict(result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:<30} {value:.1f}" if isinstance(value, float) else f"{key:<30} {value}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
