"""Every setting that shapes a run, declared once: default, limits, link key, label and help, side by side.

A setting is a dataclass field made with `setting(...)`: `TrainSettings` here, and the lesson's model, character set
and samples per class in `tl_core.classroom.lesson`. Everything else is derived from these declarations:
clamping (`TrainSettings.clamped`, `clamp`), the lesson link's query keys and its round trip
(`tl_core.classroom.lesson`), and the pages' widgets (`ui.settings.setting_input`). Adding a setting is one
field here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from tl_core.training.transfer import DEFAULT_STRATEGY, STRATEGIES, validate_strategy

_KEY = "setting"  # where `setting()` keeps its declaration in a field's metadata


@dataclass(frozen=True)
class Setting:
    """One declared setting, as pages and links see it."""

    name: str  # the dataclass field
    default: object
    label: str  # the widget's label
    help: str  # the widget's tooltip ("" for none)
    url_key: str | None = None  # its query parameter in shared links (short keeps links readable); None: not in links
    low: float | None = None  # limits of a number: values outside are brought inside them
    high: float | None = None
    number_format: str | None = None  # how the widget shows the number (None: Streamlit's default)
    step: float | None = None  # what the widget's + and - add (None: 1 for whole numbers, 0.01 otherwise)
    choices: tuple[str, ...] | None = None  # the allowed values of a choice

    @property
    def whole(self) -> bool:
        """Whole numbers are rounded when clamped (epochs, seed), others are not (learning rates)."""
        return isinstance(self.default, int) and not isinstance(self.default, bool)


def setting(default: object, *, label: str, help: str = "", **declared: object) -> Any:
    """A dataclass field that is a setting (keyword arguments: the rest of `Setting`)."""
    return field(default=default, metadata={_KEY: {"label": label, "help": help, **declared}})


def settings_of(cls) -> tuple[Setting, ...]:
    """The settings a dataclass declares, in field order (fields made without `setting()` are not settings)."""
    return tuple(Setting(f.name, f.default, **f.metadata[_KEY]) for f in fields(cls) if _KEY in f.metadata)


def clamp(declared: Setting, value: object) -> int | float:
    """A number inside the setting's limits: NaN, infinite or not a number -> the default; whole ones rounded."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float(declared.default)
    if not math.isfinite(number):
        number = float(declared.default)
    number = min(max(number, declared.low), declared.high)
    return int(round(number)) if declared.whole else number


@dataclass(frozen=True)
class TrainSettings:
    strategy: str = setting(
        DEFAULT_STRATEGY,
        label="Strategy",
        url_key="strategy",
        choices=STRATEGIES,
        help=(
            "**feature-extraction**: Backbone frozen; only a new head learns, on features computed once. The "
            "fastest.\n\n**fine-tune-top**: The new head first, then the backbone's last block too, at a low "
            "learning rate.\n\n**fine-tune-all**: Every layer learns at a low learning rate; batch norm keeps its "
            "digit statistics."
        ),
    )
    # passes over the samples (one version of each sample per pass), the same for both models
    epochs: int = setting(
        30, label="Epochs", url_key="epochs", low=1, high=200, help="Passes over the samples, the same for both models."
    )
    # Adam, for the transfer model's new head
    head_learning_rate: float = setting(
        1e-2,
        label="Head learning rate",
        url_key="lr",
        low=1e-5,
        high=0.3,
        number_format="%.4f",
        step=1e-3,
        help="How fast the transfer model's new head learns (Adam).",
    )
    # Adam, for the scratch model (3e-3 and up stall it at chance)
    scratch_learning_rate: float = setting(
        1e-3,
        label="Scratch learning rate",
        url_key="scratch_lr",
        low=1e-5,
        high=0.1,
        number_format="%.4f",
        step=1e-4,
        help="How fast the scratch model learns (Adam); much higher and it stays at chance.",
    )
    # unfrozen pretrained layers: half the scratch rate adjusts, not erases
    fine_tune_learning_rate: float = setting(
        5e-4,
        label="Fine-tune learning rate",
        url_key="ft_lr",
        low=1e-6,
        high=0.01,
        number_format="%.5f",
        step=5e-5,
        help="How fast the pretrained layers change when they are fine-tuned: low, so they adjust, not forget.",
    )
    # few-shot sets are small; small batches mean more steps per epoch (not offered on the pages)
    batch_size: int = setting(16, label="Batch size", low=4, high=256)
    # jittered versions per sample, drawn once (0 = no augmentation)
    augment_copies: int = setting(
        4,
        label="Augmented copies per sample",
        url_key="aug",
        low=0,
        high=16,
        help="Jittered versions of each sample (tilted, slanted, zoomed, shifted), drawn once; 0 = none.",
    )
    head_epochs_share: float = 0.34  # fine-tune-top: share of epochs that train only the head first (fixed)
    # seeds weights, augmentation, shuffling and the epoch plan
    seed: int = setting(
        0, label="Seed", url_key="seed", low=0, high=2**31 - 1, help="The same seed gives the same samples and curves."
    )

    def clamped(self) -> TrainSettings:
        """These settings with every number inside its limits (NaN or infinite -> the default)."""
        numbers = {s.name: clamp(s, getattr(self, s.name)) for s in TRAIN_SETTINGS.values() if s.low is not None}
        return replace(self, strategy=validate_strategy(self.strategy), **numbers)


TRAIN_SETTINGS = {declared.name: declared for declared in settings_of(TrainSettings)}
# Each number's (low, high), derived from the declarations above.
LIMITS = {name: (s.low, s.high) for name, s in TRAIN_SETTINGS.items() if s.low is not None}
