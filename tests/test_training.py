"""The training engine: strategies freeze what they claim, curves are honest, runs are repeatable."""

import json
import math
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import tl_core
from tl_core.models.architectures import backbone_of, head_of
from tl_core.training.engine import RunInputs, compare, epoch_plan, train_transfer
from tl_core.training.settings import TrainSettings
from tl_core.training.tasks import TaskError, charset_task, check_trainable, held_out_task

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def zoo():
    return {name: tl_core.load_model(name) for name in ("compact-gap", "deep-bn")}


@pytest.fixture(scope="module")
def small_task():
    return charset_task("katakana", 2, seed=3, eval_per_class=2)


def weights_of(layer):
    return [np.array(w) for w in layer.get_weights()]


def same(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def transfer_run(zoo, name, task, strategy, epochs=4):
    settings = TrainSettings(strategy=strategy, epochs=epochs).clamped()
    return train_transfer(zoo[name], name, RunInputs(task, epoch_plan(task, settings), settings))


def test_feature_extraction_changes_only_the_head(zoo, small_task):
    pretrained = weights_of(backbone_of(zoo["compact-gap"]))
    model = transfer_run(zoo, "compact-gap", small_task, "feature-extraction").model
    assert same(weights_of(backbone_of(model)), pretrained)
    assert not backbone_of(model).trainable
    assert head_of(model).output_shape[-1] == len(small_task.labels)
    assert same(weights_of(backbone_of(zoo["compact-gap"])), pretrained)  # the shared zoo model is untouched


@pytest.mark.parametrize("strategy", ["feature-extraction", "fine-tune-top"])
def test_every_strategy_keeps_its_last_evaluation_predictions(zoo, small_task, strategy):
    """Confusion matrices and the misread drawings on the pages come from them: they match the final accuracy,
    and the model itself predicts them."""
    run = transfer_run(zoo, "compact-gap", small_task, strategy)
    assert run.eval_predictions is not None and len(run.eval_predictions) == len(small_task.y_eval)
    assert np.mean(run.eval_predictions == small_task.y_eval) == pytest.approx(run.curve[-1].eval_accuracy)
    model_says = run.model.predict(small_task.x_eval[..., None], verbose=0).argmax(axis=1)
    assert np.mean(model_says == run.eval_predictions) >= 0.99


@pytest.mark.parametrize("name", ["compact-gap", "deep-bn"])
def test_fine_tune_top_trains_only_the_last_block_and_the_head(zoo, small_task, name):
    pretrained = {block.name: weights_of(block) for block in backbone_of(zoo[name]).layers}
    model = transfer_run(zoo, name, small_task, "fine-tune-top", epochs=6).model
    blocks = {block.name: block for block in backbone_of(model).layers}
    assert same(weights_of(blocks["block1"]), pretrained["block1"])
    assert same(weights_of(blocks["block2"]), pretrained["block2"])
    assert not same(weights_of(blocks["block3"]), pretrained["block3"])
    assert blocks["block3"].trainable and not blocks["block1"].trainable
    allowed = {id(w) for w in blocks["block3"].weights} | {id(w) for w in head_of(model).weights}
    assert model.trainable_weights and {id(w) for w in model.trainable_weights} <= allowed
    for layer in _batch_norm_layers(blocks["block3"]):  # batch norm stays frozen, its statistics kept
        assert not layer.trainable


def test_fine_tune_all_trains_every_block_but_keeps_batch_norm(zoo, small_task):
    pretrained_blocks = {block.name: block for block in backbone_of(zoo["deep-bn"]).layers}
    model = transfer_run(zoo, "deep-bn", small_task, "fine-tune-all").model
    for block in backbone_of(model).layers:
        convs = [layer for layer in block.layers if layer.__class__.__name__ == "Conv2D"]
        reference = {layer.name: layer for layer in pretrained_blocks[block.name].layers}
        assert any(not same(weights_of(c), weights_of(reference[c.name])) for c in convs), block.name
        for bn in _batch_norm_layers(block):
            assert same(weights_of(bn), weights_of(reference[bn.name])), bn.name  # gamma, beta, mean, variance


def _batch_norm_layers(block):
    return [layer for layer in block.layers if layer.__class__.__name__ == "BatchNormalization"]


def test_curves_have_one_point_per_epoch_and_a_running_clock(zoo, small_task):
    result = compare(zoo["compact-gap"], "compact-gap", small_task, TrainSettings(epochs=5))
    for run in (result.transfer, result.scratch):
        assert [record.epoch for record in run.curve] == [1, 2, 3, 4, 5]
        seconds = [record.seconds for record in run.curve]
        assert seconds == sorted(seconds) and seconds[0] > 0
        assert all(0.0 <= record.eval_accuracy <= 1.0 for record in run.curve)
    assert result.eval_size == len(small_task.x_eval)


def test_a_run_is_deterministic_for_a_seed(zoo, small_task):
    def curves(seed):
        result = compare(zoo["compact-gap"], "compact-gap", small_task, TrainSettings(epochs=3, seed=seed))
        return [(r.loss, r.eval_accuracy) for run in (result.transfer, result.scratch) for r in run.curve]

    first = curves(1)
    assert curves(1) == first
    assert curves(2) != first


def test_training_can_be_cancelled_between_epochs(zoo, small_task):
    seen = []
    result = compare(
        zoo["compact-gap"],
        "compact-gap",
        small_task,
        TrainSettings(epochs=10, strategy="fine-tune-top"),
        progress=lambda which, record: seen.append((which, record.epoch)),
        should_stop=lambda: len(seen) >= 2,
    )
    assert result.transfer.cancelled and len(result.transfer.curve) == 2
    assert result.scratch.cancelled and not result.scratch.curve  # scratch never started
    assert seen == [("transfer", 1), ("transfer", 2)]


def test_transfer_beats_scratch_with_one_sample_per_class(zoo):
    """The demo's claim, on hiragana with one rendered sample per class and the default settings."""
    task = charset_task("hiragana", 1, seed=0, eval_per_class=5)
    result = compare(zoo["compact-gap"], "compact-gap", task, TrainSettings())
    assert result.transfer.final_accuracy >= result.scratch.final_accuracy + 0.3
    assert result.transfer.seconds < result.scratch.seconds


def test_compare_command_saves_models_that_predict_in_label_order(tmp_path):
    command = [
        sys.executable,
        "-m",
        "tl_core",
        "compare",
        "--charset",
        "kanji-numerals",
        "--shots",
        "2",
        "--epochs",
        "4",
        "--save-dir",
        str(tmp_path),
        "--json",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["labels"] == list("一二三四五六七八九十") and summary["strategy"] == "feature-extraction"
    assert len(summary["transfer"]["eval_accuracy"]) == len(summary["scratch"]["eval_accuracy"]) == 4
    assert summary["eval_size"] == 100

    task = charset_task("kanji-numerals", 2, seed=0)
    from tl_core.backend import keras

    for which in ("transfer", "scratch"):
        model = keras().models.load_model(tmp_path / f"{which}.keras", compile=False)
        probabilities = np.asarray(model(task.x_eval[..., None]))
        assert probabilities.shape == (100, 10)
        accuracy = float(np.mean(probabilities.argmax(axis=1) == task.y_eval))
        assert math.isclose(accuracy, summary[which]["eval_accuracy"][-1], abs_tol=1e-9), which


def test_settings_are_clamped_to_documented_limits():
    wild = TrainSettings(
        epochs=10**6,
        head_learning_rate=float("nan"),
        scratch_learning_rate=-1.0,
        augment_copies=-3,
        batch_size=0,
        seed=-5,
    ).clamped()
    assert wild.epochs == 200 and wild.head_learning_rate == TrainSettings().head_learning_rate
    assert wild.scratch_learning_rate == 1e-5 and wild.augment_copies == 0 and wild.batch_size == 4
    assert wild.seed == 0
    with pytest.raises(ValueError, match="Unknown strategy"):
        TrainSettings(strategy="magic").clamped()


def test_tasks_need_two_classes_and_a_sample_in_each():
    with pytest.raises(TaskError, match="at least two classes"):
        check_trainable(np.zeros(3, int), ["only"])
    with pytest.raises(TaskError, match="none yet for: b"):
        check_trainable(np.array([0, 0, 2]), ["a", "b", "c"])


def test_a_small_held_out_split_comes_with_a_warning():
    y = np.repeat(np.arange(3), 4)
    task = held_out_task(np.zeros((12, 28, 28), np.float32), y, ["a", "b", "c"], seed=0)
    assert len(task.y_eval) == 3 and len(task.y_train) == 9
    assert set(task.y_eval) == {0, 1, 2}
    assert task.warning and "says little" in task.warning
    big = held_out_task(np.zeros((60, 28, 28), np.float32), np.repeat(np.arange(3), 20), ["a", "b", "c"])
    assert big.warning is None and len(big.y_eval) == 15


def test_a_seed_gives_the_same_curves_while_other_threads_build_models(zoo, small_task):
    """A classroom server loads and builds models on page threads while a training thread seeds and builds
    its own; the shared Keras generator must not let them change each other's initial weights."""
    import threading

    from tl_core.inside.feature_space import random_backbone
    from tl_core.models.model_io import model_from_bytes, model_to_bytes

    settings = TrainSettings(strategy="fine-tune-top", epochs=2, seed=11)
    alone = compare(zoo["compact-gap"], "compact-gap", small_task, settings)
    saved = model_to_bytes(alone.scratch.model)
    stop = threading.Event()

    def page_threads():
        while not stop.is_set():
            model_from_bytes(saved)
            random_backbone("lenet5", seed=1)

    others = [threading.Thread(target=page_threads, daemon=True) for _ in range(2)]
    for thread in others:
        thread.start()
    try:
        busy = [compare(zoo["compact-gap"], "compact-gap", small_task, settings) for _ in range(2)]
    finally:
        stop.set()
        for thread in others:
            thread.join()
    for result in busy:
        for which in ("transfer", "scratch"):
            assert [r.loss for r in getattr(result, which).curve] == [r.loss for r in getattr(alone, which).curve]


def test_two_class_feature_extraction_gives_a_two_way_softmax_that_agrees_with_its_curve(zoo):
    """scikit-learn keeps one logistic unit for two classes; the Keras head must still give both classes."""
    task = charset_task("kanji-numerals", 3, seed=2)
    two = np.isin(task.y_train, [0, 1])
    keep = np.isin(task.y_eval, [0, 1])
    task = replace(
        task,
        labels=task.labels[:2],
        x_train=task.x_train[two],
        y_train=task.y_train[two],
        x_eval=task.x_eval[keep],
        y_eval=task.y_eval[keep],
    )
    settings = TrainSettings(epochs=3).clamped()
    result = train_transfer(zoo["compact-gap"], "compact-gap", RunInputs(task, epoch_plan(task, settings), settings))
    probabilities = result.model.predict(task.x_eval[..., None], verbose=0)
    assert probabilities.shape == (len(task.x_eval), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    accuracy = np.mean(probabilities.argmax(axis=1) == task.y_eval)
    assert accuracy == pytest.approx(result.final_accuracy)  # the Keras model is the classifier that was measured
