"""Process-wide, read-only resources: shared by every session, never changed by one."""

from __future__ import annotations

import logging
import sys
import threading

import streamlit as st

logger = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def start_tensorflow_import() -> threading.Thread:
    """Import TensorFlow on a background thread, once per process, then (see `import_and_warm_up`) compile the
    default lesson's models so the first Train press does not wait for a compile."""
    thread = threading.Thread(target=import_and_warm_up, name="tensorflow-import", daemon=True)
    thread.start()
    return thread


def import_and_warm_up() -> bool:
    """Import TensorFlow, then warm up the first training (tl_core.classroom.warmup) unless trainings run on a
    Ray cluster (`TL_RAY_ADDRESS`), whose trainers warm up themselves: an app server there only predicts, and
    its cores serve pages. Returns whether it warmed up."""
    from tl_core.backend import keras
    from tl_core.classroom.ray_jobs import ray_address
    from tl_core.classroom.warmup import warm_up

    keras()
    if ray_address():  # (should the cluster be unreachable, the first job here compiles instead: ~4 s)
        return False
    try:
        warm_up()
    except Exception:  # only a head start: the first job compiles instead
        logger.warning("Warm-up skipped; the first training compiles its models instead", exc_info=True)
        return False
    return True


@st.cache_resource(show_spinner=False, max_entries=8)
def pretrained_model(name: str):
    """A zoo model, loaded once per process. Read-only: pages predict with it, never train it."""
    from tl_core import load_model

    return load_model(name)


@st.cache_resource(show_spinner=False, max_entries=8)
def pretrained_predictor(name: str):
    """The zoo model's compiled forward pass (see tl_core.models.zoo.compiled_predictor), once per process."""
    from tl_core.models.zoo import compiled_predictor

    return compiled_predictor(pretrained_model(name))


@st.cache_resource(show_spinner=False)
def training_queue():
    """The one training queue of this server process (see tl_core.classroom.jobs), or the Ray cluster's when
    `TL_RAY_ADDRESS` is set (tl_core.classroom.ray_jobs: the same questions, answered by the cluster)."""
    from tl_core.classroom.ray_jobs import job_queue

    return job_queue()


@st.cache_resource(show_spinner=False)
def keep_keras_state_between_runs() -> bool:
    """Stop Streamlit from calling `keras.backend.clear_session()` after every script and fragment run.

    Streamlit 1.67 does that (`script_runner._clean_problem_modules`), which empties TensorFlow's kernel
    cache and resets Keras' global state under any training running on another thread. Measured here: a
    feature-extraction run that takes 0.8 s took 8.5 s, and scratch epochs went from 0.3 s to 17 s, while a
    page polled its job twice a second. This app keeps its models alive on purpose and trains them on the
    queue's threads, so the cleanup only hurts; Streamlit's other cleanup (matplotlib) is kept.
    """
    from streamlit.runtime.scriptrunner import script_runner

    def clean_without_keras() -> None:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")

    if not hasattr(script_runner, "_clean_problem_modules"):
        return False  # a Streamlit without that hook has nothing to undo
    script_runner._clean_problem_modules = clean_without_keras
    return True


@st.cache_resource(show_spinner=False, max_entries=8)
def random_backbone_for(architecture: str):
    """An untrained backbone of the architecture (seed 0), the "before any learning" reference. Read-only."""
    from tl_core.inside.feature_space import random_backbone

    return random_backbone(architecture, seed=0)
