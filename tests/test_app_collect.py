"""AppTest of the collect page: choose a task, auto-fill, bad labels, and state kept in the workspace."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tl_core.workspace import WorkspaceStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_collect(workspace="apptest"):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workspace"] = workspace
    at.switch_page("app_pages/collect.py").run()
    assert not at.exception, at.exception
    return at


def stored(data_dir, name="apptest"):
    return WorkspaceStore(data_dir / "workspaces.sqlite3").workspace(name)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_choose_a_built_in_set_then_auto_fill(data_dir):
    at = open_collect()
    assert at.selectbox(key="task_charset").value == "hiragana"
    button(at, "Use this set").click().run()
    assert stored(data_dir).classes()[:3] == ["あ", "い", "う"]
    at.number_input(key="autofill_k").set_value(2).run()
    button(at, "Auto-fill 2 per class").click().run()
    assert not at.exception
    counts = stored(data_dir).counts()
    assert len(counts) == 46 and set(counts.values()) == {2}
    assert any("92" in block.value and "samples" in block.value for block in at.markdown)
    # The picker's count follows the auto-fill at once (it used to say "(0 so far)" until a reload).
    assert "2 samples of あ so far" in [caption.value for caption in at.caption]


def test_own_classes_with_a_duplicate_label_get_a_clear_message_and_change_nothing(data_dir):
    at = open_collect()
    at.radio(key="task_kind").set_value("My own classes").run()
    at.text_area(key="task_labels").input("circle\ncross\ncircle").run()
    button(at, "Create these classes").click().run()
    assert not at.exception
    assert any("different label" in error.value for error in at.error)
    assert stored(data_dir).classes() == []


def test_own_classes_with_emoji_and_path_like_labels_are_fine(data_dir):
    at = open_collect()
    at.radio(key="task_kind").set_value("My own classes").run()
    at.text_area(key="task_labels").input("🙂\n../../etc\nα").run()
    button(at, "Create these classes").click().run()
    assert not at.exception
    assert stored(data_dir).classes() == ["🙂", "../../etc", "α"]
    assert at.selectbox(key="collect_label").value == "🙂"


def test_a_refresh_finds_the_workspace_from_the_url(data_dir):
    workspace = stored(data_dir, "kept")
    workspace.start_task(["a", "b"])
    at = open_collect("kept")
    assert any("Your own classes (2)" in block.value for block in at.markdown)
    assert at.query_params["workspace"] in ("kept", ["kept"])


def test_an_invalid_workspace_name_in_the_url_starts_a_new_workspace(data_dir):
    at = open_collect("../../etc/passwd")
    name = at.session_state["workspace"]
    assert name.startswith("ws-")
    assert not (data_dir / "etc").exists()


def test_a_corrupt_database_is_reported_and_the_page_keeps_working_in_memory(data_dir):
    garbage = b"not a database" * 200
    (data_dir / "workspaces.sqlite3").write_bytes(garbage)
    at = open_collect()
    assert any("cannot be saved" in warning.value for warning in at.warning)
    button(at, "Use this set").click().run()
    assert not at.exception
    assert any("Hiragana (46)" in block.value for block in at.markdown)
    assert (data_dir / "workspaces.sqlite3").read_bytes() == garbage


@pytest.mark.parametrize(
    "label, message",
    [("   ", "cannot be empty"), (" same ", "already a class")],
)
def test_bad_class_labels_get_a_message_and_change_nothing(data_dir, label, message):
    workspace = stored(data_dir)
    workspace.start_task(["same", "other"])
    at = open_collect()
    at.text_input(key="new_class").input(label).run()
    button(at, "Add class").click().run()
    assert not at.exception
    assert any(message in error.value for error in at.error), [e.value for e in at.error]
    assert stored(data_dir).classes() == ["same", "other"]
