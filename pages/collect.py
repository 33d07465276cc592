"""Choose a new task and collect a few labelled samples: draw them, or auto-fill from the renderer."""

import streamlit as st

from tl_core import EmptyDrawingError
from tl_core.data.charsets import CHARSETS, DEFAULT_CHARSET, get_charset
from tl_core.data.strokes import has_strokes, stroke_order_picture
from tl_core.markdown import escape_markdown
from tl_core.storage.collect import add_drawing, autofill, drawable_labels
from tl_core.storage.exchange import MAX_ZIP_BYTES, ImportRejected, export_workspace, import_workspace
from tl_core.storage.workspace import WorkspaceError
from ui.canvas import clear_canvas, drawing_canvas
from ui.charts import upscale
from ui.class_sharing import running_class, share_toggle, share_with_class
from ui.frame import end_page, require_frame
from ui.gallery import montage
from ui.workspace import current_workspace, switch_to_new_workspace

require_frame()  # first: a deep link as a fresh server's first request runs this file without app.py


def add_typed_class(workspace) -> None:
    """The "Add class" button: add what was typed and empty the field, or keep it and say what is wrong."""
    typed = st.session_state.get("new_class", "")
    if not typed:
        return
    try:
        workspace.add_class(typed)
        st.session_state["new_class"] = ""  # a callback runs before the field is drawn, so it may reset it
    except WorkspaceError as error:
        st.session_state["add_class_problem"] = str(error)


CANVAS_KEY = "collect_canvas"
GALLERY_CELL_PX = 160  # one class: its label and last five samples; two cells across a phone, six on a desktop
THUMBNAIL_CELL_PX = 100  # one sample, 84 px, with its source and a Delete button

st.title("Collect samples")
workspace = current_workspace()
counts = workspace.counts()
if flash := st.session_state.pop("collect_flash", None):
    st.success(flash)

# --- 1. a task: a built-in set or the user's own classes ----------------------------------------------
if not counts:
    st.write(
        "Pick what the digit model should learn next: characters it has never seen. A built-in set can be "
        "filled automatically from KanjiVG stroke data; your own classes can be anything you can draw."
    )
    kind = st.radio("Task", ["A built-in character set", "My own classes"], horizontal=True, key="task_kind")
    if kind == "A built-in character set":
        names = list(CHARSETS)
        name = st.selectbox(
            "Character set",
            names,
            index=names.index(DEFAULT_CHARSET),
            format_func=lambda n: CHARSETS[n].title,
            key="task_charset",
        )
        st.caption(f"{get_charset(name).description}  \n{' '.join(get_charset(name).labels)}")
        if st.button("Use this set", type="primary", key="use_charset"):
            workspace.start_task(list(get_charset(name).labels), charset=name)
            st.rerun()
    else:
        text = st.text_area("One label per line (any text: ←, ✓, α, a word)", "←\n→\n✓", key="task_labels")
        if st.button("Create these classes", type="primary", key="create_classes"):
            try:
                workspace.start_task([line for line in text.splitlines() if line.strip()])
                st.rerun()
            except WorkspaceError as error:
                st.error(escape_markdown(error))
    end_page()

labels = list(counts)
charset = workspace.charset
task_title = CHARSETS[charset].title if charset in CHARSETS else f"Your own classes ({len(labels)})"
header, actions = st.columns([3, 2], vertical_alignment="bottom")
header.markdown(
    f"**Task:** {task_title} · **{sum(counts.values())}** sample{'' if sum(counts.values()) == 1 else 's'} · "
    f"workspace `{workspace.name}` "
    "(bookmark this page's address to come back to it)"
)
if actions.button("Start a new workspace", key="new_workspace", help="Your current samples stay where they are."):
    switch_to_new_workspace()
    st.rerun()

# --- 2. draw samples -----------------------------------------------------------------------------------
if (pending := st.session_state.pop("next_label", None)) in labels:
    st.session_state["collect_label"] = pending
draw_column, hint_column, fill_column = st.columns([1.1, 0.9, 1.2], gap="large")
with draw_column:
    # The count is shown beside the picker, not inside its options: a select box keeps showing the option
    # text it was created with, so "(0 so far)" stayed after an auto-fill until a reload.
    label = st.selectbox("Draw this class", labels, key="collect_label")  # options are plain text, not Markdown
    shown = escape_markdown(label)  # a label is the student's text: `[a](http://…)` must not become a link
    st.caption(f"{counts[label]} {'sample' if counts[label] == 1 else 'samples'} of {shown} so far")
    drawing = drawing_canvas(CANVAS_KEY)
    if st.button(f"Add as {shown}", type="primary", key="add_drawing", disabled=drawing is None):
        try:
            add_drawing(workspace, label, drawing)
        except EmptyDrawingError as empty:
            st.warning(str(empty))
        except (ValueError, WorkspaceError) as bad:
            st.error(f"That drawing was not added: {escape_markdown(bad)}")
        else:
            clear_canvas(CANVAS_KEY)
            counts[label] += 1
            st.session_state["next_label"] = min(labels, key=lambda lab: (counts[lab], labels.index(lab)))
            st.toast(f"Added a sample of {shown}.")
            st.rerun()

with hint_column:
    if has_strokes(label):
        st.image(stroke_order_picture(label), caption=f"How to write {shown}: strokes in order (KanjiVG)")
    else:
        st.caption("No stroke-order hint for this label: draw it your way.")

# --- 3. auto-fill ----------------------------------------------------------------------------------------
with fill_column:
    st.markdown("**Auto-fill from the handwriting renderer**")
    drawable = drawable_labels(labels)
    per_class = st.number_input("Samples per class", min_value=1, max_value=20, value=5, key="autofill_k")
    if not drawable:
        st.caption("None of these labels has KanjiVG strokes, so they can only be drawn.")
    elif st.button(f"Auto-fill {per_class} per class", key="autofill", help="Renders new handwriting-like samples"):
        bar = st.progress(0.0, text="Rendering…")
        autofill(
            workspace,
            int(per_class),
            lambda done, total: bar.progress(done / total, f"Rendering {done}/{total} classes"),
        )
        st.rerun()
    if drawable and len(drawable) < len(labels):  # (with none drawable, the caption above said it)
        st.caption(f"{len(labels) - len(drawable)} label(s) have no strokes to render; draw those yourself.")

    if charset not in CHARSETS:
        st.text_input("Add a class", key="new_class", max_chars=32)
        st.button("Add class", key="add_class", on_click=add_typed_class, args=(workspace,))
        if problem := st.session_state.pop("add_class_problem", None):
            st.error(escape_markdown(problem))

# --- 4. gallery ----------------------------------------------------------------------------------------
st.subheader("Your samples")
samples_by_label = {lab: [] for lab in labels}
all_samples = workspace.samples()
for sample in all_samples:
    samples_by_label[sample.label].append(sample)
# A wrapping row of fixed-width cells: in label order on every screen (columns stacked on a phone showed
# column after column, so あ was followed by き).
with st.container(horizontal=True, gap="medium"):
    for lab in labels:
        with st.container(width=GALLERY_CELL_PX, gap="small"):
            images = [s.image for s in samples_by_label[lab][-5:]]
            st.markdown(f"**{escape_markdown(lab)}** · {len(samples_by_label[lab])}")
            if images:
                st.image(upscale(montage(images, 5), 2), clamp=True, width="stretch")

in_class = running_class(workspace)
shared = share_with_class(workspace, in_class, all_samples) if in_class else set()
if problem := st.session_state.pop("collect_flash_error", None):
    st.error(escape_markdown(problem))

inspect = st.selectbox("Inspect a class", labels, key="inspect_label")
chosen = samples_by_label[inspect]
if not chosen:
    st.caption(f"No samples of {escape_markdown(inspect)} yet.")
with st.container(horizontal=True, gap="medium"):
    for sample in chosen:
        with st.container(width=THUMBNAIL_CELL_PX, gap="small"):
            st.image(upscale(sample.image, 3), caption=sample.source, clamp=True)
            if in_class:
                share_toggle(workspace, in_class, sample, shared)
            if st.button("Delete", key=f"delete_{sample.id}", icon=":material/delete:"):
                workspace.delete_sample(sample.id)
                st.rerun()
if charset not in CHARSETS and st.button(
    f"Remove the class {escape_markdown(inspect)} and its samples", key="remove_class"
):
    workspace.remove_class(inspect)
    st.rerun()

# --- 5. export / import ------------------------------------------------------------------------------
with st.expander("Export or import this workspace"):
    st.download_button(
        "Download as zip",
        data=lambda: export_workspace(workspace),
        file_name=f"{workspace.name}.zip",
        mime="application/zip",
        key="export",
    )
    uploader_key = f"import_zip_{st.session_state.setdefault('import_generation', 0)}"
    upload = st.file_uploader(
        f"Import a workspace zip (at most {MAX_ZIP_BYTES // 2**20} MB)", type=["zip"], key=uploader_key
    )
    if upload is not None and st.button("Import", key="do_import"):
        try:
            report = import_workspace(workspace, upload.getvalue())
        except (ImportRejected, WorkspaceError) as rejected:
            st.error(f"Nothing was imported: {escape_markdown(rejected)}")  # it may quote the zip's names
        else:
            skipped = f" ({report['skipped']} already in this workspace were skipped)" if report["skipped"] else ""
            st.session_state["collect_flash"] = (
                f"Imported {report['samples']} samples in {report['classes']} classes{skipped}."
            )
            st.session_state["import_generation"] += 1  # a fresh, empty uploader
            st.rerun()
