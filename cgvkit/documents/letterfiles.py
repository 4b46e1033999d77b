"""Writing letters: the blank templates of every pack, and the filled letters of a dunning run."""

from __future__ import annotations

from pathlib import Path

from cgvkit.documents.letters import blank_context, render_stage
from cgvkit.documents.pdf import write_document
from cgvkit.model.ladder import ladder_for


def write_rendered(project, outputs: list, stem: Path, when) -> tuple[int, list[Path]]:
    """Write one stage's documents next to `stem`; returns (PDF pages, files written)."""
    pages, written = 0, []
    stem.parent.mkdir(parents=True, exist_ok=True)
    for out in outputs:
        target = stem.parent / f"{stem.name}{out.suffix}"
        if out.kind == "html":
            pages += write_document(project, out.text, target, when)
            written += [target.with_name(target.name + ".html"), target.with_name(target.name + ".pdf")]
        else:
            path = target.with_name(target.name + ".txt")
            path.write_text(out.text, encoding="utf-8")
            written.append(path)
    return pages, written


def write_blank_letters(project, company, folder: Path) -> int:
    """`letters/<stage>.html|.pdf|.txt` with placeholders for debtor data (part of every pack)."""
    ladder = ladder_for(company, project.root).for_market(company.market)
    pages = 0
    following = {s.id: n for s, n in zip(ladder.stages, ladder.stages[1:], strict=False)}  # the last stage: court comes next
    for stage in ladder.stages + ladder.documents:
        outputs = render_stage(project.root, stage,
                               lambda html, s=stage: blank_context(company, s, html, following.get(s.id)))
        pages += write_rendered(project, outputs, folder / "letters" / stage.id, company.effective_date)[0]
    return pages
