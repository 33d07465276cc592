"""Workspaces persist every sample in SQLite and survive a fresh connection (a refresh, a restart)."""

import sqlite3

import numpy as np
import pytest

from tl_core.workspace import (
    WorkspaceError,
    WorkspaceStore,
    encode_png,
    validate_label,
    validate_workspace_name,
)


@pytest.fixture
def store(tmp_path):
    return WorkspaceStore(tmp_path / "workspaces.sqlite3")


def sample_image(seed):
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def drawing_png(seed):
    return encode_png(np.random.default_rng(seed).integers(0, 255, (30, 30, 4)).astype(np.uint8))


def test_round_trip_through_a_fresh_connection(store, tmp_path):
    workspace = store.workspace("class-7b")
    workspace.start_task(["←", "✓", "α", "a word"])
    first = workspace.add_sample("✓", sample_image(1), drawing_png(1), "drawn")
    workspace.add_samples(
        [("α", sample_image(2), drawing_png(2), "rendered"), ("←", sample_image(3), drawing_png(3), "drawn")]
    )

    reopened = WorkspaceStore(tmp_path / "workspaces.sqlite3").workspace("class-7b")
    assert reopened.classes() == ["←", "✓", "α", "a word"]
    assert reopened.counts() == {"←": 1, "✓": 1, "α": 1, "a word": 0}
    samples = {s.id: s for s in reopened.samples()}
    np.testing.assert_array_equal(samples[first].image, sample_image(1))
    assert samples[first].drawing_png == drawing_png(1) and samples[first].source == "drawn"
    assert samples[first].created > 0

    x, y, labels = reopened.arrays()
    assert x.shape == (3, 28, 28) and labels[y[0]] == "✓"


def test_database_uses_write_ahead_logging(store):
    with sqlite3.connect(store.path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_workspaces_are_separate(store):
    store.workspace("a").start_task(["x", "y"])
    store.workspace("b").start_task(["x", "z"])
    store.workspace("a").add_sample("x", sample_image(0), drawing_png(0))
    assert store.workspace("b").counts() == {"x": 0, "z": 0}


def test_delete_sample_and_remove_class(store):
    workspace = store.workspace("w")
    workspace.start_task(["a", "b"])
    ids = workspace.add_samples([("a", sample_image(i), drawing_png(i), "drawn") for i in range(3)])
    workspace.add_sample("b", sample_image(9), drawing_png(9))
    assert workspace.delete_sample(ids[1]) and not workspace.delete_sample(ids[1])
    assert workspace.counts() == {"a": 2, "b": 1}
    assert workspace.remove_class("a") == 2
    assert workspace.counts() == {"b": 1}


def test_a_failed_batch_adds_nothing(store):
    workspace = store.workspace("w")
    workspace.start_task(["a"])
    with pytest.raises(WorkspaceError, match="No class named"):
        workspace.add_samples(
            [("a", sample_image(0), drawing_png(0), "drawn"), ("nope", sample_image(1), b"", "drawn")]
        )
    with pytest.raises(WorkspaceError, match="finite 28 x 28"):
        workspace.add_sample("a", np.full((28, 28), np.nan, np.float32), drawing_png(0))
    assert workspace.counts() == {"a": 0}


def test_a_workspace_with_samples_keeps_its_task(store):
    workspace = store.workspace("w")
    workspace.start_task(["a"], charset=None)
    workspace.add_sample("a", sample_image(0), drawing_png(0))
    with pytest.raises(WorkspaceError, match="start a new workspace"):
        workspace.start_task(["b"])
    assert workspace.classes() == ["a"]


@pytest.mark.parametrize(
    "label, message", [("", "empty"), ("   ", "empty"), ("x" * 33, "at most"), ("a\x00b", "control")]
)
def test_bad_labels_are_rejected_with_a_message(label, message):
    with pytest.raises(WorkspaceError, match=message):
        validate_label(label)


@pytest.mark.parametrize("label", ["🙂", "../../etc/passwd", "C:\\windows", "日本", "  padded  "])
def test_any_written_label_is_fine_because_labels_never_touch_the_disk(label, store):
    workspace = store.workspace("w")
    workspace.start_task([label])
    assert workspace.classes() == [label.strip()]


def test_duplicate_labels_are_rejected(store):
    workspace = store.workspace("w")
    with pytest.raises(WorkspaceError, match="different label"):
        workspace.start_task(["a", "b", "a"])
    workspace.start_task(["a"])
    with pytest.raises(WorkspaceError, match="already a class"):
        workspace.add_class(" a ")


@pytest.mark.parametrize("name", ["", "../x", "a/b", "x" * 41, "-lead", "sp ace", "naïve", "a\n", "ws-1\n"])
def test_workspace_names_are_url_safe_and_never_paths(name):
    with pytest.raises(WorkspaceError):
        validate_workspace_name(name)


def test_a_corrupt_database_file_is_left_untouched_and_the_app_works_in_memory(tmp_path):
    path = tmp_path / "workspaces.sqlite3"
    garbage = b"this is not a database, but someone's precious file" * 100
    path.write_bytes(garbage)
    store = WorkspaceStore.open_or_memory(path)
    assert store.problem and "cannot be saved" in store.problem
    workspace = store.workspace("w")
    workspace.start_task(["a", "b"])
    workspace.add_sample("a", sample_image(0), drawing_png(0))
    assert store.workspace("w").counts() == {"a": 1, "b": 0}  # memory keeps it across connections
    assert path.read_bytes() == garbage


def test_an_unusable_data_directory_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    store = WorkspaceStore.open_or_memory(blocker / "workspaces.sqlite3")
    assert store.problem
    store.workspace("w").start_task(["x", "y"])
    assert store.workspace("w").classes() == ["x", "y"]
    assert blocker.read_text() == "a file where the data directory should be"


def test_two_memory_stores_do_not_share_samples(tmp_path):
    (tmp_path / "bad.sqlite3").write_bytes(b"garbage" * 100)
    first = WorkspaceStore.open_or_memory(tmp_path / "bad.sqlite3")
    second = WorkspaceStore.open_or_memory(tmp_path / "bad.sqlite3")
    first.workspace("w").start_task(["only-in-first", "b"])
    assert second.workspace("w").classes() == []


def test_generated_workspace_names_carry_96_random_bits_and_are_valid():
    from ui.workspace import new_workspace_name

    names = {new_workspace_name() for _ in range(2000)}
    assert len(names) == 2000
    for name in list(names)[:200]:
        assert validate_workspace_name(name) == name
        assert len(name) == len("ws-") + 16  # 16 base64 characters: 96 bits
