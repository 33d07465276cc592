"""A lesson: every setting that shapes a run, as one value that a link can carry.

`lesson_to_query` and `lesson_from_query` turn a `Lesson` into URL query parameters and back, so a teacher
copies one link and every student's app opens with the same model, character set, shots, strategy, epochs,
learning rates and seed. The lesson's samples are rendered from (set, shots, seed), so the same link gives
the same samples and, being seeded, the same accuracy curves (times differ from machine to machine).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from tl_core.charsets import CHARSETS, DEFAULT_CHARSET
from tl_core.models import ARCHITECTURES, DEFAULT_MODEL
from tl_core.tasks import Task, charset_task
from tl_core.training import LIMITS, TrainSettings
from tl_core.transfer import STRATEGIES

SHOTS_LIMITS = (1, 25)  # rendered samples per class a lesson may ask for


@dataclass(frozen=True)
class Lesson:
    model: str = DEFAULT_MODEL  # the zoo model whose backbone transfers
    charset: str = DEFAULT_CHARSET  # the new script: many classes, so few shots are hard from scratch
    shots: int = 5  # rendered training samples per class: few, where transfer shows most
    train: TrainSettings = field(default_factory=TrainSettings)  # strategy, epochs, learning rates, seed

    def task(self) -> Task:
        """The lesson's samples: `shots` renders per class with the lesson's seed; fresh renders to evaluate."""
        return charset_task(self.charset, self.shots, seed=self.train.seed)


# Query key -> (where the value lives, kind). Short keys keep shared links readable.
QUERY_KEYS = {
    "model": ("model", "model"),
    "set": ("charset", "charset"),
    "shots": ("shots", "int"),
    "strategy": ("train.strategy", "strategy"),
    "epochs": ("train.epochs", "int"),
    "lr": ("train.head_learning_rate", "float"),
    "ft_lr": ("train.fine_tune_learning_rate", "float"),
    "scratch_lr": ("train.scratch_learning_rate", "float"),
    "aug": ("train.augment_copies", "int"),
    "seed": ("train.seed", "int"),
}
# What the Train page takes from a link: every setting but the samples (`set`, `shots`), which are its workspace's.
RUN_KEYS = tuple(key for key in QUERY_KEYS if key not in ("set", "shots"))


def lesson_to_query(lesson: Lesson) -> dict[str, str]:
    """Every setting as a query parameter (all of them, so a link never depends on today's defaults)."""
    query = {}
    for key, (where, kind) in QUERY_KEYS.items():
        value = _get(lesson, where)
        query[key] = repr(float(value)) if kind == "float" else str(value)
    return query


def lesson_key(lesson: Lesson) -> str:
    """One canonical string per lesson, to find runs made with exactly these settings."""
    return urlencode(sorted(lesson_to_query(lesson).items()))


def lesson_from_query(query: Mapping[str, str], keys: Collection[str] | None = None) -> tuple[Lesson, list[str]]:
    """The lesson a link asks for, and a message for every value it did not take as it was: one that could not
    be used (its default is), or a number outside its limits (brought inside them) or not whole where it must be
    (rounded); a link changed silently would leave a teacher wondering why the class got other results.

    Only `keys` are read when given (the Train page takes the set and shots from its workspace); other parameters,
    such as `workspace`, are ignored. Messages are plain text quoting at most 40 characters of a value, on one
    line: escape them (tl_core.markdown) before showing them as Markdown.
    """
    lesson, problems = Lesson(), []
    for key, (where, kind) in QUERY_KEYS.items():
        raw = query.get(key)
        if raw is None or (keys is not None and key not in keys):
            continue
        asked = _quoted(key, str(raw))
        try:
            value = _parse(kind, str(raw))
        except ValueError as problem:
            problems.append(f"{asked} {problem}; using {_get(lesson, where)}.")
            continue
        lesson = _within_limits(_set(lesson, where, value))
        if (used := _get(lesson, where)) != value:
            problems.append(f"{asked} {_why_changed(where, value)}; using {used}.")
    return lesson, problems


def _quoted(key: str, raw: str, max_chars: int = 40) -> str:
    """`'key=value'` for a message: shortened, and with control and bidirectional-override characters (which
    could hide or reorder what the student reads) shown as U+FFFD."""
    value = raw if len(raw) <= max_chars else raw[: max_chars - 1] + "…"
    return f"'{key}={''.join(c if c.isprintable() else chr(0xFFFD) for c in value)}'"


def _parse(kind: str, raw: str) -> str | float:
    """The value a query parameter names: a known choice, or a finite number (its limits are applied later)."""
    choices = {"model": ARCHITECTURES, "charset": CHARSETS, "strategy": STRATEGIES}
    if kind in choices:
        if raw not in choices[kind]:
            raise ValueError(f"is not one of {', '.join(choices[kind])}")
        return raw
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    return number


def _within_limits(lesson: Lesson) -> Lesson:
    """Every number inside its limits, whole numbers rounded: SHOTS_LIMITS here, the training settings' LIMITS
    in `TrainSettings.clamped` (declared once, there)."""
    low, high = SHOTS_LIMITS
    return replace(lesson, shots=int(round(min(max(lesson.shots, low), high))), train=lesson.train.clamped())


def _why_changed(where: str, asked: float) -> str:
    low, high = SHOTS_LIMITS if where == "shots" else LIMITS[where.removeprefix("train.")]
    if asked > high:
        return f"is more than {high}"
    if asked < low:
        return f"is less than {low}"
    return "is not a whole number"


def _get(lesson: Lesson, where: str):
    if where.startswith("train."):
        return getattr(lesson.train, where.removeprefix("train."))
    return getattr(lesson, where)


def _set(lesson: Lesson, where: str, value) -> Lesson:
    if where.startswith("train."):
        return replace(lesson, train=replace(lesson.train, **{where.removeprefix("train."): value}))
    return replace(lesson, **{where: value})


@dataclass(frozen=True)
class Demo:
    name: str
    title: str
    lesson: Lesson
    why: str  # what the demonstration is meant to show; the page says what the numbers actually show


DEMOS = {
    demo.name: demo
    for demo in (
        Demo(
            "easy-task",
            "A task that is easy with enough labels",
            Lesson(charset="kanji-numerals", shots=20),
            "Ten very distinct characters with 20 samples each: a model trained from scratch has enough to go on.",
        ),
        Demo(
            "dense-backbone",
            "A dense-only backbone",
            Lesson(model="mlp"),
            "The MLP's features are tied to where a digit's pixels sit, not to strokes: they fit hiragana badly.",
        ),
    )
}
LESSON_SWEEP_SHOTS = (1, 2, 5, 10)  # the lesson's "fewer labels" check: one seed each, about a minute


def speed_and_accuracy(summary: dict) -> dict:
    """The first two benefits, measured on a comparison summary.

    - `scratch_final`, `transfer_final`: final eval accuracies; `accuracy_gain` = transfer - scratch.
    - `transfer_seconds_to_match`: training seconds transfer needed to reach scratch's final accuracy
      (None if it never did); `scratch_seconds`: scratch's whole training time; `speedup` = their ratio.
    """
    transfer, scratch = summary["transfer"], summary["scratch"]
    scratch_final, transfer_final = scratch["eval_accuracy"][-1], transfer["eval_accuracy"][-1]
    to_match = next(
        (s for a, s in zip(transfer["eval_accuracy"], transfer["epoch_seconds"], strict=True) if a >= scratch_final),
        None,
    )
    scratch_seconds = scratch["epoch_seconds"][-1]
    return {
        "transfer_final": transfer_final,
        "scratch_final": scratch_final,
        "accuracy_gain": transfer_final - scratch_final,
        "transfer_seconds_to_match": to_match,
        "scratch_seconds": scratch_seconds,
        "speedup": scratch_seconds / to_match if to_match else None,
    }


def labels_needed(sweep: dict) -> dict:
    """The third benefit, from a sweep: transfer's accuracy with the fewest samples per class, and how many
    samples per class scratch needed to match it (None: not within the sweep)."""
    fewest = sweep["shots"][0]
    target = sweep["transfer"]["mean"][0]
    matched = next((k for k, a in zip(sweep["shots"], sweep["scratch"]["mean"], strict=True) if a >= target), None)
    return {"fewest_shots": fewest, "transfer_accuracy": target, "scratch_shots_to_match": matched,
            "largest_shots": sweep["shots"][-1], "scratch_at_largest": sweep["scratch"]["mean"][-1]}  # fmt: skip


def verdict(summary: dict) -> str:
    """Whether transfer helped in this run, in one sentence that follows the numbers.

    Accuracy gains are differences of two percentages: percentage points, said so ("+30%" reads as relative).
    """
    numbers = speed_and_accuracy(summary)
    gain = numbers["accuracy_gain"]
    points = f"{gain * 100:+.0f} percentage points"
    if gain <= -0.02:
        return f"Transfer hurt here: {points} of accuracy against training from scratch."
    if gain < 0.02:
        speed = f" It was still {numbers['speedup']:.1f}x faster to get there." if numbers["speedup"] else ""
        return f"Transfer bought no accuracy here ({points}).{speed}"
    return f"Transfer helped: {points} of accuracy against training from scratch."
