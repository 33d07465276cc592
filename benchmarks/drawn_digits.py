"""Drawn digits benchmark: how well each zoo model reads every common way of writing each digit.

    .venv/bin/python benchmarks/drawn_digits.py [--per-style 100] [--seed 7] [--models NAME ...]
                                                [--models-dir DIR] [--write-cards] [--json]

Every style of `tl_core.data.digit_styles.STYLES` (a 1 plain, with a flag, with a flag and a base; a 7 crossed; a 4
open; ...) is drawn `--per-style` times from the HELD-OUT templates (authored apart from the ones pretraining
may use; pens near the app's 18 px), put through the app's canvas preprocessing, and read by each zoo model.
Reported per model: accuracy per style (`styles`), all styles together (`all_styles`), the worst style
(`worst_style`, `worst_style_accuracy`), and real MNIST's held-out digits (`mnist_heldout`).

`unsure` measures, for the default model, what the zoo page's "unsure" rule catches on the same drawings plus
held-out MNIST: for a grid of (minimum top probability, minimum margin over the runner-up) the share of wrong
readings it flags (`errors_flagged`) and the share of right readings it needlessly flags (`correct_flagged`).
The page's rule (`tl_core.models.confidence.UnsureRule`) was chosen from this table. About 1 minute on 2 cores.

`--write-cards` writes each model's per-style accuracy into its card (`styles`), as `pretrain` does for a
newly trained model; the zoo page shows from it which styles a model reads.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tl_core.data.digit_styles import STYLE_EVAL_PER_STYLE, STYLE_EVAL_SEED, STYLES, measure_styles, style_samples  # noqa: E402
from tl_core.data.mnist import load_mnist_split  # noqa: E402
from tl_core.models.architectures import DEFAULT_MODEL  # noqa: E402
from tl_core.models.zoo import MODELS_DIR, list_models, load_model  # noqa: E402

TOP_PROBABILITIES = (0.0, 0.5, 0.6, 0.7, 0.8, 0.9)  # the grid of "unsure" rules measured
MARGINS = (0.0, 0.2, 0.3, 0.4, 0.5)
MAX_RIGHT_FLAGGED = 0.05  # the chosen rule may doubt at most 1 right reading in 20: more would nag everyone


def chosen_rule(rows: list[dict]) -> dict:
    """The rule that flags the most wrong readings while doubting at most MAX_RIGHT_FLAGGED of the right ones
    (ties: the one doubting fewer right readings, then the simpler one)."""
    allowed = [row for row in rows if row["correct_flagged"] <= MAX_RIGHT_FLAGGED]
    return max(
        allowed,
        key=lambda row: (
            row["errors_flagged"],
            -row["correct_flagged"],
            -row["min_margin"],
            -row["min_top_probability"],
        ),
    )


def probabilities(model, images: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict(images[..., None], batch_size=256, verbose=0))


def measure_model(model, mnist, per_style: int, seed: int, samples: tuple) -> dict:
    """Accuracy per style, over all styles, and on held-out MNIST, for one model (the drawings rendered once)."""
    styles = measure_styles(model, per_style, seed, samples)
    worst = min(styles.per_style, key=styles.per_style.get)
    mnist_predicted = probabilities(model, mnist.x_heldout).argmax(axis=1)
    return {
        "styles": styles.per_style,
        "all_styles": styles.all_styles,
        "worst_style": worst,
        "worst_style_accuracy": styles.per_style[worst],
        "mnist_heldout": float(np.mean(mnist_predicted == mnist.y_heldout)),
        "card_block": styles.to_card(),
    }


def measure_unsure_rules(model, x, y, mnist) -> list[dict]:
    """What each (top probability, margin) rule flags among wrong and right readings."""
    from tl_core.models.confidence import UnsureRule, flag_rates

    probs = np.vstack([probabilities(model, x), probabilities(model, mnist.x_heldout)])
    labels = np.concatenate([y, mnist.y_heldout])
    rows = []
    for top in TOP_PROBABILITIES:
        for margin in MARGINS:
            rates = flag_rates(probs, labels, UnsureRule(min_top_probability=top, min_margin=margin))
            rows.append(
                {
                    "min_top_probability": top,
                    "min_margin": margin,
                    "errors_flagged": rates.errors_flagged,
                    "correct_flagged": rates.correct_flagged,
                    "n_errors": rates.n_errors,
                    "n_correct": rates.n_correct,
                }
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-style", type=int, default=STYLE_EVAL_PER_STYLE, help="held-out drawings per style")
    parser.add_argument("--seed", type=int, default=STYLE_EVAL_SEED)
    parser.add_argument("--models", nargs="*", help="zoo models to measure (default: all)")
    parser.add_argument("--models-dir", type=Path, default=MODELS_DIR, help="where the models and cards are")
    parser.add_argument("--write-cards", action="store_true", help="write the per-style accuracy into each card")
    parser.add_argument("--no-unsure", action="store_true", help="skip the unsure-rule table")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    names = args.models or [card["name"] for card in list_models(args.models_dir)]
    samples = style_samples(args.per_style, args.seed, family="held-out")  # once, for every model
    x, y, _ = samples
    mnist = load_mnist_split()
    models = {name: load_model(name, args.models_dir) for name in names}
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, Python {platform.python_version()}",
        "per_style": args.per_style,
        "seed": args.seed,
        "drawings": len(y),
        "family": "held-out",
        "models": {
            name: measure_model(model, mnist, args.per_style, args.seed, samples) for name, model in models.items()
        },
    }
    if not args.no_unsure and DEFAULT_MODEL in names:
        report["unsure_model"] = DEFAULT_MODEL
        report["unsure"] = measure_unsure_rules(models[DEFAULT_MODEL], x, y, mnist)
        report["unsure_chosen"] = chosen_rule(report["unsure"])
    if args.write_cards:
        for name in names:
            path = args.models_dir / f"{name}.json"
            card = json.loads(path.read_text())
            card["styles"] = report["models"][name]["card_block"]
            path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    for measured in report["models"].values():
        del measured["card_block"]

    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"Drawn digits, {args.per_style} held-out drawings per style (seed {args.seed}); {report['machine']}")
    print(f"{'style':<16}" + "".join(f"{name:>13}" for name in names))
    for style in STYLES:
        print(f"{style.name:<16}" + "".join(f"{report['models'][n]['styles'][style.name]:>13.1%}" for n in names))
    for field, title in (("all_styles", "all styles"), ("mnist_heldout", "MNIST held-out")):
        print(f"{title:<16}" + "".join(f"{report['models'][n][field]:>13.1%}" for n in names))
    if "unsure" in report:
        print(f"\nUnsure rules for {DEFAULT_MODEL} (styles + MNIST held-out): errors flagged / right ones flagged")
        for row in report["unsure"]:
            print(
                f"  top < {row['min_top_probability']:.1f} or margin < {row['min_margin']:.1f}: "
                f"{row['errors_flagged']:6.1%} of {row['n_errors']} errors / {row['correct_flagged']:6.1%} "
                f"of {row['n_correct']} right"
            )
        best = report["unsure_chosen"]
        print(
            f"Chosen (most errors flagged, at most {MAX_RIGHT_FLAGGED:.0%} of right readings doubted): top < "
            f"{best['min_top_probability']:.1f} or margin < {best['min_margin']:.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
