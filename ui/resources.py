"""Process-wide, read-only resources: shared by every session, never changed by one."""

from __future__ import annotations

import threading

import streamlit as st


@st.cache_resource(show_spinner=False)
def start_tensorflow_import() -> threading.Thread:
    """Import TensorFlow on a background thread, once per process."""

    def _import() -> None:
        from tl_core.backend import keras

        keras()

    thread = threading.Thread(target=_import, name="tensorflow-import", daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False, max_entries=8)
def pretrained_model(name: str):
    """A zoo model, loaded once per process. Read-only: pages predict with it, never train it."""
    from tl_core import load_model

    return load_model(name)
