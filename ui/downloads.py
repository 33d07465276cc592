"""Take it home: the fine-tuned model, both curves, its model card and the workspace, one click each.

Every file is produced only when its button is clicked (lazy `data`), so showing the buttons costs nothing.
"""

from __future__ import annotations

import json

import streamlit as st

from tl_core.storage.exchange import export_workspace
from tl_core.storage.export import card_markdown, curves_csv, fine_tuned_card
from tl_core.storage.workspace import Workspace
from tl_core.training.results import ComparisonSummary


def downloads(
    key: str, workspace: Workspace, run_id: int, summary: ComparisonSummary, with_workspace: bool = True
) -> None:
    stem = f"{summary.model}-{summary.charset or workspace.name}-run{run_id}"
    kept = summary.to_json()  # the exports' input: the comparison as it is kept
    # One wrapping row of buttons at their natural width: five columns cut the labels on a tablet.
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        "Model (.keras)",
        data=lambda: workspace.run_models(run_id)["transfer"],
        file_name=f"{stem}-transfer.keras",
        mime="application/octet-stream",
        key=f"{key}_model",
        on_click="ignore",
        icon=":material/download:",
        help="Keras 3 format; load with keras.models.load_model(path, compile=False). Output i is labels[i] "
        "of the model card.",
    )
    row.download_button(
        "Model card (.md)",
        data=lambda: card_markdown(fine_tuned_card(kept)),
        file_name=f"{stem}-card.md",
        mime="text/markdown",
        key=f"{key}_card",
        on_click="ignore",
        icon=":material/description:",
    )
    row.download_button(
        "Model card (.json)",
        data=lambda: json.dumps(fine_tuned_card(kept), indent=2, ensure_ascii=False),
        file_name=f"{stem}-card.json",
        mime="application/json",
        key=f"{key}_card_json",
        on_click="ignore",
        icon=":material/data_object:",
    )
    row.download_button(
        "Curves (.csv)",
        data=lambda: curves_csv(kept),
        file_name=f"{stem}-curves.csv",
        mime="text/csv",
        key=f"{key}_curves",
        on_click="ignore",
        icon=":material/table:",
    )
    if with_workspace:
        row.download_button(
            "Workspace (.zip)",
            data=lambda: export_workspace(workspace),
            file_name=f"{workspace.name}.zip",
            mime="application/zip",
            key=f"{key}_workspace",
            on_click="ignore",
            icon=":material/folder_zip:",
        )
