"""AppTest of the feature-space section with the real digit model: a drawing brings its own class into the
picture. In a file of its own: it runs TensorFlow in the test's thread, and app.py's start-up warm-up thread
(started by the page tests) must not still be running when a lone run of this file exits."""

import pytest
from streamlit.testing.v1 import AppTest

pytestmark = pytest.mark.slow


def feature_space_script():
    import streamlit as st

    from tl_core.training.tasks import charset_task
    from ui.inside import feature_space_section
    from ui.resources import pretrained_model

    task = charset_task("hiragana", 1, seed=0)
    drawing = task.x_train[40] if st.session_state.get("draw") else None  # a new render of class 40
    scores = feature_space_section(
        "space", "compact-gap", pretrained_model("compact-gap"), task.x_eval, task.y_eval, task.labels, drawing
    )
    st.session_state["scores"] = scores


def test_a_drawing_of_a_late_class_is_pictured_among_its_own_kind():
    at = AppTest.from_function(feature_space_script, default_timeout=120).run()
    assert not at.exception, at.exception
    assert at.multiselect(key="space_shown").value == [0, 1, 2, 3, 4, 5]
    at.session_state["draw"] = True
    at.run()
    assert not at.exception, at.exception
    shown = at.multiselect(key="space_shown").value
    assert shown[0] == 40 and len(shown) <= 8  # measured: its nearest class is its own
    assert set(at.session_state["scores"]) == {"pretrained on digits", "untrained (random weights)"}
