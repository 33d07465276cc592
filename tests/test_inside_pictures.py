"""The Look inside pictures: chart titles that fit a phone, a legend that leaves the plot its width, filter cards
that show weights and response, and saliency pictures that grow in the presenter view."""

import numpy as np
import pytest
import streamlit

from tl_core.inside.feature_space import FeatureSpace
from ui import inside, network
from ui.inside import CHART_TITLES, feature_space_chart, wrapped_title
from ui.network import filter_card


def space(classes: int = 6, drawing: bool = True) -> FeatureSpace:
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(classes), 3)
    return FeatureSpace(rng.normal(size=(len(labels), 2)), labels, np.zeros(2) if drawing else None, (0.3, 0.2), 0.9)


@pytest.mark.parametrize("name", list(CHART_TITLES))
def test_chart_titles_fit_a_phone_and_have_room_above_the_plot(name):
    figure = feature_space_chart(space(), list("abcdef"), CHART_TITLES[name])
    lines = figure.layout.title.text.split("<br>")
    assert all(len(line) <= inside.TITLE_CHARACTERS_PER_LINE for line in lines)
    assert figure.layout.margin.t >= 24 * len(lines) + 16  # a 16 px line each, and padding: never cut off


def test_a_long_title_wraps_and_the_chart_grows_to_keep_the_plot():
    text, lines = wrapped_title("Features trained from scratch on the samples of this workspace")
    assert lines == 3 and text.count("<br>") == 2
    short = feature_space_chart(space(), list("abcdef"), "Short")
    long = feature_space_chart(space(), list("abcdef"), "Features trained from scratch on the samples of this set")
    assert long.layout.height - long.layout.margin.t == short.layout.height - short.layout.margin.t


def test_the_legend_sits_under_the_plot_and_the_star_is_labelled_on_it():
    figure = feature_space_chart(space(), list("abcdef"), "Pretrained on digits", order=[4, 2])
    assert figure.layout.legend.orientation == "h" and figure.layout.legend.y < 0
    star = figure.data[-1]
    assert star.marker.symbol == "star" and star.showlegend is False
    assert [annotation.text for annotation in figure.layout.annotations] == ["your drawing"]
    assert [trace.name for trace in figure.data[:-1]] == ["e", "c", "a", "b", "d", "f"]  # chosen order first
    assert not feature_space_chart(space(drawing=False), list("abcdef"), "t").layout.annotations


def test_a_filter_card_shows_the_weights_diverging_around_zero_above_the_response():
    kernel = np.array([[-1, -1, -1], [0, 0, 0], [1, 1, 1]], np.float32)
    response = np.zeros((28, 28), np.float32)
    response[10, 5:20] = 1.0
    card = filter_card(kernel, response, np.zeros((28, 28), np.float32), scale=4)
    assert card.shape == (112 + 8 + 112, 112, 3) and card.dtype == np.uint8
    top, middle, bottom = card[10, 56], card[56, 56], card[100, 56]
    assert tuple(top) == (0, 0, 255) and tuple(middle) == (255, 255, 255) and tuple(bottom) == (255, 0, 0)
    fired, quiet = card[120 + 10 * 4 + 1, 10 * 4], card[120 + 20 * 4, 10 * 4]
    assert fired[0] > 200 and tuple(quiet) == (0, 0, 0)  # orange where it fires, dark elsewhere


class ImageCalls:
    """Stands in for st.image outside a running app, keeping what each call was given."""

    def __init__(self):
        self.calls = []

    def __call__(self, image, caption=None, width="content", **kwargs):
        self.calls.append({"image": image, "caption": caption, "width": width})


@pytest.fixture(scope="module")
def small_cnn():
    from tl_core.models.architectures import build_classifier

    return build_classifier("compact-gap", 3)


@pytest.mark.parametrize(("large", "width"), [(False, 168), (True, 336)])
def test_saliency_is_larger_in_the_presenter_view_and_stays_crisp(monkeypatch, small_cnn, large, width):
    images = ImageCalls()
    monkeypatch.setattr(streamlit, "image", images)
    drawing = np.zeros((28, 28), np.float32)
    drawing[8:20, 13:15] = 1.0
    network.network_section({"Model": (small_cnn, ["a", "b", "c"])}, drawing, large=large)
    saliency_call = images.calls[0]
    assert saliency_call["width"] == width and saliency_call["image"].shape[:2] == (width, width)
    cards = images.calls[1]
    assert len(cards["image"]) == network.FILTERS_SHOWN and len(cards["caption"]) == network.FILTERS_SHOWN
    assert cards["width"] == (network.FILTER_CARD_PX_LARGE if large else network.FILTER_CARD_PX)


def test_the_presenter_view_is_read_from_the_session_by_default(monkeypatch, small_cnn):
    images = ImageCalls()
    monkeypatch.setattr(streamlit, "image", images)
    monkeypatch.setattr(network.st, "session_state", {"present": True})
    network.network_section({"Model": (small_cnn, ["a", "b", "c"])}, np.zeros((28, 28), np.float32))
    assert images.calls[0]["width"] == network.SALIENCY_PX_LARGE
