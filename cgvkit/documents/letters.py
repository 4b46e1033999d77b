"""A debtor's letter: the ladder's letter (model/letters.py) filled with the debtor's invoices, interest
and payment block on the run date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from cgvkit.core.french import date_fr, money, percent
from cgvkit.documents.epcqr import epc_qr, remittance_text
from cgvkit.law import workdays
from cgvkit.law.figures import SMALL_CLAIM
from cgvkit.law.interest import half_year_spans
from cgvkit.model.cgvversions import letter_terms
from cgvkit.model.company import market_view
from cgvkit.model.letters import REPLY_DAYS, address_lines, payment, sender, span_fr, terms


def filled_context(company, debtor, stage, run_date: date, rates, html: bool, interest_note: str = "",
                   extra: dict | None = None, pay: tuple[Decimal, date | None] | None = None) -> dict:
    """The context of one debtor's letter on `run_date`; `interest_note` (« intérêts arrêtés au …,
    à parfaire ») when the rate table stops before the run date. `pay`: the amount and date the
    transfer block and its QR code ask for (a payment plan's first instalment); default the total due."""
    claimed = debtor.claimed
    kind = debtor.kind
    company = market_view(company, kind)  # a company selling to both: the CGV of the debtor's market
    rows = [_invoice_row(i, kind) for i in claimed]
    totals = debtor.totals(claimed)
    reply = company.letters.get("reply_days", REPLY_DAYS)
    numbers = [i.row.invoice_number for i in claimed]
    reference = remittance_text(numbers, f"client {debtor.debtor_id}")
    amount, due = pay or (totals["total"], None)
    qr = epc_qr(company, amount, reference) if html else None
    first = debtor.rows[0]
    notices = sorted({i.notice for i in claimed if getattr(i, "notice", None)})
    spans = half_year_spans(p for i in claimed for p in i.periods)
    return {
        "blank": False, "stage": stage, "sender": sender(company), "_company": company,
        "signatory": company.letters["signatory"],
        "profile": getattr(getattr(company, "source", None), "file", "companies/…"),  # the commands an internal script prints name the company's profile
        "when": date_fr(run_date), "deadline": date_fr(workdays.deadline(run_date, reply, bool(company.letters.get("alsace_moselle")))),
        "reply_days": reply,
        "debtor": {"id": debtor.debtor_id, "name": debtor.name, "address": address_lines(first.debtor_address),
                   "email": first.debtor_email, "phone": first.debtor_phone},
        "invoices": rows, "count": len(rows), "plural": len(rows) > 1,
        "small_claim": totals["outstanding"] <= SMALL_CLAIM,
        "totals": {k: money(v) for k, v in totals.items()},
        "first_due": date_fr(min(i.row.due_date for i in claimed)) if claimed else "",
        "notice_date": date_fr(notices[0]) if notices else "",
        "interest_note": interest_note,
        "interest_computed": bool(spans),  # some interest was computed (not a consumer before the notice)
        "rates_applied": [{"span": span_fr(p.start, p.end), "rate": percent(p.rate)} for p in spans],
        "next_stage": getattr(debtor, "following", None),
        "catch_up": getattr(debtor, "catch_up", False),  # a first contact long overdue: no « précédents rappels »
        "terms": _terms_of_invoices(company, claimed, kind, rates, spans),
        "payment": payment(company, money(amount), reference, qr, date_fr(due) if due else ""),
        "schedule": [], "steps": [],  # on-demand documents: payment plan schedule, journal steps
        **(extra or {}),
    }


def _terms_of_invoices(company, claimed, kind: str, rates, spans) -> dict:
    """`terms` of the CGV version the claimed invoices were made under (the latest when they span
    several), citing « en vigueur au … » for each of them."""
    version, in_force = letter_terms(company, claimed)
    return {**terms(version, kind, rates, spans), "cgv_in_force": in_force}


def _invoice_row(item, kind: str) -> dict:
    row = item.row
    return {"number": row.invoice_number, "invoice_date": date_fr(row.invoice_date), "due_date": date_fr(row.due_date),
            "amount": money(row.amount), "outstanding": money(item.outstanding), "days_late": item.days_late,
            "interest": money(item.interest), "indemnity": money(item.indemnity) if kind == "b2b" else "",
            # A partial payment with its date (dunning/payments.py): the reminders thank for it.
            "paid": money(row.paid_amount) if row.paid_amount else "",
            "paid_on": date_fr(item.paid_on) if getattr(item, "paid_on", None) else "",
            "periods": [{"from": date_fr(p.start), "to": date_fr(p.end), "days": p.days, "rate": percent(p.rate)}
                        for p in item.periods]}

