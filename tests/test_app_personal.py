"""AppTest of "Teach it your handwriting" on the zoo page: correct a drawing, fine-tune a personal copy on the
corrections through the training queue, see it measured against the original, reset it.

The canvas cannot be drawn in AppTest: the correction choice is driven in a small script of its own, and the
page's flow starts from corrections kept through the workspace API; every button after that is the page's.
"""

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tl_core.data.digit_styles import render_style
from tl_core.data.png import encode_png
from tl_core.data.preprocess import canvas_to_input
from tl_core.storage.workspace import DB_FILE, WorkspaceStore
from tl_core.training.personal import (
    MIN_CORRECTIONS,
    PersonalEvaluation,
    latest_personal,
    personal_card_markdown,
    personal_verdict,
)

APP = str(Path(__file__).resolve().parents[1] / "app.py")
MODEL = "deep-bn"  # still reads only MNIST's plain 1 (its flag-1s: 62%); the default model reads them now
pytestmark = pytest.mark.slow


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    return WorkspaceStore(tmp_path / DB_FILE).workspace("teacher")


def flag_ones(count: int, seed: int) -> list[np.ndarray]:
    return render_style("1-flag", count, seed=seed, family="held-out")


def correct(workspace, drawings) -> None:
    for drawing in drawings:
        workspace.add_correction(MODEL, 1, canvas_to_input(drawing), encode_png(drawing))


def open_zoo(workspace) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["workspace"] = workspace.name
    at.query_params["model"] = MODEL
    at.run()
    assert not at.exception, at.exception
    return at


def fine_tune_button(at):
    return next(b for b in at.button if b.key == "personal_fine_tune")


def texts(at) -> str:
    return " ".join(block.value for block in [*at.markdown, *at.caption])


# --- "Wrong? It is a:" -----------------------------------------------------------------------------------------
def correcting_script():
    import streamlit as st

    from tl_core.data.preprocess import canvas_to_input
    from ui.personal import correction_choice
    from ui.workspace import current_workspace

    drawing = st.session_state["drawing"]
    correction_choice(current_workspace(), "deep-bn", "zoo_canvas", drawing, canvas_to_input(drawing), "7")


def test_choosing_the_right_digit_keeps_the_drawing_once(workspace):
    at = AppTest.from_function(correcting_script, default_timeout=60)
    at.session_state["workspace"] = workspace.name
    at.session_state["drawing"] = flag_ones(1, seed=5)[0]
    at.run()
    assert not at.exception, at.exception
    choice = at.button_group(key="zoo_canvas_correction_0")
    assert choice.label == "Wrong? It is a:" and choice.value is None

    choice.set_value("1").run()
    assert not at.exception, at.exception
    kept = workspace.corrections(MODEL)
    assert [c.digit for c in kept] == [1] and kept[0].image.shape == (28, 28)
    assert [t.value for t in at.toast] == [
        "Kept as a 1 — 2 more corrections and you can teach the model your handwriting"
    ]
    assert at.session_state["zoo_canvas_generation"] == 1  # the canvas is emptied: the next drawing is new
    at.run()
    at.run()
    assert len(workspace.corrections(MODEL)) == 1  # reruns keep nothing more
    assert at.button_group(key="zoo_canvas_correction_1").value is None


def test_choosing_the_digit_the_model_gave_keeps_nothing(workspace):
    at = AppTest.from_function(correcting_script, default_timeout=60)  # the model's answer is "7" here
    at.session_state["workspace"] = workspace.name
    at.session_state["drawing"] = flag_ones(1, seed=5)[0]
    at.run()
    at.button_group(key="zoo_canvas_correction_0").set_value("7").run()
    assert not at.exception, at.exception
    assert workspace.corrections(MODEL) == []
    assert [t.value for t in at.toast] == ["That is what the model read: a 7. Nothing to correct."]


# --- the page's section -----------------------------------------------------------------------------------------
def test_without_corrections_the_section_says_how_to_make_them(workspace):
    at = open_zoo(workspace)
    assert "Teach it your handwriting" in [header.value for header in at.subheader]
    assert "pick the right one under its answer" in texts(at)
    assert fine_tune_button(at).disabled


def test_corrections_to_a_personal_model_measured_used_and_reset(workspace):
    correct(workspace, flag_ones(MIN_CORRECTIONS - 1, seed=11))
    at = open_zoo(workspace)
    button = fine_tune_button(at)
    assert button.disabled and button.label == "Fine-tune a personal copy (2 corrections)"
    assert "Needs at least 3 corrections: 1 more." in texts(at)
    assert [caption for image in at.get("image") for caption in image.captions] == ["a 1", "a 1"]  # thumbnails

    correct(workspace, flag_ones(2, seed=12))  # 4 kept; one is removed with its button below
    at.run()
    removes = [b for b in at.button if b.label == "Remove"]
    assert len(removes) == 4
    removes[-1].click().run()
    assert len(workspace.corrections(MODEL)) == 3

    button = fine_tune_button(at)
    assert not button.disabled and button.label == "Fine-tune a personal copy (3 corrections)"
    button.click().run()
    assert not at.exception, at.exception
    wait_for_personal(at, workspace)

    kept = latest_personal(workspace, MODEL)
    run_id, evaluation = kept.id, kept.summary
    shown = texts(at)
    assert "Your personal model" in shown and "Held-out MNIST (500 digits)" in shown
    assert f"{evaluation.personal_on_corrections:.0%} ({round(evaluation.personal_on_corrections * 3)} of 3)" in shown
    assert f"{evaluation.original_on_mnist:.1%}" in shown and f"{evaluation.personal_on_mnist:.1%}" in shown
    assert f"**{personal_verdict(evaluation)}**" in shown
    downloads = {d.proto.label for d in at.get("download_button")}
    assert {"Personal model (.keras)", "Model card (.md)"} <= downloads
    assert workspace.run_models(run_id)["transfer"][:2] == b"PK"  # a .keras file is a zip

    next(b for b in at.button if b.label == "Reset to the zoo model").click().run()
    assert not at.exception, at.exception
    assert latest_personal(workspace, MODEL) is None and len(workspace.corrections(MODEL)) == 3
    assert "Your personal model" not in texts(at)
    assert not fine_tune_button(at).disabled  # the corrections stay: train again at will


def wait_for_personal(at, workspace, seconds=240):
    """The job runs on the queue's thread and the page polls it: re-run like a browser would."""
    from ui.resources import training_queue

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = training_queue().latest(workspace.name, "personal")
        if job is not None and job.finished is not None:
            break
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    assert job.error is None, job.error
    assert latest_personal(workspace, MODEL) is not None
    at.run()
    assert not at.exception, at.exception


# --- the sentence and the card say what was measured -----------------------------------------------------------
def measured(mine: tuple[float, float], mnist: tuple[float, float]) -> PersonalEvaluation:
    return PersonalEvaluation(3, mine[0], mine[1], mnist[0], mnist[1], mnist_heldout=500)


def test_forgot_nothing_is_said_only_when_no_mnist_digit_was_lost():
    assert personal_verdict(measured((0.0, 1.0), (0.988, 0.988))) == "It learned your handwriting and forgot nothing."
    assert personal_verdict(measured((0.0, 2 / 3), (0.988, 0.984))) == (
        "It learned your handwriting, but it misreads 2 more of the 500 held-out MNIST digits than the original."
    )
    assert personal_verdict(measured((1 / 3, 1 / 3), (0.988, 0.99))).startswith(
        "It has not learned your handwriting yet: it reads your drawings no better than the original, and it forgot "
        "nothing."
    )
    assert personal_verdict(measured((1.0, 1.0), (0.988, 0.988))) == (
        "It reads all your drawings, as the original already did, and it forgot nothing."
    )


def test_the_card_gives_the_base_model_and_the_measured_numbers():
    card = personal_card_markdown(measured((0.0, 1.0), (0.988, 0.986)), MODEL, "Deeper CNN with batch norm")
    assert card.startswith(f"# Model card: {MODEL}-personal\n")
    assert f"Deeper CNN with batch norm ({MODEL})" in card and "3 corrected drawings" in card
    assert "original 0%, personal 100%" in card and "original 98.8%, personal 98.6%" in card
    assert "misreads 1 more of the 500 held-out MNIST digits" in card
