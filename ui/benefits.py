"""The three promises of transfer learning, as metrics read off a kept lesson run (tl_core.classroom.lesson)."""

from __future__ import annotations

from tl_core.classroom.lesson import labels_needed, speed_and_accuracy
from tl_core.training.results import ComparisonSummary, SweepSummary


def faster_and_better(faster, better, summary: ComparisonSummary) -> None:
    """Speed-up and accuracy gain of a comparison, in two columns."""
    numbers = speed_and_accuracy(summary)
    if numbers.speedup:
        faster.metric(
            "Faster",
            f"{numbers.speedup:.1f}x",
            help="Scratch's whole training time, divided by the time transfer took to reach scratch's final accuracy.",
        )
        faster.caption(
            f"Transfer reached scratch's final {numbers.scratch_final:.0%} after "
            f"{numbers.transfer_seconds_to_match:.1f} s; scratch took {numbers.scratch_seconds:.1f} s."
        )
    else:
        faster.metric("Faster", "no")
        faster.caption(f"Transfer never reached scratch's final {numbers.scratch_final:.0%}.")
    better.metric(
        "Better", f"{numbers.transfer_final:.0%}", f"{percentage_points(numbers.accuracy_gain)} against scratch"
    )
    better.caption(
        f"After {summary.epochs} epochs, on {summary.eval_source}: transfer {numbers.transfer_final:.0%}, "
        f"scratch {numbers.scratch_final:.0%}."
    )


def percentage_points(gain: float) -> str:
    """A difference of two accuracies in percentage points: 90% against 70% is "+20 percentage points", which
    "+20%" would misstate (that reads as 20% more, i.e. 84%)."""
    value = int(round(gain * 100))
    return f"{value:+d} percentage point{'' if abs(value) == 1 else 's'}"


def fewer_labels(column, sweep: SweepSummary) -> None:
    """How many samples per class scratch needed to match transfer with the fewest, from a labels check."""
    need = labels_needed(sweep)
    fewest, matched = need.fewest_shots, need.scratch_shots_to_match
    if matched is None:
        column.metric("Fewer labels", f">{need.largest_shots / fewest:.0f}x", help="per class, against scratch")
        column.caption(
            f"With {fewest} per class transfer reads {need.transfer_accuracy:.0%}; scratch stays below that "
            f"even with {need.largest_shots} per class ({need.scratch_at_largest:.0%})."
        )
    else:
        ratio = matched / fewest
        column.metric("Fewer labels", f"{ratio:.0f}x" if ratio > 1 else "no")
        column.caption(
            f"Transfer with {fewest} per class: {need.transfer_accuracy:.0%}; scratch needed {matched} per class "
            "to match it."
        )
