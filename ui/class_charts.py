"""The class page's two figures: every run's transfer against scratch accuracy, and the class's data efficiency."""

from __future__ import annotations

import plotly.graph_objects as go

from tl_core.classroom.class_results import ClassRow, EfficiencyPoint
from tl_core.training.results import COMPARISON_MODELS
from ui.charts import ACCENT, MUTED, RUN_COLOURS, plot_text, spread_band


def runs_scatter(rows: list[ClassRow], height: int = 420) -> go.Figure:
    """One point per run (scratch accuracy across, transfer up): above the diagonal, transfer won."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            line=dict(color=MUTED, dash="dash"),
            name="same accuracy",
            hoverinfo="skip",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[row.scratch_accuracy for row in rows],
            y=[row.transfer_accuracy for row in rows],
            mode="markers",
            marker=dict(color=ACCENT, size=12, line=dict(color="white", width=1)),
            name="a student's run",
            text=[plot_text(f"{row.student} · {row.model} · {row.shots} per class · {row.strategy}") for row in rows],
            hovertemplate="%{text}<br>transfer %{y:.0%}, scratch %{x:.0%}<extra></extra>",
        )
    )
    figure.update_layout(  # fixed ranges, no scale anchor: a narrow screen squeezed the axes past 0-100 %
        height=height,
        margin=dict(l=10, r=10, t=40, b=70),  # the legend sits under the axis title
        xaxis=dict(title="scratch accuracy", range=[0, 1.02], tickformat=".0%", fixedrange=True),
        yaxis=dict(title="transfer accuracy", range=[0, 1.02], tickformat=".0%", fixedrange=True),
        legend=dict(orientation="h", yanchor="top", y=-0.22, x=0),
        title=dict(text="Above the line, transfer won", font=dict(size=14), y=0.98, yanchor="top"),
    )
    return figure


def efficiency_chart(points: list[EfficiencyPoint], height: int = 380) -> go.Figure:
    """Median accuracy against samples per class for both models, with the class's lowest-to-highest band."""
    figure = go.Figure()
    for model in COMPARISON_MODELS:
        mine = [point for point in points if point.model == model]
        shots = [point.shots for point in mine]
        figure.add_trace(spread_band(shots, [p.low for p in mine], [p.high for p in mine], RUN_COLOURS[model]))
        figure.add_trace(
            go.Scatter(
                x=shots,
                y=[point.median for point in mine],
                mode="lines+markers",
                line=dict(color=RUN_COLOURS[model], width=3),
                name=f"{model}: median, band lowest to highest",
                customdata=[[point.low, point.high, point.runs] for point in mine],
                hovertemplate=(
                    f"{model}, %{{x}} per class: median %{{y:.0%}} (from %{{customdata[0]:.0%}} to "
                    "%{customdata[1]:.0%}, %{customdata[2]} runs)<extra></extra>"
                ),
            )
        )
    figure.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=10, b=90),  # room for the legend under the axis title
        xaxis=dict(title="samples per class", type="log", tickvals=sorted({point.shots for point in points})),
        yaxis=dict(title="final accuracy", range=[0, 1.02], tickformat=".0%"),
        legend=dict(orientation="h", yanchor="top", y=-0.25, x=0),
    )
    return figure
