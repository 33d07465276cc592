"""Which classes the feature-space picture shows: a drawing's predicted and nearest classes always come first,
so its star lands among its own kind instead of straying among six unrelated classes. Fast: no TensorFlow."""

import numpy as np
import pytest

from tl_core.inside.feature_space import (
    FILLED_TO,
    MAX_CHOSEN,
    choose_classes,
    nearest_classes,
    predicted_classes,
    top_classes,
)


def test_without_a_drawing_the_first_classes_are_shown():
    choice = choose_classes(46)
    assert choice.shown == tuple(range(FILLED_TO)) and choice.drawing_classes == ()


def test_a_drawings_predicted_and_nearest_classes_come_first_then_context_then_the_first_classes():
    choice = choose_classes(46, predicted=[40, 12, 3], nearest=[40, 41, 30], context=[5, 12])
    assert choice.drawing_classes == (40, 12, 3, 41, 30)
    assert choice.shown == (40, 12, 3, 41, 30, 5)  # one place left to fill: the user's earlier pick
    assert choose_classes(46, nearest=[40, 41]).shown == (40, 41, 0, 1, 2, 3)


def test_the_drawing_classes_are_never_cut_for_context_but_the_picture_has_a_limit():
    choice = choose_classes(46, predicted=[10, 11, 12, 13, 14], nearest=[20, 21, 22, 23, 24], context=[0, 1])
    assert len(choice.shown) == MAX_CHOSEN and choice.shown == (10, 11, 12, 13, 14, 20, 21, 22)


def test_small_tasks_and_stale_indices():
    assert choose_classes(3, nearest=[2]).shown == (2, 0, 1)
    # a model trained before a class was removed, or an earlier pick that no longer exists, is skipped
    assert choose_classes(4, predicted=[7, 1], context=[9, 3]).shown == (1, 3, 0, 2)


def test_nearest_classes_against_a_brute_force_oracle():
    rng = np.random.default_rng(1)
    features, labels = rng.normal(size=(60, 6)), rng.integers(0, 8, 60)
    drawing = rng.normal(size=6)
    scaled = (features - features.mean(0)) / features.std(0)
    point = (drawing - features.mean(0)) / features.std(0)
    distance = np.sqrt(((scaled - point) ** 2).sum(1))
    by_class = {c: distance[labels == c].min() for c in set(labels.tolist())}
    expected = tuple(sorted(by_class, key=by_class.get)[:3])
    assert nearest_classes(features, labels, drawing) == expected


def test_a_drawing_on_top_of_a_sample_finds_that_samples_class_first():
    rng = np.random.default_rng(2)
    features, labels = rng.normal(size=(30, 4)), np.repeat(np.arange(10), 3)
    assert nearest_classes(features, labels, features[17], count=1) == (5,)


def test_top_classes_match_the_models_labels_by_name():
    probabilities = np.array([0.1, 0.5, 0.15, 0.25])
    assert top_classes(probabilities, ["a", "b", "c", "d"], ["d", "c", "b", "a"], count=2) == (2, 0)
    # the model knows a class the workspace no longer has: its guess is skipped, not mislabelled
    assert top_classes(probabilities, ["a", "gone", "c", "d"], ["a", "c", "d"], count=2) == (2, 1)


class FixedClassifier:
    """Stand-in for a trained Keras classifier: the same probabilities for any drawing."""

    output_shape = (None, 4)

    def __call__(self, batch, training):
        return np.tile([0.1, 0.2, 0.6, 0.1], (len(batch), 1))


def test_a_classifiers_guesses_for_a_drawing_are_its_top_classes():
    drawing = np.zeros((28, 28), np.float32)
    guesses = predicted_classes(FixedClassifier(), ["a", "b", "c", "d"], ["d", "c", "b", "a"], drawing, count=2)
    assert guesses == top_classes(np.array([0.1, 0.2, 0.6, 0.1]), ["a", "b", "c", "d"], ["d", "c", "b", "a"], 2)
    assert guesses == (1, 2)  # "c", then "b", as indices into the page's labels


@pytest.mark.parametrize("count", [0, 1])
def test_nearest_classes_with_too_few_samples(count):
    features = np.zeros((count, 3))
    found = nearest_classes(features, np.zeros(count, int), np.ones(3))
    assert found == (() if count == 0 else (0,))
