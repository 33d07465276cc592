"""Train & compare: a transfer model and a scratch model learn from the same few samples, side by side."""

import time

import numpy as np
import streamlit as st

from tl_core import EmptyDrawingError, canvas_to_input, list_models
from tl_core.charsets import DEFAULT_CHARSET, get_charset
from tl_core.collect import autofill
from tl_core.evaluation import confusion, describe, predict_in_batches, top_k
from tl_core.model_io import model_from_bytes, model_to_bytes
from tl_core.sweep import SEEDS, data_efficiency
from tl_core.tasks import TaskError, sweep_task_maker, workspace_task
from tl_core.training import LIMITS, TrainSettings, compare, comparison_summary
from tl_core.transfer import STRATEGIES
from ui.canvas import drawing_canvas
from ui.charts import RUN_COLOURS, confusion_heatmap, learning_curves, sweep_chart, top_k_bars
from ui.resources import pretrained_model
from ui.workspace import current_workspace

DEFAULTS = TrainSettings()
STRATEGY_HELP = {
    "feature-extraction": "Backbone frozen; only a new head learns, on features computed once. The fastest.",
    "fine-tune-top": "The new head first, then the backbone's last block too, at a low learning rate.",
    "fine-tune-all": "Every layer learns at a low learning rate; batch norm keeps its digit statistics.",
}

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
    st.page_link("app_pages/collect.py", label="…or collect your own samples", icon=":material/draw:")
    st.stop()
try:
    task = workspace_task(workspace)
except TaskError as problem:
    st.warning(str(problem))
    st.page_link("app_pages/collect.py", label="Add samples on the Collect page", icon=":material/draw:")
    st.stop()

# --- settings -----------------------------------------------------------------------------------------
cards = {card["name"]: card for card in list_models()}
model_column, strategy_column, epochs_column = st.columns([1.2, 1.6, 0.8])
architecture = model_column.selectbox(
    "Pretrained digit model", list(cards), format_func=lambda name: cards[name]["title"], key="train_model"
)
strategy = strategy_column.segmented_control(
    "Strategy",
    STRATEGIES,
    default=DEFAULTS.strategy,
    required=True,
    key="train_strategy",
    help="\n\n".join(f"**{name}**: {text}" for name, text in STRATEGY_HELP.items()),
)
epochs = epochs_column.number_input("Epochs", *LIMITS["epochs"], value=DEFAULTS.epochs, key="train_epochs")
with st.expander("Learning rates, augmentation, seed"):
    columns = st.columns(5)
    head_lr = columns[0].number_input(
        "Head learning rate",
        *LIMITS["head_learning_rate"],
        value=DEFAULTS.head_learning_rate,
        format="%.4f",
        key="lr_head",
    )
    scratch_lr = columns[1].number_input(
        "Scratch learning rate",
        *LIMITS["scratch_learning_rate"],
        value=DEFAULTS.scratch_learning_rate,
        format="%.4f",
        key="lr_scratch",
    )
    fine_lr = columns[2].number_input(
        "Fine-tune learning rate",
        *LIMITS["fine_tune_learning_rate"],
        value=DEFAULTS.fine_tune_learning_rate,
        format="%.5f",
        key="lr_fine",
    )
    copies = columns[3].number_input(
        "Augmented copies per sample", *LIMITS["augment_copies"], value=DEFAULTS.augment_copies, key="augment_copies"
    )
    seed = columns[4].number_input("Seed", 0, 10**6, value=DEFAULTS.seed, key="train_seed")
settings = TrainSettings(
    strategy=strategy,
    epochs=epochs,
    head_learning_rate=head_lr,
    scratch_learning_rate=scratch_lr,
    fine_tune_learning_rate=fine_lr,
    augment_copies=copies,
    seed=seed,
).clamped()

st.caption(f"{len(task.labels)} classes · {len(task.x_train)} training samples · evaluated on {task.eval_source}")
if task.warning:
    st.warning(task.warning)

x_axis = st.segmented_control("Plot against", ["epoch", "seconds"], default="epoch", required=True, key="x_axis")
train_clicked = st.button("Train both models", type="primary", key="train", icon=":material/play_arrow:")
chart = st.empty()


def curve_points(run: dict) -> list[dict]:
    return [
        {"epoch": i + 1, "seconds": s, "eval_accuracy": a}
        for i, (a, s) in enumerate(zip(run["eval_accuracy"], run["epoch_seconds"], strict=True))
    ]


# --- training, streamed ---------------------------------------------------------------------------------
if train_clicked:
    bars = {which: st.progress(0.0, text=f"{which}: waiting") for which in ("transfer", "scratch")}
    live = {"transfer": [], "scratch": []}
    last_draw = [0.0]

    def on_epoch(which: str, record) -> None:
        live[which].append({"epoch": record.epoch, "seconds": record.seconds, "eval_accuracy": record.eval_accuracy})
        bars[which].progress(
            record.epoch / settings.epochs,
            text=f"{which}: epoch {record.epoch}/{settings.epochs} · "
            f"{record.eval_accuracy:.0%} · {record.seconds:.1f} s",
        )
        if time.monotonic() - last_draw[0] > 0.25 or record.epoch == settings.epochs:
            chart.plotly_chart(learning_curves(live, x_axis), key=f"live_{which}_{record.epoch}")
            last_draw[0] = time.monotonic()

    with st.spinner("Loading the pretrained model…"):
        pretrained = pretrained_model(architecture)
    result = compare(pretrained, architecture, task, settings, progress=on_epoch)
    with st.spinner("Saving the results to your workspace…"):
        summary = comparison_summary(result)
        summary.update(
            model=architecture,
            model_title=cards[architecture]["title"],
            eval_source=task.eval_source,
            warning=task.warning,
            train_size=len(task.x_train),
            confusion={
                which: confusion(getattr(result, which).model, task.x_eval, task.y_eval, len(task.labels))
                for which in ("transfer", "scratch")
            },
        )
        models = {which: model_to_bytes(getattr(result, which).model) for which in ("transfer", "scratch")}
        run_id = workspace.save_run("comparison", summary, models)
    st.session_state["trained_models"] = {
        "run": run_id,
        "transfer": result.transfer.model,
        "scratch": result.scratch.model,
    }
    st.rerun()

# --- the latest comparison in this workspace ------------------------------------------------------------
latest = workspace.latest_run("comparison")
if latest is None:
    chart.info("Press **Train both models**: the curves appear here as the models learn.")
    st.stop()
run_id, summary = latest
curves = {which: curve_points(summary[which]) for which in ("transfer", "scratch")}
chart.plotly_chart(learning_curves(curves, x_axis), key="curves")
st.markdown(f"**{describe(summary)}**")
st.caption(
    f"Last run: {summary['model_title']}, {summary['strategy']}, {summary['epochs']} epochs, seed {summary['seed']}, "
    f"{summary['train_size']} samples, evaluated on {summary['eval_source']}."
)
if summary.get("warning"):
    st.warning(summary["warning"])

# --- predict with both models ---------------------------------------------------------------------------
st.subheader("Try both models")
cached = st.session_state.get("trained_models")
if not cached or cached.get("run") != run_id:
    with st.spinner("Loading the trained models from your workspace…"):
        stored = workspace.run_models(run_id)
        cached = {"run": run_id, **{which: model_from_bytes(blob) for which, blob in stored.items()}}
    st.session_state["trained_models"] = cached
draw_column, *answer_columns = st.columns([1.2, 1, 1], gap="large")
with draw_column:
    drawing = drawing_canvas("train_canvas")
if drawing is None:
    answer_columns[0].info("Draw one of your characters to see what each model thinks it is.")
else:
    try:
        model_input = canvas_to_input(drawing)
    except EmptyDrawingError as empty:
        answer_columns[0].info(str(empty))
    except ValueError as bad:
        answer_columns[0].warning(f"That drawing could not be read: {bad}")
    else:
        for column, which in zip(answer_columns, ("transfer", "scratch"), strict=True):
            probabilities = predict_in_batches(cached[which], model_input[None])[0]
            predictions = top_k(probabilities, summary["labels"], 5)
            column.metric(which.capitalize(), predictions[0][0], help="top guess; bars: the five most likely")
            column.plotly_chart(top_k_bars(predictions, RUN_COLOURS[which]), key=f"top5_{which}")

# --- where each model goes wrong ------------------------------------------------------------------------
with st.expander("Confusion matrices (rows: true class, columns: predicted)"):
    columns = st.columns(2)
    for column, which in zip(columns, ("transfer", "scratch"), strict=True):
        matrix = summary["confusion"][which]
        correct = sum(matrix[i][i] for i in range(len(matrix)))
        column.plotly_chart(
            confusion_heatmap(matrix, summary["labels"], f"{which}: {correct} of {sum(map(sum, matrix))} right"),
            key=f"confusion_{which}",
        )

# --- data efficiency -------------------------------------------------------------------------------------
st.subheader("Fewer labels needed? The data-efficiency sweep")
make_task, sweep_shots, sweep_note = sweep_task_maker(workspace)
st.write(
    f"Trains both models with {', '.join(map(str, sweep_shots))} samples per class ({sweep_note}), "
    f"{SEEDS} seeds each, with the settings above. This takes a few minutes."
)
if st.button("Run the sweep", key="sweep", icon=":material/insights:"):
    bar = st.progress(0.0, text="Starting…")
    with st.spinner("Loading the pretrained model…"):
        pretrained = pretrained_model(architecture)
    sweep = data_efficiency(
        pretrained,
        architecture,
        make_task,
        settings,
        shots=sweep_shots,
        progress=lambda done, total, what: bar.progress(done / total, text=f"{done}/{total} runs · {what}"),
    )
    sweep.update(model_title=cards[architecture]["title"], strategy=settings.strategy, epochs=settings.epochs)
    workspace.save_run("sweep", sweep)
    st.rerun()
if (latest_sweep := workspace.latest_run("sweep")) is not None:
    sweep = latest_sweep[1]
    st.plotly_chart(sweep_chart(sweep), key="sweep_chart")
    gaps = np.array(sweep["transfer"]["mean"]) - np.array(sweep["scratch"]["mean"])
    st.caption(
        f"{sweep['model_title']}, {sweep['strategy']}, {sweep['epochs']} epochs. Largest gain from transfer: "
        f"{gaps.max():+.0%} at {sweep['shots'][int(gaps.argmax())]} per class; smallest: {gaps.min():+.0%} at "
        f"{sweep['shots'][int(gaps.argmin())]} per class."
    )
