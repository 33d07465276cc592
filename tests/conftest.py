import os

import pytest

# The suite never needs a GPU or TensorFlow's start-up chatter.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


@pytest.fixture(scope="session")
def mnist():
    from tl_core.data import load_mnist_split

    return load_mnist_split()
