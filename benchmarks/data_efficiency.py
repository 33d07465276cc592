"""Benchmark: fewer labels needed? Accuracy against samples per class, and where transfer does not help.

    .venv/bin/python benchmarks/data_efficiency.py [--seeds 3] [--json]

1. The data-efficiency sweep on hiragana (46 classes): 1, 2, 5, 10, 20 rendered samples per class, transfer
   (compact-gap, feature extraction) against scratch, default settings; mean and range over seeds.
2. Honest negatives, 5 samples per class, seed 0: an easy task (kanji numerals, 10 very distinct shapes)
   and a backbone whose features are tied to digit pixel positions (the dense-only MLP) on hiragana.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def measure(seeds: int) -> dict:
    from tl_core.models.zoo import load_model
    from tl_core.training.engine import compare
    from tl_core.training.settings import TrainSettings
    from tl_core.training.sweep import SHOTS, data_efficiency
    from tl_core.training.tasks import charset_task

    models = {name: load_model(name) for name in ("compact-gap", "lenet5", "mlp")}
    sweep = data_efficiency(
        models["compact-gap"],
        "compact-gap",
        lambda shots, seed: charset_task("hiragana", shots, seed),
        TrainSettings(),
        shots=SHOTS,
        seeds=seeds,
        progress=lambda done, total, what: print(f"  sweep {done}/{total}: {what}", file=sys.stderr, flush=True),
    )
    negatives = {}
    for label, (model, charset) in {
        "easy task: kanji numerals, compact-gap": ("compact-gap", "kanji-numerals"),
        "dense-only backbone: hiragana, mlp": ("mlp", "hiragana"),
        "dense-feature backbone: hiragana, lenet5": ("lenet5", "hiragana"),
        "reference: hiragana, compact-gap": ("compact-gap", "hiragana"),
    }.items():
        result = compare(models[model], model, charset_task(charset, 5, seed=0), TrainSettings())
        negatives[label] = {"transfer": result.transfer.final_accuracy, "scratch": result.scratch.final_accuracy}
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "sweep": sweep,  # a SweepSummary: JSON only when printed
        "five_shot_cases": negatives,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure(args.seeds)
    if args.json:
        print(json.dumps(results | {"sweep": results["sweep"].to_json()}, indent=2))
        return 0
    from tl_core.training.results import COMPARISON_MODELS

    sweep = results["sweep"]
    print(f"hiragana, compact-gap, feature-extraction; mean [min-max] over {args.seeds} seeds; {results['machine']}")
    print(f"{'samples/class':>13}  {'transfer':>20}  {'scratch':>20}  {'gain':>6}")
    for index, shots in enumerate(sweep.shots):
        curves = [sweep.curve(which) for which in COMPARISON_MODELS]
        cells = [f"{c.mean[index]:.2f} [{c.low[index]:.2f}-{c.high[index]:.2f}]" for c in curves]
        gain = sweep.transfer.mean[index] - sweep.scratch.mean[index]
        print(f"{shots:>13}  {cells[0]:>20}  {cells[1]:>20}  {gain:>+6.2f}")
    print("\n5 samples per class, seed 0:")
    for label, scores in results["five_shot_cases"].items():
        print(f"  {label:<42} transfer {scores['transfer']:.2f}  scratch {scores['scratch']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
