"""Take it home: the fine-tuned model, both curves, its model card and the workspace, one click each.

Every file is produced only when its button is clicked (lazy `data`), so showing the buttons costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from tl_core.storage.exchange import export_workspace
from tl_core.storage.export import card_markdown, curves_csv, fine_tuned_card
from tl_core.storage.workspace import Workspace
from tl_core.training.results import ComparisonSummary


@dataclass(frozen=True)
class _File:
    label: str
    data: Callable[[], bytes | str]  # made only when its button is clicked
    file_name: str
    mime: str
    key: str  # the button's key, after the section's own
    icon: str
    help: str | None = None


def downloads(
    key: str, workspace: Workspace, run_id: int, summary: ComparisonSummary, with_workspace: bool = True
) -> None:
    stem = f"{summary.model}-{summary.charset or workspace.name}-run{run_id}"
    kept = summary.to_json()  # the exports' input: the comparison as it is kept
    files = [
        _File(
            "Model (.keras)",
            lambda: workspace.run_models(run_id)["transfer"],
            f"{stem}-transfer.keras",
            "application/octet-stream",
            "model",
            ":material/download:",
            help="Keras 3 format; load with keras.models.load_model(path, compile=False). Output i is labels[i] "
            "of the model card.",
        ),
        _File(
            "Model card (.md)",
            lambda: card_markdown(fine_tuned_card(kept)),
            f"{stem}-card.md",
            "text/markdown",
            "card",
            ":material/description:",
        ),
        _File(
            "Model card (.json)",
            lambda: json.dumps(fine_tuned_card(kept), indent=2, ensure_ascii=False),
            f"{stem}-card.json",
            "application/json",
            "card_json",
            ":material/data_object:",
        ),
        _File(
            "Curves (.csv)", lambda: curves_csv(kept), f"{stem}-curves.csv", "text/csv", "curves", ":material/table:"
        ),
    ]
    if with_workspace:
        files.append(
            _File(
                "Workspace (.zip)",
                lambda: export_workspace(workspace),
                f"{workspace.name}.zip",
                "application/zip",
                "workspace",
                ":material/folder_zip:",
            )
        )
    # One wrapping row of buttons at their natural width: five columns cut the labels on a tablet.
    row = st.container(horizontal=True, gap="small")
    for file in files:
        row.download_button(
            file.label,
            data=file.data,
            file_name=file.file_name,
            mime=file.mime,
            key=f"{key}_{file.key}",
            on_click="ignore",
            icon=file.icon,
            help=file.help,
        )
