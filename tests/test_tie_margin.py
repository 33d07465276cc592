"""Did transfer help? One margin decides it everywhere: two accuracies less than TIE_MARGIN apart are a tie, so the
comparison's summary sentence and the lesson's verdict never disagree about a run. Fast: plain numbers."""

import pytest

from tests.summaries import comparison, curves
from tl_core.classroom.lesson import verdict
from tl_core.training.evaluation import better_worse_or_tie, describe
from tl_core.training.results import ComparisonSummary


@pytest.mark.parametrize(
    "accuracy, against, expected",
    [(0.9, 0.6, "better"), (0.97, 0.96, "tie"), (0.96, 0.97, "tie"), (0.93, 0.96, "worse"), (0.5, 0.5, "tie")],
)
def test_a_gap_smaller_than_the_margin_is_a_tie(accuracy, against, expected):
    assert better_worse_or_tie(accuracy, against) == expected


def test_a_gap_of_exactly_the_margin_is_not_a_tie():
    # Quarters are exact in binary, so these gaps are exactly the margin.
    assert better_worse_or_tie(0.75, 0.5, margin=0.25) == "better"
    assert better_worse_or_tie(0.25, 0.5, margin=0.25) == "worse"
    assert better_worse_or_tie(0.625, 0.5, margin=0.25) == "tie"


def one_epoch(transfer: float, scratch: float) -> ComparisonSummary:
    return comparison(curves([transfer], [1.0]), curves([scratch], [2.0]))


@pytest.mark.parametrize("samples", [50, 100])  # where one or two samples are exactly 2 points
def test_the_summary_and_the_verdict_agree_on_every_run(samples):
    for right_by_transfer in range(samples + 1):
        for right_by_scratch in range(samples + 1):
            summary = one_epoch(right_by_transfer / samples, right_by_scratch / samples)
            helped = verdict(summary).startswith("Transfer helped")
            assert helped == ("did not buy accuracy" not in describe(summary)), (right_by_transfer, right_by_scratch)
