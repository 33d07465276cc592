"""What a comparison and a sweep produce, as typed values.

While training: `EpochRecord`s, one `RunResult` per model (with its Keras model) and the `Comparison` of both.
As kept: `ComparisonSummary` and `SweepSummary`, plain numbers read by attribute. JSON only at the edges:
`to_json` / `from_json` where a summary is saved to or read from the workspace, printed by
`python -m tl_core compare --json` (its public contract, see the README) or exported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from tl_core.storage.workspace import COMPARISON_MODELS
from tl_core.training.settings import TrainSettings

# COMPARISON_MODELS is declared in storage (the lowest part that needs it); the parts above read it from here.
__all__ = [
    "COMPARISON_MODELS",
    "EpochRecord",
    "RunResult",
    "Comparison",
    "ModelCurves",
    "ComparisonSummary",
    "comparison_summary",
    "SweepCurve",
    "SweepSummary",
]


# --- in memory, while training -------------------------------------------------------------------------------
@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based
    loss: float
    train_accuracy: float
    eval_accuracy: float | None  # None when there is nothing to evaluate on
    seconds: float  # cumulative training seconds of this model (preparation included, evaluation excluded)


@dataclass
class RunResult:
    """One model's training as the engine fills it in, epoch by epoch (hence not frozen)."""

    model: object  # the trained Keras model: (N, 28, 28, 1) -> one probability per label
    curve: list[EpochRecord] = field(default_factory=list)
    cancelled: bool = False
    eval_seconds: float = 0.0  # time spent evaluating the curve (not part of the curve's clock)
    eval_predictions: np.ndarray | None = None  # the last epoch's predicted class per evaluation sample

    @property
    def seconds(self) -> float:
        return self.curve[-1].seconds if self.curve else 0.0

    @property
    def final_accuracy(self) -> float | None:
        return self.curve[-1].eval_accuracy if self.curve else None


@dataclass
class Comparison:
    labels: list[str]
    strategy: str
    settings: TrainSettings
    eval_size: int
    eval_source: str
    warning: str | None
    transfer: RunResult
    scratch: RunResult


# --- as kept: a comparison -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelCurves:
    """One model of a kept comparison: its values after each epoch, and its totals."""

    eval_accuracy: tuple[float | None, ...]  # None when there was nothing to evaluate on
    train_accuracy: tuple[float, ...]  # on each epoch's training samples (augmented copies included)
    loss: tuple[float, ...]  # the training loss (the evaluation loss is not recorded)
    epoch_seconds: tuple[float, ...]  # cumulative training seconds at the end of each epoch
    seconds: float  # the whole training (preparation included, evaluation excluded)
    eval_seconds: float | None = None  # evaluating the curve, not in `seconds` (None: a run kept before it was)
    cancelled: bool = False

    @property
    def final_accuracy(self) -> float | None:
        return self.eval_accuracy[-1] if self.eval_accuracy else None

    @classmethod
    def of(cls, run: RunResult) -> ModelCurves:
        """A trained model's numbers, rounded as they are kept and printed."""
        return cls(
            eval_accuracy=tuple(record.eval_accuracy for record in run.curve),
            train_accuracy=tuple(round(record.train_accuracy, 4) for record in run.curve),
            loss=tuple(round(record.loss, 4) for record in run.curve),
            epoch_seconds=tuple(round(record.seconds, 3) for record in run.curve),
            seconds=round(run.seconds, 3),
            eval_seconds=round(run.eval_seconds, 3),
            cancelled=run.cancelled,
        )

    def to_json(self) -> dict:
        return {
            "eval_accuracy": list(self.eval_accuracy),
            "train_accuracy": list(self.train_accuracy),
            "loss": list(self.loss),
            "epoch_seconds": list(self.epoch_seconds),
            "seconds": self.seconds,
            "eval_seconds": self.eval_seconds,
            "cancelled": self.cancelled,
        }

    @classmethod
    def from_json(cls, kept: Mapping) -> ModelCurves:
        """Older runs may lack the training curves, the evaluation time or `cancelled`."""
        return cls(
            eval_accuracy=tuple(kept["eval_accuracy"]),
            train_accuracy=tuple(kept.get("train_accuracy", ())),
            loss=tuple(kept.get("loss", ())),
            epoch_seconds=tuple(kept["epoch_seconds"]),
            seconds=kept["seconds"],
            eval_seconds=kept.get("eval_seconds"),
            cancelled=kept.get("cancelled", False),
        )


# What `experiments` adds to a comparison it keeps, in the order it is stored (absent from `compare --json`); the
# last three only to a lesson's.
_KEPT_DETAILS = (
    "model",
    "model_title",
    "warning",
    "train_size",
    "settings",
    "confusion",
    "misread",
    "charset",
    "lesson_key",
    "lesson",
    "shots",
)


@dataclass(frozen=True)
class ComparisonSummary:
    """The numbers of a comparison: both models' curves, and (when kept) what it was trained on and got wrong.

    The details after `scratch` are None where not recorded: `compare --json` has none of them, a workspace run
    has no lesson, and older runs lack some (`misread`, for one).
    """

    labels: tuple[str, ...]  # output i of both models is labels[i]
    eval_size: int  # evaluation samples (0: nothing was held out)
    eval_source: str  # where they came from, in words
    strategy: str  # the transfer model's (tl_core.training.transfer.STRATEGIES)
    epochs: int
    seed: int
    transfer: ModelCurves
    scratch: ModelCurves
    model: str | None = None  # the zoo architecture both models share
    model_title: str | None = None
    warning: str | None = None  # a caution about the evaluation (too few samples held out)
    train_size: int | None = None  # training samples
    settings: Mapping[str, object] | None = None  # the run's TrainSettings, field by field, as kept
    confusion: Mapping[str, list[list[int]]] | None = None  # per model: rows true class, columns predicted
    # per model: [evaluation index, predicted class] of each evaluation sample it got wrong (None: not kept)
    misread: Mapping[str, list[list[int]] | None] | None = None
    charset: str | None = None  # the built-in set the samples are of (None: the student's own classes)
    lesson_key: str | None = None  # a lesson run's `tl_core.classroom.lesson.lesson_key`
    lesson: Mapping[str, str] | None = None  # a lesson run's link parameters
    shots: int | None = None  # a lesson run's samples per class

    def curves(self, which: str) -> ModelCurves:
        """`transfer` or `scratch`, by name (one of COMPARISON_MODELS)."""
        if which not in COMPARISON_MODELS:
            raise ValueError(f"A comparison has no model “{which}”.")
        return getattr(self, which)

    def to_json(self) -> dict:
        """The `compare --json` contract (scratch before transfer, as it always was), then the details kept."""
        numbers = {
            "labels": list(self.labels),
            "eval_size": self.eval_size,
            "eval_source": self.eval_source,
            "strategy": self.strategy,
            "epochs": self.epochs,
            "seed": self.seed,
            "scratch": self.scratch.to_json(),
            "transfer": self.transfer.to_json(),
        }
        return numbers | _recorded(self, _KEPT_DETAILS)

    @classmethod
    def from_json(cls, kept: Mapping) -> ComparisonSummary:
        """A summary as stored, by this version or an older one (missing details are None, extra keys ignored)."""
        return cls(
            labels=tuple(kept["labels"]),
            eval_size=kept["eval_size"],
            eval_source=kept["eval_source"],
            strategy=kept["strategy"],
            epochs=kept["epochs"],
            seed=kept["seed"],
            transfer=ModelCurves.from_json(kept["transfer"]),
            scratch=ModelCurves.from_json(kept["scratch"]),
            **{name: kept.get(name) for name in _KEPT_DETAILS},
        )


def _recorded(summary: object, details: tuple[str, ...]) -> dict:
    """The details a summary recorded (None: not recorded, left out), as JSON takes them: mappings as dicts."""
    values = {name: getattr(summary, name) for name in details}
    return {
        name: dict(value) if isinstance(value, Mapping) else value
        for name, value in values.items()
        if value is not None
    }


def comparison_summary(result: Comparison) -> ComparisonSummary:
    """The plain numbers of a comparison (without the details `experiments` adds when it keeps one)."""
    return ComparisonSummary(
        labels=tuple(result.labels),
        eval_size=result.eval_size,
        eval_source=result.eval_source,
        strategy=result.strategy,
        epochs=result.settings.epochs,
        seed=result.settings.seed,
        transfer=ModelCurves.of(result.transfer),
        scratch=ModelCurves.of(result.scratch),
    )


# --- as kept: a data-efficiency sweep ------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepCurve:
    """One model's final eval accuracy at each point of a sweep (samples per class), over the seeds run there."""

    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    runs: tuple[tuple[float, ...], ...]  # per point, one accuracy per seed

    def to_json(self) -> dict:
        runs = [list(seeds) for seeds in self.runs]
        return {"mean": list(self.mean), "low": list(self.low), "high": list(self.high), "runs": runs}

    @classmethod
    def from_json(cls, kept: Mapping) -> SweepCurve:
        return cls(tuple(kept["mean"]), tuple(kept["low"]), tuple(kept["high"]), tuple(map(tuple, kept["runs"])))


# What `experiments` adds to a sweep it keeps, in the order it is stored.
_SWEEP_DETAILS = ("model_title", "lesson_key", "strategy", "epochs", "note", "seeds")


@dataclass(frozen=True)
class SweepSummary:
    """Final eval accuracy of both models against samples per class. The details after `cancelled` are None
    where not recorded (a lesson's sweep has no model title or note; older sweeps did not record `seeds`)."""

    shots: tuple[int, ...]  # samples per class at each point
    transfer: SweepCurve
    scratch: SweepCurve
    cancelled: bool = False
    model_title: str | None = None
    lesson_key: str | None = None  # a lesson sweep's `tl_core.classroom.lesson.lesson_key`
    strategy: str | None = None
    epochs: int | None = None
    note: str | None = None  # where the samples of each point come from, in words
    seeds: int | None = None  # seeds run per point

    def curve(self, which: str) -> SweepCurve:
        """`transfer` or `scratch`, by name (one of COMPARISON_MODELS)."""
        if which not in COMPARISON_MODELS:
            raise ValueError(f"A sweep has no model “{which}”.")
        return getattr(self, which)

    @property
    def seeds_per_point(self) -> int:
        """Seeds run per point: recorded as `seeds` since it was added, else counted from the runs."""
        if self.seeds:
            return int(self.seeds)
        return len(self.transfer.runs[0]) if self.transfer.runs else 0

    def to_json(self) -> dict:
        numbers = {"shots": list(self.shots), "cancelled": self.cancelled}
        numbers |= {which: self.curve(which).to_json() for which in COMPARISON_MODELS}
        return numbers | _recorded(self, _SWEEP_DETAILS)

    @classmethod
    def from_json(cls, kept: Mapping) -> SweepSummary:
        return cls(
            shots=tuple(kept["shots"]),
            transfer=SweepCurve.from_json(kept["transfer"]),
            scratch=SweepCurve.from_json(kept["scratch"]),
            cancelled=kept.get("cancelled", False),
            **{name: kept.get(name) for name in _SWEEP_DETAILS},
        )
