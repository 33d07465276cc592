"""Benchmark: how fast and how well transfer learns a new script, against training from scratch.

    .venv/bin/python benchmarks/transfer.py [--seeds 3] [--json]

On hiragana (46 classes), default model and strategy, it measures (medians over seeds):
- 5 shots: seconds of training until the transfer model first reaches 95% eval accuracy, and its final accuracy;
- 1 shot: final eval accuracy of transfer minus scratch;
- 5 shots: the scratch model's training seconds for the same epochs;
- one prediction (a single drawing through the trained transfer model), median of 200 calls.
Import and model loading are excluded; each model's clock includes its own preparation (augmentation,
embeddings), never evaluation.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGETS = {
    "transfer_seconds_to_95": ("<=", 1.5),
    "transfer_final_accuracy_5shot": (">=", 0.95),
    "one_shot_advantage": (">=", 0.40),
    "scratch_seconds_5shot": ("<=", 15.0),
    "prediction_ms": ("<=", 15.0),
}


def measure(seeds: int) -> dict:
    import numpy as np

    from tl_core.models.architectures import DEFAULT_MODEL
    from tl_core.models.zoo import load_model
    from tl_core.training.engine import compare
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import charset_task

    pretrained = load_model(DEFAULT_MODEL)
    runs = {"to95": [], "final5": [], "scratch5": [], "advantage1": [], "scratch_final5": []}
    last = None
    for seed in range(seeds):
        settings = TrainSettings(seed=seed)
        five = compare(pretrained, DEFAULT_MODEL, charset_task("hiragana", 5, seed=seed), settings)
        reached = [r.seconds for r in five.transfer.curve if r.eval_accuracy >= 0.95]
        runs["to95"].append(reached[0] if reached else float("inf"))
        runs["final5"].append(five.transfer.final_accuracy)
        runs["scratch5"].append(five.scratch.seconds)
        runs["scratch_final5"].append(five.scratch.final_accuracy)
        one = compare(pretrained, DEFAULT_MODEL, charset_task("hiragana", 1, seed=seed), settings)
        runs["advantage1"].append(one.transfer.final_accuracy - one.scratch.final_accuracy)
        last = five

    model = last.transfer.model
    drawing = np.random.default_rng(0).random((1, 28, 28, 1), dtype=np.float32)
    for _ in range(10):
        model(drawing, training=False)
    timings = []
    for _ in range(200):
        started = time.perf_counter()
        np.asarray(model(drawing, training=False))
        timings.append((time.perf_counter() - started) * 1000)

    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "task": "hiragana (46 classes), model compact-gap, strategy feature-extraction, default settings",
        "seeds": seeds,
        "transfer_seconds_to_95": statistics.median(runs["to95"]),
        "transfer_final_accuracy_5shot": statistics.median(runs["final5"]),
        "scratch_final_accuracy_5shot": statistics.median(runs["scratch_final5"]),
        "one_shot_advantage": statistics.median(runs["advantage1"]),
        "scratch_seconds_5shot": statistics.median(runs["scratch5"]),
        "prediction_ms": statistics.median(timings),
        "per_seed": runs,
    }


def verdicts(results: dict) -> dict:
    checks = {}
    for key, (op, target) in TARGETS.items():
        value = results[key]
        checks[key] = {
            "value": value,
            "target": f"{op} {target}",
            "ok": value <= target if op == "<=" else value >= target,
        }
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.seeds)
    checks = verdicts(results)
    if args.json:
        print(json.dumps({**results, "checks": checks}, indent=2))
    else:
        print(f"{results['task']}; medians over {results['seeds']} seeds; {results['machine']}")
        print(f"{'measure':<34} {'value':>10} {'target':>10}  ok")
        for key, check in checks.items():
            print(f"{key:<34} {check['value']:>10.3f} {check['target']:>10}  {'yes' if check['ok'] else 'NO'}")
        print(f"{'scratch_final_accuracy_5shot':<34} {results['scratch_final_accuracy_5shot']:>10.3f}")
    return 0 if all(check["ok"] for check in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
