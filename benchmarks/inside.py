"""Benchmark: what transferred, and how fast the Look inside views are.

    .venv/bin/python benchmarks/inside.py [--json]

1. Feature space: leave-one-out nearest-neighbour accuracy of the fresh evaluation renders (10 per class) in
   the features of each zoo backbone, against the same architecture with random weights (median of seeds
   0-2) and against raw pixels. This is the number the lesson's step 3 shows.
2. Saliency: how much more input gradient falls on and next to the ink than elsewhere (median over 46
   hiragana renders, one per class) for each zoo model.
3. The lesson's demonstrations (tl_core.classroom.lesson.DEMOS) and its default lesson: final accuracies, the
   accuracy gain and the speed-up, as step 5 and step 7 compute them.
4. Interactivity: milliseconds to project 460 samples (feature_space) and to compute one network's
   pictures (saliency + feature maps + filters) for a drawing; medians of 5 calls after a warm-up.
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

CHARSETS = ("hiragana", "katakana", "jlpt-n5", "latin-upper")
MODELS = ("compact-gap", "deep-bn", "lenet5", "mlp")


def _median_ms(call, repeats: int = 5) -> float:
    call()  # warm-up: first calls trace functions
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def measure() -> dict:
    from dataclasses import asdict

    from tl_core.classroom.lesson import DEMOS, Lesson, speed_and_accuracy
    from tl_core.inside.activations import feature_maps, first_layer_filters, ink_focus, saliency
    from tl_core.inside.feature_space import feature_space, neighbour_accuracy, random_backbone
    from tl_core.models.zoo import load_model
    from tl_core.training.engine import compare
    from tl_core.training.results import comparison_summary
    from tl_core.training.tasks import charset_task

    zoo = {name: load_model(name) for name in MODELS}
    tasks = {name: charset_task(name, 1, seed=0) for name in CHARSETS}
    space = {}
    for charset, task in tasks.items():
        row = {"raw pixels": neighbour_accuracy(task.x_eval.reshape(len(task.x_eval), -1), task.y_eval)}
        for name, model in zoo.items():
            pretrained = feature_space(model, task.x_eval, task.y_eval).neighbour_accuracy
            random = statistics.median(
                feature_space(random_backbone(name, seed), task.x_eval, task.y_eval).neighbour_accuracy
                for seed in range(3)
            )
            row[name] = {"pretrained": pretrained, "random": random}
        space[charset] = row
        print(f"  feature space: {charset} done", file=sys.stderr, flush=True)

    hiragana = tasks["hiragana"]
    one_per_class = [hiragana.x_eval[np.flatnonzero(hiragana.y_eval == c)[0]] for c in range(len(hiragana.labels))]
    focus = {name: statistics.median(ink_focus(model, image) for image in one_per_class) for name, model in zoo.items()}

    lessons = {"default lesson (hiragana, 5 per class, compact-gap)": Lesson()} | {
        demo.title: demo.lesson for demo in DEMOS.values()
    }
    outcomes = {}
    for title, lesson in lessons.items():
        result = compare(zoo[lesson.model], lesson.model, lesson.task(), lesson.train)
        numbers = speed_and_accuracy(comparison_summary(result))
        shown = ("transfer_final", "scratch_final", "accuracy_gain", "speedup")
        outcomes[title] = {name: value for name, value in asdict(numbers).items() if name in shown}
        print(f"  lesson: {title} done", file=sys.stderr, flush=True)

    drawing = hiragana.x_eval[0]
    timings = {
        "feature_space_460_samples_ms": {
            name: _median_ms(lambda m=model: feature_space(m, hiragana.x_eval, hiragana.y_eval, drawing, [0, 1, 2]))
            for name, model in zoo.items()
        },
        "network_pictures_ms": {
            name: _median_ms(lambda m=model: (saliency(m, drawing), feature_maps(m, drawing), first_layer_filters(m)))
            for name, model in zoo.items()
        },
    }
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "neighbour_accuracy": space,
        "saliency_ink_focus": focus,
        "lessons": outcomes,
        "timings": timings,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = measure()
    if args.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return 0
    print(f"Nearest neighbour is the same character (10 fresh renders per class); {results['machine']}")
    print(f"{'set':<12} {'pixels':>6}  " + "  ".join(f"{name + ' pre/rand':>22}" for name in MODELS))
    for charset, row in results["neighbour_accuracy"].items():
        cells = "  ".join(f"{row[name]['pretrained']:>13.2f} / {row[name]['random']:.2f}" for name in MODELS)
        print(f"{charset:<12} {row['raw pixels']:>6.2f}  {cells}")
    print("\nSaliency on and next to the ink, relative to elsewhere (median, hiragana):")
    print("  " + "  ".join(f"{name} {value:.1f}x" for name, value in results["saliency_ink_focus"].items()))
    print("\nLessons (seed 0):")
    for title, o in results["lessons"].items():
        speed = f"{o['speedup']:.1f}x" if o["speedup"] else "never matched"
        print(
            f"  {title:<52} transfer {o['transfer_final']:.2f}  scratch {o['scratch_final']:.2f}  "
            f"gain {o['accuracy_gain']:+.2f}  faster {speed}"
        )
    print("\nInteractivity, median ms:")
    for what, row in results["timings"].items():
        print(f"  {what:<30} " + "  ".join(f"{name} {ms:.0f}" for name, ms in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
