"""Train a transfer model and a scratch model on the same few samples, epoch by epoch, with curves.

Both models see exactly the same images: the samples plus `augment_copies` jittered versions of each,
drawn once; every epoch takes one version of every sample (the same choice for both models). The clock of
each curve counts only that model's training (its preparation included, evaluation excluded).

Curves are evaluated on the whole evaluation set after every epoch, with a compiled forward pass (in
bfloat16 where the CPU has it, see `precision`); the last epoch, whose accuracy is the run's result, always
in the precision the model trained in, so final numbers and confusion matrices are exact.

For `feature-extraction` the frozen backbone embeds every version of every sample once, and then only the
head trains, on those embeddings: that is what makes transfer learning feel live on two CPU cores.

Kept as one module: both models go through the same epoch plan, clock and per-epoch loop (`_Run`); apart, the one
path whose sameness makes the comparison fair would be spread over files. Compiled models come from
`model_pool`, and what they produce is described in `results`.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tl_core.backend import building, keras, seeded
from tl_core.data.augment import SampleAugment, jitter_copies
from tl_core.models.architectures import assemble
from tl_core.models.batches import predict_in_batches
from tl_core.models.precision import Precision, bf16_copy, layer_dtype
from tl_core.training.model_pool import MODEL_POOL, PooledModel, copy_variables
from tl_core.training.results import Comparison, EpochRecord, RunResult
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import Task
from tl_core.training.transfer import (
    clone_backbone,
    freeze_backbone,
    new_head,
    scratch_model,
    transfer_model,
    unfreeze_all,
    unfreeze_last_block,
)

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily


FLOAT32 = Precision("float32")  # train_transfer's and train_scratch's default: everything in float32

# Callbacks: progress("transfer" | "scratch", record) after every epoch; should_stop() -> True cancels.
ProgressCallback = Callable[[str, EpochRecord], None]
StopCallback = Callable[[], bool]


def compare(
    pretrained_model: Model,
    architecture: str,
    task: Task,
    settings: TrainSettings = TrainSettings(),
    progress: ProgressCallback | None = None,
    should_stop: StopCallback | None = None,
    precision: Precision | None = None,
) -> Comparison:
    """Train the transfer model, then the scratch model, on the same samples; curves for both.

    `precision` defaults to this server's (`Precision.from_env()`).
    """
    settings = settings.clamped()
    precision = precision or Precision.from_env()
    inputs = RunInputs(task, epoch_plan(task, settings), settings, progress, should_stop, precision)
    transfer = train_transfer(pretrained_model, architecture, inputs)
    scratch = RunResult(model=None, cancelled=True)
    if not transfer.cancelled:
        scratch = train_scratch(architecture, inputs)
    return Comparison(
        labels=list(task.labels),
        strategy=settings.strategy,
        settings=settings,
        eval_size=len(task.x_eval),
        eval_source=task.eval_source,
        warning=task.warning,
        transfer=transfer,
        scratch=scratch,
    )


@dataclass(frozen=True)
class EpochPlan:
    versions: np.ndarray  # (1 + copies, N, 28, 28): originals first, then jittered copies
    order: np.ndarray  # (epochs, N) flat indices into versions.reshape(-1, 28, 28), shuffled per epoch
    labels: np.ndarray  # (epochs, N) the matching labels
    preparation_seconds: float  # time spent drawing the augmented copies


def epoch_plan(task: Task, settings: TrainSettings) -> EpochPlan:
    """Which version of which sample each epoch sees, in which order: shared by both models."""
    started = time.perf_counter()
    rng = np.random.default_rng([settings.seed, 7])
    n = len(task.x_train)
    copies = jitter_copies(task.x_train, rng, SampleAugment(copies=settings.augment_copies))
    versions = np.concatenate([task.x_train[None], copies]) if settings.augment_copies else task.x_train[None]
    order = np.empty((settings.epochs, n), np.int64)
    for epoch in range(settings.epochs):
        # The first epoch shows the samples as they are; later ones mostly jittered versions.
        version = np.zeros(n, np.int64) if epoch == 0 else rng.integers(0, len(versions), size=n)
        order[epoch] = rng.permutation(version * n + np.arange(n))
    labels = task.y_train[order % n]
    return EpochPlan(versions, order, labels, time.perf_counter() - started)


@dataclass(frozen=True)
class RunInputs:
    """What a model trains on and reports to: the same for the transfer and the scratch model of a comparison."""

    task: Task
    plan: EpochPlan  # which version of which sample each epoch sees (`epoch_plan`)
    settings: TrainSettings
    progress: ProgressCallback | None = None
    should_stop: StopCallback | None = None
    precision: Precision = FLOAT32


def train_transfer(pretrained_model: Model, architecture: str, inputs: RunInputs) -> RunResult:
    # Randomness here: the new head's initial weights (seeded below, under the build lock; an unlocked
    # reseed would disturb another thread's seeded build), the epoch plan (its own generator) and, for
    # feature extraction, scikit-learn's `random_state`.
    run = _Run("transfer", inputs)
    task, settings, precision = inputs.task, inputs.settings, inputs.precision
    if settings.strategy == "feature-extraction":
        return _train_head_on_embeddings(pretrained_model, architecture, run)
    n_classes = len(task.labels)
    bf16 = precision.train_bf16

    def transfer_model_in_precision():
        model = transfer_model(pretrained_model, architecture, n_classes)
        return bf16_copy(model) if bf16 else model

    with run.clock.running(), seeded(settings.seed):
        model = transfer_model_in_precision()  # seeded new head
    if settings.strategy == "fine-tune-all":
        phases = [(0, settings.epochs, unfreeze_all, settings.fine_tune_learning_rate)]
    else:  # fine-tune-top: the head alone first, then the last block too, at a low learning rate
        head_epochs = max(1, min(settings.epochs - 1, round(settings.epochs * settings.head_epochs_share)))
        phases = [
            (0, head_epochs, freeze_backbone, settings.head_learning_rate),
            (head_epochs, settings.epochs, unfreeze_last_block, settings.fine_tune_learning_rate),
        ]
    run.result.model = model
    for start, stop, configure, learning_rate in phases:

        def build(configure=configure):
            with building():
                compiled = transfer_model_in_precision()
            configure(compiled)
            return compiled

        key = ("transfer", architecture, n_classes, configure.__name__, bf16)
        with run.clock.running():
            configure(model)  # the returned model records which layers were trained last
        run.clock.start()  # borrowing (the first time: building and compiling) counts as training
        with MODEL_POOL.borrow(model, key, build, learning_rate) as pooled:
            finished = run.fit(pooled, start, stop)
            copy_variables(pooled.model, model)
        if not finished:
            break
    return run.result


def train_scratch(architecture: str, inputs: RunInputs) -> RunResult:
    run = _Run("scratch", inputs)
    task, settings, precision = inputs.task, inputs.settings, inputs.precision
    bf16 = precision.train_bf16
    with run.clock.running(), seeded(settings.seed), layer_dtype(bf16):
        fresh = scratch_model(architecture, len(task.labels))  # seeded initial weights (float32 in either case)
    n_classes = len(task.labels)
    key = ("scratch", architecture, n_classes, bf16)

    def build():
        with building(), layer_dtype(bf16):
            return scratch_model(architecture, n_classes)

    run.clock.start()  # borrowing (the first time: building and compiling) counts as training
    with MODEL_POOL.borrow(fresh, key, build, settings.scratch_learning_rate) as pooled:
        run.fit(pooled, 0, settings.epochs)
        copy_variables(pooled.model, fresh)  # the result is the fresh model; the compiled one goes back
    run.result.model = fresh
    return run.result


class _Run:
    """One model's training: its clock, its curve, and the callbacks it reports to."""

    def __init__(self, which: str, inputs: RunInputs) -> None:
        self.which, self.task, self.plan, self.settings = which, inputs.task, inputs.plan, inputs.settings
        self.progress, self.should_stop, self.precision = inputs.progress, inputs.should_stop, inputs.precision
        self.clock = _Clock(inputs.plan.preparation_seconds)
        self.eval_clock = _Clock()
        self.result = RunResult(model=None)

    def report(self, epoch: int, loss: float, train_accuracy: float, eval_accuracy: float | None) -> bool:
        """Record an epoch (the clock must be stopped); False when the user asked to stop."""
        record = EpochRecord(epoch, float(loss), float(train_accuracy), eval_accuracy, self.clock.total)
        self.result.curve.append(record)
        if self.progress:
            self.progress(self.which, record)
        if self.should_stop and self.should_stop():
            self.result.cancelled = True
        return not self.result.cancelled

    def evaluate(self, pooled: PooledModel, epoch: int) -> float | None:
        """Eval accuracy after `epoch`; the last epoch's in the model's own precision (it is the result)."""
        if not len(self.task.x_eval):
            return None
        last = epoch == self.settings.epochs
        with self.eval_clock.running():
            predicted = pooled.predict(self.task.x_eval[..., None], bf16=self.precision.evaluate_bf16 and not last)
            predicted = predicted.argmax(axis=1)
        self.result.eval_seconds = self.eval_clock.total
        if last:
            self.result.eval_predictions = predicted
        return float(np.mean(predicted == self.task.y_eval))

    def fit(self, pooled: PooledModel, start: int, stop: int) -> bool:
        """Train a pooled Keras model for epochs [start, stop) in one `fit` call; False when cancelled."""
        run = self
        images = self.plan.versions.reshape(-1, 28, 28, 1)
        x = images[self.plan.order[start:stop].ravel()]
        y = self.plan.labels[start:stop].ravel()
        per_epoch = len(self.task.x_train)

        class Stream(keras().callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                run.clock.stop()
                if not run.report(epoch + 1, logs["loss"], logs["accuracy"], run.evaluate(pooled, epoch + 1)):
                    self.model.stop_training = True
                run.clock.start()

        run.clock.start()
        pooled.model.fit(
            _batches(x, y, per_epoch, self.settings.batch_size),
            epochs=stop,
            initial_epoch=start,
            steps_per_epoch=math.ceil(per_epoch / self.settings.batch_size),
            verbose=0,
            callbacks=[Stream()],
            shuffle=False,
        )
        run.clock.stop()
        return not self.result.cancelled


def _train_head_on_embeddings(pretrained_model, architecture, run: _Run) -> RunResult:
    """Feature extraction: embed every version of every sample once, then train only a softmax head.

    The head is a linear softmax classifier on frozen features, trained with Adam by scikit-learn's
    `MLPClassifier` without hidden layers (one `partial_fit` per epoch, in the plan's order): the same
    maths as a Keras Dense head, without Keras' per-step overhead, which would dominate on features this
    small. Its weights then go into the Keras head, so the result is an ordinary Keras model.
    """
    from sklearn.neural_network import MLPClassifier

    task, plan, settings = run.task, run.plan, run.settings
    with run.clock.running():
        backbone = clone_backbone(pretrained_model)
        backbone.trainable = False
        embeddings = predict_in_batches(backbone, plan.versions)
        classifier = MLPClassifier(
            hidden_layer_sizes=(),
            learning_rate_init=settings.head_learning_rate,
            batch_size=settings.batch_size,
            shuffle=False,
            random_state=settings.seed,
        )
    with run.eval_clock.running():
        eval_embeddings = predict_in_batches(backbone, task.x_eval) if len(task.x_eval) else None
    classes = np.arange(len(task.labels))
    for epoch in range(settings.epochs):
        features, labels = embeddings[plan.order[epoch]], plan.labels[epoch]
        with run.clock.running(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "maximum iterations reached": one pass per call is the point
            classifier.partial_fit(features, labels, classes=classes)
        train_accuracy = np.mean(classifier.predict(features) == labels)
        eval_accuracy = None
        if eval_embeddings is not None:
            with run.eval_clock.running():
                predicted = classifier.predict(eval_embeddings)
                eval_accuracy = float(np.mean(predicted == task.y_eval))
            run.result.eval_predictions = predicted  # the last epoch's: confusion and misread drawings agree with it
            run.result.eval_seconds = run.eval_clock.total
        if not run.report(epoch + 1, classifier.loss_, train_accuracy, eval_accuracy):
            return run.result  # cancelled: no model to assemble (nothing keeps a cancelled run)
    head = new_head(backbone, len(task.labels), architecture)
    head.get_layer("classes").set_weights(_softmax_weights(classifier.coefs_[0], classifier.intercepts_[0]))
    run.result.model = assemble(backbone, head, name=f"{architecture}-transfer")
    return run.result


def _softmax_weights(kernel: np.ndarray, bias: np.ndarray) -> list[np.ndarray]:
    """scikit-learn's output layer as the Keras softmax head's weights.

    With two classes scikit-learn keeps one logistic unit z (P(class 1) = sigmoid(z)); a softmax over the
    logits (0, z) gives exactly the same probabilities, so class 0 gets zero weights.
    """
    if kernel.shape[1] == 1:
        kernel = np.concatenate([np.zeros_like(kernel), kernel], axis=1)
        bias = np.concatenate([np.zeros_like(bias), bias])
    return [kernel, bias]


def _batches(x, y, per_epoch, batch_size):
    """A dataset of batches that never straddle two epochs: each epoch's slice is cut into its own batches.

    Built from tensors (not a Python generator), so batching runs inside tf.data without the GIL. Autotuning
    is off: its background thread made the end of about one `fit` in four wait ~4 s with the cores idle
    (destroying the iterator waits for that thread; seen with py-spy), and batches this small need no tuning.
    """
    from tl_core.backend import tensorflow

    data = tensorflow().data
    epochs = len(x) // per_epoch
    by_epoch = (x.reshape(epochs, per_epoch, *x.shape[1:]), y.reshape(epochs, per_epoch))
    batches = data.Dataset.from_tensor_slices(by_epoch).flat_map(
        lambda images, labels: data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    )
    options = data.Options()
    options.autotune.enabled = False
    return batches.with_options(options)


class _Clock:
    """Cumulative seconds of the phases that count as training."""

    def __init__(self, already: float = 0.0) -> None:
        self.total = already
        self._since: float | None = None

    def start(self) -> None:
        if self._since is None:
            self._since = time.perf_counter()

    def stop(self) -> None:
        if self._since is not None:
            self.total += time.perf_counter() - self._since
            self._since = None

    def running(self):
        clock = self

        class _Running:
            def __enter__(self):
                clock.start()

            def __exit__(self, *exc):
                clock.stop()

        return _Running()
