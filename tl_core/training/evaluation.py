"""Reading a comparison: confusion matrices, accuracy per class, the most-confused pairs, top-k predictions,
and a summary in plain words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from tl_core.models.batches import predict_in_batches
from tl_core.training.results import ComparisonSummary, ModelCurves

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

MILESTONES = (0.95, 0.9, 0.8, 0.5)  # the summary names the highest of these that transfer reached
# Two accuracies less than 2 percentage points apart are a tie: the same task trained on three seeds ends up to a
# point apart for transfer and further apart for scratch (benchmarks/data_efficiency.py, in the README), so a smaller
# gap says nothing about transfer. On the default evaluation set (460 fresh renders) 2 points are about 9 samples.
TIE_MARGIN = 0.02


def better_worse_or_tie(
    accuracy: float, against: float, margin: float = TIE_MARGIN
) -> Literal["better", "worse", "tie"]:
    """Whether `accuracy` beats `against` by at least `margin`, falls short of it by at least `margin`, or neither."""
    gain = accuracy - against
    if gain >= margin:
        return "better"
    if gain <= -margin:
        return "worse"
    return "tie"


def confusion(model: Model, images: np.ndarray, labels: np.ndarray, n_classes: int) -> list[list[int]]:
    """Rows: true class, columns: predicted class (scikit-learn's convention)."""
    if not len(images):
        return [[0] * n_classes for _ in range(n_classes)]
    return confusion_of(predict_in_batches(model, images).argmax(axis=1), labels, n_classes)


def confusion_of(predicted: np.ndarray, labels: np.ndarray, n_classes: int) -> list[list[int]]:
    """The confusion matrix of predicted classes (when a run already predicted them, no second pass)."""
    from sklearn.metrics import confusion_matrix

    return confusion_matrix(labels, predicted, labels=np.arange(n_classes)).tolist()


@dataclass(frozen=True)
class ClassAccuracy:
    """How often the evaluation samples of one class were read as that class."""

    label: str
    correct: int  # evaluation samples of this class predicted as this class
    total: int  # evaluation samples of this class (0 when none was held out)

    @property
    def accuracy(self) -> float | None:
        """None when the class had nothing to evaluate on (a held-out split can leave a class empty)."""
        return self.correct / self.total if self.total else None


def per_class_accuracy(matrix: list[list[int]], labels: list[str]) -> list[ClassAccuracy]:
    """One entry per class, in the order of `labels`, read off a confusion matrix (rows: true class)."""
    counts = np.asarray(matrix, dtype=np.int64).reshape(len(labels), len(labels))
    return [ClassAccuracy(label, int(counts[i, i]), int(counts[i].sum())) for i, label in enumerate(labels)]


@dataclass(frozen=True)
class ConfusedPair:
    """Evaluation samples of `true_label` that a model read as `predicted_label`."""

    true_label: str
    predicted_label: str
    true_index: int  # index into the labels, for finding a drawing of each character
    predicted_index: int
    count: int  # how many samples of the true class went to the predicted class
    of: int  # evaluation samples of the true class in all

    @property
    def share(self) -> float:
        return self.count / self.of


def most_confused(matrix: list[list[int]], labels: list[str], top: int = 5) -> list[ConfusedPair]:
    """The `top` largest off-diagonal cells of a confusion matrix, largest first; cells that are zero are left
    out, so a model without mistakes has none. Ties go to the higher share of the true class, then label order."""
    counts = np.asarray(matrix, dtype=np.int64).reshape(len(labels), len(labels))
    totals = counts.sum(axis=1)
    cells = [
        (int(counts[t, p]), int(counts[t, p]) / int(totals[t]), t, p)
        for t in range(len(labels))
        for p in range(len(labels))
        if t != p and counts[t, p] > 0
    ]
    cells.sort(key=lambda cell: (-cell[0], -cell[1], cell[2], cell[3]))
    return [ConfusedPair(labels[t], labels[p], t, p, count, int(totals[t])) for count, _, t, p in cells[:top]]


def top_k(probabilities: np.ndarray, labels: list[str], k: int = 5) -> list[tuple[str, float]]:
    order = np.argsort(probabilities)[::-1][:k]
    return [(labels[i], float(probabilities[i])) for i in order]


def accuracy_at(curve: list[dict], seconds: float) -> float | None:
    """The eval accuracy a curve had reached after `seconds` of training (None: not one epoch yet)."""
    reached = [point["eval_accuracy"] for point in curve if point["seconds"] <= seconds]
    return reached[-1] if reached else None


def describe(summary: ComparisonSummary) -> str:
    """One or two honest sentences about a comparison, for the page."""
    transfer, scratch = _points(summary.transfer), _points(summary.scratch)
    if not transfer or transfer[-1]["eval_accuracy"] is None:
        return "No evaluation samples, so there is nothing to compare yet."
    transfer_final = transfer[-1]["eval_accuracy"]
    sentences = []
    milestone = next((m for m in MILESTONES if any(p["eval_accuracy"] >= m for p in transfer)), None)
    if milestone is not None:
        when = next(p["seconds"] for p in transfer if p["eval_accuracy"] >= milestone)
        scratch_then = accuracy_at(scratch, when)
        then = (
            f"scratch was at {scratch_then:.0%}"
            if scratch_then is not None
            else "scratch had not finished its first epoch"
        )
        sentences.append(f"Transfer reached {milestone:.0%} after {when:.1f} s; {then}.")
    if scratch:
        scratch_final = scratch[-1]["eval_accuracy"]
        sentences.append(
            f"After {len(scratch)} epochs: transfer {transfer_final:.0%} in {transfer[-1]['seconds']:.1f} s, "
            f"scratch {scratch_final:.0%} in {scratch[-1]['seconds']:.1f} s."
        )
        if better_worse_or_tie(transfer_final, scratch_final) != "better":
            sentences.append(
                "Here transfer did not buy accuracy: this task is easy enough (or has enough samples) for a model "
                "trained from scratch. Try fewer samples per class or more classes to see the difference."
            )
    return " ".join(sentences)


def _points(curves: ModelCurves) -> list[dict]:
    """The curve as `accuracy_at` reads it."""
    return [
        {"eval_accuracy": accuracy, "seconds": seconds}
        for accuracy, seconds in zip(curves.eval_accuracy, curves.epoch_seconds, strict=True)
    ]
