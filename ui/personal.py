"""Teach it your handwriting (issue 14): correct the zoo model's wrong answers, then fine-tune a personal copy on
the corrections, see it measured against the original, use it, reset it or take it home.

The training is tl_core.training.personal's; it runs on the shared training queue like every other job.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import streamlit as st

from tl_core.classroom.jobs import CANCELLED, FAILED, FINISHED
from tl_core.classroom.requests import PersonalModelRequest
from tl_core.data.mnist import DIGITS
from tl_core.data.png import encode_png
from tl_core.markdown import escape_markdown
from tl_core.storage.workspace import Correction, Workspace, WorkspaceError
from tl_core.training.personal import (
    KIND,
    MIN_CORRECTIONS,
    PersonalEvaluation,
    estimate_seconds,
    latest_personal,
    personal_card_markdown,
    personal_verdict,
    reset_personal,
)
from ui.canvas import clear_canvas
from ui.job_panel import job_panel
from ui.layout import WRAPPING_OPTIONS_KEY_PREFIX
from ui.resources import pretrained_model, training_queue
from ui.submit import show_refusal, submit_job

THUMBNAIL_WIDTH = 56  # px: a row of a dozen corrections fits a desktop column


# --- correcting an answer ----------------------------------------------------------------------------------
def correction_choice(
    workspace: Workspace, model: str, canvas_key: str, drawing: np.ndarray, model_input, answer: str
) -> None:
    """ "Wrong? It is a:" the ten digits; a choice keeps the drawing as a correction and empties the canvas.

    The choice is keyed on the canvas' generation, and choosing clears the canvas (a new generation): one drawing
    is kept once, whatever reruns follow. Choosing the digit the model gave (`answer`) keeps nothing: it was right.
    """
    generation = st.session_state.get(f"{canvas_key}_generation", 0)
    key = f"{canvas_key}_correction_{generation}"
    with st.container(key=f"{WRAPPING_OPTIONS_KEY_PREFIX}{key}"):  # wraps on a phone, never widens the column
        st.pills(
            "Wrong? It is a:",
            DIGITS,
            key=key,
            on_change=_keep_correction,
            args=(workspace, model, canvas_key, key, drawing, model_input, answer),
            help="Keeps this drawing, labelled, in your workspace: a few of them teach the model your handwriting.",
        )


def _keep_correction(
    workspace: Workspace, model: str, canvas_key: str, key: str, drawing, model_input, answer: str
) -> None:
    digit = st.session_state.get(key)
    if digit is None:
        return
    if digit == answer:
        st.toast(f"That is what the model read: a {digit}. Nothing to correct.", icon=":material/check:")
        return
    try:
        workspace.add_correction(model, int(digit), model_input, encode_png(drawing))
    except WorkspaceError as refused:
        st.toast(escape_markdown(refused), icon=":material/block:")
        return
    clear_canvas(canvas_key)
    kept = len(workspace.corrections(model))
    if (missing := MIN_CORRECTIONS - kept) > 0:
        more = f"{missing} more correction{'s' if missing > 1 else ''} and you can teach the model your handwriting"
    else:
        more = f"{kept} corrections: you can teach the model your handwriting now, below"
    st.toast(f"Kept as a {digit} — {more}", icon=":material/bookmark_added:")


# --- predicting with the personal model ----------------------------------------------------------------------
def personal_predictor(workspace: Workspace, run_id: int) -> Callable[[np.ndarray], np.ndarray]:
    """The personal model's forward pass, loaded once per session and run (the latest two are kept).

    Called directly, not compiled: a compiled function would keep its graph after a reset (tl_core.models.zoo).
    """
    from tl_core.models.model_io import model_from_bytes
    from tl_core.models.zoo import predict_probabilities

    cache = st.session_state.setdefault("personal_models", {})
    key = (workspace.name, run_id)
    if key not in cache:
        with st.spinner("Loading your personal model…"):
            cache[key] = model_from_bytes(workspace.run_models(run_id)["transfer"])
        for old in list(cache)[:-2]:
            del cache[old]
    model = cache[key]
    return lambda images: predict_probabilities(model, images)


# --- the section ------------------------------------------------------------------------------------------
def teach_section(workspace: Workspace, model: str, model_title: str) -> None:
    """The corrections kept for `model`, the fine-tune button and its job, then the personal model measured."""
    st.subheader("Teach it your handwriting")
    corrections = workspace.corrections(model)
    queue = training_queue()
    job = queue.latest(workspace.name, KIND)
    busy = job is not None and job.status not in FINISHED
    if corrections:
        st.caption(
            f"Drawings {escape_markdown(model_title)} misread, with the digit you said they are. Fine-tuning teaches "
            "a personal copy of the model your way of writing them, alongside real MNIST digits so it forgets "
            "nobody else's."
        )
        corrections_gallery(workspace, corrections, busy)
    else:
        st.caption(
            f"When {escape_markdown(model_title)} misreads your digit, pick the right one under its answer: the "
            f"drawing is kept here. From {MIN_CORRECTIONS} corrections on, you can fine-tune a personal copy of the "
            "model on them."
        )
    personal = latest_personal(workspace, model)
    fine_tune_button(workspace, model, model_title, len(corrections), busy, again=personal is not None)
    if busy:
        job_panel(job.id, owner=workspace.name)
    elif job is not None and job.status in (FAILED, CANCELLED) and time.monotonic() - job.finished < 120:
        if job.status == FAILED:
            st.error(escape_markdown(job.error), icon=":material/error:")
        else:
            st.info("The fine-tuning was cancelled; nothing of it was kept.")
    if personal is not None:
        personal_result(personal.summary, model_title)
        personal_actions(workspace, model, model_title, personal.id, personal.summary, busy)


def corrections_gallery(workspace: Workspace, corrections: list[Correction], busy: bool) -> None:
    """Each correction as a thumbnail with its digit and a Remove button."""
    row = st.container(horizontal=True, gap="small")
    for correction in corrections:
        with row.container(border=True, width="content"):
            st.image(correction.drawing_png, width=THUMBNAIL_WIDTH, caption=f"a {correction.digit}")
            st.button(
                "Remove",
                key=f"remove_correction_{correction.id}",
                type="tertiary",
                on_click=workspace.delete_correction,
                args=(correction.id,),
                disabled=busy,
                help="Forget this correction",
            )


def fine_tune_button(
    workspace: Workspace, model: str, model_title: str, count: int, busy: bool, again: bool = False
) -> None:
    enough = count >= MIN_CORRECTIONS
    reason = None if enough else f"Needs at least {MIN_CORRECTIONS} corrections: {MIN_CORRECTIONS - count} more."
    action = "Fine-tune again" if again else "Fine-tune a personal copy"
    pressed = st.button(
        f"{action} ({count} correction{'s' if count != 1 else ''})",
        key="personal_fine_tune",
        type="secondary" if again else "primary",  # done once: no longer the thing to do next
        icon=":material/school:",
        disabled=busy or not enough,
        help=reason,
    )
    if reason:
        st.caption(reason)
    if pressed and enough and not busy:
        with st.spinner("Loading the pretrained model…"):
            pretrained = pretrained_model(model)  # read-only on the job's thread, as on the Train page
        request = PersonalModelRequest(
            workspace, pretrained, model, model_title, count, estimate_seconds=estimate_seconds(count)
        )
        if submit_job(request, "personal"):
            st.rerun()  # redraw as busy: the button disabled, the live panel in place
    show_refusal("personal")


def personal_result(evaluation: PersonalEvaluation, model_title: str) -> None:
    """The original and the personal model side by side, on the user's drawings and on everybody else's."""
    e = evaluation
    right = (round(e.original_on_corrections * e.corrections), round(e.personal_on_corrections * e.corrections))
    st.markdown("**Your personal model, measured**")
    st.markdown(
        f"| | Original: {escape_markdown(model_title)} | Your personal model |\n"
        "|---|---|---|\n"
        f"| Your {e.corrections} corrected drawings (each one read by a copy that never saw it) "
        f"| {e.original_on_corrections:.0%} ({right[0]} of {e.corrections}) "
        f"| {e.personal_on_corrections:.0%} ({right[1]} of {e.corrections}) |\n"
        f"| Held-out MNIST ({e.mnist_heldout} digits) | {e.original_on_mnist:.1%} | {e.personal_on_mnist:.1%} |"
    )
    st.markdown(f"**{personal_verdict(e)}**")


def personal_actions(
    workspace: Workspace, model: str, model_title: str, run_id: int, evaluation: PersonalEvaluation, busy: bool
) -> None:
    """Reset to the zoo model; download the personal model and its card."""
    st.caption("The zoo page now reads your drawings with your personal model, in this workspace.")
    row = st.container(horizontal=True, gap="small")
    row.button(
        "Reset to the zoo model",
        key="personal_reset",
        icon=":material/undo:",
        on_click=reset_personal,
        args=(workspace, model),
        disabled=busy,
        help="Forgets the personal model; your corrections stay.",
    )
    row.download_button(
        "Personal model (.keras)",
        data=lambda: workspace.run_models(run_id)["transfer"],
        file_name=f"{model}-personal.keras",
        mime="application/octet-stream",
        key="personal_model_download",
        on_click="ignore",
        icon=":material/download:",
        help="Keras 3 format; load with keras.models.load_model(path, compile=False). Output i is digit i.",
    )
    row.download_button(
        "Model card (.md)",
        data=lambda: personal_card_markdown(evaluation, model, model_title),
        file_name=f"{model}-personal-card.md",
        mime="text/markdown",
        key="personal_card_download",
        on_click="ignore",
        icon=":material/description:",
    )
