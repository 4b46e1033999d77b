"""`validate` renders every clause: each variant for an example company of each of its markets,
and each company's whole CGV; render errors and the rules of law on the rendered text are
reported where a lawyer fixes them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date

from cgvkit.core.errors import Problem
from cgvkit.law import rules
from cgvkit.law.rates import half_year_of
from cgvkit.law.textrules import check_texts
from cgvkit.model.clausetext import ClauseRenderError, render_text
from cgvkit.model.company import Company, ResolvedClause
from cgvkit.model.library import Family, Variant
from cgvkit.model.preview import NO_FILE, Examples, sample_company
from cgvkit.sources.yamlsource import Path_

# (market, family, the CGV's numbering) → that family's text in the example company, None if it fails
_Memo = dict[tuple[str, str, tuple[tuple[str, int], ...]], str | None]


def rendered(company: Company) -> tuple[dict[str, str], list[Problem]]:
    """Every clause text of the company (family → text) and the render errors."""
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for clause in company.clauses:
        try:
            texts[clause.family.name] = render_text(company, clause)
        except ClauseRenderError as exc:
            problems.append(exc.problem)
    return texts, problems


def _figures(company: Company) -> dict[str, dict[str, object]]:
    mediation = company.clause("mediation")
    withdrawal = company.clause("withdrawal")
    return {"mediation": dict(mediation.params) if mediation else {},
            "withdrawal": {"variant": withdrawal.variant.name, **withdrawal.params} if withdrawal else {}}


def company_problems(company: Company, known: Sequence[Problem] = (), today: date | None = None) -> list[Problem]:
    """The company's CGV as its customers read them, checked against the rules on text in force on
    their effective date or on `today` (the run date).

    Not while the profile has errors (in `known`): a clause left out by one of them would make
    the others fail to render, several messages for one mistake. They run once it is fixed.
    """
    if any(p.severity == "error" for p in known):
        return []
    texts, problems = rendered(company)
    days = (company.effective_date,) if today is None else (company.effective_date, today)
    for rule, family, message in check_texts(company.market, texts, _figures(company), days, company.effective_date):
        clause = company.clause(family)
        at = company.clause_path
        where = at + (family,) if family in company.written_clauses() else at
        shown = f" — variante {clause.variant.source.file}" if clause else ""
        problems.append(company.source.problem(where, message + shown, rule.id))
    return problems


def variant_problems(project: Examples) -> list[Problem]:
    """Each variant rendered with its defaults for an example company of each of its markets."""
    problems: list[Problem] = []
    others: _Memo = {}
    for family in project.library.ordered():
        for variant in sorted(family.variants.values(), key=lambda v: v.name):
            for market in variant.markets:
                problems.extend(_one_variant(project, family, variant, market, others))
    return list(dict.fromkeys(problems))


def _other_texts(example: Company, mine: ResolvedClause, memo: _Memo) -> dict[str, str]:
    """The texts of the example's clauses other than `mine`: the example company's own clauses,
    numbered around the family swapped in. The same numbering gives the same texts, so each is
    rendered once per market and numbering rather than once per variant (render errors are the
    company's own, reported by `company_problems`)."""
    layout = tuple((c.family.name, c.number) for c in example.clauses)
    texts: dict[str, str] = {}
    for clause in example.clauses:
        if clause is mine:
            texts[clause.family.name] = ""  # its place in the CGV: the caller puts its text there
            continue
        key = (example.market, clause.family.name, layout)
        if key not in memo:
            try:
                memo[key] = render_text(example, clause)
            except ClauseRenderError:
                memo[key] = None
        text = memo[key]
        if text is not None:
            texts[clause.family.name] = text
    return texts


def _one_variant(project: Examples, family: Family, variant: Variant, market: str, others: _Memo) -> list[Problem]:
    example, mine = sample_company(project, family, variant, market, keep_own=False)
    label = "entre professionnels" if market == "b2b" else "aux consommateurs"
    try:
        text = render_text(example, mine)
    except ClauseRenderError as exc:
        p = exc.problem
        message = p.message.replace(f"pour {example.slug}", f"avec les valeurs par défaut (CGV {label})")
        return [Problem(p.file, p.line, p.column, p.path, message, p.rule)]
    texts = _other_texts(example, mine, others)
    texts[family.name] = text
    found = []
    # Defaults are judged by the law of the run date (else of the rate table's last half-year).
    latest = project.table.last
    day = project.today or (latest.start if latest else example.effective_date)
    for rule, blamed, message in check_texts(market, texts, _figures(example), (day,)):
        if blamed == family.name:  # a mention another family must carry is that family's error
            found.append(variant.source.problem(("text",), f"{message} — avec les valeurs par défaut, CGV {label}",
                                                rule.id))
    # The rates too: the run date's half-year when the table has it, else its last one.
    rates = (project.table.get(half_year_of(day)) if project.today else None) or latest
    as_of = dataclasses.replace(example, rates=rates, effective_date=day) if latest else example
    found.extend(_defaults_against_the_law(as_of, family, variant))
    return found


def _defaults_against_the_law(example: Company, family: Family, variant: Variant) -> list[Problem]:
    """A default value that breaks a rule of law is the variant's error, before any company uses it."""
    if example.source is NO_FILE:  # no company in the project: nothing of its own to judge
        return []
    found = []
    for problem in rules.check_company(example):
        path = problem.path.split(".")
        if problem.severity != "error" or path[:2] != ["clauses", family.name]:
            continue
        name = path[2] if len(path) > 2 else None
        where: Path_
        if name is not None and name in variant.parameters and variant.parameters[name].has_default:
            where = ("parameters", name, "default")
        elif name is None and variant.defaults():
            where = ("parameters",)
        else:
            continue
        message = problem.message.split(" — ")[0]
        # A rate floor moves every half-year: a warning for the variant, an error for each company.
        severity = "warning" if problem.rule.startswith("penalty-") else "error"
        found.append(variant.source.problem(where, f"valeur par défaut contraire à la loi : {message}", problem.rule,
                                            severity))
    return found
