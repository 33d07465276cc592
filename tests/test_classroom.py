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
    assert result["look_inside_ms_median"] is not None
