"""Saying when unsure: a prediction whose top probability is low, or whose top two are close, is read as
"7 or 1?" rather than as one confident answer (issue 14).

One rule decides both what a page shows (`read_prediction`, one drawing) and what a benchmark measures
(`flag_rates`, many drawings), so the thresholds a benchmark chose are the ones the page uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UnsureRule:
    """When a prediction is too uncertain to give as one answer. Below either threshold is unsure; exactly at
    a threshold is sure."""

    # Chosen by benchmarks/drawn_digits.py for the default model on 2,200 held-out style drawings and 500 held-out
    # MNIST digits: below 90% it flags 10 of its 15 wrong readings and doubts 1.5% of its 2,685 right ones (the
    # most errors caught while doubting at most 1 right reading in 20). A close runner-up already means < 90%.
    min_top_probability: float = 0.9
    min_margin: float = 0.0  # top minus runner-up probability; adds nothing above for the default model

    def __post_init__(self):
        for name in ("min_top_probability", "min_margin"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")

    def unsure(self, top_probability: float, margin: float) -> bool:
        """True where the top probability or the margin falls short (scalars or arrays, element-wise)."""
        return (np.asarray(top_probability) < self.min_top_probability) | (np.asarray(margin) < self.min_margin)


@dataclass(frozen=True)
class Reading:
    """One prediction read for display: the two most probable labels and whether to hedge."""

    best: str
    runner_up: str
    top_probability: float
    margin: float  # top_probability minus the runner-up's probability (0 on a tie)
    unsure: bool

    @property
    def headline(self) -> str:
        """ "7" when sure, "7 or 1?" when unsure (most probable first)."""
        return f"{self.best} or {self.runner_up}?" if self.unsure else self.best

    @property
    def runner_up_probability(self) -> float:
        return self.top_probability - self.margin


def _top_two(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., C) -> indices (..., 2) and probabilities (..., 2) of the two most probable classes, most probable
    first; on a tie the lower index comes first, as with argmax."""
    order = np.argsort(-probabilities, axis=-1, kind="stable")[..., :2]
    return order, np.take_along_axis(probabilities, order, axis=-1)


def read_prediction(probabilities: np.ndarray, labels: Sequence[str], rule: UnsureRule = UnsureRule()) -> Reading:
    """The reading of one probability vector (C,) over `labels` (C names) under `rule`."""
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 1 or len(probabilities) < 2:
        raise ValueError(f"expected one probability per class for at least 2 classes, got shape {probabilities.shape}")
    if len(labels) != len(probabilities):
        raise ValueError(f"{len(labels)} labels for {len(probabilities)} probabilities")
    (first, second), (top, runner_up) = _top_two(probabilities)
    margin = float(top - runner_up)
    return Reading(
        best=str(labels[first]),
        runner_up=str(labels[second]),
        top_probability=float(top),
        margin=margin,
        unsure=bool(rule.unsure(top, margin)),
    )


@dataclass(frozen=True)
class FlagRates:
    """How a rule does on predictions whose true class is known: flagging errors is its job, flagging correct
    answers is its cost. A rate is nan when there is nothing to count it on (no errors, or no correct ones)."""

    errors_flagged: float  # fraction of wrong predictions the rule calls unsure
    correct_flagged: float  # fraction of right predictions it needlessly calls unsure
    n_errors: int
    n_correct: int


def flag_rates(probabilities: np.ndarray, labels: np.ndarray, rule: UnsureRule = UnsureRule()) -> FlagRates:
    """`probabilities` (N, C) against true class indices `labels` (N,); the prediction is the argmax."""
    probabilities = np.asarray(probabilities, np.float64)
    labels = np.asarray(labels)
    if probabilities.ndim != 2 or probabilities.shape[1] < 2:
        raise ValueError(f"expected (N, C) probabilities with C >= 2, got shape {probabilities.shape}")
    if labels.shape != (len(probabilities),):
        raise ValueError(f"expected {len(probabilities)} true labels, got shape {labels.shape}")
    order, top_two = _top_two(probabilities)
    flagged = rule.unsure(top_two[:, 0], top_two[:, 0] - top_two[:, 1])
    wrong = order[:, 0] != labels
    n_errors, n_correct = int(wrong.sum()), int((~wrong).sum())
    return FlagRates(
        errors_flagged=float(flagged[wrong].mean()) if n_errors else float("nan"),
        correct_flagged=float(flagged[~wrong].mean()) if n_correct else float("nan"),
        n_errors=n_errors,
        n_correct=n_correct,
    )
