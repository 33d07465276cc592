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

from tl_core.data.charsets import CHARSETS, DEFAULT_CHARSET
from tl_core.models.architectures import ARCHITECTURES, DEFAULT_MODEL
from tl_core.training.evaluation import better_worse_or_tie
from tl_core.training.results import ComparisonSummary, SweepSummary
from tl_core.training.settings import TRAIN_SETTINGS, Setting, TrainSettings, clamp, setting, settings_of
from tl_core.training.tasks import Task, charset_task


@dataclass(frozen=True)
class Lesson:
    # the zoo model whose backbone transfers
    model: str = setting(DEFAULT_MODEL, label="Digit model", url_key="model", choices=tuple(ARCHITECTURES))
    # the new script: many classes, so few shots are hard from scratch
    charset: str = setting(
        DEFAULT_CHARSET, label="Characters the digit model never saw", url_key="set", choices=tuple(CHARSETS)
    )
    # rendered training samples per class: few, where transfer shows most
    shots: int = setting(5, label="Samples per class", url_key="shots", low=1, high=25)
    train: TrainSettings = field(default_factory=TrainSettings)  # strategy, epochs, learning rates, seed

    def task(self) -> Task:
        """The lesson's samples: `shots` renders per class with the lesson's seed; fresh renders to evaluate."""
        return charset_task(self.charset, self.shots, seed=self.train.seed)


def _link_settings() -> dict[str, tuple[str, Setting]]:
    """Query key -> (where the value lives in a Lesson, its declaration): the lesson's own settings, then the
    training settings that links carry ("train.epochs")."""
    own = {s.url_key: (s.name, s) for s in settings_of(Lesson)}
    return own | {s.url_key: (f"train.{s.name}", s) for s in TRAIN_SETTINGS.values() if s.url_key}


QUERY_KEYS = _link_settings()  # every key a lesson link carries, in link order
SHOTS_LIMITS = (QUERY_KEYS["shots"][1].low, QUERY_KEYS["shots"][1].high)  # samples per class a lesson allows
# What the Train page takes from a link: every setting but the samples (`set`, `shots`), which are its workspace's.
RUN_KEYS = tuple(key for key in QUERY_KEYS if key not in ("set", "shots"))


def lesson_values(lesson: Lesson) -> dict[str, object]:
    """Every setting a link carries, by query key, as a value (not text)."""
    return {key: _get(lesson, where) for key, (where, _) in QUERY_KEYS.items()}


def lesson_to_query(lesson: Lesson) -> dict[str, str]:
    """Every setting as a query parameter (all of them, so a link never depends on today's defaults)."""
    return {
        key: repr(float(value)) if isinstance(QUERY_KEYS[key][1].default, float) else str(value)
        for key, value in lesson_values(lesson).items()
    }


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
    for key, (where, declared) in QUERY_KEYS.items():
        raw = query.get(key)
        if raw is None or (keys is not None and key not in keys):
            continue
        asked = _quoted(key, str(raw))
        try:
            value = _parse(declared, str(raw))
        except ValueError as problem:
            problems.append(f"{asked} {problem}; using {_get(lesson, where)}.")
            continue
        lesson = _set(lesson, where, clamp(declared, value) if declared.choices is None else value)
        if (used := _get(lesson, where)) != value:
            problems.append(f"{asked} {_why_changed(declared, value)}; using {used}.")
    return lesson, problems


def lesson_from_values(values: Mapping[str, object], keys: Collection[str] | None = None) -> Lesson:
    """The lesson whose settings have these values (query key -> value, e.g. what a page's widgets hold), every
    number inside its limits; settings not in `keys` (or not given) keep their defaults."""
    lesson = Lesson()
    for key, (where, declared) in QUERY_KEYS.items():
        if key in values and (keys is None or key in keys):
            value = values[key] if declared.choices is not None else clamp(declared, values[key])
            lesson = _set(lesson, where, value)
    return replace(lesson, train=lesson.train.clamped())  # an unknown strategy is refused here, as it always was


def _quoted(key: str, raw: str, max_chars: int = 40) -> str:
    """`'key=value'` for a message: shortened, and with control and bidirectional-override characters (which
    could hide or reorder what the student reads) shown as U+FFFD."""
    value = raw if len(raw) <= max_chars else raw[: max_chars - 1] + "…"
    return f"'{key}={''.join(c if c.isprintable() else chr(0xFFFD) for c in value)}'"


def _parse(declared: Setting, raw: str) -> str | float:
    """The value a query parameter names: a known choice, or a finite number (its limits are applied later)."""
    if declared.choices is not None:
        if raw not in declared.choices:
            raise ValueError(f"is not one of {', '.join(declared.choices)}")
        return raw
    try:
        number = float(raw)
    except ValueError:
        raise ValueError("is not a number") from None
    if not math.isfinite(number):
        raise ValueError("is not a finite number")
    return number


def _why_changed(declared: Setting, asked: float) -> str:
    if asked > declared.high:
        return f"is more than {declared.high}"
    if asked < declared.low:
        return f"is less than {declared.low}"
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


@dataclass(frozen=True)
class SpeedAndAccuracy:
    """The first two benefits, measured on a comparison."""

    transfer_final: float  # final eval accuracy
    scratch_final: float
    accuracy_gain: float  # transfer_final - scratch_final
    transfer_seconds_to_match: float | None  # training seconds transfer needed to reach scratch's final accuracy
    scratch_seconds: float  # scratch's whole training time
    speedup: float | None  # scratch_seconds / transfer_seconds_to_match (None: transfer never matched)


def speed_and_accuracy(summary: ComparisonSummary) -> SpeedAndAccuracy:
    """The first two benefits, read off both curves of a comparison."""
    transfer, scratch = summary.transfer, summary.scratch
    scratch_final, transfer_final = scratch.eval_accuracy[-1], transfer.eval_accuracy[-1]
    to_match = next(
        (s for a, s in zip(transfer.eval_accuracy, transfer.epoch_seconds, strict=True) if a >= scratch_final),
        None,
    )
    scratch_seconds = scratch.epoch_seconds[-1]
    return SpeedAndAccuracy(
        transfer_final=transfer_final,
        scratch_final=scratch_final,
        accuracy_gain=transfer_final - scratch_final,
        transfer_seconds_to_match=to_match,
        scratch_seconds=scratch_seconds,
        speedup=scratch_seconds / to_match if to_match else None,
    )


@dataclass(frozen=True)
class LabelsNeeded:
    """The third benefit, measured on a sweep."""

    fewest_shots: int  # the sweep's fewest samples per class
    transfer_accuracy: float  # transfer's accuracy with them
    scratch_shots_to_match: int | None  # samples per class scratch needed to match it (None: not within the sweep)
    largest_shots: int  # the sweep's most samples per class
    scratch_at_largest: float  # scratch's accuracy with them


def labels_needed(sweep: SweepSummary) -> LabelsNeeded:
    """Transfer's accuracy with the fewest samples per class, and how many samples per class scratch needed to
    match it."""
    target = sweep.transfer.mean[0]
    matched = next((k for k, a in zip(sweep.shots, sweep.scratch.mean, strict=True) if a >= target), None)
    return LabelsNeeded(
        fewest_shots=sweep.shots[0],
        transfer_accuracy=target,
        scratch_shots_to_match=matched,
        largest_shots=sweep.shots[-1],
        scratch_at_largest=sweep.scratch.mean[-1],
    )


def verdict(summary: ComparisonSummary) -> str:
    """Whether transfer helped in this run, in one sentence that follows the numbers.

    Accuracy gains are differences of two percentages: percentage points, said so ("+30%" reads as relative).
    """
    numbers = speed_and_accuracy(summary)
    points = f"{numbers.accuracy_gain * 100:+.0f} percentage points"
    outcome = better_worse_or_tie(numbers.transfer_final, numbers.scratch_final)
    if outcome == "worse":
        return f"Transfer hurt here: {points} of accuracy against training from scratch."
    if outcome == "tie":
        speed = f" It was still {numbers.speedup:.1f}x faster to get there." if numbers.speedup else ""
        return f"Transfer bought no accuracy here ({points}).{speed}"
    return f"Transfer helped: {points} of accuracy against training from scratch."
