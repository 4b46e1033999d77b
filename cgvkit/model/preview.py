"""A variant's text for an example company: what the site previews, `diff` compares and
`validate` checks, with example values for parameters that have no default."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from cgvkit.law.rates import RateTable
from cgvkit.model.clausetext import render_text
from cgvkit.model.company import OPTIONAL_IDENTITY, Company, ResolvedClause
from cgvkit.model.library import Family, Library, Parameter, Variant
from cgvkit.sources.yamlsource import Source

# The example company of a project without companies comes from no file: what its values would
# break is its variant's problem (textchecks.py), never located in this source.
NO_FILE = Source("(entreprise d’exemple)", None)


class Examples(Protocol):
    """What previews read of a project (model/project.py's Project, which imports this module)."""

    @property
    def companies(self) -> Sequence[Company]: ...
    @property
    def library(self) -> Library: ...
    @property
    def table(self) -> RateTable: ...
    @property
    def today(self) -> date | None: ...


def placeholder(param: Parameter, company: Company) -> object:
    """An example value for a parameter without default, within its bounds."""
    if param.allowed:
        return param.allowed[0]
    if param.type in ("integer", "number"):
        value = 30 if param.type == "integer" else Decimal(10)
        if param.min is not None:
            value = max(value, param.min)
        if param.max is not None:
            value = min(value, param.max)
        return value
    if param.type == "boolean":
        return False
    if param.type == "date":
        return company.effective_date
    return f"[{param.description}]"


def example_company(project: Examples, market: str) -> Company:
    """An example profile of the market, or a placeholder company with the default variant of
    every family of the market when the project has none."""
    found = next((v for c in project.companies for v in c.views.values() if v.market == market), None)
    if found is not None:
        return found
    identity = {**dict.fromkeys(OPTIONAL_IDENTITY, ""), "name": "[Raison sociale]", "legal_form": "[forme]",
                "capital": 0, "siren": "[SIREN]", "rcs": "[ville du RCS]", "email": "[courriel]",
                "phone": "[téléphone]", "address": {"street": "[rue]", "postal_code": "[code postal]",
                                                    "city": "[ville]"}}
    last = project.table.last  # schemas/rates.yaml: at least one half-year
    company = Company("exemple", Path(NO_FILE.file), NO_FILE, identity, market, last.start, {}, [], last)
    clauses = []
    for family in project.library.ordered():
        variant = family.variants.get(family.default.get(market, ""))
        if market in family.required and variant is not None:
            params = {name: placeholder(p, company) for name, p in variant.parameters.items()}
            params.update(variant.defaults())
            clauses.append(ResolvedClause(family, variant, params))
    company.clauses = [dataclasses.replace(c, number=i) for i, c in enumerate(clauses, start=1)]
    return company


def preview_market(project: Examples, variant: Variant) -> str:
    """A market of the variant for which the project has a company, else its first market."""
    return next((m for m in variant.markets if any(m in c.views for c in project.companies)),
                variant.markets[0])


def sample_company(project: Examples, family: Family, variant: Variant, market: str,
                   keep_own: bool = True) -> tuple[Company, ResolvedClause]:
    """The project's example company of `market` with `variant` chosen for `family`: its values are
    the variant's defaults, example values for the others, and (with `keep_own`) the company's own
    values where it uses the family. Returns (company, the resolved clause of `family`)."""
    company = example_company(project, market)
    own = company.clause(family.name)
    params = {name: placeholder(p, company) for name, p in variant.parameters.items()}
    params.update(variant.defaults())
    if own is not None and keep_own:
        params.update({k: v for k, v in own.params.items() if k in variant.parameters})
    chosen = ResolvedClause(family, variant, params)
    clauses = [c for c in company.clauses if c.family.name != family.name] + [chosen]
    clauses.sort(key=lambda c: (c.family.order, c.family.name))
    copies = [dataclasses.replace(c, number=i) for i, c in enumerate(clauses, start=1)]
    example = dataclasses.replace(company, clauses=copies)
    return example, next(c for c in copies if c.family.name == family.name)


def sample_text(project: Examples, family: Family, variant: Variant, market: str) -> str:
    """The variant's text rendered for the project's example company of `market`, the company's
    own values kept where it uses the family; raises ClauseRenderError."""
    return render_text(*sample_company(project, family, variant, market))
