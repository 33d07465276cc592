"""Keras models to bytes and back, for keeping trained models in the workspace database.

Only models this app trained and saved go through here; uploaded model files are never loaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tl_core.backend import building, keras

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily


def model_to_bytes(model: Model) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes) -> Model:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        with building():  # loading builds layers, which draws from Keras' shared generator
            return keras().models.load_model(path, compile=False, safe_mode=True)
