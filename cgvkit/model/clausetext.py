"""Clause texts rendered for one company in the clause sandbox (see core/templating.py)."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from jinja2 import TemplateError, UndefinedError

from cgvkit.core.errors import Problem
from cgvkit.core.french import typography
from cgvkit.core.templating import CLAUSE_ENV
from cgvkit.model.textnames import french


def clause_context(company, clause) -> dict:
    """What a clause text may use: its parameters, the company's identity, articles, rates."""
    articles = company.articles

    def article(family: str) -> int:
        if family not in articles:
            raise UndefinedError(f"la famille « {family} » n’est pas dans ces CGV")
        return articles[family]

    return {**clause.params, "company": company.identity, "market": company.market, "rates": company.rates,
            "article": article, "has": lambda family: family in articles}


def render_text(company, clause) -> str:
    """The clause text for this company, as plain text; errors located in the clause file."""
    variant = clause.variant
    try:
        text = _compiled(variant.text).render(clause_context(company, clause))
    except TemplateError as exc:
        line = variant.text_line() + (getattr(exc, "lineno", None) or 1) - 1
        raise ClauseRenderError(Problem(variant.source.file, line, 1, "text",
                                        f"le texte ne peut pas être rendu pour {company.slug} : "
                                        f"{french(str(exc), runtime=True)}", "clause-text-render")) from None
    return typography(text.strip())


@lru_cache(maxsize=1024)
def _compiled(text: str):
    """Each clause text compiled once per process: validate renders every variant many times."""
    return CLAUSE_ENV.from_string(text)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ClauseRenderError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))
