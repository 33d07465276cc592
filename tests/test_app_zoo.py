"""AppTest of the zoo page: it paints the cards and the canvas, and the model choice is a URL setting."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import tl_core

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_zoo_page_shows_a_card_per_model_and_invites_drawing(app):
    texts = " ".join(block.value for block in app.markdown) + " ".join(s.value for s in app.subheader)
    for card in tl_core.list_models():
        assert card["title"] in texts
        assert f"{card['heldout_accuracy']:.1%}" in texts
    assert any("Draw a digit on the canvas" in info.value for info in app.info)
    assert "KanjiVG" in " ".join(caption.value for caption in app.sidebar.caption)


def test_choosing_a_model_is_kept_in_the_url(app):
    names = [card["name"] for card in tl_core.list_models()]
    control = app.button_group(key="model")
    assert control.value == names[0]
    control.set_value(names[-1]).run()
    assert not app.exception
    assert app.query_params.get("model") in (names[-1], [names[-1]])
