"""Plotly figures used by the pages, and the framed sample pictures shown next to them.

Kept as one module: every figure shares its colours, chance line and label escaping (`plot_text`), and each
function is one figure, read on its own.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from tl_core.training.evaluation import ClassAccuracy
from tl_core.training.results import COMPARISON_MODELS, ComparisonSummary, ModelCurves, SweepSummary

ACCENT = "#e4572e"
MUTED = "#9aa5b1"


def plot_text(text: str) -> str:
    """A class label as plotly text. Plotly reads a little HTML in tick labels, legend entries and hover text, so
    a label `<a href="//e.vil">Log in</a>` would be a link reading "Log in"; as entities it reads as typed."""
    return html.escape(str(text), quote=False)


def probability_bars(probabilities: np.ndarray, labels: list[str]) -> go.Figure:
    """One bar per class, the most probable one highlighted."""
    best = int(np.argmax(probabilities))
    colours = [ACCENT if index == best else MUTED for index in range(len(labels))]
    figure = go.Figure(
        go.Bar(
            x=[plot_text(label) for label in labels],
            y=probabilities,
            marker_color=colours,
            text=[f"{p:.0%}" if p >= 0.01 else "" for p in probabilities],
            textposition="outside",
            cliponaxis=False,  # the "97%" beside a full bar stays whole
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


TILE_PX = 62  # a 28x28 sample doubled, plus its frame: the width to show `tile`s at, crisp


def tile(image: np.ndarray) -> np.ndarray:
    """A 28x28 sample doubled (nearest neighbour) in a grey frame, so drawings shown side by side (st.image of a
    list, which wraps onto new rows on a narrow screen) read as separate pictures."""
    pixels = (np.clip(image, 0, 1) * 255).astype(np.uint8)
    return np.pad(upscale(pixels, 2), 3, constant_values=60)


TRANSFER_COLOUR = "#e4572e"
SCRATCH_COLOUR = "#4c78a8"
RUN_COLOURS = {"transfer": TRANSFER_COLOUR, "scratch": SCRATCH_COLOUR}


@dataclass(frozen=True)
class CurvePoint:
    """One epoch of a learning curve, kept or live (a tl_core.training.results.EpochRecord has these too)."""

    epoch: int  # 1-based
    seconds: float  # cumulative training seconds
    eval_accuracy: float | None  # None when there was nothing to evaluate on


def curve_points(curves: ModelCurves) -> list[CurvePoint]:
    """A kept model's curve as points for `learning_curves`."""
    pairs = zip(curves.eval_accuracy, curves.epoch_seconds, strict=True)
    return [CurvePoint(epoch, seconds, accuracy) for epoch, (accuracy, seconds) in enumerate(pairs, start=1)]


def comparison_curves(summary: ComparisonSummary) -> dict[str, list[CurvePoint]]:
    """Both models' curves of a kept comparison, as `learning_curves` takes them."""
    return {which: curve_points(summary.curves(which)) for which in COMPARISON_MODELS}


def learning_curves(
    curves: dict[str, list[CurvePoint]], x_axis: str = "epoch", height: int = 380, chance: float | None = None
) -> go.Figure:
    """Eval accuracy of both models against epoch or training seconds.

    `curves` maps "transfer"/"scratch" to their points (a model not there yet draws no line); `chance`
    (1 / number of classes) draws the accuracy of guessing, so a curve near the floor reads as "learned nothing".
    """
    figure = go.Figure()
    for which in COMPARISON_MODELS:
        points = curves.get(which, [])
        figure.add_trace(
            go.Scatter(
                x=[p.seconds if x_axis == "seconds" else p.epoch for p in points],
                y=[p.eval_accuracy for p in points],
                mode="lines+markers",
                name=f"{which} ({points[-1].eval_accuracy:.0%})"
                if points and points[-1].eval_accuracy is not None
                else which,
                line=dict(color=RUN_COLOURS[which], width=3),
                marker=dict(size=5),
                hovertemplate=f"{which}<br>%{{x}}<br>eval accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    if chance is not None:
        add_chance_line(figure, chance)
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),  # room for the legend above the plot
        yaxis=dict(range=[0, 1.02], tickformat=".0%", title="eval accuracy"),
        xaxis=dict(title="training seconds" if x_axis == "seconds" else "epoch", rangemode="tozero"),
        legend=dict(orientation="h", y=1.02, yanchor="bottom"),
    )
    return figure


def add_chance_line(figure: go.Figure, chance: float, **where) -> None:
    """A dashed line at the accuracy of guessing (1 / classes), labelled at the right end, where the curves
    have usually risen well above it (`where`: row/col of a subplot)."""
    figure.add_hline(
        y=chance,
        line=dict(color=MUTED, width=2, dash="dash"),
        annotation_text=f"chance ({chance:.0%})",
        annotation_position="top right",
        **where,
    )


def training_and_evaluation(
    summary: ComparisonSummary, x_axis: str = "epoch", chance: float | None = None
) -> go.Figure:
    """Per model: accuracy on its training samples against accuracy on the evaluation samples (top), and the
    training loss (bottom), from a kept comparison.

    A training curve far above the evaluation curve is a model learning its few samples by heart.
    """
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.1, row_heights=[0.6, 0.4])
    for which in COMPARISON_MODELS:
        run, colour = summary.curves(which), RUN_COLOURS[which]
        x = list(run.epoch_seconds) if x_axis == "seconds" else list(range(1, len(run.eval_accuracy) + 1))
        lines = (  # (what, values, line, subplot row, number format)
            ("evaluation", list(run.eval_accuracy), dict(color=colour, width=3), 1, ".1%"),
            ("training", list(run.train_accuracy), dict(color=colour, width=2, dash="dot"), 1, ".1%"),
            ("training loss", list(run.loss), dict(color=colour, width=2), 2, ".3f"),
        )
        for what, values, line, row, number in lines:
            figure.add_trace(
                go.Scatter(
                    x=x,
                    y=values,
                    mode="lines+markers",
                    name=f"{which}, {what}",
                    line=line,
                    marker=dict(size=4),
                    legendgroup=which,
                    showlegend=row == 1,  # the loss keeps the colours of the accuracy lines above it
                    hovertemplate=f"{which}, {what}<br>%{{x}}<br>%{{y:{number}}}<extra></extra>",
                ),
                row=row,
                col=1,
            )
    if chance is not None:
        add_chance_line(figure, chance, row=1, col=1)
    figure.update_yaxes(range=[0, 1.02], tickformat=".0%", title="accuracy", row=1, col=1)
    figure.update_yaxes(title="training loss", rangemode="tozero", row=2, col=1)
    figure.update_xaxes(title="training seconds" if x_axis == "seconds" else "epoch", rangemode="tozero", row=2, col=1)
    figure.update_layout(
        height=560,
        margin=dict(l=10, r=10, t=70, b=10),  # room for the two-row legend
        legend=dict(orientation="h", y=1.08, yanchor="bottom"),
    )
    return figure


def spread_band(x: list, low: list[float], high: list[float], colour: str) -> go.Scatter:
    """The shaded area between `low` and `high` along `x` (a spread across seeds or students), without a legend
    entry; lines only, or plotly marks each corner on a short trace."""
    return go.Scatter(
        x=x + x[::-1],
        y=high + low[::-1],
        fill="toself",
        fillcolor=colour,
        opacity=0.2,
        mode="lines",
        line=dict(width=0),
        hoverinfo="skip",
        showlegend=False,
    )


def sweep_chart(sweep: SweepSummary, chance: float | None = None) -> go.Figure:
    """Accuracy against samples per class, per model: one run per point, or the mean and the min-max band
    when several seeds ran (the axis says which, so one seed is never passed off as an average)."""
    figure = go.Figure()
    shots = list(sweep.shots)
    seeds = sweep.seeds_per_point
    for which in COMPARISON_MODELS:
        data, colour = sweep.curve(which), RUN_COLOURS[which]
        if seeds > 1:  # with one seed, low = mean = high: a band would only pretend to show a spread
            figure.add_trace(spread_band(shots, list(data.low), list(data.high), colour))
        figure.add_trace(
            go.Scatter(
                x=shots,
                y=list(data.mean),
                mode="lines+markers",
                name=which,
                line=dict(color=colour, width=3),
                hovertemplate=f"{which}<br>%{{x}} per class<br>eval accuracy %{{y:.1%}}<extra></extra>",
            )
        )
    if chance is not None:
        add_chance_line(figure, chance)
    measured = f"mean of {seeds} seeds; band: lowest to highest" if seeds > 1 else "one run per point"
    figure.update_layout(
        height=380,
        margin=dict(l=10, r=10, t=30, b=10),
        xaxis=dict(title="samples per class", type="log", tickvals=shots, ticktext=[str(s) for s in shots]),
        yaxis=dict(range=[0, 1.02], tickformat=".0%", title=f"eval accuracy ({measured})"),
        legend=dict(orientation="h", y=1.1),
    )
    return figure


CONFUSION_CELL_PX = 16  # per class: room for one line of tick label, so every class keeps its label


def confusion_heatmap(matrix: list[list[int]], labels: list[str], title: str) -> go.Figure:
    """Rows: true class, columns: predicted; colour: the share of each true class's evaluation samples (so
    classes with different numbers of samples compare fairly), with the counts in the hover text.

    The height grows with the classes and every class is labelled: 46 hiragana need ~940 px.
    """
    counts = np.asarray(matrix, dtype=float).reshape(len(labels), len(labels))
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    shown = [plot_text(label) for label in labels]
    figure = go.Figure(
        go.Heatmap(
            z=shares,
            x=shown,
            y=shown,
            customdata=np.dstack([counts, np.broadcast_to(totals, counts.shape)]),
            zmin=0,
            zmax=1,
            colorscale="Blues",
            # above the plot rather than beside it, so a phone keeps its width for the 46 columns
            colorbar=dict(
                title=dict(text="share of each true class", side="top"),
                tickformat=".0%",
                orientation="h",
                thickness=10,
                len=0.6,
                x=0.5,
                xanchor="center",
                y=1.0,
                yanchor="bottom",
            ),
            hovertemplate="true %{y}, predicted %{x}: %{customdata[0]:.0f} of %{customdata[1]:.0f} (%{z:.0%})"
            "<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    figure.update_layout(
        title=title,
        height=max(400, CONFUSION_CELL_PX * len(labels) + 200),  # + title, colour bar, the x labels and the axis title
        margin=dict(l=10, r=10, t=110, b=10),
        xaxis=dict(title="predicted", type="category", dtick=1, tickangle=0, side="bottom"),
        yaxis=dict(title="true", type="category", dtick=1, autorange="reversed"),
    )
    return figure


def class_accuracy_chart(
    accuracies: dict[str, list[ClassAccuracy]], chance: float | None = None, row_px: int = 18
) -> go.Figure:
    """Accuracy per class for each model as dots on one row (`row_px` high) per class, the worst class (for
    transfer) at the top; rows rather than columns, so 46 labels stay legible on a phone."""
    order = sorted(
        range(len(accuracies["transfer"])),
        key=lambda i: (_or_one(accuracies["transfer"][i].accuracy), _or_one(accuracies["scratch"][i].accuracy), i),
    )
    labels = [plot_text(accuracies["transfer"][i].label) for i in order]
    figure = go.Figure()
    for which in COMPARISON_MODELS:
        entries = [accuracies[which][i] for i in order]
        figure.add_trace(
            go.Scatter(
                x=[entry.accuracy for entry in entries],
                y=labels,
                mode="markers",
                name=which,
                # scratch hollow: where both models read a class equally, both markers stay visible
                marker=dict(
                    color=RUN_COLOURS[which],
                    size=10,
                    symbol="circle" if which == "transfer" else "diamond-open",
                    line=dict(width=2, color=RUN_COLOURS[which]),
                ),
                customdata=[[entry.correct, entry.total] for entry in entries],
                hovertemplate=f"{which}, %{{y}}: %{{customdata[0]}} of %{{customdata[1]}} right<extra></extra>",
            )
        )
    if chance is not None:
        figure.add_vline(
            x=chance,
            line=dict(color=MUTED, width=2, dash="dash"),
            annotation_text="chance",
            annotation_position="bottom right",
        )
    figure.update_layout(
        height=max(300, row_px * len(labels) + 110),  # + the legend and the x axis
        margin=dict(l=10, r=10, t=50, b=10),
        xaxis=dict(range=[-0.03, 1.03], tickformat=".0%", title="share of its evaluation samples read right"),
        yaxis=dict(type="category", dtick=1, autorange="reversed", title=None),
        legend=dict(orientation="h", y=1.02, yanchor="bottom"),
    )
    return figure


def _or_one(accuracy: float | None) -> float:
    """Classes with nothing to evaluate on sort last."""
    return 1.0 if accuracy is None else accuracy


def top_k_bars(predictions: list[tuple[str, float]], colour: str) -> go.Figure:
    labels = [plot_text(label) for label, _ in predictions][::-1]
    values = [p for _, p in predictions][::-1]
    figure = go.Figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colour,
            text=[f"{v:.0%}" for v in values],
            textposition="outside",
            cliponaxis=False,  # the "97%" beside a full bar stays whole
        )
    )
    figure.update_layout(
        height=230,
        margin=dict(l=10, r=30, t=10, b=10),
        xaxis=dict(range=[0, 1.15], tickformat=".0%"),
        yaxis=dict(type="category", tickfont=dict(size=18)),
    )
    return figure
