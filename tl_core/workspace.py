"""Workspaces: named collections of labelled samples, kept in an embedded SQLite database (WAL).

A workspace is one task: a list of classes (a built-in character set, or labels the user typed) and the
samples collected for them. Each sample keeps its 28x28 model input, the original drawing as PNG, its label,
where it came from (drawn, rendered, imported) and when. Everything is in `$TL_DATA_DIR/workspaces.sqlite3`,
so a refresh, a reconnect or a server restart finds every sample again.

Connections are opened per operation: Streamlit runs each session on its own thread, and a sqlite3
connection must not be shared between threads.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import time
import unicodedata
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

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    name TEXT PRIMARY KEY,
    charset TEXT,                 -- built-in set name, or NULL for custom classes
    created REAL NOT NULL
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
    transfer_model BLOB,          -- .keras bytes this app wrote (never an upload)
    scratch_model BLOB
);
"""


class WorkspaceError(ValueError):
    """Bad input for a workspace operation; the message is meant for the user."""


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
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in label):
        raise WorkspaceError("A label cannot contain control characters.")
    return label


def encode_png(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


class WorkspaceStore:
    """The database holding every workspace: a file, or (when the file cannot be used) memory."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / DB_FILE
        self.problem: str | None = None  # why this store is not the file it should be, for the page
        self._target, self._uri, self._keeper = str(self.path), False, None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.executescript(_SCHEMA)
        with self.connect(write=True):
            pass  # proves the file is writable now, not at the first sample

    @classmethod
    def open_or_memory(cls, path: Path | str | None = None) -> WorkspaceStore:
        """The database file if it can be used; otherwise an in-memory store that says why.

        A read-only or missing data directory, or a file that is not a database, never crashes the app and
        is never overwritten: the app keeps working in memory and tells the user nothing will be kept.
        """
        try:
            return cls(path)
        except (OSError, sqlite3.Error) as error:
            store = cls.__new__(cls)
            store.path = Path(path) if path is not None else data_dir() / DB_FILE
            store.problem = (
                f"Samples cannot be saved to {store.path} ({error}). The app keeps working in memory: "
                "everything you add now is lost when the server stops. The file was left untouched."
            )
            store._target, store._uri = f"file:tl-memory-{id(store)}?mode=memory&cache=shared", True
            store._keeper = sqlite3.connect(store._target, uri=True, check_same_thread=False)  # keeps it alive
            with store.connect() as connection:
                connection.executescript(_SCHEMA)
            return store

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one operation; a writing one commits on success and rolls back on any error.

        Writes start with BEGIN IMMEDIATE: they take the write lock up front and wait their turn (up to
        30 s), instead of failing with "database is locked" when two sessions upgrade a read to a write.
        """
        connection = sqlite3.connect(self._target, timeout=30, uri=self._uri, isolation_level=None)
        try:
            connection.execute("PRAGMA foreign_keys=ON")
            if not write:
                yield connection
                return
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
        finally:
            connection.close()

    def workspace(self, name: str) -> Workspace:
        """The workspace `name`, created empty if it does not exist yet."""
        validate_workspace_name(name)
        with self.connect() as connection:
            if connection.execute("SELECT 1 FROM workspaces WHERE name = ?", (name,)).fetchone():
                return Workspace(self, name)  # the common case, on every rerun: a read, no write lock
        with self.connect(write=True) as connection:
            connection.execute(
                "INSERT OR IGNORE INTO workspaces (name, charset, created) VALUES (?, NULL, ?)",
                (name, time.time()),
            )
        return Workspace(self, name)


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
        labels = [validate_label(label) for label in labels]
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
                raise WorkspaceError(f"There is already a class {label!r}.")
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
                raise WorkspaceError(f"Unknown sample source {source!r}.")
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
                raise WorkspaceError(f"No class named {sorted(unknown)[0]!r} in this workspace.")
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
        """Keep a training run (its numbers and, for comparisons, both models) with the workspace."""
        models = models or {}
        with self.store.connect(write=True) as connection:
            return connection.execute(
                "INSERT INTO runs (workspace, kind, created, summary, transfer_model, scratch_model) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (self.name, kind, time.time(), json.dumps(summary), models.get("transfer"), models.get("scratch")),
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
                "SELECT transfer_model, scratch_model FROM runs WHERE workspace = ? AND id = ?", (self.name, run_id)
            ).fetchone()
        if not row:
            return {}
        return {which: blob for which, blob in zip(("transfer", "scratch"), row, strict=True) if blob}

    def sample_count(self) -> int:
        with self.store.connect() as connection:
            return self._sample_count(connection)

    def _sample_count(self, connection: sqlite3.Connection) -> int:
        return connection.execute("SELECT COUNT(*) FROM samples WHERE workspace = ?", (self.name,)).fetchone()[0]
