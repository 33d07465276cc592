"""`python -m tl_core pretrain` regenerates a model and a card whose numbers it measured."""

import json
import subprocess
import sys

import pytest

from tl_core.models.pretrain import accuracy, sha256_of
from tl_core.models.zoo import load_model

pytestmark = pytest.mark.slow


def test_pretrain_command_writes_a_model_and_an_honest_card(tmp_path, mnist):
    command = [
        sys.executable,
        "-m",
        "tl_core",
        "pretrain",
        "--model",
        "lenet5",
        "--epochs",
        "3",
        "--train-limit",
        "1000",
        "--out-dir",
        str(tmp_path),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "epoch 3/3" in result.stdout

    card = json.loads((tmp_path / "lenet5.json").read_text())
    assert card["sha256"] == sha256_of(tmp_path / "lenet5.keras")
    assert card["epochs"] == 3 and card["training_data"]["train_size"] == 1000
    assert card["command"] == "python -m tl_core pretrain --model lenet5 --epochs 3 --train-limit 1000"
    model = load_model("lenet5", models_dir=tmp_path)
    assert accuracy(model, mnist.x_heldout, mnist.y_heldout) == pytest.approx(card["heldout_accuracy"], abs=1e-9)
    # Three epochs on 1,000 digits learn something real, far above chance (10%).
    assert card["heldout_accuracy"] > 0.5


def test_pretrain_rejects_an_unknown_model(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tl_core", "pretrain", "--model", "resnet", "--out-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Unknown model" in result.stderr
    assert not list(tmp_path.iterdir())
