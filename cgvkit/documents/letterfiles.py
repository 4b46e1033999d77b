"""The blank letters of every pack (with placeholders for debtor data), written in their formats."""

from __future__ import annotations

from pathlib import Path

from cgvkit.documents.formats import write_rendered
from cgvkit.model.letters import blank_stages, render_stage


def write_blank_letters(project, company, folder: Path) -> int:
    """`letters/<stage>.html|.pdf|.txt` with placeholders for debtor data (part of every pack)."""
    pages = 0
    for stage, make in blank_stages(project.root, company):
        outputs = render_stage(project.root, stage, make)
        pages += write_rendered(project, outputs, folder / "letters" / stage.id, company.effective_date)[0]
    return pages
