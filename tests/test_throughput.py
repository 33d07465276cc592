"""The throughput benchmark counts FLOPs right and accounts for a job's whole wall time; warm-up compiles."""

import statistics
from dataclasses import replace

import pytest

from benchmarks.throughput import forward_flops, run_jobs, summarise
from tl_core.classroom.lesson import Lesson
from tl_core.classroom.warmup import warm_up, warmed_kind
from tl_core.models.precision import Precision
from tl_core.training.model_pool import MODEL_POOL
from tl_core.training.settings import TrainSettings
from tl_core.training.transfer import scratch_model

pytestmark = pytest.mark.slow


def test_forward_flops_of_compact_gap_match_a_count_by_hand():
    def conv(size, channels_in, channels_out):  # 3x3, 'same' padding: 2 FLOPs per multiply-add
        return 2 * size * size * 9 * channels_in * channels_out

    by_hand = conv(28, 1, 32) + conv(28, 32, 32) + conv(14, 32, 64) + conv(14, 64, 64) + conv(7, 64, 128)
    by_hand += 2 * 128 * 46  # the head's dense layer
    assert forward_flops(scratch_model("compact-gap", 46)) == by_hand == 43_815_424


def test_an_app_server_training_on_ray_leaves_the_warm_up_to_the_clusters_trainers(monkeypatch):
    from ui.resources import import_and_warm_up

    monkeypatch.setenv("TL_RAY_ADDRESS", "127.0.0.1:1")
    MODEL_POOL.discard(warmed_kind())  # as on a server that has just started
    assert import_and_warm_up() is False and warmed_kind() not in MODEL_POOL.kinds()
    monkeypatch.delenv("TL_RAY_ADDRESS")  # training in this process: the first job is warmed up here
    assert import_and_warm_up() is True and warmed_kind() in MODEL_POOL.kinds()


def test_warm_up_compiles_the_scratch_model_of_the_lessons_shape():
    MODEL_POOL.discard(warmed_kind("mlp", "kanji-numerals"))  # as on a server that has just started
    warm_up("mlp", "kanji-numerals")
    assert warmed_kind("mlp", "kanji-numerals") == ("scratch", "mlp", 10, Precision.from_env().train_bf16)
    assert warmed_kind("mlp", "kanji-numerals") in MODEL_POOL.kinds()


def test_a_measured_job_accounts_for_its_whole_wall_time(tmp_path):
    lesson = Lesson(model="mlp", charset="kanji-numerals", shots=2, train=TrainSettings(epochs=3))
    rows = run_jobs([lesson, replace(lesson, train=replace(lesson.train, seed=1))], tmp_path)
    for row in rows:
        parts = row["transfer_clock_s"] + row["scratch_clock_s"] + row["eval_s"] + row["prep_s"]
        assert row["job_wall_s"] == pytest.approx(parts)
        assert min(row["transfer_clock_s"], row["scratch_clock_s"], row["eval_s"], row["prep_s"]) > 0
        assert 0 <= row["scratch_accuracy"] <= 1 and row["epochs"] == 3
    figures = summarise(rows, lesson, {"peak_gflops": 100.0})
    assert figures["seeds"] == [0, 1]
    assert figures["achieved_gflops"] > 0 and figures["jobs_per_core_minute"] > 0
    assert figures["job_wall_s"] == pytest.approx(statistics.median(r["job_wall_s"] for r in rows), abs=1e-3)
