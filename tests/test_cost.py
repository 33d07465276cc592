"""Job cost estimates from the committed calibration, and the per-job budget: what is refused, what is offered."""

import json
from dataclasses import replace

import pytest

from tl_core.classroom.lesson import Lesson
from tl_core.models.architectures import ARCHITECTURES
from tl_core.training.cost import (
    SIDES,
    Calibration,
    SweepSize,
    calibration,
    check_comparison,
    check_lesson,
    comparison_seconds,
    fitting_sweep,
    sweep_seconds,
)
from tl_core.training.settings import TrainSettings

LIMIT = 120.0  # the default TL_MAX_JOB_SECONDS
HEAVIEST = dict(n_train=80 * 20, n_eval=80 * 10)  # JLPT N5, 20 per class: the largest the Train page offers
JLPT = dict(HEAVIEST, n_classes=80)  # with its class count, for "per class" advice


def test_the_committed_calibration_covers_every_model_and_strategy_with_positive_costs():
    cal = calibration()
    assert set(cal.models) == set(ARCHITECTURES)
    for model in cal.models.values():
        assert model.forward_seconds_per_image > 0
        assert set(model.sides) == set(SIDES)
        assert all(side.seconds_per_sample_epoch > 0 and side.setup_seconds >= 0 for side in model.sides.values())


def test_estimates_grow_with_the_work_and_follow_the_model():
    base = TrainSettings(strategy="fine-tune-all")
    seconds = comparison_seconds("compact-gap", base, 230, 460)
    assert comparison_seconds("compact-gap", replace(base, epochs=60), 230, 460) > seconds
    assert comparison_seconds("compact-gap", base, 460, 460) > seconds
    assert comparison_seconds("deep-bn", base, 230, 460) > seconds  # the deeper model costs more per sample
    assert comparison_seconds("compact-gap", replace(base, strategy="feature-extraction"), 230, 460) < seconds


def test_the_default_jobs_fit_the_budget():
    assert check_comparison("compact-gap", TrainSettings(), 230, 460, LIMIT).fits
    lesson = check_lesson(Lesson(), LIMIT)
    assert lesson.fits and lesson.message is None and lesson.cheaper is None


def test_the_heaviest_run_the_ui_allows_is_refused_with_what_to_reduce_and_a_cheaper_run_that_fits():
    heavy = TrainSettings(strategy="fine-tune-all", epochs=200)
    check = check_comparison("deep-bn", heavy, limit=LIMIT, **JLPT)
    assert not check.fits and check.seconds > 5 * LIMIT
    assert f"limit of {LIMIT:,.0f} s" in check.message and "TL_MAX_JOB_SECONDS" in check.message
    # Fewer epochs always help, and come first; what else would fit depends on the calibration.
    assert f"To fit, use at most {check.cheaper.epochs} epochs" in check.message
    # The offer is the most epochs that fit: one more would not.
    assert comparison_seconds("deep-bn", check.cheaper, **HEAVIEST) <= LIMIT
    assert comparison_seconds("deep-bn", replace(check.cheaper, epochs=check.cheaper.epochs + 1), **HEAVIEST) > LIMIT
    assert replace(check.cheaper, epochs=200) == heavy.clamped()  # only the epochs changed


def test_a_teacher_with_a_larger_budget_gets_the_heavy_run():
    heavy = TrainSettings(strategy="fine-tune-all", epochs=200)
    assert check_comparison("deep-bn", heavy, limit=3600.0, **HEAVIEST).fits


def test_a_sweep_over_budget_keeps_every_point_with_fewer_seeds_first_then_fewer_points():
    settings = TrainSettings()
    wanted = SweepSize((1, 2, 5, 10, 20), 3)
    full = sweep_seconds("compact-gap", settings, wanted, 46, 460, rendered=True)
    fit = fitting_sweep("compact-gap", settings, wanted, 46, 460, True, limit=full - 1)
    assert fit.reduced and fit.size.shots == wanted.shots and fit.size.seeds == 2
    assert fit.seconds <= full - 1 and fit.wanted_seconds == pytest.approx(full)
    one_seed = sweep_seconds("compact-gap", settings, SweepSize(wanted.shots, 1), 46, 460, rendered=True)
    fewer_points = fitting_sweep("compact-gap", settings, wanted, 46, 460, True, limit=one_seed - 1)
    assert fewer_points.size.seeds == 1 and fewer_points.size.shots == (1, 2, 5, 10)
    nothing = fitting_sweep("compact-gap", settings, wanted, 46, 460, True, limit=0.5)
    assert nothing.size is None and not nothing.reduced


@pytest.mark.slow
def test_the_calibration_command_measures_and_writes_a_usable_file(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "calibration.json"
    done = subprocess.run(
        [sys.executable, "benchmarks/calibrate.py", "--quick", "--models", "mlp", "--repeats", "1", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    written = Calibration.from_json(json.loads(out.read_text()))
    assert set(written.models) == {"mlp"} and written.render_seconds_per_sample > 0
    assert comparison_seconds("mlp", TrainSettings(), 230, 460, written) > 0


def test_the_message_names_every_change_that_would_fit_on_its_own():
    settings = TrainSettings(strategy="fine-tune-all", epochs=30)
    check = check_comparison("deep-bn", settings, limit=LIMIT, **JLPT)
    assert not check.fits
    extraction = comparison_seconds("deep-bn", replace(settings, strategy="feature-extraction"), **HEAVIEST)
    assert (
        extraction <= LIMIT and f"the feature-extraction strategy (about {extraction:,.0f} s in all)" in check.message
    )
    assert comparison_seconds("compact-gap", settings, **HEAVIEST) <= LIMIT and "compact-gap" in check.message
    per_class = int(check.message.split("at most ")[2].split(" samples per class")[0])
    assert comparison_seconds("deep-bn", settings, per_class * 80, 800) <= LIMIT
    assert comparison_seconds("deep-bn", settings, (per_class + 1) * 80, 800) > LIMIT
