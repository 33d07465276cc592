"""Small typed results for tests that read a comparison or a sweep: only what the test is about is given."""

from __future__ import annotations

from tl_core.training.results import ComparisonSummary, ModelCurves, SweepCurve, SweepSummary


def curves(eval_accuracy, epoch_seconds, train_accuracy=(), loss=()) -> ModelCurves:
    """One model's curves; its training time is the last epoch's."""
    seconds = epoch_seconds[-1] if len(epoch_seconds) else 0.0
    return ModelCurves(tuple(eval_accuracy), tuple(train_accuracy), tuple(loss), tuple(epoch_seconds), seconds)


def comparison(transfer: ModelCurves, scratch: ModelCurves, labels=("a", "b"), **details) -> ComparisonSummary:
    """A comparison of these two curves (one epoch per point), with any kept `details` (confusion, misread...)."""
    kept = dict(eval_size=100, eval_source="test renders", strategy="fine-tune-top", epochs=len(transfer.eval_accuracy))
    return ComparisonSummary(tuple(labels), **(kept | details), seed=0, transfer=transfer, scratch=scratch)


def sweep(shots, transfer_mean, scratch_mean) -> SweepSummary:
    """A one-seed sweep with these mean accuracies."""

    def one_seed(mean) -> SweepCurve:
        return SweepCurve(tuple(mean), tuple(mean), tuple(mean), tuple((value,) for value in mean))

    return SweepSummary(tuple(shots), one_seed(transfer_mean), one_seed(scratch_mean), seeds=1)
