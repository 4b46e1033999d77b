"""The blank letters of every pack (with placeholders for debtor data), and what printing them would refuse."""

from __future__ import annotations

from pathlib import Path

from cgvkit.core.errors import KitError
from cgvkit.documents.formats import write_rendered
from cgvkit.documents.letters import blank_context, render_stage
from cgvkit.model.ladder import ladder_for


def _stages(project, company) -> list:
    """(stage, context maker) of every stage and document of the company's ladder, placeholders for
    debtor data; the ladder's own errors raise KitError."""
    ladder = ladder_for(company, project.root).for_market(company.market)
    following = {s.id: n for s, n in zip(ladder.stages, ladder.stages[1:], strict=False)}  # the last stage: court comes next
    return [(stage, lambda html, s=stage: blank_context(company, s, html, following.get(s.id)))
            for stage in ladder.stages + ladder.documents]


def letter_problems(project, company) -> list:
    """What printing the company's letters would refuse, found by rendering them without writing:
    `validate` says what `pack` would say. The ladder, the templates and their `contains` marks were
    already resolved as the project loaded (model/letterchecks.py); this dry render finds what only the
    rendered text tells (an SMS made too long by a company field, a name the context lacks)."""
    try:
        stages = _stages(project, company)
    except KitError as exc:
        return list(exc.problems)
    problems = []
    for stage, make in stages:
        try:
            render_stage(project.root, stage, make)
        except KitError as exc:
            problems.extend(exc.problems)
    return problems


def write_blank_letters(project, company, folder: Path) -> int:
    """`letters/<stage>.html|.pdf|.txt` with placeholders for debtor data (part of every pack)."""
    pages = 0
    for stage, make in _stages(project, company):
        outputs = render_stage(project.root, stage, make)
        pages += write_rendered(project, outputs, folder / "letters" / stage.id, company.effective_date)[0]
    return pages
