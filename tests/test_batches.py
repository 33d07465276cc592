"""One batched forward pass for every prediction and embedding: fixed-size batches in float32, any image shape, and
an empty result of the model's width when there is nothing to predict. Fast: a stand-in model, no TensorFlow."""

import numpy as np

from tl_core.models.batches import BATCH_SIZE, predict_in_batches


class InkModel:
    """Oracle stand-in for a Keras model: each image's total ink and its square; it keeps the batches it saw."""

    output_shape = (None, 2)

    def __init__(self):
        self.batches = []

    def __call__(self, batch, training):
        assert training is False
        self.batches.append(batch)
        ink = batch.reshape(len(batch), -1).sum(axis=1)
        return np.stack([ink, ink**2], axis=1)


def test_images_go_through_in_fixed_size_batches_as_float32():
    images = np.random.default_rng(0).random((2 * BATCH_SIZE + 3, 28, 28))  # float64 in
    model = InkModel()
    outputs = predict_in_batches(model, images)
    assert [len(batch) for batch in model.batches] == [BATCH_SIZE, BATCH_SIZE, 3]
    assert all(batch.dtype == np.float32 and batch.shape[1:] == (28, 28, 1) for batch in model.batches)
    ink = images.astype(np.float32).reshape(len(images), -1).sum(axis=1)
    np.testing.assert_allclose(outputs, np.stack([ink, ink**2], axis=1), rtol=1e-6)


def test_one_image_and_images_with_a_channel_axis_are_read_alike():
    image = np.random.default_rng(1).random((28, 28), dtype=np.float32)
    model = InkModel()
    np.testing.assert_array_equal(predict_in_batches(model, image), predict_in_batches(model, image[None, ..., None]))


def test_nothing_to_predict_gives_an_empty_result_of_the_models_width():
    outputs = predict_in_batches(InkModel(), np.zeros((0, 28, 28), np.float32))
    assert outputs.shape == (0, 2) and outputs.dtype == np.float32


def test_a_compiled_forward_pass_runs_instead_of_the_model():
    model, compiled = InkModel(), InkModel()
    predict_in_batches(model, np.zeros((3, 28, 28)), batch_size=2, forward=lambda batch: compiled(batch, False))
    assert model.batches == [] and [len(batch) for batch in compiled.batches] == [2, 1]
