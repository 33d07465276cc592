"""Feature space: how a backbone sees a set of characters, as a 2-D picture and one honest number.

A pretrained backbone already groups the samples of a new script by character before any training: in
its feature space a sample's nearest neighbour is usually the same character. A random backbone of the
same architecture does that far less often. The picture is a PCA projection (scikit-learn) of standardised
features; the number is leave-one-out nearest-neighbour accuracy in the full feature space, so it does
not depend on what two dimensions happen to show.

The picture shows a few classes, since 46 clusters in two dimensions are a blur. A drawing must land among
classes that are in the picture, or its star is a stray: `choose_classes` always puts the drawing's
predicted classes and its nearest classes in feature space first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tl_core.backend import seeded
from tl_core.models.architectures import backbone_of, build_backbone
from tl_core.models.batches import predict_in_batches

if TYPE_CHECKING:
    from keras import Model  # only for annotations: TensorFlow is imported lazily

FILLED_TO = 6  # classes pictured when the drawing names fewer: enough to compare, few enough to tell apart
MAX_CHOSEN = 8  # the drawing's own classes never crowd the picture beyond this
DRAWING_CLASSES = 3  # how many predicted and how many nearest classes each count as the drawing's own


@dataclass(frozen=True)
class FeatureSpace:
    points: np.ndarray  # (N, 2) PCA coordinates of the samples
    labels: np.ndarray  # (N,) class index of each point
    drawing: np.ndarray | None  # (2,) where the current drawing lands, or None
    explained: tuple[float, float]  # share of the feature variance each axis shows
    neighbour_accuracy: float  # leave-one-out 1-nearest-neighbour accuracy in the full feature space


@dataclass(frozen=True)
class ClassChoice:
    """Which classes the feature-space picture shows, and why."""

    predicted: tuple[int, ...]  # a trained classifier's top guesses for the drawing, best first (or none)
    nearest: tuple[int, ...]  # the classes of the samples nearest the drawing in feature space, nearest first
    shown: tuple[int, ...]  # the drawing's classes first (predicted, then nearest), then context classes

    @property
    def drawing_classes(self) -> tuple[int, ...]:
        """The classes the picture must show for the drawing's star to land among its own kind."""
        return tuple(dict.fromkeys(self.predicted + self.nearest))


def choose_classes(
    class_count: int,
    predicted: Sequence[int] = (),
    nearest: Sequence[int] = (),
    context: Sequence[int] = (),
    limit: int = MAX_CHOSEN,
    filled_to: int = FILLED_TO,
) -> ClassChoice:
    """The classes to picture: the drawing's predicted and nearest classes, then `context` classes (e.g. the
    user's earlier picks), then the first classes, until there are `filled_to` of them (at most `limit`)."""
    valid = range(class_count)
    predicted = tuple(int(c) for c in predicted if c in valid)
    nearest = tuple(int(c) for c in nearest if c in valid)
    shown = list(dict.fromkeys(predicted + nearest))[:limit]
    for candidate in (*context, *valid):
        if len(shown) >= min(filled_to, limit):
            break
        if candidate in valid and candidate not in shown:
            shown.append(int(candidate))
    return ClassChoice(predicted, nearest, tuple(shown))


def nearest_classes(
    features: np.ndarray, labels: np.ndarray, drawing_features: np.ndarray, count: int = DRAWING_CLASSES
) -> tuple[int, ...]:
    """The `count` classes whose closest sample lies nearest the drawing, nearest first.

    Same metric as `neighbour_accuracy` (Euclidean on features standardised over the samples), so "nearest"
    means the same in the sentence and in the number.
    """
    labels = np.asarray(labels)
    if len(features) == 0:
        return ()
    scaler = StandardScaler().fit(features)
    distances = np.linalg.norm(scaler.transform(features) - scaler.transform(drawing_features[None]), axis=1)
    classes = np.unique(labels)
    closest = np.array([distances[labels == c].min() for c in classes])
    return tuple(int(c) for c in classes[np.argsort(closest, kind="stable")][:count])


def top_classes(
    probabilities: np.ndarray, model_labels: Sequence[str], labels: Sequence[str], count: int = DRAWING_CLASSES
) -> tuple[int, ...]:
    """A classifier's `count` most probable classes, as indices into `labels` (matched by name: the model may
    have been trained before classes were added or removed; its classes no longer here are skipped)."""
    index = {label: position for position, label in enumerate(labels)}
    best = np.argsort(np.asarray(probabilities), kind="stable")[::-1]
    found = [index[model_labels[i]] for i in best if i < len(model_labels) and model_labels[i] in index]
    return tuple(found[:count])


def predicted_classes(
    classifier: Model,
    model_labels: Sequence[str],
    labels: Sequence[str],
    drawing: np.ndarray,
    count: int = DRAWING_CLASSES,
) -> tuple[int, ...]:
    """A trained classifier's `count` best guesses for a (28, 28) drawing, as indices into `labels` (`top_classes`)."""
    return top_classes(predict_in_batches(classifier, drawing)[0], model_labels, labels, count)


def embed(model_or_backbone: Model, images: np.ndarray) -> np.ndarray:
    """Backbone features of (N, 28, 28) images: (N, feature_dim) float32."""
    return predict_in_batches(_backbone(model_or_backbone), images)


def random_backbone(architecture: str, seed: int = 0) -> Model:
    """The architecture's backbone with fresh random weights (the same weights for the same seed)."""
    with seeded(seed):
        return build_backbone(architecture)


def neighbour_accuracy(features: np.ndarray, labels: np.ndarray) -> float:
    """How often a sample's nearest other sample (Euclidean, standardised features) has its label."""
    if len(features) < 2:
        raise ValueError("Nearest-neighbour accuracy needs at least two samples.")
    scaled = StandardScaler().fit_transform(features)
    _, index = NearestNeighbors(n_neighbors=2).fit(scaled).kneighbors(scaled)
    # The nearest point is the sample itself unless a duplicate sits at distance 0; take the first other one.
    nearest = np.where(index[:, 0] == np.arange(len(scaled)), index[:, 1], index[:, 0])
    return float(np.mean(labels[nearest] == labels))


def pixel_neighbour_accuracy(images: np.ndarray, labels: np.ndarray) -> float:
    """`neighbour_accuracy` on the raw pixels of (N, 28, 28) images: the baseline that features must beat before
    they can be said to group the characters (a random network's fall below it)."""
    images = np.asarray(images)
    return neighbour_accuracy(images.reshape(len(images), -1), np.asarray(labels))


def feature_space(
    model_or_backbone: Model,
    images: np.ndarray,
    labels: np.ndarray,
    drawing: np.ndarray | None = None,
    shown_classes: list[int] | None = None,
) -> FeatureSpace:
    """Project the samples' features to 2-D; `shown_classes` limits the picture (not the number) to a few."""
    drawn = embed(model_or_backbone, np.asarray(drawing)[None])[0] if drawing is not None else None
    return project(embed(model_or_backbone, images), labels, drawn, shown_classes)


def project(
    features: np.ndarray,
    labels: np.ndarray,
    drawing_features: np.ndarray | None = None,
    shown_classes: Sequence[int] | None = None,
) -> FeatureSpace:
    """`feature_space` from features already computed (by `embed`), e.g. cached ones.

    The projection is fitted on the shown classes only, so their clusters use the whole picture.
    """
    labels = np.asarray(labels)
    score = neighbour_accuracy(features, labels)
    shown = np.isin(labels, shown_classes) if shown_classes is not None else np.ones(len(labels), bool)
    if shown.sum() < 3:
        raise ValueError("The picture needs at least three samples of the shown classes.")
    projection = make_pipeline(StandardScaler(), PCA(n_components=2, svd_solver="full"))
    points = projection.fit_transform(features[shown])
    drawn = projection.transform(drawing_features[None])[0] if drawing_features is not None else None
    ratio = projection[-1].explained_variance_ratio_
    return FeatureSpace(points, labels[shown], drawn, (float(ratio[0]), float(ratio[1])), score)


def _backbone(model_or_backbone):
    try:
        return backbone_of(model_or_backbone)
    except ValueError:  # already a backbone (it has no sub-model named "backbone")
        return model_or_backbone
