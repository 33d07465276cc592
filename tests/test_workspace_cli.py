"""`python -m tl_core workspace ...` on the app's own storage: what a teacher types, and what comes back.

Each test runs twice: on the SQLite file under TL_DATA_DIR, and on a real PostgreSQL named by TL_DATABASE_URL.
"""

import io
import json
import os
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from tl_core.__main__ import main
from tl_core.data.png import encode_png
from tl_core.storage.workspace import WorkspaceStore

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def command(capsys, *argv):
    status = main(["workspace", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def database(request, data_dir, monkeypatch):
    """Every command runs on the SQLite file under TL_DATA_DIR, then on PostgreSQL through TL_DATABASE_URL."""
    monkeypatch.delenv("TL_DATABASE_URL", raising=False)
    if request.param == "postgresql":
        monkeypatch.setenv("TL_DATABASE_URL", request.getfixturevalue("postgres_url"))
    return request.param


def store(data_dir):
    """The command's own store: TL_DATABASE_URL if set, else the SQLite file under `data_dir` (TL_DATA_DIR)."""
    return WorkspaceStore()


def test_fill_then_show_as_json_lists_every_class_with_its_count(data_dir, capsys):
    status, out, _ = command(capsys, "fill", "class-7b", "--charset", "kanji-numerals", "--per-class", "2")
    assert status == 0 and "Added 20 rendered samples" in out

    status, out, _ = command(capsys, "show", "class-7b", "--json")

    assert status == 0
    shown = json.loads(out)
    assert shown["name"] == "class-7b" and shown["samples"] == 20
    assert shown["classes"][0] == {"label": "一", "count": 2} and len(shown["classes"]) == 10
    assert shown == {
        "name": "class-7b",
        "samples": 20,
        "classes": [
            {"label": label, "count": count} for label, count in store(data_dir).workspace("class-7b").counts().items()
        ],
    }


def test_list_shows_every_workspace_and_json_has_its_numbers(data_dir, capsys):
    command(capsys, "fill", "a-class", "--charset", "kanji-numerals", "--per-class", "1")
    store(data_dir).workspace("empty-one")
    status, out, _ = command(capsys, "list", "--json")
    assert status == 0
    listed = {item["name"]: item for item in json.loads(out)}
    assert listed["a-class"]["samples"] == 10 and listed["a-class"]["classes"] == 10
    assert listed["empty-one"]["samples"] == 0
    status, out, _ = command(capsys, "list")
    assert "a-class" in out and "empty-one" in out


def test_export_then_import_into_a_new_workspace_copies_every_sample(data_dir, tmp_path, capsys):
    command(capsys, "fill", "source", "--charset", "kanji-numerals", "--per-class", "2")
    archive = tmp_path / "source.zip"
    assert command(capsys, "export", "source", str(archive))[0] == 0

    status, out, err = command(capsys, "import", "copy", str(archive))

    assert status == 0 and err == ""
    assert out.count("\n") == 1 and "20 samples" in out
    assert store(data_dir).workspace("copy").counts() == store(data_dir).workspace("source").counts()


def _blank_drawing_zip():
    labels = "file,label,source,created\nsamples/000001.png,x,drawn,1.0\n"
    manifest = {"format": "tl-workspace", "version": 1, "charset": None, "classes": ["x"], "samples": 1}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("manifest.json", json.dumps(manifest))
        archive.writestr("labels.csv", labels)
        archive.writestr("samples/000001.png", encode_png(np.full((280, 280, 4), 255, np.uint8)))
    return buffer.getvalue()


@pytest.mark.parametrize("existing", [True, False], ids=["existing-workspace", "new-workspace"])
def test_a_rejected_import_exits_2_with_one_sentence_and_leaves_the_workspace_as_it_was(
    data_dir, tmp_path, capsys, existing
):
    if existing:
        command(capsys, "fill", "target", "--charset", "kanji-numerals", "--per-class", "1")
    before = store(data_dir).workspace("target").counts() if existing else None
    archive = tmp_path / "blank.zip"
    archive.write_bytes(_blank_drawing_zip())

    status, out, err = command(capsys, "import", "target", str(archive))

    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "blank" in err and "Traceback" not in err
    if existing:
        assert store(data_dir).workspace("target").counts() == before
    else:
        assert not store(data_dir).exists("target")  # not even an empty workspace left behind


def test_a_rejected_archive_through_the_real_command_has_no_traceback_and_returns_quickly(data_dir, tmp_path):
    archive = tmp_path / "not-a-zip.zip"
    archive.write_bytes(os.urandom(1024 * 1024))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "tl_core", "workspace", "import", "class-7b", str(archive)],
        cwd=REPO,
        env={**os.environ, "TL_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "That is not a zip file exported from this app."
    assert time.monotonic() - started < 30  # no TensorFlow import: the command is a few seconds at most


def test_delete_removes_one_workspace_and_says_so(data_dir, capsys):
    command(capsys, "fill", "gone", "--charset", "kanji-numerals", "--per-class", "1")
    command(capsys, "fill", "kept", "--charset", "kanji-numerals", "--per-class", "1")
    status, out, _ = command(capsys, "delete", "gone")
    assert status == 0 and "10 samples" in out
    assert [info.name for info in store(data_dir).list_workspaces()] == ["kept"]
    status, _, err = command(capsys, "delete", "gone")
    assert status == 2 and "no workspace named gone" in err


def test_purge_removes_only_workspaces_unused_for_longer(data_dir, capsys):
    workspaces = store(data_dir)
    workspaces.workspace("old")
    workspaces.workspace("new")
    then = time.time() - 45 * 86400
    with workspaces.connect(write=True) as connection:
        connection.execute("UPDATE workspaces SET created = ?, touched = ? WHERE name = 'old'", (then, then))
    status, out, _ = command(capsys, "list", "--older-than", "30")
    assert out.split()[0] == "old" and "new" not in out
    status, out, _ = command(capsys, "purge", "--older-than", "30")
    assert status == 0 and "Removed 1 workspace" in out and "old" in out
    assert [info.name for info in workspaces.list_workspaces()] == ["new"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["show", "a/../b"], "workspace name"),
        (["show", "missing"], "no workspace named missing"),
        (["fill", "w", "--charset", "klingon", "--per-class", "2"], "Unknown character set"),
        (["fill", "w", "--charset", "hiragana", "--per-class", "500"], "between 1 and 20"),
        (["import", "w", "/nonexistent/file.zip"], "Cannot read"),
        (["purge", "--older-than", "nan"], "0 or more"),
    ],
)
def test_bad_input_exits_2_with_a_sentence_and_creates_nothing(data_dir, capsys, argv, message):
    status, out, err = command(capsys, *argv)
    assert status == 2 and message in err and out == ""
    assert store(data_dir).list_workspaces() == []


def test_fill_refuses_to_mix_two_tasks_in_one_workspace(data_dir, capsys):
    command(capsys, "fill", "w", "--charset", "kanji-numerals", "--per-class", "1")
    status, _, err = command(capsys, "fill", "w", "--charset", "hiragana", "--per-class", "1")
    assert status == 2 and "another task" in err
    assert store(data_dir).workspace("w").sample_count() == 10
