"""Kept results are typed inside the app and JSON only at the edges: a summary survives the round trip through the
workspace, runs kept by older versions (fewer fields) still load, and `compare --json` keeps its key order."""

from dataclasses import replace

import pytest

from tl_core.storage.workspace import WorkspaceStore
from tl_core.training.results import ComparisonSummary, ModelCurves, SweepSummary

# A comparison as an older version kept it: no training curves, evaluation time, `cancelled`, title or misread list.
OLD_COMPARISON = {
    "labels": ["a", "b"],
    "eval_size": 4,
    "eval_source": "a held-out split",
    "strategy": "fine-tune-top",
    "epochs": 2,
    "seed": 0,
    "model": "compact-gap",
    "warning": None,
    "train_size": 6,
    "transfer": {"eval_accuracy": [0.5, 0.75], "epoch_seconds": [0.1, 0.2], "seconds": 0.2},
    "scratch": {"eval_accuracy": [0.25, 0.5], "epoch_seconds": [0.3, 0.6], "seconds": 0.6},
    "confusion": {"transfer": [[2, 0], [1, 1]], "scratch": [[1, 1], [1, 1]]},
}
OLD_SWEEP = {
    "shots": [1, 2],
    "transfer": {"mean": [0.5, 0.7], "low": [0.4, 0.6], "high": [0.6, 0.8], "runs": [[0.4, 0.6], [0.6, 0.8]]},
    "scratch": {"mean": [0.2, 0.4], "low": [0.2, 0.4], "high": [0.2, 0.4], "runs": [[0.2, 0.2], [0.4, 0.4]]},
}


@pytest.fixture
def workspace(tmp_path):
    return WorkspaceStore(tmp_path / "workspaces.sqlite3").workspace("w")


def test_a_run_kept_by_an_older_version_still_loads(workspace):
    workspace.save_run("comparison", OLD_COMPARISON)
    kept = workspace.latest_run("comparison", ComparisonSummary.from_json)
    summary = kept.summary
    assert (
        kept.kind == "comparison" and summary.labels == ("a", "b") and summary.curves("scratch").final_accuracy == 0.5
    )
    assert summary.transfer.train_accuracy == () and summary.transfer.eval_seconds is None
    assert summary.misread is None and summary.model_title is None and summary.lesson is None
    assert summary.confusion["transfer"] == [[2, 0], [1, 1]]


def test_a_summary_comes_back_from_the_workspace_as_it_was_saved(workspace):
    summary = replace(
        ComparisonSummary.from_json(OLD_COMPARISON),
        transfer=ModelCurves((0.5, 0.75), (0.6, 0.9), (1.1, 0.4), (0.1, 0.2), 0.2, eval_seconds=0.05),
        model_title="Compact CNN",
        misread={"transfer": [[3, 0]], "scratch": None},
        lesson_key="a=1",
        lesson={"a": "1"},
        shots=3,
    )
    workspace.save_run("lesson", summary)
    assert workspace.latest_run_with("lesson", "lesson_key", "a=1", ComparisonSummary.from_json).summary == summary
    assert workspace.latest_run_with("lesson", "lesson_key", "b=2", ComparisonSummary.from_json) is None


def test_the_json_keeps_the_compare_contract_order_and_leaves_out_what_was_not_recorded():
    numbers = replace(ComparisonSummary.from_json(OLD_COMPARISON), model=None, train_size=None, confusion=None)
    kept = numbers.to_json()
    assert list(kept) == ["labels", "eval_size", "eval_source", "strategy", "epochs", "seed", "scratch", "transfer"]
    assert list(kept["transfer"]) == [
        "eval_accuracy",
        "train_accuracy",
        "loss",
        "epoch_seconds",
        "seconds",
        "eval_seconds",
        "cancelled",
    ]


def test_only_the_two_models_of_a_comparison_are_named():
    with pytest.raises(ValueError):
        ComparisonSummary.from_json(OLD_COMPARISON).curves("digit")


def test_a_sweep_kept_before_seeds_were_recorded_counts_them_and_round_trips(workspace):
    workspace.save_run("sweep", OLD_SWEEP)
    sweep = workspace.latest_run("sweep", SweepSummary.from_json).summary
    assert sweep.seeds_per_point == 2 and sweep.shots == (1, 2) and not sweep.cancelled
    assert sweep.curve("transfer").runs == ((0.4, 0.6), (0.6, 0.8))
    kept = replace(sweep, seeds=2, model_title="Compact CNN", epochs=10)
    workspace.save_run("sweep", kept)
    assert workspace.latest_run("sweep", SweepSummary.from_json).summary == kept


def test_without_a_reader_a_run_comes_back_as_its_stored_json(workspace):
    run_id = workspace.save_run("personal", {"model": "mlp", "evaluation": {}})
    kept = workspace.latest_run("personal")
    assert (kept.id, kept.kind, kept.summary) == (run_id, "personal", {"model": "mlp", "evaluation": {}})
