"""Look inside: the feature-space picture and what each network sees, as page sections shared by the
Look inside page (the workspace's models) and the lesson (the lesson's models)."""

from __future__ import annotations

import hashlib

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from tl_core.activations import feature_maps, first_layer_filters, saliency
from tl_core.evaluation import top_k
from tl_core.feature_space import FeatureSpace, feature_space
from ui.presenter import for_projector
from ui.resources import random_backbone_for

PALETTE = ["#e4572e", "#4c78a8", "#54a24b", "#b279a2", "#f2a104", "#72b7b2", "#9d755d", "#ff9da6", "#59606b", "#bab0ac"]
MAX_SHOWN_CLASSES = len(PALETTE)


def fingerprint(*arrays: np.ndarray) -> str:
    """A short key for arrays, so cached pictures are recomputed only when the data changes."""
    digest = hashlib.sha1()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


@st.cache_data(max_entries=64, show_spinner=False)
def _space(model_key: str, data_key: str, shown: tuple[int, ...], _model, _x, _y, _drawing) -> FeatureSpace:
    return feature_space(_model, _x, _y, _drawing, list(shown))


def feature_space_chart(space: FeatureSpace, labels: list[str], title: str, height: int = 420) -> go.Figure:
    figure = go.Figure()
    for position, class_index in enumerate(np.unique(space.labels)):
        points = space.points[space.labels == class_index]
        figure.add_trace(
            go.Scatter(
                x=points[:, 0], y=points[:, 1], mode="markers", name=labels[class_index],
                marker=dict(size=10, color=PALETTE[position % len(PALETTE)], opacity=0.8),
                hovertemplate=f"{labels[class_index]}<extra></extra>",
            )
        )  # fmt: skip
    if space.drawing is not None:
        figure.add_trace(
            go.Scatter(
                x=[space.drawing[0]], y=[space.drawing[1]], mode="markers", name="your drawing",
                marker=dict(symbol="star", size=22, color="black", line=dict(color="white", width=2)),
            )
        )  # fmt: skip
    figure.update_layout(
        title=dict(text=title, font=dict(size=16)),
        height=height,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title=f"PC 1 ({space.explained[0]:.0%} of variance)", zeroline=False, showticklabels=False),
        yaxis=dict(title=f"PC 2 ({space.explained[1]:.0%})", zeroline=False, showticklabels=False),
        legend=dict(font=dict(size=16)),
    )
    return figure


def feature_space_section(
    key: str,
    architecture: str,
    pretrained,
    x: np.ndarray,
    y: np.ndarray,
    labels: list[str],
    drawing: np.ndarray | None = None,
    trained_scratch: tuple[str, object] | None = None,
    large: bool = False,
) -> dict[str, float]:
    """Pretrained features beside untrained (or trained-from-scratch) ones; returns their neighbour accuracies.

    `trained_scratch`: (a key naming that model, e.g. "run 7 scratch", the model), when there is one.
    """
    default = list(range(min(6, len(labels))))
    shown = st.multiselect(
        "Characters in the picture",
        range(len(labels)),
        default=default,
        format_func=lambda index: labels[index],
        max_selections=MAX_SHOWN_CLASSES,
        key=f"{key}_shown",
        help="The picture shows a few characters so their groups stay readable; the percentages use all of them.",
    )
    if len(shown) < 2:
        st.info("Choose at least two characters to see how they group.")
        return {}
    others = {"untrained (random weights)": (f"random {architecture}", random_backbone_for(architecture))}
    if trained_scratch is not None:
        others["trained from scratch on the samples"] = trained_scratch
    other_name = list(others)[0]
    if len(others) > 1:
        other_name = st.segmented_control(
            "Compare the pretrained features with", list(others), default=other_name, required=True, key=f"{key}_other"
        )
    data_key = fingerprint(x, y)
    drawing_key = fingerprint(drawing) if drawing is not None else "none"
    spaces = {}
    models = {"pretrained on digits": (architecture, pretrained), other_name: others[other_name]}
    with st.spinner("Projecting the features…"):
        try:
            for name, (model_key, model) in models.items():
                spaces[name] = _space(f"{model_key} {drawing_key}", data_key, tuple(shown), model, x, y, drawing)
        except ValueError as too_few:
            st.info(f"{too_few} Add samples of the characters shown, or choose more of them.")
            return {}
    columns = st.columns(2)
    for column, (name, space) in zip(columns, spaces.items(), strict=True):
        figure = for_projector(feature_space_chart(space, labels, f"Features {name}"), large)
        column.plotly_chart(figure, key=f"{key}_{name}")
        column.metric(
            "Nearest neighbour is the same character",
            f"{space.neighbour_accuracy:.0%}",
            help=f"For each of the {len(x)} samples, its nearest other sample in the full feature space.",
        )
    return {name: space.neighbour_accuracy for name, space in spaces.items()}


def grid_picture(images: np.ndarray, columns: int, cell: int = 48, signed: bool = False, gap: int = 3) -> np.ndarray:
    """Small images in a grid, enlarged with crisp pixels: RGB uint8. Signed weights: red +, blue -."""
    count, height, width = images.shape
    factor = max(1, cell // max(height, width))
    rows = -(-count // columns)
    tile_h, tile_w = height * factor, width * factor
    picture = np.full((rows * (tile_h + gap) - gap, columns * (tile_w + gap) - gap, 3), 235, np.uint8)
    for index, image in enumerate(images):
        big = np.kron(image, np.ones((factor, factor), np.float32))
        if signed:
            tile = np.stack([1 - np.clip(-big, 0, 1), 1 - np.abs(big), 1 - np.clip(big, 0, 1)], axis=-1)
        else:
            peak = big.max()
            tile = np.repeat((big / peak if peak > 0 else big)[..., None], 3, axis=-1)
        top, left = (index // columns) * (tile_h + gap), (index % columns) * (tile_w + gap)
        picture[top : top + tile_h, left : left + tile_w] = (np.clip(tile, 0, 1) * 255).astype(np.uint8)
    return picture


def saliency_overlay(image: np.ndarray, heat: np.ndarray, factor: int = 6) -> np.ndarray:
    """The drawing in grey with the saliency in orange on top: RGB uint8."""
    base = np.repeat((0.45 * np.asarray(image, np.float32))[..., None], 3, axis=-1)
    orange = np.array([1.0, 0.55, 0.1], np.float32)
    mixed = base * (1 - heat[..., None]) + orange * heat[..., None]
    return (np.kron(np.clip(mixed, 0, 1), np.ones((factor, factor, 1), np.float32)) * 255).astype(np.uint8)


def network_section(key: str, models: dict[str, tuple[object, list[str]]], image: np.ndarray) -> None:
    """Filters, feature maps and saliency of each model on one (28, 28) image; `models`: name -> (model, labels)."""
    columns = st.columns(len(models), gap="medium")
    first_filters = None
    for column, (name, (model, labels)) in zip(columns, models.items(), strict=True):
        with column:
            st.markdown(f"#### {name}")
            heat, top = saliency(model, image)
            probabilities = np.asarray(model(image.reshape(1, 28, 28, 1), training=False))[0]
            guess, confidence = top_k(probabilities, labels, 1)[0]
            st.image(
                saliency_overlay(image, heat),
                caption=f"Reads it as {guess} ({confidence:.0%}). Orange: the pixels that would change that "
                "answer most (input gradient).",
                width=168,
            )
            filters = first_layer_filters(model)
            shown = filters.images[:16] if filters.kind == "dense" else filters.images
            same = first_filters is not None and np.array_equal(first_filters, filters.images)
            first_filters = filters.images if first_filters is None else first_filters
            st.image(
                grid_picture(shown, columns=8, cell=32 if filters.kind == "conv" else 28, signed=True),
                width="stretch",
                caption=(
                    f"First layer: {len(filters.images)} "
                    + ("kernels" if filters.kind == "conv" else "pixel weight images")
                    + (" (first 16)" if filters.kind == "dense" else "")
                    + (" — unchanged from the pretrained model" if same else "")
                    + "; red +, blue −"
                ),
            )
            blocks = feature_maps(model, image, limit=8)
            if not blocks:
                st.caption("No feature maps: a dense-only network has no spatial features to show.")
            for block in blocks:
                h, w = block.maps.shape[1:]
                st.image(
                    grid_picture(block.maps, columns=4, cell=56),
                    width="stretch",
                    caption=f"{block.block}: 8 most active of its channels ({h}x{w})",
                )
