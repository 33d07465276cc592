"""AppTest of the collect page: choose a task, auto-fill, bad labels, and state kept in the workspace."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.confined import run_confined
from tl_core.storage.workspace import WorkspaceStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def open_collect(workspace="apptest"):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workspace"] = workspace
    at.switch_page("pages/collect.py").run()
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


def test_an_invalid_workspace_name_in_the_url_starts_a_new_workspace(tmp_path, monkeypatch):
    """`?workspace=../../etc/passwd` is refused before anything is stored or written: the tab gets a new workspace,
    the address says so, and nothing appears where the name points from the data directory, or anywhere else."""
    data_dir = tmp_path / "srv" / "app" / "data"  # deep enough that ../../ from it stays inside this test's folder
    data_dir.mkdir(parents=True)
    monkeypatch.setenv("TL_DATA_DIR", str(data_dir))
    asked = "../../etc/passwd"
    where_it_points = tmp_path / "srv" / "etc" / "passwd"
    assert (data_dir / asked).resolve() == where_it_points.resolve()

    at = open_collect(asked)
    name = at.session_state["workspace"]
    assert name.startswith("ws-") and at.query_params["workspace"] in (name, [name])
    assert any("is not a valid workspace name" in toast.value for toast in at.toast)
    stored_names = [info.name for info in WorkspaceStore(data_dir / "workspaces.sqlite3").list_workspaces()]
    assert stored_names == [name]  # the asked-for name was never stored, not even as an empty workspace
    assert not where_it_points.parent.exists()
    outside = [
        path for path in tmp_path.rglob("*") if path not in data_dir.parents and data_dir not in (path, *path.parents)
    ]
    assert outside == []  # everything the app wrote is inside its data directory


def test_a_corrupt_database_is_reported_and_the_page_keeps_working_in_memory(data_dir):
    garbage = b"not a database" * 200
    (data_dir / "workspaces.sqlite3").write_bytes(garbage)
    at = open_collect()
    warnings = [warning.value for warning in at.warning]
    assert any("database file is damaged" in warning for warning in warnings)
    assert not any(str(data_dir) in warning for warning in warnings)  # no server path for every user to see
    button(at, "Use this set").click().run()
    assert not at.exception
    assert any("Hiragana (46)" in block.value for block in at.markdown)
    assert (data_dir / "workspaces.sqlite3").read_bytes() == garbage


def test_with_a_database_url_the_page_keeps_its_workspace_in_postgresql(data_dir, postgres_url, monkeypatch):
    monkeypatch.setenv("TL_DATABASE_URL", postgres_url)
    at = open_collect()
    at.radio(key="task_kind").set_value("My own classes").run()
    at.text_area(key="task_labels").input("circle\ncross").run()
    button(at, "Create these classes").click().run()
    assert not at.exception and not at.warning
    assert WorkspaceStore(postgres_url).workspace("apptest").classes() == ["circle", "cross"]
    assert not (data_dir / "workspaces.sqlite3").exists()  # the SQLite file is not used at all


def test_a_database_server_that_cannot_be_reached_is_reported_and_the_page_keeps_working(
    data_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("TL_DATABASE_URL", f"postgresql://app:hunter2@/school?host={tmp_path}/gone&port=5")
    at = open_collect()
    warnings = [warning.value for warning in at.warning]
    assert any("cannot reach its database server" in warning for warning in warnings)
    assert not any("hunter2" in warning or "postgresql" in warning for warning in warnings)
    button(at, "Use this set").click().run()
    assert not at.exception
    assert any("Hiragana (46)" in block.value for block in at.markdown)


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


def test_adding_a_class_empties_the_field_and_a_refused_one_keeps_it(data_dir):
    stored(data_dir).start_task(["same", "other"])
    at = open_collect()
    at.text_input(key="new_class").input("third").run()
    button(at, "Add class").click().run()
    assert stored(data_dir).classes() == ["same", "other", "third"]
    assert at.text_input(key="new_class").value == ""  # ready for the next one
    at.text_input(key="new_class").input("cat\u200b").run()
    button(at, "Add class").click().run()
    assert any("invisible" in error.value for error in at.error)
    assert at.text_input(key="new_class").value == "cat\u200b"  # kept, to be corrected


def test_a_full_disk_while_auto_filling_shows_a_message_and_stores_nothing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    result = run_confined(
        "import json, os, sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "from tl_core.storage.workspace import WorkspaceStore\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=120)\n"
        "at.query_params['workspace'] = 'full-disk'\n"
        "at.switch_page('pages/collect.py').run()\n"
        "next(b for b in at.button if b.label == 'Use this set').click().run()\n"
        "disk = os.statvfs(os.environ['TL_DATA_DIR'])\n"
        "with open(os.path.join(os.environ['TL_DATA_DIR'], 'filler'), 'wb') as filler:\n"
        "    filler.write(b'x' * (disk.f_bavail * disk.f_frsize - 160 * 1024))  # room to read, not for 920 samples\n"
        "at.number_input(key='autofill_k').set_value(20).run()\n"
        "next(b for b in at.button if b.label == 'Auto-fill 20 per class').click().run()\n"
        "store = WorkspaceStore(os.path.join(os.environ['TL_DATA_DIR'], 'workspaces.sqlite3'))\n"
        "print(json.dumps({'exception': [str(e.value) for e in at.exception], 'errors': [e.value for e in at.error],"
        " 'samples': sum(store.workspace('full-disk').counts().values())}), flush=True)\n"
        "os._exit(0)  # the app's background TensorFlow import may still be running\n",
        small_disk=(data, 1024),
        env={"TL_DATA_DIR": str(data)},
    )

    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["exception"] == []
    assert any(error.startswith("That was not saved") for error in seen["errors"]), seen["errors"]
    assert seen["samples"] == 0  # all or nothing: the auto-fill was one transaction
