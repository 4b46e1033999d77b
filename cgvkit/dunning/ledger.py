"""The ledger CSV (an aged-balance export): parsed, checked row by row, every problem located.

UTF-8 (with or without BOM), comma or semicolon separated (detected from the header), amounts
with a decimal point or a decimal comma, dates as YYYY-MM-DD or DD/MM/YYYY. A problem names
`file:ROW:COLUMN` where ROW is the line in the file (the header is line 1) and COLUMN the
1-based position of the column.
"""

from __future__ import annotations

import csv
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

from cgvkit.core.errors import KitError, Problem, Problems, os_reason
from cgvkit.core.french import money
from cgvkit.core.phone import usable_phone
from cgvkit.law.figures import MARKETS
from cgvkit.law.identity import check_one_line, hidden_characters

# The profile's place for a column id (`mapped_at(id, message)`): a problem located in the profile.
MappedAt = Callable[[str, str], Problem]
# The profile's `ledger.columns`: column id → header as the export writes it.
Mapping_ = Mapping[str, object]

REQUIRED = ("debtor_id", "debtor_name", "invoice_number", "invoice_date", "due_date", "amount")
OPTIONAL = ("debtor_kind", "debtor_email", "debtor_phone", "debtor_address", "paid_amount", "status",
            "promise_date", "formal_notice_date", "last_stage", "delivery_date", "payment_date")
KINDS = MARKETS
STATUSES = ("open", "disputed", "promised")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal(10) ** 11  # 100 billion euros: no invoice is larger
# The run names a debtor's files `<debtor>-<stage>.pdf` (`-email.txt`, `.eml`…): a file name has at
# most 255 bytes, and 64 characters leave room for any stage id of the ladder.
MAX_DEBTOR_ID = 64


@dataclass(frozen=True, slots=True)  # a million of them in a big ledger: no per-row dict
class Row:
    line: int
    debtor_id: str
    debtor_name: str
    debtor_kind: str
    debtor_email: str
    debtor_phone: str
    debtor_address: str
    invoice_number: str
    invoice_date: date
    due_date: date
    amount: Decimal
    paid_amount: Decimal
    status: str
    promise_date: date | None
    formal_notice_date: date | None
    last_stage: str
    delivery_date: date | None = None  # delivery or completion: prescription runs from it
    payment_date: date | None = None  # the day `paid_amount` was received (interest runs through it)

    @property
    def prescription_start(self) -> date:
        """Where prescription runs from: delivery or completion (Cass. com. 26 févr. 2020,
        n° 18-25.036), else the invoice date; never the due date."""
        return self.delivery_date or self.invoice_date

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount if self.paid_amount else self.amount  # no new object for most


@dataclass(frozen=True)
class Ledger:
    file: str
    columns: dict[str, int]  # column name → 1-based index
    rows: tuple[Row, ...]
    warnings: tuple[Problem, ...] = ()  # severity "warning": one debtor's problem that does not stop the run
    # invoice_key → ((date, amount), ...): the payments file (dunning/payments.py)
    payments: dict[str, tuple[tuple[date, Decimal], ...]] | None = None

    def problem(self, row: Row, column: str, message: str, rule: str, severity: str = "error") -> Problem:
        return Problem(self.file, row.line, self.columns.get(column, 1), column, message, rule, severity)


def shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_ledger(path: Path, root: Path, market: str, stages: Sequence[str], mapping: Mapping_ | None = None,
                mapped_at: MappedAt | None = None) -> Ledger:
    """Read and check the whole ledger; raises KitError listing every bad row. `mapping` is the
    profile's `ledger.columns` (column id → header as the export writes it), `mapped_at(id)` the
    profile's place for that id (a Problem factory)."""
    file = shown_path(path, root)
    try:
        text, encoding = read_text(path.read_bytes())
    except UnicodeDecodeError:
        raise KitError([Problem(file, 1, 1, "", "le registre n’est ni en UTF-8 ni en Windows-1252 "
                                "(enregistrez-le en « CSV UTF-8 »)", "ledger-encoding")]) from None
    except OSError as exc:
        raise KitError([Problem(file, 1, 1, "", f"registre illisible : {os_reason(exc)}", "ledger-missing")]) from None
    ledger = parse_ledger(text, file, market, stages, mapping, mapped_at)
    if encoding != "utf-8":
        ledger = replace(ledger, warnings=(encoding_warning(file, "le registre"), *ledger.warnings))
    return ledger


def read_text(data: bytes) -> tuple[str, str]:
    """A file's text: UTF-8 (BOM or not), else Windows-1252, French Excel's « CSV (séparateur :
    point-virgule) »; raises UnicodeDecodeError when it is neither."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def encoding_warning(file: str, what: str) -> Problem:
    return Problem(file, 1, 1, "", f"{what} n’est pas en UTF-8 : il a été lu en Windows-1252 (l’encodage du « CSV "
                   "(séparateur : point-virgule) » d’Excel) ; vérifiez les accents des noms dans le plan",
                   "ledger-encoding", "warning")


def fold(text: str) -> str:
    """A column header as compared: accents, case and punctuation folded (« N° Facture » → « n facture »,
    « E-mail » → « e mail », « debtor_id » → « debtor id »)."""
    text = unicodedata.normalize("NFKD", text.replace("\u00b0", " ").replace("\u00ba", " ")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


# French headers as users write them (folded by `fold`), beside the column ids themselves.
ALIASES = {
    "debtor_id": ("code client", "n client", "no client", "numero client", "numero de client", "ref client",
                  "reference client", "compte client", "code tiers", "compte auxiliaire", "id client"),
    "debtor_name": ("client", "nom client", "nom du client", "raison sociale", "debiteur", "nom"),
    "debtor_kind": ("type client", "type de client", "type de debiteur"),
    "debtor_email": ("e mail", "email", "courriel", "mail", "adresse e mail", "adresse electronique"),
    "debtor_phone": ("telephone", "tel", "portable", "mobile", "numero de telephone"),
    "debtor_address": ("adresse", "adresse postale", "adresse de facturation"),
    "invoice_number": ("n facture", "no facture", "n de facture", "numero facture", "numero de facture", "facture",
                       "ref facture", "reference facture", "piece", "n piece"),
    "invoice_date": ("date facture", "date de facture", "date de la facture", "date piece", "date d emission"),
    "due_date": ("echeance", "date echeance", "date d echeance", "date de l echeance"),
    "amount": ("montant ttc", "montant", "total ttc", "montant facture", "montant de la facture"),
    "paid_amount": ("montant regle", "regle", "deja regle", "montant paye", "montant encaisse"),
    "status": ("statut", "etat"),
    "promise_date": ("date de promesse", "date promesse", "promesse"),
    "formal_notice_date": ("date de mise en demeure", "mise en demeure"),
    "last_stage": ("derniere etape", "derniere relance", "etape"),
    "delivery_date": ("date de livraison", "date livraison", "livraison", "date d execution"),
    "payment_date": ("date de reglement", "date reglement", "date de paiement", "date paiement",
                     "date d encaissement"),
}
# The French header a message suggests for each required column.
FRENCH = {"debtor_id": "Code client", "debtor_name": "Client", "invoice_number": "N° facture",
          "invoice_date": "Date facture", "due_date": "Échéance", "amount": "Montant TTC"}
_HEADER_IDS = {fold(alias): name for name, aliases in ALIASES.items() for alias in (name, *aliases)}


def column_ids(header: list[str], file: str, problems: Problems, mapping: Mapping_ | None = None,
               mapped_at: MappedAt | None = None) -> dict[str, int]:
    """Header → {column id: 1-based index}: the profile's mapping first, then the ids and their French
    aliases; a header seen twice, or a mapped name absent from the header, is a located error."""
    folded = [fold(h) for h in header]
    ids: dict[str, int] = {}
    mapped: dict[int, str] = {}
    for name, wanted in (mapping or {}).items():
        key = fold(str(wanted))
        if key not in folded:
            shown = ", ".join(f"« {h.strip()} »" for h in header if h.strip())
            message = (f"colonne « {wanted} » absente de l’en-tête de {file} "
                       f"(colonnes : {_cut(shown) if len(shown) > 300 else shown})")
            problems.add(mapped_at(name, message) if mapped_at else
                         Problem(file, 1, len(header) + 1, name, message, "ledger-column-map"))
            continue
        mapped[folded.index(key)] = name
    for i, key in enumerate(folded):
        if i in mapped:
            name = mapped[i]
        else:
            name = _HEADER_IDS.get(key, key)
            if name in (mapping or {}):
                continue  # the profile chose another column for this id
        if not name:
            continue
        if name in ids:
            problems.add(Problem(file, 1, i + 1, name, f"la colonne « {_cut(header[i].strip())} » donne « {name} », "
                                 f"déjà donnée colonne {ids[name]}", "ledger-column-twice"))
            continue
        ids[name] = i + 1
    return ids


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_ledger(text: str, file: str, market: str, stages: Sequence[str], mapping: Mapping_ | None = None,
                 mapped_at: MappedAt | None = None) -> Ledger:
    text = text.removeprefix("\ufeff")
    bad = _CONTROL.search(text)
    if bad:  # a NUL byte would travel into letters, PDFs and plan.csv
        line = text.count("\n", 0, bad.start()) + 1
        raise KitError([Problem(file, line, 1, "", f"caractère de contrôle interdit (U+{ord(bad.group()):04X}) "
                                "à cette ligne : ce n’est pas un registre CSV en texte", "ledger-control")])
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(_lines(text), delimiter=delimiter)
    problems = Problems()
    header = next(_records(reader, file, problems), None)
    problems.raise_if_errors()
    if not header or not any(h.strip() for h in header):
        raise KitError([Problem(file, 1, 1, "", "le registre est vide : la ligne d’en-tête manque", "ledger-empty")])
    columns = column_ids(header, file, problems, mapping, mapped_at)
    names = header
    for name in REQUIRED:
        if name not in columns and name not in (mapping or {}):  # a mapped name not found is already said
            problems.add(Problem(file, 1, len(names) + 1, name, f"colonne obligatoire « {name} » absente de "
                                 f"l’en-tête (en français : « {FRENCH[name]} »)", "ledger-missing-column"))
    problems.raise_if_errors()
    ledger = Ledger(file, columns, ())
    parser = _RowParser(ledger, market, stages, problems)
    rows: list[Row] = []
    start = 2
    for record in _records(reader, file, problems):
        line, start = start, reader.line_num + 1
        if not "".join(record).strip():  # a blank line, or only separators
            continue
        row = parser.parse(line, record)
        if row is not None:
            rows.append(row)
    _check_debtors(ledger, rows, problems)
    problems.raise_if_errors()
    return Ledger(file, columns, tuple(rows), tuple(problems.warnings))


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their ends, one at a time: an io.StringIO would hold the whole text
    again at four bytes a character, and str.splitlines also splits at characters (U+2028, U+0085)
    that may stand inside a debtor's name."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end + 1]
        start = end + 1


def _records(reader: _Reader, file: str, problems: Problems) -> Iterator[list[str]]:
    """The CSV records; a record csv cannot read (a cell over 128 KiB) ends the file with a located error."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = ("cellule de plus de 128 Kio : ce n’est pas un registre de factures"
                      if "field limit" in str(exc) else f"CSV illisible ({exc})")
            problems.add(Problem(file, reader.line_num or 1, 1, "", reason, "ledger-csv"))
            return


if TYPE_CHECKING:
    from _csv import Reader as _Reader


# The cells a Row is made of, in the order `_RowParser.parse` reads them.
_CELLS = ("debtor_id", "debtor_name", "debtor_kind", "debtor_email", "debtor_phone", "debtor_address",
          "invoice_number", "invoice_date", "due_date", "amount", "paid_amount", "status", "promise_date",
          "formal_notice_date", "last_stage", "delivery_date", "payment_date")


class _RowParser:
    """Turns one CSV record into a Row, adding a located problem for each bad cell.

    Written for a million rows: cells are read by position, a date text is parsed once (a ledger
    has a few hundred distinct dates, and the rows then share them), and a debtor's texts repeated
    on consecutive rows are kept once.
    """

    def __init__(self, ledger: Ledger, market: str, stages: Iterable[str], problems: Problems):
        self.ledger, self.market, self.problems = ledger, market, problems
        self.stages = {stage: stage for stage in stages}
        positions = [ledger.columns.get(name, 0) - 1 for name in _CELLS]  # -1: no such column
        self.width = max(positions) + 1  # a shorter record is padded with empty cells to this width
        # Index -1 is the empty cell `parse` appends to every record: a missing column reads as empty.
        self.cells: Callable[[list[str]], tuple[str, ...]] = operator.itemgetter(*positions)
        self.invoices: dict[str, int] = {}  # invoice number as compared (`invoice_key`) → line
        self.flagged: set[tuple[int, str]] = set()  # (line, column) of every bad cell, looked up in constant time
        self.errors = 0
        self.dates: dict[str, date | None] = {}
        self.amounts: dict[str, Decimal] = {}  # paid_amount text → its Decimal
        self.previous: list[str] = []  # the row above's cells
        self.debtor_problems: list[tuple[str, str, str]] = []  # the row above's problems in its debtor cells
        self.bad_emails: set[tuple[str, str]] = set()  # (debtor, address) already warned about
        self.bad_phones: set[tuple[str, str]] = set()  # (debtor, number) already warned about

    def add(self, line: int, column: str, message: str, rule: str) -> None:
        self.flagged.add((line, column))
        self.errors += 1
        self.problems.add(Problem(self.ledger.file, line, self.ledger.columns.get(column, 1), column,
                                  message, rule))

    def warn(self, line: int, column: str, message: str, rule: str) -> None:
        self.problems.add(Problem(self.ledger.file, line, self.ledger.columns.get(column, 1), column,
                                  message, rule, "warning"))

    def parse(self, line: int, record: list[str]) -> Row | None:
        before = self.errors
        if len(record) < self.width:
            record += [""] * (self.width - len(record))
        record.append("")
        cells = list(map(str.strip, self.cells(record)))
        if self.previous and cells[:6] == self.previous[:6]:
            cells[:6] = self.previous[:6]  # the same debtor as the row above: share its texts
        else:
            self.debtor_problems = debtor_problems(cells[:6])
            self.check_email(line, cells[0], cells[3])
            self.check_phone(line, cells[0], cells[4])
        for column, message, rule in self.debtor_problems:  # every row with these cells is located
            self.add(line, column, message, rule)
        self.previous = cells
        (debtor_id, debtor_name, kind_text, email, phone, address, number, invoice_text, due_text, amount_text,
         paid_text, status_text, promise_text, notice_text, last_stage, delivery_text, payment_text) = cells
        if not debtor_id:
            self.add(line, "debtor_id", "valeur obligatoire manquante dans « debtor_id »", "ledger-required")
        if not debtor_name:
            self.add(line, "debtor_name", "valeur obligatoire manquante dans « debtor_name »", "ledger-required")
        if not number:
            self.add(line, "invoice_number", "valeur obligatoire manquante dans « invoice_number »",
                     "ledger-required")
        dates = self.dates  # a date already read is looked up here; anything else goes through `date`
        invoice_date = dates.get(invoice_text) or self.date(line, "invoice_date", invoice_text, required=True)
        due_date = dates.get(due_text) or self.date(line, "due_date", due_text, required=True)
        promise_date = (promise_text or None) and (dates.get(promise_text) or
                                                   self.date(line, "promise_date", promise_text, required=False))
        notice_date = (notice_text or None) and (dates.get(notice_text) or
                                                 self.date(line, "formal_notice_date", notice_text, required=False))
        delivery_date = (delivery_text or None) and (dates.get(delivery_text) or
                                                     self.date(line, "delivery_date", delivery_text, required=False))
        payment_date = (payment_text or None) and (dates.get(payment_text) or
                                                   self.date(line, "payment_date", payment_text, required=False))
        amount = self.money(line, "amount", amount_text, required=True)
        paid: Decimal | None
        if not paid_text:
            paid = ZERO
        elif paid_text == amount_text and amount is not None:  # paid in full: the same value, one object
            paid = amount
        else:  # partial payments repeat (« 100,00 »): one Decimal per text, as for dates
            paid = self.amounts.get(paid_text) or self.paid(line, paid_text)
        kind: str | None
        if not kind_text and not self.market:  # a company selling to both markets: no default kind
            self.add(line, "debtor_kind", "type de débiteur manquant : l’entreprise vend aux professionnels et aux "
                     "consommateurs ; indiquez b2b ou b2c, qui choisit les CGV citées et les intérêts",
                     "ledger-kind-missing")
            kind = None
        else:
            kind = self.choice(line, "debtor_kind", kind_text.lower() or self.market, KINDS, "ledger-kind",
                               "type de débiteur inconnu")
        status = self.choice(line, "status", status_text.lower() or "open", STATUSES, "ledger-status",
                             "statut inconnu")
        last_stage = self.stages.get(last_stage, last_stage)  # the ladder's own string, shared by the rows
        if last_stage and last_stage not in self.stages:
            self.add(line, "last_stage", f"étape inconnue « {_cut(last_stage)} » (étapes de l’échelle : "
                     f"{', '.join(sorted(self.stages))})", "ledger-stage")
        if number and not number.isprintable():
            said = check_one_line(number, "« invoice_number »")
            if said:
                self.add(line, "invoice_number", said, "ledger-control")
        self.coherence(line, number, invoice_date, due_date, amount, paid, kind, status, promise_date, notice_date)
        if payment_date and not paid:
            self.add(line, "payment_date", "une date de règlement sans montant réglé (« paid_amount ») : indiquez "
                     "le montant reçu ce jour-là", "ledger-payment-date")
        if payment_date and invoice_date and payment_date < invoice_date:
            self.add(line, "payment_date", f"le règlement ({payment_date.isoformat()}) précède la facture "
                     f"({invoice_date.isoformat()}) : un acompte se déduit du montant facturé", "ledger-payment-date")
        if (self.errors > before or invoice_date is None or due_date is None or amount is None or paid is None
                or kind is None or status is None):  # None only beside an error: for the type checker
            return None
        return Row(line, debtor_id, debtor_name, kind, email, phone, address, number, invoice_date, due_date,
                   amount, paid, status, promise_date, notice_date, last_stage, delivery_date, payment_date)

    def check_email(self, line: int, debtor_id: str, email: str) -> None:
        """An address that is not exactly one mailbox: that debtor's warning (its e-mails are then
        sent by hand), once per debtor and address; the other debtors' run goes on."""
        if not email or (debtor_id, email) in self.bad_emails:
            return
        from cgvkit.dunning.outbox import mailbox  # the e-mails' own check; outbox loads pypdf: only when needed

        try:
            mailbox(email)
        except ValueError:
            self.bad_emails.add((debtor_id, email))
            self.warn(line, "debtor_email", f"adresse électronique « {_cut(email)} » inutilisable : une seule "
                      "adresse nom@domaine est attendue, sans nom, seconde adresse ni caractère invisible ; "
                      "les courriels de ce débiteur sont à envoyer à la main", "ledger-email")

    def check_phone(self, line: int, debtor_id: str, phone: str) -> None:
        """A number that is not a telephone number (ASCII digits, an optional leading +, spaces, dots,
        dashes or brackets between them): that debtor's warning, once; calls and SMS go by hand."""
        if not phone or not phone.isprintable() or (debtor_id, phone) in self.bad_phones or usable_phone(phone):
            return  # a control character is already the row's error (ledger-control)
        self.bad_phones.add((debtor_id, phone))
        self.warn(line, "debtor_phone", f"numéro de téléphone « {_cut(phone)} » illisible : chiffres seulement, « + » "
                  "en tête pour un numéro international (+33 6 12 34 56 78) ; les SMS et appels de ce débiteur sont "
                  "à faire à la main", "ledger-phone")

    def coherence(self, line: int, number: str, invoice_date: date | None, due_date: date | None,
                  amount: Decimal | None, paid: Decimal | None, kind: str | None, status: str | None,
                  promise_date: date | None, notice_date: date | None = None) -> None:
        if number:
            key = invoice_key(number)
            if key in self.invoices:
                folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", number).casefold())
                same = "" if number == key else (f" (même numéro une fois la casse et les variantes de forme "
                                                 f"unifiées : « {_cut(folded)} »)")
                self.add(line, "invoice_number", f"la facture « {_cut(number)} » figure déjà ligne "
                         f"{self.invoices[key]}{same}", "ledger-duplicate-invoice")
            else:
                self.invoices[key] = line
        if invoice_date and due_date and due_date < invoice_date:
            self.add(line, "due_date", f"l’échéance ({due_date.isoformat()}) précède la date de facture "
                     f"({invoice_date.isoformat()})", "ledger-due-before-invoice")
        if invoice_date and notice_date and notice_date < invoice_date:
            why = (" : les intérêts d’un consommateur courent du lendemain de la mise en demeure" if kind == "b2c"
                   else "")
            self.add(line, "formal_notice_date", f"la mise en demeure ({notice_date.isoformat()}) précède la facture "
                     f"({invoice_date.isoformat()}) : elle ne pouvait pas en réclamer le paiement{why} ; vérifiez "
                     "les dates saisies", "ledger-notice-before-invoice")
        if amount is not None and paid is not None and paid > amount:
            self.add(line, "paid_amount", "le montant réglé dépasse le montant de la facture", "ledger-paid-exceeds")
        if self.market == "b2c" and kind == "b2b":
            self.add(line, "debtor_kind", "les CGV de cette entreprise sont destinées aux consommateurs : "
                     "elles ne fixent ni pénalités ni indemnité pour un débiteur professionnel", "ledger-kind-market")
        if self.market == "b2b" and kind == "b2c":
            self.add(line, "debtor_kind", "débiteur consommateur (b2c) alors que cette entreprise n’a que des CGV "
                     "entre professionnels : elles ne lient pas un consommateur, qui n’a reçu ni l’information "
                     "précontractuelle que lui doit le professionnel (C. conso. art. L111-1) ni des conditions écrites "
                     "pour lui ; "
                     "publiez des CGV pour les consommateurs ou corrigez le type de débiteur", "ledger-kind-market")
        if status == "promised" and promise_date is None and (line, "promise_date") not in self.flagged:
            self.add(line, "promise_date", "une promesse de paiement (status promised) doit avoir sa date "
                     "dans « promise_date »", "ledger-promise-date")

    def date(self, line: int, name: str, text: str, required: bool) -> date | None:
        if not text:
            if required:
                self.add(line, name, f"date obligatoire manquante dans « {name} »", "ledger-required")
            return None
        if text in self.dates:
            value = self.dates[text]
        else:
            value = parse_date(text)
            if len(self.dates) < 100_000:  # a hostile ledger of distinct dates costs no more memory
                self.dates[text] = value
        if value is None:
            self.add(line, name, f"date illisible « {_cut(text)} »{_foreign_digits(text)} (formats acceptés : "
                     "AAAA-MM-JJ ou JJ/MM/AAAA)", "ledger-date")
        return value

    def paid(self, line: int, text: str) -> Decimal | None:
        value = self.money(line, "paid_amount", text, required=False)
        if value is not None and len(self.amounts) < 100_000:  # bounded, as `dates`
            self.amounts[text] = value
        return value

    def money(self, line: int, name: str, text: str, required: bool) -> Decimal | None:
        if not text:
            if required:
                self.add(line, name, f"montant obligatoire manquant dans « {name} »", "ledger-required")
                return None
            return ZERO
        value = parse_amount(text)
        if value is None:
            self.add(line, name, f"montant illisible « {_cut(text)} »{_foreign_digits(text)} (exemples valides : "
                     "1234.56, 1 234,56 ou 1.234,56 ; un séparateur de milliers groupe toujours trois chiffres)",
                     "ledger-amount")
        elif value < 0:
            self.add(line, name, f"montant négatif « {_cut(text)} » : un avoir se déduit de la facture qu’il "
                     "corrige (colonne paid_amount)", "ledger-amount-negative")
            return None
        elif value > MAX_AMOUNT:
            self.add(line, name, f"montant démesuré « {_cut(text)} » : au plus {money(MAX_AMOUNT)}",
                     "ledger-amount-max")
            return None
        elif name == "amount" and value == 0:
            self.add(line, name, "une facture de 0 € n’a rien à recouvrer", "ledger-amount-zero")
            return None
        return value

    def choice(self, line: int, name: str, value: str, allowed: tuple[str, ...], rule: str, what: str) -> str | None:
        if value not in allowed:
            self.add(line, name, f"{what} « {_cut(value)} » (valeurs possibles : {', '.join(allowed)})", rule)
            return None
        return allowed[allowed.index(value)]  # the constant, not this row's copy of it


def _cut(text: str) -> str:
    """A cell as quoted in a message: a 5 000-character cell is shown by its start, and an invisible or
    control character (a line break, a change of writing direction) as a space."""
    text = text if len(text) <= 40 else text[:40] + "…"
    return text if text.isprintable() else "".join(" " if unicodedata.category(c) in _HIDDEN else c for c in text)


_HIDDEN = ("Cc", "Cf", "Zl", "Zp")  # as `hidden_characters`


def debtor_problems(cells: Sequence[str]) -> list[tuple[str, str, str]]:
    """(column, message, rule) for the debtor's own cells: an id that can name a file, and no control
    or invisible character in the id, name, phone or address (line breaks allowed in an address)."""
    debtor_id, name, _kind, _email, phone, address = cells
    found = []
    if len(debtor_id) > MAX_DEBTOR_ID:
        found.append(("debtor_id", f"identifiant de débiteur de {len(debtor_id)} caractères : au plus "
                      f"{MAX_DEBTOR_ID}, car il nomme les fichiers du débiteur (<débiteur>-<étape>.pdf)",
                      "ledger-debtor-id"))
    for column, text in (("debtor_id", debtor_id), ("debtor_name", name), ("debtor_phone", phone)):
        message = None if text.isprintable() else check_one_line(text, f"« {column} »")
        if message:
            found.append((column, message, "ledger-control"))
    hidden = [] if address.isprintable() else hidden_characters(address.replace("\r", "").replace("\n", ""))
    if hidden:
        found.append(("debtor_address", f"« debtor_address » contient des caractères invisibles ou de contrôle "
                      f"({', '.join(hidden)}) : seuls les sauts de ligne y sont permis", "ledger-control"))
    return found


def invoice_key(number: str) -> str:
    """An invoice number as compared for duplicates: Unicode compatibility forms (NFKC: a full-width
    « ｆ » is « f ») and case folded, so that look-alike numbers are the same invoice. ASCII numbers,
    nearly all of them, are upper-cased (the same classes as case folding) and kept when unchanged."""
    if not number.isascii():
        number = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", number).casefold())
        if not number.isascii():
            return number
    key = number.upper()
    return number if key == number else key  # the row's own string: no copy for « F2026-0001 »


def _foreign_digits(text: str) -> str:
    """A clause naming the digits of another script (Arabic-Indic, full-width…) that `text` holds:
    Python would read them as numbers, the ledger does not."""
    if text.isascii():
        return ""
    found = dict.fromkeys(f"U+{ord(c):04X}" for c in text if c.isdigit() and not c.isascii())
    return f" : chiffres d’une autre écriture ({', '.join(found)}), seuls les chiffres 0 à 9 sont lus" if found else ""


_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)  # ASCII: \d would match every script's digits
_DMY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})", re.ASCII)


def parse_date(text: str) -> date | None:
    """« 2026-03-15 » or « 15/03/2026 », ASCII digits only; None otherwise."""
    match = _ISO.fullmatch(text)
    if match:
        year, month, day = match.groups()
    else:
        match = _DMY.fullmatch(text)
        if not match:
            return None
        day, month, year = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


_PLAIN_AMOUNT = re.compile(r"\d{1,15}(?:[.,]\d{1,2})?", re.ASCII)  # what most cells hold: « 1234,56 »
# Sign, integer part (either ungrouped, or grouped by threes with one separator used throughout),
# decimals, then « € » if any. ASCII digits only.
_AMOUNT = re.compile(r"(-?)(\d{1,3}(?:([ \u00a0\u202f.,])\d{3})(?:\3\d{3})*|\d+)(?:([.,])(\d{1,2}))?"
                     r"(?:[ \u00a0\u202f]?€)?", re.ASCII)


def parse_amount(text: str) -> Decimal | None:
    """« 1234.56 », « 1 234,56 », « 1.234,56 », « 1,234.56 », « 1234 € » → Decimal; None if unreadable
    or ambiguous: a thousands separator groups exactly three digits, the same one throughout
    (« 1 23,45 » is refused, not read as 123,45), and « . » or « , » groups only beside the other mark
    as decimal mark (« 1.234 » may be 1,234)."""
    if _PLAIN_AMOUNT.fullmatch(text):
        return Decimal(text.replace(",", ".")).quantize(CENT)
    match = None if len(text) > 40 else _AMOUNT.fullmatch(text)  # 40: far beyond MAX_AMOUNT
    if match is None:
        return None
    sign, integer, separator, mark, decimals = match.groups()
    if separator and (separator == mark or (separator in ".," and not mark)):
        return None
    if separator:
        integer = integer.replace(separator, "")
    try:
        return Decimal(f"{sign}{integer}.{decimals or '0'}").quantize(CENT) + 0  # + 0: -0.00 is 0.00
    except InvalidOperation:
        return None


def _check_debtors(ledger: Ledger, rows: list[Row], problems: Problems) -> None:
    """Rows of one debtor must agree on the kind of debtor (it decides the law that applies)."""
    kinds: dict[str, Row] = {}
    for row in rows:
        first = kinds.setdefault(row.debtor_id, row)
        if first.debtor_kind != row.debtor_kind:
            problems.add(ledger.problem(row, "debtor_kind", f"le débiteur « {row.debtor_id} » est "
                                        f"{first.debtor_kind} ligne {first.line} mais {row.debtor_kind} ici",
                                        "ledger-debtor-kind"))
