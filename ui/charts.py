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
