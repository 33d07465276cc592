"""Look inside, the feature-space picture: where a network puts each character, as a page section shared by the
Look inside page (the workspace's models) and the lesson (the lesson's models). What each network sees of one
drawing (filters, saliency, feature maps) is `ui.network`."""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from tl_core.inside.feature_space import (
    FeatureSpace,
    choose_classes,
    embed,
    nearest_classes,
    predicted_classes,
    project,
)
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
                x=points[:, 0],
                y=points[:, 1],
                mode="markers",
                name=plot_text(labels[class_index]),
                marker=dict(size=10, color=PALETTE[position % len(PALETTE)], opacity=0.8),
                hovertemplate="%{fullData.name}<extra></extra>",  # the label, never read as a template
            )
        )
    if space.drawing is not None:
        # Named by a label at the star, not in the legend: the legend sits under the plot and wraps into columns
        # as wide as its widest entry, so one long entry would put every character on a line of its own.
        figure.add_trace(
            go.Scatter(
                x=[space.drawing[0]],
                y=[space.drawing[1]],
                mode="markers",
                name="your drawing",
                showlegend=False,
                marker=dict(symbol="star", size=22, color="black", line=dict(color="white", width=2)),
                hovertemplate="your drawing<extra></extra>",
            )
        )
        figure.add_annotation(
            x=space.drawing[0],
            y=space.drawing[1],
            text="your drawing",
            showarrow=True,
            arrowhead=0,
            ax=0,
            ay=-30,
            bgcolor="rgba(255, 255, 255, 0.85)",
        )
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
        predicted = predicted_classes(model, model_labels, labels, drawing)
    return predicted, nearest_classes(features, y, drawn)
