"""Feature space: how a backbone sees a set of characters, as a 2-D picture and one honest number.

A pretrained backbone already groups the samples of a new script by character before any training: in
its feature space a sample's nearest neighbour is usually the same character. A random backbone of the
same architecture does that far less often. The picture is a PCA projection (scikit-learn) of standardised
features; the number is leave-one-out nearest-neighbour accuracy in the full feature space, so it does
not depend on what two dimensions happen to show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tl_core.backend import seeded
from tl_core.models import backbone_of, build_backbone


@dataclass(frozen=True)
class FeatureSpace:
    points: np.ndarray  # (N, 2) PCA coordinates of the samples
    labels: np.ndarray  # (N,) class index of each point
    drawing: np.ndarray | None  # (2,) where the current drawing lands, or None
    explained: tuple[float, float]  # share of the feature variance each axis shows
    neighbour_accuracy: float  # leave-one-out 1-nearest-neighbour accuracy in the full feature space


def embed(model_or_backbone, images: np.ndarray, batch_size: int = 512) -> np.ndarray:
    """Backbone features of (N, 28, 28) images: (N, feature_dim) float32."""
    backbone = _backbone(model_or_backbone)
    x = np.asarray(images, np.float32)[..., None]
    parts = [np.asarray(backbone(x[i : i + batch_size], training=False)) for i in range(0, len(x), batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, backbone.output_shape[-1]), np.float32)


def random_backbone(architecture: str, seed: int = 0):
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


def feature_space(
    model_or_backbone,
    images: np.ndarray,
    labels: np.ndarray,
    drawing: np.ndarray | None = None,
    shown_classes: list[int] | None = None,
) -> FeatureSpace:
    """Project the samples' features to 2-D; `shown_classes` limits the picture (not the number) to a few.

    The projection is fitted on the shown classes only, so their clusters use the whole picture.
    """
    labels = np.asarray(labels)
    features = embed(model_or_backbone, images)
    score = neighbour_accuracy(features, labels)
    shown = np.isin(labels, shown_classes) if shown_classes is not None else np.ones(len(labels), bool)
    if shown.sum() < 3:
        raise ValueError("The picture needs at least three samples of the shown classes.")
    projection = make_pipeline(StandardScaler(), PCA(n_components=2, svd_solver="full"))
    points = projection.fit_transform(features[shown])
    drawn = None
    if drawing is not None:
        drawn = projection.transform(embed(model_or_backbone, np.asarray(drawing)[None]))[0]
    ratio = projection[-1].explained_variance_ratio_
    return FeatureSpace(points, labels[shown], drawn, (float(ratio[0]), float(ratio[1])), score)


def _backbone(model_or_backbone):
    try:
        return backbone_of(model_or_backbone)
    except ValueError:  # already a backbone (it has no sub-model named "backbone")
        return model_or_backbone
