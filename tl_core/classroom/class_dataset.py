"""The class's own dataset: every contributed drawing, split by student so the evaluation is a hand never seen.

With pooled drawings, a random split would put drawings of the same student on both sides: a model that learned
Ana's way of writing あ would be checked on another of Ana's あ and look better than it is on a new hand. So whole
students are held out (about a third, at least one): the models train on the others' drawings and are checked
on the held-out students' drawings, the question a teacher cares about ("does it read a hand it never saw?").
Which students are held out follows from the seed and the pool, so the same pool gives the same split.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np

from tl_core.storage.class_pool import PooledDrawing
from tl_core.training.tasks import Task, TaskError

HELD_OUT_SHARE = 1 / 3  # of the students who contributed: enough hands to check on, most left to learn from
MIN_STUDENTS = 2  # one to train on, one to check on
POOL_KIND = "class-pool"  # the kind of the run it keeps (in the workspace of whoever asked for it)


@dataclass(frozen=True)
class PooledTask:
    task: Task
    held_out: tuple[str, ...]  # the students whose drawings are the evaluation
    eval_sample_ids: tuple[int, ...]  # the evaluation drawings, in the task's order (for the mistakes gallery)
    version: str  # the pool it was made from: a new or withdrawn drawing makes another version


def pool_version(drawings: list[PooledDrawing]) -> str:
    return hashlib.sha256(
        ",".join(str(d.sample_id) for d in sorted(drawings, key=lambda d: d.sample_id)).encode()
    ).hexdigest()[:16]


def pooled_task(drawings: list[PooledDrawing], seed: int = 0) -> PooledTask:
    """Train on some students' drawings, evaluate on the others' (raises `TaskError` with what is missing)."""
    students = sorted({d.student for d in drawings})
    if len(students) < MIN_STUDENTS:
        raise TaskError(
            f"The class's drawings come from {len(students)} student{'s' if len(students) != 1 else ''}: "
            f"at least {MIN_STUDENTS} must contribute, so some hands can be held out to check on."
        )
    order = np.random.default_rng(seed).permutation(len(students))
    held = max(1, math.floor(len(students) * HELD_OUT_SHARE))
    held_out = {students[i] for i in order[:held]}
    training = [d for d in drawings if d.student not in held_out]
    labels = sorted({d.label for d in training})
    if len(labels) < 2:
        raise TaskError("The drawings to train on cover fewer than 2 characters: contribute drawings of more.")
    index = {label: position for position, label in enumerate(labels)}
    checking = [d for d in drawings if d.student in held_out and d.label in index]
    if not checking:
        raise TaskError("The held-out students drew none of the characters the others drew: nothing to check on.")
    return PooledTask(
        Task(
            labels,
            np.stack([d.image for d in training]),
            np.array([index[d.label] for d in training], dtype=np.int64),
            np.stack([d.image for d in checking]),
            np.array([index[d.label] for d in checking], dtype=np.int64),
            f"{len(checking)} drawings by {len(held_out)} student{'s' if len(held_out) != 1 else ''} whose drawings it "
            "never trained on",
        ),
        tuple(sorted(held_out)),
        tuple(d.sample_id for d in checking),
        pool_version(drawings),
    )


def class_pool_key(code: str) -> str:
    """What a class's pooled run is found by (its summary's `lesson_key`)."""
    return f"class:{code}"
