"""AppTest of the zoo page: it paints the cards and the canvas before any model is loaded, and its answer to a
drawing says when the model is unsure (the canvas cannot be driven here, so that part renders ui.prediction)."""

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
    texts = " ".join(block.value for block in app.markdown)
    for card in tl_core.list_models():
        assert card["title"] in texts
        assert f"{card['heldout_accuracy']:.1%}" in texts
    assert any("Draw a digit on the canvas" in info.value for info in app.info)
    assert "KanjiVG" in " ".join(caption.value for caption in app.caption)  # the footer every page shares


def test_the_model_choice_comes_from_the_url():
    """`?model=NAME` picks the model, so a refresh or a shared link opens the same one."""
    names = [card["name"] for card in tl_core.list_models()]
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = names[-1]
    at.run()
    assert not at.exception
    assert at.button_group(key="model").value == names[-1]


def test_an_unknown_model_in_the_url_falls_back_to_the_default():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["model"] = "../../etc/passwd"
    at.run()
    assert not at.exception
    assert at.button_group(key="model").value == tl_core.list_models()[0]["name"]
    said = [warning.value for warning in at.warning]
    assert any("is not one of" in text and "../../etc/passwd".replace(".", "\\.") in text for text in said), said


def test_switching_models_keeps_the_page_working(app):
    names = [card["name"] for card in tl_core.list_models()]
    app.button_group(key="model").set_value(names[1]).run()
    assert not app.exception
    assert app.button_group(key="model").value == names[1]
    assert app.query_params["model"] in (names[1], [names[1]])


def reading_script():
    import streamlit as st

    from tl_core.data.mnist import DIGITS
    from tl_core.models.confidence import read_prediction
    from ui.prediction import show_reading

    reading = read_prediction(st.session_state["probabilities"], DIGITS)
    show_reading(reading, "LeNet-5 style", personal=st.session_state.get("personal", False))


def shown_for(probabilities, personal=False):
    at = AppTest.from_function(reading_script, default_timeout=30)
    at.session_state["probabilities"] = probabilities
    at.session_state["personal"] = personal
    at.run()
    assert not at.exception, at.exception
    return at.metric[0].value, " ".join(block.value for block in at.markdown)


def test_a_clear_drawing_gets_one_confident_answer():
    value, text = shown_for([0.01] * 7 + [0.9] + [0.01] * 2)  # 90% a 7
    assert value == "7"
    assert "90% sure" in text and "model: LeNet\\-5 style" in text
    assert "unsure" not in text


def test_an_ambiguous_drawing_says_which_two_it_could_be():
    value, text = shown_for([0.01, 0.41, 0.01, 0.01, 0.01, 0.01, 0.01, 0.48, 0.04, 0.01])  # 7 or 1
    assert value == "7 or 1?"
    assert "The model is unsure: 48% a 7, 41% a 1." in text and "model: LeNet\\-5 style" in text
    assert "sure ·" not in text


def test_an_answer_of_the_personal_model_says_so():
    value, text = shown_for([0.01] + [0.91] + [0.01] * 8, personal=True)  # 91% a 1
    assert value == "1"
    assert "91% sure · model: **your personal model** (a copy of LeNet\\-5 style)" in text
