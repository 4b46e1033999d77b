"""Clause texts: rendered in a Jinja2 sandbox, then laid out as safe HTML blocks.

A clause text is plain French prose written by a lawyer: blank lines separate paragraphs,
lines starting with "- " are list items. Rendering happens in two steps so that values
from profiles stay data: the sandbox fills in parameters (no autoescape, output is text),
then `blocks()` escapes the whole text before adding the only markup we allow.
"""

from __future__ import annotations

import hashlib

from jinja2 import StrictUndefined, TemplateError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from ..errors import Problem
from .french import FILTERS, typography

CLAUSE_ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
CLAUSE_ENV.filters.update(FILTERS)


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
        text = CLAUSE_ENV.from_string(variant.text).render(clause_context(company, clause))
    except TemplateError as exc:
        line = variant.text_line() + (getattr(exc, "lineno", None) or 1) - 1
        raise ClauseRenderError(Problem(variant.source.file, line, 1, "text",
                                        f"le texte ne peut pas être rendu pour {company.slug} : {exc}",
                                        "clause-text-render")) from None
    return typography(text.strip())


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def blocks(text: str) -> Markup:
    """Paragraphs and bullet lists as HTML; everything else escaped."""
    html = []
    for chunk in (c for c in text.split("\n\n") if c.strip()):
        lines = [line.strip() for line in chunk.strip().splitlines()]
        items = [line[2:] for line in lines if line.startswith("- ")]
        if items and len(items) == len(lines):
            html.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        elif items:  # a lead-in paragraph followed by a list
            lead = [escape(line) for line in lines if not line.startswith("- ")]
            html.append(f"<p>{' '.join(lead)}</p>")
            html.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>")
        else:
            html.append(f"<p>{escape(' '.join(lines))}</p>")
    return Markup("\n".join(html))


class ClauseRenderError(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))
