"""The short classroom run: five sessions at once on one process, through the real queue and code paths."""

import pytest

pytestmark = pytest.mark.slow


def test_five_sessions_all_complete_and_fits_never_exceed_the_limit(tmp_path, monkeypatch):
    from benchmarks.classroom import run_classroom

    monkeypatch.setenv("TL_MAX_CONCURRENT_FITS", "1")
    result = run_classroom(sessions=5, epochs=3, data_dir=tmp_path)
    assert result["completed"] == 5 and result["failed"] == 0, result["errors"]
    assert result["most_fits_at_once"] == 1
    assert result["predictions_during_training"] > 0  # predictions were served while trainings ran


def test_a_class_opening_the_same_lesson_link_gets_the_same_curves(tmp_path, monkeypatch):
    from benchmarks.classroom import run_classroom

    monkeypatch.setenv("TL_MAX_CONCURRENT_FITS", "1")
    result = run_classroom(sessions=4, epochs=3, data_dir=tmp_path, lesson_mode=True)
    assert result["completed"] == 4 and result["failed"] == 0, result["errors"]
    assert result["identical_curves"] is True
    assert result["trainings_run"] == 1 and result["sweeps_run"] == 1  # Train and "Measure it" both shared
    assert result["look_inside_ms_median"] is not None


def test_a_student_asking_for_a_huge_run_gets_the_largest_that_fits_and_the_others_still_finish(tmp_path, monkeypatch):
    from benchmarks.classroom import run_classroom

    monkeypatch.setenv("TL_MAX_CONCURRENT_FITS", "1")
    monkeypatch.setenv("TL_MAX_JOB_SECONDS", "5")  # a small budget keeps the hog's runs short here
    result = run_classroom(sessions=3, epochs=3, data_dir=tmp_path, hog=True, hog_shots=3)
    assert result["completed"] == 2 and result["failed"] == 0, result["errors"]
    assert result["hog_outcome"] == "reduced", result.get("hog_error")
    assert result["hog_ran"].startswith("fine-tune-all, ") and "hog_sweep_seconds" in result
    assert result["others_result_p95_s"] > 0 and result["others_result_p95_s_without_hog"] > 0
    assert result["max_queued_jobs"] <= result["queued_jobs_limit"]
