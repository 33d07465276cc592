"""The chart builders say what was measured: the chance level, both x axes, every class labelled with a colour
scale, and never "over seeds" when one seed ran."""

import numpy as np
import pytest

from tests.summaries import comparison, curves
from tl_core.training.evaluation import per_class_accuracy
from tl_core.training.results import SweepSummary
from tl_core.training.tasks import Task
from ui.charts import (
    class_accuracy_chart,
    comparison_curves,
    confusion_heatmap,
    learning_curves,
    sweep_chart,
    tile,
    training_and_evaluation,
)
from ui.mistakes import training_drawing
from ui.presenter import for_projector

LABELS = [chr(ord("あ") + 2 * i) for i in range(46)]  # 46 distinct characters, like the hiragana set


SUMMARY = comparison(
    curves([0.6, 0.8, 0.9], [0.2, 0.3, 0.4], train_accuracy=[0.7, 0.95, 1.0], loss=[1.2, 0.4, 0.1]),
    curves([0.1, 0.2, 0.4], [0.5, 1.0, 1.5], train_accuracy=[0.2, 0.5, 0.9], loss=[3.5, 2.0, 0.9]),
    LABELS[:10],
)


def chance_lines(figure):
    return [shape for shape in figure.layout.shapes if shape.line.dash == "dash"]


def test_learning_curves_draw_the_chance_level_at_one_over_the_classes():
    curves = comparison_curves(SUMMARY)
    figure = learning_curves(curves, chance=1 / 46)
    (line,) = chance_lines(figure)
    assert line.y0 == line.y1 == pytest.approx(1 / 46)
    assert [a.text for a in figure.layout.annotations] == ["chance (2%)"]
    assert not chance_lines(learning_curves(curves))  # only when the page knows the classes


def test_learning_curves_offer_epochs_and_seconds():
    curves = comparison_curves(SUMMARY)
    by_epoch, by_seconds = learning_curves(curves, "epoch"), learning_curves(curves, "seconds")
    assert list(by_epoch.data[0].x) == [1, 2, 3] and by_epoch.layout.xaxis.title.text == "epoch"
    assert list(by_seconds.data[1].x) == [0.5, 1.0, 1.5] and by_seconds.layout.xaxis.title.text == "training seconds"


def sweep(runs_per_point, seeds=None):
    """A kept sweep over shots 1, 2, 5 with `runs_per_point` seeds, read as the pages read it from the workspace
    (`seeds` recorded, or None: kept before it was)."""
    shots = [1, 2, 5]
    result = {"shots": shots} | ({"seeds": seeds} if seeds else {})
    for which, base in (("transfer", 0.6), ("scratch", 0.2)):
        runs = [[base + 0.1 * i + 0.01 * seed for seed in range(runs_per_point)] for i in range(len(shots))]
        result[which] = {
            "runs": runs,
            "mean": [float(np.mean(r)) for r in runs],
            "low": [min(r) for r in runs],
            "high": [max(r) for r in runs],
        }
    return SweepSummary.from_json(result)


def test_a_one_seed_sweep_is_not_called_a_mean_over_seeds():
    figure = sweep_chart(sweep(1, seeds=1))
    title = figure.layout.yaxis.title.text
    assert "over seeds" not in title and "mean" not in title and "one run per point" in title
    assert not [trace for trace in figure.data if trace.fill == "toself"]  # no band pretending to be a spread


def test_a_sweep_over_three_seeds_says_so_and_shows_the_range():
    figure = sweep_chart(sweep(3, seeds=3))
    assert "mean of 3 seeds" in figure.layout.yaxis.title.text
    assert len([trace for trace in figure.data if trace.fill == "toself"]) == 2


def test_the_seed_count_of_a_sweep_kept_before_it_was_recorded_is_counted_from_its_runs():
    assert sweep(3).seeds_per_point == 3 and sweep(1).seeds_per_point == 1 and sweep(2, seeds=2).seeds_per_point == 2


def confusion_46():
    rng = np.random.default_rng(0)
    matrix = np.diag(np.full(46, 8)) + rng.integers(0, 2, (46, 46))
    return matrix.tolist()


def test_a_46_class_confusion_matrix_labels_every_class_and_has_a_colour_scale():
    figure = confusion_heatmap(confusion_46(), LABELS, "transfer")
    heatmap = figure.data[0]
    assert heatmap.showscale is not False and "share of" in heatmap.colorbar.title.text
    assert figure.layout.xaxis.dtick == 1 and figure.layout.yaxis.dtick == 1  # no label skipped
    assert list(heatmap.x) == LABELS and list(heatmap.y) == LABELS
    assert figure.layout.height >= 16 * 46  # a row of room per label, not 46 rows in ~210 px


def test_the_confusion_colours_are_shares_of_each_true_class_with_counts_in_the_hover():
    figure = confusion_heatmap([[3, 1], [0, 2]], ["a", "b"], "scratch")
    heatmap = figure.data[0]
    assert np.allclose(heatmap.z, [[0.75, 0.25], [0.0, 1.0]]) and (heatmap.zmin, heatmap.zmax) == (0, 1)
    assert np.array(heatmap.customdata)[0, 1].tolist() == [1, 4]  # 1 of 4
    assert "of %{customdata[1]" in heatmap.hovertemplate


def test_accuracy_per_class_has_a_row_per_class_for_both_models_worst_first():
    matrix = [[5, 5, 0], [0, 10, 0], [2, 0, 8]]
    accuracies = {which: per_class_accuracy(matrix, ["a", "b", "c"]) for which in ("transfer", "scratch")}
    figure = class_accuracy_chart(accuracies, chance=1 / 3)
    transfer, scratch = figure.data
    assert list(transfer.y) == ["a", "c", "b"] and list(transfer.x) == [0.5, 0.8, 1.0]
    assert scratch.name == "scratch" and figure.layout.yaxis.dtick == 1
    many = class_accuracy_chart({w: per_class_accuracy(confusion_46(), LABELS) for w in ("transfer", "scratch")})
    assert many.layout.height >= 18 * 46


def test_training_and_evaluation_shows_both_accuracies_and_the_loss():
    figure = training_and_evaluation(SUMMARY, chance=0.1)
    names = [trace.name for trace in figure.data]
    for which in ("transfer", "scratch"):
        assert {f"{which}, evaluation", f"{which}, training", f"{which}, training loss"} <= set(names)
    loss = next(trace for trace in figure.data if trace.name == "scratch, training loss")
    assert list(loss.y) == [3.5, 2.0, 0.9] and loss.yaxis == "y2"
    assert chance_lines(figure)[0].y0 == pytest.approx(0.1)
    by_seconds = training_and_evaluation(SUMMARY, "seconds")
    assert list(by_seconds.data[0].x) == [0.2, 0.3, 0.4]


def test_the_presenter_view_gets_taller_rows_for_its_larger_type():
    accuracies = {w: per_class_accuracy(confusion_46(), LABELS) for w in ("transfer", "scratch")}
    figure = for_projector(class_accuracy_chart(accuracies, row_px=26), True)
    assert figure.layout.height >= 26 * 46 and figure.layout.yaxis.tickfont.size == 18


def test_a_tile_is_a_framed_doubled_sample_and_the_drawing_comes_from_the_training_samples():
    image = np.zeros((28, 28), np.float32)
    image[10, 10] = 1.0
    framed = tile(image)
    assert framed.shape == (62, 62) and framed.dtype == np.uint8 and framed[3 + 20, 3 + 21] == 255
    task = Task(["a", "b"], np.stack([image, image * 0.5]), np.array([0, 1]), image[None], np.array([0]), "one")
    assert training_drawing(task, "b")[10, 10] == 0.5 and training_drawing(task, "gone") is None
