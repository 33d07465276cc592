"""AppTest of Look inside: what the page says when there is nothing to look at yet, and how the classes in the
feature-space picture follow a drawing while leaving the choice to the user."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tl_core.storage.workspace import WorkspaceStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")
LABELS = [f"c{index}" for index in range(46)]


def open_inside(workspace="apptest"):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workspace"] = workspace
    at.switch_page("pages/inside.py").run()
    assert not at.exception, at.exception
    return at


def test_a_workspace_without_classes_is_sent_to_collect_a_task_not_to_add_another_class(data_dir):
    text = " ".join(info.value for info in open_inside().info)
    assert "no characters yet" in text and "auto-fill" in text
    assert "another class" not in text


def test_a_workspace_with_one_class_is_asked_for_a_second(data_dir):
    WorkspaceStore(data_dir / "workspaces.sqlite3").workspace("apptest").start_task(["circle"])
    text = " ".join(info.value for info in open_inside().info)
    assert "one class, circle" in text and "at least one more class" in text


def picker_script():
    import streamlit as st

    from ui.inside import pick_classes

    labels = st.session_state["labels"]
    drawing = st.session_state.get("drawing", {})
    st.session_state["result"] = pick_classes("space", labels, drawing.get("predicted", ()), drawing.get("nearest", ()))


def picker(labels=LABELS):
    at = AppTest.from_function(picker_script, default_timeout=30)
    at.session_state["labels"] = labels
    return at.run()


def test_the_picture_follows_each_new_drawing_and_keeps_the_users_picks_between_drawings():
    at = picker()
    assert at.multiselect(key="space_shown").value == [0, 1, 2, 3, 4, 5]  # nothing drawn: the first six
    at.session_state["drawing"] = {"predicted": (40, 12, 3), "nearest": (40, 41)}
    at.run()
    shown = at.multiselect(key="space_shown").value
    assert shown[:4] == [40, 12, 3, 41] and len(shown) == 6  # then two of the earlier picks as context
    assert any("c40, c41" in caption.value and "c40, c12, c3" in caption.value for caption in at.caption)

    at.multiselect(key="space_shown").set_value([40, 7]).run()  # the user's own choice
    at.run()  # the same drawing again (a rerun from any widget): the choice stands
    assert at.multiselect(key="space_shown").value == [40, 7]

    at.session_state["drawing"] = {"nearest": (20, 21, 22)}  # a new drawing brings its classes in
    at.run()
    assert at.multiselect(key="space_shown").value == [20, 21, 22, 40, 7, 0]
    assert not at.exception


def test_picks_of_classes_that_were_removed_are_dropped():
    at = picker()
    at.multiselect(key="space_shown").set_value([1, 30, 45]).run()
    at.session_state["labels"] = LABELS[:10]
    at.run()
    assert not at.exception
    assert at.multiselect(key="space_shown").value == [1]
