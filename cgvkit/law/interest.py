"""Late interest by the kit's stated convention: simple interest, calendar days, actual/365, split by half-year.

Money and rates are Decimal throughout; an invoice's interest is rounded half-up to the cent once,
after summing its periods.

Payments (`settle`, issue 19): interest runs through the day of each payment inclusive, on what remained
due that day. Imputation, decided and documented in docs/manuels/relance.md:
- a payment goes to the invoice it is recorded against (C. civ. 1342-10, Légifrance section
  https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000006070721/LEGISCTA000032035235/ :
  « Le débiteur de plusieurs dettes peut indiquer, lorsqu'il paie, celle qu'il entend acquitter »);
- a consumer's partial payment goes first to the interest (C. civ. 1343-1, section
  https://www.legifrance.gouv.fr/codes/section_lc/LEGITEXT000006070721/LEGISCTA000032035257/ :
  « Le paiement partiel s'impute d'abord sur les intérêts »);
- the B2B late-payment penalties (C. com. L441-10 II,
  https://www.legifrance.gouv.fr/codes/article_lc/LEGIARTI000038414392) are NOT treated as
  « intérêts » for 1343-1: without a CGV clause, a professional's partial payment goes to the
  principal (the kit never claims more than the law certainly gives, and the principal it claims is
  the accounting balance); the CGV's payment_imputation clause (penalties, indemnity, principal)
  applies when the company has it. See ORDERS below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
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
ZERO = Decimal("0.00")  # shared: a million-row ledger keeps many zero amounts
_RATES: dict[Decimal, Decimal] = {}  # each annual rate computed so far, itself: a handful of values
KINDS = ("ecb_plus", "legal_multiple", "fixed", "legal")


@dataclass(frozen=True, slots=True)  # a million-row ledger with payment dates holds many
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
        rate = _RATES.setdefault(rate, rate)  # one object per rate: big ledgers keep many periods
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


def rate_days(found: Sequence[Period]) -> Decimal:
    """Σ rate × days over the periods: the same for every invoice that shares the dates and rule."""
    return sum((p.rate * p.days for p in found), Decimal(0))


def interest_on(amount: Decimal, weight: Decimal) -> Decimal:
    """amount × Σ rate × days / (100 × 365), rounded once: the exact numerator (Decimal products of
    a few digits) is divided once, so no intermediate rounding can move the cent."""
    return (amount * weight / (100 * DAYS_PER_YEAR)).quantize(CENT, ROUND_HALF_UP)


def indemnity(kind: str, late: bool) -> Decimal:
    """The fixed recovery indemnity: 40 € per late invoice between professionals (D441-5);
    none for consumers (CPCE L111-8)."""
    return INDEMNITY if kind == "b2b" and late else ZERO


def floor_rate(rates: HalfYearRates) -> Decimal:
    """The lowest rate stipulated B2B penalties may use: 3 × the legal rate (L441-10 II)."""
    return PENALTY_FLOOR_MULTIPLIER * rates.legal_other


# --- Payments: interest through the day of payment, and where a payment goes ------------------------
#
# Interest runs from the day after `start` (the due date between professionals, the formal notice for a
# consumer) THROUGH the day of each payment inclusive, on what remained due that day; the next period
# starts the day after the payment, on what is left.
#
# Imputation of a payment on the invoice it is recorded against (C. civ. 1342-10: the debtor of several
# debts may say which one he pays; when he did not, staff impute it before entering it, on the debts
# due first, the oldest first — the ledger and the payments file carry the result). On that invoice:
# - "interest" (C. civ. 1343-1, « Le paiement partiel s'impute d'abord sur les intérêts »): the
#   consumer's interest at the legal rate (C. civ. 1231-6) is « intérêts »: a payment goes first to the
#   interest accrued to its day, then to the principal.
# - "principal": the late-payment penalties between professionals (C. com. L441-10 II) are a penalty
#   the Code de commerce sets apart, not the interest a debt « porte » in 1343-1; the kit does not
#   read 1343-1 as imputing on them. Without a CGV clause saying so, a professional's partial payment
#   goes to the principal, so the principal the kit claims is the accounting balance and it never
#   claims more than the law certainly gives.
# - "penalties_first": the CGV's payment_imputation clause (clauses/payment_imputation/standard.yaml)
#   stipulates, between professionals, penalties first, then the fixed indemnity, then the principal
#   (C. civ. 1103: the contract binds): the kit applies it when the company's CGV contain it.
# Interest imputed at a payment is the interest accrued to that day rounded to the cent (a payment is
# in cents); what is left is rounded once, at the end, like every invoice's interest.
ORDERS = ("principal", "interest", "penalties_first")


@dataclass(frozen=True, slots=True)  # one per payment or period of an invoice: many in a big ledger
class Imputed:
    """One payment and where it went: what is not interest nor indemnity went to the principal (a
    payment never exceeds what is due). Four fields, no more: a million-row ledger keeps them."""

    day: date
    amount: Decimal
    interest: Decimal  # on the interest or penalties accrued to its day
    indemnity: Decimal  # on the fixed recovery indemnity

    @property
    def principal(self) -> Decimal:
        if not self.interest and not self.indemnity:
            return self.amount
        return self.amount - self.interest - self.indemnity


@dataclass(frozen=True, slots=True)  # one per payment or period of an invoice: many in a big ledger
class Segment:
    """Days start < d <= end on one principal (`base`), with their half-year periods."""

    start: date
    end: date
    base: Decimal
    periods: tuple[Period, ...]

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True, slots=True)
class Settlement:
    principal: Decimal  # left to pay
    interest: Decimal  # interest or penalties left to pay (accrued minus imputed)
    indemnity: Decimal  # indemnity left to pay
    accrued: Decimal  # every interest accrued through `until`, rounded once
    imputed: tuple[Imputed, ...]  # in date order
    segments: tuple[Segment, ...]  # in date order
    last_day: date | None  # the last day interest was counted for

    @property
    def periods(self) -> tuple[Period, ...]:
        if len(self.segments) == 1:  # most invoices: the cached tuple itself, no copy
            return self.segments[0].periods
        return tuple(p for s in self.segments for p in s.periods)


def settle(amount: Decimal, start: date | None, payments: Sequence[tuple[date, Decimal]], until: date,
           weight: Callable[[date, date], tuple[Sequence[Period], Decimal]], order: str = "principal",
           indemnity: Decimal = ZERO, late_after: date | None = None) -> Settlement:
    """An invoice of `amount` and its dated `payments` [(day, amount)], interest counted for the days
    after `start` (None: none runs, a consumer not yet given formal notice) up to `until` inclusive.

    `weight(a, b)` gives (periods, Σ rate × days) for the days a < d <= b (plan.py caches it).
    `indemnity` is owed once a day after `late_after` (the due date) has passed unpaid; `order` is one
    of ORDERS (see above).
    """
    if order not in ORDERS:
        raise ValueError(f"unknown imputation order: {order!r}")
    principal, numerator, interest_first = amount, Decimal(0), order != "principal"
    paid_interest = paid_indemnity = ZERO
    imputed: list[Imputed] = []
    segments: list[Segment] = []
    cursor, last = start, None

    def accrue(to: date) -> None:
        nonlocal numerator, cursor, last
        if cursor is None or to <= cursor or principal <= 0:
            return
        found, w = weight(cursor, to)
        numerator += principal * w
        segments.append(Segment(cursor, to, principal, tuple(found)))
        cursor = last = to

    for day, paid in (payments if len(payments) == 1 else sorted(payments, key=_day_of)):
        accrue(min(day, until))
        if cursor is not None and day > cursor:
            cursor = max(cursor, min(day, until))  # nothing was due in between (principal was nil)
        rest, to_interest, to_indemnity = paid, ZERO, ZERO
        # Zeros stay the shared ZERO: a million-row ledger keeps these amounts (one object each otherwise).
        if interest_first and numerator:
            due_interest = _cents(numerator) - paid_interest
            to_interest = min(rest, due_interest) if due_interest > 0 else ZERO
            if to_interest:
                rest -= to_interest
                paid_interest += to_interest
        if order == "penalties_first" and late_after is not None and day > late_after and rest:
            to_indemnity = min(rest, indemnity - paid_indemnity if paid_indemnity else indemnity)
            if to_indemnity:
                rest -= to_indemnity
                paid_indemnity += to_indemnity
        principal -= rest  # the payments never exceed the amount, so `rest` never exceeds the principal
        imputed.append(Imputed(day, paid, to_interest, to_indemnity))
    accrue(until)
    accrued = _cents(numerator)
    late = late_after is not None and (last is not None and last > late_after or until > late_after and principal > 0)
    owed_indemnity = (indemnity if late else ZERO) - paid_indemnity if paid_indemnity else (indemnity if late else ZERO)
    return Settlement(principal, accrued - paid_interest if paid_interest else accrued,
                      owed_indemnity if owed_indemnity > 0 else ZERO, accrued, tuple(imputed),
                      tuple(segments), last)



def _day_of(payment: tuple[date, Decimal]) -> date:
    return payment[0]


def _cents(numerator: Decimal) -> Decimal:
    """Σ base × rate × days → euros, rounded half-up once (as `interest_on`)."""
    return (numerator / (100 * DAYS_PER_YEAR)).quantize(CENT, ROUND_HALF_UP)
