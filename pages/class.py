"""The class page (`/class?class=CODE`): who has joined and where each student is, every finished comparison, the
class's summary and data-efficiency curve, live while students train; downloads; the teacher's moderation.

Anyone with the code sees the class's results by display name; only the teacher's workspace (which created the
class) sees the moderation controls, and every change checks that again in the store.
"""

from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime

import plotly.graph_objects as go
import streamlit as st

from tl_core.classroom.class_results import (
    STATES,
    ClassRow,
    ClassRowsReader,
    data_efficiency,
    one_page_summary,
    repeats_in_words,
    rows_csv,
    student_status,
    summary_in_words,
)
from tl_core.markdown import escape_markdown
from tl_core.storage.school_classes import SchoolClass
from tl_core.storage.workspace import WorkspaceError
from ui.class_charts import efficiency_chart, runs_scatter
from ui.class_drawings import class_drawings
from ui.frame import end_page, require_frame
from ui.presenter import for_projector, presenter_view
from ui.resources import training_queue
from ui.school_class import QUERY_KEY, class_from_url, join_or_welcome, link_to_class_page
from ui.settings import preset
from ui.workspace import current_workspace, school_classes

require_frame()  # first: a deep link as a fresh server's first request runs this file without app.py

TEACHER_REFRESH_SECONDS = 2.0  # the live part polls the store and the queue this often for the teacher ...
STUDENT_REFRESH_SECONDS = 10.0  # ... and for a student: thirty students watching must not cost the trainer a core


@st.cache_resource(show_spinner=False)
def rows_reader() -> ClassRowsReader:
    """This server's reader of class rows (each kept run parsed once, for every page that shows it)."""
    return ClassRowsReader()


def rows_of(school_class: SchoolClass) -> list[ClassRow]:
    """Every finished comparison of the class: from the students' workspaces while it runs, as kept once it ended."""
    if school_class.ended is not None:
        return [ClassRow(**row) for row in classes.final_rows(school_class.code) or []]
    return rows_reader().rows(classes, school_class.code)


@st.cache_resource(show_spinner=False)
def built_figures() -> dict[tuple, go.Figure]:
    """The class charts this server has built, by what they show: plotly checks every property as a figure is
    built (30 ms of a core for thirty runs), at every refresh of every teacher's page otherwise. Shared and never
    changed (st.plotly_chart sends a copy); keyed by small tuples, as hashing the rows themselves costs as much."""
    return {}


def figure_for(key: tuple, build: Callable[[], go.Figure]) -> go.Figure:
    built = built_figures()
    if key not in built:
        if len(built) >= 64:
            built.clear()
        built[key] = build()
    return built[key]


def table_height(rows: int) -> int:
    """Pixels for a table of `rows` rows, so that thirty show without scrolling inside it (at most 40)."""
    return 38 + 35 * min(rows, 40)


def live(school_class: SchoolClass, present: bool) -> tuple[list[ClassRow], list[str]]:
    """Statuses, rows, charts and summary: polled, so the teacher sees students move without reloading. Returns
    the rows and the students' names it read, for the rest of the page (in a whole-page run)."""
    rows = rows_of(school_class)
    members = classes.members(school_class.code)
    st.subheader(f"Students ({len(members)})")
    if school_class.ended is None:
        queue = training_queue()
        runs_of = {member.name: sum(1 for row in rows if row.student == member.name) for member in members}
        places = queue.whereabouts([member.workspace for member in members])  # one question for the class
        statuses = [student_status(m.name, places.get(m.workspace), runs_of[m.name]) for m in members]
        counts = {state: sum(1 for status in statuses if status.state == state) for state in STATES}
        st.markdown(" · ".join(f"**{count}** {state}" for state, count in counts.items() if count) or "Nobody yet.")
        if statuses:
            st.dataframe(
                [{"student": status.student, "where": status.words} for status in statuses],
                hide_index=True,
                width="stretch",
                height=table_height(len(statuses)),  # the whole class at a glance: who is stuck
                key="class_statuses",
            )
    elif members:
        st.write(", ".join(escape_markdown(member.name) for member in members))
    st.subheader(f"Results ({len(rows)} finished run{'s' if len(rows) != 1 else ''})")
    st.markdown(f"**{escape_markdown(summary_in_words(rows))}**")
    if repeats := repeats_in_words(rows):
        st.caption(escape_markdown(repeats))
    if not rows:
        return rows, _names_shown(members)
    scatter_column, efficiency = st.columns(2, gap="large")
    scatter_key = ("scatter", present, *((row.run_id, row.student) for row in rows))  # a kept run never changes
    scatter = figure_for(scatter_key, lambda: for_projector(runs_scatter(rows, 520 if present else 420), present))
    scatter_column.plotly_chart(scatter, key="class_scatter")
    points = data_efficiency(rows)
    with efficiency:
        st.markdown("**The class's data efficiency**: final accuracy against samples per class, from everyone's runs.")
        if len({point.shots for point in points}) > 1:
            efficiency_key = ("efficiency", present, *((p.shots, p.model, p.median, p.low, p.high) for p in points))
            curve = figure_for(efficiency_key, lambda: for_projector(efficiency_chart(points), present))
            st.plotly_chart(curve, key="class_efficiency")
        else:
            st.caption("Every run so far used the same number of samples per class: try other numbers to draw it.")
    st.dataframe(
        [
            {
                "student": row.student,
                "model": row.model,
                "characters": row.charset,
                "per class": row.shots,
                "strategy": row.strategy,
                "transfer": row.transfer_accuracy,
                "scratch": row.scratch_accuracy,
                "transfer matched scratch after (s)": row.transfer_seconds_to_match,
            }
            for row in rows
        ],
        column_config={
            "transfer": st.column_config.NumberColumn(format="percent"),
            "scratch": st.column_config.NumberColumn(format="percent"),
            "transfer matched scratch after (s)": st.column_config.NumberColumn(format="%.1f"),
        },
        hide_index=True,
        width="stretch",
        height=table_height(len(rows)),
        key="class_rows",
    )
    return rows, _names_shown(members)


def _names_shown(members: list) -> list[str]:
    """The students' names; when they changed since the whole page last ran (someone joined, was renamed or
    removed), run the whole page again, so the teacher's controls below list them too."""
    names = [member.name for member in members]
    if st.session_state.get("class_page_names", names) != names:
        st.session_state["class_page_names"] = names  # first, or the next whole run would rerun again
        st.rerun()
    return names


def remove_student(code: str, teacher: str, student: str) -> None:
    try:
        classes.remove(code, teacher, student)
    except WorkspaceError as error:
        st.session_state["class_problem"] = str(error)
    st.session_state["class_remove_sure"] = False  # each removal is confirmed on its own


def moderation(school_class: SchoolClass, names: list[str]) -> None:
    """The teacher's controls: rename or remove an entry, close to new joins, end the class."""
    code, teacher = school_class.code, workspace.name
    with st.expander("Manage the class", icon=":material/manage_accounts:"):
        try:
            if names:
                student = st.selectbox("Student", names, key="class_student")
                with st.form("class_rename", border=False, clear_on_submit=True):
                    rename_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
                    new_name = rename_column.text_input("New name", key="class_new_name")
                    if button_column.form_submit_button("Rename", icon=":material/edit:"):
                        classes.rename(code, teacher, student, new_name)
                        st.rerun()
                sure_remove = st.checkbox(
                    f"Remove {student} from the class: their runs and shared drawings leave it; their workspace "
                    "stays theirs",
                    key="class_remove_sure",
                )
                st.button(
                    "Remove",
                    icon=":material/person_remove:",
                    disabled=not sure_remove,
                    on_click=remove_student,  # a callback: it may untick the confirmation for the next one
                    args=(code, teacher, student),
                )
            if problem := st.session_state.pop("class_problem", None):
                st.error(escape_markdown(problem), icon=":material/error:")
            closed = st.toggle("Closed to new students", value=school_class.closed, key="class_closed")
            if closed != school_class.closed:
                classes.set_closed(code, teacher, closed)
                st.rerun()
            sure = st.checkbox("I want to end the class (its results are kept for download)", key="class_end_sure")
            if st.button("End the class", icon=":material/flag:", disabled=not sure):
                rows = [asdict(row) for row in rows_of(school_class)]
                classes.end(code, teacher, rows)
                st.rerun()
        except WorkspaceError as error:
            st.error(escape_markdown(error), icon=":material/error:")  # it may quote a typed name


# --- the class the address names ----------------------------------------------------------------------
classes = school_classes()
workspace = current_workspace()
school_class = class_from_url(classes)
if school_class is None:
    st.title("Class")
    mine = classes.of_teacher(workspace.name) + classes.classes_of(workspace.name)
    for known in mine:  # the classes this workspace teaches or is in: found again without the code
        link_to_class_page(known.code, f"{escape_markdown(known.name)} ({known.code})")
    with st.form("class_code_form"):
        typed = st.text_input("Class code (from your teacher's link)")
        if st.form_submit_button("Open the class", type="primary"):
            st.query_params[QUERY_KEY] = typed.strip().upper()
            st.rerun()
    end_page()

preset("present", st.query_params.get("present") == "1")
present = presenter_view(st.session_state["present"])
teacher = school_class.is_teacher(workspace.name)
st.title(f"Class: {escape_markdown(school_class.name)}")
st.caption(f"Class code **{school_class.code}**: students join with the lesson's share link, which carries it.")
if school_class.ended is not None:
    ended = datetime.fromtimestamp(school_class.ended).strftime("%d %B %Y, %H:%M")
    st.info(f"This class ended on {ended}. Its results are kept below.", icon=":material/flag:")
elif school_class.closed:
    st.caption("Closed to new students.")
st.toggle("Presenter view (large type for a projector)", key="present")
if present != (st.query_params.get("present") == "1"):  # kept in the address, so the projector's tab keeps it
    if present:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)
if teacher and not present:
    st.link_button(  # a tab of its own, without the teacher's workspace: safe to put on a projector
        "Open a projector view (no teacher controls)",
        f"?{QUERY_KEY}={school_class.code}&present=1",
        icon=":material/cast:",
    )
if not teacher and not present:  # a projector's tab shows the class, not a join form
    join_or_welcome(classes, school_class, workspace.name, "class")
refresh = TEACHER_REFRESH_SECONDS if teacher else STUDENT_REFRESH_SECONDS
rows, names = st.fragment(run_every=refresh)(live)(school_class, present)
st.session_state["class_page_names"] = names  # what the teacher's controls below list

st.header("The class's own drawings")
class_drawings(school_class, workspace.name, rows)

st.header("Take it home")
stem = f"class-{school_class.code}"
download_csv, download_page = st.columns(2)
download_csv.download_button(  # made when pressed, not at every rerun
    "Results (.csv)",
    lambda: rows_csv(rows_of(school_class)),
    f"{stem}-results.csv",
    "text/csv",
    icon=":material/table:",
    key="class_csv",
)
download_page.download_button(
    "One-page summary (.html)",
    lambda: one_page_summary(school_class.name, rows_of(school_class), datetime.now().strftime("%d %B %Y, %H:%M")),
    f"{stem}-summary.html",
    "text/html",
    icon=":material/description:",
    key="class_summary",
)
if teacher and school_class.ended is None:  # an ended class is kept as it ended
    moderation(school_class, names)
