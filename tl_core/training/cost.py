"""What a job costs the trainer, from a calibration measured on this machine, and whether it fits the budget.

The trainer is shared by a class (see `tl_core.classroom.jobs`), so every job is estimated before it is queued: for
the schedule, for the waiting times students see, and to refuse a run that would take more than the
per-job budget (`TL_MAX_JOB_SECONDS`), with what to reduce and a cheaper run that fits.

The cost model follows what the engine does (`tl_core.training.engine`), one term per kind of work:

    one side   = setup + per_sample_epoch x samples x epochs
                 + curve forward x evaluation images x (epochs - 1)       [scratch and fine-tuning: curves,
                 + forward x evaluation images                             the last epoch in full precision]
                 + forward x (samples x (1 + copies) + evaluation images) [feature extraction: embeddings]
    comparison = augmentation x samples x copies + transfer side + scratch side
                 + forward x evaluation images (the transfer model's confusion matrix) + job overhead
    lesson     = rendering x samples + comparison;  sweep = the sum of its comparisons (and renders)

Every coefficient, per architecture and strategy, is measured by `benchmarks/calibrate.py`, which writes
`assets/calibration.json`; nothing here is typed in by hand. Estimates are for a warm server (compiled
models in the pool; the first run of a kind also compiles, a few seconds more).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

from tl_core.training.settings import TrainSettings

CALIBRATION_FILE = Path(__file__).resolve().parents[2] / "assets" / "calibration.json"
SIDES = ("scratch", "feature-extraction", "fine-tune-top", "fine-tune-all")  # what is calibrated per model


class CalibrationMissing(RuntimeError):
    """The calibration file is missing or lacks an architecture: run `benchmarks/calibrate.py`."""


@dataclass(frozen=True)
class SideCost:
    setup_seconds: float  # building or borrowing models, first-epoch overheads
    seconds_per_sample_epoch: float  # one training sample through one epoch (forward, backward, update)


@dataclass(frozen=True)
class ModelCost:
    forward_seconds_per_image: float  # a float32 forward pass: embeddings, the last epoch, confusion matrices
    curve_seconds_per_image: float  # the compiled forward pass that evaluates curves (bfloat16 where used)
    sides: dict[str, SideCost]  # by SIDES


@dataclass(frozen=True)
class Calibration:
    models: dict[str, ModelCost]
    augment_seconds_per_copy: float  # one jittered copy of one sample (the epoch plan, drawn once)
    render_seconds_per_sample: float  # one handwriting-like render (lessons and sweeps render their samples)
    job_overhead_seconds: float  # what a comparison job does besides training: serialising, saving
    machine: str = ""

    @classmethod
    def from_json(cls, data: dict) -> Calibration:
        models = {
            name: ModelCost(
                entry["forward_seconds_per_image"],
                entry["curve_seconds_per_image"],
                {s: SideCost(**entry["sides"][s]) for s in SIDES},
            )
            for name, entry in data["models"].items()
        }
        return cls(
            models,
            data["augment_seconds_per_copy"],
            data["render_seconds_per_sample"],
            data["job_overhead_seconds"],
            data.get("machine", ""),
        )

    def model(self, architecture: str) -> ModelCost:
        if architecture not in self.models:
            raise CalibrationMissing(f"No calibration for '{architecture}': run benchmarks/calibrate.py.")
        return self.models[architecture]


@functools.cache
def calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    try:
        return Calibration.from_json(json.loads(Path(path).read_text()))
    except (OSError, KeyError, ValueError, TypeError) as problem:
        raise CalibrationMissing(f"{path} is missing or unreadable ({problem}): run benchmarks/calibrate.py.") from None


def side_seconds(
    cal: Calibration, architecture: str, side: str, n_train: int, n_eval: int, settings: TrainSettings
) -> float:
    """Trainer seconds of one model's training, evaluation after every epoch included."""
    model = cal.model(architecture)
    cost = model.sides[side]
    seconds = cost.setup_seconds + cost.seconds_per_sample_epoch * n_train * settings.epochs
    if side == "feature-extraction":  # every version of every sample is embedded once, and the evaluation set
        return seconds + model.forward_seconds_per_image * (n_train * (1 + settings.augment_copies) + n_eval)
    curve = model.curve_seconds_per_image * n_eval * (settings.epochs - 1)
    return seconds + curve + model.forward_seconds_per_image * n_eval


def comparison_seconds(
    architecture: str, settings: TrainSettings, n_train: int, n_eval: int, cal: Calibration | None = None
) -> float:
    """Trainer seconds of a whole comparison job (both models, curves, confusion matrices, saving)."""
    cal = cal or calibration()
    settings = settings.clamped()
    return (
        cal.augment_seconds_per_copy * n_train * settings.augment_copies
        + side_seconds(cal, architecture, settings.strategy, n_train, n_eval, settings)
        + side_seconds(cal, architecture, "scratch", n_train, n_eval, settings)
        + cal.model(architecture).forward_seconds_per_image * n_eval
        + cal.job_overhead_seconds
    )


def rendered_comparison_seconds(
    architecture: str, settings: TrainSettings, n_train: int, n_eval: int, cal: Calibration | None = None
) -> float:
    """A comparison whose samples are rendered inside the job (lessons, sweeps over built-in sets)."""
    cal = cal or calibration()
    return cal.render_seconds_per_sample * n_train + comparison_seconds(architecture, settings, n_train, n_eval, cal)


@dataclass(frozen=True)
class SweepSize:
    shots: tuple[int, ...]  # samples per class at each point
    seeds: int  # repeats per point


def sweep_seconds(
    architecture: str, settings: TrainSettings, size: SweepSize, n_classes: int, n_eval: int, rendered: bool
) -> float:
    """Trainer seconds of a data-efficiency sweep: one comparison per (shots, seed)."""
    one = rendered_comparison_seconds if rendered else comparison_seconds
    return size.seeds * sum(one(architecture, settings, k * n_classes, n_eval) for k in size.shots)


@dataclass(frozen=True)
class BudgetCheck:
    seconds: float  # the estimate of what was asked for
    limit: float  # the per-job budget
    message: str | None = None  # None when it fits; else what was asked, the limit, and what to reduce
    cheaper: TrainSettings | None = None  # the same run with the most epochs that fit (None: fits, or none does)

    @property
    def fits(self) -> bool:
        return self.seconds <= self.limit


def check_comparison(
    architecture: str,
    settings: TrainSettings,
    n_train: int,
    n_eval: int,
    limit: float,
    rendered: bool = False,
    n_classes: int = 1,
) -> BudgetCheck:
    """Does this comparison fit the budget? If not: what to reduce, and the same run cut to the epochs that fit."""
    settings = settings.clamped()
    estimate = rendered_comparison_seconds if rendered else comparison_seconds

    def cost(s: TrainSettings, model: str = architecture, samples: int = n_train) -> float:
        return estimate(model, s, samples, n_eval)

    asked = cost(settings)
    if asked <= limit:
        return BudgetCheck(asked, limit)
    most_epochs = _largest(lambda e: cost(replace(settings, epochs=e)) <= limit, 1, settings.epochs)
    ways = []
    if most_epochs:
        ways.append(f"at most {most_epochs} epochs")
    extraction = replace(settings, strategy="feature-extraction")
    if settings.strategy != extraction.strategy and cost(extraction) <= limit:
        ways.append(f"the feature-extraction strategy (about {cost(extraction):,.0f} s in all)")
    per_class = max(1, n_train // n_classes)
    fewer = _largest(lambda k: cost(settings, samples=k * n_classes) <= limit, 1, per_class)
    if fewer and fewer < per_class:
        ways.append(f"at most {fewer} sample{'s' if fewer > 1 else ''} per class")
    lighter = [m for m in calibration().models if m != architecture and cost(settings, model=m) <= limit]
    if lighter:
        ways.append(f"a smaller model ({', '.join(lighter)})")
    message = (
        f"This run needs about {asked:,.0f} s of the shared trainer, over this server's limit of {limit:,.0f} s "
        f"per job (set by the teacher with TL_MAX_JOB_SECONDS). To fit, use "
        + (_either(ways) if ways else "fewer epochs, fewer samples and the feature-extraction strategy")
        + "."
    )
    cheaper = replace(settings, epochs=most_epochs) if most_epochs else None
    return BudgetCheck(asked, limit, message, cheaper)


@dataclass(frozen=True)
class SweepFit:
    size: SweepSize | None  # the largest sweep within the budget (None: not even one point fits)
    seconds: float  # its estimate (0 when None)
    wanted_seconds: float  # the estimate of the sweep that was asked for

    @property
    def reduced(self) -> bool:
        return self.size is not None and self.seconds < self.wanted_seconds


def fitting_sweep(
    architecture: str,
    settings: TrainSettings,
    wanted: SweepSize,
    n_classes: int,
    n_eval: int,
    rendered: bool,
    limit: float,
) -> SweepFit:
    """The largest sweep within the budget: all seeds if they fit, else fewer seeds, else the largest shots
    left out one by one."""

    def cost(size: SweepSize) -> float:
        return sweep_seconds(architecture, settings, size, n_classes, n_eval, rendered)

    candidates = [SweepSize(wanted.shots, seeds) for seeds in range(wanted.seeds, 0, -1)]
    candidates += [SweepSize(wanted.shots[:n], 1) for n in range(len(wanted.shots) - 1, 0, -1)]
    for size in candidates:
        if (seconds := cost(size)) <= limit:
            return SweepFit(size, seconds, cost(wanted))
    return SweepFit(None, 0.0, cost(wanted))


def _either(ways: list[str]) -> str:
    return ways[0] if len(ways) == 1 else ", ".join(ways[:-1]) + " or " + ways[-1]


def _largest(fits, low: int, high: int) -> int | None:
    """The largest n in [low, high] with fits(n), for fits that hold up to some n and not beyond (or None)."""
    if not fits(low):
        return None
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if fits(middle) else (low, middle - 1)
    return low


class LessonSettings(Protocol):
    """What a lesson's cost depends on (`tl_core.classroom.lesson.Lesson` has it; that module is above this one)."""

    model: str
    charset: str
    shots: int
    train: TrainSettings


def lesson_size(lesson: LessonSettings) -> tuple[int, int]:
    """(training samples, evaluation samples) of a lesson (`tl_core.classroom.lesson.Lesson`): rendered in the job."""
    from tl_core.data.charsets import get_charset
    from tl_core.training.tasks import EVAL_PER_CLASS

    classes = len(get_charset(lesson.charset).labels)
    return lesson.shots * classes, EVAL_PER_CLASS * classes


def check_lesson(lesson: LessonSettings, limit: float) -> BudgetCheck:
    """`check_comparison` for a lesson's training (its samples rendered inside the job)."""
    n_train, n_eval = lesson_size(lesson)
    return check_comparison(
        lesson.model, lesson.train, n_train, n_eval, limit, rendered=True, n_classes=n_train // lesson.shots
    )
