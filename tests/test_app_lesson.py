"""AppTests of the guided lesson and the Look inside page: settings come from the link, bad links are
explained, a lesson run shows the three measured benefits, and Look inside works with and without a run."""

import html
import json
import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tl_core.classroom.lesson import Lesson, lesson_key, lesson_to_query
from tl_core.storage.collect import autofill
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.settings import TrainSettings

APP = str(Path(__file__).resolve().parents[1] / "app.py")
pytestmark = pytest.mark.slow

SHARED = Lesson(
    model="lenet5",
    charset="katakana",
    shots=2,
    train=TrainSettings(strategy="fine-tune-top", epochs=3, head_learning_rate=0.02, seed=5),
)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    return WorkspaceStore(tmp_path / "workspaces.sqlite3")


def open_page(page, query):
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def button(at, label):
    return next(b for b in at.button if b.label == label)


def metric(at, label):
    return next(m for m in at.metric if m.label == label)


def figures(at) -> list[dict]:
    """Every plotly figure on the page, as the JSON the browser receives."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def figure_titled(at, axis_title: str) -> dict:
    return next(f for f in figures(at) if f["layout"].get("yaxis", {}).get("title", {}).get("text") == axis_title)


def wait_for_run(at, workspace, kind, key, seconds=240):
    deadline = time.monotonic() + seconds
    while workspace.latest_run_with(kind, "lesson_key", key) is None and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
        assert not at.exception, at.exception
    at.run()
    assert not at.exception, at.exception


def test_a_shared_link_sets_every_widget(store):
    at = open_page("pages/lesson.py", {"workspace": "student", **lesson_to_query(SHARED)})
    assert at.selectbox(key="lesson_model").value == "lenet5"
    assert at.selectbox(key="lesson_set").value == "katakana"
    assert at.number_input(key="lesson_shots").value == 2
    assert at.number_input(key="lesson_epochs").value == 3
    assert at.number_input(key="lesson_lr").value == pytest.approx(0.02)
    assert at.number_input(key="lesson_seed").value == 5
    assert at.session_state["lesson_strategy"] == "fine-tune-top"
    assert not at.warning
    share_html = next(element.proto.body for element in at.get("html") if "<a href=" in element.proto.body)
    share = html.unescape(re.search(r'<a href="([^"]*)"', share_html).group(1))
    assert "workspace=" not in share  # each student gets a workspace of their own
    assert share.endswith("?" + "&".join(f"{k}={v}" for k, v in lesson_to_query(SHARED).items()))
    # the strip of sample characters: one picture per character, so a narrow screen wraps it onto new rows
    assert at.get("image")[0].captions == list("アイウエオカキクケコサシ")


def test_a_broken_link_is_explained_and_repaired(store):
    at = open_page("pages/lesson.py", {"workspace": "broken", "model": "gpt", "shots": "lots", "epochs": "9"})
    assert len(at.warning) == 1 and "'model=gpt' is not one of" in at.warning[0].value
    assert "'shots=lots' is not a number" in at.warning[0].value
    assert at.selectbox(key="lesson_model").value == "compact-gap" and at.number_input(key="lesson_shots").value == 5
    assert at.number_input(key="lesson_epochs").value == 9  # the good values of a link are kept
    assert at.query_params["model"] == "compact-gap" and at.query_params["shots"] == "5"


def test_a_lesson_run_shows_the_measured_benefits(store):
    at = open_page("pages/lesson.py", {"workspace": "teacher", **lesson_to_query(SHARED)})
    assert any("nearest neighbour is the same character" in info.value for info in at.info)
    button(at, "Train both models").click().run()
    workspace = store.workspace("teacher")
    wait_for_run(at, workspace, "lesson", lesson_key(SHARED))
    summary = workspace.latest_run_with("lesson", "lesson_key", lesson_key(SHARED)).summary
    final = summary["transfer"]["eval_accuracy"][-1]
    assert metric(at, "Better").value == f"{final:.0%}"
    assert metric(at, "Better").delta.endswith("percentage points against scratch")  # not "+20%"
    # the result chart shows epochs, as the class watched it train, with the chance level; seconds on request
    curves = figure_titled(at, "eval accuracy")
    assert curves["layout"]["xaxis"]["title"]["text"] == "epoch"
    assert [shape["y0"] for shape in curves["layout"]["shapes"]] == [pytest.approx(1 / 46)]
    at.segmented_control(key="lesson_x_axis").set_value("seconds").run()
    assert figure_titled(at, "eval accuracy")["layout"]["xaxis"]["title"]["text"] == "training seconds"
    # what a teacher asks for: accuracy per character, the pairs mixed up most, training against evaluation
    per_character = next(
        f for f in figures(at) if "read right" in f["layout"]["xaxis"].get("title", {}).get("text", "")
    )
    assert len(per_character["data"][0]["y"]) == 46 and per_character["layout"]["yaxis"]["dtick"] == 1
    assert any(" read as " in block.value for block in at.markdown)
    # pictured by the drawings it misread, not by stand-ins
    assert not any("did not keep which drawings" in caption.value for caption in at.caption)
    names = {trace["name"] for trace in figure_titled(at, "accuracy")["data"]}
    assert {"transfer, training", "transfer, evaluation", "scratch, training loss"} <= names
    assert metric(at, "Fewer labels").value == "?"
    # the verdict is the sentence this run's final accuracies call for (no demonstration has run: the only one)
    gain = final - summary["scratch"]["eval_accuracy"][-1]
    points = f"{gain * 100:+.0f} percentage points"
    verdicts = [m.value for m in at.markdown if re.match(r"\*\*Transfer (helped|bought no accuracy|hurt)", m.value)]
    if abs(gain) < 0.02:  # a tie, perhaps followed by how much sooner transfer got there
        assert len(verdicts) == 1 and verdicts[0].startswith(f"**Transfer bought no accuracy here ({points}).")
    else:
        outcome = "helped" if gain > 0 else "hurt here"
        assert verdicts == [f"**Transfer {outcome}: {points} of accuracy against training from scratch.**"]
    # step 6 now looks inside all three networks
    headings = [h.value for h in at.markdown if h.value.startswith("#### ")]
    assert headings == ["#### Digit model", "#### Transfer", "#### Scratch"]

    # "Measure it" is shared like Train: a student on the same lesson who presses it joins the same sweep.
    import threading

    from ui.resources import training_queue

    kept = workspace.latest_run_with("lesson", "lesson_key", lesson_key(SHARED))
    run_id, summary = kept.id, kept.summary
    student = store.workspace("student")
    student.save_run("lesson", summary, workspace.run_models(run_id))  # as if they had pressed Train together
    hold = threading.Event()
    training_queue().submit("someone-else", "comparison", lambda job: hold.wait(60))  # the class waits in line
    measure = next(b for b in at.button if b.label.startswith("Measure it (about "))
    measure.click().run()
    other = open_page("pages/lesson.py", {"workspace": "student", **lesson_to_query(SHARED)})
    next(b for b in other.button if b.label.startswith("Measure it (about ")).click().run()
    assert not other.exception, other.exception
    shared = training_queue().latest("teacher")
    assert shared.kind == "lesson-sweep" and shared.owners == ["teacher", "student"]
    assert training_queue().latest("student") is shared
    hold.set()
    wait_for_run(at, workspace, "lesson-sweep", lesson_key(SHARED))
    wait_for_run(other, student, "lesson-sweep", lesson_key(SHARED))
    sweeps = [
        ws.latest_run_with("lesson-sweep", "lesson_key", lesson_key(SHARED)).summary for ws in (workspace, student)
    ]
    assert sweeps[0] == sweeps[1] and sweeps[0]["shots"] == [1, 2, 5, 10]
    assert metric(at, "Fewer labels").value == metric(other, "Fewer labels").value != "?"
    # the check ran one seed per point, and the chart says that rather than "mean and range over seeds"
    assert any(e.label.endswith("(one run per point)") for e in at.expander if e.label.startswith("The labels check"))
    sweep = next(f for f in figures(at) if f["layout"]["xaxis"].get("title", {}).get("text") == "samples per class")
    assert "over seeds" not in sweep["layout"]["yaxis"]["title"]["text"]


def test_look_inside_without_and_with_a_run(store):
    workspace = store.workspace("inside")
    workspace.start_task(list("一二三四五六七八九十"), charset="kanji-numerals")
    autofill(workspace, 2)
    at = open_page("pages/inside.py", {"workspace": "inside"})
    assert [m.label for m in at.metric] == ["Nearest neighbour is the same character"] * 2
    assert [h.value for h in at.markdown if h.value.startswith("#### ")] == ["#### Digit model"]

    at = open_page("pages/train.py", {"workspace": "inside", "epochs": "2"})
    button(at, "Train both models").click().run()
    deadline = time.monotonic() + 240
    while workspace.latest_run("comparison") is None and time.monotonic() < deadline:
        time.sleep(0.5)
        at.run()
    at = open_page("pages/inside.py", {"workspace": "inside"})
    assert [h.value for h in at.markdown if h.value.startswith("#### ")] == [
        "#### Digit model",
        "#### Transfer",
        "#### Scratch",
    ]
    assert at.segmented_control(key="inside_space_other") is not None


def test_look_inside_asks_for_samples_first(store):
    at = open_page("pages/inside.py", {"workspace": "nothing"})
    assert any("needs a task with samples" in info.value for info in at.info)


def test_look_inside_with_too_few_samples_to_picture_says_so(store):
    import numpy as np

    from tl_core.data.png import encode_png

    workspace = store.workspace("two")
    workspace.start_task(["circle", "cross"])
    rng = np.random.default_rng(0)
    for label in ("circle", "cross"):
        workspace.add_sample(label, rng.random((28, 28), dtype=np.float32), encode_png(np.zeros((8, 8, 4), np.uint8)))
    at = open_page("pages/inside.py", {"workspace": "two"})
    assert any("at least three samples" in info.value for info in at.info)
    assert [h.value for h in at.markdown if h.value.startswith("#### ")] == ["#### Digit model"]
