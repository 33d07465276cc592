"""A personal digit model from a user's corrections: it learns their 1 and forgets nothing, measured."""

import numpy as np
import pytest

from tl_core.data.digit_styles import render_style
from tl_core.data.png import encode_png
from tl_core.data.preprocess import canvas_to_input
from tl_core.storage.workspace import MAX_CORRECTIONS, WorkspaceError, WorkspaceStore
from tl_core.training.personal import MIN_CORRECTIONS, latest_personal, personal_and_keep, reset_personal

MODEL = "deep-bn"  # still reads only MNIST's plain 1 (its flag-1s: 62%); the default model reads them now


@pytest.fixture
def workspace(tmp_path):
    return WorkspaceStore(tmp_path / "w.sqlite3").workspace("me")


def flag_ones(count, seed):
    drawings = render_style("1-flag", count, seed=seed, family="held-out")
    return drawings, np.stack([canvas_to_input(drawing) for drawing in drawings])


def test_corrections_are_kept_per_model_and_checked(workspace):
    drawings, inputs = flag_ones(2, seed=1)
    workspace.add_correction(MODEL, 1, inputs[0], encode_png(drawings[0]))
    workspace.add_correction("lenet5", 7, inputs[1], encode_png(drawings[1]))
    kept = workspace.corrections(MODEL)
    assert [(c.model, c.digit) for c in kept] == [(MODEL, 1)]
    np.testing.assert_array_equal(kept[0].image, inputs[0])
    for digit in (10, -1, "1"):
        with pytest.raises(WorkspaceError, match="digits 0-9"):
            workspace.add_correction(MODEL, digit, inputs[0], b"png")
    with pytest.raises(WorkspaceError, match="28 x 28"):
        workspace.add_correction(MODEL, 1, np.zeros((28, 27)), b"png")
    assert workspace.delete_correction(kept[0].id) and workspace.corrections(MODEL) == []
    assert MAX_CORRECTIONS >= 100


def test_fewer_than_three_corrections_train_nothing(workspace):
    from tl_core.models.zoo import load_model

    drawings, inputs = flag_ones(MIN_CORRECTIONS - 1, seed=2)
    for drawing, model_input in zip(drawings, inputs, strict=True):
        workspace.add_correction(MODEL, 1, model_input, encode_png(drawing))
    with pytest.raises(ValueError, match="at least 3"):
        personal_and_keep(workspace, load_model(MODEL), MODEL)


def test_a_personal_model_learns_my_flagged_one_and_forgets_nothing(workspace):
    from tl_core.models.model_io import model_from_bytes
    from tl_core.models.zoo import load_model

    original = load_model(MODEL)
    drawings, inputs = flag_ones(5, seed=123)
    for drawing, model_input in zip(drawings, inputs, strict=True):
        workspace.add_correction(MODEL, 1, model_input, encode_png(drawing))
    steps = []

    run_id = personal_and_keep(workspace, original, MODEL, progress=lambda done, what: steps.append(done))

    kept = latest_personal(workspace, MODEL)
    run, evaluation = kept.id, kept.summary
    assert run == run_id and steps[-1] == 1.0 and evaluation.corrections == 5
    assert evaluation.personal_on_corrections >= 0.8  # leave-one-out: drawings it was not trained on
    assert evaluation.forgot <= 0.01 and evaluation.mnist_heldout == 500
    personal = model_from_bytes(workspace.run_models(run_id)["transfer"])
    _, later = flag_ones(40, seed=999)  # the next flag-1s this hand draws
    original_reads = np.mean(original.predict(later[..., None], verbose=0).argmax(1) == 1)
    personal_reads = np.mean(personal.predict(later[..., None], verbose=0).argmax(1) == 1)
    assert personal_reads >= 0.9 and personal_reads > original_reads

    reset_personal(workspace, MODEL)
    assert latest_personal(workspace, MODEL) is None and len(workspace.corrections(MODEL)) == 5


def test_cancelling_keeps_nothing(workspace):
    from tl_core.models.zoo import load_model

    drawings, inputs = flag_ones(3, seed=4)
    for drawing, model_input in zip(drawings, inputs, strict=True):
        workspace.add_correction(MODEL, 1, model_input, encode_png(drawing))
    assert personal_and_keep(workspace, load_model(MODEL), MODEL, should_stop=lambda: True) is None
    assert latest_personal(workspace, MODEL) is None
