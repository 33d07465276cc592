"""Plotly figures used by the pages."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

ACCENT = "#e4572e"
MUTED = "#9aa5b1"


def probability_bars(probabilities: np.ndarray, labels: list[str]) -> go.Figure:
    """One bar per class, the most probable one highlighted."""
    best = int(np.argmax(probabilities))
    colours = [ACCENT if index == best else MUTED for index in range(len(labels))]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=probabilities,
            marker_color=colours,
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            hovertemplate="%{x}: %{y:.1%}<extra></extra>",
        )
    )
    figure.update_layout(
        height=300,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis=dict(range=[0, 1.12], tickformat=".0%", title="probability"),
        xaxis=dict(type="category", tickfont=dict(size=18)),
        showlegend=False,
    )
    return figure


def upscale(image: np.ndarray, factor: int = 6) -> np.ndarray:
    """A crisp, enlarged copy of a small image (nearest neighbour), for showing 28x28 inputs."""
    return np.kron(image, np.ones((factor, factor), dtype=image.dtype))


TRANSFER_COLOUR = "#e4572e"
SCRATCH_COLOUR = "#4c78a8"
RUN_COLOURS = {"transfer": TRANSFER_COLOUR, "scratch": SCRATCH_COLOUR}


def curve_points(run: dict) -> list[dict]:
    """A kept run's curve ({"eval_accuracy": [...], "epoch_seconds": [...]}) as points for `learning_curves`."""
    return [
        {"epoch": i + 1, "seconds": s, "eval_accuracy": a}
        for i, (a, s) in enumerate(zip(run["eval_accuracy"], run["epoch_seconds"], strict=True))
    ]


def learning_curves(curves: dict[str, list[dict]], x_axis: str = "epoch", height: int = 380) -> go.Figure:
    """Eval accuracy of both models against epoch or training seconds.

    `curves` maps "transfer"/"scratch" to lists of {"epoch", "seconds", "eval_accuracy"} points.
    """
    figure = go.Figure()
    for which in ("transfer", "scratch"):
        points = curves.get(which, [])
        figure.add_trace(
            go.Scatter(
                x=[p["seconds"] if x_axis == "seconds" else p["epoch"] for p in points],
                y=[p["eval_accuracy"] for p in points],
                mode="lines+markers",
                name=f"{which} ({points[-1]['eval_accuracy']:.0%})"
                if points and points[-1]["eval_accuracy"] is not None
                else which,
                line=dict(color=RUN_COLOURS[which], width=3),
                marker=dict(size=5),
                hovertemplate=f"{which}<br>%{{x}}<br>eval accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),  # room for the legend above the plot
        yaxis=dict(range=[0, 1.02], tickformat=".0%", title="eval accuracy"),
        xaxis=dict(title="training seconds" if x_axis == "seconds" else "epoch", rangemode="tozero"),
        legend=dict(orientation="h", y=1.02, yanchor="bottom"),
    )
    return figure


def sweep_chart(sweep: dict) -> go.Figure:
    """Accuracy against samples per class: mean line and min-max band over seeds, per model."""
    figure = go.Figure()
    shots = sweep["shots"]
    for which in ("transfer", "scratch"):
        data, colour = sweep[which], RUN_COLOURS[which]
        figure.add_trace(
            go.Scatter(
                x=shots + shots[::-1],
                y=data["high"] + data["low"][::-1],
                fill="toself",
                fillcolor=colour,
                opacity=0.2,
                line=dict(width=0),
                hoverinfo="skip",
                showlegend=False,
            )
        )
        figure.add_trace(
            go.Scatter(x=shots, y=data["mean"], mode="lines+markers", name=which, line=dict(color=colour, width=3))
        )
    figure.update_layout(
        height=360,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title="samples per class", type="log", tickvals=shots, ticktext=[str(s) for s in shots]),
        yaxis=dict(range=[0, 1.02], tickformat=".0%", title="eval accuracy (mean and range over seeds)"),
        legend=dict(orientation="h", y=1.1),
    )
    return figure


def confusion_heatmap(matrix: list[list[int]], labels: list[str], title: str) -> go.Figure:
    figure = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            colorscale="Blues",
            showscale=False,
            hovertemplate="true %{y}, predicted %{x}: %{z}<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        height=420,
        margin=dict(l=10, r=10, t=40, b=10),
        xaxis=dict(title="predicted", type="category"),
        yaxis=dict(title="true", type="category", autorange="reversed"),
    )
    return figure


def top_k_bars(predictions: list[tuple[str, float]], colour: str) -> go.Figure:
    labels = [label for label, _ in predictions][::-1]
    values = [p for _, p in predictions][::-1]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colour,
            text=[f"{v:.0%}" for v in values],
            textposition="outside",
        )
    )
    figure.update_layout(
        height=230,
        margin=dict(l=10, r=30, t=10, b=10),
        xaxis=dict(range=[0, 1.15], tickformat=".0%"),
        yaxis=dict(type="category", tickfont=dict(size=18)),
    )
    return figure
