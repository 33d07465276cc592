"""Workspaces persist every sample and survive a fresh connection (a refresh, a restart).

Every test with a `store` runs twice: on the SQLite file and on a real PostgreSQL (tests/postgres.py). Tests about
the SQLite file itself (damaged, read-only, full disk, WAL, temporary fallback, upgrades) are SQLite only: they
open their own file, and their section says so.
"""

import json
import pickle
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tl_core.storage.contents as contents_module
import tl_core.storage.workspace as workspace_module
from tests.confined import run_confined
from tl_core.data.png import encode_png
from tl_core.storage.workspace import (
    DAMAGED,
    READ_ONLY,
    UNUSABLE,
    StorageError,
    WorkspaceError,
    WorkspaceStore,
    retention_days,
    validate_label,
    validate_workspace_name,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(store_location):
    """A store on SQLite, then on PostgreSQL (`store_location` is parametrized)."""
    opened = WorkspaceStore(store_location)
    yield opened
    opened.close()


def sample_image(seed):
    return np.random.default_rng(seed).random((28, 28), dtype=np.float32)


def drawing_png(seed):
    return encode_png(np.random.default_rng(seed).integers(0, 255, (30, 30, 4)).astype(np.uint8))


def test_round_trip_through_a_fresh_connection(store, store_location):
    workspace = store.workspace("class-7b")
    workspace.start_task(["←", "✓", "α", "a word"])
    first = workspace.add_sample("✓", sample_image(1), drawing_png(1), "drawn")
    workspace.add_samples(
        [("α", sample_image(2), drawing_png(2), "rendered"), ("←", sample_image(3), drawing_png(3), "drawn")]
    )

    reopened = WorkspaceStore(store_location).workspace("class-7b")  # another server process, say
    assert reopened.classes() == ["←", "✓", "α", "a word"]
    assert reopened.counts() == {"←": 1, "✓": 1, "α": 1, "a word": 0}
    samples = {s.id: s for s in reopened.samples()}
    np.testing.assert_array_equal(samples[first].image, sample_image(1))
    assert samples[first].drawing_png == drawing_png(1) and samples[first].source == "drawn"
    assert samples[first].created > 0

    x, y, labels = reopened.arrays()
    assert x.shape == (3, 28, 28) and labels[y[0]] == "✓"


def test_sqlite_database_uses_write_ahead_logging(tmp_path):  # SQLite only: the file's journal
    store = WorkspaceStore(tmp_path / "workspaces.sqlite3")
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
    assert store.problem == DAMAGED and str(path) not in store.problem  # the path goes to the log only
    workspace = store.workspace("w")
    workspace.start_task(["a", "b"])
    workspace.add_sample("a", sample_image(0), drawing_png(0))
    assert store.workspace("w").counts() == {"a": 1, "b": 0}  # memory keeps it across connections
    assert path.read_bytes() == garbage


def test_an_unusable_data_directory_falls_back_to_memory(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the data directory should be")
    store = WorkspaceStore.open_or_memory(blocker / "workspaces.sqlite3")
    assert store.problem == UNUSABLE
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
    from tl_core.storage.workspace import new_workspace_name

    names = {new_workspace_name() for _ in range(2000)}
    assert len(names) == 2000
    for name in list(names)[:200]:
        assert validate_workspace_name(name) == name
        assert len(name) == len("ws-") + 16  # 16 base64 characters: 96 bits


# --- when the SQLite file cannot be used as it should (SQLite only; PostgreSQL: test_workspace_postgres.py)
def test_the_fallback_store_holds_eight_concurrent_writers_without_errors(tmp_path):
    (tmp_path / "workspaces.sqlite3").write_bytes(b"not a database" * 100)
    store = WorkspaceStore.open_or_memory(tmp_path / "workspaces.sqlite3")
    assert store.problem == DAMAGED
    errors = []

    def student(number):
        try:
            workspace = store.workspace(f"student-{number}")
            workspace.start_task(["a", "b"])
            for round in range(15):
                workspace.add_sample("a", sample_image(round), drawing_png(round))
                workspace.counts()
        except Exception as error:  # the shared-cache memory database gave "database table is locked"
            errors.append(error)

    threads = [threading.Thread(target=student, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [store.workspace(f"student-{n}").counts()["a"] for n in range(8)] == [15] * 8


def _damage_pages(path):
    """Overwrite the middle of a real database with noise, keeping its 100-byte header valid."""
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    noise = np.random.default_rng(0).integers(0, 256, len(data) - 2 * page_size, dtype=np.uint8).tobytes()
    data[2 * page_size :] = noise  # pages 3.. (tables and indexes); page 1 with the header and schema intact
    path.write_bytes(bytes(data))


def test_a_database_with_a_valid_header_and_damaged_pages_is_reported_and_left_untouched(tmp_path):
    path = tmp_path / "workspaces.sqlite3"
    store = WorkspaceStore(path)
    workspace = store.workspace("w")
    workspace.start_task(["a", "b"])
    workspace.add_samples([("a", sample_image(n), drawing_png(n), "drawn") for n in range(40)])
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    _damage_pages(path)
    damaged = path.read_bytes()
    assert damaged[:16] == b"SQLite format 3\x00"

    reopened = WorkspaceStore.open_or_memory(path)

    assert reopened.problem == DAMAGED
    reopened.workspace("w").start_task(["x"])  # the app keeps working, on a temporary database
    assert reopened.workspace("w").classes() == ["x"]
    assert path.read_bytes() == damaged


def test_a_read_only_data_directory_shows_the_saved_samples_and_says_new_work_is_not_kept(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    store = WorkspaceStore(data / "workspaces.sqlite3")
    workspace = store.workspace("class-7b")
    workspace.start_task(["a", "b"])
    workspace.add_samples([("a", sample_image(n), drawing_png(n), "drawn") for n in range(3)])
    del store, workspace
    before = (data / "workspaces.sqlite3").read_bytes()

    result = run_confined(
        "import json, numpy as np\n"
        "from tl_core.storage.workspace import WorkspaceStore\n"
        f"store = WorkspaceStore.open_or_memory({str(data / 'workspaces.sqlite3')!r})\n"
        "workspace = store.workspace('class-7b')\n"
        "saved = workspace.counts()\n"
        "workspace.add_sample('b', np.zeros((28, 28), np.float32), b'png')\n"
        "print(json.dumps({'problem': store.problem, 'saved': saved, 'now': workspace.counts()}))\n",
        read_only=data,
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen == {"problem": READ_ONLY, "saved": {"a": 3, "b": 0}, "now": {"a": 3, "b": 1}}
    assert (data / "workspaces.sqlite3").read_bytes() == before


def test_a_full_disk_gives_a_plain_message_and_the_sample_is_not_stored(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    result = run_confined(
        "import json, os, numpy as np\n"
        "from tl_core.storage.workspace import StorageError, WorkspaceStore\n"
        "store = WorkspaceStore('/data/workspaces.sqlite3'.replace('/data', os.environ['DATA']))\n"
        "workspace = store.workspace('w')\n"
        "workspace.start_task(['a'])\n"
        "workspace.add_sample('a', np.zeros((28, 28), np.float32), b'small')\n"
        "with open(os.path.join(os.environ['DATA'], 'filler'), 'wb', buffering=0) as filler:\n"
        "    try:\n"
        "        while True:\n"
        "            filler.write(b'x' * 4096)\n"
        "    except OSError:\n"
        "        pass  # the disk is full\n"
        "try:\n"
        "    workspace.add_sample('a', np.ones((28, 28), np.float32), os.urandom(200_000))\n"
        "    message = None\n"
        "except StorageError as error:\n"
        "    message = str(error)\n"
        "os.remove(os.path.join(os.environ['DATA'], 'filler'))\n"
        "after = workspace.counts()\n"
        "workspace.add_sample('a', np.ones((28, 28), np.float32), b'fits again')\n"
        "print(json.dumps({'message': message, 'after': after, 'later': workspace.counts()}))\n",
        small_disk=(data, 512),
        env={"DATA": str(data)},
    )

    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert seen["message"] and seen["message"].startswith("That was not saved")
    assert str(data) not in seen["message"] and "Error" not in seen["message"]
    assert seen["after"] == {"a": 1}  # the sample being added was clearly not stored
    assert seen["later"] == {"a": 2}  # and the store works again once there is room
    assert "disk" in result.stderr.lower()  # the details went to the server log


def test_a_storage_failure_is_a_workspace_error_a_page_can_show():
    assert issubclass(StorageError, WorkspaceError)


# --- names, retention and sharing ----------------------------------------------------------------------------
def test_a_new_workspace_never_opens_an_existing_one_under_a_freshly_drawn_name(store, monkeypatch):
    taken = store.workspace("ws-taken")
    taken.start_task(["mine"])
    taken.add_sample("mine", sample_image(0), drawing_png(0))
    draws = iter(["ws-taken", "ws-fresh"])
    monkeypatch.setattr(workspace_module, "new_workspace_name", lambda: next(draws))

    fresh = store.new_workspace()

    assert fresh.name == "ws-fresh" and fresh.classes() == []
    assert store.workspace("ws-taken").counts() == {"mine": 1}


def _age(store, name, days):
    with store.connect(write=True) as connection:
        then = time.time() - days * 86400
        connection.execute("UPDATE workspaces SET created = ?, touched = ? WHERE name = ?", (then, then, name))


def _count(store, table):
    with store.connect() as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_workspaces_unused_longer_than_the_retention_period_are_listed_and_purged(store):
    for name in ("old", "recent"):
        workspace = store.workspace(name)
        workspace.start_task(["a"])
        workspace.add_sample("a", sample_image(0), drawing_png(0))
        workspace.save_run("comparison", {"n": 1}, {"transfer": name.encode() * 100, "scratch": b"s" * 100})
    _age(store, "old", 31)
    _age(store, "recent", 29)

    assert [info.name for info in store.list_workspaces(older_than_days=30)] == ["old"]
    assert store.list_workspaces()[0].samples == 1 and store.list_workspaces()[0].runs == 1
    assert store.purge(30) == ["old"]

    assert [info.name for info in store.list_workspaces()] == ["recent"]
    assert _count(store, "samples") == 1 and _count(store, "runs") == 1
    assert _count(store, "model_blobs") == 2  # old's transfer gone


def test_opening_a_workspace_marks_it_used_so_retention_keeps_it(store):
    store.workspace("w").start_task(["a"])
    _age(store, "w", 40)
    store.workspace("w")  # a page visit
    assert store.purge(30) == []


def test_the_app_applies_retention_from_the_environment_once_a_day(store, store_location, monkeypatch):
    store.workspace("stale")
    _age(store, "stale", 10)
    monkeypatch.setenv("TL_RETENTION_DAYS", "7")
    assert store.apply_retention() == ["stale"]
    store.workspace("stale-again")
    _age(store, "stale-again", 10)
    assert store.apply_retention() == []  # not again within a day
    monkeypatch.setenv("TL_RETENTION_DAYS", "0")
    fresh = WorkspaceStore(store_location)
    assert fresh.apply_retention() == []  # 0 keeps everything
    assert retention_days() == 0
    monkeypatch.setenv("TL_RETENTION_DAYS", "soon")
    assert retention_days() == 30


def test_a_shared_lesson_run_keeps_its_models_once_for_thirty_owners(store):
    models = {"transfer": np.random.default_rng(1).bytes(300_000), "scratch": np.random.default_rng(2).bytes(300_000)}
    run_ids = {}
    for student in range(30):
        run_ids[student] = store.workspace(f"student-{student}").save_run("lesson", {"accuracy": 0.9}, models)
    store.workspace("other").save_run("lesson", {}, {"transfer": b"another model"})

    assert _count(store, "model_blobs") == 3
    if store.path is not None:  # the SQLite file: one copy of each model, not thirty, and nothing hidden elsewhere
        with sqlite3.connect(store.path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert store.path.stat().st_size < 3 * 600_000
    for student, run_id in run_ids.items():
        assert store.workspace(f"student-{student}").run_models(run_id) == models
    assert store.delete_workspace("student-0")
    assert store.workspace("student-1").run_models(run_ids[1]) == models  # still shared by the others


def test_a_sqlite_database_from_before_shared_models_still_opens_with_its_runs(tmp_path):  # SQLite only
    path = tmp_path / "workspaces.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE workspaces (name TEXT PRIMARY KEY, charset TEXT, created REAL NOT NULL);"
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, workspace TEXT NOT NULL, kind TEXT NOT NULL,"
            " created REAL NOT NULL, summary TEXT NOT NULL, transfer_model BLOB, scratch_model BLOB);"
        )
        connection.execute("INSERT INTO workspaces VALUES ('w', NULL, 1.0)")
        connection.execute("INSERT INTO runs VALUES (1, 'w', 'comparison', 1.0, '{}', x'0102', x'0304')")
    store = WorkspaceStore(path)
    assert store.workspace("w").run_models(1) == {"transfer": b"\x01\x02", "scratch": b"\x03\x04"}
    assert store.purge(30) == []  # created long ago, but its use was never recorded: kept a full period


# --- labels that look alike ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "label",
    [
        "cat\u200b",
        "cat\u2060",
        "c\u200dat",
        "\u202eabc",
        "ab\u2066c",
        "\ufeffcat",
        "cat\u00ad",
        "cat\u034f",
        "cat\ufe0f",
        "\u3164",
        "\u2800",
        "x\U000e0041",
    ],
    ids=[
        "zero-width-space",
        "word-joiner",
        "zwj-in-text",
        "rtl-override",
        "isolate",
        "bom",
        "soft-hyphen",
        "grapheme-joiner",
        "variation-selector-on-text",
        "hangul-filler",
        "blank-braille",
        "tag",
    ],
)
def test_labels_with_invisible_formatting_characters_are_rejected(label):
    with pytest.raises(WorkspaceError, match="invisible"):
        validate_label(label)


def test_labels_are_normalised_so_composed_and_decomposed_accents_are_one_class(store):
    workspace = store.workspace("w")
    workspace.start_task(["caf\u00e9"])
    with pytest.raises(WorkspaceError, match="already"):
        workspace.add_class("cafe\u0301")


def test_emoji_sequences_joined_by_zero_width_joiners_stay_valid_labels():
    assert validate_label("👩‍💻") == "👩‍💻" and validate_label("❤️‍🔥") == "❤️‍🔥" and validate_label("❤️") == "❤️"


def test_a_line_break_inside_a_label_is_refused():
    with pytest.raises(WorkspaceError, match="line breaks"):
        validate_label("a\u2028b")


def test_a_bad_label_among_many_is_named_by_its_place_and_quoted_as_typed(store):
    workspace = store.workspace("w")
    with pytest.raises(WorkspaceError, match="Class 3: .*invisible"):
        workspace.start_task(["a", "b", "c\u200b"])
    workspace.start_task(["it's", "a\\b"])
    with pytest.raises(WorkspaceError, match=r"already a class “a\\b”"):
        workspace.add_class("a\\b")


# --- both databases: what comes back, concurrent writers, pickling --------------------------------------------
def test_ids_come_back_as_ints_blobs_as_bytes_and_times_as_floats(store):
    workspace = store.workspace("w")
    workspace.start_task(["a"])
    sample_id = workspace.add_sample("a", sample_image(0), drawing_png(0))
    run_id = workspace.save_run("comparison", {"n": 1}, {"transfer": b"\x00model"})
    correction_id = workspace.add_correction("compact-gap", 3, sample_image(1), drawing_png(1))
    (sample,) = workspace.samples()
    (correction,) = workspace.corrections("compact-gap")
    (info,) = store.list_workspaces()
    assert [type(value) for value in (sample_id, run_id, correction_id, sample.id, correction.digit)] == [int] * 5
    assert type(sample.drawing_png) is bytes and workspace.run_models(run_id) == {"transfer": b"\x00model"}
    assert type(sample.created) is float and abs(sample.created - time.time()) < 60  # to the second, not minutes
    assert [type(value) for value in (info.created, info.last_used)] == [float, float]
    assert [type(value) for value in (info.classes, info.samples, info.runs)] == [int, int, int]
    np.testing.assert_array_equal(sample.image, sample_image(0))


def _at_once(calls, threads=8):
    """Run every call on `threads` threads released together; the results, and every exception, in order."""
    start, results = threading.Barrier(threads), [None] * len(calls)

    def worker(offset):
        start.wait()
        for index in range(offset, len(calls), threads):
            try:
                results[index] = calls[index]()
            except Exception as error:
                results[index] = error

    workers = [threading.Thread(target=worker, args=(offset,)) for offset in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return results


def test_concurrent_writers_never_take_a_workspace_past_its_sample_limit(store, monkeypatch):
    monkeypatch.setattr(contents_module, "MAX_SAMPLES", 20)
    workspace = store.workspace("w")
    workspace.start_task(["a"])
    batch = [("a", sample_image(0), drawing_png(0), "drawn")] * 3

    results = _at_once([lambda: workspace.add_samples(batch)] * 48)  # eight at a time all read "0 samples" first

    refused = [result for result in results if isinstance(result, Exception)]
    assert {str(error) for error in refused} == {"A workspace holds at most 20 samples."}
    assert len(results) - len(refused) == 6 and workspace.sample_count() == 18  # a seventh batch would make 21


def test_concurrent_new_classes_get_distinct_places_and_never_pass_the_class_limit(store, monkeypatch):
    monkeypatch.setattr(contents_module, "MAX_CLASSES", 30)
    workspace = store.workspace("w")
    workspace.start_task(["first"])

    results = _at_once([lambda label=f"c{n:02d}": workspace.add_class(label) for n in range(40)])

    assert sum(isinstance(result, str) for result in results) == 29
    assert {str(result) for result in results if isinstance(result, Exception)} == {
        "A workspace has at most 30 classes."
    }
    with store.connect() as connection:
        places = [place for (place,) in connection.execute("SELECT position FROM classes WHERE workspace = 'w'")]
    assert sorted(places) == list(range(30))
    assert workspace.classes()[0] == "first" and len(workspace.classes()) == 30


def test_a_run_saved_while_another_workspace_deletes_its_runs_keeps_the_models_they_shared(store):
    models = {"transfer": b"shared transfer" * 1000, "scratch": b"shared scratch" * 1000}

    def save_check_and_delete(name):
        workspace = store.workspace(name)
        run_id = workspace.save_run("lesson", {"lesson_key": "k"}, models)  # the models may be only the other's
        kept = workspace.run_models(run_id) == models  # ... which its delete_runs must not drop under this run
        workspace.delete_runs("lesson", "lesson_key", "k")
        return kept

    # one workspace per thread (_at_once gives call n to thread n % 8): only the others share its models
    results = _at_once([lambda name=f"student-{n % 8}": save_check_and_delete(name) for n in range(160)])

    assert results == [True] * 160
    assert _count(store, "model_blobs") == 0  # and the last delete dropped them


def test_a_pickled_workspace_reads_the_same_samples_after_unpickling(store):
    workspace = store.workspace("w")
    workspace.start_task(["a", "b"])
    workspace.add_samples([("b", sample_image(n), drawing_png(n), "drawn") for n in range(3)])

    copy = pickle.loads(pickle.dumps(workspace))

    assert copy.name == "w" and copy.store is not store
    assert [(s.id, s.drawing_png) for s in copy.samples()] == [(s.id, s.drawing_png) for s in workspace.samples()]
    copy.add_sample("a", sample_image(9), drawing_png(9))
    assert workspace.counts() == {"a": 1, "b": 3}  # one database, whichever object wrote
    assert pickle.loads(pickle.dumps(workspace)).store is copy.store  # a process reopens a location once


def test_a_pickled_workspace_is_reopened_by_another_process(store):
    workspace = store.workspace("w")
    workspace.start_task(["a"])
    workspace.add_sample("a", sample_image(1), drawing_png(1))
    script = (
        "import pickle, sys\n"
        "workspace = pickle.loads(sys.stdin.buffer.read())\n"
        "workspace.add_sample('a', workspace.samples()[0].image, b'from a trainer')\n"
        "print(workspace.counts()['a'])\n"
    )

    result = subprocess.run(
        [sys.executable, "-c", script], input=pickle.dumps(workspace), capture_output=True, timeout=60, cwd=REPO
    )

    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip() == "2" and workspace.samples()[1].drawing_png == b"from a trainer"


def test_a_temporary_store_refuses_to_be_pickled_because_no_other_process_can_open_it(tmp_path):
    (tmp_path / "workspaces.sqlite3").write_bytes(b"not a database" * 100)
    store = WorkspaceStore.open_or_memory(tmp_path / "workspaces.sqlite3")
    with pytest.raises(pickle.PicklingError, match="temporary database"):
        pickle.dumps(store.workspace("w"))
