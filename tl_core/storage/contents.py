"""One workspace: a task's classes and the samples collected for them, its training runs and its corrections.

A workspace is one task: a list of classes (a built-in character set, or labels the user typed) and the
samples collected for them. Each sample keeps its 28x28 model input, the original drawing as PNG, its label,
where it came from (drawn, rendered, imported) and when. Each change is one transaction: on any error, nothing
of it is kept; a change names its workspace, which PostgreSQL locks alone (see `postgres`). A workspace pickles as
its store (which pickles as where it is) and its name, so a trainer in another process reopens it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tl_core.storage.database import Connection, Storage, drop_unused_models
from tl_core.storage.errors import WorkspaceError
from tl_core.storage.names import validate_label
from tl_core.storage.runs import COMPARISON_MODELS, KeptAsJson, KeptRun, Summary

MAX_CLASSES = 200  # more than any built-in set (80)
MAX_SAMPLES = 5000  # per workspace: 200 classes x 25 shots
SOURCES = ("drawn", "rendered", "imported")
MAX_CORRECTIONS = 200  # per workspace and zoo model: 20 of each digit, far more than a personal model needs


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


def _numbered(position: int, label: str) -> str:
    """validate_label, with the class's place in the list in the message (a student typed many at once)."""
    try:
        return validate_label(label)
    except WorkspaceError as error:
        raise WorkspaceError(f"Class {position}: {error}") from None


class Workspace:
    """One workspace in a store: it holds nothing itself, every call reads or writes the database."""

    def __init__(self, store: Storage, name: str) -> None:
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
        with self.store.connect(write=True, workspace=self.name) as connection:
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
        with self.store.connect(write=True, workspace=self.name) as connection:
            existing = [
                row[0] for row in connection.execute("SELECT label FROM classes WHERE workspace = ?", (self.name,))
            ]
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
        with self.store.connect(write=True, workspace=self.name) as connection:
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
        with self.store.connect(write=True, workspace=self.name) as connection:
            known = [
                row[0]
                for row in connection.execute(
                    "SELECT label FROM classes WHERE workspace = ? ORDER BY position", (self.name,)
                )
            ]
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
                    "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    row,
                ).fetchone()[0]
                for row in rows
            ]

    def add_sample(self, label: str, image: np.ndarray, drawing_png: bytes, source: str = "drawn") -> int:
        return self.add_samples([(label, image, drawing_png, source)])[0]

    def delete_sample(self, sample_id: int) -> bool:
        with self.store.connect(write=True, workspace=self.name) as connection:
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
                "WHERE c.workspace = ? GROUP BY c.label, c.position ORDER BY c.position",  # PostgreSQL: position too
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
    def save_run(self, kind: str, summary: KeptAsJson | dict, models: dict[str, bytes] | None = None) -> int:
        """Keep a training run (its numbers and, for comparisons, both models) with the workspace.

        Models are stored by content: the owners of one shared lesson training keep one copy between them.
        """
        stored = summary if isinstance(summary, dict) else summary.to_json()
        models = models or {}
        digests = {which: hashlib.sha256(blob).hexdigest() for which, blob in models.items() if blob}
        transfer_sha, scratch_sha = (digests.get(which) for which in COMPARISON_MODELS)
        with self.store.connect(write=True, workspace=self.name) as connection:
            connection.executemany(
                "INSERT INTO model_blobs (sha256, data) VALUES (?, ?) ON CONFLICT DO NOTHING",
                [(digest, models[which]) for which, digest in digests.items()],
            )
            return connection.execute(
                "INSERT INTO runs (workspace, kind, created, summary, transfer_sha, scratch_sha) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (self.name, kind, time.time(), json.dumps(stored), transfer_sha, scratch_sha),
            ).fetchone()[0]

    def latest_run(self, kind: str, read: Callable[[dict], Summary] = dict) -> KeptRun[Summary] | None:
        """The newest run of this kind, or None; `read` turns its stored JSON into the summary (e.g.
        `ComparisonSummary.from_json`), so a caller never reads a run by string keys."""
        return self._latest(kind, read, "", ())

    def latest_run_with(
        self, kind: str, field: str, value: str, read: Callable[[dict], Summary] = dict
    ) -> KeptRun[Summary] | None:
        """The newest run of this kind whose stored summary has `field` == `value`, or None (`read`: as above)."""
        condition, parameters = self.store.json_field_is(field, value)
        return self._latest(kind, read, f" AND {condition}", parameters)

    def _latest(self, kind: str, read: Callable[[dict], Summary], condition: str, parameters: tuple) -> KeptRun | None:
        with self.store.connect() as connection:
            row = connection.execute(
                f"SELECT id, summary FROM runs WHERE workspace = ? AND kind = ?{condition} ORDER BY id DESC LIMIT 1",
                (self.name, kind, *parameters),
            ).fetchone()
        return KeptRun(row[0], kind, read(json.loads(row[1]))) if row else None

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
        return {which: blob for which, blob in zip(COMPARISON_MODELS, row, strict=True) if blob}

    # --- corrections of the zoo's digit models ---------------------------------------------------------------
    def add_correction(self, model: str, digit: int, image: np.ndarray, drawing_png: bytes) -> int:
        """Keep a drawing `model` misread as the digit the user says it is."""
        image = np.asarray(image, dtype=np.float32)
        if image.shape != (28, 28) or not np.isfinite(image).all():
            raise WorkspaceError("A correction must be a finite 28 x 28 image.")
        if not (isinstance(digit, int | np.integer) and 0 <= int(digit) <= 9):
            raise WorkspaceError("A correction is one of the digits 0-9.")
        with self.store.connect(write=True, workspace=self.name) as connection:
            held = connection.execute(
                "SELECT COUNT(*) FROM corrections WHERE workspace = ? AND model = ?", (self.name, model)
            ).fetchone()[0]
            if held >= MAX_CORRECTIONS:
                raise WorkspaceError(f"This workspace keeps at most {MAX_CORRECTIONS} corrections per model.")
            return connection.execute(
                "INSERT INTO corrections (workspace, model, digit, created, input, drawing_png) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (self.name, model, int(digit), time.time(), image.tobytes(), drawing_png),
            ).fetchone()[0]

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
        with self.store.connect(write=True, workspace=self.name) as connection:
            deleted = connection.execute(
                "DELETE FROM corrections WHERE workspace = ? AND id = ?", (self.name, int(correction_id))
            ).rowcount
        return deleted > 0

    def delete_runs(self, kind: str, field: str | None = None, value: str | None = None) -> int:
        """Remove this workspace's runs of `kind` (only those whose summary has `field` == `value`, if given)."""
        query, parameters = "DELETE FROM runs WHERE workspace = ? AND kind = ?", [self.name, kind]
        if field is not None:
            condition, more = self.store.json_field_is(field, value)
            query, parameters = f"{query} AND {condition}", [*parameters, *more]
        with self.store.connect(write=True) as connection:  # store-wide: it drops models others may share
            deleted = connection.execute(query, parameters).rowcount
            drop_unused_models(connection)
        return deleted

    def sample_count(self) -> int:
        with self.store.connect() as connection:
            return self._sample_count(connection)

    def _sample_count(self, connection: Connection) -> int:
        return connection.execute("SELECT COUNT(*) FROM samples WHERE workspace = ?", (self.name,)).fetchone()[0]
