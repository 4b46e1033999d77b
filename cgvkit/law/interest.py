"""Late interest by the kit's stated convention: simple interest, calendar days, actual/365, split by half-year.

Money and rates are Decimal throughout; an invoice's interest is rounded half-up to the cent once,
after summing its periods.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from cgvkit.core.french import NBSP, number, percent
from cgvkit.law.figures import DAYS_PER_YEAR, INDEMNITY, PENALTY_FLOOR_MULTIPLIER
from cgvkit.law.rates import HalfYearRates, RateTable, half_year_bounds, half_year_of

# The convention above in the words letters, documents and the site print (one text, here with its figures).
CONVENTION_FR = (f"Mode de calcul : intérêts simples par jour calendaire, base {DAYS_PER_YEAR} jours (années "
                 "bissextiles comprises), sur le montant TTC restant dû ; chaque jour porte le taux de son semestre ; "
                 "intérêts arrondis au centime une fois par facture, après addition des périodes.")

CENT = Decimal("0.01")
KINDS = ("ecb_plus", "legal_multiple", "fixed", "legal")


@dataclass(frozen=True)
class Period:
    start: date  # inclusive
    end: date  # inclusive
    days: int
    rate: Decimal  # percent per year
    # The CGV's own rate when it is below the legal floor of the half-year (3 × the legal rate,
    # C. com. L441-10 II): `rate` is then that floor.
    stipulated: Decimal | None = None

    @property
    def legal_rate(self) -> Decimal:
        """The legal interest rate behind a floored period's rate (rate = 3 × legal rate)."""
        return self.rate / PENALTY_FLOOR_MULTIPLIER


@dataclass(frozen=True)
class RateRule:
    """How the annual rate of a half-year is derived."""

    kind: str  # "ecb_plus" | "legal_multiple" | "fixed" | "legal"
    value: Decimal = Decimal(0)  # margin points, multiplier or fixed percent; ignored for "legal"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:  # a typo here would silently charge the wrong rate
            raise ValueError(f"unknown rate rule kind: {self.kind!r}")

    def annual_rate(self, rates: HalfYearRates) -> Decimal:
        if self.kind == "ecb_plus":
            return rates.ecb + self.value
        if self.kind == "legal_multiple":
            return self.value * rates.legal_other
        if self.kind == "fixed":
            return self.value
        return rates.legal_other  # a professional creditor takes the "autres cas" rate (CMF L313-2)

    def describe(self) -> str:
        """The rule in French, as a letter or a CGV quotes it."""
        if self.kind == "ecb_plus":
            unit = "point" if abs(self.value) < 2 else "points"  # French singular below 2
            return f"taux BCE + {number(self.value)}{NBSP}{unit}"
        if self.kind == "legal_multiple":
            return f"{number(self.value)} fois le taux d’intérêt légal"
        if self.kind == "fixed":
            return f"{percent(self.value)} l’an"
        return "taux d’intérêt légal"


@dataclass(frozen=True)
class InterestResult:
    days: int
    interest: Decimal
    periods: list[Period]


def periods(start_after: date, until: date, rule: RateRule, table: RateTable, floor: bool = False) -> list[Period]:
    """The days start_after < d <= until, grouped by half-year, each group at its half-year's rate.

    `floor`: the rule is a rate the CGV stipulate, which may not be lower than 3 × the legal rate
    (C. com. L441-10 II): a half-year where it is gets that floor, and the period keeps the CGV's rate.
    """
    found, day = [], start_after + timedelta(days=1)
    while day <= until:
        _, half_end = half_year_bounds(half_year_of(day))
        end = min(half_end, until)
        rates = table.for_date(day)
        rate, stipulated = rule.annual_rate(rates), None
        if floor and rate < floor_rate(rates):
            rate, stipulated = floor_rate(rates), rate
        found.append(Period(day, end, (end - day).days + 1, rate, stipulated))
        day = end + timedelta(days=1)
    return found


def half_year_spans(found: Iterable[Period]) -> list[Period]:
    """Periods (of several invoices) merged by half-year: from the first day to the last day any
    invoice counts in it, at that half-year's rate (the same for every invoice of one debtor).
    `days` is the length of the span, not a sum over invoices."""
    spans: dict[str, Period] = {}
    for p in found:
        label = half_year_of(p.start)
        seen = spans.get(label)
        start, end = (p.start, p.end) if seen is None else (min(seen.start, p.start), max(seen.end, p.end))
        spans[label] = Period(start, end, (end - start).days + 1, p.rate, p.stipulated)
    return [spans[label] for label in sorted(spans)]


def late_interest(amount: Decimal, start_after: date, until: date, rule: RateRule,
                  table: RateTable, found: list[Period] | None = None, floor: bool = False) -> InterestResult:
    """Interest on `amount` for each day after `start_after` up to `until` inclusive.

    `start_after` is the due date (B2B) or the formal-notice date (B2C). `found` may give the
    periods already computed for the same dates and rule (a ledger has many invoices per due date);
    `floor` as for `periods`.
    """
    found = periods(start_after, until, rule, table, floor) if found is None else found
    return InterestResult(max((until - start_after).days, 0), interest_on(amount, rate_days(found)), found)


def rate_days(found: list[Period]) -> Decimal:
    """Σ rate × days over the periods: the same for every invoice that shares the dates and rule."""
    return sum((p.rate * p.days for p in found), Decimal(0))


def interest_on(amount: Decimal, weight: Decimal) -> Decimal:
    """amount × Σ rate × days / (100 × 365), rounded once: the exact numerator (Decimal products of
    a few digits) is divided once, so no intermediate rounding can move the cent."""
    return (amount * weight / (100 * DAYS_PER_YEAR)).quantize(CENT, ROUND_HALF_UP)


def indemnity(kind: str, late: bool) -> Decimal:
    """The fixed recovery indemnity: 40 € per late invoice between professionals (D441-5);
    none for consumers (CPCE L111-8)."""
    return INDEMNITY if kind == "b2b" and late else Decimal("0.00")


def floor_rate(rates: HalfYearRates) -> Decimal:
    """The lowest rate stipulated B2B penalties may use: 3 × the legal rate (L441-10 II)."""
    return PENALTY_FLOOR_MULTIPLIER * rates.legal_other
