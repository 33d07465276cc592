import os
import threading

import pytest

# A real PostgreSQL for the tests that ask for it (started once per session, on first use).
from tests.postgres import postgres_server, postgres_url, store_location  # noqa: F401

# The suite never needs a GPU or TensorFlow's start-up chatter.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")


def pytest_sessionfinish(session, exitstatus):
    """Let app.py's start-up warm-up (a daemon thread, started by any AppTest) finish before the process exits:
    a process that exits while TensorFlow works on another thread aborts ("terminate called", exit 134)."""
    for thread in threading.enumerate():
        if thread.name == "tensorflow-import":
            thread.join(timeout=300)


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """An empty TL_DATA_DIR for one test (the app's workspaces and caches go there)."""
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture(scope="session")
def mnist():
    from tl_core.data.mnist import load_mnist_split

    return load_mnist_split()
