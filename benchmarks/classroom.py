"""Load benchmark: a classroom of sessions on one server process, running the code paths the pages call.

    .venv/bin/python benchmarks/classroom.py [--sessions 30] [--epochs 30] [--lesson] [--json]

Each simulated session (a thread, as Streamlit runs sessions) starts a hiragana workspace, auto-fills 3
samples per class, adds two drawings, submits "Train both models" to the process-wide queue, polls it like
the page does (twice a second), draws and predicts with the zoo model every 3 s while trainings run, and
finally predicts with its own trained models. Reported: sessions completed and failed, the most fits that
ran at once, prediction latency while training runs (median and 95th percentile), the longest wait in the
queue, and peak resident memory.
With `--lesson`, every session instead opens the same shared lesson link (the default lesson, `--epochs`
epochs) and presses Train as the lesson page does (sessions asking for the same lesson while it waits or
runs share one training), then looks inside its models; also reported: how many trainings ran, whether
every student got exactly the same curves, and how long the look-inside pictures took.
Targets: all sessions complete, fits at once never above TL_MAX_CONCURRENT_FITS, prediction p95 <= 200 ms,
peak memory <= 6 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {"prediction_p95_ms": 200.0, "peak_rss_mb": 6 * 1024.0}
DRAW_EVERY_POLLS = 6  # a prediction every 3 s per student while waiting: 30 students, 10 drawings a second


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_classroom(sessions: int, epochs: int, data_dir: Path, lesson_mode: bool = False) -> dict:
    import numpy as np

    from tl_core.activations import feature_maps, saliency
    from tl_core.charsets import get_charset
    from tl_core.collect import add_drawing, autofill
    from tl_core.experiments import compare_and_keep, shared_lesson_work
    from tl_core.jobs import FINISHED, JobQueue
    from tl_core.lesson import Lesson, lesson_from_query, lesson_key, lesson_to_query
    from tl_core.model_io import model_from_bytes
    from tl_core.preprocess import canvas_to_input
    from tl_core.render import render_character
    from tl_core.tasks import workspace_task
    from tl_core.training import TrainSettings, estimate_seconds
    from tl_core.workspace import WorkspaceStore
    from tl_core.zoo import compiled_predictor, load_model

    store = WorkspaceStore(data_dir / "workspaces.sqlite3")
    queue = JobQueue()
    digit_model = load_model("compact-gap")
    digit_predictor = compiled_predictor(digit_model)  # what the zoo page uses
    labels = list(get_charset("hiragana").labels)
    settings = TrainSettings(epochs=epochs)
    latencies, lock = [], threading.Lock()
    outcomes, curves, inside_ms = {}, {}, []
    link = lesson_to_query(Lesson(train=TrainSettings(epochs=epochs)))  # what the teacher shares

    def predict_timed(predict, drawing) -> None:
        started = time.perf_counter()
        predict(canvas_to_input(drawing))
        elapsed = (time.perf_counter() - started) * 1000
        if queue.counts()["running"]:
            with lock:
                latencies.append(elapsed)

    def student(index: int) -> None:
        try:
            rng = np.random.default_rng(index)
            workspace = store.workspace(f"student-{index}")
            workspace.start_task(labels, charset="hiragana")
            autofill(workspace, 3)
            for char in labels[:2]:
                add_drawing(workspace, char, render_character(char, rng))
            task = workspace_task(workspace)
            lesson, _ = lesson_from_query(link)

            def work(job):
                return compare_and_keep(workspace, digit_model, "compact-gap", "Compact CNN", task, settings,
                                        lambda which, record: job.events.append(record), queue.watch(job))  # fmt: skip

            kind, share_key = "comparison", None
            if lesson_mode:  # as the lesson page does: the same link joins the same training
                kind, share_key = "lesson", lesson_key(lesson)
                work = shared_lesson_work(workspace, digit_model, lesson, "Compact CNN", queue)
            pressed = time.monotonic()
            job = queue.submit(workspace.name, kind, work, estimate_seconds(settings, len(task.x_train)),
                               share_key=share_key)  # fmt: skip
            polls = 0
            while queue.get(job.id).status not in FINISHED:  # the page polls twice a second ...
                if polls % DRAW_EVERY_POLLS == 0:  # ... and the student draws a stroke every few seconds
                    predict_timed(digit_predictor, render_character("7", rng))
                polls += 1
                time.sleep(0.5)
            run = workspace.latest_run(kind)
            if job.status != "done" or run is None:
                raise RuntimeError(f"job ended {job.status}: {job.error}")
            answered = time.monotonic() - pressed  # from pressing Train to the result in the workspace
            models = {which: model_from_bytes(blob) for which, blob in workspace.run_models(run[0]).items()}
            transfer = models["transfer"]
            predict_timed(lambda x: np.asarray(transfer(x.reshape(1, 28, 28, 1))), render_character(labels[0], rng))
            if lesson_mode:
                curves[index] = {which: run[1][which]["eval_accuracy"] for which in ("transfer", "scratch")}
                drawing = canvas_to_input(render_character(labels[0], rng))
                looked = time.perf_counter()
                for model in (digit_model, *models.values()):
                    saliency(model, drawing)
                    feature_maps(model, drawing)
                with lock:
                    inside_ms.append((time.perf_counter() - looked) * 1000)
            outcomes[index] = {
                "ok": True,
                "queue_wait": max(0.0, job.started - pressed),
                "time_to_result": answered,
                "seconds": job.elapsed,
                "job": job.id,
            }
        except Exception as error:  # a failed session is counted, not fatal to the benchmark
            outcomes[index] = {"ok": False, "error": f"{type(error).__name__}: {error}"}

    started = time.perf_counter()
    threads = [threading.Thread(target=student, args=(i,), name=f"student-{i}") for i in range(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = [outcomes[i] for i in range(sessions)]
    lesson_results = {}
    if lesson_mode:
        first = next(iter(curves.values()), None)
        lesson_results = {
            "lesson_link": link,
            "identical_curves": bool(curves) and all(c == first for c in curves.values()),
            "trainings_run": len({o["job"] for o in ordered if o["ok"]}),
            "look_inside_ms_median": float(np.median(inside_ms)) if inside_ms else None,
            "look_inside_ms_max": float(np.max(inside_ms)) if inside_ms else None,
        }
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "sessions": sessions,
        "epochs": epochs,
        "max_concurrent_fits": queue.max_concurrent,
        "completed": sum(o["ok"] for o in ordered),
        "failed": sum(not o["ok"] for o in ordered),
        "errors": [o["error"] for o in ordered if not o["ok"]][:5],
        "most_fits_at_once": queue.most_running_at_once,
        "prediction_ms_median": float(np.median(latencies)) if latencies else None,
        "prediction_p95_ms": float(np.percentile(latencies, 95)) if latencies else None,
        "predictions_during_training": len(latencies),
        "longest_queue_wait_s": max((o["queue_wait"] for o in ordered if o["ok"]), default=None),
        "longest_time_to_result_s": max((o["time_to_result"] for o in ordered if o["ok"]), default=None),
        "peak_rss_mb": peak_rss_mb(),
        "wall_seconds": time.perf_counter() - started,
        **lesson_results,
    }


def verdict(result: dict) -> bool:
    return (
        result["failed"] == 0
        and result["most_fits_at_once"] <= result["max_concurrent_fits"]
        and (result["prediction_p95_ms"] or 0) <= TARGETS["prediction_p95_ms"]
        and result["peak_rss_mb"] <= TARGETS["peak_rss_mb"]
        and result.get("identical_curves", True)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lesson", action="store_true", help="every session runs the same shared lesson link")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        result = run_classroom(args.sessions, args.epochs, Path(folder), args.lesson)
    result["ok"] = verdict(result)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:<30} {value:.1f}" if isinstance(value, float) else f"{key:<30} {value}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
