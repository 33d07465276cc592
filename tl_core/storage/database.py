"""The SQLite file that holds every workspace (WAL), its tables, and what can go wrong with it.

Everything is in `$TL_DATA_DIR/workspaces.sqlite3`, so a refresh, a reconnect or a server restart finds every
sample again. Connections are opened per operation: Streamlit runs each session on its own thread, and a sqlite3
connection must not be shared between threads.

What can go wrong with the file is handled here, once, so every page behaves the same:
- a damaged file (fails `PRAGMA quick_check`), a file that is not a database, or a data directory that cannot
  be used: the app works on a temporary database and says nothing will be kept; the file is never touched;
- a read-only data directory: its workspaces are copied into the temporary database, so they stay visible,
  and the page says new work will not be saved;
- a failing disk (full, I/O error) during an operation: the operation's transaction is rolled back and a
  `StorageError` with a plain sentence reaches the page; the details go to the server log.

`Database` is the file and its connections; `postgres` is the same for a PostgreSQL server (with this module's
schema and failure sentences); `WorkspaceStore` (in `workspace`) chooses one and adds what is done with whole
workspaces. Storage code writes its SQL once, for both: `?` placeholders, `ON CONFLICT DO NOTHING`, `RETURNING id`,
and `json_field_is` where the two differ.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol, Self

from tl_core.data.mnist import data_dir
from tl_core.storage.errors import DAMAGED, READ_ONLY, UNUSABLE, StorageError, log, storage_failure

DB_FILE = "workspaces.sqlite3"


# The tables, declared once: `postgres` maps these SQLite types to its own.
SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    name TEXT PRIMARY KEY,
    charset TEXT,                 -- built-in set name, or NULL for custom classes
    created REAL NOT NULL,
    touched REAL                  -- last used (to the hour), for retention; NULL = never since created
);
CREATE TABLE IF NOT EXISTS classes (
    workspace TEXT NOT NULL REFERENCES workspaces(name) ON DELETE CASCADE,
    label TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (workspace, label)
);
CREATE TABLE IF NOT EXISTS samples (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL,
    label TEXT NOT NULL,
    source TEXT NOT NULL,
    created REAL NOT NULL,
    input BLOB NOT NULL,          -- (28, 28) float32, C order
    drawing_png BLOB NOT NULL,
    FOREIGN KEY (workspace, label) REFERENCES classes(workspace, label) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS samples_by_class ON samples(workspace, label);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL REFERENCES workspaces(name) ON DELETE CASCADE,
    kind TEXT NOT NULL,           -- 'comparison', 'sweep', 'lesson' or 'lesson-sweep'
    created REAL NOT NULL,
    summary TEXT NOT NULL,        -- JSON: settings, curves, confusion matrices
    transfer_model BLOB,          -- older databases: .keras bytes kept with the run itself
    scratch_model BLOB,
    transfer_sha TEXT,            -- the model in model_blobs (a shared lesson run's models are stored once)
    scratch_sha TEXT
);
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace TEXT NOT NULL REFERENCES workspaces(name) ON DELETE CASCADE,
    model TEXT NOT NULL,          -- the zoo model that misread the drawing
    digit INTEGER NOT NULL CHECK (digit BETWEEN 0 AND 9),  -- what the user says it is
    created REAL NOT NULL,
    input BLOB NOT NULL,          -- (28, 28) float32, C order
    drawing_png BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS school_classes (  -- a teacher's class of students (tl_core.storage.school_classes)
    code TEXT PRIMARY KEY,        -- short and unguessable: the link students open carries it
    name TEXT NOT NULL,
    teacher TEXT NOT NULL,        -- the workspace that created it: only that workspace moderates
    created REAL NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0,  -- 1: no new students may join
    ended REAL,                   -- when the teacher ended it (NULL: running)
    final_rows TEXT               -- JSON: the class's results as they were when it ended, kept for download
);
CREATE TABLE IF NOT EXISTS school_class_members (
    class_code TEXT NOT NULL REFERENCES school_classes(code) ON DELETE CASCADE,
    workspace TEXT NOT NULL,      -- the student's own workspace (never shown to anyone else)
    name TEXT NOT NULL,           -- the display name the student chose
    name_key TEXT NOT NULL,       -- casefolded name: unique in the class, so "Ana" and "ana" are not two students
    joined REAL NOT NULL,
    removed INTEGER NOT NULL DEFAULT 0,  -- 1: the teacher removed the entry (the workspace stays the student's)
    PRIMARY KEY (class_code, workspace),
    UNIQUE (class_code, name_key)
);
CREATE TABLE IF NOT EXISTS school_class_drawings (  -- samples a student chose to contribute to the class's pool
    class_code TEXT NOT NULL REFERENCES school_classes(code) ON DELETE CASCADE,
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    workspace TEXT NOT NULL,
    PRIMARY KEY (class_code, sample_id)
);
CREATE TABLE IF NOT EXISTS model_blobs (
    sha256 TEXT PRIMARY KEY,      -- of the bytes: thirty owners of one shared training keep one copy
    data BLOB NOT NULL            -- .keras bytes this app wrote (never an upload)
);
"""
_ADDED_COLUMNS = {  # columns newer than the first release, added to an existing database when it is opened
    "workspaces": {"touched": "REAL"},
    "runs": {"transfer_sha": "TEXT", "scratch_sha": "TEXT"},
}


class Connection(Protocol):
    """What storage code calls on a connection: sqlite3's own, or the PostgreSQL adapter in `postgres`."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> Any: ...


class Storage(Protocol):
    """What a workspace (`contents`) needs from the store that holds it, whichever database is behind it."""

    def connect(self, write: bool = False, workspace: str | None = None) -> AbstractContextManager[Connection]: ...

    def json_field_is(self, field: str, value: str) -> tuple[str, tuple[str, str]]: ...


class DatabaseDamaged(sqlite3.DatabaseError):
    """The database file fails its integrity check or is not a database at all."""


class Database:
    """The database holding every workspace: a file, or (when the file cannot be used) a temporary one."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_FILE
        self.problem: str | None = None  # why this store is not the file it should be, in words for the page
        self._target = str(self.path)
        self.address = str(self.path.absolute())  # what opens this file again in another process
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _check_integrity(self.path)  # read-only: a damaged file is reported, never "repaired" by a write
        connection = sqlite3.connect(self._target, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(SCHEMA)
            _add_missing_columns(connection)
        finally:
            connection.close()
        with self.connect(write=True):
            pass  # proves the file is writable now, not at the first sample

    @classmethod
    def open_or_memory(cls, path: Path | str | None = None) -> Self:
        """The database file if it can be used; otherwise a temporary database that says why.

        A damaged file, a file that is not a database, or a data directory that cannot be used never crashes
        the app and is never written to. A readable database in a read-only directory is copied into the
        temporary database, so nobody believes their work was deleted.
        """
        path = Path(path) if path is not None else data_dir() / DB_FILE
        try:
            return cls(path)
        except DatabaseDamaged as error:
            log.error("Workspace database %s is damaged (%s); working on an empty temporary database.", path, error)
            return cls.temporary(DAMAGED, path)
        except (OSError, sqlite3.Error, StorageError) as error:
            log.error("Workspace database %s cannot be written (%s).", path, error)
            if path.is_file():
                try:
                    return cls.temporary(READ_ONLY, path, copy_of=path)
                except (OSError, sqlite3.Error) as copy_error:
                    log.error("... and it cannot be read either (%s).", copy_error)
            return cls.temporary(UNUSABLE, path)

    @classmethod
    def temporary(cls, problem: str, intended: Path | None = None, copy_of: Path | None = None) -> Self:
        """A store in a fresh temporary file (same engine, same locking as the real one), removed with it.

        `problem` is what the page says; `intended` the file it stands in for (named in the server log).
        """
        directory = Path(tempfile.mkdtemp(prefix="tl-workspaces-"))
        try:
            if copy_of is not None:
                _copy_database(copy_of, directory / DB_FILE)
            store = cls(directory / DB_FILE)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        weakref.finalize(store, shutil.rmtree, directory, True)
        store.path, store.problem = intended or store.path, problem
        return store

    @property
    def location(self) -> str:
        """Where the workspaces are, for the server log."""
        return str(self.path)

    def close(self) -> None:
        """Nothing to release: connections are opened per operation (a PostgreSQL store closes its pool)."""

    @contextmanager
    def connect(self, write: bool = False, workspace: str | None = None) -> Iterator[sqlite3.Connection]:
        """A connection for one operation; a writing one commits on success and rolls back on any error.

        Writes start with BEGIN IMMEDIATE: they take the write lock up front and wait their turn (up to
        30 s), instead of failing with "database is locked" when two sessions upgrade a read to a write.
        That serialises every write, so `workspace` (the one a write is for, which PostgreSQL locks alone) is
        not needed here. A database failure (disk full, I/O error) becomes a `StorageError` the page can show.
        """
        try:
            connection = sqlite3.connect(self._target, timeout=30, isolation_level=None)
        except sqlite3.Error as error:
            raise self._failure(error, write) from error
        try:
            connection.execute("PRAGMA foreign_keys=ON")
            if not write:
                yield connection
                return
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                with contextlib.suppress(sqlite3.Error):  # closing the connection rolls back anyway
                    connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        except (sqlite3.Error, OSError) as error:
            raise self._failure(error, write) from error
        finally:
            connection.close()

    def json_field_is(self, field: str, value: str) -> tuple[str, tuple[str, str]]:
        """A condition on a run's JSON summary (`field` == `value`) and its parameters, in this database's SQL."""
        return "json_extract(summary, ?) = ?", (f"$.{field}", value)

    def _failure(self, error: BaseException, write: bool) -> StorageError:
        return storage_failure(self.location, error, write)


def _check_integrity(path: Path) -> None:
    """Raise DatabaseDamaged unless `PRAGMA quick_check` passes; opens the file read-only."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # cannot even be opened (permissions): the writable open that follows says so
    try:
        verdict = connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError:
        return  # locked or unreadable, not damaged: let the writable open decide
    except sqlite3.DatabaseError as error:  # "file is not a database", "database disk image is malformed"
        raise DatabaseDamaged(str(error)) from None
    finally:
        connection.close()
    if verdict != [("ok",)]:
        raise DatabaseDamaged("; ".join(str(row[0]) for row in verdict[:3]))


def _copy_database(source: Path, target: Path) -> None:
    """Copy a database that may sit in a read-only directory (where WAL files cannot be created)."""
    for mode in ("mode=ro", "immutable=1"):  # immutable: no -shm needed, for a directory nobody may write
        try:
            origin = sqlite3.connect(f"{source.resolve().as_uri()}?{mode}", uri=True)
            try:
                if origin.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                    raise DatabaseDamaged("quick_check failed")
                copy = sqlite3.connect(target)
                try:
                    origin.backup(copy)
                finally:
                    copy.close()
                return
            finally:
                origin.close()
        except sqlite3.OperationalError:
            if mode == "immutable=1":
                raise


def _add_missing_columns(connection: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        present = {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
        for column, kind in columns.items():
            if column not in present:
                connection.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                if (table, column) == ("workspaces", "touched"):  # use was not recorded before: count every
                    # workspace as used now, so an upgrade removes nothing for a whole retention period
                    connection.execute("UPDATE workspaces SET touched = ?", (time.time(),))


def drop_unused_models(connection: Connection) -> None:
    """Remove the models no run refers to any more: runs share them by content, so one goes with its last run.

    Only in a store-wide write (`connect(write=True)` without a workspace): on PostgreSQL that waits for every
    `save_run`, which may be about to share one of these models.
    """
    connection.execute(
        "DELETE FROM model_blobs WHERE sha256 NOT IN (SELECT transfer_sha FROM runs WHERE transfer_sha IS NOT NULL "
        "UNION SELECT scratch_sha FROM runs WHERE scratch_sha IS NOT NULL)"
    )
