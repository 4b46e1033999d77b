"""What a company's late-penalties clause means in numbers: rate rule and indemnity."""

from __future__ import annotations

from decimal import Decimal

from cgvkit.law.interest import RateRule
from cgvkit.law.subjects import Terms

# Variant name → how the annual rate is derived from the half-year table.
_KINDS = {"ecb_plus_10": ("ecb_plus", "margin"), "three_times_legal": ("legal_multiple", "multiplier"),
          "fixed_rate": ("fixed", "rate"), "consumer": ("legal", None)}


def rate_rule(company: Terms) -> RateRule | None:
    """The RateRule of the company's late-penalties clause, or None when it has none."""
    clause = company.clause("late_penalties")
    if clause is None or clause.variant.name not in _KINDS:
        return None
    kind, param = _KINDS[clause.variant.name]
    value = Decimal(str(clause.params[param])) if param else Decimal(0)
    return RateRule(kind, value)


def indemnity_amount(company: Terms) -> Decimal:
    """The fixed recovery indemnity the CGV stipulate (0 when none: B2C)."""
    clause = company.clause("late_penalties")
    if clause is None or "indemnity" not in clause.params:
        return Decimal("0.00")
    return Decimal(str(clause.params["indemnity"])).quantize(Decimal("0.01"))
