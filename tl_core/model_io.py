"""Keras models to bytes and back, for keeping trained models in the workspace database.

Only models this app trained and saved go through here; uploaded model files are never loaded.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tl_core.backend import building, keras


def model_to_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def model_from_bytes(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        path.write_bytes(data)
        with building():  # loading builds layers, which draws from Keras' shared generator
            return keras().models.load_model(path, compile=False, safe_mode=True)
