"""Workspaces: named collections of labelled samples, kept in an embedded SQLite database (WAL).

A workspace is one task: a list of classes (a built-in character set, or labels the user typed) and the
samples collected for them. Each sample keeps its 28x28 model input, the original drawing as PNG, its label,
where it came from (drawn, rendered, imported) and when. Everything is in `$TL_DATA_DIR/workspaces.sqlite3`,
so a refresh, a reconnect or a server restart finds every sample again.

Connections are opened per operation: Streamlit runs each session on its own thread, and a sqlite3
connection must not be shared between threads.

What can go wrong with the file is handled here, once, so every page behaves the same:
- a damaged file (fails `PRAGMA quick_check`), a file that is not a database, or a data directory that cannot
  be used: the app works on a temporary database and says nothing will be kept; the file is never touched;
- a read-only data directory: its workspaces are copied into the temporary database, so they stay visible,
  and the page says new work will not be saved;
- a failing disk (full, I/O error) during an operation: the operation's transaction is rolled back and a
  `StorageError` with a plain sentence reaches the page; the details go to the server log.
Workspaces untouched for `TL_RETENTION_DAYS` (default 30) are removed with everything in them.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
import time
import unicodedata
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tl_core.data import data_dir

DB_FILE = "workspaces.sqlite3"
WORKSPACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # whole name (fullmatch): safe in a URL, never a path
MAX_LABEL_CHARS = 32  # a word or a short phrase; labels are data, never file names
MAX_CLASSES = 200  # more than any built-in set (80)
MAX_SAMPLES = 5000  # per workspace: 200 classes x 25 shots
SOURCES = ("drawn", "rendered", "imported")
MAX_CORRECTIONS = 200  # per workspace and zoo model: 20 of each digit, far more than a personal model needs
GENERATED_NAME_BYTES = 12  # 96 random bits: 30 classes a day for a century never draw the same name twice
RETENTION_VARIABLE = "TL_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 30  # a term's unit, with room to come back after a holiday; 0 keeps everything
TOUCH_EVERY_SECONDS = 3600  # "last used" is kept to the hour: a page visit is a read, not a write, most times
RETENTION_EVERY_SECONDS = 24 * 3600  # the app removes stale workspaces at start and then once a day

log = logging.getLogger(__name__)

_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS model_blobs (
    sha256 TEXT PRIMARY KEY,      -- of the bytes: thirty owners of one shared training keep one copy
    data BLOB NOT NULL            -- .keras bytes this app wrote (never an upload)
);
"""
_ADDED_COLUMNS = {  # columns newer than the first release, added to an existing database when it is opened
    "workspaces": {"touched": "REAL"},
    "runs": {"transfer_sha": "TEXT", "scratch_sha": "TEXT"},
}

# What the page says when the database file cannot be used as it should (no paths: those go to the log).
DAMAGED = (
    "The saved workspaces could not be read: the database file is damaged. Your teacher or the server's "
    "administrator can restore it; it was left untouched. Until then the app works, but nothing you add is kept."
)
READ_ONLY = (
    "This server cannot save new work right now (its storage is read-only). Your saved samples are shown, "
    "but anything you add or train from now on is lost when the server stops."
)
UNUSABLE = (
    "This server cannot save work right now (its storage cannot be used). The app works, but nothing you "
    "add or train is kept when the server stops."
)


class WorkspaceError(ValueError):
    """Bad input for a workspace operation; the message is meant for the user."""


class StorageError(WorkspaceError):
    """The database failed during an operation (disk full, I/O error); nothing of the operation was kept."""


class DatabaseDamaged(sqlite3.DatabaseError):
    """The database file fails its integrity check or is not a database at all."""


@dataclass(frozen=True)
class Correction:
    """A digit drawing a zoo model misread, labelled by the user: the data of their personal model."""

    id: int
    model: str
    digit: int
    created: float
    image: np.ndarray  # (28, 28) float32 model input
    drawing_png: bytes


@dataclass(frozen=True)
class Sample:
    id: int
    label: str
    source: str
    created: float
    image: np.ndarray  # (28, 28) float32 model input
    drawing_png: bytes


def validate_workspace_name(name: str) -> str:
    if not isinstance(name, str) or not WORKSPACE_NAME.fullmatch(name):  # "$" alone would let "a\n" through
        raise WorkspaceError("A workspace name is 1-40 letters, digits, '-' or '_', starting with a letter or digit.")
    return name


def validate_label(label: str) -> str:
    """A clean class label: any characters people write (emoji too), no control characters, not too long."""
    if not isinstance(label, str):
        raise WorkspaceError("A label must be text.")
    label = unicodedata.normalize("NFC", label).strip()
    if not label:
        raise WorkspaceError("A label cannot be empty.")
    if len(label) > MAX_LABEL_CHARS:
        raise WorkspaceError(f"A label has at most {MAX_LABEL_CHARS} characters.")
    if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in label):
        raise WorkspaceError("A label cannot contain control characters or line breaks.")
    # Invisible characters make two labels that look alike ("cat" and "cat" + zero-width space), a label that
    # looks empty (a Hangul filler alone) or one that reads backwards (a right-to-left override). Refused:
    # format characters (Unicode Cf) and the other default-ignorable or blank-looking code points, except a
    # joiner or an emoji presentation selector inside an emoji (👩‍💻, ❤️).
    if any(_invisible(char) and not _part_of_emoji(label, at) for at, char in enumerate(label)):
        raise WorkspaceError("A label cannot contain invisible characters (such as zero-width spaces).")
    return label


_BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5")  # fillers, blank braille, CGJ
_VARIATION_SELECTORS = frozenset(chr(code) for code in [*range(0xFE00, 0xFE10), *range(0x180B, 0x1810)])


def _invisible(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "Cf"
        or char in _BLANK_LOOKING
        or char in _VARIATION_SELECTORS
        or 0xE0000 <= code <= 0xE0FFF  # tags and supplementary variation selectors
    )


def _part_of_emoji(label: str, at: int) -> bool:
    """Is label[at] a zero-width joiner between two pictographs, or a variation selector right after one?"""
    char, before = label[at], label[:at].rstrip("\ufe0f")[-1:]
    if char in ("\ufe0e", "\ufe0f"):
        return at > 0 and unicodedata.category(label[at - 1]) == "So"
    after = label[at + 1 : at + 2]
    return char == "\u200d" and unicodedata.category(before or "a") == "So" == unicodedata.category(after or "a")


def _numbered(position: int, label: str) -> str:
    """validate_label, with the class's place in the list in the message (a student typed many at once)."""
    try:
        return validate_label(label)
    except WorkspaceError as error:
        raise WorkspaceError(f"Class {position}: {error}") from None


def retention_days() -> float:
    """`TL_RETENTION_DAYS`: days a workspace may stay untouched before it is removed; 0 keeps everything."""
    raw = os.environ.get(RETENTION_VARIABLE, "")
    try:
        days = float(raw) if raw.strip() else DEFAULT_RETENTION_DAYS
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days < 0:
        log.warning("%s=%r is not a number of days >= 0; using %s.", RETENTION_VARIABLE, raw, DEFAULT_RETENTION_DAYS)
        return DEFAULT_RETENTION_DAYS
    return days


def new_workspace_name() -> str:
    return f"ws-{secrets.token_urlsafe(GENERATED_NAME_BYTES)}"


@dataclass(frozen=True)
class WorkspaceInfo:
    """One workspace in a listing (the teacher's command, retention)."""

    name: str
    charset: str | None
    created: float
    last_used: float
    classes: int
    samples: int
    runs: int


def encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


class WorkspaceStore:
    """The database holding every workspace: a file, or (when the file cannot be used) a temporary one."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_FILE
        self.problem: str | None = None  # why this store is not the file it should be, in words for the page
        self._target = str(self.path)
        self._last_retention = -math.inf  # time.monotonic() of the last retention pass
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            _check_integrity(self.path)  # read-only: a damaged file is reported, never "repaired" by a write
        connection = sqlite3.connect(self._target, timeout=30, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
            _add_missing_columns(connection)
        finally:
            connection.close()
        with self.connect(write=True):
            pass  # proves the file is writable now, not at the first sample

    @classmethod
    def open_or_memory(cls, path: Path | str | None = None) -> WorkspaceStore:
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
            return cls._temporary(path, DAMAGED)
        except (OSError, sqlite3.Error, StorageError) as error:
            log.error("Workspace database %s cannot be written (%s).", path, error)
            if path.is_file():
                try:
                    return cls._temporary(path, READ_ONLY, copy_of=path)
                except (OSError, sqlite3.Error) as copy_error:
                    log.error("... and it cannot be read either (%s).", copy_error)
            return cls._temporary(path, UNUSABLE)

    @classmethod
    def _temporary(cls, intended: Path, problem: str, copy_of: Path | None = None) -> WorkspaceStore:
        """A store in a fresh temporary file (same engine, same locking as the real one), removed with it."""
        directory = Path(tempfile.mkdtemp(prefix="tl-workspaces-"))
        try:
            if copy_of is not None:
                _copy_database(copy_of, directory / DB_FILE)
            store = cls(directory / DB_FILE)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        weakref.finalize(store, shutil.rmtree, directory, True)
        store.path, store.problem = intended, problem
        return store

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one operation; a writing one commits on success and rolls back on any error.

        Writes start with BEGIN IMMEDIATE: they take the write lock up front and wait their turn (up to
        30 s), instead of failing with "database is locked" when two sessions upgrade a read to a write.
        A database failure (disk full, I/O error) becomes a `StorageError` the page can show as it is.
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

    def _failure(self, error: BaseException, write: bool) -> StorageError:
        log.error("Workspace database %s failed during a %s: %r", self.path, "write" if write else "read", error)
        if write:
            return StorageError(
                "That was not saved: the server could not write to its storage (it may be full). Everything "
                "saved before is safe. Try again in a moment, or tell your teacher if it keeps happening."
            )
        return StorageError(
            "Your workspace could not be read from the server's storage just now. Try again in a moment, or "
            "tell your teacher if it keeps happening."
        )

    def workspace(self, name: str) -> Workspace:
        """The workspace `name`, created empty if it does not exist yet."""
        validate_workspace_name(name)
        now = time.time()
        with self.connect() as connection:
            row = connection.execute("SELECT COALESCE(touched, created) FROM workspaces WHERE name = ?", (name,))
            row = row.fetchone()
        if row and row[0] > now - TOUCH_EVERY_SECONDS:
            return Workspace(self, name)  # the common case, on every rerun: a read, no write lock
        with self.connect(write=True) as connection:
            connection.execute(
                "INSERT INTO workspaces (name, charset, created, touched) VALUES (?, NULL, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET touched = excluded.touched",
                (name, now, now),
            )
        return Workspace(self, name)

    def new_workspace(self) -> Workspace:
        """A new, empty workspace under a freshly generated name that no workspace has ever had here."""
        while True:
            name, now = new_workspace_name(), time.time()
            with self.connect(write=True) as connection:
                created = connection.execute(
                    "INSERT OR IGNORE INTO workspaces (name, charset, created, touched) VALUES (?, NULL, ?, ?)",
                    (name, now, now),
                ).rowcount
            if created:  # else the 96-bit name was taken (practically never): draw another, never share one
                return Workspace(self, name)

    def exists(self, name: str) -> bool:
        with self.connect() as connection:
            return connection.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone() is not None

    # --- listing and retention -----------------------------------------------------------------------
    def list_workspaces(self, older_than_days: float | None = None) -> list[WorkspaceInfo]:
        """Every workspace (or those unused for more than `older_than_days`), least recently used first."""
        cutoff = time.time() - older_than_days * 86400 if older_than_days is not None else math.inf
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT w.name, w.charset, w.created, COALESCE(w.touched, w.created) AS last_used, "
                "(SELECT COUNT(*) FROM classes c WHERE c.workspace = w.name), "
                "(SELECT COUNT(*) FROM samples s WHERE s.workspace = w.name), "
                "(SELECT COUNT(*) FROM runs r WHERE r.workspace = w.name) "
                "FROM workspaces w WHERE COALESCE(w.touched, w.created) < ? ORDER BY last_used, w.name",
                (cutoff,),
            ).fetchall()
        return [WorkspaceInfo(*row) for row in rows]

    def delete_workspace(self, name: str) -> bool:
        """Remove a workspace with its classes, samples and runs; False if there was none."""
        with self.connect(write=True) as connection:
            deleted = connection.execute("DELETE FROM workspaces WHERE name = ?", (name,)).rowcount
            _drop_unused_models(connection)
        return deleted > 0

    def purge(self, older_than_days: float) -> list[str]:
        """Remove every workspace unused for more than `older_than_days`; returns their names."""
        cutoff = time.time() - older_than_days * 86400
        with self.connect(write=True) as connection:
            stale = "FROM workspaces WHERE COALESCE(touched, created) < ?"
            names = [name for (name,) in connection.execute(f"SELECT name {stale} ORDER BY name", (cutoff,))]
            connection.execute(f"DELETE {stale}", (cutoff,))
            _drop_unused_models(connection)
        return names

    def apply_retention(self, days: float | None = None) -> list[str]:
        """The app's retention pass (`TL_RETENTION_DAYS`), at most once a day per process; removed names."""
        if time.monotonic() - self._last_retention < RETENTION_EVERY_SECONDS:
            return []  # the common case, on every page run: no environment read, no database
        days = retention_days() if days is None else days
        if days <= 0:
            return []
        self._last_retention = time.monotonic()
        try:
            removed = self.purge(days)
        except StorageError:
            return []  # housekeeping: logged by connect(), tried again tomorrow, never a student's problem
        if removed:
            log.info("Retention: removed %d workspace(s) unused for more than %s days.", len(removed), days)
        return removed


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


def _drop_unused_models(connection: sqlite3.Connection) -> None:
    connection.execute(
        "DELETE FROM model_blobs WHERE sha256 NOT IN (SELECT transfer_sha FROM runs WHERE transfer_sha IS NOT NULL "
        "UNION SELECT scratch_sha FROM runs WHERE scratch_sha IS NOT NULL)"
    )


class Workspace:
    def __init__(self, store: WorkspaceStore, name: str) -> None:
        self.store = store
        self.name = name

    # --- classes -------------------------------------------------------------------------------------
    @property
    def charset(self) -> str | None:
        with self.store.connect() as connection:
            row = connection.execute("SELECT charset FROM workspaces WHERE name = ?", (self.name,)).fetchone()
        return row[0] if row else None

    def classes(self) -> list[str]:
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT label FROM classes WHERE workspace = ? ORDER BY position", (self.name,)
            ).fetchall()
        return [label for (label,) in rows]

    def start_task(self, labels: list[str], charset: str | None = None) -> None:
        """Give an empty workspace its classes. A workspace with samples keeps its task: start a new one."""
        labels = [_numbered(position, label) for position, label in enumerate(labels, start=1)]
        if len(set(labels)) != len(labels):
            raise WorkspaceError("Each class needs a different label.")
        if len(labels) > MAX_CLASSES:
            raise WorkspaceError(f"A workspace has at most {MAX_CLASSES} classes.")
        with self.store.connect(write=True) as connection:
            if self._sample_count(connection):
                raise WorkspaceError("This workspace already has samples; start a new workspace for a new task.")
            connection.execute("DELETE FROM classes WHERE workspace = ?", (self.name,))
            connection.execute("UPDATE workspaces SET charset = ? WHERE name = ?", (charset, self.name))
            connection.executemany(
                "INSERT INTO classes (workspace, label, position) VALUES (?, ?, ?)",
                [(self.name, label, position) for position, label in enumerate(labels)],
            )

    def add_class(self, label: str) -> str:
        label = validate_label(label)
        with self.store.connect(write=True) as connection:
            existing = [row[0] for row in connection.execute(
                "SELECT label FROM classes WHERE workspace = ?", (self.name,))]  # fmt: skip
            if label in existing:
                raise WorkspaceError(f"There is already a class “{label}”.")
            if len(existing) >= MAX_CLASSES:
                raise WorkspaceError(f"A workspace has at most {MAX_CLASSES} classes.")
            connection.execute(
                "INSERT INTO classes (workspace, label, position) "
                "VALUES (?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM classes WHERE workspace = ?))",
                (self.name, label, self.name),
            )
        return label

    def remove_class(self, label: str) -> int:
        """Remove a class and its samples; returns how many samples went with it."""
        with self.store.connect(write=True) as connection:
            removed = connection.execute(
                "DELETE FROM samples WHERE workspace = ? AND label = ?", (self.name, label)
            ).rowcount
            connection.execute("DELETE FROM classes WHERE workspace = ? AND label = ?", (self.name, label))
        return removed

    # --- samples -------------------------------------------------------------------------------------
    def add_samples(self, items: list[tuple[str, np.ndarray, bytes, str]], new_classes: list[str] = ()) -> list[int]:
        """Add (label, (28, 28) input, drawing PNG, source) items, after any `new_classes`, in one transaction.

        Either everything is added or, on any error, nothing is. Returns the new samples' ids.
        """
        new_classes = [validate_label(label) for label in new_classes]
        rows = []
        now = time.time()
        for label, image, drawing_png, source in items:
            image = np.asarray(image, dtype=np.float32)
            if image.shape != (28, 28) or not np.isfinite(image).all():
                raise WorkspaceError("A sample must be a finite 28 x 28 image.")
            if source not in SOURCES:
                raise WorkspaceError(f"Unknown sample source “{source}”.")
            rows.append((self.name, label, source, now, image.tobytes(), drawing_png))
        with self.store.connect(write=True) as connection:
            known = [row[0] for row in connection.execute(
                "SELECT label FROM classes WHERE workspace = ? ORDER BY position", (self.name,))]  # fmt: skip
            to_create = [label for label in dict.fromkeys(new_classes) if label not in known]
            if len(known) + len(to_create) > MAX_CLASSES:
                raise WorkspaceError(f"A workspace has at most {MAX_CLASSES} classes.")
            connection.executemany(
                "INSERT INTO classes (workspace, label, position) VALUES (?, ?, ?)",
                [(self.name, label, len(known) + offset) for offset, label in enumerate(to_create)],
            )
            if unknown := {row[1] for row in rows} - set(known) - set(to_create):
                raise WorkspaceError(f"No class named “{sorted(unknown)[0]}” in this workspace.")
            if self._sample_count(connection) + len(rows) > MAX_SAMPLES:
                raise WorkspaceError(f"A workspace holds at most {MAX_SAMPLES} samples.")
            return [
                connection.execute(
                    "INSERT INTO samples (workspace, label, source, created, input, drawing_png) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    row,
                ).lastrowid
                for row in rows
            ]

    def add_sample(self, label: str, image: np.ndarray, drawing_png: bytes, source: str = "drawn") -> int:
        return self.add_samples([(label, image, drawing_png, source)])[0]

    def delete_sample(self, sample_id: int) -> bool:
        with self.store.connect(write=True) as connection:
            deleted = connection.execute(
                "DELETE FROM samples WHERE workspace = ? AND id = ?", (self.name, int(sample_id))
            ).rowcount
        return deleted > 0

    def samples(self, label: str | None = None) -> list[Sample]:
        query = "SELECT id, label, source, created, input, drawing_png FROM samples WHERE workspace = ?"
        parameters: tuple = (self.name,)
        if label is not None:
            query += " AND label = ?"
            parameters += (label,)
        with self.store.connect() as connection:
            rows = connection.execute(query + " ORDER BY id", parameters).fetchall()
        return [
            Sample(id, label, source, created, np.frombuffer(blob, np.float32).reshape(28, 28), png)
            for id, label, source, created, blob, png in rows
        ]

    def counts(self) -> dict[str, int]:
        """Samples per class, every class listed (zero included), in class order."""
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT c.label, COUNT(s.id) FROM classes c LEFT JOIN samples s "
                "ON s.workspace = c.workspace AND s.label = c.label "
                "WHERE c.workspace = ? GROUP BY c.label ORDER BY c.position",
                (self.name,),
            ).fetchall()
        return dict(rows)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Every sample as training data: X (N, 28, 28) float32, y (N,) int (index into the labels), labels."""
        labels = self.classes()
        index = {label: position for position, label in enumerate(labels)}
        samples = self.samples()
        x = np.stack([s.image for s in samples]) if samples else np.zeros((0, 28, 28), np.float32)
        y = np.array([index[s.label] for s in samples], dtype=np.int64)
        return x, y, labels

    # --- training runs ---------------------------------------------------------------------------------
    def save_run(self, kind: str, summary: dict, models: dict[str, bytes] | None = None) -> int:
        """Keep a training run (its numbers and, for comparisons, both models) with the workspace.

        Models are stored by content: the owners of one shared lesson training keep one copy between them.
        """
        models = models or {}
        digests = {which: hashlib.sha256(blob).hexdigest() for which, blob in models.items() if blob}
        with self.store.connect(write=True) as connection:
            connection.executemany(
                "INSERT OR IGNORE INTO model_blobs (sha256, data) VALUES (?, ?)",
                [(digest, models[which]) for which, digest in digests.items()],
            )
            return connection.execute(
                "INSERT INTO runs (workspace, kind, created, summary, transfer_sha, scratch_sha) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.name, kind, time.time(), json.dumps(summary), digests.get("transfer"), digests.get("scratch")),
            ).lastrowid

    def latest_run(self, kind: str) -> tuple[int, dict] | None:
        """(run id, summary) of the newest run of this kind, or None."""
        with self.store.connect() as connection:
            row = connection.execute(
                "SELECT id, summary FROM runs WHERE workspace = ? AND kind = ? ORDER BY id DESC LIMIT 1",
                (self.name, kind),
            ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def latest_run_with(self, kind: str, field: str, value: str) -> tuple[int, dict] | None:
        """(run id, summary) of the newest run of this kind whose summary has `field` == `value`, or None."""
        with self.store.connect() as connection:
            row = connection.execute(
                "SELECT id, summary FROM runs WHERE workspace = ? AND kind = ? AND json_extract(summary, ?) = ? "
                "ORDER BY id DESC LIMIT 1",
                (self.name, kind, f"$.{field}", value),
            ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def run_models(self, run_id: int) -> dict[str, bytes]:
        with self.store.connect() as connection:
            row = connection.execute(
                "SELECT COALESCE(r.transfer_model, t.data), COALESCE(r.scratch_model, s.data) FROM runs r "
                "LEFT JOIN model_blobs t ON t.sha256 = r.transfer_sha "
                "LEFT JOIN model_blobs s ON s.sha256 = r.scratch_sha "
                "WHERE r.workspace = ? AND r.id = ?",
                (self.name, run_id),
            ).fetchone()
        if not row:
            return {}
        return {which: blob for which, blob in zip(("transfer", "scratch"), row, strict=True) if blob}

    # --- corrections of the zoo's digit models ---------------------------------------------------------------
    def add_correction(self, model: str, digit: int, image: np.ndarray, drawing_png: bytes) -> int:
        """Keep a drawing `model` misread as the digit the user says it is."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != (28, 28) or not np.isfinite(image).all():
            raise WorkspaceError("A correction must be a finite 28 x 28 image.")
        if not (isinstance(digit, int | np.integer) and 0 <= int(digit) <= 9):
            raise WorkspaceError("A correction is one of the digits 0-9.")
        with self.store.connect(write=True) as connection:
            held = connection.execute(
                "SELECT COUNT(*) FROM corrections WHERE workspace = ? AND model = ?", (self.name, model)
            ).fetchone()[0]
            if held >= MAX_CORRECTIONS:
                raise WorkspaceError(f"This workspace keeps at most {MAX_CORRECTIONS} corrections per model.")
            return connection.execute(
                "INSERT INTO corrections (workspace, model, digit, created, input, drawing_png) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.name, model, int(digit), time.time(), image.tobytes(), drawing_png),
            ).lastrowid

    def corrections(self, model: str) -> list[Correction]:
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT id, model, digit, created, input, drawing_png FROM corrections "
                "WHERE workspace = ? AND model = ? ORDER BY id",
                (self.name, model),
            ).fetchall()
        return [
            Correction(id, model, digit, created, np.frombuffer(blob, np.float32).reshape(28, 28), png)
            for id, model, digit, created, blob, png in rows
        ]

    def delete_correction(self, correction_id: int) -> bool:
        with self.store.connect(write=True) as connection:
            deleted = connection.execute(
                "DELETE FROM corrections WHERE workspace = ? AND id = ?", (self.name, int(correction_id))
            ).rowcount
        return deleted > 0

    def delete_runs(self, kind: str, field: str | None = None, value: str | None = None) -> int:
        """Remove this workspace's runs of `kind` (only those whose summary has `field` == `value`, if given)."""
        query, parameters = "DELETE FROM runs WHERE workspace = ? AND kind = ?", [self.name, kind]
        if field is not None:
            query += " AND json_extract(summary, ?) = ?"
            parameters += [f"$.{field}", value]
        with self.store.connect(write=True) as connection:
            deleted = connection.execute(query, parameters).rowcount
            _drop_unused_models(connection)
        return deleted

    def sample_count(self) -> int:
        with self.store.connect() as connection:
            return self._sample_count(connection)

    def _sample_count(self, connection: sqlite3.Connection) -> int:
        return connection.execute("SELECT COUNT(*) FROM samples WHERE workspace = ?", (self.name,)).fetchone()[0]
