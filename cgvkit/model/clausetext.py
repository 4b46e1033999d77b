"""Clause texts rendered for one company in the clause sandbox (see core/templating.py)."""

from __future__ import annotations

import hashlib

from jinja2 import Template, UndefinedError

from cgvkit.core.errors import Problem
from cgvkit.core.french import typography
from cgvkit.core.memo import by_text
from cgvkit.core.templating import CLAUSE_ENV, MAX_TEXT, frozen
from cgvkit.model.company import Company, ResolvedClause
from cgvkit.model.textnames import french


def clause_context(company: Company, clause: ResolvedClause) -> dict[str, object]:
    """What a clause text may use: its parameters, the company's identity, articles, rates.

    Every value is a read-only copy: a text cannot change what the CGV and the letters print.
    """
    articles = company.articles

    def article(family: str) -> int:
        if family not in articles:
            raise UndefinedError(f"la famille « {family} » n’est pas dans ces CGV")
        return articles[family]

    def has(family: str) -> bool:
        return family in articles

    return {**frozen(clause.params), "company": frozen(company.identity), "market": company.market,
            "rates": company.rates, "article": article, "has": has}


def render_text(company: Company, clause: ResolvedClause) -> str:
    """The clause text for this company, as plain text; errors located in the clause file."""
    variant = clause.variant
    try:
        text = _compiled(variant.text).render(clause_context(company, clause))
        if len(text) > MAX_TEXT:
            raise ValueError(f"le texte rendu fait {len(text)} caractères, au-delà de la limite de {MAX_TEXT}")
    except Exception as exc:  # noqa: BLE001 - a lawyer's text: any failure is a located error, never a traceback
        line = variant.text_line() + (getattr(exc, "lineno", None) or 1) - 1
        raise ClauseRenderError(Problem(variant.source.file, line, 1, "text", typography(
            f"le texte ne peut pas être rendu pour {company.slug} : {french(str(exc), runtime=True)}"),
            "clause-text-render")) from None
    return typography(text.strip())


@by_text()
def _compiled(text: str) -> Template:
    """Each clause text compiled once per process: validate renders every variant many times."""
    return CLAUSE_ENV.from_string(text)



def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ClauseRenderError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))
