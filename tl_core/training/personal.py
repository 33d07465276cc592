"""A personal digit model: transfer learning on the digits themselves, from a user's own corrections.

When a zoo model misreads a drawing, the user says which digit it is; the drawing is kept as a correction.
From a few corrections on, a personal copy of the model is trained:
- the backbone stays frozen (its features already read digits), the head is *adapted*: it starts from the
  model's own head and moves only as far as the corrections ask, pulled back towards where it started;
- the corrections (each with jittered copies) are trained together with real MNIST digits, so the model
  learns the user's "1 with a flag" without forgetting everybody else's digits.

Whether that worked is measured, never promised: the original and the personal model on the user's own
corrected drawings (each predicted by a personal model trained without it: leave-one-out) and on MNIST's
held-out digits. The head is small (features x 10), so it trains in numpy in milliseconds, and
leave-one-out costs one such training per correction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from tl_core.storage.runs import KeptRun
from tl_core.storage.workspace import Workspace

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

KIND = "personal"  # the workspace run kind holding a personal model
MIN_CORRECTIONS = 3  # fewer says little and risks learning one drawing by heart

Progress = Callable[[float, str], None]  # (fraction done, what is happening)


@dataclass(frozen=True)
class PersonalSettings:
    mnist_anchor: int = 1000  # real MNIST training digits trained alongside (100 a digit): nothing is forgotten
    copies: int = 16  # jittered versions of each correction: a drawing, not its exact pixels, is learned
    steps: int = 300  # full-batch Adam steps on the head
    learning_rate: float = 0.01  # Adam
    pull_back: float = 1e-3  # L2 towards the original head: it moves only as far as the corrections ask
    corrections_weight: float = 1.0  # the corrections' share of the loss, against the MNIST anchor's 1.0
    seed: int = 0  # the anchor sample and the jitter


@dataclass(frozen=True)
class PersonalEvaluation:
    """Original vs personal model, measured on the user's drawings and on everybody else's."""

    corrections: int
    original_on_corrections: float  # the zoo model on the corrected drawings (it misread most of them)
    personal_on_corrections: float  # leave-one-out: each drawing read by a personal model trained without it
    original_on_mnist: float
    personal_on_mnist: float
    mnist_heldout: int  # held-out MNIST digits measured on

    @property
    def forgot(self) -> float:
        """How much MNIST accuracy the personal model lost (negative: it gained)."""
        return self.original_on_mnist - self.personal_on_mnist


def estimate_seconds(corrections: int) -> float:
    """What the job costs the shared trainer (measured: ~2 s of embeddings, ~0.05 s per leave-one-out fit)."""
    return 3.0 + 0.05 * corrections


def personal_and_keep(
    workspace: Workspace,
    pretrained_model: Model,
    architecture: str,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    settings: PersonalSettings = PersonalSettings(),
) -> int | None:
    """Train, measure and keep a personal copy of `architecture` from this workspace's corrections.

    Returns the run id (kind "personal"), or None when cancelled. Earlier personal runs of the same model are
    replaced: a workspace has one personal model per zoo model.
    """
    from tl_core.models.model_io import model_to_bytes

    corrections = workspace.corrections(architecture)
    if len(corrections) < MIN_CORRECTIONS:
        raise ValueError(
            f"A personal model needs at least {MIN_CORRECTIONS} corrections; there are {len(corrections)}."
        )
    report = progress or (lambda fraction, what: None)
    stop = should_stop or (lambda: False)
    images = np.stack([correction.image for correction in corrections])
    digits = np.array([correction.digit for correction in corrections])

    report(0.05, "Reading your corrections and some real MNIST digits with the frozen backbone…")
    data = _embedded_data(pretrained_model, images, digits, settings)
    if stop():
        return None
    report(0.4, f"Measuring: a personal model without each of your {len(corrections)} drawings, in turn…")
    leave_one_out = _leave_one_out(data, settings, stop)
    if leave_one_out is None:
        return None
    report(0.8, "Training the personal model on all your corrections…")
    weights, bias = _train_head(data.features, data.labels, data.weights, data.head, settings)
    personal = _with_head(pretrained_model, architecture, weights, bias)
    evaluation = PersonalEvaluation(
        corrections=len(corrections),
        original_on_corrections=float(np.mean(_predict(data.corrections, *data.head) == digits)),
        personal_on_corrections=leave_one_out,
        original_on_mnist=float(np.mean(_predict(data.heldout, *data.head) == data.heldout_labels)),
        personal_on_mnist=float(np.mean(_predict(data.heldout, weights, bias) == data.heldout_labels)),
        mnist_heldout=len(data.heldout_labels),
    )
    summary = PersonalSummary(architecture, evaluation, settings)
    workspace.delete_runs(KIND, "model", architecture)
    run_id = workspace.save_run(KIND, summary, {"transfer": model_to_bytes(personal)})
    report(1.0, "Done")
    return run_id


@dataclass(frozen=True)
class PersonalSummary:
    """What a personal model keeps besides its weights (stored as JSON in the workspace)."""

    model: str  # the zoo model it is a copy of
    evaluation: PersonalEvaluation
    settings: PersonalSettings

    def to_json(self) -> dict:
        return {"model": self.model, "evaluation": asdict(self.evaluation), "settings": asdict(self.settings)}


def latest_personal(workspace: Workspace, architecture: str) -> KeptRun[PersonalEvaluation] | None:
    """This workspace's personal copy of `architecture` (its run id and evaluation), or None."""
    return workspace.latest_run_with(KIND, "model", architecture, read=_evaluation)


def _evaluation(summary: dict) -> PersonalEvaluation:
    return PersonalEvaluation(**summary["evaluation"])


def reset_personal(workspace: Workspace, architecture: str) -> None:
    """Back to the zoo model: the personal copy goes (the corrections stay, to train again)."""
    workspace.delete_runs(KIND, "model", architecture)


def personal_verdict(evaluation: PersonalEvaluation) -> str:
    """What the measurement says, in one plain sentence: "forgot nothing" only when no MNIST digit was lost."""
    heldout = evaluation.mnist_heldout
    lost = round(evaluation.original_on_mnist * heldout) - round(evaluation.personal_on_mnist * heldout)  # digits
    misreads = f"it misreads {lost} more of the {heldout} held-out MNIST digits than the original"
    if evaluation.personal_on_corrections > evaluation.original_on_corrections:
        return (
            "It learned your handwriting and forgot nothing."
            if lost <= 0
            else f"It learned your handwriting, but {misreads}."
        )
    if evaluation.personal_on_corrections == 1.0:
        mine = "It reads all your drawings, as the original already did"
    else:
        mine = "It has not learned your handwriting yet: it reads your drawings no better than the original"
    after = "and it forgot nothing" if lost <= 0 else misreads
    advice = "" if evaluation.personal_on_corrections == 1.0 else " More corrections, then train again?"
    return f"{mine}, {after}.{advice}"


def personal_card_markdown(evaluation: PersonalEvaluation, model: str, model_title: str) -> str:
    """The personal model's card for people: what it is, what it learned from, and the measured comparison."""
    e = evaluation
    lines = [
        f"# Model card: {model}-personal",
        "",
        f"- **What**: a personal copy of the zoo model {model_title} ({model}): the same backbone, its head "
        "adapted to one person's corrections",
        f"- **Trained on**: {e.corrections} corrected drawings (each with jittered copies), alongside "
        f"{PersonalSettings().mnist_anchor} real MNIST training digits so it keeps reading everybody else's",
        f"- **Your corrected drawings** (each read by a model trained without it): original "
        f"{e.original_on_corrections:.0%}, personal {e.personal_on_corrections:.0%}",
        f"- **Held-out MNIST** ({e.mnist_heldout} digits): original {e.original_on_mnist:.1%}, personal "
        f"{e.personal_on_mnist:.1%}",
        f"- **In a sentence**: {personal_verdict(e)}",
        "- **Classes**: the digits 0-9; output i is the probability of digit i",
        "- **Input**: (N, 28, 28, 1) float32 in [0, 1], white ink on black, centred like MNIST "
        "(tl_core.canvas_to_input)",
        "- **Load**: `keras.models.load_model(path, compile=False)`",
    ]
    return "\n".join(lines) + "\n"


# --- the head, in numpy --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Data:
    features: np.ndarray  # (N, F): corrections' jittered copies, then the MNIST anchor
    labels: np.ndarray  # (N,)
    weights: np.ndarray  # (N,) per-sample loss weight
    owner: np.ndarray  # (N,) index of the correction a row came from, -1 for MNIST
    corrections: np.ndarray  # (K, F) the corrections themselves, unjittered
    heldout: np.ndarray  # (M, F) MNIST held-out
    heldout_labels: np.ndarray
    head: tuple[np.ndarray, np.ndarray]  # the zoo model's own head (W (F, 10), b (10,))


def _embedded_data(model, images: np.ndarray, digits: np.ndarray, settings: PersonalSettings) -> _Data:
    from tl_core.data.augment import SampleAugment, jitter_copies
    from tl_core.data.mnist import load_mnist_split
    from tl_core.inside.feature_space import embed
    from tl_core.models.architectures import head_of

    rng = np.random.default_rng(settings.seed)
    split = load_mnist_split()
    per_digit = settings.mnist_anchor // 10
    anchor = np.concatenate([rng.permutation(np.flatnonzero(split.y_train == d))[:per_digit] for d in range(10)])
    copies = jitter_copies(images, rng, SampleAugment(copies=settings.copies))  # (copies, K, 28, 28)
    jittered = np.concatenate([images[None], copies]).reshape(-1, 28, 28)  # originals first, then copies
    owner = np.tile(np.arange(len(images)), settings.copies + 1)
    features = embed(model, np.concatenate([jittered, split.x_train[anchor]]))
    labels = np.concatenate([np.tile(digits, settings.copies + 1), split.y_train[anchor]])
    n_jittered = len(jittered)
    weights = np.concatenate(
        [
            np.full(n_jittered, settings.corrections_weight / n_jittered),
            np.full(len(anchor), 1.0 / len(anchor)),
        ]
    )
    dense = head_of(model).get_layer("classes")
    kernel, bias = (np.asarray(value, np.float64) for value in dense.get_weights())
    return _Data(
        features=features.astype(np.float64),
        labels=labels,
        weights=weights,
        owner=np.concatenate([owner, np.full(len(anchor), -1)]),
        corrections=features[: len(images)].astype(np.float64),
        heldout=embed(model, split.x_heldout).astype(np.float64),
        heldout_labels=split.y_heldout,
        head=(kernel, bias),
    )


def _train_head(features, labels, weights, start, settings: PersonalSettings) -> tuple[np.ndarray, np.ndarray]:
    """Weighted softmax regression from the original head, with an L2 pull back to it (full-batch Adam)."""
    kernel0, bias0 = start
    kernel, bias = kernel0.copy(), bias0.copy()
    one_hot = np.eye(kernel.shape[1])[labels]
    weights = weights / weights.sum()
    moments = [np.zeros_like(kernel), np.zeros_like(kernel), np.zeros_like(bias), np.zeros_like(bias)]
    for step in range(1, settings.steps + 1):
        logits = features @ kernel + bias
        logits -= logits.max(axis=1, keepdims=True)
        probabilities = np.exp(logits)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        error = (probabilities - one_hot) * weights[:, None]
        gradients = (features.T @ error + settings.pull_back * (kernel - kernel0), error.sum(axis=0))
        for index, (parameter, gradient) in enumerate(zip((kernel, bias), gradients, strict=True)):
            first, second = moments[2 * index], moments[2 * index + 1]
            first[:] = 0.9 * first + 0.1 * gradient
            second[:] = 0.999 * second + 0.001 * gradient**2
            corrected = (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
            parameter -= settings.learning_rate * corrected
    return kernel, bias


def _leave_one_out(data: _Data, settings: PersonalSettings, stop: Callable[[], bool]) -> float | None:
    """Share of the corrections a personal model trained without them (and their copies) reads right."""
    right = 0
    for held in range(len(data.corrections)):
        if stop():
            return None
        keep = data.owner != held
        kernel, bias = _train_head(data.features[keep], data.labels[keep], data.weights[keep], data.head, settings)
        digit = data.labels[np.flatnonzero(data.owner == held)[0]]
        right += int(_predict(data.corrections[held : held + 1], kernel, bias)[0] == digit)
    return right / len(data.corrections)


def _predict(features: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    return (features @ kernel + bias).argmax(axis=1)


def _with_head(model, architecture: str, kernel: np.ndarray, bias: np.ndarray):
    """A copy of the zoo model whose head holds the personal weights."""
    from tl_core.backend import building
    from tl_core.models.architectures import build_classifier, head_of

    with building():
        personal = build_classifier(architecture, n_classes=10)
    personal.set_weights(model.get_weights())
    head_of(personal).get_layer("classes").set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    return personal
