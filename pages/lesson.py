"""The guided lesson: why transfer learning works, in seven steps. Every claim on this page is a number or a
chart the app has just measured; the settings live in the address, so one link reproduces the lesson.

Kept as one module: a page reads top to bottom as the student scrolls it, and its steps share the settings, the
task and the run; its sections that other pages show too live in ui/ (inside, network, benefits, charts).
"""

from urllib.parse import urlencode

import numpy as np
import streamlit as st

from tl_core import list_models
from tl_core.classroom.jobs import FAILED, FINISHED
from tl_core.classroom.lesson import (
    DEMOS,
    LESSON_SWEEP_SHOTS,
    QUERY_KEYS,
    Lesson,
    lesson_key,
    lesson_to_query,
    speed_and_accuracy,
    verdict,
)
from tl_core.classroom.requests import LessonRequest, LessonSweepRequest
from tl_core.data.charsets import CHARSETS
from tl_core.data.mnist import DIGITS
from tl_core.inside.feature_space import pixel_neighbour_accuracy
from tl_core.markdown import escape_markdown
from tl_core.training.cost import SweepSize, check_lesson, fitting_sweep
from tl_core.training.evaluation import better_worse_or_tie
from tl_core.training.results import ComparisonSummary, SweepSummary
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import Task
from ui.benefits import faster_and_better, fewer_labels
from ui.canvas import drawn_input
from ui.charts import TILE_PX, comparison_curves, learning_curves, sweep_chart, tile, training_and_evaluation
from ui.downloads import downloads
from ui.frame import require_frame
from ui.inside import feature_space_section
from ui.job_panel import job_panel
from ui.mistakes import mistakes_section
from ui.network import network_section
from ui.presenter import for_projector, presenter_view
from ui.resources import pretrained_model, pretrained_predictor, training_queue
from ui.school_class import QUERY_KEY as CLASS_KEY
from ui.school_class import class_from_url, join_or_welcome, teach_as_a_class
from ui.settings import (
    choice_input,
    keep_settings_in_url,
    lesson_from_url,
    lesson_from_widgets,
    preset,
    preset_from_lesson,
    setting_input,
)
from ui.share import share_block
from ui.submit import budget_notice, show_refusal, submit_job
from ui.workspace import current_workspace, school_classes, trained_models

require_frame()  # first: a deep link as a fresh server's first request runs this file without app.py

# Under "Learning rates and augmentation": every setting a link carries that has no place of its own in the steps.
LESSON_ADVANCED = tuple(key for key in QUERY_KEYS if key not in ("model", "set", "shots", "strategy", "epochs", "seed"))
STRATEGY_WORDS = {
    "feature-extraction": "keep the digit features as they are and train only a new head",
    "fine-tune-top": "train a new head, then adjust the last block of digit features too",
    "fine-tune-all": "adjust every layer a little, starting from the digit features",
}


@st.cache_data(max_entries=16, show_spinner=False)
def lesson_task(charset: str, shots: int, seed: int) -> Task:
    return Lesson(charset=charset, shots=shots, train=TrainSettings(seed=seed)).task()


def share_link(lesson: Lesson, present: bool = False) -> str:
    """The lesson's address without this tab's workspace, so every student works in a workspace of their own."""
    query = lesson_to_query(lesson) | ({"present": "1"} if present else {})
    return f"{st.context.url or ''}?{urlencode(query)}"


# --- settings from the address, once per visit -------------------------------------------------------------
from_url = lesson_from_url()
preset_from_lesson("lesson", from_url, QUERY_KEYS)
preset("present", st.query_params.get("present") == "1")

present = presenter_view(st.session_state["present"])
workspace = current_workspace()
classes = school_classes()
queue = training_queue()
job = queue.latest(workspace.name)
busy = job is not None and job.status not in FINISHED
cards = {card["name"]: card for card in list_models()}

st.title("Lesson: what a digit model already knows")
if (school_class := class_from_url(classes)) is not None:  # a class's share link: join it, or say you are in
    join_or_welcome(classes, school_class, workspace.name, "lesson_class")
st.toggle("Presenter view (large type for a projector)", key="present")

# --- 1 --------------------------------------------------------------------------------------------------------
st.header("1 · What transfer learning is")
st.markdown(
    "A network that learned one task has, on the way, learned to *see*: its early layers detect strokes, "
    "curves and corners. **Transfer learning** keeps that part (the *backbone*) and trains only a new "
    "*head* for a new task. It promises three things, and this lesson measures each of them live: "
    "**faster training**, **better accuracy**, and **fewer labels needed**. It also shows where it does *not* help."
)

# --- 2 --------------------------------------------------------------------------------------------------------
st.header("2 · Pick a digit model")
architecture = st.selectbox(
    QUERY_KEYS["model"][1].label, list(cards), format_func=lambda name: cards[name]["title"], key="lesson_model"
)
card = cards[architecture]
st.caption(card["description"])
columns = st.columns(3)
columns[0].metric("Held-out real MNIST digits", f"{card['heldout_accuracy']:.1%}")
columns[1].metric("Digits drawn from strokes", f"{card['drawn_digits_accuracy']:.1%}")
columns[2].metric("Trained on", f"{card['training_data']['train_size']:,} digits")
st.caption(f"Figures from its model card, measured by `{card['command']}` ({card['machine']}).")

# --- 3 --------------------------------------------------------------------------------------------------------
st.header("3 · Meet a new script")
set_column, shots_column = st.columns([2, 1])
charset = set_column.selectbox(
    QUERY_KEYS["set"][1].label, list(CHARSETS), format_func=lambda n: CHARSETS[n].title, key="lesson_set"
)
shots = setting_input(shots_column, "lesson", "shots")
with st.spinner("Rendering the samples…"):
    task = lesson_task(charset, shots, st.session_state["lesson_seed"])
labels = task.labels
st.write(
    f"**{len(labels)} classes**, {shots} handwriting-like samples of each to learn from ({len(task.x_train)} in all), "
    f"and {task.eval_source} to check on. A few of them:"
)
firsts = [task.x_train[np.flatnonzero(task.y_train == c)[0]] for c in range(min(12, len(labels)))]
# One picture per character (a list wraps onto new rows), so a phone shows all twelve without scrolling sideways.
st.image([tile(image) for image in firsts], width=TILE_PX, caption=labels[: len(firsts)])
with st.spinner("Asking the digit model…"):
    digit_guesses = pretrained_predictor(architecture)(np.stack(firsts[:8]))
st.markdown(
    "The digit model can only answer with a digit: "
    + ", ".join(f"{labels[i]} → **{DIGITS[int(p.argmax())]}** ({p.max():.0%})" for i, p in enumerate(digit_guesses))
    + ". Yet its features already tell these characters apart:"
)
draw_column, space_column = st.columns([1.4, 3], gap="medium")
with draw_column:
    st.markdown("**Draw one of these characters** (optional): it appears as a star.")
    model_input = drawn_input("lesson_canvas")
with space_column:
    pretrained = pretrained_model(architecture)
    scores = feature_space_section(
        "lesson_space", architecture, pretrained, task.x_eval, task.y_eval, labels, model_input, large=present
    )
if scores:
    pretrained_score, random_score = scores.values()
    pixel_score = pixel_neighbour_accuracy(task.x_eval, task.y_eval)
    st.info(
        f"Before any training on {CHARSETS[charset].title.split(' (')[0]}: in the digit model's features, a sample's "
        f"nearest neighbour is the same character **{pretrained_score:.0%}** of the time; in an untrained network's, "
        f"**{random_score:.0%}**, and comparing raw pixels, **{pixel_score:.0%}**. "
        + (
            "The digit features group the new characters better than the pixels themselves: that head start is "
            "what transfers."
            if better_worse_or_tie(pretrained_score, pixel_score) == "better"
            else "Here the digit features group them no better than raw pixels do: expect little help from transfer."
        ),
        icon=":material/lightbulb:",
    )

# --- 4 --------------------------------------------------------------------------------------------------------
st.header("4 · Train both")
st.write(
    "Two networks with the same architecture learn from the same samples: **transfer** starts from the digit "
    "model's backbone, **scratch** from random weights. Both are checked after every epoch on samples they "
    "never trained on."
)
strategy_column, epochs_column, seed_column = st.columns([2, 1, 1])
strategy = choice_input(strategy_column, "lesson", "strategy")
setting_input(epochs_column, "lesson", "epochs")
setting_input(seed_column, "lesson", "seed")
strategy_column.caption(f"Transfer will {STRATEGY_WORDS[strategy]}.")
with st.expander("Learning rates and augmentation"):
    for column, key in zip(st.columns(len(LESSON_ADVANCED)), LESSON_ADVANCED, strict=True):
        setting_input(column, "lesson", key)
lesson = lesson_from_widgets("lesson", QUERY_KEYS)
keep_settings_in_url(lesson)
if present != (st.query_params.get("present") == "1"):
    if present:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)
key = lesson_key(lesson)


def submit_lesson(which: Lesson, place: str, title: str) -> None:
    with st.spinner("Loading the pretrained model…"):
        model = pretrained_model(which.model)

    # Shared: students who press Train on the same lesson while it waits or runs join this one training.
    estimate = check_lesson(which, queue.limits.max_job_seconds).seconds
    submit_job(
        LessonRequest(workspace, model, which, cards[which.model]["title"], place, title, estimate_seconds=estimate),
        place,
    )
    st.rerun()


LESSON_PLACES = ("train", "sweep", *(f"demo-{name}" for name in DEMOS))


def running_here(place: str) -> bool:
    """Show the running job here if it was started here (step 4 also shows jobs from other pages)."""
    started_here = busy and job.details.place == place
    from_elsewhere = busy and place == "train" and job.details.place not in LESSON_PLACES
    if from_elsewhere:
        st.info("A training of this workspace started on another page is running; the lesson waits for it.")
    if started_here or from_elsewhere:
        job_panel(job.id, owner=workspace.name)
        return True
    return False


check = check_lesson(lesson, queue.limits.max_job_seconds)
budget_notice(check, "lesson_epochs", "lesson_train_requested", busy)
pressed = st.button(
    "Train both models",
    type="primary",
    icon=":material/play_arrow:",
    key="lesson_train",
    disabled=busy or not check.fits,
)
if (pressed or st.session_state.pop("lesson_train_requested", False)) and check.fits and not busy:
    submit_lesson(lesson, "train", "Training the lesson's two models")
show_refusal("train")
running_here("train")
if job is not None and job.status == FAILED and job.kind.startswith("lesson"):
    st.error(escape_markdown(job.error), icon=":material/error:")  # in words for the student; details: the log

# --- 5 --------------------------------------------------------------------------------------------------------
st.header("5 · Compare: the three promises, measured")
found = workspace.latest_run_with("lesson", "lesson_key", key, ComparisonSummary.from_json)
if found is None:
    st.info("Press **Train both models** in step 4: the results of these exact settings appear here.")
    previous = workspace.latest_run("lesson", ComparisonSummary.from_json)
    if previous is not None and previous.summary.lesson:
        st.link_button(
            "Your last lesson run used other settings: open it",
            f"?{urlencode({'workspace': workspace.name, **previous.summary.lesson})}",
            icon=":material/history:",
        )
else:
    run_id, summary = found.id, found.summary
    chance = 1 / len(summary.labels)
    x_axis = st.segmented_control(
        "Plot against",
        ["epoch", "seconds"],
        default="epoch",
        required=True,
        key="lesson_x_axis",
        help="Epochs, as you watched them train; or training seconds, which shows how much sooner transfer got there.",
    )
    curves = learning_curves(comparison_curves(summary), x_axis, 460 if present else 380, chance=chance)
    st.plotly_chart(for_projector(curves, present), key="lesson_curves")
    st.markdown(f"**{verdict(summary)}**")
    faster, better, fewer = st.columns(3)
    faster_and_better(faster, better, summary)
    sweep_found = workspace.latest_run_with("lesson-sweep", "lesson_key", key, SweepSummary.from_json)
    if sweep_found is None:
        fewer.metric("Fewer labels", "?")
        sweep_fit = fitting_sweep(
            lesson.model,
            lesson.train,
            SweepSize(LESSON_SWEEP_SHOTS, 1),
            len(labels),
            len(task.x_eval),
            rendered=True,
            limit=queue.limits.max_job_seconds,
        )
        if sweep_fit.size is not None:
            fewer.caption(
                f"Train both models with {', '.join(map(str, sweep_fit.size.shots))} samples per class to see."
                + (
                    f" ({', '.join(map(str, LESSON_SWEEP_SHOTS))} would be over this server's time limit per job.)"
                    if sweep_fit.reduced
                    else ""
                )
            )
        if sweep_fit.size is None:
            fewer.caption("With these settings even one point of the check is over this server's limit per job.")
        elif fewer.button(
            f"Measure it (about {sweep_fit.seconds:,.0f} s)",
            key="lesson_sweep",
            icon=":material/insights:",
            disabled=busy,
        ):
            shots_run = sweep_fit.size.shots
            with st.spinner("Loading the pretrained model…"):
                model = pretrained_model(lesson.model)
            # Shared like Train: the class pressing "Measure it" on the same lesson waits for one sweep.
            submit_job(
                LessonSweepRequest(workspace, model, lesson, shots_run, estimate_seconds=sweep_fit.seconds), "sweep"
            )
            st.rerun()
        show_refusal("sweep")
        running_here("sweep")
    else:
        sweep = sweep_found.summary
        fewer_labels(fewer, sweep)
        seeds = sweep.seeds_per_point
        measured = "one run per point" if seeds == 1 else f"the mean of {seeds} seeds per point"
        with st.expander(f"The labels check: final accuracy against samples per class ({measured})"):
            st.plotly_chart(for_projector(sweep_chart(sweep, chance), present), key="lesson_sweep_chart")
    with st.expander("Where each model goes wrong: accuracy per character, the pairs it mixes up most"):
        mistakes_section(summary, task, "lesson", present)
    with st.expander("Training against evaluation: accuracy and loss per epoch"):
        st.plotly_chart(
            for_projector(training_and_evaluation(summary, x_axis, chance), present), key="lesson_train_and_eval"
        )
        st.caption(
            "Training accuracy is measured on each epoch's training samples (augmented copies included) while the "
            "model learns them; evaluation accuracy on fresh renders it never trained on. Far apart, the model has "
            "learned its few samples by heart. The loss is the training loss: the evaluation loss is not recorded."
        )
    with st.expander("Take it home: the fine-tuned model, its model card, the curves"):
        downloads("lesson_downloads", workspace, run_id, summary, with_workspace=False)

# --- 6 --------------------------------------------------------------------------------------------------------
st.header("6 · Look inside")
if found is None:
    st.info("Train both models in step 4 to compare what the three networks see.")
else:
    image = model_input if model_input is not None else task.x_eval[0]
    shown = "Your drawing" if model_input is not None else f"A fresh render of {labels[int(task.y_eval[0])]}"
    st.write(f"{shown}, as the digit model, the transfer model and the scratch model see it.")
    if model_input is None:
        st.caption("Draw a character in step 3 to look at your own.")
    trained = trained_models(workspace, found.id)
    network_section(
        {
            "Digit model": (pretrained, DIGITS),
            "Transfer": (trained["transfer"], labels),
            "Scratch": (trained["scratch"], labels),
        },
        image,
    )

# --- 7 --------------------------------------------------------------------------------------------------------
st.header("7 · When transfer does not help")
st.write("Transfer is not magic. Two one-click demonstrations, each measured on this server now:")
for demo_column, demo in zip(st.columns(len(DEMOS), gap="large"), DEMOS.values(), strict=True):
    with demo_column:
        st.subheader(demo.title)
        st.caption(
            f"{demo.why} ({cards[demo.lesson.model]['title']}, {CHARSETS[demo.lesson.charset].title}, "
            f"{demo.lesson.shots} per class, {demo.lesson.train.strategy}, {demo.lesson.train.epochs} epochs.)"
        )
        demo_key = lesson_key(demo.lesson)
        demo_run = workspace.latest_run_with("lesson", "lesson_key", demo_key, ComparisonSummary.from_json)
        demo_fits = check_lesson(demo.lesson, queue.limits.max_job_seconds).fits
        if st.button("Show me", key=f"demo_{demo.name}", icon=":material/science:", disabled=busy or not demo_fits):
            submit_lesson(demo.lesson, f"demo-{demo.name}", demo.title)
        if not demo_fits:
            st.caption("This demonstration is over this server's time limit per job (TL_MAX_JOB_SECONDS).")
        show_refusal(f"demo-{demo.name}")
        if running_here(f"demo-{demo.name}"):
            continue
        if demo_run is not None:
            demo_summary = demo_run.summary
            numbers = speed_and_accuracy(demo_summary)
            st.markdown(f"**{verdict(demo_summary)}**")
            st.caption(
                f"Transfer {numbers.transfer_final:.0%} in {demo_summary.transfer.seconds:.1f} s, scratch "
                f"{numbers.scratch_final:.0%} in {demo_summary.scratch.seconds:.1f} s."
            )
            st.plotly_chart(
                for_projector(
                    learning_curves(comparison_curves(demo_summary), "epoch", 280),
                    present,
                ),
                key=f"demo_curves_{demo.name}",
            )
        st.link_button("Open it as the lesson", share_link(demo.lesson, present), icon=":material/open_in_new:")

# --- share ----------------------------------------------------------------------------------------------------
st.header("Share this lesson")
st.write(
    "Every setting above is in this link. Each student who opens it gets the same model, characters, samples and "
    "settings, in a workspace of their own; with the same seed their curves match yours."
)
teaching = teach_as_a_class(classes, workspace.name, "lesson_class")
share_block(lesson_to_query(lesson) | ({CLASS_KEY: teaching.code} if teaching else {}), present)
st.caption("The presenter view stays on your screen only: students open the link in the normal view.")
