"""The short classroom run: sessions at once through the real queue and code paths (in one process, and on a
local Ray cluster with two app-server processes)."""

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


def test_a_class_whose_students_train_the_lesson_fills_its_page_with_one_row_each(tmp_path, monkeypatch):
    from benchmarks.classroom import run_classroom

    monkeypatch.setenv("TL_MAX_CONCURRENT_FITS", "1")
    monkeypatch.setenv("TL_DATA_DIR", str(tmp_path))  # the benchmark points the app's store at its class ...
    monkeypatch.delenv("TL_RAY_ADDRESS", raising=False)  # ... and its queue: restored after the test
    result = run_classroom(sessions=3, epochs=3, data_dir=tmp_path, class_mode=True)
    assert result["completed"] == 3 and result["failed"] == 0, result["errors"]
    assert result["class_rows"] == 3  # the teacher's page lists every student's run
    assert result["class_page_renders"] > 0 and result["class_page_ms_p95"] > 0  # rendered while they trained


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


def test_on_ray_two_app_servers_share_one_lesson_training_and_every_student_gets_it(tmp_path, monkeypatch):
    from benchmarks.classroom import run_classroom

    monkeypatch.setenv("TL_MAX_CONCURRENT_FITS", "1")
    monkeypatch.delenv("TL_RAY_ADDRESS", raising=False)  # a one-machine cluster started for the run
    result = run_classroom(sessions=4, epochs=3, data_dir=tmp_path, lesson_mode=True, executor="ray", replicas=2)
    assert (result["executor"], result["replicas"]) == ("ray", 2)
    assert result["completed"] == 4 and result["failed"] == 0, result["errors"]
    assert result["identical_curves"] is True
    assert result["trainings_run"] == 1 and result["sweeps_run"] == 1  # students on both servers joined one
    assert result["most_fits_at_once"] == 1
    assert result["peak_rss_mb_cluster"] > 0 and result["dispatch_overhead_s_median"] is not None
