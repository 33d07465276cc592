"""Where each model goes wrong: accuracy per character, and the pairs it mixes up most, with the very
evaluation drawings it misread (shared by the Train page and the lesson)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from tl_core.markdown import escape_markdown
from tl_core.training.evaluation import ConfusedPair, most_confused, per_class_accuracy
from tl_core.training.results import COMPARISON_MODELS, ComparisonSummary
from tl_core.training.tasks import Task
from ui.charts import TILE_PX, class_accuracy_chart, tile
from ui.presenter import for_projector

DRAWINGS_PER_PAIR = 4  # misread drawings shown for each confused pair


def training_drawing(task: Task, label: str) -> np.ndarray | None:
    """The first training sample of `label` in `task` (None when the task has no such class or sample).

    Pictures a confused pair for a run kept before runs recorded which evaluation samples they misread.
    """
    if label not in task.labels:
        return None
    members = np.flatnonzero(task.y_train == task.labels.index(label))
    return task.x_train[members[0]] if len(members) else None


def misread_drawings(summary: ComparisonSummary, task: Task, which: str, pair: ConfusedPair) -> list[np.ndarray] | None:
    """The evaluation drawings of `pair.true_label` that model `which` read as `pair.predicted_label`, or None
    when the run did not keep which samples it misread (runs from before) or `task` no longer holds the
    evaluation set the run was scored on (its size or labels changed since)."""
    misread = (summary.misread or {}).get(which)
    if misread is None or len(task.x_eval) != summary.eval_size or list(task.labels) != list(summary.labels):
        return None
    indices = [
        index
        for index, predicted in misread
        if predicted == pair.predicted_index and task.y_eval[index] == pair.true_index
    ]
    return [task.x_eval[index] for index in indices[:DRAWINGS_PER_PAIR]]


def mistakes_section(summary: ComparisonSummary, task: Task, key: str, large: bool = False) -> None:
    """The accuracy-per-character chart, then per model its most-confused pairs, each with the drawings it
    misread (or, for a run that did not keep them, a training sample of each character, and saying so)."""
    labels = list(summary.labels)
    accuracies = {which: per_class_accuracy(summary.confusion[which], labels) for which in COMPARISON_MODELS}
    chart = class_accuracy_chart(accuracies, 1 / len(labels), row_px=26 if large else 18)
    st.plotly_chart(for_projector(chart, large), key=f"{key}_class_accuracy")
    for column, which in zip(st.columns(2), COMPARISON_MODELS, strict=True):
        column.markdown(f"**{which.capitalize()}: most confused**")
        pairs = most_confused(summary.confusion[which], labels)
        if not pairs:
            column.caption("No mistakes on the evaluation samples.")
        for pair in pairs:
            true_label, predicted_label = escape_markdown(pair.true_label), escape_markdown(pair.predicted_label)
            column.markdown(
                f"**{true_label}** read as **{predicted_label}**: {pair.count} of its {pair.of} evaluation samples"
            )
            drawings = misread_drawings(summary, task, which, pair)
            if drawings:
                column.image([tile(d) for d in drawings], width=TILE_PX)
                continue
            examples = [training_drawing(task, pair.true_label), training_drawing(task, pair.predicted_label)]
            if all(example is not None for example in examples):
                column.image([tile(e) for e in examples], width=TILE_PX, caption=[true_label, predicted_label])
                column.caption("A training sample of each (this run did not keep which drawings it misread).")
