"""Train & compare: a transfer model and a scratch model learn from the same few samples, side by side."""

import time

import numpy as np
import streamlit as st

from tl_core import list_models
from tl_core.classroom.jobs import CANCELLED, FAILED, FINISHED
from tl_core.classroom.lesson import QUERY_KEYS, RUN_KEYS
from tl_core.classroom.requests import ComparisonRequest, SweepRequest
from tl_core.data.charsets import CHARSETS, DEFAULT_CHARSET, get_charset
from tl_core.markdown import escape_markdown
from tl_core.models.batches import predict_in_batches
from tl_core.storage.collect import autofill
from tl_core.training.cost import SweepSize, check_comparison, fitting_sweep
from tl_core.training.evaluation import describe, top_k
from tl_core.training.results import COMPARISON_MODELS, ComparisonSummary, SweepSummary
from tl_core.training.sweep import SEEDS
from tl_core.training.tasks import Task, TaskError, sweep_task_maker, workspace_task
from ui.benefits import percentage_points
from ui.canvas import drawing_canvas, model_input_of
from ui.charts import (
    RUN_COLOURS,
    comparison_curves,
    confusion_heatmap,
    learning_curves,
    sweep_chart,
    top_k_bars,
    training_and_evaluation,
)
from ui.downloads import downloads
from ui.frame import end_page, require_frame
from ui.job_panel import job_panel
from ui.mistakes import mistakes_section
from ui.resources import pretrained_model, training_queue
from ui.settings import (
    choice_input,
    keep_settings_in_url,
    lesson_from_url,
    lesson_from_widgets,
    preset_from_lesson,
    setting_input,
)
from ui.submit import budget_notice, show_refusal, submit_job
from ui.workspace import current_workspace, trained_models

require_frame()  # first: a deep link as a fresh server's first request runs this file without app.py

# Under "Learning rates, augmentation, seed": every setting a link carries that has no place of its own above it
# (a setting declared in tl_core.training.settings with a link key appears here by itself).
ADVANCED = tuple(key for key in RUN_KEYS if key not in ("model", "strategy", "epochs"))


def mistakes_section_and_matrices(summary: ComparisonSummary, task: Task) -> None:
    """Accuracy per character, the most-confused pairs with the drawings misread, full-width confusion matrices."""
    labels = list(summary.labels)
    with st.expander("Accuracy per character, and the pairs each model mixes up most"):
        mistakes_section(summary, task, "train")
    with st.expander("Confusion matrices (rows: true class, columns: predicted)"):
        tabs = st.tabs([which.capitalize() for which in COMPARISON_MODELS])
        for tab, which in zip(tabs, COMPARISON_MODELS, strict=True):
            matrix = summary.confusion[which]
            correct = sum(matrix[i][i] for i in range(len(matrix)))
            title = f"{which}: {correct} of {sum(map(sum, matrix))} right"
            tab.plotly_chart(confusion_heatmap(matrix, labels, title), key=f"confusion_{which}")


st.title("Train & compare")
st.write(
    "Two models with the same architecture learn your task from the same samples: one starts from a digit "
    "model's features (**transfer**), one from random weights (**scratch**). Watch their accuracy on samples "
    "they never trained on."
)
workspace = current_workspace()

# --- prerequisite: a task with samples --------------------------------------------------------------
if not sum(workspace.counts().values()):
    st.info("This workspace has no samples yet.")
    if st.button(
        f"Set up the demo: {get_charset(DEFAULT_CHARSET).title}, 5 rendered samples per class",
        type="primary",
        key="setup_demo",
    ):
        with st.spinner("Rendering 5 samples of each character…"):
            if not workspace.classes():
                workspace.start_task(list(get_charset(DEFAULT_CHARSET).labels), charset=DEFAULT_CHARSET)
            autofill(workspace, 5)
        st.rerun()
    st.page_link("pages/collect.py", label="…or collect your own samples", icon=":material/draw:")
    end_page()
# Said at once: the first visit renders the fresh evaluation samples (about 1.4 s for 46 classes, then kept for
# the server's life), and st.spinner would leave this area blank for its first half second.
preparing = st.empty()
preparing.caption(":material/hourglass_top: Preparing your task: rendering its evaluation samples…")
try:
    task = workspace_task(workspace)
except TaskError as problem:
    preparing.warning(escape_markdown(problem))  # it names classes: the student's text
    st.page_link("pages/collect.py", label="Add samples on the Collect page", icon=":material/draw:")
    end_page()
preparing.empty()

# --- settings (kept in the address: a link opens the same choices) -------------------------------------
cards = {card["name"]: card for card in list_models()}
from_url = lesson_from_url(keys=RUN_KEYS)  # the set and shots are the workspace's
preset_from_lesson("train", from_url, RUN_KEYS)
model_column, strategy_column, epochs_column = st.columns([1.2, 1.6, 0.8])
architecture = model_column.selectbox(
    QUERY_KEYS["model"][1].label, list(cards), format_func=lambda name: cards[name]["title"], key="train_model"
)
strategy = choice_input(strategy_column, "train", "strategy")
setting_input(epochs_column, "train", "epochs")
with st.expander("Learning rates, augmentation, seed"):
    for column, key in zip(st.columns(len(ADVANCED)), ADVANCED, strict=True):
        setting_input(column, "train", key)
chosen = lesson_from_widgets("train", RUN_KEYS)
settings = chosen.train
keep_settings_in_url(chosen, RUN_KEYS)

st.caption(f"{len(task.labels)} classes · {len(task.x_train)} training samples · evaluated on {task.eval_source}")
if task.warning:
    st.warning(task.warning)

x_axis = st.segmented_control("Plot against", ["epoch", "seconds"], default="epoch", required=True, key="x_axis")
queue = training_queue()
job = queue.latest(workspace.name)
busy = job is not None and job.status not in FINISHED
check = check_comparison(
    architecture,
    settings,
    len(task.x_train),
    len(task.x_eval),
    queue.limits.max_job_seconds,
    n_classes=len(task.labels),
)
budget_notice(check, "train_epochs", "train_requested", busy)
pressed = st.button(
    "Train both models", type="primary", key="train", icon=":material/play_arrow:", disabled=busy or not check.fits
)
if (pressed or st.session_state.pop("train_requested", False)) and check.fits and not busy:
    with st.spinner("Loading the pretrained model…"):
        pretrained = pretrained_model(architecture)
    title = cards[architecture]["title"]
    if submit_job(
        ComparisonRequest(workspace, pretrained, architecture, title, task, settings, estimate_seconds=check.seconds),
        "train",
    ):
        st.rerun()  # redraw the page as busy: the Train button disabled, the live panel in place
show_refusal("train")
chart = st.empty()


if busy:
    with chart.container():
        job_panel(job.id, x_axis, owner=workspace.name)
elif job is not None and job.status in (FAILED, CANCELLED) and time.monotonic() - job.finished < 120:
    if job.status == FAILED:
        st.error(escape_markdown(job.error), icon=":material/error:")  # in words for the student; details: the log
    else:
        st.info("The training was cancelled; nothing of it was kept.")

# --- the latest comparison in this workspace ------------------------------------------------------------
latest = workspace.latest_run("comparison", ComparisonSummary.from_json)
if latest is None:
    if not busy:
        chart.info("Press **Train both models**: the curves appear here as the models learn.")
    end_page()
run_id, summary = latest.id, latest.summary
curves = comparison_curves(summary)
chance = 1 / len(summary.labels)
if not busy:
    chart.plotly_chart(learning_curves(curves, x_axis, chance=chance), key="curves")
st.markdown(f"**{describe(summary)}**")
st.caption(
    f"Last run: {summary.model_title}, {summary.strategy}, {summary.epochs} epochs, seed {summary.seed}, "
    f"{summary.train_size} samples, evaluated on {summary.eval_source}."
)
if summary.warning:
    st.warning(summary.warning)
with st.expander("Training against evaluation: accuracy and loss per epoch"):
    st.plotly_chart(training_and_evaluation(summary, x_axis, chance), key="train_and_eval")
    st.caption(
        "Training accuracy is measured on each epoch's training samples (augmented copies included) while the model "
        "learns them; evaluation accuracy on samples it never trained on. Far apart, the model has learned its few "
        "samples by heart. The loss is the training loss: the evaluation loss is not recorded."
    )
with st.expander("Download the fine-tuned model, its model card, the curves or the workspace"):
    downloads("train_downloads", workspace, run_id, summary)
st.page_link("pages/inside.py", label="Look inside these two models", icon=":material/visibility:")

# --- predict with both models ---------------------------------------------------------------------------
st.subheader("Try both models")
cached = trained_models(workspace, run_id)
draw_column, *answer_columns = st.columns([1.2, 1, 1], gap="large")
with draw_column:
    drawing = drawing_canvas("train_canvas")
if drawing is None:
    answer_columns[0].info("Draw one of your characters to see what each model thinks it is.")
elif (model_input := model_input_of(drawing, answer_columns[0])) is not None:
    for column, which in zip(answer_columns, COMPARISON_MODELS, strict=True):
        probabilities = predict_in_batches(cached[which], model_input[None])[0]
        predictions = top_k(probabilities, list(summary.labels), 5)
        guess = escape_markdown(predictions[0][0])  # a metric's value is Markdown too
        column.metric(which.capitalize(), guess, help="top guess; bars: the five most likely")
        column.plotly_chart(top_k_bars(predictions, RUN_COLOURS[which]), key=f"top5_{which}")

# --- where each model goes wrong ------------------------------------------------------------------------
if summary.eval_size:
    mistakes_section_and_matrices(summary, task)

# --- data efficiency -------------------------------------------------------------------------------------
st.subheader("Fewer labels needed? The data-efficiency sweep")
make_task, sweep_shots, sweep_note = sweep_task_maker(workspace)
limit = queue.limits.max_job_seconds
sweep_fit = fitting_sweep(
    architecture,
    settings,
    SweepSize(sweep_shots, SEEDS),
    len(task.labels),
    len(task.x_eval),
    rendered=workspace.charset in CHARSETS,
    limit=limit,
)
if (size := sweep_fit.size) is None:
    st.warning(
        f"The sweep with these settings needs about {sweep_fit.wanted_seconds:,.0f} s of the shared trainer, more "
        f"than this server's limit of {limit:,.0f} s per job even with one seed at one point: use fewer epochs or "
        "the feature-extraction strategy."
    )
else:
    seeds = f"{size.seeds} seed{'s' if size.seeds > 1 else ''} each"
    st.write(
        f"Trains both models with {', '.join(map(str, size.shots))} sample{'s' if size.shots != (1,) else ''} per "
        f"class ({sweep_note}), {seeds}, "
        f"with the settings above: about {sweep_fit.seconds:,.0f} s of training."
    )
    if sweep_fit.reduced:
        st.caption(
            f"The full sweep ({', '.join(map(str, sweep_shots))} per class, {SEEDS} seeds) would need about "
            f"{sweep_fit.wanted_seconds:,.0f} s, over this server's limit of {limit:,.0f} s per job "
            "(TL_MAX_JOB_SECONDS), so it runs this smaller one."
        )
    if st.button("Run the sweep", key="sweep", icon=":material/insights:", disabled=busy):
        with st.spinner("Loading the pretrained model…"):
            pretrained = pretrained_model(architecture)
        title = cards[architecture]["title"]
        submit_job(
            SweepRequest(
                workspace, pretrained, architecture, title, settings, size, estimate_seconds=sweep_fit.seconds
            ),
            "sweep",
        )
        st.rerun()
    show_refusal("sweep")
if (latest_sweep := workspace.latest_run("sweep", SweepSummary.from_json)) is not None:
    sweep = latest_sweep.summary
    st.plotly_chart(sweep_chart(sweep), key="sweep_chart")
    gaps = np.array(sweep.transfer.mean) - np.array(sweep.scratch.mean)
    largest, smallest = int(gaps.argmax()), int(gaps.argmin())
    st.caption(
        f"{sweep.model_title}, {sweep.strategy}, {sweep.epochs} epochs. Largest gain from transfer: "
        f"{percentage_points(gaps[largest])} at {sweep.shots[largest]} per class; smallest: "
        f"{percentage_points(gaps[smallest])} at {sweep.shots[smallest]} per class (of eval accuracy)."
    )
