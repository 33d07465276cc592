"""Calibrate the job cost model (`tl_core/training/cost.py`) on this machine and write `assets/calibration.json`.

    .venv/bin/python benchmarks/calibrate.py [--json] [--out PATH] [--models compact-gap,deep-bn] [--quick]

For every zoo architecture it measures, on a warm pool (each kind compiled once before timing):
- the batched forward pass per image (evaluation, embeddings, confusion matrices);
- for scratch and each transfer strategy, one model's training at three sizes, without evaluation, and the
  least-squares line through them: setup seconds and seconds per sample per epoch (feature extraction: what
  is left after the embeddings, i.e. the head's steps);
and once: augmentation per jittered copy, rendering per sample, and a comparison job's overhead (what a
real job takes beyond the model's terms). Training content does not change the cost, so random images
stand in for samples. Then it checks the model against real default jobs and prints predicted vs
measured. Each timing is the fastest of `--repeats` rounds (noise on a shared machine only ever adds time).
About 6 minutes on 2 cores (`--quick`: one model, small sizes, no check, for tests).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# (classes, samples per class, epochs) of the timings; the least-squares line through them gives the setup
# seconds (intercept) and the seconds per sample per epoch (slope). Three sizes, so one noisy timing on a
# shared machine cannot tilt the line on its own.
SIZES = ((10, 2, 3), (46, 5, 6), (46, 5, 12))
QUICK_SIZES = ((10, 2, 3), (20, 3, 6))


def fastest_seconds(run, repeats: int) -> float:
    """The fastest of `repeats` timings: noise on a shared machine only ever adds time."""
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return min(timings)


def random_task(classes: int, shots: int, seed: int = 0):
    import numpy as np

    from tl_core.training.tasks import Task

    rng = np.random.default_rng(seed)
    n = classes * shots
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = np.repeat(np.arange(classes), shots)
    empty = np.zeros((0, 28, 28), np.float32)
    return Task([str(i) for i in range(classes)], x, y, empty, np.zeros(0, np.int64), "none")


def side_runner(pretrained, architecture: str, side: str, size):
    """A function that trains one model (scratch, or the transfer side of a strategy) at `size`, no evaluation."""
    from tl_core.training.engine import RunInputs, epoch_plan, train_scratch, train_transfer
    from tl_core.training.settings import TrainSettings

    classes, shots, epochs = size
    task = random_task(classes, shots)
    strategy = "feature-extraction" if side == "scratch" else side
    settings = TrainSettings(strategy=strategy, epochs=epochs)
    plan = epoch_plan(task, settings)

    def run():
        if side == "scratch":
            train_scratch(architecture, RunInputs(task, plan, settings))
        else:
            train_transfer(pretrained, architecture, RunInputs(task, plan, settings))

    return run


def side_seconds_measured(pretrained, architecture: str, side: str, sizes, repeats: int) -> list[float]:
    """Seconds per size: the fastest of `repeats` rounds, each round timing every size once (after one warm-up
    each, which compiles the kind). A slow spell of the machine then costs one round, not one size's line."""
    runs = [side_runner(pretrained, architecture, side, size) for size in sizes]
    for run in runs:
        run()
    rounds = [[fastest_seconds(run, 1) for run in runs] for _ in range(repeats)]
    return [min(timings) for timings in zip(*rounds, strict=True)]


def forward_seconds_per_image(architecture: str, repeats: int) -> tuple[float, float]:
    """(a float32 forward pass as embeddings and confusion matrices run it, the curves' compiled one in this
    server's precision), per image, at the default evaluation set's size."""
    import numpy as np

    from tl_core.models.precision import Precision
    from tl_core.training.evaluation import predict_in_batches
    from tl_core.training.model_pool import PooledModel
    from tl_core.training.transfer import scratch_model

    model = scratch_model(architecture, 46)
    images = np.random.default_rng(0).random((460, 28, 28, 1), dtype=np.float32)
    pooled, bf16 = PooledModel(model), Precision.from_env().evaluate_bf16
    per_image = []
    for forward in (lambda: predict_in_batches(model, images), lambda: pooled.predict(images, bf16)):
        forward()
        per_image.append(fastest_seconds(forward, repeats) / len(images))
    return per_image[0], per_image[1]


def calibrate_model(architecture: str, sizes, repeats: int) -> dict:
    import numpy as np

    from tl_core.models.zoo import load_model
    from tl_core.training.cost import SIDES
    from tl_core.training.settings import TrainSettings

    pretrained = load_model(architecture)
    forward, curve_forward = forward_seconds_per_image(architecture, repeats)
    copies = TrainSettings().augment_copies
    sides = {}
    for side in SIDES:
        seconds = side_seconds_measured(pretrained, architecture, side, sizes, repeats)
        if side == "feature-extraction":  # take the embeddings out: they are the forward term
            seconds = [s - forward * c * k * (1 + copies) for s, (c, k, _) in zip(seconds, sizes, strict=True)]
        sample_epochs = [classes * shots * epochs for classes, shots, epochs in sizes]
        slope, intercept = np.polyfit(sample_epochs, seconds, 1)
        sides[side] = {
            "setup_seconds": round(max(0.0, intercept), 4),
            "seconds_per_sample_epoch": round(max(slope, 1e-7), 7),
        }
    return {
        "forward_seconds_per_image": round(forward, 8),
        "curve_seconds_per_image": round(curve_forward, 8),
        "sides": sides,
    }


def calibrate(models: list[str], repeats: int = 3, quick: bool = False) -> dict:
    import numpy as np

    from tl_core.data.augment import SampleAugment, jitter_copies
    from tl_core.data.charsets import render_charset
    from tl_core.models.precision import Precision

    sizes = QUICK_SIZES if quick else SIZES
    started = time.perf_counter()
    samples = random_task(46, 5).x_train
    augment = fastest_seconds(
        lambda: jitter_copies(samples, np.random.default_rng(0), SampleAugment(copies=4)), repeats
    ) / (len(samples) * 4)
    render = fastest_seconds(lambda: render_charset("hiragana", 1, seed=0), repeats) / 46
    result = {
        "command": "python benchmarks/calibrate.py",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "measured_on": date.today().isoformat(),
        "precision": Precision.from_env().name,  # estimates hold for a server running in the same precision
        "sizes": sizes,
        "augment_seconds_per_copy": round(augment, 7),
        "render_seconds_per_sample": round(render, 6),
        "job_overhead_seconds": 0.0,
        "models": {name: calibrate_model(name, sizes, repeats) for name in models},
    }
    result["job_overhead_seconds"] = round(job_overhead(result, models[0], repeats), 3)
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def job_overhead(result: dict, architecture: str, repeats: int) -> float:
    """A real small comparison job's wall time minus what the model's other terms predict for it."""
    from tl_core.classroom.experiments import comparison_record
    from tl_core.models.zoo import load_model
    from tl_core.training.cost import Calibration, comparison_seconds
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import charset_task

    pretrained = load_model(architecture)
    task = charset_task("kanji-numerals", 3)
    settings = TrainSettings(epochs=5)
    comparison_record(pretrained, architecture, "", task, settings)  # warm
    measured = fastest_seconds(lambda: comparison_record(pretrained, architecture, "", task, settings), repeats)
    predicted = comparison_seconds(
        architecture, settings, len(task.x_train), len(task.x_eval), Calibration.from_json(result)
    )
    return max(0.0, measured - predicted)


def check_against_real_jobs(result: dict, models: list[str]) -> list[dict]:
    """Predicted vs measured wall time of the default comparison job (hiragana, 5 per class) per strategy, on a
    warm pool (a short run of the same kind first)."""
    from tl_core.classroom.experiments import comparison_record
    from tl_core.models.zoo import load_model
    from tl_core.training.cost import Calibration, comparison_seconds
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import charset_task

    cal = Calibration.from_json(result)
    task = charset_task("hiragana", 5)
    rows = []
    for architecture in models:
        pretrained = load_model(architecture)
        for strategy in ("feature-extraction", "fine-tune-all"):
            settings = TrainSettings(strategy=strategy, epochs=2)
            comparison_record(pretrained, architecture, "", task, settings)  # warm: compile this kind, as a server has
            settings = TrainSettings(strategy=strategy)
            started = time.perf_counter()
            comparison_record(pretrained, architecture, "", task, settings)
            measured = time.perf_counter() - started
            predicted = comparison_seconds(architecture, settings, len(task.x_train), len(task.x_eval), cal)
            rows.append(
                {
                    "model": architecture,
                    "strategy": strategy,
                    "predicted_s": round(predicted, 1),
                    "measured_s": round(measured, 1),
                    "ratio": round(measured / predicted, 2),
                }
            )
    return rows


def main() -> int:
    from tl_core.models.architectures import ARCHITECTURES
    from tl_core.training.cost import CALIBRATION_FILE

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(ARCHITECTURES), help="comma-separated architectures")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="small sizes, no check against real jobs")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    models = [name for name in args.models.split(",") if name]
    result = calibrate(models, args.repeats, args.quick)
    args.out.write_text(json.dumps({k: v for k, v in result.items() if k != "check"}, indent=2) + "\n")
    if not args.quick:
        result["check"] = check_against_real_jobs(result, models[:1] if len(models) == 1 else models)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"wrote {args.out} ({result['machine']}, {result['seconds']} s)")
    print(
        f"{'model':<12} {'forward ms/img':>14} {'curve ms/img':>12} "
        + " ".join(f"{s[:14]:>22}" for s in result["models"][models[0]]["sides"])
    )
    for name, entry in result["models"].items():
        cells = [
            f"{c['setup_seconds']:.2f}s+{c['seconds_per_sample_epoch'] * 1000:.3f}ms" for c in entry["sides"].values()
        ]
        print(
            f"{name:<12} {entry['forward_seconds_per_image'] * 1000:>14.3f} "
            f"{entry['curve_seconds_per_image'] * 1000:>12.3f} " + " ".join(f"{c:>22}" for c in cells)
        )
    for row in result.get("check", []):
        print(
            f"check {row['model']:<12} {row['strategy']:<20} predicted {row['predicted_s']:>6.1f} s, "
            f"measured {row['measured_s']:>6.1f} s ({row['ratio']:.2f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
