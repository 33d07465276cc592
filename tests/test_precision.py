"""The fast path (compiled curve evaluation, bfloat16 where the CPU has it): same seed, same curves; the same
accuracies as float32 everywhere; a CPU without bfloat16 gets float32."""

from dataclasses import replace

import numpy as np
import pytest

import tl_core
from tl_core.models.precision import Precision, cpu_has_bf16
from tl_core.training.engine import compare
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import charset_task

pytestmark = pytest.mark.slow

FLOAT32 = Precision.resolve("float32", bf16_available=True)
needs_bf16 = pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has no native bfloat16: nothing to compare")


@pytest.fixture(scope="module")
def pretrained():
    return tl_core.load_model("compact-gap")


@pytest.fixture(scope="module")
def task():
    return charset_task("hiragana", 2, seed=1)  # 92 samples, 460 fresh renders to evaluate


def curves(result):
    return {
        which: [(r.loss, r.train_accuracy, r.eval_accuracy) for r in getattr(result, which).curve]
        for which in ("transfer", "scratch")
    }


def test_the_precision_follows_the_setting_and_the_cpu():
    assert Precision.resolve("auto", True) == Precision("auto", train_bf16=False, evaluate_bf16=True)
    assert Precision.resolve("bfloat16", True) == Precision("bfloat16", train_bf16=True, evaluate_bf16=True)
    assert Precision.resolve("float32", True) == Precision("float32")
    for requested in ("auto", "float32", "bfloat16"):  # without bfloat16 in the CPU: float32, whatever was asked
        assert Precision.resolve(requested, False) == Precision(requested)
    with pytest.raises(ValueError, match="Unknown precision"):
        Precision.resolve("fp8", True)


def test_a_cpu_without_bf16_falls_back_to_float32_bit_for_bit(monkeypatch, pretrained, task):
    monkeypatch.setenv("TL_CPU_BF16", "0")  # as on a CPU without AVX-512 BF16 or AMX
    monkeypatch.setenv("TL_PRECISION", "bfloat16")
    fallback = Precision.from_env()
    assert not fallback.train_bf16 and not fallback.evaluate_bf16
    settings = TrainSettings(strategy="fine-tune-all", epochs=3)
    result = compare(pretrained, "compact-gap", task, settings)  # the server's precision, from the environment
    reference = compare(pretrained, "compact-gap", task, settings, precision=FLOAT32)
    for which in ("transfer", "scratch"):
        assert getattr(result, which).model.compute_dtype == "float32"
    assert curves(result) == curves(reference)


def test_a_misspelt_precision_setting_means_auto(monkeypatch):
    monkeypatch.setenv("TL_PRECISION", "fast please")
    assert Precision.from_env().requested == "auto"


@needs_bf16
def test_bf16_evaluation_keeps_every_accuracy_within_a_point_and_the_final_one_exact(pretrained, task):
    settings = TrainSettings(strategy="fine-tune-all", epochs=8)  # both models evaluated by a forward pass
    fast = compare(pretrained, "compact-gap", task, settings, precision=Precision.resolve("auto", True))
    exact = compare(pretrained, "compact-gap", task, settings, precision=FLOAT32)
    for which in ("transfer", "scratch"):
        fast_run, exact_run = getattr(fast, which), getattr(exact, which)
        # training is float32 in both: losses and training accuracies are the same numbers
        assert [(r.loss, r.train_accuracy) for r in fast_run.curve] == [
            (r.loss, r.train_accuracy) for r in exact_run.curve
        ]
        for a, b in zip(fast_run.curve, exact_run.curve, strict=True):
            assert abs(a.eval_accuracy - b.eval_accuracy) <= 0.01, (which, a.epoch)
        assert fast_run.final_accuracy == exact_run.final_accuracy  # the last epoch is evaluated in float32
        assert np.array_equal(fast_run.eval_predictions, exact_run.eval_predictions)


def test_the_fast_path_gives_the_same_curves_for_the_same_seed(pretrained, task):
    settings = TrainSettings(epochs=4, seed=5)
    first = compare(pretrained, "compact-gap", task, settings)
    again = compare(pretrained, "compact-gap", task, settings)  # borrows the same compiled models, reset
    assert curves(first) == curves(again)
    other_seed = compare(pretrained, "compact-gap", task, replace(settings, seed=6))
    assert curves(other_seed) != curves(first)


@needs_bf16
def test_bf16_training_is_deterministic_with_float32_probabilities(pretrained, task):
    precision = Precision.resolve("bfloat16", True)
    settings = TrainSettings(strategy="fine-tune-all", epochs=3, seed=2)
    first = compare(pretrained, "compact-gap", task, settings, precision=precision)
    again = compare(pretrained, "compact-gap", task, settings, precision=precision)
    assert curves(first) == curves(again)
    for which in ("transfer", "scratch"):
        model = getattr(first, which).model
        assert model.compute_dtype == "bfloat16"
        assert model(task.x_eval[:2, ..., None]).dtype == "float32"  # the output layer stays float32
