"""The FEC (fichier des écritures comptables, LPF art. L47 A and A47 A-1) read as a ledger.

The 18 columns of the article A47 A-1 (`JournalCode` … `Idevise`, names compared without case),
tab or `|` separated, dates `AAAAMMJJ`, amounts with a decimal comma (a point is read too),
UTF-8 or Windows-1252. The file is named `<SIREN>FEC<AAAAMMJJ>`: another name is a warning, another
company's SIREN an error.

What the kit reads:
- customer accounts: `CompteNum` starting with 411, or the profile's `ledger.fec_customer_prefixes`;
  the debtor is the auxiliary account (`CompAuxNum`, `CompAuxLib`), else the account itself;
- a debit on such an account is an invoice (`PieceRef`, dated `PieceDate`, else `EcritureDate`);
  a credit is a payment or a credit note (dated `EcritureDate`, the day of the bank or sales entry);
- the lettering code (`EcritureLet`) groups invoices and the credits that settle them. The codes are
  compared without case and without a trailing `*`: full letters in capitals (`AA`), partial ones in
  lower case (`aa`) or starred (`AA*`), as Sage, Cegid or EBP write them, make one group. Whatever
  the marker says, the amounts decide: the group's credits are set against its invoices oldest first;
  an invoice is paid on the date of the credit that completes it, partly paid with what reached it;
- an entry (`EcritureNum` within `JournalCode`) whose debits and credits differ is an error.

Output: the Ledger and Row objects of the CSV reader, so the plan is the same. The due date, which
a FEC does not hold, is the invoice date plus the CGV's payment term (« fin de mois » included), or
the one given by the profile's `ledger.due_dates` file. Kept: the open invoices, and those paid
after their due date (late-payment penalties); invoices paid on time are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, cast

from cgvkit.core.errors import KitError, Problem, Problems, os_reason
from cgvkit.core.french import money
from cgvkit.dunning.ledger import Ledger, Row, _cut, _lines, debtor_problems, read_text, shown_path
from cgvkit.model.company import default_kind

if TYPE_CHECKING:
    from cgvkit.dunning.contacts import Contacts
    from cgvkit.model.company import Company

COLUMNS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise")
CUSTOMER_PREFIXES = ("411",)
NAME = re.compile(r"(\d{9})FEC(\d{8})", re.ASCII)
_AMOUNT = re.compile(r"(-?)(\d{1,15})(?:[,.](\d{1,9}))?", re.ASCII)
_DATE = re.compile(r"\d{8}", re.ASCII)
_UNSEEN = object()
# bad(line, column, name, message, rule): one located error, counted
Bad = Callable[[int, int, str, str, str], None]


class Term(TypedDict, total=False):
    """The CGV's payment term, as plan.own_term gives it (empty: no term counted from the invoice)."""

    days: int | None
    end_of_month: bool
    after_month_end: bool


def load_fec(path: Path, root: Path, company: Company, stages: tuple[str, ...], contacts: Contacts | None = None,
             due_dates: dict[str, date] | None = None, prefixes: Sequence[str] | None = None) -> Ledger:
    """Read, check and turn a FEC into a Ledger; raises KitError listing every problem."""
    file = shown_path(path, root)
    try:
        text, encoding = read_text(path.read_bytes())
    except UnicodeDecodeError:
        raise KitError([Problem(file, 1, 1, "", "le FEC n’est ni en UTF-8 ni en Windows-1252", "fec-encoding")]) from None
    except OSError as exc:
        raise KitError([Problem(file, 1, 1, "", f"FEC illisible : {os_reason(exc)}", "fec-missing")]) from None
    problems = Problems()
    if encoding != "utf-8":
        problems.add(Problem(file, 1, 1, "", "le FEC n’est pas en UTF-8 : il a été lu en Windows-1252 ; vérifiez "
                             "les accents des noms dans le plan", "fec-encoding", "warning"))
    _check_name(path.name, file, str(company.identity["siren"]).replace(" ", ""), problems)
    by_kind = {market: term_of(view) for market, view in company.views.items()} if len(company.views) > 1 else None
    return parse_fec(text, file, default_kind(company), stages, term_of(company), prefixes, contacts, due_dates or {},
                     problems, by_kind)


def term_of(company: Company) -> Term:
    from cgvkit.dunning.plan import own_term  # plan imports the law modules: only when a FEC is read

    return own_term(company.clause("payment_term"))


def _check_name(name: str, file: str, siren: str, problems: Problems) -> None:
    match = NAME.match(name)
    if match is None:
        problems.add(Problem(file, 1, 1, "", f"nom de fichier « {_cut(name)} » : un FEC se nomme <SIREN>FEC<AAAAMMJJ> "
                             "(SIREN de l’entreprise, date de clôture de l’exercice), par exemple "
                             f"{siren}FEC20261231.txt ; vérifiez qu’il s’agit du bon fichier", "fec-name", "warning"))
    elif match.group(1) != siren:
        problems.add(Problem(file, 1, 1, "", f"ce FEC est celui du SIREN {match.group(1)}, pas de l’entreprise "
                             f"(SIREN {siren}) : mauvais fichier", "fec-siren"))


def due_date_for(invoice: date, term: Term) -> date:
    """The invoice date plus the CGV's term: N days, or N days « fin de mois » (either method)."""
    from cgvkit.dunning.plan import _end_of_month

    days = term.get("days")
    if not days:
        return _end_of_month(invoice, timedelta(0), False) if term.get("end_of_month") else invoice
    delta = timedelta(days=days)
    if term.get("end_of_month"):
        return _end_of_month(invoice, delta, bool(term.get("after_month_end")))
    return invoice + delta


@dataclass(slots=True)
class _Line:
    line: int
    debtor: str
    name: str
    piece: str
    day: date
    cents: int  # > 0 invoice, < 0 credit (payment or credit note)
    letter: str


def parse_fec(text: str, file: str, market: str, stages: tuple[str, ...], term: Term,
              prefixes: Sequence[str] | None = None, contacts: Contacts | None = None,
              due_dates: dict[str, date] | None = None, problems: Problems | None = None,
              by_kind: dict[str, Term] | None = None) -> Ledger:
    """`term` counts due dates; `by_kind` (b2b, b2c → term), for a company selling to both, the term of
    each debtor's CGV."""
    problems = problems or Problems()
    lines = _lines(text.removeprefix("\ufeff"))
    first = next(lines, "").rstrip("\r\n")
    separator = "\t" if "\t" in first else "|" if "|" in first else None
    if separator is None:
        raise KitError([*problems.errors, Problem(file, 1, 1, "", "en-tête du FEC illisible : les 18 colonnes "
                                                  "(JournalCode … Idevise) sont séparées par une tabulation ou par "
                                                  "« | »", "fec-columns")])
    header = [h.strip().casefold() for h in first.split(separator)]
    at: dict[str, int] = {}
    for name in COLUMNS:
        if name.casefold() in header:
            at[name] = header.index(name.casefold())
        else:
            problems.add(Problem(file, 1, len(header) + 1, name, f"colonne « {name} » absente de l’en-tête du FEC "
                                 "(LPF art. A47 A-1 : 18 colonnes, de JournalCode à Idevise)", "fec-columns"))
    problems.raise_if_errors()
    width = len(header)
    (c_journal, c_number, c_day, c_account, c_account_name, c_aux, c_aux_name, c_piece, c_piece_day, c_debit,
     c_credit, c_letter, c_letter_day) = (at[n] for n in (
         "JournalCode", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum", "CompAuxLib",
         "PieceRef", "PieceDate", "Debit", "Credit", "EcritureLet", "DateLet"))
    prefixes = tuple(prefixes or CUSTOMER_PREFIXES)
    entries: dict[tuple[str, str], list[int]] = {}  # (journal, number) → [first line, debits, credits] in cents
    dates: dict[str, date | None] = {"": None}
    amounts: dict[str, int] = {"": 0}
    customer: list[_Line] = []
    errors = 0

    def bad(line: int, column: int, name: str, message: str, rule: str) -> None:
        nonlocal errors
        errors += 1
        if errors <= 1000:  # a file of another kind: the first thousand say enough
            problems.add(Problem(file, line, column + 1, name, message, rule))

    def day_of(line: int, column: int, name: str, value: str, required: bool) -> date | None:
        found = dates.get(value, _UNSEEN)
        if found is _UNSEEN:
            found = _date(value)
            if len(dates) < 100_000:
                dates[value] = found
        if found is None and (value or required):
            bad(line, column, name, f"date illisible « {_cut(value)} » dans « {name} » (format AAAAMMJJ, par "
                "exemple 20260315)" if value else f"date manquante dans « {name} »", "fec-date")
        return cast("date | None", found)  # not _UNSEEN any more

    for line, raw in enumerate(lines, start=2):
        raw = raw.rstrip("\r\n")
        if not raw.strip():
            continue
        cells = raw.split(separator)
        if len(cells) != width:
            bad(line, min(len(cells), width), "", f"{len(cells)} colonne(s) au lieu de {width} : une zone contient-elle "
                "le séparateur, ou la ligne est-elle coupée ?", "fec-columns")
            continue
        debit, credit = amounts.get(cells[c_debit]), amounts.get(cells[c_credit])
        if debit is None:
            debit = _cents_checked(cells[c_debit], amounts, line, c_debit, "Debit", bad)
        if credit is None:
            credit = _cents_checked(cells[c_credit], amounts, line, c_credit, "Credit", bad)
        day = dates.get(cells[c_day]) or day_of(line, c_day, "EcritureDate", cells[c_day].strip(), True)
        if debit is None or credit is None:
            continue
        key = (cells[c_journal], cells[c_number])
        entry = entries.get(key)
        if entry is None:
            entries[key] = [line, debit, credit]
        else:
            entry[1] += debit
            entry[2] += credit
        account = cells[c_account].strip()
        if not account.startswith(prefixes) or debit == credit:
            continue
        piece_day = day_of(line, c_piece_day, "PieceDate", cells[c_piece_day].strip(), False)
        day_of(line, c_letter_day, "DateLet", cells[c_letter_day].strip(), False)
        if day is None:
            continue
        aux = cells[c_aux].strip()
        debtor, name = (aux, cells[c_aux_name].strip()) if aux else (account, cells[c_account_name].strip())
        piece = cells[c_piece].strip() or f"{cells[c_journal].strip()}-{cells[c_number].strip()}"
        net = debit - credit
        customer.append(_Line(line, debtor, name or debtor, piece, (piece_day or day) if net > 0 else day, net,
                              cells[c_letter].strip().rstrip("*").upper()))
    for (journal, number), (line, debits, credits) in entries.items():
        if debits != credits:
            bad(line, c_number, "EcritureNum", f"l’écriture {journal.strip()} n° {number.strip()} n’est pas équilibrée : "
                f"débit {money(_decimal(debits))}, crédit {money(_decimal(credits))}", "fec-balance")
    if errors > 1000:
        problems.add(Problem(file, 1, 1, "", f"{errors} erreurs en tout ; les 1000 premières sont listées",
                             "fec-columns"))
    problems.raise_if_errors()
    del entries, amounts
    dates.clear()
    columns = {"debtor_id": c_aux + 1, "debtor_name": c_aux_name + 1, "invoice_number": c_piece + 1,
               "invoice_date": c_piece_day + 1, "due_date": c_piece_day + 1, "amount": c_debit + 1,
               "paid_amount": c_letter + 1, "payment_date": c_letter_day + 1}
    ledger = Ledger(file, columns, ())
    rows = _rows(customer, ledger, market, term, contacts, due_dates or {}, problems, by_kind)
    problems.raise_if_errors()
    return Ledger(file, columns, tuple(rows), tuple(problems.warnings))


def _date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _cents(text: str) -> int | None:
    """« 1234,56 », « 1234.5 », « -12 », «   0,00 » → cents; None if unreadable or finer than the cent."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        return None
    sign, units, decimals = match.groups()
    decimals = (decimals or "").ljust(2, "0")
    if decimals[2:].strip("0"):
        return None
    value = int(units) * 100 + int(decimals[:2])
    return -value if sign else value


def _cents_checked(text: str, amounts: dict[str, int], line: int, column: int, name: str, bad: Bad) -> int | None:
    value = _cents(text)
    if value is None:
        bad(line, column, name, f"montant illisible « {_cut(text.strip())} » dans « {name} » (virgule décimale, "
            "au centime, sans séparateur de milliers : 1234,56)", "fec-amount")
    elif len(amounts) < 200_000:
        amounts[text] = value
    return value


def _decimal(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _rows(customer: list[_Line], ledger: Ledger, market: str, term: Term, contacts: Contacts | None,
          due_dates: dict[str, date], problems: Problems, by_kind: dict[str, Term] | None = None) -> list[Row]:
    """Lettering groups → one Row per invoice still open or paid late; warnings per debtor."""
    groups: dict[tuple[str, str], list[_Line]] = {}
    for item in customer:
        groups.setdefault((item.debtor, item.letter), []).append(item)
    # (debtor, piece) → (first _Line, amount, paid, last payment day)
    invoices: dict[tuple[str, str], tuple[_Line, int, int, date | None]] = {}
    unlettered: dict[str, int] = {}  # debtor → cents of credits set against no invoice
    for (debtor, letter), items in groups.items():
        debits = sorted((i for i in items if i.cents > 0), key=lambda i: (i.day, i.line))
        credits = sorted((i for i in items if i.cents < 0), key=lambda i: (i.day, i.line))
        left = [(c.day, -c.cents) for c in credits] if letter else []  # (day, cents not yet set against an invoice)
        if not letter and credits:
            unlettered[debtor] = unlettered.get(debtor, 0) - sum(c.cents for c in credits)
        for item in debits:
            owed, paid, last = item.cents, 0, None
            while left and paid < owed:
                take = min(left[0][1], owed - paid)
                paid, last = paid + take, left[0][0]
                left[0] = (left[0][0], left[0][1] - take)
                if not left[0][1]:
                    left.pop(0)
            entry = invoices.get((debtor, item.piece))
            if entry is None:
                invoices[(debtor, item.piece)] = (item, owed, paid, last)
            else:  # one invoice on several lines (instalments): one row
                first, was_owed, was_paid, was_last = entry
                invoices[(debtor, item.piece)] = (first, was_owed + owed, was_paid + paid, max(
                    d for d in (was_last, last) if d) if (was_last or last) else None)
        if left:  # more credited than invoiced in this group
            unlettered[debtor] = unlettered.get(debtor, 0) + sum(c[1] for c in left)
    rows: list[Row] = []
    seen: set[str] = set()
    untyped: set[str] = set()
    names: dict[str, str] = {}
    without: list[_Line] = []
    for (debtor, piece), (item, owed, paid, last) in invoices.items():
        known = contacts.by_debtor.get(debtor) if contacts is not None else None
        typed = (known.kind if known else "") or market
        due = due_dates.get(piece) or due_date_for(item.day, (by_kind or {}).get(typed, term))
        if paid >= owed and (last is None or last <= due):
            continue  # paid on time: nothing to claim
        if debtor not in seen:
            seen.add(debtor)
            for column, message, rule in debtor_problems([debtor, item.name, "", "", "", ""]):
                problems.add(ledger.problem(_where(item), column, message, rule))
        contact = contacts.by_debtor.get(debtor) if contacts is not None else None
        if contact is None and contacts is not None and debtor not in names:
            without.append(item)
        names.setdefault(debtor, item.name)
        kind = (contact.kind if contact else "") or market
        if not kind:  # a company selling to both markets: the contacts file must type each debtor
            if debtor not in untyped:
                untyped.add(debtor)
                problems.add(ledger.problem(_where(item), "debtor_id", f"débiteur « {_cut(debtor)} » sans type : "
                                            "l’entreprise vend aux professionnels et aux consommateurs ; indiquez "
                                            "b2b ou b2c dans la colonne « type » du fichier des contacts "
                                            "(--contacts), qui choisit les CGV citées et les intérêts",
                                            "ledger-kind-missing"))
            continue
        paid_day = max(last, item.day) if last and paid else None  # a deposit before the invoice counts from it
        rows.append(Row(item.line, debtor, names[debtor], kind, contact.email if contact else "",
                        contact.phone if contact else "", contact.address if contact else "", piece, item.day,
                        max(due, item.day), _decimal(owed), _decimal(min(paid, owed)), "open", None, None, "",
                        None, paid_day))
    for item in without:
        assert contacts is not None  # `without`: debtors missing from the contacts file
        problems.add(Problem(ledger.file, item.line, ledger.columns["debtor_id"], "debtor_id",
                             f"débiteur « {_cut(item.debtor)} » ({_cut(item.name)}) absent de {contacts.file} : ni "
                             "courriel, ni SMS, ni adresse dans ses lettres", "fec-contact", "warning"))
    if contacts is None and rows:
        problems.add(Problem(ledger.file, 1, 1, "", "aucun fichier de contacts (--contacts) : ni courriel, ni SMS, "
                             "ni adresse dans les lettres, et chaque débiteur est traité selon le marché de "
                             "l’entreprise", "fec-contact", "warning"))
    if not term.get("days") and not term.get("end_of_month") and len(due_dates) < len(invoices):
        problems.add(Problem(ledger.file, 1, 1, "", "les CGV ne fixent pas de délai de paiement compté depuis la "
                             "facture : l’échéance retenue est la date de la facture, sauf celles que donne "
                             "ledger.due_dates", "fec-due-date", "warning"))
    for debtor, cents in unlettered.items():
        if debtor in seen:
            problems.add(Problem(ledger.file, 1, ledger.columns["paid_amount"], "EcritureLet",
                                 f"débiteur « {_cut(debtor)} » : {money(_decimal(cents))} de règlements ou d’avoirs "
                                 "non lettrés (ou au-delà des factures lettrées avec eux) ne sont déduits d’aucune "
                                 "facture ; lettrez-les en comptabilité", "fec-unlettered", "warning"))
    return rows


def _where(item: _Line) -> Row:
    """A stand-in row to locate a problem at a FEC line."""
    return Row(item.line, item.debtor, item.name, "", "", "", "", item.piece, item.day, item.day, Decimal(0),
               Decimal(0), "open", None, None, "")

