"""AppTest of the Train & compare page with samples prepared in a workspace."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tl_core.data.png import encode_png
from tl_core.markdown import escape_markdown
from tl_core.storage.collect import autofill
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.results import ComparisonSummary

APP = str(Path(__file__).resolve().parents[1] / "app.py")
pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    return WorkspaceStore(tmp_path / "workspaces.sqlite3")


def open_train(workspace):
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["workspace"] = workspace
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label)


def figures(at) -> list[dict]:
    """Every plotly figure on the page, as the JSON the browser receives."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def figure_titled(at, axis_title: str) -> dict:
    """The figure whose y axis (or first subplot's y axis) has this title."""
    return next(f for f in figures(at) if f["layout"].get("yaxis", {}).get("title", {}).get("text") == axis_title)


def chance_levels(figure: dict) -> list[float]:
    return [shape["y0"] for shape in figure["layout"].get("shapes", []) if shape["line"].get("dash") == "dash"]


def wait_for_comparison(at, workspace, seconds=240):
    """Training runs on the queue's worker thread and the page polls it: re-run like a browser would."""
    deadline = time.monotonic() + seconds
    while workspace.latest_run("comparison") is None and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    at.run()


def test_an_empty_workspace_offers_the_one_click_demo(store):
    at = open_train("empty")
    assert any("no samples yet" in info.value for info in at.info)
    button(at, "Set up the demo: Hiragana (46), 5 rendered samples per class").click().run()
    assert not at.exception
    counts = store.workspace("empty").counts()
    assert len(counts) == 46 and set(counts.values()) == {5}


def test_training_streams_both_curves_and_keeps_the_run(store):
    workspace = store.workspace("trainme")
    workspace.start_task(list("一二三四五六七八九十"), charset="kanji-numerals")
    autofill(workspace, 2)
    at = open_train("trainme")
    assert any("Press **Train both models**" in info.value for info in at.info)
    at.number_input(key="train_epochs").set_value(3).run()
    button(at, "Train both models").click().run()
    assert not at.exception, at.exception
    wait_for_comparison(at, workspace)

    run = workspace.latest_run("comparison", ComparisonSummary.from_json)
    assert run is not None
    summary = run.summary
    assert len(summary.transfer.eval_accuracy) == len(summary.scratch.eval_accuracy) == 3
    assert summary.labels == tuple("一二三四五六七八九十") and summary.eval_size == 100
    assert set(workspace.run_models(run.id)) == {"transfer", "scratch"}
    texts = " ".join(block.value for block in at.markdown)
    assert "After 3 epochs: transfer" in texts
    assert any("Draw one of your characters" in info.value for info in at.info)

    # What a teacher reads off the run: the chance level, accuracy per character, the most-confused pairs, the
    # confusion matrices with every label and a colour scale, and training against evaluation.
    assert chance_levels(figure_titled(at, "eval accuracy")) == [pytest.approx(0.1)]
    per_character = next(
        f for f in figures(at) if "read right" in f["layout"]["xaxis"].get("title", {}).get("text", "")
    )
    assert sorted(per_character["data"][0]["y"]) == sorted("一二三四五六七八九十")
    mistakes = [m.value for m in at.markdown if " read as " in m.value]
    mistakes += [c.value for c in at.caption if c.value == "No mistakes on the evaluation samples."]
    assert len(mistakes) >= 2  # a list (or "no mistakes") for each model
    assert [tab.label for tab in at.tabs] == ["Transfer", "Scratch"]
    heatmaps = [f for f in figures(at) if f["data"][0]["type"] == "heatmap"]
    assert len(heatmaps) == 2
    for heatmap in heatmaps:
        assert heatmap["layout"]["xaxis"]["dtick"] == 1 and "colorbar" in heatmap["data"][0]
    train_and_eval = figure_titled(at, "accuracy")
    assert {t["name"] for t in train_and_eval["data"]} >= {
        "transfer, training",
        "scratch, evaluation",
        "scratch, training loss",
    }

    # A kept sweep of one seed is not called a mean over seeds, and its gains are in percentage points.
    workspace.save_run(
        "sweep",
        {
            "shots": [1, 2],
            "cancelled": False,
            "model_title": "t",
            "strategy": "feature-extraction",
            "epochs": 3,
            "note": "n",
            "seeds": 1,
            "transfer": {"mean": [0.5, 0.7], "low": [0.5, 0.7], "high": [0.5, 0.7], "runs": [[0.5], [0.7]]},
            "scratch": {"mean": [0.3, 0.4], "low": [0.3, 0.4], "high": [0.3, 0.4], "runs": [[0.3], [0.4]]},
        },
    )
    at.run()
    assert not at.exception, at.exception
    sweep = next(f for f in figures(at) if f["layout"]["xaxis"].get("title", {}).get("text") == "samples per class")
    assert "over seeds" not in sweep["layout"]["yaxis"]["title"]["text"]
    gains = next(c.value for c in at.caption if "Largest gain from transfer" in c.value)
    assert "+30 percentage points at 2 per class" in gains and "+20 percentage points at 1 per class" in gains

    # A fresh session (a refresh) finds the same run in the workspace.
    again = open_train("trainme")
    assert "After 3 epochs: transfer" in " ".join(block.value for block in again.markdown)


def test_the_page_says_what_it_prepares_before_rendering_the_evaluation_samples(store, monkeypatch):
    """The first visit renders the fresh evaluation samples (~1.4 s): a notice comes first, not a blank area.
    Checked by stopping inside the slow call; on a normal visit the notice is gone once the task is ready."""
    import tl_core.training.tasks

    workspace = store.workspace("first")
    workspace.start_task(list("一二三四五六七八九十"), charset="kanji-numerals")
    autofill(workspace, 1)
    preparing = "Preparing your task: rendering its evaluation samples"
    at = open_train("first")
    assert not any(preparing in caption.value for caption in at.caption)

    def interrupted(workspace, seed=0):
        raise RuntimeError("stopped while rendering")

    monkeypatch.setattr(tl_core.training.tasks, "workspace_task", interrupted)
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["workspace"] = "first"
    at.switch_page("pages/train.py").run()
    assert at.exception  # (its message is redacted by the app's settings)
    assert any(preparing in caption.value for caption in at.caption)


def test_a_class_without_samples_gets_a_clear_message(store):
    workspace = store.workspace("half")
    workspace.start_task(["left", "right"])
    workspace.add_sample("left", np.zeros((28, 28), np.float32), encode_png(np.zeros((4, 4), np.uint8)))
    at = open_train("half")
    assert any(escape_markdown("none yet for: right.") in warning.value for warning in at.warning)  # as Markdown


def test_one_class_only_gets_a_clear_message(store):
    workspace = store.workspace("single")
    workspace.start_task(["lonely"])
    workspace.add_sample("lonely", np.zeros((28, 28), np.float32), encode_png(np.zeros((4, 4), np.uint8)))
    before = workspace.counts()
    at = open_train("single")
    assert any("at least two classes" in warning.value for warning in at.warning)
    assert workspace.counts() == before


KANJI_NUMERALS = list("一二三四五六七八九十")


@pytest.fixture
def engine_calls(monkeypatch):
    """The settings each comparison of a kanji-numerals workspace hands to the engine's `compare`, which then
    trains nothing: it notes them and fails the job at once (the page shows the job's error like any other).
    Any other comparison (the server's warm-up, on noise) trains as usual."""
    import tl_core.classroom.experiments

    calls, compare = [], tl_core.classroom.experiments.compare

    def noted(pretrained_model, architecture, task, settings, *rest):
        if list(task.labels) != KANJI_NUMERALS:
            return compare(pretrained_model, architecture, task, settings, *rest)
        calls.append(settings)
        raise RuntimeError("stopped by the test before any training")

    monkeypatch.setattr(tl_core.classroom.experiments, "compare", noted)
    return calls


def engine_epochs(calls, seconds=60):
    """The epochs of every comparison the engine was asked for, once the queue's worker has asked."""
    deadline = time.monotonic() + seconds
    while not calls and time.monotonic() < deadline:
        time.sleep(0.1)
    return [settings.epochs for settings in calls]


@pytest.mark.parametrize("epochs", [0, -5, 10**6])
def test_out_of_range_epochs_typed_into_the_page_never_reach_the_engine(store, engine_calls, epochs):
    workspace = store.workspace(f"typed{epochs}")  # one name per case: the queue outlives each test
    workspace.start_task(KANJI_NUMERALS, charset="kanji-numerals")
    autofill(workspace, 1)
    at = open_train(workspace.name)
    at.number_input(key="train_epochs").set_value(epochs).run()
    shown = at.number_input(key="train_epochs").value
    button(at, "Train both models").click().run()
    assert not at.exception, at.exception
    # The engine trains for what the page shows, and that is inside LIMITS["epochs"], never what was typed.
    assert engine_epochs(engine_calls) == [shown] and 1 <= shown <= 200


@pytest.mark.parametrize("asked, used", [("0", 1), ("-5", 1), ("1000000", 200)])
def test_out_of_range_epochs_in_a_link_never_reach_the_engine(store, engine_calls, asked, used):
    workspace = store.workspace(f"linked{asked}")  # one name per case: the queue outlives each test
    workspace.start_task(KANJI_NUMERALS, charset="kanji-numerals")
    autofill(workspace, 1)
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update(workspace=workspace.name, epochs=asked)
    at.switch_page("pages/train.py").run()
    warnings = [warning.value for warning in at.warning]
    button(at, "Train both models").click().run()
    assert not at.exception, at.exception
    assert engine_epochs(engine_calls) == [used]  # the nearest number of epochs allowed, and the page said so
    said = escape_markdown(f"'epochs={asked}' is {'less' if used == 1 else 'more'} than {used}; using {used}.")
    assert any(said in warning for warning in warnings), warnings


def test_run_settings_come_from_the_link_and_stay_in_it(store):
    workspace = store.workspace("linked")
    workspace.start_task(list("一二三四五六七八九十"), charset="kanji-numerals")
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update(
        {
            "workspace": "linked",
            "model": "lenet5",
            "strategy": "fine-tune-top",
            "epochs": "7",
            "lr": "0.02",
            "seed": "9",
        }
    )
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    # no samples yet: the page asks for them, and the link's settings wait in the address
    autofill(workspace, 1)
    at.run()
    assert at.selectbox(key="train_model").value == "lenet5"
    assert at.session_state["train_strategy"] == "fine-tune-top"
    assert at.number_input(key="train_epochs").value == 7
    assert at.number_input(key="train_lr").value == pytest.approx(0.02)
    assert at.number_input(key="train_seed").value == 9
    at.number_input(key="train_epochs").set_value(12).run()
    assert at.query_params["epochs"] == "12" and at.query_params["model"] == "lenet5"
    assert "set" not in at.query_params  # the character set is the workspace's, not the link's


def test_custom_classes_with_one_sample_each_train_without_an_evaluation(store):
    workspace = store.workspace("tiny")
    workspace.start_task(["circle", "cross"])
    rng = np.random.default_rng(0)
    for label in ("circle", "cross"):
        workspace.add_sample(label, rng.random((28, 28), dtype=np.float32), encode_png(np.zeros((8, 8, 4), np.uint8)))
    at = open_train("tiny")
    assert any("could be held out" in warning.value for warning in at.warning)
    at.number_input(key="train_epochs").set_value(2).run()
    button(at, "Train both models").click().run()
    wait_for_comparison(at, workspace)
    assert not at.exception, at.exception
    assert any("nothing to compare" in m.value for m in at.markdown)


@pytest.fixture
def small_budget(monkeypatch):
    """A server whose teacher set TL_MAX_JOB_SECONDS=5 (the queue reads its limits once, when it is made)."""
    from ui.resources import training_queue

    monkeypatch.setenv("TL_MAX_JOB_SECONDS", "5")
    training_queue.clear()
    yield
    training_queue.clear()


def test_a_run_over_the_budget_is_refused_before_queueing_and_the_cheaper_offer_trains(store, small_budget):
    from ui.resources import training_queue

    workspace = store.workspace("budget")
    workspace.start_task(list("一二三四五六七八九十"), charset="kanji-numerals")
    autofill(workspace, 2)
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update(workspace="budget", strategy="fine-tune-all", epochs="200")
    at.switch_page("pages/train.py").run()
    assert not at.exception, at.exception
    warning = next(w.value for w in at.warning if "over this server's limit of 5 s per job" in w.value)
    assert "TL_MAX_JOB_SECONDS" in warning and "To fit, use at most" in warning
    assert button(at, "Train both models").disabled and training_queue().latest("budget") is None
    offer = next(b for b in at.button if b.label.startswith("Train with ") and b.label.endswith(" epochs instead"))
    epochs = int(offer.label.split()[2])
    assert 1 <= epochs < 200 and f"at most {epochs} epochs" in warning
    offer.click().run()
    assert not at.exception, at.exception
    assert training_queue().latest("budget") is not None  # queued at once, with the epochs that fit
    wait_for_comparison(at, workspace)
    summary = workspace.latest_run("comparison", ComparisonSummary.from_json).summary
    assert summary.epochs == epochs and summary.strategy == "fine-tune-all"
    assert at.number_input(key="train_epochs").value == epochs  # the page (and its address) show what ran
