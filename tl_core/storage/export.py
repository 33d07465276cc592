"""What a user takes home from a comparison: the curves as CSV and a model card for the fine-tuned model.

(The models themselves are the `.keras` bytes kept with the run; the workspace zip is `exchange`.)
"""

from __future__ import annotations

import csv
import io

import numpy as np

from tl_core.markdown import escape_markdown
from tl_core.storage.runs import COMPARISON_MODELS

CURVE_COLUMNS = ("model", "epoch", "seconds", "eval_accuracy", "train_accuracy", "loss")


# Exports read a comparison as it is kept, its JSON (`ComparisonSummary.to_json()` in tl_core.training.results):
# storage sits below training, and the files they write are that JSON's numbers.


def curves_csv(summary: dict) -> str:
    """Both learning curves of a comparison summary, one row per (model, epoch)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CURVE_COLUMNS)
    for which in COMPARISON_MODELS:
        run = summary[which]
        rows = zip(run["epoch_seconds"], run["eval_accuracy"], run["train_accuracy"], run["loss"], strict=True)
        for epoch, (seconds, eval_accuracy, train_accuracy, loss) in enumerate(rows, start=1):
            writer.writerow([which, epoch, seconds, eval_accuracy, train_accuracy, loss])
    return out.getvalue()


def fine_tuned_card(summary: dict, which: str = "transfer") -> dict:
    """A model card for one model of a comparison: what it was trained on and how well it did, as measured."""
    run = summary[which]
    labels = summary["labels"]
    matrix = np.array(summary["confusion"][which])
    per_class = np.divide(np.diag(matrix), matrix.sum(axis=1), out=np.zeros(len(labels)), where=matrix.sum(axis=1) > 0)
    order = np.argsort(per_class)
    return {
        "name": f"{summary['model']}-{which}",
        "kind": "transfer from a digit model" if which == "transfer" else "trained from scratch",
        "base_model": summary["model"] if which == "transfer" else None,
        "base_model_title": summary.get("model_title"),
        "strategy": summary["strategy"] if which == "transfer" else "scratch",
        "labels": labels,  # output i is the probability of labels[i]
        "input": "(N, 28, 28, 1) float32 in [0, 1], white ink on black, centred like MNIST (tl_core.canvas_to_input)",
        "trained_on": {
            "samples": summary["train_size"],
            "character_set": summary.get("charset"),
            "samples_per_class": summary.get("shots"),
            "epochs": summary["epochs"],
            "seed": summary["seed"],
            "settings": summary.get("settings"),
        },
        "evaluation": {
            "accuracy": run["eval_accuracy"][-1],
            "samples": summary["eval_size"],
            "source": summary["eval_source"],
            # classes with evaluation samples, lowest accuracy first (none without an evaluation)
            "hardest_classes": [(labels[i], round(float(per_class[i]), 3)) for i in order if matrix[i].sum()][:5],
            "training_seconds": run["seconds"],
        },
        "warning": summary.get("warning"),
        "how_to_load": "keras.models.load_model(path, compile=False); predict() returns one probability per label",
    }


def card_markdown(card: dict) -> str:
    """The card for people: a short Markdown page."""
    trained, evaluation = card["trained_on"], card["evaluation"]
    lines = [
        f"# Model card: {card['name']}",
        "",
        f"- **What**: {card['kind']}"
        + (f" ({card['base_model_title']}, {card['strategy']})" if card["base_model"] else ""),
        f"- **Classes** ({len(card['labels'])}): {', '.join(_quoted(label) for label in card['labels'])}",
        f"- **Trained on**: {trained['samples']} samples{_source(trained)}, {trained['epochs']} epochs, "
        f"seed {trained['seed']}",
        *([f"- **Caution**: {card['warning']}"] if card["warning"] else []),  # before the accuracy it qualifies
        f"- **Accuracy**: {_accuracy(evaluation)}",
        f"- **Hardest classes**: {_hardest(evaluation['hardest_classes'])}",
        f"- **Training time**: {evaluation['training_seconds']:.1f} s",
        f"- **Input**: {card['input']}",
        f"- **Load**: `{card['how_to_load']}`",
    ]
    return "\n".join(lines) + "\n"


def _hardest(classes: list) -> str:
    return ", ".join(f"{_quoted(label)} {score:.0%}" for label, score in classes) if classes else "not measured"


def _quoted(label: str) -> str:
    """A class label as it was typed: quoted (so "a b" is one label) and Markdown-escaped (no links, no bold)."""
    return f"“{escape_markdown(label)}”"


def _source(trained: dict) -> str:
    """Where the training samples came from, in words (empty for a custom task)."""
    if trained["character_set"] and trained["samples_per_class"]:
        return f" ({trained['samples_per_class']} rendered per class of {trained['character_set']})"
    if trained["character_set"]:
        return f" (of the {trained['character_set']} set)"
    return ""


def _accuracy(evaluation: dict) -> str:
    if evaluation["accuracy"] is None:
        return "not measured: there were no samples to evaluate on"
    return f"{evaluation['accuracy']:.1%} on {evaluation['source']}"
