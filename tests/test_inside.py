"""Looking inside: feature-space projections and activation pictures have the right shapes, are
deterministic, and show what they claim (pretrained features cluster a new script better than random ones)."""

import numpy as np
import pytest

import tl_core
from tl_core.inside.activations import (
    feature_maps,
    first_layer_filters,
    ink_focus,
    ink_response,
    network_view,
    saliency,
    stroke_directions,
)
from tl_core.inside.feature_space import (
    choose_classes,
    embed,
    feature_space,
    nearest_classes,
    neighbour_accuracy,
    pixel_neighbour_accuracy,
    project,
    random_backbone,
)
from tl_core.training.tasks import charset_task

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zoo():
    return {name: tl_core.load_model(name) for name in ("compact-gap", "lenet5", "mlp")}


@pytest.fixture(scope="module")
def hiragana():
    return charset_task("hiragana", 1, seed=0)  # its evaluation set: 10 fresh renders of each of 46 classes


def test_projection_shapes_and_determinism(zoo, hiragana):
    shown = [0, 1, 2, 3, 4, 5]
    first = feature_space(zoo["compact-gap"], hiragana.x_eval, hiragana.y_eval, hiragana.x_eval[0], shown)
    again = feature_space(zoo["compact-gap"], hiragana.x_eval, hiragana.y_eval, hiragana.x_eval[0], shown)
    assert first.points.shape == (60, 2) and first.labels.shape == (60,) and set(first.labels) == set(shown)
    assert first.drawing.shape == (2,)
    np.testing.assert_array_equal(first.points, again.points)
    assert first.neighbour_accuracy == again.neighbour_accuracy
    assert 0 < first.explained[1] <= first.explained[0] < 1
    # the drawing is one of the shown samples, so it lands exactly on its own point
    np.testing.assert_allclose(first.drawing, first.points[0], atol=1e-4)


def test_projecting_cached_features_is_the_same_as_projecting_the_images(zoo, hiragana):
    model, shown = zoo["compact-gap"], (3, 4, 5)
    direct = feature_space(model, hiragana.x_eval, hiragana.y_eval, hiragana.x_eval[7], list(shown))
    features, drawn = embed(model, hiragana.x_eval), embed(model, hiragana.x_eval[7][None])[0]
    cached = project(features, hiragana.y_eval, drawn, shown)
    np.testing.assert_allclose(cached.points, direct.points, atol=1e-5)
    np.testing.assert_allclose(cached.drawing, direct.drawing, atol=1e-5)
    assert cached.neighbour_accuracy == direct.neighbour_accuracy


def test_a_drawing_of_a_late_class_lands_among_its_own_kind(zoo, hiragana):
    """The picture used to show the first six of 46 classes whatever was drawn; a new render (never in the
    projected set) of each of the last ten classes is now pictured with its own class."""
    model = zoo["compact-gap"]
    features = embed(model, hiragana.x_eval)
    new_renders = embed(model, hiragana.x_train[36:])  # one training render per class, classes 36 to 45
    hits = 0
    for class_index, drawn in zip(range(36, 46), new_renders, strict=True):
        choice = choose_classes(46, nearest=nearest_classes(features, hiragana.y_eval, drawn))
        hits += class_index in choice.shown
    assert hits >= 9, hits  # measured: 10 of 10 (never, with the first six classes)


def test_a_pretrained_first_layer_detects_strokes_in_every_direction(zoo):
    directions = stroke_directions(zoo["compact-gap"])
    assert len(directions) == 32
    assert set(directions) >= {"horizontal", "rising", "vertical", "falling"}
    assert sum(direction is not None for direction in directions) >= 20, directions  # measured: 25 of 32


def test_random_backbones_are_the_same_for_the_same_seed(hiragana):
    images = hiragana.x_eval[:20]
    np.testing.assert_array_equal(
        embed(random_backbone("lenet5", 3), images), embed(random_backbone("lenet5", 3), images)
    )
    assert not np.array_equal(embed(random_backbone("lenet5", 3), images), embed(random_backbone("lenet5", 4), images))


def test_pretrained_features_cluster_a_new_script_better_than_random_ones(zoo, hiragana):
    pretrained = feature_space(zoo["compact-gap"], hiragana.x_eval, hiragana.y_eval).neighbour_accuracy
    random = feature_space(random_backbone("compact-gap", 0), hiragana.x_eval, hiragana.y_eval).neighbour_accuracy
    assert pretrained > random + 0.15, (pretrained, random)  # measured: 0.96 against 0.70


def test_neighbour_accuracy_against_a_brute_force_oracle():
    rng = np.random.default_rng(0)
    features, labels = rng.normal(size=(40, 5)), rng.integers(0, 3, 40)
    scaled = (features - features.mean(0)) / features.std(0)
    distances = ((scaled[:, None] - scaled[None]) ** 2).sum(-1) + np.diag(np.full(40, np.inf))
    assert neighbour_accuracy(features, labels) == pytest.approx(np.mean(labels[distances.argmin(1)] == labels))


def test_the_pixel_baseline_is_nearest_neighbour_on_the_raw_pixels():
    """Oracle: brute-force nearest neighbours of the standardised pixels (a pixel that never changes stays 0)."""
    rng = np.random.default_rng(1)
    images, labels = np.zeros((30, 28, 28), np.float32), rng.integers(0, 3, 30)
    images[:, 8:20, 8:20] = rng.random((30, 12, 12))  # the border is blank in every image, as in real renders
    pixels = images.reshape(30, -1).astype(np.float64)
    spread = pixels.std(0)
    scaled = (pixels - pixels.mean(0)) / np.where(spread > 0, spread, 1)
    distances = ((scaled[:, None] - scaled[None]) ** 2).sum(-1) + np.diag(np.full(30, np.inf))
    expected = np.mean(labels[distances.argmin(1)] == labels)
    assert pixel_neighbour_accuracy(images, labels) == pytest.approx(expected)


def test_filters_are_kernels_for_convolutions_and_pixel_images_for_dense_layers(zoo):
    conv = first_layer_filters(zoo["compact-gap"])
    assert (conv.kind, conv.images.shape) == ("conv", (32, 3, 3))
    assert np.abs(conv.images).max(axis=(1, 2)) == pytest.approx(np.ones(32))
    lenet = first_layer_filters(zoo["lenet5"])
    assert (lenet.kind, lenet.images.shape) == ("conv", (6, 5, 5))
    dense = first_layer_filters(zoo["mlp"])
    assert (dense.kind, dense.images.shape) == ("dense", (256, 28, 28))


def test_feature_maps_of_every_spatial_block(zoo, hiragana):
    image = hiragana.x_eval[0]
    maps = feature_maps(zoo["compact-gap"], image, limit=4)
    assert [(m.block, m.maps.shape) for m in maps] == [
        ("block1", (4, 14, 14)),
        ("block2", (4, 7, 7)),
        ("block3", (4, 7, 7)),
    ]
    means = maps[0].maps.mean(axis=(1, 2))
    assert (np.diff(means) <= 0).all()  # most active channel first
    assert [m.block for m in feature_maps(zoo["lenet5"], image)] == ["block1", "block2"]
    assert feature_maps(zoo["mlp"], image) == []  # dense-only: nothing spatial to show


def test_saliency_shape_and_class(zoo, hiragana):
    image = hiragana.x_eval[0]
    picture, top = saliency(zoo["compact-gap"], image)
    assert picture.shape == (28, 28) and picture.max() == pytest.approx(1.0) and picture.min() >= 0
    assert top == int(tl_core.predict_probabilities(zoo["compact-gap"], image[None])[0].argmax())
    np.testing.assert_array_equal(picture, saliency(zoo["compact-gap"], image)[0])
    assert saliency(zoo["compact-gap"], image, class_index=3)[1] == 3


@pytest.mark.parametrize("name", ["compact-gap", "mlp"])
def test_a_network_view_is_what_each_picture_function_gives(zoo, hiragana, name):
    model, image = zoo[name], hiragana.x_eval[0]
    view = network_view(model, image, filters_shown=4, maps_per_block=2)
    probabilities = tl_core.predict_probabilities(model, image)[0]
    assert view.guess == int(probabilities.argmax()) and view.confidence == pytest.approx(probabilities.max())
    np.testing.assert_array_equal(view.saliency, saliency(model, image)[0])
    np.testing.assert_array_equal(view.filters.images, first_layer_filters(model).images)
    assert [(b.block, b.maps.shape[0]) for b in view.blocks] == [(b.block, 2) for b in feature_maps(model, image)]
    if name == "mlp":  # a dense first layer has no stroke directions and no response to show
        assert (view.directions, view.response, view.shown_filters) == ((), None, [])
    else:
        assert view.directions == stroke_directions(model) and len(view.shown_filters) == 4
        np.testing.assert_array_equal(view.response, ink_response(model, image)[0])


def test_a_conv_model_looks_at_the_strokes_a_dense_model_everywhere(zoo, hiragana):
    images = hiragana.x_eval[::46]  # one of each of ten classes
    conv = [ink_focus(zoo["compact-gap"], image) for image in images]
    dense = [ink_focus(zoo["mlp"], image) for image in images]
    assert min(conv) > 1.5, conv  # measured: at least 2.1x, median 3.2x
    assert np.median(dense) < np.median(conv) / 2, (dense, conv)  # measured: median 1.1x


def test_ink_focus_against_a_model_that_only_looks_at_one_pixel():
    """Oracle: a 'model' whose answer depends on a single pixel has all its saliency there."""
    from tl_core.backend import keras

    inputs = keras().Input((28, 28, 1))
    pixel = keras().layers.Lambda(lambda x: x[:, 14:15, 14, :])(inputs)  # (N, 1, 1)
    logits = keras().layers.Flatten()(keras().layers.Concatenate(axis=-1)([pixel, -pixel]))
    model = keras().Model(inputs, keras().layers.Softmax()(logits))
    on_ink, off_ink = np.zeros((28, 28), np.float32), np.zeros((28, 28), np.float32)
    on_ink[10:18, 14] = 1.0  # a vertical stroke through the pixel
    off_ink[2:6, 2] = 1.0  # a stroke far from it
    assert ink_focus(model, on_ink) == float("inf")  # saliency only on the ink
    assert ink_focus(model, off_ink) == 0.0  # saliency only away from the ink
