"""Look inside: how the digit model's features see this workspace's characters, and what the pretrained,
fine-tuned and scratch networks each look at in a drawing."""

import numpy as np
import streamlit as st

from tl_core import list_models
from tl_core.data.charsets import CHARSETS
from tl_core.data.mnist import DIGITS
from tl_core.inside.feature_space import pixel_neighbour_accuracy
from tl_core.markdown import escape_markdown
from tl_core.training.results import ComparisonSummary
from tl_core.training.tasks import TaskError, workspace_task
from ui.canvas import drawn_input
from ui.frame import end_page, require_frame
from ui.inside import feature_space_section
from ui.network import network_section
from ui.resources import pretrained_model
from ui.settings import lesson_from_url, preset
from ui.workspace import current_workspace, trained_models

require_frame()  # first: a deep link as a fresh server's first request runs this file without app.py


def missing_samples(classes: list[str], problem: TaskError) -> str:
    """What to do first, in Markdown: a workspace with no classes needs a whole task, one with one class a second.

    Labels are the student's own text, so they are escaped (the same for `problem`, which quotes them)."""
    if not classes:
        return (
            "This page needs a task with samples, and this workspace has no characters yet. On the Collect page, "
            "choose a built-in set and auto-fill it with rendered samples in one click, or name your own classes "
            "and draw a few samples of each."
        )
    if len(classes) == 1:
        return (
            "This page needs a task with samples of at least two characters to compare; your workspace has one "
            f"class, {escape_markdown(classes[0])}. Add at least one more class and its samples on the Collect page."
        )
    return f"This page needs a task with samples. {escape_markdown(problem)}"


st.title("Look inside")
st.write(
    "Why does a digit model help with characters it never saw? Here you can see what its backbone makes of your "
    "samples before any training, and what each network looks at when it reads a drawing."
)
workspace = current_workspace()
try:
    task = workspace_task(workspace)
except TaskError as problem:
    st.info(missing_samples(workspace.classes(), problem))
    st.page_link("pages/collect.py", label="Collect samples", icon=":material/draw:")
    end_page()

cards = {card["name"]: card for card in list_models()}
latest = workspace.latest_run("comparison", ComparisonSummary.from_json)
if latest is not None:
    run_id, summary = latest.id, latest.summary
    architecture = summary.model
    st.caption(
        f"Using the models of your latest comparison on the Train page: {summary.model_title}, "
        f"{summary.strategy}, {summary.epochs} epochs."
    )
else:
    preset("inside_model", lesson_from_url(warn=False).model)
    architecture = st.selectbox(
        "Digit model", list(cards), format_func=lambda name: cards[name]["title"], key="inside_model"
    )
    st.caption("Train both models on the Train page to compare the fine-tuned and scratch networks here too.")
pretrained = pretrained_model(architecture)
trained = trained_models(workspace, run_id) if latest is not None else {}

# Built-in sets are pictured with their fresh evaluation renders (10 per class); custom classes with every sample.
if workspace.charset in CHARSETS:
    x, y = task.x_eval, task.y_eval
else:
    x, y, _ = workspace.arrays()
labels = task.labels

draw_column, space_column = st.columns([1.4, 3], gap="medium")
with draw_column:
    st.markdown("**Draw one of your characters**: it appears as a star, and below, as each network sees it.")
    model_input = drawn_input("inside_canvas")
with space_column:
    st.subheader("Feature space")
    scratch = (f"{workspace.name} run {run_id} scratch", trained["scratch"]) if trained else None
    transfer = (trained["transfer"], list(summary.labels)) if trained else None  # its guesses join the picture
    scores = feature_space_section(
        "inside_space", architecture, pretrained, x, y, labels, model_input, scratch, classifier=transfer
    )
if scores:
    (pretrained_name, pretrained_score), (other_name, other_score) = scores.items()
    pixel_score = pixel_neighbour_accuracy(x, y)
    st.info(
        f"A sample's nearest neighbour is the same character {pretrained_score:.0%} of the time in the features "
        f"{pretrained_name}, {other_score:.0%} in the features {other_name}, and {pixel_score:.0%} comparing raw "
        "pixels.",
        icon=":material/lightbulb:",
    )

st.subheader("What each network sees")
image = model_input if model_input is not None else x[0]
if model_input is None:
    st.caption(
        f"Showing a sample of {escape_markdown(labels[int(y[0])])}; draw on the canvas above to look at your own."
    )
models = {"Digit model": (pretrained, DIGITS)}
if trained:
    labels_of_run = list(summary.labels)
    models |= {"Transfer": (trained["transfer"], labels_of_run), "Scratch": (trained["scratch"], labels_of_run)}
network_section(models, np.asarray(image, np.float32))
