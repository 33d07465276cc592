"""Soak benchmark: does building, training and discarding models again and again keep memory flat?

    .venv/bin/python benchmarks/soak.py [--cycles 100] [--inside] [--json]

Each cycle builds a transfer and a scratch model, trains both (the same `compare` the page runs, on a small
task), predicts once, and drops everything. With `--inside`, each cycle also does what the lesson and Look
inside pages do with a finished run: both models through bytes and back (as kept in the workspace), then
saliency, feature maps, filters and a feature-space projection with each. It reports resident memory
(VmRSS) per cycle and the growth per cycle after cycle 10 (least-squares slope; the first cycles warm up
caches). Target: <= 2 MB per cycle.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TARGET_MB_PER_CYCLE = 2.0
WARM_UP_CYCLES = 10


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def look_inside(models: list, task) -> None:
    """What the pages compute for a run: pictures of each model on a drawing, and its feature space."""
    from tl_core.inside.activations import feature_maps, first_layer_filters, saliency
    from tl_core.inside.feature_space import feature_space

    for model in models:
        saliency(model, task.x_eval[0])
        feature_maps(model, task.x_eval[0])
        first_layer_filters(model)
        feature_space(model, task.x_eval, task.y_eval, task.x_eval[0], [0, 1, 2])


def soak(cycles: int, strategy: str = "fine-tune-top", inside: bool = False) -> dict:
    import numpy as np

    from tl_core.models.model_io import model_from_bytes, model_to_bytes
    from tl_core.models.zoo import load_model
    from tl_core.training.engine import compare
    from tl_core.training.settings import TrainSettings
    from tl_core.training.tasks import charset_task

    pretrained = load_model("compact-gap")
    task = charset_task("kanji-numerals", 2, seed=0, eval_per_class=2)
    rss, seconds = [], []
    for cycle in range(cycles):
        started = time.perf_counter()
        result = compare(pretrained, "compact-gap", task, TrainSettings(epochs=2, strategy=strategy, seed=cycle))
        np.asarray(result.transfer.model(task.x_eval[:1, ..., None]))
        if inside:
            kept = [model_from_bytes(model_to_bytes(run.model)) for run in (result.transfer, result.scratch)]
            look_inside([pretrained, *kept], task)
            del kept
        del result
        gc.collect()
        seconds.append(time.perf_counter() - started)
        rss.append(resident_mb())
        print(f"  cycle {cycle + 1}/{cycles}: {rss[-1]:.1f} MB", file=sys.stderr, flush=True)
    after = np.array(rss[WARM_UP_CYCLES:])
    slope = float(np.polyfit(np.arange(len(after)), after, 1)[0]) if len(after) > 1 else 0.0
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "cycles": cycles,
        "strategy": strategy,
        "inside": inside,
        "rss_mb": [round(value, 1) for value in rss],
        "growth_mb_per_cycle_after_10": slope,
        "median_cycle_seconds": float(np.median(seconds)),
        "target_mb_per_cycle": TARGET_MB_PER_CYCLE,
        "ok": slope <= TARGET_MB_PER_CYCLE,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=100)
    parser.add_argument("--strategy", default="fine-tune-top", help="fine-tune-top builds and trains the most")
    parser.add_argument("--inside", action="store_true", help="also reload the models and look inside them")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = soak(args.cycles, args.strategy, args.inside)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        rss = result["rss_mb"]
        extra = ", reload and look inside" if result["inside"] else ""
        print(f"{result['cycles']} build -> train{extra} -> discard cycles ({result['strategy']}); {result['machine']}")
        print(f"{'resident memory after cycle 1':<40} {rss[0]:>8.1f} MB")
        if len(rss) > WARM_UP_CYCLES:
            print(f"{'resident memory after cycle 10':<40} {rss[WARM_UP_CYCLES - 1]:>8.1f} MB")
        print(f"{'resident memory after the last cycle':<40} {rss[-1]:>8.1f} MB")
        print(
            f"{'growth per cycle after cycle 10':<40} {result['growth_mb_per_cycle_after_10']:>8.2f} MB"
            f"   (target <= {TARGET_MB_PER_CYCLE} MB: {'ok' if result['ok'] else 'NOT MET'})"
        )
        print(f"{'median seconds per cycle':<40} {result['median_cycle_seconds']:>8.2f} s")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
