"""A model's answer to one drawing: one confident answer when it is sure, "7 or 1?" and both probabilities
when it is not (tl_core.models.confidence decides which)."""

from __future__ import annotations

import streamlit as st

from tl_core.markdown import escape_markdown
from tl_core.models.confidence import Reading


def unsure_sentence(reading: Reading) -> str:
    """The plain sentence under an unsure answer, both probabilities most probable first."""
    best, runner_up = escape_markdown(reading.best), escape_markdown(reading.runner_up)
    return (
        f"The model is unsure: {reading.top_probability:.0%} a {best}, {reading.runner_up_probability:.0%} "
        f"a {runner_up}. Draw it again, a little clearer?"
    )


def show_reading(reading: Reading, card_title: str, personal: bool = False) -> None:
    """The answer as a metric, with under it how sure the model is and which model answered (`personal`: the
    user's personal copy of the card's model, see ui.personal)."""
    model = f"model: {escape_markdown(card_title)}"
    if personal:
        model = f"model: **your personal model** (a copy of {escape_markdown(card_title)})"
    if reading.unsure:
        st.metric("Prediction", reading.headline, help="the two most probable answers, most probable first")
        st.markdown(f"{unsure_sentence(reading)}  \n{model}")
    else:
        st.metric("Prediction", reading.headline, help="the most probable answer")
        st.markdown(f"{reading.top_probability:.0%} sure · {model}")
