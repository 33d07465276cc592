"""AppTests of a class: a teacher creates it on the lesson page and its link carries it; students join with a name;
the class page shows statuses, rows, the summary and charts; only the teacher moderates."""

import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.summaries import comparison, curves
from tl_core.classroom.lesson import Lesson, lesson_to_query
from tl_core.storage.class_pool import ClassPool
from tl_core.storage.school_classes import SchoolClasses
from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.settings import TrainSettings

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CLASS_PAGE = "pages/class.py"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    return WorkspaceStore(tmp_path / "workspaces.sqlite3")


@pytest.fixture
def either_store(store_location, tmp_path, monkeypatch):
    """The app's store on SQLite, then on a PostgreSQL server (what several app servers share)."""
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))
    if store_location.startswith("postgresql"):
        monkeypatch.setenv("TL_DATABASE_URL", store_location)
    return WorkspaceStore(store_location)


def open_page(page, query, timeout=120):
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def texts(at) -> str:
    """The page's text as a reader sees it (Markdown escapes and bold marks removed)."""
    return re.sub(
        r"\\(.)|\*\*",
        r"\1",
        " ".join(
            str(element.value)
            for kind in ("markdown", "success", "info", "error", "warning", "caption")
            for element in at.get(kind)
        ),
    )


def table(at, column):
    """The page's table that has `column`."""
    return next(frame.value for frame in at.dataframe if column in frame.value.columns)


def a_run(workspace, transfer, scratch, model_title="LeNet-5", shots=5):
    summary = comparison(
        curves([transfer / 2, transfer], [1.0, 2.0]),
        curves([scratch / 2, scratch], [1.5, 3.0]),
        model="lenet5",
        model_title=model_title,
        charset="katakana",
        shots=shots,
    )
    return workspace.save_run("lesson", summary)


@pytest.fixture
def a_class(either_store):
    """A class with three students: two finished a run, one is still collecting."""
    store = either_store
    classes = SchoolClasses(store)
    teacher = store.new_workspace().name
    code = classes.create(teacher, "Year 9 <science>").code
    students = {}
    for name in ("Ana", "Bo", "Cy"):
        students[name] = store.new_workspace()
        classes.join(code, students[name].name, name)
    a_run(students["Ana"], 0.9, 0.5)
    a_run(students["Bo"], 0.4, 0.6, model_title="MLP", shots=1)
    return code, teacher, students


def test_a_teacher_creates_a_class_on_the_lesson_page_and_its_link_carries_it(store):
    teacher = store.new_workspace().name
    query = lesson_to_query(Lesson(model="lenet5", charset="katakana", shots=1, train=TrainSettings(epochs=2)))
    at = open_page("pages/lesson.py", query | {"workspace": teacher}, timeout=300)
    at.text_input(key="lesson_class_new_name").input("Tuesday, 3rd period")
    next(b for b in at.button if b.label == "Create the class").click().run()
    (made,) = SchoolClasses(store).of_teacher(teacher)
    assert made.name == "Tuesday, 3rd period"
    share = next(element.proto.body for element in at.get("html") if "<a href=" in element.proto.body)
    assert f"class={made.code}" in share and teacher not in share  # the teacher's workspace never travels
    at.text_input(key="lesson_class_new_name").input("Wednesday")
    next(b for b in at.button if b.label == "Create the class").click().run()
    newer = next(c for c in SchoolClasses(store).of_teacher(teacher) if c.name == "Wednesday")
    share = next(element.proto.body for element in at.get("html") if "<a href=" in element.proto.body)
    assert f"class={newer.code}" in share  # a new class is the one the link carries, at once

    student = store.new_workspace().name
    at = open_page("pages/lesson.py", query | {"class": made.code, "workspace": student}, timeout=300)
    at.text_input(key="lesson_class_name").input("Ana")
    next(b for b in at.button if b.label == "Join the class").click().run()
    assert "You are in Tuesday, 3rd period as Ana." in texts(at)
    assert [m.name for m in SchoolClasses(store).members(made.code)] == ["Ana"]


def test_a_student_joins_from_the_class_page_and_a_taken_or_bad_name_is_explained(a_class, either_store):
    store = either_store
    code, _, _ = a_class
    newcomer = store.new_workspace().name
    at = open_page(CLASS_PAGE, {"class": code.lower(), "workspace": newcomer})
    for bad, said in (("ana", "already taken"), ("a\u200bb", "invisible characters")):
        at.text_input(key="class_name").input(bad)
        next(b for b in at.button if b.label == "Join the class").click().run()
        assert said in texts(at) and not at.exception
    at.text_input(key="class_name").input("Di")
    next(b for b in at.button if b.label == "Join the class").click().run()
    assert "as Di" in texts(at)
    assert not [e for e in at.expander if e.label == "Manage the class"]  # a student moderates nothing


def test_the_class_page_shows_statuses_rows_the_summary_and_the_chart(a_class):
    code, teacher, students = a_class
    at = open_page(CLASS_PAGE, {"class": code, "workspace": teacher})
    shown = texts(at) + " ".join(frame.value.to_csv() for frame in at.dataframe)
    assert not [ws.name for ws in students.values() if ws.name in shown]  # names only, never a student's workspace
    assert at.title[0].value == "Class: Year 9 \\<science\\>"  # a name is text, not markup
    statuses = table(at, "where")
    assert dict(zip(statuses["student"], statuses["where"], strict=True)) == {
        "Ana": "done (1 run)",
        "Bo": "done (1 run)",
        "Cy": "collecting: nothing trained yet",
    }
    rows = table(at, "transfer")
    assert list(rows["student"]) == ["Ana", "Bo"] and list(rows["transfer"]) == [0.9, 0.4]
    assert (
        "Transfer beat scratch in 1 of 2 runs; median gain +0.10 (+10 percentage points). The one where it did "
        "not used the MLP." in texts(at)
    )
    scatter = json.loads(at.get("plotly_chart")[0].proto.spec)
    diagonal, points = scatter["data"][:2]
    assert diagonal["x"] == [0, 1] and diagonal["y"] == [0, 1]
    assert points["x"] == [0.5, 0.6] and points["y"] == [0.9, 0.4]
    efficiency = json.loads(at.get("plotly_chart")[1].proto.spec)  # 1 and 5 samples per class: a curve
    assert [trace["name"] for trace in efficiency["data"] if trace.get("name")][0].startswith("transfer")
    assert {d.proto.label for d in at.get("download_button")} == {"Results (.csv)", "One-page summary (.html)"}


def test_only_the_teacher_renames_removes_closes_and_ends_and_the_results_stay(a_class, either_store):
    store = either_store
    code, teacher, students = a_class
    classes = SchoolClasses(store)
    visitor = open_page(CLASS_PAGE, {"class": code, "workspace": students["Ana"].name})
    assert not [e for e in visitor.expander if e.label == "Manage the class"]

    at = open_page(CLASS_PAGE, {"class": code, "workspace": teacher})
    at.selectbox(key="class_student").select("Bo")
    at.text_input(key="class_new_name").input("Robert")
    next(b for b in at.button if b.label == "Rename").click().run()
    assert [m.name for m in classes.members(code)] == ["Ana", "Robert", "Cy"]
    assert list(table(at, "transfer")["student"]) == ["Ana", "Robert"]

    at.selectbox(key="class_student").select("Cy").run()
    assert next(b for b in at.button if b.label == "Remove").disabled  # not without saying so
    at.checkbox(key="class_remove_sure").check().run()
    next(b for b in at.button if b.label == "Remove").click().run()
    assert [m.name for m in classes.members(code)] == ["Ana", "Robert"]

    at.toggle(key="class_closed").set_value(True).run()
    assert classes.get(code).closed
    late = open_page(CLASS_PAGE, {"class": code, "workspace": store.new_workspace().name})
    assert "closed to new students" in texts(late) and not [b for b in late.button if b.label == "Join the class"]

    assert next(b for b in at.button if b.label == "End the class").disabled  # not without saying so
    at.checkbox(key="class_end_sure").check().run()
    next(b for b in at.button if b.label == "End the class").click().run()
    assert classes.get(code).ended is not None
    store.delete_workspace(students["Ana"].name)  # a student's workspace may go: the class's results stay
    at = open_page(CLASS_PAGE, {"class": code, "workspace": teacher})
    assert "This class ended on" in texts(at)
    assert not [e for e in at.expander if e.label == "Manage the class"]  # kept as it ended
    assert list(table(at, "transfer")["student"]) == ["Ana", "Robert"]


def test_a_bad_or_unknown_code_in_the_address_is_explained(store):
    for code, said in (("<script>", "A class code is 10 letters"), ("ABCDEFGHJK", "There is no class with this code")):
        at = open_page(CLASS_PAGE, {"class": code})
        assert said in texts(at) and not at.exception
        assert [t.label for t in at.text_input] == ["Class code (from your teacher's link)"]


def test_students_share_drawings_and_the_teacher_trains_on_hands_it_never_saw(store):
    classes, pool = SchoolClasses(store), ClassPool(store)
    teacher = store.new_workspace().name
    code = classes.create(teacher, "Drawing class").code
    rng = np.random.default_rng(0)
    students = []
    for name in ("Ana", "Bo", "Cy"):
        workspace = store.new_workspace()
        workspace.start_task(["あ", "い", "う"])
        classes.join(code, workspace.name, name)
        for position, label in enumerate(("あ", "い", "う")):
            for _ in range(3):  # each character its own stripe, drawn a little differently each time
                image = np.zeros((28, 28), np.float32)
                image[4 + 8 * position : 10 + 8 * position, 4:24] = 1.0
                workspace.add_sample(label, np.clip(image + rng.normal(0, 0.1, image.shape), 0, 1), b"png", "drawn")
        students.append(workspace)
    workspace.add_sample("あ", np.zeros((28, 28), np.float32), b"png", "rendered")  # a render: never shareable

    at = open_page("pages/collect.py", {"workspace": students[0].name})
    next(b for b in at.button if b.label == "Share all my drawings").click().run()
    assert len(pool.contributed(code, students[0].name)) == 9
    at = open_page("pages/collect.py", {"workspace": students[1].name})
    first = students[1].samples("あ")[0]
    at.checkbox(key=f"share_{first.id}").check().run()
    assert pool.contributed(code, students[1].name) == {first.id}
    pool.contribute(code, students[2].name, [s.id for s in students[2].samples()])  # the render is not added
    assert len(pool.pooled(code)) == 9 + 1 + 9

    looking = open_page(CLASS_PAGE, {"class": code, "workspace": students[1].name})
    assert "19 drawings of 3 characters from 3 students" in texts(looking)
    assert not [b for b in looking.button if b.label == "Train both models on the class's drawings"]

    at = open_page(CLASS_PAGE, {"class": code, "workspace": teacher}, timeout=300)
    next(b for b in at.button if b.label == "Train both models on the class's drawings").click().run()
    assert not at.exception, at.exception  # its live panel draws both models' epochs
    teacher_workspace = store.workspace(teacher)
    deadline = time.monotonic() + 240
    while teacher_workspace.latest_run("class-pool") is None and time.monotonic() < deadline:
        time.sleep(0.5)
    kept = teacher_workspace.latest_run("class-pool").summary
    (held,) = kept["held_out"]  # one of three hands held out
    by_id = {d.sample_id: d for d in pool.pooled(code)}
    assert {by_id[i].student for i in kept["eval_sample_ids"]} == {held}
    assert kept["train_size"] == 19 - len(kept["eval_sample_ids"])
    for viewer in (teacher, students[1].name):  # the teacher's training is shown to every student
        shown = texts(open_page(CLASS_PAGE, {"class": code, "workspace": viewer}))
        assert f"On hands it never saw ({kept['eval_source']}: {held})" in shown
        assert "Drawings every model got wrong:" in shown
