"""Look inside: the feature-space picture and what each network sees, as page sections shared by the
Look inside page (the workspace's models) and the lesson (the lesson's models)."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from tl_core.activations import (
    feature_maps,
    filters_to_show,
    first_layer_filters,
    ink_response,
    saliency,
    stroke_directions,
)
from tl_core.evaluation import top_k
from tl_core.feature_space import FeatureSpace, choose_classes, embed, nearest_classes, project, top_classes
from tl_core.markdown import escape_markdown
from ui.charts import plot_text
from ui.presenter import for_projector
from ui.resources import random_backbone_for

PALETTE = ["#e4572e", "#4c78a8", "#54a24b", "#b279a2", "#f2a104", "#72b7b2", "#9d755d", "#ff9da6", "#59606b", "#bab0ac"]
MAX_SHOWN_CLASSES = len(PALETTE)
PRETRAINED_NAME = "pretrained on digits"
# Chart titles, short: two charts share a column on a laptop and one chart fills a 390 px phone.
CHART_TITLES = {
    PRETRAINED_NAME: "Pretrained on digits",
    "untrained (random weights)": "Untrained (random weights)",
    "trained from scratch on the samples": "Trained from scratch",
}
TITLE_CHARACTERS_PER_LINE = 28  # a 16 px title line that fits a chart on a 390 px phone screen
SALIENCY_PX = 168  # 28 px x 6: beside two other networks on a laptop
SALIENCY_PX_LARGE = 336  # presenter view: the same picture read from the back of a classroom
FILTER_CARD_PX = 90  # one first-layer filter above its response, drawn at 112 px (28 x 4) for sharp screens
FILTER_CARD_PX_LARGE = 150  # drawn at 168 px (28 x 6)
FILTERS_SHOWN = 8  # two of each stroke direction: rows of four in a third of a laptop screen, of three on a phone
DIRECTION_WORDS = {
    "horizontal": "― horizontal",
    "rising": "╱ diagonal",
    "vertical": "│ vertical",
    "falling": "╲ diagonal",
}


def fingerprint(*arrays: np.ndarray) -> str:
    """A short key for arrays, so cached pictures are recomputed only when the data changes."""
    digest = hashlib.sha1()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


@st.cache_data(max_entries=32, show_spinner=False)
def _features(model_key: str, data_key: str, _model, _images) -> np.ndarray:
    return embed(_model, _images)


@st.cache_data(max_entries=64, show_spinner=False)
def _space(model_key: str, data_key: str, shown: tuple[int, ...], _features, _labels, _drawing) -> FeatureSpace:
    return project(_features, _labels, _drawing, shown)


def wrapped_title(title: str, width: int = TITLE_CHARACTERS_PER_LINE) -> tuple[str, int]:
    """The title broken into lines plotly can show (it never wraps titles itself), and the line count."""
    lines = textwrap.wrap(title, width) or [""]
    return "<br>".join(lines), len(lines)


def feature_space_chart(
    space: FeatureSpace, labels: list[str], title: str, height: int = 420, order: Sequence[int] | None = None
) -> go.Figure:
    """The projected samples, one colour per class (in `order`, e.g. as chosen: the drawing's classes first)."""
    present = set(np.unique(space.labels).tolist())
    classes = [c for c in (order or []) if c in present] + sorted(present - set(order or []))
    figure = go.Figure()
    for position, class_index in enumerate(classes):
        points = space.points[space.labels == class_index]
        figure.add_trace(
            go.Scatter(
                x=points[:, 0], y=points[:, 1], mode="markers", name=plot_text(labels[class_index]),
                marker=dict(size=10, color=PALETTE[position % len(PALETTE)], opacity=0.8),
                hovertemplate="%{fullData.name}<extra></extra>",  # the label, never read as a template
            )
        )  # fmt: skip
    if space.drawing is not None:
        # Named by a label at the star, not in the legend: the legend sits under the plot and wraps into columns
        # as wide as its widest entry, so one long entry would put every character on a line of its own.
        figure.add_trace(
            go.Scatter(
                x=[space.drawing[0]], y=[space.drawing[1]], mode="markers", name="your drawing", showlegend=False,
                marker=dict(symbol="star", size=22, color="black", line=dict(color="white", width=2)),
                hovertemplate="your drawing<extra></extra>",
            )
        )  # fmt: skip
        figure.add_annotation(
            x=space.drawing[0], y=space.drawing[1], text="your drawing", showarrow=True, arrowhead=0, ax=0, ay=-30,
            bgcolor="rgba(255, 255, 255, 0.85)",
        )  # fmt: skip
    text, lines = wrapped_title(title)
    figure.update_layout(
        # The title gets its own band above the plot (the default top margin cut a 16 px title short), and the
        # legend goes below the plot, where it wraps, instead of taking a third of a narrow chart's width.
        title=dict(text=text, font=dict(size=16), x=0, xanchor="left", y=1, yanchor="top", yref="container", pad_t=8),
        height=height + 24 * (lines - 1),
        margin=dict(l=10, r=10, t=24 + 24 * lines, b=10),
        xaxis=dict(title=f"PC 1 ({space.explained[0]:.0%} of variance)", zeroline=False, showticklabels=False),
        yaxis=dict(title=f"PC 2 ({space.explained[1]:.0%})", zeroline=False, showticklabels=False),
        legend=dict(font=dict(size=16), orientation="h", x=0, xanchor="left", y=-0.16, yanchor="top"),
    )
    return figure


def pick_classes(key: str, labels: list[str], predicted: Sequence[int] = (), nearest: Sequence[int] = ()) -> list[int]:
    """The multiselect of classes to picture. A new drawing puts its predicted and nearest classes in (they
    replace the earlier picks, which stay as context while there is room); otherwise the user's picks stand."""
    state_key, seeded_key = f"{key}_shown", f"{key}_shown_for"
    earlier = [c for c in st.session_state.get(state_key, []) if 0 <= c < len(labels)]  # classes can be removed
    choice = choose_classes(len(labels), predicted, nearest, context=earlier)
    new_drawing = choice.drawing_classes and st.session_state.get(seeded_key) != choice.drawing_classes
    if state_key not in st.session_state or new_drawing:
        st.session_state[state_key] = list(choice.shown)
        st.session_state[seeded_key] = choice.drawing_classes
    elif earlier != st.session_state[state_key]:
        st.session_state[state_key] = earlier
    shown = st.multiselect(
        "Characters in the picture",
        range(len(labels)),
        format_func=lambda index: labels[index],
        max_selections=MAX_SHOWN_CLASSES,
        key=state_key,
        help="The picture shows a few characters so their groups stay readable; the percentages use all of them.",
    )
    reasons = []  # in a caption, which is Markdown: the labels are escaped
    if choice.nearest:
        reasons.append("nearest to your drawing in the digit features: " + _label_list(labels, choice.nearest))
    if choice.predicted:
        reasons.append("the trained model's best guesses: " + _label_list(labels, choice.predicted))
    if reasons:
        st.caption("Put in the picture for your drawing: " + "; ".join(reasons) + ".")
    return shown


def _label_list(labels: list[str], indices: Sequence[int]) -> str:
    return ", ".join(escape_markdown(labels[index]) for index in indices)


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
    classifier: tuple[object, list[str]] | None = None,
) -> dict[str, float]:
    """Pretrained features beside untrained (or trained-from-scratch) ones; returns their neighbour accuracies.

    `trained_scratch`: (a key naming that model, e.g. "run 7 scratch", the model), when there is one.
    `classifier`: (a model trained on these characters, its labels): its best guesses for the drawing are put
    in the picture, with the characters nearest the drawing in the pretrained features.
    """
    data_key = fingerprint(x, y)
    drawing_key = fingerprint(drawing) if drawing is not None else "none"
    predicted, nearest = (), ()
    if drawing is not None:
        with st.spinner("Finding the characters nearest your drawing…"):
            predicted, nearest = _drawing_classes(architecture, pretrained, x, y, labels, drawing, classifier)
    shown = pick_classes(key, labels, predicted, nearest)
    if len(shown) < 2:
        st.info("Choose at least two characters to see how they group.")
        return {}
    others = {"untrained (random weights)": (f"random {architecture}", random_backbone_for(architecture))}
    if trained_scratch is not None:
        others["trained from scratch on the samples"] = trained_scratch
    other_name = list(others)[0]
    if len(others) > 1:
        other_name = st.segmented_control(
            "Compare the pretrained features with",
            list(others),
            format_func=lambda name: CHART_TITLES.get(name, name),
            default=other_name,
            required=True,
            key=f"{key}_other",
        )
    spaces = {}
    models = {PRETRAINED_NAME: (architecture, pretrained), other_name: others[other_name]}
    with st.spinner("Projecting the features…"):
        try:
            for name, (model_key, model) in models.items():
                features = _features(model_key, data_key, model, x)
                drawn = _features(model_key, drawing_key, model, drawing[None]) if drawing is not None else None
                space_key = f"{model_key} {drawing_key}"
                spaces[name] = _space(
                    space_key, data_key, tuple(shown), features, y, None if drawn is None else drawn[0]
                )
        except ValueError as too_few:
            st.info(f"{too_few} Add samples of the characters shown, or choose more of them.")
            return {}
    columns = st.columns(2)
    for column, (name, space) in zip(columns, spaces.items(), strict=True):
        chart = feature_space_chart(space, labels, CHART_TITLES.get(name, name), order=shown)
        figure = for_projector(chart, large)
        column.plotly_chart(figure, key=f"{key}_{name}")
        column.metric(
            "Nearest neighbour is the same character",
            f"{space.neighbour_accuracy:.0%}",
            help=f"For each of the {len(x)} samples, its nearest other sample in the full feature space.",
        )
    return {name: space.neighbour_accuracy for name, space in spaces.items()}


def _drawing_classes(
    architecture: str, pretrained, x: np.ndarray, y: np.ndarray, labels: list[str], drawing: np.ndarray, classifier
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(the classifier's best guesses for the drawing, if there is one; the classes nearest it in the pretrained
    features), as indices into `labels`."""
    features = _features(architecture, fingerprint(x, y), pretrained, x)
    drawn = _features(architecture, fingerprint(drawing), pretrained, drawing[None])[0]
    predicted = ()
    if classifier is not None:
        model, model_labels = classifier
        probabilities = np.asarray(model(drawing.reshape(1, 28, 28, 1), training=False))[0]
        predicted = top_classes(probabilities, model_labels, labels)
    return predicted, nearest_classes(features, y, drawn)


def grid_picture(images: np.ndarray, columns: int, cell: int = 48, signed: bool = False, gap: int = 3) -> np.ndarray:
    """Small images in a grid, enlarged with crisp pixels: RGB uint8. Signed weights: red +, blue -."""
    count, height, width = images.shape
    factor = max(1, cell // max(height, width))
    rows = -(-count // columns)
    tile_h, tile_w = height * factor, width * factor
    picture = np.full((rows * (tile_h + gap) - gap, columns * (tile_w + gap) - gap, 3), 235, np.uint8)
    for index, image in enumerate(images):
        big = np.kron(image, np.ones((factor, factor), np.float32))
        tile = _signed_colours(big) if signed else _grey(big)
        top, left = (index // columns) * (tile_h + gap), (index % columns) * (tile_w + gap)
        picture[top : top + tile_h, left : left + tile_w] = (np.clip(tile, 0, 1) * 255).astype(np.uint8)
    return picture


def saliency_overlay(image: np.ndarray, heat: np.ndarray, factor: int = 6) -> np.ndarray:
    """The drawing in grey with the saliency in orange on top: RGB uint8."""
    base = np.repeat((0.45 * np.asarray(image, np.float32))[..., None], 3, axis=-1)
    orange = np.array([1.0, 0.55, 0.1], np.float32)
    mixed = base * (1 - heat[..., None]) + orange * heat[..., None]
    return (np.kron(np.clip(mixed, 0, 1), np.ones((factor, factor, 1), np.float32)) * 255).astype(np.uint8)


def filter_card(kernel: np.ndarray, response: np.ndarray, image: np.ndarray, scale: int = 4) -> np.ndarray:
    """One first-layer filter above where it fires on the drawing: RGB uint8, (28 * scale) px wide.

    Why this picture and not the bare weights: a 3x3 kernel alone is nine coloured squares that look like
    noise. Drawn as large as the drawing, in a diverging map (red +, blue −, white 0) so its pattern (a red
    row over a blue one: an edge) is visible, and above the response it gives on the learner's own strokes
    (the same orange as the saliency), it reads as what it is: an edge detector lighting up one side of the
    strokes that run its way. Screenshots at 1400 and 390 px wide were checked for this.
    """
    width = response.shape[-1] * scale
    factor = (width - 2) // kernel.shape[0]  # leaves a grey frame, so white (zero) weights stay visible
    weights = _signed_colours(np.kron(kernel, np.ones((factor, factor), np.float32)))
    framed = np.full((width, width, 3), 0.8, np.float32)
    offset = (width - len(weights)) // 2
    framed[offset : offset + len(weights), offset : offset + len(weights)] = weights
    peak = response.max()
    # to the power 1.5: the weak response every stroke gives fades, and the side a filter detects stands out
    heat = (response / peak) ** 1.5 if peak > 0 else response
    fired = saliency_overlay(0.7 * np.asarray(image, np.float32), heat, factor=scale)
    gap = np.full((scale * 2, width, 3), 255, np.uint8)
    return np.concatenate([(np.clip(framed, 0, 1) * 255).astype(np.uint8), gap, fired])


def network_section(
    key: str, models: dict[str, tuple[object, list[str]]], image: np.ndarray, large: bool | None = None
) -> None:
    """Filters, feature maps and saliency of each model on one (28, 28) image; `models`: name -> (model, labels).

    `large`: pictures sized for the presenter view; by default, whether the presenter view is on.
    """
    if large is None:
        large = bool(st.session_state.get("present"))
    filters = {name: first_layer_filters(model) for name, (model, _) in models.items()}
    if any(found.kind == "conv" for found in filters.values()):
        st.caption(
            "**First layer**: small filters of weights (red +, blue −), each slid across the drawing. Under each, in "
            "orange, where the ink matches its pattern: most are edge detectors for strokes running one way, "
            "named below it (measured on straight test strokes)."
        )
    columns = st.columns(len(models), gap="medium")
    first_filters = None
    for column, (name, (model, labels)) in zip(columns, models.items(), strict=True):
        with column:
            st.markdown(f"#### {name}")
            heat, top = saliency(model, image)
            probabilities = np.asarray(model(image.reshape(1, 28, 28, 1), training=False))[0]
            guess, confidence = top_k(probabilities, labels, 1)[0]
            width = SALIENCY_PX_LARGE if large else SALIENCY_PX
            st.image(
                saliency_overlay(image, heat, factor=width // 28),
                caption=f"Reads it as {escape_markdown(guess)} ({confidence:.0%}). Orange: the pixels that would "
                "change that answer most (input gradient).",
                width=width,
            )
            found = filters[name]
            same = first_filters is not None and np.array_equal(first_filters, found.images)
            first_filters = found.images if first_filters is None else first_filters
            unchanged = " Unchanged from the pretrained model." if same else ""
            if found.kind == "conv":
                _first_layer_cards(model, found, image, large, unchanged)
            else:
                st.image(
                    grid_picture(found.images[:16], columns=8, cell=28, signed=True),
                    width="stretch",
                    caption=f"First layer: {len(found.images)} units, each weighing every pixel (the first 16 "
                    f"shown; red +, blue −): patterns tied to positions, not strokes.{unchanged}",
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


def _first_layer_cards(model, filters, image: np.ndarray, large: bool, unchanged: str) -> None:
    directions = stroke_directions(model)  # 20 ms: not worth a cache
    response = ink_response(model, image)[0]  # (F, H, W)
    chosen = filters_to_show(directions, response.sum(axis=(1, 2)), FILTERS_SHOWN)
    size = "x".join(str(side) for side in filters.images.shape[1:])
    st.image(
        [filter_card(filters.images[i], response[i], image, scale=6 if large else 4) for i in chosen],
        caption=[DIRECTION_WORDS.get(directions[i], "any direction") for i in chosen],
        width=FILTER_CARD_PX_LARGE if large else FILTER_CARD_PX,
        alt=[f"filter {i + 1}: its {size} weights above where it fires on the drawing" for i in chosen],
    )
    undirected = sum(direction is None for direction in directions)
    st.caption(
        f"{len(chosen)} of its {len(filters.images)} first-layer filters ({size}), taken by direction in turns, "
        f"those this drawing excites most first. {undirected} of the {len(filters.images)} have no favourite "
        f"direction.{unchanged}"
    )


def _signed_colours(weights: np.ndarray) -> np.ndarray:
    """Weights in [-1, 1] as RGB floats: red +, blue −, white 0 (a diverging map centred at zero)."""
    return np.stack([1 - np.clip(-weights, 0, 1), 1 - np.abs(weights), 1 - np.clip(weights, 0, 1)], axis=-1)


def _grey(values: np.ndarray) -> np.ndarray:
    peak = values.max()
    return np.repeat((values / peak if peak > 0 else values)[..., None], 3, axis=-1)
