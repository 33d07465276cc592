"""Lesson links: every setting survives the round trip through a URL; bad values fall back with a message."""

from dataclasses import replace
from urllib.parse import parse_qsl, urlencode

import pytest

from tests.summaries import sweep as one_seed_sweep
from tl_core.classroom.lesson import (
    DEMOS,
    QUERY_KEYS,
    Lesson,
    labels_needed,
    lesson_from_query,
    lesson_key,
    lesson_to_query,
    speed_and_accuracy,
    verdict,
)
from tl_core.markdown import escape_markdown
from tl_core.training.results import ComparisonSummary, ModelCurves
from tl_core.training.settings import TrainSettings

UNUSUAL = Lesson(
    model="lenet5",
    charset="katakana",
    shots=3,
    train=TrainSettings(
        strategy="fine-tune-top",
        epochs=7,
        head_learning_rate=0.0123456789,
        fine_tune_learning_rate=3.3e-5,
        scratch_learning_rate=0.002,
        augment_copies=2,
        seed=12345,
    ),
)


def through_a_url(lesson: Lesson) -> Lesson:
    """What a student's app reads from the link a teacher copied (encoded, then parsed as a browser would)."""
    url = "http://example.org/lesson?" + urlencode({"workspace": "ws-abc123", **lesson_to_query(lesson)})
    restored, problems = lesson_from_query(dict(parse_qsl(url.split("?", 1)[1])))
    assert problems == []
    return restored


@pytest.mark.parametrize("lesson", [Lesson(), UNUSUAL, *(demo.lesson for demo in DEMOS.values())])
def test_a_lesson_link_round_trips_every_setting(lesson):
    assert through_a_url(lesson) == lesson


def test_every_setting_that_shapes_a_run_has_a_query_key():
    changeable = {"model", "charset", "shots"} | {f"train.{name}" for name in TrainSettings.__dataclass_fields__}
    # batch size and the head-first share are engine constants, not lesson choices
    assert changeable - {where for where, _ in QUERY_KEYS.values()} == {"train.batch_size", "train.head_epochs_share"}


def test_each_setting_changes_the_link():
    base = lesson_to_query(Lesson())
    for key in QUERY_KEYS:
        changed = lesson_to_query(UNUSUAL)
        assert changed[key] != base[key], key


def test_bad_values_fall_back_to_defaults_with_a_message():
    lesson, problems = lesson_from_query(
        {"model": "resnet", "set": "../etc", "shots": "many", "epochs": "nan", "lr": "inf", "seed": "7"}
    )
    assert lesson == replace(Lesson(), train=replace(Lesson().train, seed=7))
    assert len(problems) == 5
    assert any("'model=resnet' is not one of" in p for p in problems)
    assert any("'shots=many' is not a number; using 5" in p for p in problems)


def test_out_of_range_numbers_are_brought_inside_their_limits_and_said_so():
    lesson, problems = lesson_from_query({"shots": "100000", "epochs": "-5", "lr": "5", "seed": "-1", "aug": "2"})
    assert (lesson.shots, lesson.train.epochs, lesson.train.head_learning_rate, lesson.train.seed) == (25, 1, 0.3, 0)
    assert lesson.train.augment_copies == 2
    assert problems == [  # issue 13: they were changed silently
        "'shots=100000' is more than 25; using 25.",
        "'epochs=-5' is less than 1; using 1.",
        "'lr=5' is more than 0.3; using 0.3.",
        "'seed=-1' is less than 0; using 0.",
    ]
    assert lesson_from_query({"shots": "0"}) == (replace(Lesson(), shots=1), ["'shots=0' is less than 1; using 1."])
    assert lesson_from_query({"ft_lr": "1e-9"})[1] == ["'ft_lr=1e-9' is less than 1e-06; using 1e-06."]


def test_a_whole_number_setting_given_a_fraction_says_it_was_rounded():
    lesson, problems = lesson_from_query({"epochs": "2.6", "shots": "3.0", "lr": "0.0123456789"})
    assert (lesson.train.epochs, lesson.shots, lesson.train.head_learning_rate) == (3, 3, 0.0123456789)
    assert problems == ["'epochs=2.6' is not a whole number; using 3."]


def test_only_the_keys_asked_for_are_read():
    """The Train page takes the set and the shots from its workspace: a bad `shots=` there is not its concern."""
    lesson, problems = lesson_from_query({"shots": "100000", "set": "nope", "epochs": "999"}, keys=("epochs",))
    assert lesson == replace(Lesson(), train=replace(Lesson().train, epochs=200))
    assert problems == ["'epochs=999' is more than 200; using 200."]


@pytest.mark.parametrize(
    "raw",
    [
        "[Log in again](http://example.invalid)",
        "x\n# Heading\n- item",
        "\u202eevil\u202c\x00\x1b[31m",
        "a" * 10_000,
    ],
)
def test_messages_quote_a_value_briefly_on_one_line_without_control_characters(raw):
    """The value a link carried is quoted as plain text (the page escapes it for Markdown): shortened, one line,
    and no control or bidirectional-override characters to reorder or hide what the student reads."""
    (problem,) = lesson_from_query({"set": raw})[1]
    quoted = problem.split("' is not one of")[0].removeprefix("'set=")
    assert problem.startswith("'set=") and problem.endswith("; using hiragana.")
    assert len(quoted) <= 40 and quoted.isprintable()
    assert quoted.rstrip("…") == "".join(c if c.isprintable() else "\ufffd" for c in raw)[: len(quoted.rstrip("…"))]
    assert "[Log in again](http://example.invalid)" not in escape_markdown(problem)  # literal once escaped


def test_lesson_key_identifies_exactly_the_settings():
    assert lesson_key(Lesson()) == lesson_key(through_a_url(Lesson()))
    assert lesson_key(Lesson()) != lesson_key(replace(Lesson(), shots=6))


def test_the_same_lesson_renders_the_same_samples():
    first, second = UNUSUAL.task(), through_a_url(UNUSUAL).task()
    assert (first.x_train == second.x_train).all() and first.labels == second.labels
    assert len(first.x_train) == 3 * 46
    assert not (replace(UNUSUAL, train=replace(UNUSUAL.train, seed=1)).task().x_train == first.x_train).all()


def curves(eval_accuracy, epoch_seconds):
    """One model's curves as a comparison keeps them; only evaluation accuracy and seconds matter here."""
    return ModelCurves(
        eval_accuracy=tuple(eval_accuracy),
        train_accuracy=(),
        loss=(),
        epoch_seconds=tuple(epoch_seconds),
        seconds=epoch_seconds[-1],
    )


def summary_with(transfer, scratch, transfer_seconds, scratch_seconds):
    return ComparisonSummary(
        labels=("a", "b"),
        eval_size=2,
        eval_source="test",
        strategy="feature-extraction",
        epochs=len(transfer),
        seed=0,
        transfer=curves(transfer, transfer_seconds),
        scratch=curves(scratch, scratch_seconds),
    )


def test_speed_and_accuracy_are_read_off_the_curves():
    summary = summary_with([0.5, 0.8, 0.9], [0.2, 0.4, 0.6], [0.1, 0.2, 0.3], [2.0, 4.0, 6.0])
    numbers = speed_and_accuracy(summary)
    assert numbers.transfer_seconds_to_match == 0.2  # first transfer point at or above scratch's 0.6
    assert numbers.speedup == pytest.approx(30.0)
    assert numbers.accuracy_gain == pytest.approx(0.3)
    assert verdict(summary) == "Transfer helped: +30 percentage points of accuracy against training from scratch."


AGAINST_SCRATCH = "percentage points of accuracy against training from scratch."


@pytest.mark.parametrize(
    "transfer, scratch, transfer_seconds, sentence",
    [
        ([0.9, 0.95], [0.6, 0.96], [0.1, 0.2], "Transfer bought no accuracy here (-1 percentage points)."),
        (  # within 2 points, and it reached scratch's final 0.96 after 0.2 s of scratch's 4 s
            [0.9, 0.97],
            [0.6, 0.96],
            [0.1, 0.2],
            "Transfer bought no accuracy here (+1 percentage points). It was still 20.0x faster to get there.",
        ),
        ([0.5, 0.93], [0.6, 0.96], [0.1, 0.2], f"Transfer hurt here: -3 {AGAINST_SCRATCH}"),
        ([0.8, 0.85], [0.6, 0.92], [0.1, 0.2], f"Transfer hurt here: -7 {AGAINST_SCRATCH}"),
    ],
    ids=["1-point-loss-never-caught-up", "1-point-gain-sooner", "3-point-loss", "7-point-loss"],
)
def test_the_verdict_says_when_transfer_did_not_help(transfer, scratch, transfer_seconds, sentence):
    assert verdict(summary_with(transfer, scratch, transfer_seconds, [2.0, 4.0])) == sentence


def test_the_verdict_calls_three_points_of_gain_a_help():
    summary = summary_with([0.5, 0.99], [0.2, 0.96], [0.1, 0.2], [2.0, 4.0])
    assert verdict(summary) == f"Transfer helped: +3 {AGAINST_SCRATCH}"


def test_a_transfer_that_never_reaches_scratch_has_no_time_to_match():
    numbers = speed_and_accuracy(summary_with([0.8, 0.85], [0.6, 0.92], [0.1, 0.2], [2.0, 4.0]))
    assert numbers.transfer_seconds_to_match is None and numbers.speedup is None


def test_labels_needed_finds_where_scratch_catches_up():
    caught_up = one_seed_sweep([1, 2, 5, 10], [0.7, 0.8, 0.9, 0.95], [0.1, 0.3, 0.72, 0.9])
    assert labels_needed(caught_up).scratch_shots_to_match == 5
    never = one_seed_sweep([1, 2, 5, 10], [0.7, 0.8, 0.9, 0.95], [0.1, 0.2, 0.3, 0.4])
    assert labels_needed(never).scratch_shots_to_match is None
