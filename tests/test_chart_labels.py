"""Labels in charts read as typed (issue 13): plotly reads a little HTML in tick labels, legend entries and hover
text, so a class named `<a href="//e.vil">Log in</a>` was a link reading "Log in" in the charts (seen in
Chromium); labels go in as HTML entities, which plotly shows as the characters typed."""

import html
import json

import numpy as np

from tl_core.inside.feature_space import FeatureSpace
from tl_core.training.evaluation import per_class_accuracy
from ui.charts import class_accuracy_chart, confusion_heatmap, plot_text, probability_bars, top_k_bars
from ui.inside import feature_space_chart

CRAFTED = '<a href="//e.vil">Log in</a>'  # 28 characters: a valid label
LABELS = [CRAFTED, "a & b", "%{x}", "あ"]


def texts(figure) -> str:
    """Everything plotly will read as text: the figure as the browser receives it."""
    return json.dumps(figure.to_plotly_json(), default=str, ensure_ascii=False)


def assert_literal(figure) -> None:
    sent = texts(figure)
    assert "<a " not in sent and "Log in</a>" not in sent
    as_sent = json.dumps(html.escape(CRAFTED, quote=False))[1:-1]  # as it is inside the JSON
    assert as_sent in sent and "a &amp; b" in sent and "あ" in sent


def test_plot_text_is_html_escaped_once():
    assert plot_text(CRAFTED) == '&lt;a href="//e.vil"&gt;Log in&lt;/a&gt;'
    assert plot_text("a & b") == "a &amp; b" and plot_text("あ") == "あ"


def test_confusion_accuracy_and_guess_charts_show_labels_literally():
    confusion = np.eye(len(LABELS), dtype=int).tolist()
    assert_literal(confusion_heatmap(confusion, LABELS, "transfer"))
    accuracies = {which: per_class_accuracy(confusion, LABELS) for which in ("transfer", "scratch")}
    assert_literal(class_accuracy_chart(accuracies, chance=0.25))
    assert_literal(top_k_bars([(label, 0.25) for label in LABELS], "#000000"))
    assert_literal(probability_bars(np.full(len(LABELS), 0.25), LABELS))


def test_the_feature_space_shows_labels_literally_also_when_hovered():
    points = np.random.default_rng(0).normal(size=(8, 2))
    space = FeatureSpace(points, np.repeat(np.arange(4), 2), np.zeros(2), (0.3, 0.2), 0.9)
    figure = feature_space_chart(space, LABELS, "Pretrained on digits")
    assert_literal(figure)
    hovers = [trace.hovertemplate for trace in figure.data]
    assert not any(label in hover for label in LABELS for hover in hovers)  # `%{x}` in a label is no placeholder
