"""AppTests of text from outside the app (issue 13): what the address carried and the labels a student typed read
exactly as typed, never as Markdown (`?set=[Log in again](http://example.invalid)` was a link); numbers a link
asked for but could not have are named; a job that failed on the server says so in plain words."""

import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tl_core.classroom.jobs import FAILED, FAILED_ON_SERVER
from tl_core.data.png import encode_png
from tl_core.markdown import escape_markdown
from tl_core.storage.workspace import WorkspaceStore

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CRAFTED = "[Log in again](http://example.invalid)"  # a link, if it reached Markdown unescaped
LITERAL = escape_markdown(CRAFTED)  # what a Markdown body must hold instead: r"\[Log in again\]\(http\://..."
LABEL = "[Log in](http://ex.invalid)"  # the same, within a label's 32 characters


def open_page(page, query, timeout=120):
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update(query)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def literal_only(body: str, text: str = CRAFTED) -> bool:
    """`text` appears in this Markdown body escaped, and nowhere as Markdown."""
    return escape_markdown(text) in body and text not in body


def markdown_bodies(at) -> list[str]:
    """Every Markdown body on the page that could carry outside text: text, messages, labels, captions."""
    bodies = [
        element.value
        for kind in ("markdown", "caption", "warning", "error", "info", "success", "toast")
        for element in getattr(at, kind)
    ]
    bodies += [button.label for button in at.button]
    bodies += [caption for image in at.get("image") for caption in image.captions]
    return bodies


def with_samples(store, name, labels, per_class):
    """A workspace of own classes with `per_class[i]` drawn samples of `labels[i]` (a bar: nothing reads them)."""
    workspace = store.workspace(name)
    workspace.start_task(labels)
    image = np.zeros((28, 28), np.float32)
    image[8:20, 12:16] = 1.0
    for label, count in zip(labels, per_class, strict=True):
        for _ in range(count):
            workspace.add_sample(label, image, encode_png(image), "drawn")
    return workspace


@pytest.fixture
def store(data_dir):
    return WorkspaceStore(data_dir / "workspaces.sqlite3")


@pytest.mark.slow
def test_a_crafted_set_in_a_lesson_link_is_quoted_literally_and_clamped_numbers_are_named(store):
    at = open_page("pages/lesson.py", {"workspace": "student", "set": CRAFTED, "shots": "100000", "epochs": "-5"}, 300)
    assert len(at.warning) == 1
    body = at.warning[0].value
    assert literal_only(body) and "](http" not in body
    assert escape_markdown("'shots=100000' is more than 25; using 25.") in body
    assert escape_markdown("'epochs=-5' is less than 1; using 1.") in body
    assert at.number_input(key="lesson_shots").value == 25 and at.number_input(key="lesson_epochs").value == 1
    assert not any(CRAFTED in text for text in markdown_bodies(at))


def test_the_train_page_names_clamped_settings_and_leaves_the_set_and_shots_to_the_workspace(store):
    with_samples(store, "trainer", ["a", "b"], [4, 4])
    query = {"workspace": "trainer", "epochs": "100000", "aug": "-2", "shots": "0", "set": CRAFTED}
    at = open_page("pages/train.py", query)
    notices = [w.value for w in at.warning if "could not be used as they are" in w.value]
    assert len(notices) == 1, [w.value for w in at.warning]
    assert escape_markdown("'epochs=100000' is more than 200; using 200.") in notices[0]
    assert escape_markdown("'aug=-2' is less than 0; using 0.") in notices[0]
    assert "'shots=" not in notices[0] and "'set=" not in notices[0]  # not read here: the workspace's task decides
    assert at.number_input(key="train_epochs").value == 200 and at.query_params["epochs"] in ("200", ["200"])


def test_crafted_labels_read_literally_on_the_collect_page(store):
    with_samples(store, "crafted", [LABEL, "b"], [1, 0])
    at = open_page("pages/collect.py", {"workspace": "crafted"})
    at.selectbox(key="inspect_label").set_value(LABEL).run()
    assert at.selectbox(key="collect_label").value == LABEL
    bodies = markdown_bodies(at)
    assert not any(LABEL in body for body in bodies), [body for body in bodies if LABEL in body]
    assert f"1 sample of {escape_markdown(LABEL)} so far" in bodies  # the caption under the picker
    assert f"Add as {escape_markdown(LABEL)}" in bodies  # a button label is Markdown too
    assert f"**{escape_markdown(LABEL)}** · 1" in bodies  # the gallery
    assert f"Remove the class {escape_markdown(LABEL)} and its samples" in bodies
    at.selectbox(key="inspect_label").set_value("b").run()
    assert "No samples of b yet." in markdown_bodies(at)


def test_a_crafted_label_in_a_message_reads_literally(store):
    with_samples(store, "one-class", [LABEL], [1])
    at = open_page("pages/inside.py", {"workspace": "one-class"})
    (info,) = [i.value for i in at.info if "one class" in i.value]
    assert literal_only(info, LABEL)
    with_samples(store, "unsampled", ["a", LABEL], [2, 0])
    at = open_page("pages/train.py", {"workspace": "unsampled"})
    (warning,) = [w.value for w in at.warning if "none yet for" in w.value]
    assert literal_only(warning, LABEL)


def test_a_job_that_failed_on_the_server_is_told_in_plain_words(store):
    from ui.resources import training_queue

    with_samples(store, "failing", ["a", "b"], [4, 4])

    def work(job):
        raise OSError(28, "No space left on device", "/srv/tl-data/secret/run.keras")

    job = training_queue().submit("failing", "comparison", work)
    at = open_page("pages/train.py", {"workspace": "failing"})
    deadline = time.monotonic() + 30
    while job.status != FAILED and time.monotonic() < deadline:  # it fails at once; the page polls like a browser
        time.sleep(0.1)
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [escape_markdown(FAILED_ON_SERVER)]
    assert not any("/srv/" in body or "OSError" in body for body in markdown_bodies(at))
