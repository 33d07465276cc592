"""One declaration per run setting (tl_core.training.settings): clamping, the lesson link and the pages' widgets
all come from it, so what a widget allows, what a link carries and what the engine gets cannot drift apart."""

from dataclasses import fields
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tl_core.classroom.lesson import QUERY_KEYS, RUN_KEYS, Lesson, lesson_from_query, lesson_to_query, lesson_values
from tl_core.training.settings import LIMITS, TRAIN_SETTINGS, TrainSettings, settings_of

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_every_training_setting_but_the_fixed_share_is_declared():
    assert {f.name for f in fields(TrainSettings)} - set(TRAIN_SETTINGS) == {"head_epochs_share"}


def test_limits_and_clamping_come_from_the_declarations():
    numbers = {name: s for name, s in TRAIN_SETTINGS.items() if s.low is not None}
    assert {name: (s.low, s.high) for name, s in numbers.items()} == LIMITS
    too_high = TrainSettings(**{name: s.high * 10 + 1 for name, s in numbers.items()}).clamped()
    too_low = TrainSettings(**{name: s.low - 1 for name, s in numbers.items()}).clamped()
    for name, declared in numbers.items():
        assert getattr(too_high, name) == declared.high and getattr(too_low, name) == declared.low, name
        assert type(getattr(too_high, name)) is type(declared.default), name


def test_the_link_carries_exactly_the_declared_keys_and_reads_them_back():
    declared = {s.url_key for s in (*settings_of(Lesson), *TRAIN_SETTINGS.values()) if s.url_key}
    assert set(QUERY_KEYS) == declared == set(lesson_to_query(Lesson()))
    changed = Lesson(model="mlp", charset="katakana", shots=3, train=TrainSettings(epochs=7, seed=11, augment_copies=2))
    assert lesson_from_query(lesson_to_query(changed)) == (changed, [])


@pytest.mark.parametrize(
    ("page", "prefix", "keys"), [("pages/train.py", "train", RUN_KEYS), ("pages/lesson.py", "lesson", QUERY_KEYS)]
)
def test_each_pages_number_widgets_show_the_declared_label_limits_and_default(data_dir, page, prefix, keys):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workspace"] = "settings"
    if page == "pages/train.py":  # the Train page shows its settings once the workspace has samples
        from tl_core.storage.collect import autofill
        from tl_core.storage.workspace import DB_FILE, WorkspaceStore

        workspace = WorkspaceStore(data_dir / DB_FILE).workspace("settings")
        workspace.start_task(["あ", "い"], charset=None)
        autofill(workspace, 2)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    defaults = lesson_values(Lesson())
    numbers = [key for key in keys if QUERY_KEYS[key][1].choices is None]
    assert numbers, "no number setting on the page"
    for key in numbers:
        declared = QUERY_KEYS[key][1]
        widget = at.number_input(key=f"{prefix}_{key}")
        assert (widget.label, widget.min, widget.max) == (declared.label, declared.low, declared.high), key
        assert widget.help == declared.help and (declared.step is None or widget.step == declared.step), key
        assert widget.value == pytest.approx(defaults[key]), key


def test_a_required_choice_that_streamlit_cleared_falls_back_to_its_default(data_dir):
    # Seen with `make run`: a session whose strategy widget state was None ended in "Unknown strategy None".
    from tl_core.storage.collect import autofill
    from tl_core.storage.workspace import DB_FILE, WorkspaceStore

    workspace = WorkspaceStore(data_dir / DB_FILE).workspace("cleared")
    workspace.start_task(["あ", "い"], charset=None)
    autofill(workspace, 2)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["workspace"] = "cleared"
    at.switch_page("pages/train.py")
    at.session_state["train_strategy"] = None
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["train_strategy"] == TRAIN_SETTINGS["strategy"].default
