"""A learning task: labelled training samples plus an evaluation set that says something honest.

- Built-in character sets are evaluated on fresh renders from a random stream disjoint from every
  training render (see `render_samples(stream=EVAL_STREAM)`).
- Custom classes are evaluated on a held-out split of the user's own samples, with a warning when that
  split is too small to mean much.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from tl_core.data.charsets import CHARSETS, get_charset, render_charset
from tl_core.data.render import EVAL_STREAM, render_samples
from tl_core.storage.workspace import Workspace

SHOTS = (1, 2, 5, 10, 20)  # samples per class a data-efficiency sweep measures (tl_core.training.sweep)

EVAL_PER_CLASS = 10  # fresh renders per class for built-in sets
EVAL_SEED = 0  # seed of those renders (in the evaluation stream)
MIN_EVAL_PER_CLASS = 3  # below this, a custom task's accuracy is reported with a warning


class TaskError(ValueError):
    """The samples cannot make a training task; the message says what is missing."""


@dataclass(frozen=True)
class Task:
    labels: list[str]
    x_train: np.ndarray  # (N, 28, 28) float32
    y_train: np.ndarray  # (N,) int64, index into labels
    x_eval: np.ndarray  # (M, 28, 28) float32
    y_eval: np.ndarray  # (M,) int64
    eval_source: str  # where the evaluation samples come from, in words
    warning: str | None = None  # when the evaluation is too small to trust


@functools.lru_cache(maxsize=16)
def _eval_renders(charset: str, per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    x, y = render_samples(list(get_charset(charset).labels), per_class, seed, stream=EVAL_STREAM)
    x.setflags(write=False)
    y.setflags(write=False)
    return x, y


def charset_task(name: str, shots: int, seed: int = 0, eval_per_class: int = EVAL_PER_CLASS) -> Task:
    """`shots` renders per class of a built-in set to train on; fresh renders to evaluate."""
    if shots < 1:
        raise TaskError("Each class needs at least one sample (shots >= 1).")
    x_train, y_train, labels = render_charset(name, shots, seed)
    x_eval, y_eval = _eval_renders(name, eval_per_class, EVAL_SEED)
    return Task(labels, x_train, y_train, x_eval, y_eval, _fresh_renders_note(len(x_eval)))


def workspace_task(workspace: Workspace, seed: int = 0) -> Task:
    """The workspace's samples as a task (see the module docstring for how it is evaluated)."""
    x, y, labels = workspace.arrays()
    check_trainable(y, labels)
    charset = workspace.charset
    if charset in CHARSETS:
        x_eval, y_eval = _eval_renders(charset, EVAL_PER_CLASS, EVAL_SEED)
        return Task(labels, x, y, x_eval, y_eval, _fresh_renders_note(len(x_eval)))
    return held_out_task(x, y, labels, seed)


def held_out_task(x: np.ndarray, y: np.ndarray, labels: list[str], seed: int = 0) -> Task:
    """Hold out about a quarter of each class (at least one sample where a class has two or more)."""
    rng = np.random.default_rng(seed)
    eval_index, train_index = [], []
    for class_index in range(len(labels)):
        members = rng.permutation(np.flatnonzero(y == class_index))
        n_eval = len(members) // 4 if len(members) >= 8 else (1 if len(members) >= 2 else 0)
        eval_index.extend(members[:n_eval])
        train_index.extend(members[n_eval:])
    # (as int arrays even when empty: an empty list would become a float array, which cannot index)
    train_index, eval_index = np.sort(np.array(train_index, np.int64)), np.sort(np.array(eval_index, np.int64))
    per_class = np.bincount(y[eval_index], minlength=len(labels)) if len(eval_index) else np.zeros(len(labels))
    warning = None
    if per_class.min() < MIN_EVAL_PER_CLASS:
        warning = (
            f"Only {len(eval_index)} of your samples could be held out for evaluation "
            f"({int(per_class.min())} for the smallest class): the accuracy below says little. "
            f"Add samples until every class has at least {4 * MIN_EVAL_PER_CLASS}."
        )
    return Task(
        labels,
        x[train_index],
        y[train_index],
        x[eval_index],
        y[eval_index],
        f"a held-out split of your samples ({len(eval_index)})",
        warning,
    )


def check_trainable(y: np.ndarray, labels: list[str]) -> None:
    """Raise TaskError with a clear message when the samples cannot train a classifier."""
    if len(labels) < 2:
        raise TaskError("A classifier needs at least two classes: add another class first.")
    counts = np.bincount(y, minlength=len(labels)) if len(y) else np.zeros(len(labels), int)
    empty = [label for label, count in zip(labels, counts, strict=True) if count == 0]
    if empty:
        shown = ", ".join(empty[:5]) + (" …" if len(empty) > 5 else "")
        raise TaskError(f"Every class needs at least one sample; none yet for: {shown}.")


def _fresh_renders_note(count: int) -> str:
    return f"{count} fresh renders from seeds never used for training"


def sweep_task_maker(workspace: Workspace) -> tuple[Callable[[int, int], Task], tuple[int, ...], str]:
    """How to build the data-efficiency sweep's tasks for this workspace: (make_task(shots, seed), shots, note).

    Built-in sets render `shots` samples per class (evaluated on fresh renders); custom classes subsample the
    user's own samples (evaluated on a fixed held-out split), so only shot counts they can supply are used.
    """
    charset = workspace.charset
    if charset in CHARSETS:
        return (lambda shots, seed: charset_task(charset, shots, seed)), SHOTS, "rendered samples of the set"
    x, y, labels = workspace.arrays()
    check_trainable(y, labels)
    base = held_out_task(x, y, labels, seed=0)
    smallest = int(np.bincount(base.y_train, minlength=len(labels)).min())
    shots = tuple(k for k in SHOTS if k <= smallest) or (1,)

    def make_task(k: int, seed: int) -> Task:
        rng = np.random.default_rng(seed)
        chosen = np.concatenate([rng.permutation(np.flatnonzero(base.y_train == c))[:k] for c in range(len(labels))])
        return replace(base, x_train=base.x_train[chosen], y_train=base.y_train[chosen])

    return make_task, shots, "subsets of your samples"
