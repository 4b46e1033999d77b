"""The payments file (`--payments CSV`): every dated payment of an invoice, for several partial payments.

Columns `invoice_number`, `date`, `amount`, in the ledger's formats (UTF-8, `;` or `,`, decimal point
or comma, AAAA-MM-JJ or JJ/MM/AAAA); problems are located `file:line:column` as in the ledger.

How it meets the ledger (the kit's decision, docs/manuels/relance.md « Dates de règlement »):
- every payment names an invoice of the ledger (an unknown invoice is an error: a payment the kit
  cannot place would silently lower nothing, or the wrong debt);
- an invoice whose ledger `paid_amount` is empty (or 0) takes the sum of its payments and the date
  of the last one; an invoice whose `paid_amount` is filled in must agree with that sum to the cent,
  and its `payment_date`, when given, with the last payment's date: two sources that disagree are an
  error, never a silent choice;
- the payments of one invoice never exceed its amount, and none precedes the invoice date.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Protocol, cast

from cgvkit.core.errors import KitError, Problem, Problems, os_reason
from cgvkit.core.french import date_fr, money, percent
from cgvkit.dunning.ledger import (
    MAX_AMOUNT,
    Ledger,
    Row,
    _cut,
    _lines,
    invoice_key,
    parse_amount,
    parse_date,
    shown_path,
)
from cgvkit.law.interest import Imputed, Period, interest_on, rate_days

COLUMNS = ("invoice_number", "date", "amount")
ZERO = Decimal("0.00")

Paid = tuple[tuple[date, Decimal], ...]  # an invoice's dated payments, in date order
Found = list[tuple[int, str, date, Decimal]]  # the payments file's rows: (line, invoice number, date, amount)


class Invoice(Protocol):
    """What this module reads of an invoice's plan (plan.InvoicePlan)."""

    @property
    def row(self) -> Row: ...
    @property
    def days_late(self) -> int: ...
    @property
    def outstanding(self) -> Decimal: ...
    @property
    def interest(self) -> Decimal: ...
    @property
    def indemnity(self) -> Decimal: ...
    @property
    def periods(self) -> tuple[Period, ...]: ...
    @property
    def interest_from(self) -> date | None: ...
    @property
    def interest_until(self) -> date | None: ...
    @property
    def payments(self) -> tuple[Imputed, ...]: ...
    @property
    def paid_on(self) -> date | None: ...
    @property
    def overdue(self) -> bool: ...


class Debtor(Protocol):
    """What the statement of account reads of a debtor's plan (plan.DebtorPlan)."""

    @property
    def rows(self) -> Sequence[Row]: ...
    @property
    def invoices(self) -> Sequence[Invoice]: ...
    @property
    def paid_late(self) -> Sequence[Invoice]: ...


def load_payments(path: Path, root: Path) -> tuple[str, dict[str, int], Found]:
    """The payments file's name, its columns (name → 1-based position) and its rows (line, invoice
    number, date, amount); raises KitError listing every bad cell."""
    file = shown_path(path, root)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KitError([Problem(file, 1, 1, "", "le fichier des règlements n’est pas encodé en UTF-8 "
                                "(enregistrez-le en « CSV UTF-8 »)", "payments-encoding")]) from None
    except OSError as exc:
        raise KitError([Problem(file, 1, 1, "", f"fichier des règlements illisible : {os_reason(exc)}",
                                "payments-missing")]) from None
    return (file, *parse_payments(text, file))


def parse_payments(text: str, file: str) -> tuple[dict[str, int], Found]:
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    reader = csv.reader(_lines(text), delimiter=";" if first.count(";") > first.count(",") else ",")
    problems = Problems()
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise KitError([Problem(file, 1, 1, "", f"CSV illisible ({exc})", "payments-csv")]) from None
    names = [h.strip().lower() for h in header or ()]
    columns = {name: i for i, name in reversed(list(enumerate(names)))}
    for name in COLUMNS:
        if name not in columns:
            problems.add(Problem(file, 1, len(names) + 1, name, f"colonne obligatoire « {name} » absente de "
                                 "l’en-tête (invoice_number, date, amount)", "payments-missing-column"))
    problems.raise_if_errors()
    found, start = [], 2
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.add(Problem(file, reader.line_num or 1, 1, "", f"CSV illisible ({exc})", "payments-csv"))
            break
        line, start = start, reader.line_num + 1
        if not "".join(record).strip():
            continue
        cells = {name: (record[i].strip() if i < len(record) else "") for name, i in columns.items()
                 if name in COLUMNS}

        def bad(name: str, message: str, rule: str, line: int = line) -> None:
            problems.add(Problem(file, line, columns[name] + 1, name, message, rule))

        number, day_text, amount_text = cells["invoice_number"], cells["date"], cells["amount"]
        if not number:
            bad("invoice_number", "numéro de facture manquant", "payments-required")
        day = parse_date(day_text) if day_text else None
        if day is None:
            bad("date", f"date illisible « {_cut(day_text)} » (formats acceptés : AAAA-MM-JJ ou JJ/MM/AAAA)"
                if day_text else "date du règlement manquante", "payments-date")
        amount = parse_amount(amount_text) if amount_text else None
        if amount is None:
            bad("amount", f"montant illisible « {_cut(amount_text)} » (exemples valides : 1234.56 ou 1 234,56)"
                if amount_text else "montant du règlement manquant", "payments-amount")
        elif amount <= 0 or amount > MAX_AMOUNT:
            bad("amount", f"montant « {_cut(amount_text)} » : un règlement est positif (un avoir se déduit de la "
                "facture qu’il corrige)", "payments-amount")
            amount = None
        if number and day is not None and amount is not None:
            found.append((line, number, day, amount))
    problems.raise_if_errors()
    return {name: columns[name] + 1 for name in COLUMNS}, found


def with_payments(ledger: Ledger, path: Path | None, root: Path, run_date: date | None = None) -> Ledger:
    """The ledger with the payments file applied (see the module's docstring); the ledger itself when
    no file is given. Raises KitError listing every disagreement, located in the payments file, and
    every payment dated after `run_date` (a run cannot know a payment still to come)."""
    if path is not None:
        ledger = apply_payments(ledger, *load_payments(path, root), run_date)
    if run_date is not None:
        late = [(row, day) for row in ledger.rows if (day := row.payment_date) is not None and day > run_date]
        if late:
            raise KitError([ledger.problem(row, "payment_date", f"règlement daté du {day.isoformat()}, "
                                           f"après la date de relance ({run_date.isoformat()})", "ledger-payment-future")
                            for row, day in late])
    return ledger


def apply_payments(ledger: Ledger, file: str, columns: dict[str, int], found: Found,
                   run_date: date | None = None) -> Ledger:
    problems = Problems()
    rows = {invoice_key(row.invoice_number): k for k, row in enumerate(ledger.rows)}
    by_invoice: dict[str, list[tuple[int, date, Decimal]]] = {}
    for line, number, day, amount in found:
        key = invoice_key(number)
        if key not in rows:
            problems.add(Problem(file, line, columns["invoice_number"], "invoice_number", f"règlement pour la facture « {_cut(number)} », "
                                 f"absente du registre {ledger.file}", "payments-unknown-invoice"))
            continue
        row: Row = ledger.rows[rows[key]]
        if run_date is not None and day > run_date:
            problems.add(Problem(file, line, columns["date"], "date", f"règlement daté du {day.isoformat()}, après la "
                                 f"date de relance ({run_date.isoformat()}) : une relance ne peut pas connaître un "
                                 "règlement à venir", "payments-future"))
            continue
        if day < row.invoice_date:
            problems.add(Problem(file, line, columns["date"], "date", f"le règlement ({day.isoformat()}) précède la facture "
                                 f"{row.invoice_number} ({row.invoice_date.isoformat()}) : un acompte se déduit du "
                                 "montant facturé", "payments-before-invoice"))
            continue
        by_invoice.setdefault(key, []).append((line, day, amount))
    new_rows = list(ledger.rows)
    payments: dict[str, Paid] = {}
    for key, items in by_invoice.items():
        row = ledger.rows[rows[key]]
        items.sort(key=lambda item: (item[1], item[0]))
        total = sum((a for _, _, a in items), ZERO)
        last, first_line = items[-1][1], min(line for line, _, _ in items)
        if total > row.amount:
            problems.add(Problem(file, first_line, columns["amount"], "amount", f"les règlements de la facture {row.invoice_number} "
                                 f"({money(total)}) dépassent son montant ({money(row.amount)})",
                                 "payments-exceed"))
            continue
        if row.paid_amount and row.paid_amount != total:
            problems.add(Problem(file, first_line, columns["amount"], "amount", f"les règlements de la facture {row.invoice_number} "
                                 f"font {money(total)}, le registre indique {money(row.paid_amount)} réglés (ligne "
                                 f"{row.line}, colonne paid_amount) : mettez les deux sources d’accord, ou videz "
                                 "paid_amount pour que les règlements le remplacent", "payments-mismatch"))
            continue
        if row.payment_date and row.payment_date != last:
            problems.add(Problem(file, first_line, columns["date"], "date", f"dernier règlement de la facture {row.invoice_number} "
                                 f"le {last.isoformat()}, le registre indique le {row.payment_date.isoformat()} "
                                 f"(ligne {row.line}, colonne payment_date)", "payments-mismatch"))
            continue
        payments[key] = tuple((day, amount) for _, day, amount in items)
        new_rows[rows[key]] = replace(row, paid_amount=total, payment_date=last)
    problems.raise_if_errors()
    return replace(ledger, rows=tuple(new_rows), payments=payments)


def payments_of(row: Row, ledger: Ledger) -> Paid:
    """The dated payments of one ledger row: from the payments file, else (payment_date, paid_amount);
    () when the ledger gives no date (the paid amount is then taken as received by the due date)."""
    if ledger.payments:
        dated = ledger.payments.get(invoice_key(row.invoice_number))
        if dated:
            return dated
    if row.payment_date is not None and row.paid_amount:
        return ((row.payment_date, row.paid_amount),)
    return ()


# --- What letters, documents and plan.json say of payments -------------------------------------------

def json_amount(value: Decimal) -> str:
    """An amount as plan.json writes it: two decimals after a point."""
    return f"{value:.2f}"


def payments_json(item: Invoice) -> dict[str, list[dict[str, str]]]:
    """plan.json: an invoice's dated payments and where each went (empty without payment dates)."""
    if not item.payments:
        return {}
    return {"payments": [{"date": p.day.isoformat(), "amount": json_amount(p.amount), "to_interest": json_amount(p.interest),
                          "to_indemnity": json_amount(p.indemnity), "to_principal": json_amount(p.principal)}
                         for p in item.payments]}


def payment_rows(item: Invoice) -> list[dict[str, str]]:
    """An invoice's payments as a letter lists them (French dates and amounts)."""
    rows, left = [], item.row.amount
    for p in item.payments:
        left -= p.principal
        rows.append({"date": date_fr(p.day), "amount": money(p.amount), "interest": money(p.interest),
                     "indemnity": money(p.indemnity), "principal": money(p.principal), "left": money(left)})
    return rows


def segment_rows(item: Invoice) -> list[dict[str, object]]:
    """The days counted on each principal between payments (« du … au …, N j sur X »)."""
    # The plan keeps the periods and the payments, not the segments (memory, in a million-row ledger):
    # a segment ends on a payment day or the last day counted, and bears what the payments before left.
    ends = sorted({p.day for p in item.payments if item.interest_from and p.day > item.interest_from}
                  | ({item.interest_until} if item.interest_until else set()))
    found, rest = [], list(item.periods)
    for end in ends:
        mine = [p for p in rest if p.end <= end]
        rest = rest[len(mine):]
        if not mine:
            continue
        after = mine[0].start
        base = item.row.amount - sum((p.principal for p in item.payments if p.day < after), ZERO)
        days = sum(p.days for p in mine)
        found.append({"from": date_fr(after), "to": date_fr(mine[-1].end), "days": days, "base": money(base),
                      "rates": ", ".join(dict.fromkeys(percent(p.rate) for p in mine)),
                      "interest": money(interest_on(base, rate_days(mine)))})
    return found


def claim_extra(items: Sequence[Invoice]) -> dict[str, list[dict[str, object]]]:
    """The penalty claim's décompte: per invoice paid late, its payments, the days counted and what it owes."""
    # An invoice paid late has the day it was paid (plan._settled sets `paid_on`).
    rows = [{"number": i.row.invoice_number, "due_date": date_fr(i.row.due_date), "amount": money(i.row.amount),
             "paid_on": date_fr(cast(date, i.paid_on)), "days_late": i.days_late, "interest": money(i.interest),
             "indemnity": money(i.indemnity), "total": money(i.interest + i.indemnity),
             "payments": payment_rows(i), "segments": segment_rows(i)} for i in items]
    return {"settled": rows}


IMPUTATION_FR = {
    "principal": "chaque règlement s’impute sur la facture à laquelle il se rapporte (article 1342-10 du Code "
                 "civil), sur son principal",
    "penalties_first": "chaque règlement s’impute sur la facture à laquelle il se rapporte, d’abord sur les pénalités "
                       "de retard, puis sur l’indemnité forfaitaire, enfin sur le principal (articles 1342-10 et "
                       "1343-1 du Code civil{article})",
    "interest": "chaque règlement s’impute sur la facture à laquelle il se rapporte (article 1342-10 du Code "
                "civil), d’abord sur les intérêts échus, puis sur le principal (article 1343-1 du Code civil)",
}


def statement_extra(debtor: Debtor, order: str, imputation_article: int | None) -> tuple[dict[str, object], Decimal]:
    """The statement of account (relevé de compte): every invoice of the debtor in the ledger, its
    payments with their dates and imputation, interest or penalties and indemnity left, the balance.
    Returns (context, balance)."""
    plans = {id(i.row): i for i in (*debtor.invoices, *debtor.paid_late)}
    rows: list[dict[str, object]] = []
    payments: list[tuple[date | None, str, Imputed | None, Decimal]] = []  # (day, invoice, imputed, amount)
    balance = ZERO
    for row in debtor.rows:
        item = plans.get(id(row))
        principal = item.outstanding if item else row.outstanding
        interest = item.interest if item else ZERO
        indemnity = item.indemnity if item else ZERO
        owed = principal + interest + indemnity
        balance += owed
        rows.append({"number": row.invoice_number, "invoice_date": date_fr(row.invoice_date),
                     "due_date": date_fr(row.due_date), "amount": money(row.amount), "paid": money(row.paid_amount),
                     "principal": money(principal), "interest": money(interest), "indemnity": money(indemnity),
                     "owed": money(owed), "due": owed > 0 and bool(item and item.overdue)})
        if item and item.payments:
            payments += [(p.day, row.invoice_number, p, p.amount) for p in item.payments]
        elif row.paid_amount:
            payments.append((row.payment_date, row.invoice_number, None, row.paid_amount))
    listed = []
    for day, number, p, amount in sorted(payments, key=lambda e: (e[0] or date.min, e[1])):
        listed.append({"date": date_fr(day) if day else "date non renseignée", "invoice": number, "amount": money(amount),
                       "interest": money(p.interest) if p else "", "indemnity": money(p.indemnity) if p else "",
                       "principal": money(p.principal if p else amount)})
    article = f", article {imputation_article} de nos conditions générales de vente" if imputation_article else ""
    return {"statement": rows, "statement_payments": listed, "balance": money(balance),
            "imputation": IMPUTATION_FR[order].format(article=article)}, balance
