"""A confused pair is pictured by the very evaluation drawings the model misread, and only when the kept run
was scored on the evaluation set the page has now."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.summaries import comparison, curves
from tl_core.training.evaluation import most_confused
from tl_core.training.results import ComparisonSummary
from tl_core.training.tasks import Task
from ui.mistakes import DRAWINGS_PER_PAIR, misread_drawings

LABELS = ["a", "b", "c"]


def task_with_eval(y_eval: list[int]) -> Task:
    x_eval = np.stack([np.full((28, 28), index, np.float32) for index in range(len(y_eval))])  # pixel = index
    x_train = np.zeros((3, 28, 28), np.float32)
    return Task(LABELS, x_train, np.arange(3), x_eval, np.asarray(y_eval), "test renders")


def summary_for(task: Task, predictions: list[int]) -> ComparisonSummary:
    predicted, truth = np.asarray(predictions), task.y_eval
    matrix = np.zeros((3, 3), int)
    np.add.at(matrix, (truth, predicted), 1)
    misread = [[int(i), int(predicted[i])] for i in np.flatnonzero(predicted != truth)]
    confusion = {"transfer": matrix.tolist()}
    no_curves = curves([], [])  # not what this reads
    return comparison(
        no_curves, no_curves, LABELS, eval_size=len(truth), confusion=confusion, misread={"transfer": misread}
    )


def test_the_drawings_of_a_pair_are_the_ones_misread_that_way():
    task = task_with_eval([0, 0, 0, 1, 1, 2, 2, 2])
    summary = summary_for(task, [1, 1, 2, 1, 1, 2, 0, 1])  # a->b twice, a->c, c->a, c->b
    top = most_confused(summary.confusion["transfer"], LABELS)[0]
    assert (top.true_label, top.predicted_label, top.count) == ("a", "b", 2)
    drawings = misread_drawings(summary, task, "transfer", top)
    assert [int(d[0, 0]) for d in drawings] == [0, 1]  # evaluation samples 0 and 1, not sample 2 (read as c)


def test_at_most_a_few_drawings_per_pair():
    task = task_with_eval([0] * 10 + [1])
    summary = summary_for(task, [1] * 10 + [1])
    pair = most_confused(summary.confusion["transfer"], LABELS)[0]
    assert len(misread_drawings(summary, task, "transfer", pair)) == DRAWINGS_PER_PAIR


def test_no_drawings_from_an_evaluation_set_that_changed_or_a_run_that_kept_none():
    task = task_with_eval([0, 0, 1, 1])
    summary = summary_for(task, [1, 0, 1, 1])
    pair = most_confused(summary.confusion["transfer"], LABELS)[0]
    grown = task_with_eval([0, 0, 1, 1, 2])
    assert misread_drawings(summary, grown, "transfer", pair) is None
    assert misread_drawings(replace(summary, misread={}), task, "transfer", pair) is None
    assert misread_drawings(replace(summary, misread=None), task, "transfer", pair) is None  # kept before it was
    assert misread_drawings(replace(summary, labels=("a", "b", "z")), task, "transfer", pair) is None
