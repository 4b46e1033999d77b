"""Pages of the clause library and of the rules of law, generated from clauses/ and rules.py."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from cgvkit.core.french import date_fr, number
from cgvkit.core.templating import blocks
from cgvkit.law import rules
from cgvkit.law.figures import MARKET_NAMES
from cgvkit.model.clausetext import ClauseRenderError
from cgvkit.model.preview import example_company, preview_market, sample_text
from cgvkit.site.articles import related
from cgvkit.sources.history import file_log

TYPES = {"integer": "nombre entier", "number": "nombre", "string": "texte", "boolean": "oui ou non",
         "date": "date", "enum": "choix dans une liste"}
SEVERITIES = {"error": "erreur", "warning": "avertissement"}


def value_fr(value) -> str:
    """A parameter value as staff read it."""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (int, float, Decimal)):
        return number(value)
    if hasattr(value, "isoformat"):
        return date_fr(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(value_fr(v) for v in value)
    return str(value)


def constraint_fr(param) -> str:
    parts = []
    if param.min is not None and param.max is not None:
        parts.append(f"de {value_fr(param.min)} à {value_fr(param.max)}")
    elif param.min is not None:
        parts.append(f"au moins {value_fr(param.min)}")
    elif param.max is not None:
        parts.append(f"au plus {value_fr(param.max)}")
    if param.allowed:
        parts.append("valeurs : " + ", ".join(value_fr(v) for v in param.allowed))
    return " ; ".join(parts)


def preview(project, family, variant) -> dict:
    """The variant's text rendered for an example company of one of its markets."""
    market = preview_market(project, variant)
    company = example_company(project, market)
    try:
        html = blocks(sample_text(project, family, variant, market))
        return {"html": html, "company": company.identity["name"], "market": MARKET_NAMES[market], "error": None}
    except ClauseRenderError as exc:
        return {"html": None, "company": company.identity["name"], "market": MARKET_NAMES[market],
                "error": exc.problem.message}


def rule_rows() -> list[dict]:
    return [{"id": rid, "severity": SEVERITIES.get(sev, sev), "article": article, "summary": summary,
             "in_force": in_force} for rid, sev, article, summary, in_force in rules.listing()]


def library_rules() -> list[dict]:
    """Rules run on every clause of the library rather than on a company."""
    ids = {r.id for r in rules.RULES if r.scope == "library"}
    return [r for r in rule_rows() if r["id"] in ids]


def variant_view(project, family, variant, rows) -> dict:
    params = [{"name": p.name, "type": TYPES.get(p.type, p.type), "description": p.description,
               "constraint": constraint_fr(p), "default": value_fr(p.default) if p.has_default else "",
               "required": not p.has_default} for p in variant.parameters.values()]
    used_by = [c for c in project.companies  # in either market's CGV
               if any((mine := v.clause(family.name)) is not None and mine.variant.id == variant.id
                      for v in c.views.values() or (c,))]
    basis = [a for a, _ in variant.legal_basis]
    return {"variant": variant, "markets": [MARKET_NAMES[m] for m in variant.markets], "parameters": params,
            "preview": preview(project, family, variant), "used_by": used_by,
            "defaults": [MARKET_NAMES[m] for m, name in family.default.items() if name == variant.name],
            "rules": [r for r in rows if related(r["article"], basis)],
            "history": [{"date": date_fr(c.day), "author": c.author, "subject": c.subject, "sha": c.sha[:10]}
                        for c in file_log(project.root, Path(variant.source.file))]}


def family_views(project) -> list[dict]:
    rows = rule_rows()
    views = []
    for family in project.library.ordered():
        variants = [variant_view(project, family, v, rows)
                    for v in sorted(family.variants.values(), key=lambda v: v.name)]
        rule_ids = []
        for view in variants:
            rule_ids += [r["id"] for r in view["rules"] if r["id"] not in rule_ids]
        views.append({"family": family, "variants": variants, "markets": [MARKET_NAMES[m] for m in family.markets],
                      "required": [MARKET_NAMES[m] for m in family.required], "rule_ids": rule_ids})
    return views


def rules_by_id(families: list[dict]) -> dict:
    """rule id → families whose clauses rest on the rule's articles."""
    result: dict = {}
    for view in families:
        for rid in view["rule_ids"]:
            result.setdefault(rid, []).append(view["family"])
    return result
