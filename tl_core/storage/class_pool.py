"""A class's own dataset: drawings students chose to contribute (opt-in, per drawing or all at once).

A student adds or withdraws only their own samples (their workspace is in every condition); a sample deleted from
its workspace, or a student removed from the class, leaves the pool with it. The pool is read with each drawing's
student, so the class's evaluation can hold out whole hands (see `tl_core.classroom.class_dataset`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tl_core.storage.database import Storage
from tl_core.storage.errors import WorkspaceError


@dataclass(frozen=True)
class PooledDrawing:  # a drawing a student contributed to the class's pool
    sample_id: int
    student: str  # display name: the group the class's evaluation holds out together
    label: str
    image: np.ndarray  # (28, 28) float32 model input
    drawing_png: bytes


class ClassPool:
    """The pooled drawings of every class in a store: it holds nothing itself, every call reads the database."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    def contribute(self, code: str, workspace: str, sample_ids: list[int]) -> int:
        """Add these of the student's own drawings to the class's pool (renders are not a hand: skipped); how many
        were new."""
        with self.store.connect(write=True) as connection:
            if not connection.execute(
                "SELECT 1 FROM school_class_members m JOIN school_classes c ON c.code = m.class_code "
                "WHERE m.class_code = ? AND m.workspace = ? AND m.removed = 0 AND c.ended IS NULL",
                (code, workspace),
            ).fetchone():
                raise WorkspaceError("Only a student of this class can add drawings to it, while it runs.")
            added = 0
            for sample_id in sample_ids:  # only the student's own: the workspace is in the condition
                added += connection.execute(
                    "INSERT INTO school_class_drawings (class_code, sample_id, workspace) "
                    "SELECT ?, id, workspace FROM samples WHERE id = ? AND workspace = ? AND source = 'drawn' "
                    "ON CONFLICT DO NOTHING",
                    (code, int(sample_id), workspace),
                ).rowcount
        return added

    def withdraw(self, code: str, workspace: str, sample_ids: list[int]) -> int:
        with self.store.connect(write=True) as connection:
            return sum(
                connection.execute(
                    "DELETE FROM school_class_drawings WHERE class_code = ? AND workspace = ? AND sample_id = ?",
                    (code, workspace, int(sample_id)),
                ).rowcount
                for sample_id in sample_ids
            )

    def contributed(self, code: str, workspace: str) -> set[int]:
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT sample_id FROM school_class_drawings WHERE class_code = ? AND workspace = ?", (code, workspace)
            ).fetchall()
        return {row[0] for row in rows}

    def pooled(self, code: str) -> list[PooledDrawing]:
        """The class's pool: contributed drawings of students still in the class, by student then id."""
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT s.id, m.name, s.label, s.input, s.drawing_png FROM school_class_drawings d "
                "JOIN samples s ON s.id = d.sample_id "
                "JOIN school_class_members m ON m.class_code = d.class_code AND m.workspace = d.workspace "
                "WHERE d.class_code = ? AND m.removed = 0 ORDER BY m.joined, s.id",
                (code,),
            ).fetchall()
        return [
            PooledDrawing(sample_id, name, label, np.frombuffer(blob, np.float32).reshape(28, 28), png)
            for sample_id, name, label, blob, png in rows
        ]
