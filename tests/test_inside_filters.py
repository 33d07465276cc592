"""First-layer filters as stroke detectors: a hand-made edge detector for each direction is named for that
direction, a blob detector for none, and the response is what the ink adds. Oracles on a tiny hand-built
network (no pretrained weights, a second or two)."""

import numpy as np
import pytest

from tl_core.inside.activations import (
    STROKE_DIRECTIONS,
    filters_to_show,
    ink_response,
    straight_stroke,
    stroke_directions,
)

# 3x3 kernels whose + and − halves meet along a line: each fires on one side of strokes running that way.
EDGES = {
    "horizontal": [[-1, -1, -1], [0, 0, 0], [1, 1, 1]],
    "rising": [[-1, -1, 0], [-1, 0, 1], [0, 1, 1]],  # the halves meet along "/"
    "vertical": [[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]],
    "falling": [[0, 1, 1], [-1, 0, 1], [-1, -1, 0]],  # the halves meet along "\"
}
BLOB = np.full((3, 3), 1 / 9)  # any ink, whichever way it runs
NAMES = [*EDGES, None]


@pytest.fixture(scope="module")
def edge_model():
    """`image -> backbone -> head` whose first layer is the hand-made kernels above, with a positive bias on
    the blob so that it also answers a blank input (the background), as some trained filters do."""
    from tl_core.backend import keras
    from tl_core.models.architectures import assemble, build_head

    layers = keras().layers
    conv = layers.Conv2D(5, 3, padding="same", activation="relu", name="conv1")
    block = keras().Sequential([conv, layers.GlobalAveragePooling2D()], name="block1")
    backbone = keras().Sequential([keras().Input((28, 28, 1)), block], name="backbone")
    kernels = np.stack([*(np.array(k, np.float32) for k in EDGES.values()), BLOB.astype(np.float32)], axis=-1)
    conv.set_weights([kernels[:, :, None, :], np.array([0, 0, 0, 0, 0.2], np.float32)])
    return assemble(backbone, build_head(5, 2), "edges")


def test_straight_strokes_run_the_way_they_are_named():
    horizontal, rising = straight_stroke(STROKE_DIRECTIONS["horizontal"]), straight_stroke(STROKE_DIRECTIONS["rising"])
    np.testing.assert_allclose(straight_stroke(STROKE_DIRECTIONS["vertical"]), horizontal.T, atol=1e-6)
    np.testing.assert_allclose(straight_stroke(STROKE_DIRECTIONS["falling"]), rising[:, ::-1], atol=1e-6)
    assert horizontal[12:16].sum() == horizontal.sum()  # its ink in the middle rows only
    assert rising[9, 18] == 1 and rising[18, 9] == 1 and rising[9, 9] == 0  # bottom-left to top-right


def test_each_hand_made_edge_detector_is_named_for_its_direction_and_the_blob_for_none(edge_model):
    assert stroke_directions(edge_model) == tuple(NAMES)


def test_the_response_is_what_the_ink_adds(edge_model):
    blank = np.zeros((28, 28), np.float32)
    assert ink_response(edge_model, blank).shape == (1, 5, 28, 28)
    assert ink_response(edge_model, blank).max() == 0  # the blob's answer to the background is taken away
    stroke = straight_stroke(0)
    response = ink_response(edge_model, stroke)[0]
    assert response.min() >= 0
    # the horizontal edge detector fires along one side of the horizontal stroke, and nowhere off it
    rows = np.flatnonzero(response[0].sum(axis=1) > 0.1 * response[0].max())
    assert set(rows) <= {11, 12, 13, 14, 15, 16} and response[0][:, :5].max() == 0


def test_a_dense_first_layer_has_no_spatial_response():
    from tl_core.models.architectures import build_classifier

    with pytest.raises(ValueError, match="dense"):
        ink_response(build_classifier("mlp", 3), np.zeros((28, 28), np.float32))


def test_filters_are_shown_in_turns_by_direction_the_strongest_first():
    directions = ("horizontal", "horizontal", None, "vertical", "rising", None, "horizontal")
    strength = np.array([5.0, 9.0, 20.0, 1.0, 2.0, 15.0, 4.0])
    assert filters_to_show(directions, strength, count=6) == [1, 4, 3, 0, 6, 2]
    assert filters_to_show(directions, strength, count=9) == [1, 4, 3, 0, 6, 2, 5]  # no favourite: last
    assert filters_to_show((None, None), np.array([1.0, 3.0])) == [1, 0]
