"""The FEC read as a ledger: hand-made entries (sales, bank, lettering, partial payments, credit notes)
give the same plan as the equivalent English CSV ledger; a malformed FEC is located and writes nothing."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from cgvkit.core.errors import KitError
from cgvkit.dunning.fec import due_date_for, parse_fec
from cgvkit.dunning.ledger import parse_ledger
from cgvkit.dunning.plan import plan
from cgvkit.dunning.run import debtor_json
from cgvkit.dunning.sources import LedgerSource, open_ledger
from cgvkit.model.ladder import load_default
from cgvkit.model.project import load_project
from tests.conftest import run_main

ROOT = Path(__file__).resolve().parent.parent
LADDER = load_default(ROOT)
SIREN = "852147362"  # companies/atelier-lyonnais.yaml: 45 days from the invoice
HEADER = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
          "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
          "ValidDate", "Montantdevise", "Idevise")
NAMES = {"C001": "Boulangerie Martin SARL", "C002": "Menuiserie Durand SAS", "C003": "Hôtel des Terreaux SAS",
         "C004": "Garage du Rhône SARL", "00123": "Café Zéro SARL"}


def fr(amount: str) -> str:
    return amount.replace(".", ",")


def sale(number, day, debtor, piece, ttc, letter="", let_day=""):
    """A sales entry: the customer's debit, the sale and the VAT credited."""
    ttc = Decimal(ttc)
    ht = (ttc / Decimal("1.2")).quantize(Decimal("0.01"))
    return [("VT", "Ventes", number, day, "411000", "Clients", debtor, NAMES[debtor], piece, day, f"Facture {piece}",
             fr(f"{ttc:.2f}"), "0,00", letter, let_day),
            ("VT", "Ventes", number, day, "706000", "Prestations", "", "", piece, day, f"Facture {piece}", "0,00",
             fr(f"{ht:.2f}"), "", ""),
            ("VT", "Ventes", number, day, "445710", "TVA collectée", "", "", piece, day, f"Facture {piece}", "0,00",
             fr(f"{ttc - ht:.2f}"), "", "")]


def credit_note(number, day, debtor, piece, ttc, letter=""):
    return [(j, lib, n, d, acc, accl, aux, auxl, p, pd, f"Avoir {piece}", credit, debit, let, d if let else "")
            for (j, lib, n, d, acc, accl, aux, auxl, p, pd, _, debit, credit, let, _)
            in sale(number, day, debtor, piece, ttc, letter)]


def payment(number, day, debtor, amount, letter=""):
    return [("BQ", "Banque", number, day, "512000", "Banque", "", "", f"VIR-{number}", day, "Virement", fr(amount),
             "0,00", "", ""),
            ("BQ", "Banque", number, day, "411000", "Clients", debtor, NAMES[debtor], f"VIR-{number}", day,
             "Virement", "0,00", fr(amount), letter, day if letter else "")]


def fec(*entries, separator="|") -> str:
    lines = [separator.join(HEADER)]
    for entry in entries:
        for cells in entry:
            lines.append(separator.join([*cells, cells[3], "", ""]))
    return "\r\n".join(lines) + "\r\n"


# The year's entries: an invoice paid late (lettered AA), one paid on time (AB), one partly paid
# (partial lettering in lower case), one with a partial credit note (starred letters), two open.
ENTRIES = (
    sale("VT1", "20260115", "C001", "F2026-0010", "800.00", "AA", "20260410"),
    sale("VT2", "20260120", "C004", "F2026-0015", "1500.00", "AB", "20260220"),
    sale("VT3", "20260210", "C003", "F2026-0031", "1000.00", "aa", "20260502"),
    sale("VT4", "20260302", "C003", "F2026-0044", "560.40"),
    sale("VT5", "20260320", "C002", "F2026-0057", "2400.00", "AC*", "20260405"),
    sale("VT6", "20260402", "C001", "F2026-0101", "1250.00"),
    sale("VT7", "20260403", "00123", "000457", "99.90"),
    payment("BQ1", "20260220", "C004", "1500.00", "AB"),
    credit_note("VT8", "20260405", "C002", "AV2026-0003", "240.00", "AC*"),
    payment("BQ2", "20260410", "C001", "800.00", "AA"),
    payment("BQ3", "20260502", "C003", "400.00", "aa"),
)
# The same debts as an aged balance, due dates worked by hand (invoice + 45 days).
ENGLISH = """debtor_id,debtor_name,debtor_kind,debtor_email,debtor_phone,debtor_address,invoice_number,invoice_date,due_date,amount,paid_amount,payment_date
C001,Boulangerie Martin SARL,b2b,compta@boulangerie-martin.fr,04 72 10 20 30,"8 place Bellecour, 69002 Lyon",F2026-0010,2026-01-15,2026-03-01,800.00,800.00,2026-04-10
C003,Hôtel des Terreaux SAS,b2b,direction@hotel-terreaux.fr,04 78 44 55 66,"3 rue Constantine, 69001 Lyon",F2026-0031,2026-02-10,2026-03-27,1000.00,400.00,2026-05-02
C003,Hôtel des Terreaux SAS,b2b,direction@hotel-terreaux.fr,04 78 44 55 66,"3 rue Constantine, 69001 Lyon",F2026-0044,2026-03-02,2026-04-16,560.40,,
C002,Menuiserie Durand SAS,b2b,factures@durand-menuiserie.fr,04 78 11 22 33,"14 rue Garibaldi, 69006 Lyon",F2026-0057,2026-03-20,2026-05-04,2400.00,240.00,2026-04-05
C001,Boulangerie Martin SARL,b2b,compta@boulangerie-martin.fr,04 72 10 20 30,"8 place Bellecour, 69002 Lyon",F2026-0101,2026-04-02,2026-05-17,1250.00,,
00123,Café Zéro SARL,b2b,,,,000457,2026-04-03,2026-05-18,99.90,,
"""
CONTACTS = ("Code client;Client;E-mail;Téléphone;Adresse;Type\r\n"
            "C001;Boulangerie Martin SARL;compta@boulangerie-martin.fr;04 72 10 20 30;8 place Bellecour, 69002 Lyon;"
            "professionnel\r\n"
            "C002;Menuiserie Durand SAS;factures@durand-menuiserie.fr;04 78 11 22 33;14 rue Garibaldi, 69006 Lyon;b2b\r\n"
            "C003;Hôtel des Terreaux SAS;direction@hotel-terreaux.fr;04 78 44 55 66;3 rue Constantine, 69001 Lyon;"
            "professionnel\r\n")


@pytest.fixture(scope="module")
def company():
    return load_project(ROOT, [ROOT / "companies" / "atelier-lyonnais.yaml"]).companies[0]


def write(folder: Path, name: str, text: str, encoding="utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def fec_ledger(tmp_path, company, text, name=f"{SIREN}FEC20261231.txt", contacts=CONTACTS, encoding="utf-8"):
    path = write(tmp_path, name, text, encoding)
    people = write(tmp_path, "contacts.csv", contacts, "cp1252") if contacts is not None else None
    return open_ledger(LedgerSource(path, fec=True, contacts=people), tmp_path, company, LADDER.ids)


def planned(company, ledger, table, on="2026-06-15"):
    return [debtor_json(d) for d in plan(company, LADDER, ledger, table, date.fromisoformat(on))]


@pytest.mark.parametrize("separator,encoding", [("|", "utf-8"), ("\t", "cp1252")])
def test_the_same_plan_as_the_english_ledger(tmp_path, company, rate_table, separator, encoding):
    ledger = fec_ledger(tmp_path, company, fec(*ENTRIES, separator=separator), encoding=encoding)
    english = parse_ledger(ENGLISH, "en.csv", "b2b", LADDER.ids)
    fields = ("debtor_id", "debtor_name", "debtor_kind", "debtor_email", "debtor_phone", "debtor_address",
              "invoice_number", "invoice_date", "due_date", "amount", "paid_amount", "payment_date")

    def cells(rows):
        return sorted(tuple(getattr(r, f) for f in fields) for r in rows)

    assert cells(ledger.rows) == cells(english.rows)
    assert planned(company, ledger, rate_table) == planned(company, english, rate_table)
    warned = {p.rule for p in ledger.warnings}
    assert "fec-contact" in warned  # 00123 has no contact
    assert ("fec-encoding" in warned) == (encoding == "cp1252")


def test_lettering_decides_what_is_paid_and_when(tmp_path, company):
    rows = {r.invoice_number: r for r in fec_ledger(tmp_path, company, fec(*ENTRIES)).rows}
    assert "F2026-0015" not in rows  # paid on time: nothing to claim
    paid_late = rows["F2026-0010"]
    assert (paid_late.paid_amount, paid_late.payment_date) == (Decimal("800.00"), date(2026, 4, 10))
    partial = rows["F2026-0031"]  # lower-case « aa »: the bank's 400 € of 1 000 €
    assert (partial.outstanding, partial.payment_date) == (Decimal("600.00"), date(2026, 5, 2))
    noted = rows["F2026-0057"]  # « AC* »: the credit note of 240 €
    assert (noted.outstanding, noted.payment_date) == (Decimal("2160.00"), date(2026, 4, 5))
    assert rows["000457"].debtor_id == "00123" and rows["F2026-0101"].due_date == date(2026, 5, 17)


def test_a_payment_not_lettered_is_a_warning_and_reduces_nothing(tmp_path, company):
    ledger = fec_ledger(tmp_path, company, fec(sale("VT1", "20260302", "C003", "F1", "500.00"),
                                                payment("BQ1", "20260410", "C003", "200.00")))
    (row,) = ledger.rows
    assert row.paid_amount == 0
    (warning,) = [p for p in ledger.warnings if p.rule == "fec-unlettered"]
    assert "200,00" in warning.message and "lettrez-les" in warning.message


def test_two_payments_settle_two_invoices_oldest_first(tmp_path, company):
    ledger = fec_ledger(tmp_path, company, fec(
        sale("VT1", "20260105", "C001", "F1", "300.00", "AD", "20260401"),
        sale("VT2", "20260110", "C001", "F2", "500.00", "AD", "20260401"),
        payment("BQ1", "20260301", "C001", "350.00", "AD"),
        payment("BQ2", "20260401", "C001", "450.00", "AD")))
    rows = {r.invoice_number: r for r in ledger.rows}
    # F1 (due 19 Feb) settled by the 1 March payment: late; F2 (due 24 Feb) completed on 1 April.
    assert (rows["F1"].paid_amount, rows["F1"].payment_date) == (Decimal("300.00"), date(2026, 3, 1))
    assert (rows["F2"].paid_amount, rows["F2"].payment_date) == (Decimal("500.00"), date(2026, 4, 1))


def problems_of(tmp_path, company, text, **kw):
    with pytest.raises(KitError) as caught:
        fec_ledger(tmp_path, company, text, **kw)
    return [(p.line, p.column, p.rule) for p in caught.value.problems if p.severity == "error"]


def test_malformed_lines_are_located(tmp_path, company):
    lines = fec(*ENTRIES).split("\r\n")
    cells = lines[1].split("|")
    bad_amount = "|".join(cells[:11] + ["800,005"] + cells[12:])
    bad_date = "|".join(cells[:3] + ["2026-01-15"] + cells[4:])
    short = "|".join(cells[:10])
    text = "\r\n".join([lines[0], bad_amount, bad_date, short, *lines[2:]])
    found = problems_of(tmp_path, company, text)
    assert (2, 12, "fec-amount") in found
    assert (3, 4, "fec-date") in found
    assert (4, 11, "fec-columns") in found


def test_an_entry_whose_debits_and_credits_differ(tmp_path, company):
    entry = sale("VT9", "20260302", "C003", "F9", "120.00")
    entry[1] = entry[1][:12] + ("99,00",) + entry[1][13:]  # the sale credited 99 instead of 100
    found = problems_of(tmp_path, company, fec(*ENTRIES, entry))
    assert found == [(32, 3, "fec-balance")]  # its first line, EcritureNum column


def test_header_and_file_name(tmp_path, company):
    text = fec(*ENTRIES)
    assert problems_of(tmp_path, company, text.replace("EcritureLet", "Lettrage")) == [(1, 19, "fec-columns")]
    assert problems_of(tmp_path, company, text.replace("|", ";")) == [(1, 1, "fec-columns")]
    assert problems_of(tmp_path, company, text, name="793184623FEC20261231.txt") == [(1, 1, "fec-siren")]
    ledger = fec_ledger(tmp_path, company, text, name="export-compta.txt")
    assert "fec-name" in {p.rule for p in ledger.warnings}


def test_due_dates_from_the_cgv_term():
    invoice = date(2026, 1, 20)
    assert due_date_for(invoice, {"days": 45}) == date(2026, 3, 6)
    assert due_date_for(invoice, {"days": 45, "end_of_month": True}) == date(2026, 3, 31)  # 6 March → month end
    assert due_date_for(invoice, {"days": 45, "end_of_month": True, "after_month_end": True}) == date(2026, 3, 17)
    assert due_date_for(invoice, {}) == invoice


def test_customer_prefixes_kinds_and_due_dates_given(tmp_path, company):
    entry = sale("VT1", "20260302", "C003", "F1", "500.00")
    entry[0] = ("VT", "Ventes", "VT1", "20260302", "416000", "Clients douteux", *entry[0][6:])
    text = fec(entry)
    assert parse_fec(text, "f.txt", "b2b", LADDER.ids, {"days": 30}).rows == ()  # 416 is no customer account
    (row,) = parse_fec(text, "f.txt", "b2b", LADDER.ids, {"days": 30}, ("411", "416"),
                       due_dates={"F1": date(2026, 3, 10)}).rows
    assert (row.debtor_id, row.due_date) == ("C003", date(2026, 3, 10))


def test_consumer_contacts_and_debtors_without_account(tmp_path, company):
    entry = sale("VT1", "20260302", "C003", "F1", "500.00")
    entry[0] = entry[0][:6] + ("", "") + entry[0][8:]  # no auxiliary account: the account itself
    ledger = fec_ledger(tmp_path, company, fec(entry), contacts="Code client;Type\n411000;particulier\n")
    (row,) = ledger.rows
    assert (row.debtor_id, row.debtor_name, row.debtor_kind) == ("411000", "Clients", "b2c")


def test_the_command_line(project):
    folder = project / "ledgers"
    write(folder, f"{SIREN}FEC20261231.txt", fec(*ENTRIES))
    write(folder, "contacts-fec.csv", CONTACTS, "cp1252")
    args = ("dunning", "companies/atelier-lyonnais.yaml", "--fec", f"ledgers/{SIREN}FEC20261231.txt", "--contacts",
            "ledgers/contacts-fec.csv", "--date", "2026-06-15", "-o", "dist/fec")
    result = run_main(project, *args)
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "dist" / "fec" / "plan.json").read_text(encoding="utf-8"))
    # C003 paid 400 € of F2026-0031 (1 000 €, due 27 March) on 2 May, 36 days late: the company's CGV impute a
    # payment on the penalties first (1 000 × 12,15 % × 36 / 365 = 11,98 €), then the 40 € indemnity, then the
    # principal: 1 000 − (400 − 11,98 − 40) = 651,98 € left, plus F2026-0044's 560,40 €.
    assert {d["debtor_id"]: d["totals"]["outstanding"] for d in data["debtors"]} == \
        {"C001": "1250.00", "C003": "1212.38", "C002": "2160.00", "00123": "99.90"}
    csv_text = (project / "dist" / "fec" / "plan.csv").read_text(encoding="utf-8")
    cells = {row[1]: row for row in csv.reader(io.StringIO(csv_text), delimiter=";")}
    assert cells["Café Zéro SARL"][0] == '="00123"' and cells["Café Zéro SARL"][7] == '="000457"'  # Excel keeps the zeros
    assert "fec-contact" in result.stderr

    both = run_main(project, *args[:2], "--ledger", "ledgers/example.csv", *args[2:])
    assert both.returncode == 2
    contacts_alone = run_main(project, "dunning", "companies/atelier-lyonnais.yaml", "--ledger",
                              "ledgers/example.csv", "--contacts", "ledgers/contacts-fec.csv", "-o", "dist/x")
    assert contacts_alone.returncode == 2 and "--contacts" in contacts_alone.stderr

    text = fec(*ENTRIES).replace("800,00|0,00|AA", "800,00|0,0x|AA", 1)
    write(folder, f"{SIREN}FEC20261231.txt", text)
    bad = run_main(project, *args[:-1], "dist/fec-bad")
    assert bad.returncode == 1 and f"ledgers/{SIREN}FEC20261231.txt:2:13: Credit:" in bad.stderr
    assert "[fec-amount]" in bad.stderr and not (project / "dist" / "fec-bad").exists()


def test_a_document_from_the_fec(project, no_pdf):
    write(project / "ledgers", f"{SIREN}FEC20261231.txt", fec(*ENTRIES))
    result = run_main(project, "dunning", "document", "companies/atelier-lyonnais.yaml", "C003",
                      "debt_acknowledgement", "--fec", f"ledgers/{SIREN}FEC20261231.txt", "--date", "2026-06-15",
                      "-o", "dist/docs")
    assert result.returncode == 0, result.stderr
    html = next((project / "dist" / "docs").glob("C003-debt_acknowledgement-*.html")).read_text(encoding="utf-8")
    assert "F2026-0031" in html and "F2026-0044" in html


def test_due_dates_named_in_the_profile_replace_the_cgv_term(project):
    write(project / "ledgers", f"{SIREN}FEC20261231.txt", fec(*ENTRIES))
    write(project / "ledgers", "echeances.csv", "N° facture;Échéance\r\nF2026-0101;30/06/2026\r\n", "cp1252")
    profile = project / "companies" / "atelier-lyonnais.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "ledger:\n  due_dates: ledgers/echeances.csv\n",
                       encoding="utf-8")
    result = run_main(project, "dunning", "companies/atelier-lyonnais.yaml", "--fec",
                      f"ledgers/{SIREN}FEC20261231.txt", "--date", "2026-06-15", "-o", "dist/fec")
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "dist" / "fec" / "plan.json").read_text(encoding="utf-8"))
    due = {i["number"]: i["due_date"] for d in data["debtors"] for i in d["invoices"]}
    assert due["F2026-0101"] == "2026-06-30" and due["F2026-0044"] == "2026-04-16"

    profile.write_text(profile.read_text(encoding="utf-8").replace("echeances.csv", "absent.csv"), encoding="utf-8")
    missing = run_main(project, "dunning", "companies/atelier-lyonnais.yaml", "--fec",
                       f"ledgers/{SIREN}FEC20261231.txt", "--date", "2026-06-15", "-o", "dist/fec2")
    assert missing.returncode == 1 and "companies/atelier-lyonnais.yaml:" in missing.stderr
    assert "[due-dates-file]" in missing.stderr


def test_either_ledger_or_fec_is_required(project):
    result = run_main(project, "dunning", "companies/atelier-lyonnais.yaml", "--date", "2026-06-15")
    assert result.returncode == 2 and "l’un de ces arguments est obligatoire\u00a0: --ledger --fec" in result.stderr
