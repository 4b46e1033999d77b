"""The companions of a FEC: the debtors' contacts (`--contacts`) and the invoices' due dates
(`ledger.due_dates` in the company profile), two small CSV files read like the ledger (UTF-8 or
Windows-1252, `;` or `,`, French or English headers), every problem located as file:line:column.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cgvkit.core.errors import KitError, Problem, Problems, os_reason
from cgvkit.core.phone import usable_phone
from cgvkit.dunning.ledger import (
    KINDS,
    _cut,
    _lines,
    column_ids,
    debtor_problems,
    encoding_warning,
    fold,
    parse_date,
    read_text,
    shown_path,
)

# A contacts file may call the kind of debtor simply « Type ».
_KIND_HEADERS = {fold("type"): "debtor_kind", fold("kind"): "debtor_kind", fold("b2b/b2c"): "debtor_kind"}
KIND_WORDS = {"b2b": "b2b", "b2c": "b2c", "professionnel": "b2b", "pro": "b2b", "consommateur": "b2c",
              "particulier": "b2c"}


@dataclass(frozen=True, slots=True)
class Contact:
    line: int
    kind: str  # "" when the file does not say: the company's market
    email: str
    phone: str
    address: str


@dataclass(frozen=True)
class Contacts:
    file: str
    by_debtor: dict[str, Contact]  # debtor_id → Contact
    warnings: tuple[Problem, ...] = ()


def _read(path: Path, root: Path, what: str, rule: str) -> tuple[str, str, list[Problem]]:
    file = shown_path(path, root)
    try:
        text, encoding = read_text(path.read_bytes())
    except UnicodeDecodeError:
        raise KitError([Problem(file, 1, 1, "", f"{what} n’est ni en UTF-8 ni en Windows-1252", rule)]) from None
    except OSError as exc:
        raise KitError([Problem(file, 1, 1, "", f"{what} illisible : {os_reason(exc)}", rule)]) from None
    warnings = [] if encoding == "utf-8" else [encoding_warning(file, what)]
    return file, text, warnings


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        yield from ((reader.line_num, record) for record in reader)
    except csv.Error:
        return


def load_contacts(path: Path, root: Path, market: str) -> Contacts:
    """debtor_id → e-mail, phone, address, kind; raises KitError on a bad file or cell."""
    file, text, warnings = _read(path, root, "le fichier des contacts", "contacts-file")
    problems = Problems(list(warnings))
    records = _records(text)
    _, header = next(records, (1, []))
    if not any(h.strip() for h in header):
        raise KitError([Problem(file, 1, 1, "", "le fichier des contacts est vide : la ligne d’en-tête manque",
                                "contacts-file")])
    header = [h if fold(h) not in _KIND_HEADERS else "debtor_kind" for h in header]
    columns = column_ids(header, file, problems)
    if "debtor_id" not in columns:
        problems.add(Problem(file, 1, len(header) + 1, "debtor_id", "colonne « Code client » (debtor_id) absente "
                             "de l’en-tête du fichier des contacts", "contacts-file"))
    problems.raise_if_errors()
    at = {name: columns.get(name, 0) - 1 for name in ("debtor_id", "debtor_kind", "debtor_email", "debtor_phone",
                                                      "debtor_address")}
    found: dict[str, Contact] = {}
    from cgvkit.dunning.outbox import mailbox  # the e-mails' own check

    for line, record in records:
        cells = [record[i].strip() if 0 <= i < len(record) else "" for i in at.values()]
        debtor, kind, email, phone, address = cells
        if not "".join(record).strip():
            continue
        where: Callable[[str], int] = lambda name: columns.get(name, 1)  # noqa: E731
        if not debtor:
            problems.add(Problem(file, line, where("debtor_id"), "debtor_id", "code client manquant", "contacts-required"))
            continue
        for column, message, rule in debtor_problems([debtor, "", "", "", phone, address]):
            problems.add(Problem(file, line, where(column), column, message, rule))
        if debtor in found:
            problems.add(Problem(file, line, where("debtor_id"), "debtor_id", f"le débiteur « {_cut(debtor)} » figure "
                                 f"déjà ligne {found[debtor].line}", "contacts-duplicate"))
            continue
        kind_id = KIND_WORDS.get(fold(kind), "?") if kind else ""
        if kind_id == "?" or (kind_id and kind_id not in KINDS):
            problems.add(Problem(file, line, where("debtor_kind"), "debtor_kind", f"type de débiteur inconnu "
                                 f"« {_cut(kind)} » (b2b ou professionnel, b2c ou consommateur)", "ledger-kind"))
            continue
        if market == "b2c" and kind_id == "b2b":
            problems.add(Problem(file, line, where("debtor_kind"), "debtor_kind", "les CGV de cette entreprise sont "
                                 "destinées aux consommateurs : elles ne fixent ni pénalités ni indemnité pour un "
                                 "débiteur professionnel", "ledger-kind-market"))
            continue
        if email:
            try:
                mailbox(email)
            except ValueError:
                problems.add(Problem(file, line, where("debtor_email"), "debtor_email", f"adresse électronique "
                                     f"« {_cut(email)} » inutilisable : les courriels de ce débiteur sont à envoyer à "
                                     "la main", "ledger-email", "warning"))
        if phone and phone.isprintable() and not usable_phone(phone):
            problems.add(Problem(file, line, where("debtor_phone"), "debtor_phone", f"numéro de téléphone "
                                 f"« {_cut(phone)} » illisible : les SMS et appels de ce débiteur sont à faire à la "
                                 "main", "ledger-phone", "warning"))
        found[debtor] = Contact(line, kind_id, email, phone, address)
    problems.raise_if_errors()
    return Contacts(file, found, tuple(problems.warnings))


def load_due_dates(path: Path, root: Path, where: Problem | None = None) -> tuple[str, dict[str, date]]:
    """invoice number → due date, from the profile's `ledger.due_dates` CSV (« N° facture »; « Échéance »)."""
    if not path.is_file():
        raise KitError([where or Problem(shown_path(path, root), 1, 1, "", "fichier des échéances introuvable",
                                         "due-dates-file")])
    file, text, _ = _read(path, root, "le fichier des échéances", "due-dates-file")
    problems = Problems()
    records = _records(text)
    _, header = next(records, (1, []))
    columns = column_ids(header, file, problems)
    for name, french in (("invoice_number", "N° facture"), ("due_date", "Échéance")):
        if name not in columns:
            problems.add(Problem(file, 1, len(header) + 1, name, f"colonne « {french} » ({name}) absente de l’en-tête "
                                 "du fichier des échéances", "due-dates-file"))
    problems.raise_if_errors()
    number_at, due_at = columns["invoice_number"] - 1, columns["due_date"] - 1
    found: dict[str, date] = {}
    for line, record in records:
        if not "".join(record).strip():
            continue
        number = record[number_at].strip() if number_at < len(record) else ""
        text_ = record[due_at].strip() if due_at < len(record) else ""
        day = parse_date(text_) if text_ else None
        if not number:
            problems.add(Problem(file, line, number_at + 1, "invoice_number", "numéro de facture manquant",
                                 "due-dates-file"))
        elif day is None:
            problems.add(Problem(file, line, due_at + 1, "due_date", f"échéance illisible « {_cut(text_)} » "
                                 "(AAAA-MM-JJ ou JJ/MM/AAAA)", "ledger-date"))
        else:
            found[number] = day
    problems.raise_if_errors()
    return file, found
