"""Ledger → per-debtor plan: the stage due on the run date, interest, indemnity, warnings.

Pure computation, no files: `plan(...)` is what the benchmark times. The interest arithmetic
is `law.interest` (the kit's stated convention); this module only decides who owes what from when.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypedDict, cast

from cgvkit.core.errors import KitError, Problems
from cgvkit.core.french import date_fr, money, percent
from cgvkit.dunning.journal import Event
from cgvkit.dunning.ledger import Ledger, Row
from cgvkit.dunning.payments import Paid, payments_of
from cgvkit.law import workdays
from cgvkit.law.figures import (
    MARKETS,
    PAYMENT_TERM_EOM_MAX_DAYS,
    PAYMENT_TERM_MAX_DAYS,
    PRESCRIPTION_YEARS,
    SMALL_CLAIM,
    STATUTORY_ECB_MARGIN,
    half_year_fr,
)
from cgvkit.law.interest import Imputed, Period, RateRule, half_year_spans, interest_on, periods, rate_days, settle
from cgvkit.law.penalties import indemnity_amount, rate_rule
from cgvkit.law.rates import RateTable, half_year_of
from cgvkit.law.subjects import Clause, Terms
from cgvkit.model.company import market_view
from cgvkit.model.ladder import CHANNEL_NAMES, LETTER_CHANNELS, Ladder, Stage
from cgvkit.model.letters import REPLY_DAYS

if TYPE_CHECKING:
    from cgvkit.model import cgvversions

ZERO = Decimal("0.00")
PRESCRIPTION_SOON = 90  # days
LEGAL = RateRule("legal", Decimal(0))
STATUTORY = RateRule("ecb_plus", STATUTORY_ECB_MARGIN)  # L441-10 II when the CGV stipulate nothing

Weight = tuple[tuple[Period, ...], Decimal]  # (periods, Σ rate × days) of a span of days
Weigher = Callable[[date, date], Weight]  # law.interest.settle's `weight`, cached per rule (`_weigher`)
# The plan's caches, one dict: (start, until, rule, floor) → Weight (`_invoice`) and (id(rule), floor) →
# Weigher (`_settled`); each reader annotates what it reads back.
Spans = dict[tuple[object, ...], Any]
History = Mapping[tuple[str, str], Sequence[tuple[str, date]]]  # journal.history: (debtor, invoice) → steps


class Term(TypedDict, total=False):
    """The CGV's payment term as `own_term` gives it (empty: no term counted from the invoice); fec.Term
    has the same shape (fec imports plan: plan cannot import it back)."""

    days: int | None
    end_of_month: bool
    after_month_end: bool


@dataclass(slots=True)  # one per open invoice: a million in a big ledger
class InvoicePlan:
    row: Row
    days_late: int
    outstanding: Decimal
    interest: Decimal = ZERO
    indemnity: Decimal = ZERO
    periods: tuple[Period, ...] = ()
    interest_from: date | None = None  # interest runs from the day after this date
    interest_until: date | None = None  # last day counted (before the run date when rates run out)
    notice: date | None = None  # the formal notice: the ledger's date, else the one confirmed in the journal
    cgv: cgvversions.Terms | None = None  # the CGV version in force on the invoice date, None: the current CGV
    payments: tuple[Imputed, ...] = ()  # law.interest.Imputed: each dated payment and where it went
    paid_on: date | None = None  # the last payment (an invoice paid in full: the day it was paid)

    @property
    def overdue(self) -> bool:
        return self.days_late > 0


@dataclass(slots=True)
class DebtorPlan:
    debtor_id: str
    name: str
    kind: str
    rows: list[Row]
    action: str = "none"  # send | suspended | none
    stage: Stage | None = None
    following: Stage | None = None  # the stage after `stage` in the debtor's ladder; None: court comes next
    reason: str = ""
    warnings: list[str] | tuple[()] = ()  # () until the first one (`warn`): 95 % of debtors have none
    invoices: list[InvoicePlan] = field(default_factory=list)  # InvoicePlan of every open invoice
    # The run's files for the debtor (paths in its folder); () until the run writes some (see paid_late)
    documents: list[str] | tuple[()] = ()
    exhausted: bool = False  # every amicable stage has been sent
    catch_up: bool = False  # no reminder since the due date, long overdue: the ladder starts further on (no « simple oubli »)
    first_seen: bool = False  # with catch_up: nothing at all was sent before (not even the pre-due reminder)
    call: dict[str, str | None] | None = None  # the e-mail after a call: the call's noted outcome (see `_call_first`)
    # () until there is one: 250 000 debtors in a big ledger, three empty lists each would cost 40 Mo.
    paid_late: list[InvoicePlan] | tuple[()] = ()  # InvoicePlan of invoices paid in full, late, still owing
    penalty_claims: list[InvoicePlan] | tuple[()] = ()  # those of paid_late the run proposes to claim
    claim_documents: list[str] | tuple[()] = ()  # the run's penalty claim files (run._write_claim)

    def warn(self, text: str) -> None:
        if isinstance(self.warnings, tuple):
            self.warnings = [text]
        else:
            self.warnings.append(text)

    @property
    def claimed(self) -> list[InvoicePlan]:
        """The invoices the letter is about: overdue ones, or the upcoming ones for a pre-due stage."""
        if self.stage is not None and self.stage.offset_days is not None and self.stage.offset_days < 0:
            return [i for i in self.invoices if not i.overdue]
        return [i for i in self.invoices if i.overdue]

    def totals(self, invoices: Iterable[InvoicePlan] | None = None) -> dict[str, Decimal]:
        invoices = self.invoices if invoices is None else invoices
        out = sum((i.outstanding for i in invoices), ZERO)
        interest = sum((i.interest for i in invoices), ZERO)
        indemnity = sum((i.indemnity for i in invoices), ZERO)
        return {"outstanding": out, "interest": interest, "indemnity": indemnity,
                "total": out + interest + indemnity}


# Days late as shared int objects: Python caches only 0 to 256, and half the invoices of a big ledger are
# later than that (about 15 Mio for a million invoices)
_DAY_COUNTS = tuple(range(4000))


def _days(days: int) -> int:
    return _DAY_COUNTS[days] if days < len(_DAY_COUNTS) else days


def interest_until(table: RateTable, run_date: date) -> date:
    """The last day interest can be computed for: the run date, or the last day of the rate table
    when the table stops before it (the rest is « à parfaire », never a guessed rate)."""
    return min(run_date, table.last.end)


def plan(company: Terms, ladder: Ladder, ledger: Ledger, table: RateTable, run_date: date,
         history: History | None = None, events: Mapping[str, Sequence[Event]] | None = None,
         cgv: cgvversions.Book | None = None) -> list[DebtorPlan]:
    """Every debtor of the ledger, in order of first appearance; raises KitError on missing rates
    (a half-year before the table's first row).

    `history` is the journal: (debtor_id, invoice_number) → [(stage id, date sent), ...]. An invoice
    with journal steps ignores its ledger `last_stage` (a seed for a new journal only). `events` is the
    recovery file: debtor_id → the events staff noted (`dunning note`), which the plan follows. `cgv`
    (model.cgvversions.Book): each invoice is computed under the CGV version in force on its invoice date.
    `company` is read for its clauses (law.subjects.Terms), its `letters` and `for_market` when it has them
    (tests pass a plain namespace).
    """
    history, events = history or {}, events or {}
    # A company selling to both markets: each debtor under the CGV of its market (for_market: the same
    # company when it has one market)
    b2b = market_view(company, "b2b")
    terms = {kind: own_term(market_view(company, kind).clause("payment_term")) for kind in MARKETS}
    letters = getattr(company, "letters", None) or {}
    reply = letters.get("reply_days", REPLY_DAYS)
    alsace = bool(letters.get("alsace_moselle"))
    debtors: dict[str, DebtorPlan] = {}
    for row in ledger.rows:
        entry = debtors.get(row.debtor_id)
        if entry is None:
            entry = debtors[row.debtor_id] = DebtorPlan(row.debtor_id, row.debtor_name, row.debtor_kind, [])
        entry.rows.append(row)
    problems = Problems()
    stipulated = rate_rule(b2b)
    rules = {"b2b": stipulated or STATUTORY, "b2c": LEGAL}
    # A rate the CGV stipulate may not be lower than 3 × the legal rate (C. com. L441-10 II), in any
    # half-year; the statutory rate (ECB + 10) that applies when they stipulate none has no floor.
    floors = {"b2b": stipulated is not None, "b2c": False}
    indemnity = indemnity_amount(b2b)
    orders, claim_min = imputation_orders(b2b), Decimal(str(letters.get("penalty_claim_min", 0)))
    ladders = {kind: ladder.for_market(kind) for kind in MARKETS}
    spans: Spans = {}  # (start, until, rule, floor) → (periods, Σ rate × days): many invoices share a due date
    until = interest_until(table, run_date)
    # debtor_id → [(invoice number, [(stage id, date)])]: the journal, read once
    sent_to: dict[str, list[tuple[str, Sequence[tuple[str, date]]]]] = {}
    for (debtor_id, number), sent in history.items():
        sent_to.setdefault(debtor_id, []).append((number, sent))
    for debtor in debtors.values():
        rule, owed = rules[debtor.kind], indemnity if debtor.kind == "b2b" else ZERO
        noted = [e for e in events.get(debtor.debtor_id, ()) if e.day <= run_date]
        notices = _confirmed_notices(sent_to.get(debtor.debtor_id, ()), ladders[debtor.kind], noted, alsace)
        debtor.invoices = [_invoice_under(cgv, row, debtor.kind, (rule, owed, floors[debtor.kind]), run_date, until,
                                          table, ledger, problems, spans,
                                          row.formal_notice_date or notices.get(row.invoice_number),
                                          orders[debtor.kind])
                           for row in debtor.rows if row.amount > row.paid_amount]
        decided = _follow_the_file(debtor, ladders[debtor.kind], run_date, noted, history)
        if not decided:
            _choose(debtor, ladders[debtor.kind], run_date, history, reply, alsace, noted)
        elif debtor.action == "send":
            _on_an_open_day(debtor, run_date, alsace)
        _call_first(debtor, ladders[debtor.kind], run_date, noted, history, alsace, decided)
        _event_documents(debtor, ladders[debtor.kind], run_date, noted, alsace)
        _warn(debtor, run_date, ladders[debtor.kind])
        _warn_terms_under_cgv(debtor, terms[debtor.kind])
        _warn_floor(debtor, rule)
        _paid_late(debtor, history, claim_min, notices, orders[debtor.kind],
                   (run_date, until, rule, owed, table, ledger, problems, spans, floors[debtor.kind]), noted)
        # Reasons repeat from debtor to debtor (« 58 jour(s) de retard : … »): one copy each, not one per
        # debtor (about 45 Mio for a million invoices)
        debtor.reason = sys.intern(debtor.reason)
    problems.raise_if_errors()
    return list(debtors.values())


def _confirmed_notices(sent_to: Iterable[tuple[str, Sequence[tuple[str, date]]]], ladder: Ladder,
                       noted: Sequence[Event], alsace: bool) -> dict[str, date]:
    """invoice number → the day the formal notice confirmed in the journal reached the debtor (the receipt
    noted, else the sending date plus the postal allowance): consumer interest runs from it."""
    found: dict[str, date] = {}
    for number, sent in sent_to:
        for stage_id, day in sent:
            stage = ladder.get(stage_id)
            if stage is not None and "formal_notice" in stage.contains:
                found[number] = min(found.get(number, date.max), _received(stage, day, noted, alsace))
    return found


def _invoice_under(cgv: cgvversions.Book | None, row: Row, kind: str, default: tuple[RateRule, Decimal, bool],
                   run_date: date, until: date, table: RateTable, ledger: Ledger, problems: Problems,
                   spans: Spans, notice: date | None, order: str = "principal") -> InvoicePlan:
    """One invoice computed under the CGV version in force on its invoice date (`cgv`, a
    cgvversions.Book), else under `default` (rule, indemnity, floor) from the current CGV."""
    rule, owed, floor = default
    terms = cgv.at(row) if cgv is not None else None
    if terms is not None and cgv is not None and kind == "b2b":  # terms come from cgv
        stipulated, owed = cgv.penalties(terms)
        rule, floor = stipulated or STATUTORY, stipulated is not None
    item = _invoice(row, run_date, until, rule, owed, table, ledger, problems, spans, floor, notice, order)
    item.cgv = terms
    return item


def _invoice(row: Row, run_date: date, until: date, rule: RateRule, indemnity: Decimal, table: RateTable,
             ledger: Ledger, problems: Problems, spans: Spans, floor: bool = False, notice: date | None = None,
             order: str = "principal") -> InvoicePlan:
    if row.payment_date is not None:
        paid = payments_of(row, ledger)
        # One payment made before interest started (B2B: by the due date; consumer: before the notice)
        # is the plain case below: interest on what is left, from the start.
        if paid and (len(paid) > 1 or row.payment_date > (row.due_date if row.debtor_kind == "b2b" else
                                                           notice or date.max)):
            return _settled(row, paid, run_date, until, rule, indemnity, table, ledger, problems, spans, floor,
                            notice, order)
    days = _days(max(0, (run_date - row.due_date).days))
    item = InvoicePlan(row, days, row.outstanding, notice=notice, paid_on=row.payment_date)
    if days == 0:
        return item
    start = row.due_date if row.debtor_kind == "b2b" else notice
    item.indemnity = indemnity
    if start is None or start >= until:
        return item
    key = (start, until, rule, floor)
    found: Weight | None = spans.get(key)
    if found is None:
        try:
            split = periods(start, until, rule, table, floor)
        except KitError as exc:
            column = "due_date" if row.debtor_kind == "b2b" else "formal_notice_date"
            for p in exc.problems:
                problems.add(ledger.problem(row, column, f"facture {row.invoice_number} : {p.message}", p.rule))
            return item
        found = spans[key] = (tuple(split), rate_days(split))
    item.interest, item.periods, item.interest_from = interest_on(item.outstanding, found[1]), found[0], start
    item.interest_until = until
    return item


PENALTY_CLAIM = "penalty_claim"  # the ladder document claiming what an invoice paid late still owes


def imputation_orders(company: Terms) -> dict[str, str]:
    """Where a partial payment goes, by kind of debtor (law.interest: ORDERS and the decision above them):
    a consumer's payment first to the interest (C. civ. 1343-1); a professional's to the principal,
    unless the CGV's payment_imputation clause puts penalties, then the indemnity, first."""
    b2b = "penalties_first" if company.clause("payment_imputation") is not None else "principal"
    return {"b2b": b2b, "b2c": "interest"}


def _settled(row: Row, paid: Paid, run_date: date, until: date, rule: RateRule, indemnity: Decimal,
             table: RateTable, ledger: Ledger, problems: Problems, spans: Spans, floor: bool, notice: date | None,
             order: str) -> InvoicePlan:
    """An invoice with dated payments: interest through each payment day on what remained due, each
    payment imputed (law.interest.settle). Paid in full: what it owed on the day it was paid."""
    b2b = row.debtor_kind == "b2b"
    start = row.due_date if b2b else notice
    last = paid[-1][0]  # payments come in date order (payments.apply_payments, or the row's one)
    closed = row.paid_amount >= row.amount

    # the rule lives as long as the plan; a Decimal's hash is slow
    weight: Weigher | None = spans.get((id(rule), floor))
    if weight is None:  # one per rule: its cache is keyed by dates only
        weight = spans[(id(rule), floor)] = _weigher(rule, table, floor)
    days = _days(max(0, ((last if closed else run_date) - row.due_date).days))
    try:
        done = settle(row.amount, start, paid, min(last, until) if closed else until, weight, order,
                      indemnity, row.due_date if b2b else None)
    except KitError as exc:
        column = "payment_date" if closed else ("due_date" if b2b else "formal_notice_date")
        for p in exc.problems:
            problems.add(ledger.problem(row, column, f"facture {row.invoice_number} : {p.message}", p.rule))
        return InvoicePlan(row, days, ZERO if closed else row.outstanding, notice=notice, paid_on=last)
    paid_indemnity = sum((i.indemnity for i in done.imputed), ZERO) if order == "penalties_first" else ZERO
    item = InvoicePlan(row, days, ZERO if closed else done.principal, notice=notice, payments=done.imputed,
                       paid_on=last, periods=done.periods)
    if closed:  # what it owed on the day it was paid: every penalty accrued, the indemnity if it was late
        item.interest = done.accrued
        item.indemnity = indemnity if b2b and last > row.due_date else ZERO
    else:
        item.interest = done.interest
        owed = indemnity if days else ZERO
        item.indemnity = owed - paid_indemnity if owed > paid_indemnity else ZERO
    if done.segments:
        item.interest_from, item.interest_until = start, done.last_day
    return item


def _weigher(rule: RateRule, table: RateTable, floor: bool) -> Weigher:
    """(periods, Σ rate × days) of the days after < d <= to, computed once per pair of dates."""
    # after → {to → (periods, weight)}: no key tuple per pair (payment days make many)
    cache: dict[date, dict[date, Weight]] = {}

    def weight(after: date, to: date) -> Weight:
        ends = cache.get(after)
        if ends is None:
            ends = cache[after] = {}
        found = ends.get(to)
        if found is None:
            split = tuple(periods(after, to, rule, table, floor))
            found = ends[to] = (split, rate_days(split))
        return found

    return weight


def _paid_late(debtor: DebtorPlan, history: History, minimum: Decimal, notices: Mapping[str, date], order: str,
               args: tuple[date, date, RateRule, Decimal, RateTable, Ledger, Problems, Spans, bool],
               noted: Sequence[Event] = ()) -> None:
    """Invoices paid in full, but late: between professionals the penalties and the 40 € indemnity are
    still owed (C. com. L441-10 II); a consumer owes interest only for the days after a formal notice
    (C. civ. 1231-6), never an indemnity. Listed in `paid_late`; proposed in `penalty_claims` when not
    already claimed (a confirmed penalty_claim step in the journal) and not below `minimum`; never for a
    suspended debtor or one with a dispute noted, nor, after collective proceedings, for an invoice born before the judgment
    (C. com. L622-21: it is declared, not claimed)."""
    procedure, dispute = _latest(noted, "procedure"), _latest(noted, "dispute", "dispute_closed")
    suspended = debtor.action == "suspended" or (dispute is not None and dispute.kind == "dispute")
    for row in debtor.rows:
        if row.payment_date is None or row.amount > row.paid_amount:
            continue
        if row.debtor_kind == "b2b" and row.payment_date <= row.due_date:
            continue
        item = _invoice(row, *args, row.formal_notice_date or notices.get(row.invoice_number), order)
        owed = item.interest + item.indemnity
        if owed <= 0:
            continue
        debtor.paid_late = [*debtor.paid_late, item]
        claimed = any(stage == PENALTY_CLAIM for stage, _ in history.get((debtor.debtor_id, row.invoice_number), ()))
        barred = suspended or (procedure is not None and row.invoice_date < procedure.day)
        if not claimed and not barred and owed >= minimum:
            debtor.penalty_claims = [*debtor.penalty_claims, item]


def _last_step(debtor: DebtorPlan, ladder: Ladder, history: History) -> tuple[int, date | None]:
    """The furthest stage sent to the debtor (index, -1 for none) and the date of the latest step
    (None when only the ledger's `last_stage` seed says so)."""
    last, when = -1, None
    for item in debtor.invoices:
        sent = history.get((debtor.debtor_id, item.row.invoice_number))
        if sent:
            for stage_id, day in sent:
                if stage_id in ladder.ids:
                    last = max(last, ladder.index(stage_id))
                when = day if when is None else max(when, day)
        elif item.row.last_stage in ladder.ids:
            last = max(last, ladder.index(item.row.last_stage))
    return last, when


def _latest(noted: Sequence[Event], *kinds: str) -> Event | None:
    return next((e for e in reversed(noted) if e.kind in kinds), None)


def _follow_the_file(debtor: DebtorPlan, ladder: Ladder, run_date: date, noted: Sequence[Event],
                     history: History) -> bool:
    """What staff noted in the debtor's file decides before the calendar: a dispute or collective
    proceedings suspend, a promise not yet due suspends (a broken one is said, and the ladder resumes),
    a hold waits, a chosen stage is proposed. True when the file decided."""
    if not debtor.invoices or not noted:
        return False
    dispute = _latest(noted, "dispute", "dispute_closed")
    if dispute and dispute.kind == "dispute":
        debtor.action = "suspended"
        debtor.reason = (f"contestation notée le {date_fr(dispute.day)} : « {dispute.text} » — traitez-la avant toute "
                         "relance (dunning note … --dispute-closed quand elle est réglée)")
        return True
    procedure = _latest(noted, "procedure")
    if procedure:
        claim = (f"avant le {date_fr(_months_later(procedure.until, 2))}" if procedure.until
                 else "dans les deux mois de la publication du jugement au BODACC")
        said = (f"procédure collective ({procedure.detail}) ouverte le {date_fr(procedure.day)} : plus aucune "
                "relance pour les créances nées avant le jugement (C. com. art. L622-21) ; déclarez-les au "
                f"mandataire judiciaire {claim} (art. R622-24)")
        before = [i for i in debtor.invoices if i.row.invoice_date < procedure.day]
        if len(before) == len(debtor.invoices):
            debtor.action, debtor.reason = "suspended", said
            return True
        # Invoices born after the judgment follow the ladder; the earlier ones are declared, not claimed.
        debtor.invoices = [i for i in debtor.invoices if i.row.invoice_date >= procedure.day]
        debtor.warn(f"{said} : factures {', '.join(i.row.invoice_number for i in before)}")
    # A promise and a hold are always noted with their date (`until`: commands/journal.py)
    promise = _latest(noted, "promise")
    if promise and cast(date, promise.until) >= run_date:
        debtor.action = "suspended"
        amount = f" de {money(promise.amount)}" if promise.amount else ""
        debtor.reason = (f"promesse de paiement{amount} au {date_fr(cast(date, promise.until))} (notée le "
                         f"{date_fr(promise.day)}) : relance suspendue jusque-là")
        return True
    if promise:
        debtor.warn(f"promesse de paiement au {date_fr(cast(date, promise.until))} non tenue (notée le "
                               f"{date_fr(promise.day)}) : l’échelle reprend")
    hold = _latest(noted, "hold")
    if hold and cast(date, hold.until) > run_date:
        debtor.reason = (f"aucune relance avant le {date_fr(cast(date, hold.until))} (noté le {date_fr(hold.day)} : "
                         f"{hold.text})")
        return True
    chosen = _latest(noted, "stage")
    if chosen and chosen.detail in ladder.ids:
        sent = [day for item in debtor.invoices
                for stage_id, day in history.get((debtor.debtor_id, item.row.invoice_number), ())
                if stage_id == chosen.detail and day >= chosen.day]
        if not sent:
            at = ladder.index(chosen.detail)
            debtor.action, debtor.stage = "send", ladder.stages[at]
            debtor.following = ladder.stages[at + 1] if at + 1 < len(ladder.stages) else None
            debtor.reason = f"étape choisie le {date_fr(chosen.day)} : {chosen.text}"
            return True
    return False


FOLLOW_UP = ".email"  # the e-mail after a call is its own step: `<stage id>.email` (its template's name)


def _call_first(debtor: DebtorPlan, ladder: Ladder, run_date: date, noted: Sequence[Event], history: History,
                alsace: bool, decided: bool = False) -> None:
    """A call with an e-mail companion: the run proposes the call script alone; the e-mail follows once
    the call's outcome is noted (`dunning note … --call reached|no_answer`), or, without a note after the
    stage's `call_wait_days` working days, in words that claim no call. No e-mail speaks of a
    conversation that did not happen. The follow-up comes before any later stage, but not before what
    the file decided (`decided`: a hold, a chosen stage)."""
    if debtor.action == "suspended" or not debtor.invoices:
        return
    calls = [s for s in ladder.stages if s.channel == "phone" and s.companion == "email"]
    pending = None
    for stage in calls:
        days = [day for item in debtor.invoices
                for stage_id, day in history.get((debtor.debtor_id, item.row.invoice_number), ())
                if stage_id == stage.id]
        done = any(stage_id == stage.id + FOLLOW_UP for item in debtor.invoices
                   for stage_id, _ in history.get((debtor.debtor_id, item.row.invoice_number), ()))
        if days and not done:
            pending = (stage, max(days))
    if pending is None or decided:
        if debtor.action == "send" and debtor.stage in calls:
            contains = tuple(e for e in debtor.stage.contains if e in CALL_SCRIPT_ELEMENTS)
            debtor.stage = replace(debtor.stage, companion=None, contains=contains)
            debtor.reason += " — l’appel d’abord ; le courriel suivra quand son issue sera notée"
        return
    stage, called = pending
    outcome = next((e for e in reversed(noted) if e.kind == "call" and called <= e.day <= run_date), None)
    wait_until = workdays.deadline(called, stage.call_wait_days, alsace)
    if outcome is None and run_date < wait_until:
        debtor.action, debtor.stage, debtor.following = "none", None, None
        debtor.reason = (f"appel « {stage.title} » du {date_fr(called)} : notez son issue (dunning note … --call "
                         f"reached|no_answer) ; sans note, le courriel de suite, sans mention d’appel, le "
                         f"{date_fr(wait_until)}")
        return
    at = ladder.index(stage.id)
    debtor.action = "send"
    debtor.following = ladder.stages[at + 1] if at + 1 < len(ladder.stages) else None
    debtor.stage = replace(stage, id=stage.id + FOLLOW_UP, title=f"{stage.title} — courriel après l’appel",
                           channel="email", companion=None,
                           contains=tuple(e for e in stage.contains if e != "call_script"))
    if outcome is None:
        debtor.call = {"outcome": None, "date": date_fr(called), "text": ""}
        debtor.reason = (f"appel du {date_fr(called)} sans issue notée après {stage.call_wait_days} jour(s) ouvré(s) : "
                         "courriel de suite sans mention d’appel")
        debtor.warn(f"issue de l’appel du {date_fr(called)} non notée : le courriel ne parle d’aucun appel")
    else:
        debtor.call = {"outcome": outcome.detail, "date": date_fr(outcome.day), "text": outcome.text or ""}
        said = "client joint" if outcome.detail == "reached" else "sans réponse"
        debtor.reason = f"appel du {date_fr(outcome.day)} ({said}) : courriel de suite"


def _event_documents(debtor: DebtorPlan, ladder: Ladder, run_date: date, noted: Sequence[Event],
                     alsace: bool) -> None:
    """The documents the file calls for, proposed to staff (`dunning document`) on the runs of the two working
    days after the event: the confirmation of a promise, the reply to a dispute, the notice of a missed
    instalment once the promised date has passed unpaid; the déclaration de créance until its deadline."""
    offered = {d.id: d.title for d in ladder.documents}

    def propose(kind: str, since: date | None, why: str, until: date | None = None) -> None:
        if (debtor.invoices or kind == "claim_declaration") and kind in offered and since is not None and since < run_date <= (until or workdays.deadline(since, 2, alsace)):
            debtor.warn(f"document à envoyer : « {offered[kind]} » ({why}) — dunning document … "
                                   f"{debtor.debtor_id} {kind}")

    promise = _latest(noted, "promise")
    if promise:
        propose("promise_confirmation", promise.day, f"promesse notée le {date_fr(promise.day)}")
        propose("missed_instalment_notice", promise.until,
                f"paiement promis au {date_fr(cast(date, promise.until))} non reçu")  # always dated
    dispute = _latest(noted, "dispute", "dispute_closed")
    if dispute and dispute.kind == "dispute":
        propose("dispute_reply", dispute.day, f"contestation notée le {date_fr(dispute.day)}")
    procedure = _latest(noted, "procedure")
    if procedure:
        end = _months_later(procedure.until, 2) if procedure.until else date.max
        propose("claim_declaration", procedure.day - timedelta(days=1), "procédure collective ouverte le "
                f"{date_fr(procedure.day)}", end)


# What a call script marks of a phone stage's elements (the e-mail marks the rest: deadline, payment…).
CALL_SCRIPT_ELEMENTS = ("call_script", "invoices", "amount_due", "due_date", "penalty_terms", "interest", "indemnity")


def _months_later(day: date, months: int) -> date:
    """The same day `months` later (the last day of a shorter month)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, _month_end(date(year, month, 1)).day))


def _received(stage: Stage, sent: date, noted: Sequence[Event], alsace: bool) -> date:
    """When the debtor had the letter: for a registered letter, the receipt noted after it was sent, else
    the sending date plus the postal allowance in working days (a deadline counted « à compter de la
    réception » cannot start on the day it is posted); for any other step, the day it was sent."""
    if stage.channel != "registered_letter":
        return sent
    receipt = next((e.day for e in reversed(noted) if e.kind == "received" and e.day >= sent), None)
    if receipt:
        return receipt
    day = sent
    for _ in range(max(stage.postal_days, 1)):
        day = workdays.next_working_day(day + timedelta(days=1), alsace)
    return day


def _choose(debtor: DebtorPlan, ladder: Ladder, run_date: date, history: History, reply: int,
            alsace: bool = False, noted: Sequence[Event] = ()) -> None:
    """The stage due today: suspensions first, then the calendar, never more than one step ahead,
    never before the minimum gap since the previous step, and never on a day its channel is closed."""
    if not debtor.invoices:
        debtor.reason = "aucune facture impayée"
        return
    disputed = [i.row.invoice_number for i in debtor.invoices if i.row.status == "disputed"]
    if disputed:
        debtor.action = "suspended"
        debtor.reason = (f"facture(s) contestée(s) : {', '.join(disputed)} — traitez la contestation "
                         "avant toute relance")
        return
    # A promised row has its promise_date (the ledger refuses it without: ledger-promise-date)
    kept = sorted((cast(date, i.row.promise_date), i.row.invoice_number) for i in debtor.invoices
                  if i.row.status == "promised" and cast(date, i.row.promise_date) >= run_date)
    if kept:
        day, number = kept[0]
        debtor.action = "suspended"
        debtor.reason = f"promesse de paiement au {date_fr(day)} (facture {number}) : relance suspendue jusque-là"
        return
    last, when = _last_step(debtor, ladder, history)
    not_before = None
    if last >= 0 and when is not None:
        previous = ladder.stages[last]
        gap = reply if previous.min_gap_days is None else previous.min_gap_days
        not_before = workdays.deadline(_received(previous, when, noted, alsace), gap, alsace)
    overdue = [i for i in debtor.invoices if i.overdue]
    if overdue:
        _post_due(debtor, ladder, max(i.days_late for i in overdue), last, run_date, not_before)
    else:
        _pre_due(debtor, ladder, run_date, last)
    if debtor.action == "send" and not_before is not None and run_date < not_before:
        assert when is not None  # not_before is counted from it
        previous = ladder.stages[last]
        debtor.action, debtor.stage, debtor.following = "none", None, None
        debtor.reason = (f"dernier envoi le {date_fr(when)} (« {previous.title} ») : prochaine étape possible le "
                         f"{date_fr(not_before)} (délai laissé au débiteur)")
    if debtor.action == "send":
        _on_an_open_day(debtor, run_date, alsace)


def _on_an_open_day(debtor: DebtorPlan, run_date: date, alsace: bool) -> None:
    """No call and no SMS on a Sunday or a public holiday; letters dated on working days only."""
    stage = debtor.stage
    assert stage is not None  # called for a debtor with a stage to send
    if stage.channel in ("phone", "sms"):
        why, later = workdays.quiet(run_date, alsace), run_date
        while workdays.quiet(later, alsace):
            later += timedelta(days=1)
    elif stage.channel in LETTER_CHANNELS:
        why, later = workdays.closed(run_date, alsace), workdays.next_working_day(run_date, alsace)
    else:
        return
    if why:
        debtor.action, debtor.stage, debtor.following = "none", None, None
        debtor.reason = f"{why} : « {stage.title} » ({CHANNEL_NAMES[stage.channel]}) reporté au {date_fr(later)}"


def _post_due(debtor: DebtorPlan, ladder: Ladder, worst: int, last: int, run_date: date,
              not_before: date | None = None) -> None:
    stages = ladder.stages  # every stage has its offset (schema): `or 0` is for mypy, as in model/ladder.py
    first_post = next((k for k, s in enumerate(stages) if (s.offset_days or 0) >= 0), len(stages))
    nxt = max(last + 1, first_post)
    if nxt >= len(stages):
        debtor.exhausted = True
        debtor.reason = ("toutes les étapes amiables ont été envoyées : préparez la saisine "
                         "(note de saisine, injonction de payer ou petites créances)")
        return
    if last < first_post:  # no reminder since the due date (at most the courteous pre-due one): a debt long
        # overdue starts further on, never with « simple oubli »
        start = max((ladder.index(stage_id) for days, stage_id in ladder.catch_up if worst >= days), default=-1)
        if start > nxt:
            nxt, debtor.catch_up = start, True
            debtor.first_seen = last < 0
    calendar = max((k for k, s in enumerate(stages) if (s.offset_days or 0) <= worst), default=-1)
    if calendar < nxt:
        when = run_date + timedelta(days=(stages[nxt].offset_days or 0) - worst)
        when = max(when, not_before) if not_before else when  # the calendar, and the gap left to the debtor
        debtor.reason = f"{worst} jour(s) de retard : prochaine étape « {stages[nxt].title} » le {date_fr(when)}"
        return
    debtor.action, debtor.stage = "send", stages[nxt]
    debtor.following = stages[nxt + 1] if nxt + 1 < len(stages) else None
    debtor.reason = f"{worst} jour(s) de retard"
    if debtor.catch_up:
        debtor.reason += (f" : premier contact, l’échelle commence à « {stages[nxt].title} »" if debtor.first_seen
                          else f" : aucune relance depuis l’échéance, l’échelle reprend à « {stages[nxt].title} »")
    if calendar > nxt:
        debtor.reason += (f" : le calendrier prévoit « {stages[calendar].title} », mais l’étape "
                          f"« {stages[nxt].title} » n’a pas encore été envoyée")


def _pre_due(debtor: DebtorPlan, ladder: Ladder, run_date: date, last: int) -> None:
    nearest = min(i.row.due_date for i in debtor.invoices)
    offset = (run_date - nearest).days  # ≤ 0 here
    # every stage has its offset (schema): `or 0` is for mypy
    due = [k for k, s in enumerate(ladder.stages) if (s.offset_days or 0) < 0 and (s.offset_days or 0) <= offset]
    if not due:
        debtor.reason = f"prochaine échéance le {date_fr(nearest)}"
        return
    if last >= due[-1]:
        debtor.reason = f"rappel avant échéance déjà envoyé (échéance le {date_fr(nearest)})"
        return
    debtor.action, debtor.stage = "send", ladder.stages[due[-1]]
    debtor.following = ladder.stages[due[-1] + 1] if due[-1] + 1 < len(ladder.stages) else None
    debtor.reason = f"échéance le {date_fr(nearest)}"


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def own_term(clause: Clause | None) -> Term:
    """The company's payment term as the plan checks due dates against it, from its variant:
    `days` counted from the invoice (None when the term runs from the order, the delivery or the
    receipt of the goods), `end_of_month` and `after_month_end` (the « fin de mois » method)."""
    if clause is None:
        return {}
    params, name = clause.params, clause.variant.name
    after = params.get("eom_method") == "apres_fin_de_mois"
    if name == "end_of_month_45":  # the legal maximum, stated by the variant itself
        return {"days": PAYMENT_TERM_EOM_MAX_DAYS, "end_of_month": True, "after_month_end": after}
    if name == "legal_default" or params.get("when"):  # from receipt (L441-10 I), on order or delivery
        return {}
    return {"days": cast("int | None", params.get("days")),  # an integer (clauses/payment_term/*.yaml)
            "end_of_month": bool(params.get("end_of_month")), "after_month_end": after}


def _end_of_month(invoice: date, delta: timedelta, after: bool) -> date:
    """« N jours fin de mois »: invoice + N days then the month's end, or (after) the invoice's
    month end + N days."""
    return _month_end(invoice) + delta if after else _month_end(invoice + delta)


def _warn_terms_under_cgv(debtor: DebtorPlan, term: Term) -> None:
    """`_warn_terms` with each invoice's payment term taken from the CGV version of its invoice date."""
    first = debtor.invoices[0].cgv if debtor.invoices else None
    if all(item.cgv is first for item in debtor.invoices):  # nearly always: one version per debtor
        _warn_terms(debtor, term if first is None else own_term(first.clause("payment_term")))
        return
    groups: dict[int, tuple[cgvversions.Terms | None, list[InvoicePlan]]] = {}
    for item in debtor.invoices:
        groups.setdefault(id(item.cgv), (item.cgv, []))[1].append(item)
    every = debtor.invoices
    try:
        for version, items in groups.values():
            debtor.invoices = items
            _warn_terms(debtor, term if version is None else own_term(version.clause("payment_term")))
    finally:
        debtor.invoices = every


def _warn_terms(debtor: DebtorPlan, term: Term) -> None:
    """An invoice due later than the company's own payment term, or than the legal cap between
    professionals (C. com. art. L441-10 I: 60 days from the invoice, or 45 days end of month)."""
    days, eom, after = term.get("days"), bool(term.get("end_of_month")), bool(term.get("after_month_end"))
    own = timedelta(days=days) if days else None
    legal = timedelta(days=PAYMENT_TERM_EOM_MAX_DAYS if eom else PAYMENT_TERM_MAX_DAYS)
    limits = [d for d in (own, legal if debtor.kind == "b2b" else None) if d is not None]
    if not limits:
        return
    # Neither limit comes before the invoice date plus its days (end of month only adds days):
    # the due dates within that, nearly all of them, need no more.
    shortest = min(limits)
    for item in debtor.invoices:
        row = item.row
        if row.due_date <= row.invoice_date + shortest:
            continue
        late = (row.due_date - row.invoice_date).days
        found = []
        if own is not None:
            limit = _end_of_month(row.invoice_date, own, after) if eom else row.invoice_date + own
            if row.due_date > limit:
                found.append(f"du délai des CGV ({days} jours{' fin de mois' if eom else ''}, soit le {date_fr(limit)})")
        if debtor.kind == "b2b":
            cap = _end_of_month(row.invoice_date, legal, after) if eom else row.invoice_date + legal
            if row.due_date > cap:
                rule = f"{PAYMENT_TERM_EOM_MAX_DAYS} jours fin de mois" if eom else f"{PAYMENT_TERM_MAX_DAYS} jours"
                found.append(f"du plafond légal de {rule} (C. com. art. L441-10 I, soit le {date_fr(cap)})")
        if found:
            debtor.warn(f"facture {row.invoice_number} : échéance le {date_fr(row.due_date)}, {late} jours "
                                   f"après la facture du {date_fr(row.invoice_date)}, au-delà "
                                   f"{' et '.join(found)} — vérifiez l’échéance saisie")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _warn(debtor: DebtorPlan, run_date: date, ladder: Ladder) -> None:
    years, article = PRESCRIPTION_YEARS[debtor.kind]
    # Prescription runs from delivery or completion (the ledger's `delivery_date`), else from the
    # invoice date; never from the due date (Cass. com. 26 févr. 2020, n° 18-25.036; Cass. 1re civ.
    # 19 mai 2021, n° 20-12.520). Started after this date, an invoice is prescribed more than
    # PRESCRIPTION_SOON days from now (3 days spare for 29 February both ways): most invoices, with
    # no date arithmetic.
    recent = _add_years(run_date + timedelta(days=PRESCRIPTION_SOON), -years) + timedelta(days=3)
    for item in debtor.invoices:
        row = item.row
        start = row.prescription_start
        limit = _add_years(start, years) if start <= recent else None
        if limit is not None:
            since = (f"depuis la livraison du {date_fr(start)}" if row.delivery_date else
                     f"depuis la facture du {date_fr(start)}, date de livraison non renseignée")
            if limit <= run_date:
                debtor.warn(f"facture {row.invoice_number} : créance prescrite depuis le {date_fr(limit)} "
                                       f"({years} ans {since}, {article}) sauf interruption (reconnaissance, "
                                       "action en justice)")
            elif (limit - run_date).days <= PRESCRIPTION_SOON:
                debtor.warn(f"facture {row.invoice_number} : prescription le {date_fr(limit)} ({years} ans "
                                       f"{since}, {article}) — faites reconnaître la dette ou saisissez le juge avant")
        if row.status == "promised" and cast(date, row.promise_date) < run_date:  # dated (ledger-promise-date)
            debtor.warn(f"facture {row.invoice_number} : promesse de paiement du "
                                   f"{date_fr(cast(date, row.promise_date))} non tenue")
    missing = [i.row.invoice_number for i in debtor.invoices
               if debtor.kind == "b2c" and i.overdue and i.notice is None]
    if missing:
        debtor.warn(f"pas de date de mise en demeure pour {', '.join(missing)} : aucun intérêt ne court "
                               "contre un consommateur avant la mise en demeure (C. civ. art. 1231-6)")
    overdue = sum((i.outstanding for i in debtor.invoices if i.overdue), ZERO)
    notice = next((k for k, s in enumerate(ladder.stages) if s.channel == "registered_letter"), len(ladder.stages))
    late_enough = debtor.exhausted or (debtor.stage is not None and debtor.stage.id in ladder.ids
                                        and ladder.index(debtor.stage.id) >= notice)
    if overdue and overdue <= SMALL_CLAIM and late_enough:
        debtor.warn(f"créance de {money(overdue)} (≤ {money(SMALL_CLAIM)}) : procédure simplifiée de recouvrement "
                               "des petites créances par commissaire de justice possible, avec l’accord du débiteur "
                               "(CPCE art. L125-1) ; devant le tribunal judiciaire, hors injonction de payer, tentative "
                               "préalable de conciliation, de médiation ou de procédure participative exigée "
                               "(CPC art. 750-1)")


def _warn_floor(debtor: DebtorPlan, rule: RateRule) -> None:
    """Each half-year the run computes where the CGV's rate is below 3 × the legal rate: named once
    per debtor with both rates; the floor is what the plan and the letters claim (C. com. L441-10 II)."""
    floored = [p for item in debtor.invoices for p in item.periods if p.stipulated is not None]
    for span in half_year_spans(floored):
        debtor.warn(
            f"{half_year_of(span.start)} ({half_year_fr(span.start)}) : taux des CGV ({rule.describe()}, soit "
            f"{percent(span.stipulated)}) inférieur à 3 fois le taux d’intérêt légal (3 × {percent(span.legal_rate)} = "
            f"{percent(span.rate)}) : ce minimum légal est réclamé pour ce semestre (C. com. art. L441-10 II)")

