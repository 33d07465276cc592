"""Throughput benchmark: what one comparison job costs the shared trainer, end to end, and where the time goes.

Kept as one file: a benchmark is run as one script, and `--baseline` runs this very file against older code.

    .venv/bin/python benchmarks/throughput.py [--seeds 3] [--precision auto|float32|bfloat16] [--no-heavy]
                                              [--baseline REV] [--parity N] [--json]

Runs the default lesson job (compact-gap, hiragana, 5 per class, feature extraction, 30 epochs) the way the
lesson page does: submitted to a fresh training queue, both models trained with their per-epoch curves,
results kept in a workspace; one job per seed, on a server that has just started (the app's start-up
warm-up first, when this version of the code has one). Reported, as medians over seeds:

- `job_wall_s`: from the job's first turn to its result kept (what a class waits per job);
- `transfer_clock_s`, `scratch_clock_s`: the curves' training clocks, as the charts show them;
- `eval_s`: evaluating both curves after every epoch; `prep_s`: everything else (rendering the samples,
  the epoch plan, confusion matrices, saving the models): job_wall_s - the three above;
- `jobs_per_core_minute`: 60 / (job_wall_s x CPU cores) (a job uses every core);
- `achieved_gflops`: the job's arithmetic (counted from the layers: 2 FLOPs per multiply-add, training
  steps 3x a forward pass) over job_wall_s; `peak_gflops`: *measured* on this machine, the best of five
  2048x2048 float32 matrix products (`peak_gflops_bf16` the same in bfloat16);
- `transfer_accuracy`, `scratch_accuracy`: the final accuracies (medians), to check that speed cost nothing;
- `job_cpu_s`: CPU seconds the process used meanwhile (all threads). On the project VM about one job in four
  takes ~4 s longer with no more CPU used (the process is descheduled), in every version of the code: a
  `job_wall_s` far above its siblings with an unchanged `job_cpu_s` is that, not the code.

The same figures follow for the heaviest run the budget allows (`heavy`): deep-bn, JLPT N5 (80 classes),
20 per class, fine-tune-all, as many epochs as fit TL_MAX_JOB_SECONDS (one seed).

`--parity N` trains the default lesson with N seeds in float32 and in mixed bfloat16 (`TL_PRECISION=bfloat16`)
and compares the final accuracies (`parity`: per precision the median, the mean, and how many runs stalled
below 10%): what training in bfloat16 would change.

`--baseline REV` measures the same default job with the code of git revision REV (checked out in a temporary
worktree, run in a fresh process), in the same invocation: "before" beside "after"; REV must have tl_core in
parts (issue 15) and `tl_core.classroom.requests`. Code from before the
throughput work reports no `eval_s` (it did not time evaluation apart): its `prep_s` is then everything
besides the two training clocks.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_JOB_WALL_S = 6.0  # the default job, median (issue #11)


def measured_peak_gflops() -> dict:
    """The best of five 2048x2048 matrix products, float32 and bfloat16: this machine's practical peak."""
    from tl_core.backend import tensorflow

    tf = tensorflow()
    peaks = {}
    for name, dtype in (("peak_gflops", tf.float32), ("peak_gflops_bf16", tf.bfloat16)):
        a = tf.cast(tf.random.stateless_normal((2048, 2048), seed=(0, 0)), dtype)
        product = tf.function(lambda x: tf.matmul(x, x))
        product(a).numpy()
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(3):
                result = product(a)
            result.numpy()
            best = min(best, (time.perf_counter() - started) / 3)
        peaks[name] = round(2 * 2048**3 / best / 1e9, 1)
    return peaks


def forward_flops(model) -> int:
    """FLOPs of one image through `model` (convolutions and dense layers; 2 per multiply-add)."""
    from tl_core.backend import keras

    layers = keras().layers
    total = 0
    for layer in _leaves(model):
        if isinstance(layer, layers.Conv2D):
            _, height, width, channels_out = layer.output.shape
            kernel_height, kernel_width, channels_in, _ = layer.kernel.shape
            total += 2 * height * width * kernel_height * kernel_width * channels_in * channels_out
        elif isinstance(layer, layers.Dense):
            total += 2 * int(layer.kernel.shape[0]) * int(layer.kernel.shape[1])
    return total


def _leaves(layer):
    for child in getattr(layer, "layers", []):
        yield from _leaves(child) if hasattr(child, "layers") else [child]


def job_flops(lesson, n_train: int, n_eval: int) -> int:
    """Arithmetic of one comparison job: both trainings, their per-epoch evaluations, embeddings."""
    from tl_core.models.architectures import backbone_of
    from tl_core.training.transfer import scratch_model

    model = scratch_model(lesson.model, 2)
    full, backbone = forward_flops(model), forward_flops(backbone_of(model))
    train = lesson.train
    scratch = 3 * full * n_train * train.epochs + full * n_eval * train.epochs
    if train.strategy == "feature-extraction":
        transfer = backbone * (n_train * (1 + train.augment_copies) + n_eval)
    else:
        transfer = 3 * full * n_train * train.epochs + full * n_eval * train.epochs
    return scratch + transfer + full * n_eval  # the transfer model's confusion matrix


def run_jobs(lessons: list, data_dir: Path) -> list[dict]:
    """Each lesson as one job through a fresh queue, one after another; the numbers of each."""
    from tl_core.classroom.jobs import DONE, JobQueue
    from tl_core.classroom.requests import LessonRequest, submit
    from tl_core.models.zoo import load_model
    from tl_core.storage.workspace import WorkspaceStore
    from tl_core.training.results import ComparisonSummary

    try:  # code from before the throughput work had no start-up warm-up
        from tl_core.classroom.warmup import warm_up
    except ImportError:
        warm_up = None
    warm_up_s = warm_up(lessons[0].model, lessons[0].charset) if warm_up else None
    store = WorkspaceStore(data_dir / "throughput.db")
    queue = JobQueue()
    pretrained = {}
    rows = []
    for index, lesson in enumerate(lessons):
        if lesson.model not in pretrained:
            pretrained[lesson.model] = load_model(lesson.model)
        workspace = store.workspace(f"throughput-{index}")
        request = LessonRequest(
            workspace, pretrained[lesson.model], lesson, lesson.model, "train", "throughput", estimate_seconds=10.0
        )
        cpu_before = time.process_time()
        job = submit(queue, request)
        while queue.get(job.id).status not in (DONE, "failed", "cancelled"):  # polled like a page polls it
            time.sleep(0.1)
        if job.status != DONE:
            raise RuntimeError(f"job {index} ended {job.status}: {job.error}")
        cpu = time.process_time() - cpu_before
        summary = workspace.latest_run("lesson", ComparisonSummary.from_json).summary
        transfer, scratch = summary.transfer, summary.scratch
        wall = job.finished - job.started
        evaluation = None
        if transfer.eval_seconds is not None:
            evaluation = transfer.eval_seconds + scratch.eval_seconds
        rows.append(
            {
                "job_wall_s": wall,
                "job_cpu_s": cpu,
                "transfer_clock_s": transfer.seconds,
                "scratch_clock_s": scratch.seconds,
                "eval_s": evaluation,
                "prep_s": wall - transfer.seconds - scratch.seconds - (evaluation or 0.0),
                "transfer_accuracy": transfer.final_accuracy,
                "scratch_accuracy": scratch.final_accuracy,
                "train_size": summary.train_size,
                "eval_size": summary.eval_size,
                "epochs": summary.epochs,
                "seed": summary.seed,
            }
        )
    for row in rows:
        row["warm_up_s"] = warm_up_s
    return rows


def summarise(rows: list[dict], lesson, peak: dict) -> dict:
    """Medians over the rows, with the derived throughput figures."""

    def median(key):
        values = [row[key] for row in rows if row[key] is not None]
        return round(statistics.median(values), 3) if values else None

    keys = ("job_wall_s", "transfer_clock_s", "scratch_clock_s", "eval_s", "prep_s", "job_cpu_s")
    result = {key: median(key) for key in keys}
    cores = os.cpu_count() or 1
    flops = job_flops(lesson, rows[0]["train_size"], rows[0]["eval_size"])
    result.update(
        jobs_per_core_minute=round(60 / (result["job_wall_s"] * cores), 3),
        achieved_gflops=round(flops / result["job_wall_s"] / 1e9, 1),
        job_gflop=round(flops / 1e9, 1),
        **peak,
        transfer_accuracy=median("transfer_accuracy"),
        scratch_accuracy=median("scratch_accuracy"),
        first_job_wall_s=round(rows[0]["job_wall_s"], 3),
        warm_up_s=None if rows[0]["warm_up_s"] is None else round(rows[0]["warm_up_s"], 2),
        epochs=rows[0]["epochs"],
        seeds=[row["seed"] for row in rows],
        per_seed=[{k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()} for row in rows],
    )
    return result


def default_lessons(seeds: int) -> list:
    from dataclasses import replace

    from tl_core.classroom.lesson import Lesson

    return [replace(Lesson(), train=replace(Lesson().train, seed=seed)) for seed in range(seeds)]


def heavy_lesson():
    """The heaviest run the Train page allows, cut to the epochs that fit this server's budget per job."""
    from dataclasses import replace

    from tl_core.classroom.jobs import QueueLimits
    from tl_core.classroom.lesson import Lesson
    from tl_core.training.cost import check_comparison
    from tl_core.training.settings import TrainSettings

    settings = TrainSettings(strategy="fine-tune-all", epochs=200)
    n_classes, shots = 80, 20
    limit = QueueLimits.from_env().max_job_seconds
    check = check_comparison("deep-bn", settings, n_classes * shots, n_classes * 10, limit, True, n_classes)
    epochs = settings.epochs if check.cheaper is None else check.cheaper.epochs
    return Lesson(model="deep-bn", charset="jlpt-n5", shots=shots, train=replace(settings, epochs=epochs))


def measure(seeds: int, heavy: bool) -> dict:
    lessons = default_lessons(seeds)
    with tempfile.TemporaryDirectory() as folder:
        rows = run_jobs(lessons, Path(folder))
        peak = measured_peak_gflops()
        result = {"default": summarise(rows, lessons[0], peak)}
        if heavy:
            lesson = heavy_lesson()
            result["heavy"] = summarise(run_jobs([lesson], Path(folder)), lesson, peak)
            result["heavy"]["lesson"] = f"{lesson.model}, {lesson.charset}, {lesson.shots} per class, " + (
                f"{lesson.train.strategy}, {lesson.train.epochs} epochs"
            )
    try:
        from tl_core.models.precision import Precision

        result["precision"] = Precision.from_env().name
    except ImportError:  # code from before the precision setting: float32 throughout
        result["precision"] = "float32 training, float32 evaluation"
    return result


def training_parity(seeds: int) -> dict:
    """Final accuracies of the default lesson over `seeds` seeds, trained in float32 and in mixed bfloat16."""
    from tl_core.classroom.lesson import Lesson
    from tl_core.models.precision import Precision
    from tl_core.models.zoo import load_model
    from tl_core.training.engine import compare

    lessons = default_lessons(seeds)
    pretrained, task = load_model(Lesson().model), Lesson().task()  # the same samples for every seed
    result = {}
    for name in ("float32", "bfloat16"):
        precision = Precision.resolve(name, bf16_available=True)
        finals = {"transfer": [], "scratch": []}
        for lesson in lessons:
            comparison = compare(pretrained, lesson.model, task, lesson.train, precision=precision)
            for which in finals:
                finals[which].append(getattr(comparison, which).final_accuracy)
        result[name] = {
            which: {
                "median": round(statistics.median(values), 3),
                "mean": round(statistics.mean(values), 3),
                "stalled_below_0.1": sum(value < 0.1 for value in values),
                "per_seed": [round(value, 3) for value in values],
            }
            for which, values in finals.items()
        }
    result["seeds"] = seeds
    return result


def measure_baseline(revision: str, seeds: int) -> dict:
    """The default job with the code of `revision`, in a fresh process (its own imports, its own pool)."""
    with tempfile.TemporaryDirectory() as folder:
        tree = Path(folder) / "baseline"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), revision],
            check=True,
            capture_output=True,
        )
        try:
            env = {**os.environ, "PYTHONPATH": str(tree)}
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--seeds",
                str(seeds),
                "--no-heavy",
                "--code",
                str(tree),
                "--json",
            ]
            output = subprocess.run(command, env=env, cwd=tree, check=True, stdout=subprocess.PIPE, text=True).stdout
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
    result = json.loads(output)["default"]
    result["revision"] = revision
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), help="default: TL_PRECISION")
    parser.add_argument("--no-heavy", action="store_true", help="skip the heaviest run (about two minutes)")
    parser.add_argument("--parity", type=int, metavar="N", help="float32 vs bfloat16 training over N seeds")
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV's code (before/after)")
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)  # where tl_core is imported from
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.precision:
        os.environ["TL_PRECISION"] = args.precision
    sys.path.insert(0, str(args.code))
    baseline = measure_baseline(args.baseline, args.seeds) if args.baseline else None  # first: a failure costs less
    result = measure(args.seeds, heavy=not args.no_heavy)
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}"
    result["target_job_wall_s"] = TARGET_JOB_WALL_S
    if baseline:
        result["baseline"] = baseline
    if args.parity:
        result["parity"] = training_parity(args.parity)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"{result['machine']}; {result['precision']}")
    columns = [("default", result["default"])]
    if "heavy" in result:
        columns.append(("heavy", result["heavy"]))
    if "baseline" in result:
        columns.insert(0, (f"default @ {args.baseline[:10]}", result["baseline"]))
    keys = (
        "job_wall_s",
        "transfer_clock_s",
        "scratch_clock_s",
        "eval_s",
        "prep_s",
        "jobs_per_core_minute",
        "achieved_gflops",
        "peak_gflops",
        "peak_gflops_bf16",
        "transfer_accuracy",
        "scratch_accuracy",
        "first_job_wall_s",
    )
    print(f"{'':<22}" + "".join(f"{name:>22}" for name, _ in columns))
    for key in keys:
        cells = "".join(f"{'-' if c.get(key) is None else c[key]:>22}" for _, c in columns)
        print(f"{key:<22}{cells}")
    if "heavy" in result:
        print(f"heavy: {result['heavy']['lesson']}")
    for name, runs in result.get("parity", {}).items():
        if name != "seeds":
            print(
                f"parity, {name} training over {result['parity']['seeds']} seeds: "
                + ", ".join(
                    f"{which} median {r['median']:.3f} mean {r['mean']:.3f} stalled {r['stalled_below_0.1']}"
                    for which, r in runs.items()
                )
            )
    verdict = "meets" if result["default"]["job_wall_s"] <= TARGET_JOB_WALL_S else "misses"
    print(f"default job {verdict} the {TARGET_JOB_WALL_S:.0f} s target (median job_wall_s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
