"""Pages of the clause library and of the rules of law, generated from clauses/ and rules.py."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from cgvkit.law import rules
from cgvkit.model.company import OPTIONAL_IDENTITY, Company, ResolvedClause
from cgvkit.model.clausetext import ClauseRenderError, render_text
from cgvkit.core.templating import blocks
from cgvkit.core.french import date_fr, number
from cgvkit.site.articles import related

TYPES = {"integer": "nombre entier", "number": "nombre", "string": "texte", "boolean": "oui ou non",
         "date": "date", "enum": "choix dans une liste"}
SEVERITIES = {"error": "erreur", "warning": "avertissement"}
MARKETS = {"b2b": "entre professionnels (B2B)", "b2c": "consommateurs (B2C)"}


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


def placeholder(param, company):
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


def example_company(project, market: str):
    """An example profile of the market, or a placeholder company when the project has none."""
    found = next((c for c in project.companies if c.market == market), None)
    if found is not None:
        return found
    identity = {**dict.fromkeys(OPTIONAL_IDENTITY, ""), "name": "[Raison sociale]", "legal_form": "[forme]",
                "capital": 0, "siren": "[SIREN]", "rcs": "[ville du RCS]", "email": "[courriel]",
                "phone": "[téléphone]", "address": {"street": "[rue]", "postal_code": "[code postal]",
                                                    "city": "[ville]"}}
    last = project.table.last
    when = getattr(last, "start", None)
    return Company("exemple", None, None, identity, market, when, {}, [], last)


def preview(project, family, variant) -> dict:
    """The variant's text rendered for an example company of one of its markets."""
    market = next((m for m in variant.markets if any(c.market == m for c in project.companies)),
                  variant.markets[0])
    company = example_company(project, market)
    own = company.clause(family.name)
    params = {name: placeholder(p, company) for name, p in variant.parameters.items()}
    params.update(variant.defaults())
    if own is not None:
        params.update({k: v for k, v in own.params.items() if k in variant.parameters})
    chosen = ResolvedClause(family, variant, params)
    clauses = [c for c in company.clauses if c.family.name != family.name] + [chosen]
    clauses.sort(key=lambda c: (c.family.order, c.family.name))
    copies = [dataclasses.replace(c, number=i) for i, c in enumerate(clauses, start=1)]
    example = dataclasses.replace(company, clauses=copies)
    mine = next(c for c in copies if c.family.name == family.name)
    try:
        return {"html": blocks(render_text(example, mine)), "company": company.identity["name"],
                "market": MARKETS[market], "error": None}
    except ClauseRenderError as exc:
        return {"html": None, "company": company.identity["name"], "market": MARKETS[market],
                "error": exc.problem.message}


def rule_rows() -> list[dict]:
    return [{"id": rid, "severity": SEVERITIES.get(sev, sev), "article": article, "summary": summary}
            for rid, sev, article, summary in rules.listing()]


def library_rules() -> list[dict]:
    """Rules run on every clause of the library rather than on a company."""
    ids = {r.id for r in rules.RULES if r.scope == "library"}
    return [r for r in rule_rows() if r["id"] in ids]


def variant_view(project, family, variant, rows) -> dict:
    params = [{"name": p.name, "type": TYPES.get(p.type, p.type), "description": p.description,
               "constraint": constraint_fr(p), "default": value_fr(p.default) if p.has_default else "",
               "required": not p.has_default} for p in variant.parameters.values()]
    used_by = [c for c in project.companies
               if (mine := c.clause(family.name)) is not None and mine.variant.id == variant.id]
    basis = [a for a, _ in variant.legal_basis]
    return {"variant": variant, "markets": [MARKETS[m] for m in variant.markets], "parameters": params,
            "preview": preview(project, family, variant), "used_by": used_by,
            "defaults": [MARKETS[m] for m, name in family.default.items() if name == variant.name],
            "rules": [r for r in rows if related(r["article"], basis)]}


def family_views(project) -> list[dict]:
    rows = rule_rows()
    views = []
    for family in project.library.ordered():
        variants = [variant_view(project, family, v, rows)
                    for v in sorted(family.variants.values(), key=lambda v: v.name)]
        rule_ids = []
        for view in variants:
            rule_ids += [r["id"] for r in view["rules"] if r["id"] not in rule_ids]
        views.append({"family": family, "variants": variants, "markets": [MARKETS[m] for m in family.markets],
                      "required": [MARKETS[m] for m in family.required], "rule_ids": rule_ids})
    return views


def rules_by_id(families: list[dict]) -> dict:
    """rule id → families whose clauses rest on the rule's articles."""
    result: dict = {}
    for view in families:
        for rid in view["rule_ids"]:
            result.setdefault(rid, []).append(view["family"])
    return result
