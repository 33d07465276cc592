"""Reading a comparison: the summary sentence, confusion matrices, top-k, and the data-efficiency sweep."""

import numpy as np
import pytest

from tests.summaries import comparison, curves
from tl_core.training.evaluation import (
    ClassAccuracy,
    accuracy_at,
    confusion,
    confusion_of,
    describe,
    most_confused,
    per_class_accuracy,
    top_k,
)


def test_describe_names_the_milestone_and_what_scratch_had_then():
    summary = comparison(curves([0.5, 0.92, 0.96], [0.2, 0.3, 0.4]), curves([0.1, 0.2, 0.4], [0.35, 0.7, 1.0]))
    text = describe(summary)
    assert text.startswith("Transfer reached 95% after 0.4 s; scratch was at 10%.")
    assert "transfer 96% in 0.4 s, scratch 40% in 1.0 s" in text
    assert "did not buy accuracy" not in text


def test_describe_says_plainly_when_transfer_did_not_help():
    summary = comparison(curves([0.9, 0.97], [0.2, 0.3]), curves([0.95, 0.98], [1.0, 2.0]))
    text = describe(summary)
    assert "scratch had not finished its first epoch" in text
    assert "did not buy accuracy" in text


def test_accuracy_at_reads_the_curve_at_a_time():
    curve = [{"eval_accuracy": 0.1, "seconds": 1.0}, {"eval_accuracy": 0.5, "seconds": 2.0}]
    assert accuracy_at(curve, 0.5) is None and accuracy_at(curve, 1.5) == 0.1 and accuracy_at(curve, 9) == 0.5


class FixedModel:
    """Oracle stand-in for a Keras model: predicts class = round(mean pixel * 10) % n."""

    def __init__(self, n):
        self.n = n
        self.output_shape = (None, n)

    def __call__(self, batch, training=False):
        classes = np.round(np.asarray(batch).mean(axis=(1, 2, 3)) * 10).astype(int) % self.n
        return np.eye(self.n, dtype=np.float32)[classes]


def test_confusion_matches_a_hand_count():
    images = np.stack([np.full((28, 28), v, np.float32) for v in (0.0, 0.1, 0.1, 0.2)])
    labels = np.array([0, 1, 2, 2])
    matrix = confusion(FixedModel(3), images, labels, 3)
    assert matrix == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]


def random_predictions(n_classes=6, n=300, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_classes, n)
    # mostly right, with a few favourite mistakes so there are clear "most confused" pairs
    predicted = np.where(rng.random(n) < 0.6, labels, (labels + rng.integers(1, 3, n)) % n_classes)
    return labels, predicted


def test_per_class_accuracy_matches_scikit_learns_recall():
    from sklearn.metrics import recall_score

    labels, predicted = random_predictions()
    names = list("abcdef")
    found = per_class_accuracy(confusion_of(predicted, labels, 6), names)
    assert [entry.label for entry in found] == names
    recall = recall_score(labels, predicted, labels=np.arange(6), average=None)
    assert [entry.accuracy for entry in found] == pytest.approx(recall)
    assert [entry.total for entry in found] == np.bincount(labels, minlength=6).tolist()


def test_a_class_without_evaluation_samples_has_no_accuracy():
    found = per_class_accuracy([[2, 0], [0, 0]], ["left", "right"])
    assert found == [ClassAccuracy("left", 2, 2), ClassAccuracy("right", 0, 0)]
    assert found[0].accuracy == 1.0 and found[1].accuracy is None


def test_most_confused_matches_a_brute_force_count():
    from collections import Counter

    labels, predicted = random_predictions(seed=1)
    names = list("abcdef")
    pairs = most_confused(confusion_of(predicted, labels, 6), names, top=4)
    mistakes = Counter((int(t), int(p)) for t, p in zip(labels, predicted, strict=True) if t != p)
    expected = sorted(mistakes.values(), reverse=True)[:4]
    assert [pair.count for pair in pairs] == expected
    for pair in pairs:
        assert mistakes[(pair.true_index, pair.predicted_index)] == pair.count
        assert (pair.true_label, pair.predicted_label) == (names[pair.true_index], names[pair.predicted_index])
        assert pair.of == int(np.sum(labels == pair.true_index))
        assert pair.share == pytest.approx(pair.count / pair.of)


def test_most_confused_breaks_ties_by_share_and_skips_empty_cells():
    matrix = [[8, 2, 0], [1, 0, 1], [0, 0, 3]]  # "a" read as "b" twice (of 10); "b" as "a" or "c" once (of 2)
    pairs = most_confused(matrix, ["a", "b", "c"], top=5)
    assert [(p.true_label, p.predicted_label, p.count, p.of) for p in pairs] == [
        ("a", "b", 2, 10),
        ("b", "a", 1, 2),
        ("b", "c", 1, 2),
    ]
    assert most_confused([[3, 0], [0, 4]], ["x", "y"]) == []


def test_top_k_is_sorted_and_labelled():
    assert top_k(np.array([0.1, 0.6, 0.3]), ["a", "b", "c"], 2) == [
        ("b", pytest.approx(0.6)),
        ("c", pytest.approx(0.3)),
    ]


def test_sweep_reports_mean_and_range_per_shot_count(monkeypatch):
    """Each comparison's final accuracies are chosen here, so the mean, low and high of every shot count are
    known: three shot counts by two seeds, so mixing up the two axes changes the shapes."""
    from types import SimpleNamespace

    import tl_core.training.sweep
    from tl_core.training.settings import TrainSettings

    final = {  # (shots, seed) -> final eval accuracy of (transfer, scratch)
        (1, 0): (0.5, 0.1),
        (1, 1): (0.7, 0.3),
        (2, 0): (0.9, 0.2),
        (2, 1): (0.6, 0.6),
        (5, 0): (1.0, 0.8),
        (5, 1): (0.8, 0.4),
    }

    def compare(pretrained_model, architecture, task, settings, progress=None, should_stop=None):
        assert settings.seed == task[1] and settings.epochs == 2  # each seed trains with its own seed
        transfer, scratch = final[task]
        return SimpleNamespace(
            transfer=SimpleNamespace(final_accuracy=transfer, cancelled=False),
            scratch=SimpleNamespace(final_accuracy=scratch, cancelled=False),
        )

    monkeypatch.setattr(tl_core.training.sweep, "compare", compare)
    calls = []
    sweep = tl_core.training.sweep.data_efficiency(
        None,
        "compact-gap",
        lambda shots, seed: (shots, seed),
        TrainSettings(epochs=2),
        shots=(1, 2, 5),
        seeds=2,
        progress=lambda done, total, what: calls.append((done, total, what)),
    )
    assert sweep.shots == (1, 2, 5) and sweep.cancelled is False
    assert calls[-1] == (6, 6, "5 per class, seed 1: transfer 80%, scratch 40%")
    assert sweep.transfer.runs == ((0.5, 0.7), (0.9, 0.6), (1.0, 0.8))
    assert sweep.transfer.mean == pytest.approx((0.6, 0.75, 0.9))
    assert sweep.transfer.low == (0.5, 0.6, 0.8) and sweep.transfer.high == (0.7, 0.9, 1.0)
    assert sweep.scratch.runs == ((0.1, 0.3), (0.2, 0.6), (0.8, 0.4))
    assert sweep.scratch.mean == pytest.approx((0.2, 0.4, 0.6))
    assert sweep.scratch.low == (0.1, 0.2, 0.4) and sweep.scratch.high == (0.3, 0.6, 0.8)
