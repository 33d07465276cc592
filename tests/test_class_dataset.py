"""The class's pooled drawings as a task: whole students are held out, so the check is on hands never trained on."""

import numpy as np
import pytest

from tl_core.classroom.class_dataset import pool_version, pooled_task
from tl_core.storage.class_pool import PooledDrawing
from tl_core.training.tasks import TaskError


def drawings(students, labels=("あ", "い", "う"), each=2):
    made, next_id = [], 1
    for student in students:
        for label in labels:
            for _ in range(each):
                made.append(PooledDrawing(next_id, student, label, np.full((28, 28), next_id / 1000, np.float32), b""))
                next_id += 1
    return made


def test_the_evaluation_is_whole_students_the_training_never_saw():
    pool = drawings([f"s{i}" for i in range(9)])
    pooled = pooled_task(pool, seed=0)
    assert len(pooled.held_out) == 3  # a third of nine hands
    by_id = {d.sample_id: d for d in pool}
    assert {by_id[i].student for i in pooled.eval_sample_ids} == set(pooled.held_out)
    trained_on = {float(x[0, 0]) for x in pooled.task.x_train}
    assert not trained_on & {by_id[i].image[0, 0] for i in pooled.eval_sample_ids}  # no drawing on both sides
    assert len(pooled.task.x_train) == 6 * 6 and len(pooled.task.x_eval) == 3 * 6
    assert pooled.task.labels == ["あ", "い", "う"]
    assert [pooled.task.labels[c] for c in pooled.task.y_eval] == [by_id[i].label for i in pooled.eval_sample_ids]
    assert "3 students whose drawings it never trained on" in pooled.task.eval_source
    again = pooled_task(list(reversed(pool)), seed=0)
    assert again.held_out == pooled.held_out and again.version == pooled.version == pool_version(pool)


def test_too_few_hands_or_characters_are_said_in_words():
    with pytest.raises(TaskError, match="from 1 student: at least 2"):
        pooled_task(drawings(["ana"]))
    with pytest.raises(TaskError, match="fewer than 2 characters"):
        pooled_task(drawings(["ana", "bo"], labels=("あ",)))
    two = drawings(["ana"], labels=("あ", "い")) + drawings(["bo"], labels=("う", "え"))
    with pytest.raises(TaskError, match="drew none of the characters"):
        pooled_task(two)
