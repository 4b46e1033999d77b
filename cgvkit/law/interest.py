"""Late interest as LAW.md §8 states it: simple, calendar days, actual/365, split by half-year.

Money is Decimal throughout; each invoice's interest is rounded half-up to the cent once,
after summing its periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .rates import HalfYearRates, RateTable, half_year_bounds, half_year_of

CENT = Decimal("0.01")
DAYS_PER_YEAR = Decimal(365)  # also in leap years: the kit's stated convention
INDEMNITY = Decimal("40.00")  # Code de commerce D441-5


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive
    days: int
    rate: Decimal  # percent per year


@dataclass(frozen=True)
class RateRule:
    """How the annual rate of a half-year is derived."""

    kind: str  # "ecb_plus" | "legal_multiple" | "fixed" | "legal"
    value: Decimal = Decimal(0)  # margin points, multiplier or fixed percent

    def annual_rate(self, rates: HalfYearRates) -> Decimal:
        if self.kind == "ecb_plus":
            return rates.ecb + self.value
        if self.kind == "legal_multiple":
            return self.value * rates.legal_other
        if self.kind == "fixed":
            return self.value
        if self.kind == "legal":
            return rates.legal_other  # a professional creditor: the "autres cas" rate (CMF L313-2)
        raise ValueError(self.kind)

    def describe(self) -> str:
        from ..render.french import number, percent

        if self.kind == "ecb_plus":
            return f"taux de refinancement de la BCE majoré de {number(self.value)} points"
        if self.kind == "legal_multiple":
            return f"{number(self.value)} fois le taux d’intérêt légal"
        if self.kind == "fixed":
            return f"{percent(self.value)} l’an"
        return "taux d’intérêt légal"


@dataclass(frozen=True)
class InterestResult:
    days: int
    interest: Decimal
    periods: tuple


def periods(start_after: date, until: date, rule: RateRule, table: RateTable) -> list[Period]:
    """Days start_after < d <= until, grouped by half-year, each with its half-year's rate."""
    result, day = [], start_after + timedelta(days=1)
    while day <= until:
        _, half_end = half_year_bounds(half_year_of(day))
        end = min(half_end, until)
        rate = rule.annual_rate(table.for_date(day))
        result.append(Period(day, end, (end - day).days + 1, rate))
        day = end + timedelta(days=1)
    return result


def late_interest(amount: Decimal, start_after: date, until: date, rule: RateRule,
                  table: RateTable) -> InterestResult:
    """Interest on `amount` from the day after `start_after` to `until` inclusive."""
    found = periods(start_after, until, rule, table)
    raw = sum((amount * p.rate / 100 * p.days / DAYS_PER_YEAR for p in found), Decimal(0))
    return InterestResult(max((until - start_after).days, 0), raw.quantize(CENT, ROUND_HALF_UP), tuple(found))


def indemnity(kind: str, late: bool) -> Decimal:
    """The fixed recovery indemnity: 40 € per late invoice between professionals, none for consumers."""
    return INDEMNITY if kind == "b2b" and late else Decimal("0.00")


def floor_rate(rates: HalfYearRates) -> Decimal:
    """The lowest rate B2B penalties may stipulate: 3 × the legal rate (L441-10 II)."""
    return 3 * rates.legal_other
