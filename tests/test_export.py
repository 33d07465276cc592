"""What a user takes home: exported models predict as in the app, curves and cards say what was measured,
and a lesson run with the same settings reproduces the same curves."""

import csv
import io
import time
from dataclasses import replace

import numpy as np
import pytest

import tl_core
from tl_core.backend import keras
from tl_core.classroom.experiments import lesson_record
from tl_core.classroom.lesson import Lesson, lesson_key
from tl_core.models.model_io import model_from_bytes, model_to_bytes
from tl_core.storage.export import CURVE_COLUMNS, card_markdown, curves_csv, fine_tuned_card
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.engine import compare
from tl_core.training.settings import TrainSettings

pytestmark = pytest.mark.slow

SMALL = Lesson(charset="katakana", shots=2, train=TrainSettings(strategy="fine-tune-top", epochs=3, seed=4))


@pytest.fixture(scope="module")
def pretrained():
    return tl_core.load_model("compact-gap")


@pytest.fixture(scope="module")
def lesson_runs(pretrained, tmp_path_factory):
    store = WorkspaceStore(tmp_path_factory.mktemp("lesson") / "workspaces.sqlite3")
    first, second = store.workspace("first"), store.workspace("second")
    ids = [ws.save_run("lesson", *lesson_record(pretrained, SMALL, "Compact CNN")) for ws in (first, second)]
    return [
        (ws, run_id, ws.latest_run_with("lesson", "lesson_key", lesson_key(SMALL)))
        for ws, run_id in zip((first, second), ids, strict=True)
    ]


def test_the_same_lesson_link_reproduces_the_same_curves(lesson_runs):
    (_, id_a, found_a), (_, id_b, found_b) = lesson_runs
    assert (found_a.id, found_b.id) == (id_a, id_b)
    a, b = found_a.summary, found_b.summary
    for which in ("transfer", "scratch"):
        assert a[which]["eval_accuracy"] == b[which]["eval_accuracy"]
        assert a[which]["loss"] == b[which]["loss"]
    assert a["lesson"]["seed"] == "4" and a["charset"] == "katakana" and a["shots"] == 2 and a["train_size"] == 92


def test_a_lesson_with_other_settings_is_not_found(lesson_runs):
    workspace = lesson_runs[0][0]
    assert workspace.latest_run_with("lesson", "lesson_key", lesson_key(replace(SMALL, shots=3))) is None
    assert workspace.latest_run("comparison") is None  # lesson runs stay apart from the workspace's own


def test_exported_models_load_and_predict_as_in_the_app(lesson_runs, tmp_path):
    workspace, run_id, kept = lesson_runs[0]
    stored = workspace.run_models(run_id)
    images = SMALL.task().x_eval[:, :, :, None]
    in_app = model_from_bytes(stored["transfer"])  # what the pages load to predict
    path = tmp_path / "transfer.keras"
    path.write_bytes(stored["transfer"])  # what the download button hands over
    downloaded = keras().models.load_model(path, compile=False)
    np.testing.assert_allclose(downloaded.predict(images, verbose=0), in_app.predict(images, verbose=0), atol=1e-6)
    # and it is the model that was measured: its accuracy on the evaluation set is the card's
    card = fine_tuned_card(kept.summary)
    accuracy = np.mean(downloaded.predict(images, verbose=0).argmax(1) == SMALL.task().y_eval)
    assert accuracy == pytest.approx(card["evaluation"]["accuracy"])


def test_a_trained_model_survives_the_bytes_round_trip(pretrained):
    result = compare(pretrained, "compact-gap", SMALL.task(), SMALL.train)
    images = SMALL.task().x_eval[:20, :, :, None]
    restored = model_from_bytes(model_to_bytes(result.transfer.model))
    np.testing.assert_allclose(
        restored.predict(images, verbose=0), result.transfer.model.predict(images, verbose=0), atol=1e-6
    )


def test_curves_csv_holds_every_epoch_of_both_models(lesson_runs):
    summary = lesson_runs[0][2].summary
    rows = list(csv.DictReader(io.StringIO(curves_csv(summary))))
    assert tuple(rows[0]) == CURVE_COLUMNS and len(rows) == 2 * 3
    scratch = [row for row in rows if row["model"] == "scratch"]
    assert [float(row["eval_accuracy"]) for row in scratch] == summary["scratch"]["eval_accuracy"]
    assert [int(row["epoch"]) for row in scratch] == [1, 2, 3]


def test_model_card_reports_what_was_measured(lesson_runs):
    """The card's accuracy and hardest classes are those of the kept model, measured here on the evaluation set."""
    workspace, run_id, kept = lesson_runs[0]
    summary = kept.summary
    card = fine_tuned_card(summary)
    task = SMALL.task()
    model = model_from_bytes(workspace.run_models(run_id)["transfer"])
    predicted = model.predict(task.x_eval[:, :, :, None], verbose=0).argmax(1)
    assert card["evaluation"]["accuracy"] == pytest.approx(np.mean(predicted == task.y_eval))
    measured = {  # each class's share of its evaluation samples read as that class
        label: float(np.mean(predicted[task.y_eval == index] == index)) for index, label in enumerate(task.labels)
    }
    hardest = card["evaluation"]["hardest_classes"]
    assert [score for _, score in hardest] == sorted(round(value, 3) for value in measured.values())[:5]
    assert all(score == round(measured[label], 3) for label, score in hardest)  # each named with its own score
    assert card["labels"] == task.labels and card["trained_on"]["samples_per_class"] == 2
    assert card["trained_on"]["settings"]["strategy"] == "fine-tune-top"
    text = card_markdown(card)
    assert f"{card['evaluation']['accuracy']:.1%}" in text and "2 rendered per class of katakana" in text
    workspace_run = {**summary, "shots": None, "charset": "hiragana"}  # a Train page run: the workspace's samples
    assert "None" not in card_markdown(fine_tuned_card(workspace_run))
    assert "(of the hiragana set)" in card_markdown(fine_tuned_card(workspace_run))


def test_a_run_without_evaluation_samples_still_gets_a_card_and_curves():
    """Custom classes with one sample each have nothing to hold out: the card says so instead of failing."""
    run = {
        "eval_accuracy": [None, None],
        "train_accuracy": [0.5, 1.0],
        "loss": [0.7, 0.2],
        "epoch_seconds": [0.1, 0.2],
        "seconds": 0.2,
    }
    summary = {
        "labels": ["circle", "cross"],
        "model": "compact-gap",
        "model_title": "CNN",
        "strategy": "fine-tune-top",
        "train_size": 2,
        "charset": None,
        "epochs": 2,
        "seed": 0,
        "eval_size": 0,
        "eval_source": "a held-out split (0)",
        "confusion": {"transfer": [[0, 0], [0, 0]], "scratch": [[0, 0], [0, 0]]},
        "transfer": run,
        "scratch": run,
        "warning": "Only 0 of your samples could be held out",
    }
    text = card_markdown(fine_tuned_card(summary))
    assert "not measured: there were no samples to evaluate on" in text and "Caution" in text
    assert "Hardest classes**: not measured" in text
    assert len(list(csv.DictReader(io.StringIO(curves_csv(summary))))) == 4
    scratch_card = fine_tuned_card(summary, "scratch")
    assert scratch_card["base_model"] is None and scratch_card["kind"] == "trained from scratch"
    assert scratch_card["evaluation"]["accuracy"] is None and scratch_card["evaluation"]["hardest_classes"] == []


def test_a_shared_lesson_job_keeps_one_training_in_every_owners_workspace(pretrained, tmp_path):
    import threading

    from tl_core.classroom.jobs import DONE, JobQueue
    from tl_core.classroom.requests import LessonRequest, submit

    store = WorkspaceStore(tmp_path / "workspaces.sqlite3")
    queue = JobQueue(max_concurrent=1)
    hold = threading.Event()
    queue.submit("someone-else", "comparison", lambda job: hold.wait(10))  # keeps the lesson waiting in line
    jobs = [
        submit(
            queue,
            LessonRequest(store.workspace(name), pretrained, SMALL, "CNN", "train", "Lesson", estimate_seconds=10.0),
        )
        for name in ("ann", "ben", "cho")
    ]
    assert jobs[0] is jobs[1] is jobs[2]
    hold.set()
    deadline = time.monotonic() + 120
    while jobs[0].status != DONE and time.monotonic() < deadline:
        time.sleep(0.1)
    runs = [
        store.workspace(name).latest_run_with("lesson", "lesson_key", lesson_key(SMALL))
        for name in ("ann", "ben", "cho")
    ]
    assert all(run is not None for run in runs)
    assert runs[0].summary == runs[1].summary == runs[2].summary  # one training, the same record everywhere
    assert (
        store.workspace("cho").run_models(runs[2].id)["transfer"]
        == store.workspace("ann").run_models(runs[0].id)["transfer"]
    )


def test_a_kept_run_names_the_evaluation_samples_each_model_misread(lesson_runs):
    """The misread list and the confusion matrix come from the same last evaluation: they agree cell by cell."""
    summary = lesson_runs[0][2].summary
    for which in ("transfer", "scratch"):
        matrix = np.array(summary["confusion"][which])
        misread = summary["misread"][which]
        assert len(misread) == matrix.sum() - np.trace(matrix)
        rebuilt = np.zeros_like(matrix)
        truth = SMALL.task().y_eval
        for index, predicted in misread:
            assert predicted != truth[index]
            rebuilt[truth[index], predicted] += 1
        np.fill_diagonal(rebuilt, np.diag(matrix))
        np.testing.assert_array_equal(rebuilt, matrix)


def test_the_card_shows_labels_as_typed_not_as_markdown_and_the_caution_comes_before_the_accuracy():
    from markdown_it import MarkdownIt

    run = {"eval_accuracy": [0.5], "train_accuracy": [1.0], "loss": [0.2], "epoch_seconds": [0.1], "seconds": 0.1}
    labels = ["[Log in](http://example.invalid)", "**bold**", "a b"]
    summary = {
        "labels": labels,
        "model": "compact-gap",
        "model_title": "CNN",
        "strategy": "fine-tune-top",
        "train_size": 3,
        "charset": None,
        "epochs": 1,
        "seed": 0,
        "eval_size": 3,
        "eval_source": "a held-out split",
        "confusion": {which: [[1, 0, 0], [0, 0, 1], [0, 1, 0]] for which in ("transfer", "scratch")},
        "transfer": run,
        "scratch": run,
        "warning": "Only 3 samples were held out: the accuracy below says little.",
    }
    text = card_markdown(fine_tuned_card(summary))
    rendered = MarkdownIt("commonmark").render(text)
    assert "<a " not in rendered and "<strong>bold</strong>" not in rendered
    assert "“a b”" in text  # one label, visibly
    assert text.index("Caution") < text.index("**Accuracy**")
