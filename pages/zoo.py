"""Pick a pretrained digit model and try it: draw a digit, see what the model sees and thinks."""

import streamlit as st

from tl_core import list_models
from tl_core.data.digit_styles import STYLE_DESCRIPTIONS, STYLES, StyleAccuracy
from tl_core.data.mnist import DIGITS
from tl_core.models.confidence import read_prediction
from tl_core.storage.workspace import Workspace
from tl_core.training.personal import latest_personal
from ui.canvas import drawing_canvas, model_input_of
from ui.charts import probability_bars, upscale
from ui.frame import end_page, require_frame
from ui.personal import correction_choice, personal_predictor, teach_section
from ui.prediction import show_reading
from ui.resources import pretrained_predictor
from ui.settings import keep_in_url, start_from_url
from ui.workspace import current_workspace

require_frame()  # first: a deep link as a fresh server's first request runs this file without app.py

st.title("Digit model zoo")
st.write(
    "Each of these models learned to read handwritten digits from real MNIST scans (the first one also from "
    "drawings of the many ways people write them). Pick one and draw a digit: "
    "it answers as soon as you lift the pen. Later, one of them becomes the starting point for learning a "
    "new script."
)


def styles_read(accuracy: StyleAccuracy) -> str:
    """Which ways of writing digits a model reads, in words (from its card's held-out measurement)."""
    misread = accuracy.misread
    text = f"Reads {len(STYLES) - len(misread)} of {len(STYLES)} ways of writing digits ({accuracy.all_styles:.1%})"
    if misread:
        worst = ", ".join(f"{STYLE_DESCRIPTIONS[name]} ({accuracy.per_style[name]:.0%})" for name in misread[:3])
        text += f"; reads less often: {worst}"
    return text


def show_model_cards(cards: dict[str, dict]) -> None:
    """Every model's card, after the canvas: drawing comes first on a phone and above the fold on a desktop."""
    st.subheader("The models")
    columns = st.columns(len(cards))
    for column, card in zip(columns, cards.values(), strict=True):
        with column.container(border=True, height="stretch"):
            st.markdown(f"#### {card['title']}")
            st.caption(card["description"])
            heldout = card["training_data"]["heldout_size"]
            st.markdown(
                f"**{card['heldout_accuracy']:.1%}** on {heldout} held-out real digits  \n"
                f"**{card['drawn_digits_accuracy']:.1%}** on digits drawn from strokes  \n"
                f"{card['params']:,} parameters · features: {card['architecture']['features']}"
            )
            if "styles" in card:
                st.caption(styles_read(StyleAccuracy.from_card(card["styles"])))


cards = {card["name"]: card for card in list_models()}
if not cards:
    st.error("No pretrained models found in assets/models. Run `python -m tl_core pretrain --model NAME`.")
    end_page()

default_model = next(iter(cards))
start_from_url("model", list(cards), default_model)
chosen = st.segmented_control(
    "Model",
    options=list(cards),
    format_func=lambda name: cards[name]["title"],
    required=True,
    key="model",
    persist_state="session",
)
keep_in_url("model", chosen, default_model)
card = cards[chosen]
st.caption(
    f"{card['heldout_accuracy']:.1%} on {card['training_data']['heldout_size']} held-out real digits · "
    f"{card['drawn_digits_accuracy']:.1%} on digits drawn from strokes · every model is described below"
)


def show_prediction(drawing, chosen: str, card: dict, workspace: Workspace, personal_run: int | None) -> None:
    """What the chosen model (or the user's personal copy of it) reads in the drawing, or why there is nothing to
    read yet; under the answer, the choice that corrects it."""
    if drawing is None:
        st.info("Draw a digit on the canvas: the prediction appears when you lift the pen.")
        return
    model_input = model_input_of(drawing)
    if model_input is None:
        return

    with st.spinner(f"Loading {card['title']} (the first time takes a few seconds while TensorFlow starts)…"):
        personal = personal_run is not None
        predict = personal_predictor(workspace, personal_run) if personal else pretrained_predictor(chosen)
    probabilities = predict(model_input)[0]

    reading = read_prediction(probabilities, DIGITS)
    answer_column, seen_column = st.columns([1, 1])
    with answer_column:
        show_reading(reading, card["title"], personal)
    seen_column.image(upscale(model_input), caption="What the model sees (28×28)", clamp=True)
    correction_choice(workspace, chosen, "zoo_canvas", drawing, model_input, reading.best)
    st.plotly_chart(probability_bars(probabilities, DIGITS), key="zoo_probabilities")


workspace = current_workspace()
personal = latest_personal(workspace, chosen)
draw_column, result_column = st.columns([1, 1.4], gap="large")
with draw_column:
    st.markdown("**Draw a digit (0-9)**")
    drawing = drawing_canvas("zoo_canvas")
with result_column:
    show_prediction(drawing, chosen, card, workspace, personal.id if personal else None)
teach_section(workspace, chosen, card["title"])
show_model_cards(cards)
