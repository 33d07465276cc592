"""A training run as a workspace keeps it: the two models of a comparison, and the summary, which the parts
above storage type (tl_core.training.results) and the workspace keeps as JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

# The two models of a comparison, in the order pages show them; declared here, the lowest part that needs them
# (each has its own model column in the `runs` table).
COMPARISON_MODELS = ("transfer", "scratch")


class KeptAsJson(Protocol):
    """A typed run summary (tl_core.training.results) that knows how it is kept: the JSON it becomes."""

    def to_json(self) -> dict: ...


Summary = TypeVar("Summary")


@dataclass(frozen=True)
class KeptRun(Generic[Summary]):
    """A training run kept with a workspace."""

    id: int
    kind: str  # "comparison", "sweep", "lesson", "lesson-sweep", "personal"
    summary: Summary  # its numbers: the stored JSON, or what the `read` given to `latest_run` made of it
