"""Trust, round 3: every ledger value checked where it enters, one debtor's problem kept to that
debtor, `--by` on one line, and `rates add` safe with a linked table.

Every test writes a real ledger (or rate table) and runs the command line; each refusal is a French
error at its row and column with its rule, exit 1, no trace, nothing written.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.conftest import run_main
from tests.test_dunning_daily import B2B, HEADER, plan_of, write_ledger, write_rates

B2C = "companies/boutique-en-ligne.yaml"
COLUMNS = {name: i for i, name in enumerate(HEADER.split(","), start=1)}


def line(debtor="D1", name="Client Un SARL", kind="b2b", email="compta@client.fr", phone="06 12 34 56 78",
         address="1 rue A, 69001 Lyon", number="F1", invoice="2026-04-01", due="2026-05-01", amount="1000.00",
         notice="", last="") -> str:
    """One ledger row, every cell quoted as a spreadsheet writes it (« 1 234,56 » holds a comma)."""
    cells = [debtor, name, kind, email, phone, address, number, invoice, due, amount, "", "open", "", notice, last]
    buffer = io.StringIO()
    csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="").writerow(cells)
    return buffer.getvalue()


def refused(project: Path, ledger: str, company: str = B2B):
    """The run on `ledger`, which must fail: its located error lines (row, column, path, rule)."""
    result = run_main(project, "dunning", company, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and not (project / "dist" / "run").exists()  # nothing written
    found = re.findall(rf"^{re.escape(ledger)}:(\d+):(\d+): (\w+): (.*) \[([\w-]+)\]$", result.stderr, re.M)
    return [(int(row), int(col), path, rule, message) for row, col, path, message, rule in found]


def located(project: Path, ledger: str, company: str = B2B) -> set:
    return {(row, col, path, rule) for row, col, path, rule, _message in refused(project, ledger, company)}


def at(row: int, column: str, rule: str) -> tuple:
    return (row, COLUMNS[column], column, rule)


# --- amounts: one unambiguous grouping, ASCII digits -----------------------------------------------

def test_amounts_are_read_only_with_one_unambiguous_grouping(project):
    write_rates(project)
    good = write_ledger(project, line(number="F1", amount="1 234,56"), line(number="F2", amount="1234.56"),
                        line(debtor="D2", number="F3", amount="1 234 567,89"),
                        line(debtor="D3", number="F4", amount="1\u00a0234\u00a0567,89"), name="good.csv")
    result = run_main(project, "dunning", B2B, "--ledger", good, "--date", "2026-06-15", "-o", "dist/good")
    assert result.returncode == 0, result.stderr
    amounts = {i["number"]: i["amount"] for d in plan_of(project / "dist" / "good")["debtors"] for i in d["invoices"]}
    assert amounts == {"F1": "1234.56", "F2": "1234.56", "F3": "1234567.89", "F4": "1234567.89"}

    bad = write_ledger(project, line(number="F1", amount="1 23,45"),       # not 123,45 €
                       line(number="F2", amount="12 345 67,89"),           # a group of two
                       line(number="F3", amount="1 234.567,89"),           # two different separators
                       line(number="F4", amount="1.234"),                  # 1,234 or 1 234?
                       line(number="F5", amount="12€34"), name="bad.csv")
    found = refused(project, bad)
    assert {(row, col, path, rule) for row, col, path, rule, _ in found} == {
        at(n, "amount", "ledger-amount") for n in range(2, 7)}
    assert "un séparateur de milliers groupe toujours trois chiffres" in found[0][4]


def test_digits_of_another_script_are_refused_in_amounts_and_dates(project):
    write_rates(project)
    ledger = write_ledger(project, line(number="F1", amount="١٢٣٤,٥٦"),          # Arabic-Indic
                          line(number="F2", due="٢٠٢٦-٠٥-٠١"),
                          line(number="F3", invoice="٠١/٠٤/٢٠٢٦"),
                          line(number="F4", amount="１２３４"),                  # full-width
                          line(number="F5", due="2026-W18-5"))                   # an ISO week, not a date
    found = refused(project, ledger)
    assert {(row, col, path, rule) for row, col, path, rule, _ in found} == {
        at(2, "amount", "ledger-amount"), at(3, "due_date", "ledger-date"), at(4, "invoice_date", "ledger-date"),
        at(5, "amount", "ledger-amount"), at(6, "due_date", "ledger-date")}
    messages = {row: message for row, _col, _path, _rule, message in found}
    assert "chiffres d’une autre écriture (U+0661, U+0662, U+0663, U+0664" in messages[2]
    assert "seuls les chiffres 0 à 9 sont lus" in messages[3] and "U+0662" in messages[3]
    assert "U+FF11" in messages[5]


# --- invoice numbers, dates that contradict each other ----------------------------------------------

def test_look_alike_invoice_numbers_are_duplicates(project):
    write_rates(project)
    ledger = write_ledger(project, line(number="F2026-0001"), line(debtor="D2", number="ｆ2026-0001"),
                          line(debtor="D3", number="f2026-0001"))
    found = refused(project, ledger)
    assert {(row, col, path, rule) for row, col, path, rule, _ in found} == {
        at(3, "invoice_number", "ledger-duplicate-invoice"), at(4, "invoice_number", "ledger-duplicate-invoice")}
    assert "figure déjà ligne 2" in found[0][4] and "« f2026-0001 »" in found[0][4]


def test_a_consumer_formal_notice_before_the_invoice_is_an_error(project):
    write_rates(project)
    ledger = write_ledger(project, line(kind="b2c", number="C1", invoice="2026-04-01", due="2026-04-01",
                                        notice="2026-03-15"),
                          line(kind="b2c", number="C2", invoice="2026-04-01", due="2026-04-01", notice="2026-04-20"))
    found = refused(project, ledger, B2C)
    assert [(row, col, path, rule) for row, col, path, rule, _ in found] == [
        at(2, "formal_notice_date", "ledger-notice-before-invoice")]
    assert "2026-03-15" in found[0][4] and "2026-04-01" in found[0][4]


# --- the debtor's own cells -------------------------------------------------------------------------

def test_control_and_invisible_characters_in_a_debtor_are_located(project):
    write_rates(project)
    ledger = write_ledger(project,
                          line(debtor="D\u202e1", number="F1"),                        # bidi override
                          line(debtor="D2", name="Client\nDeux", number="F2"),         # a line break in a name
                          line(debtor="D3", name="Client\u200bTrois", number="F3"),    # zero-width space
                          line(debtor="D4", name="Client\u0085Quatre", number="F4"),   # C1 next line
                          line(debtor="D5", address="1 rue A\u2066, Lyon", number="F5"),
                          line(debtor="D6", phone="06 12\r34 56 78", number="F6"),
                          line(debtor="D7", number="F\u200d7"),
                          line(debtor="D8", address="1 rue A\n69001 Lyon", number="F8"))  # lines: allowed
    found = refused(project, ledger)
    rows = {(row, col, path, rule) for row, col, path, rule, _ in found}
    # D2's name spans two lines of the file: its row is the line where the record starts
    assert rows == {at(2, "debtor_id", "ledger-control"), at(3, "debtor_name", "ledger-control"),
                    at(5, "debtor_name", "ledger-control"), at(6, "debtor_name", "ledger-control"),
                    at(7, "debtor_address", "ledger-control"), at(8, "debtor_phone", "ledger-control"),
                    at(9, "invoice_number", "ledger-control")}
    messages = " ".join(message for *_rest, message in found)
    for code in ("U+202E", "U+000A", "U+200B", "U+0085", "U+2066", "U+000D", "U+200D"):
        assert code in messages
    assert "\u202e" not in messages and "\u200b" not in messages  # codes are named, never printed


def test_a_debtor_id_too_long_for_a_file_name_is_located(project):
    write_rates(project)
    ledger = write_ledger(project, line(debtor="C" * 64, number="F1"), line(debtor="C" * 300, number="F2"),
                          line(debtor="C" * 300, number="F3"))
    found = refused(project, ledger)
    assert {(row, col, path, rule) for row, col, path, rule, _ in found} == {
        at(3, "debtor_id", "ledger-debtor-id"), at(4, "debtor_id", "ledger-debtor-id")}
    assert "300 caractères : au plus 64" in found[0][4]


def test_an_unusable_debtor_address_is_that_debtors_located_warning(project):
    """Not exactly one mailbox: a warning at its cell when the ledger is read; the run goes on, and
    that debtor's e-mail is left to staff."""
    write_rates(project)
    # A pre-due reminder was sent: 45 days late, the next step is the first reminder, an e-mail.
    # Due 25 May, 21 days late on 15 June after the pre-due SMS: the first reminder, by e-mail.
    ledger = write_ledger(project, line(number="F1", email="compta@client.fr, espion@ailleurs.fr", last="pre_due",
                                        due="2026-05-25"),
                          line(number="F2", email="compta@client.fr, espion@ailleurs.fr", last="pre_due",
                               due="2026-05-25"),
                          line(debtor="D2", number="F3", email="compta@deux.fr", last="pre_due", due="2026-05-25"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    warnings = [w for w in result.stderr.splitlines() if w.endswith("[ledger-email]")]
    column = COLUMNS["debtor_email"]
    assert len(warnings) == 1 and warnings[0].startswith(f"{ledger}:2:{column}: debtor_email: avertissement : ")
    plan = {d["debtor_id"]: d for d in plan_of(project / "dist" / "run")["debtors"]}
    assert not [p for p in plan["D1"]["documents"] if p.endswith(".eml")]
    assert [p for p in plan["D2"]["documents"] if p.endswith(".eml")]


# --- an SMS too long for one debtor -----------------------------------------------------------------

def test_an_sms_too_long_for_one_debtor_is_that_debtors_warning(project):
    """« N° » is outside the GSM alphabet: the SMS goes UCS-2 (134 characters in two parts) and no
    longer fits. The run succeeds: by e-mail when the debtor has an address, else left to staff."""
    write_rates(project)
    dates = {"invoice": "2026-05-20", "due": "2026-06-18"}
    ledger = write_ledger(project, line(number="N°2026-0001", **dates),
                          line(debtor="D2", name="Sans Courriel", number="N°2026-0002", email="", **dates),
                          line(debtor="D3", name="Court", number="F3", **dates))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    folder = project / "dist" / "run"
    data = plan_of(folder)
    plan = {d["debtor_id"]: d for d in data["debtors"]}
    assert {d["stage"] for d in plan.values()} == {"pre_due"}
    (d1,) = [w for w in plan["D1"]["warnings"] if w.startswith("SMS trop long")]
    assert "UCS-2" in d1 and "envoyé par courriel à la place (courriels/D1-pre_due.eml)" in d1
    assert "courriels/D1-pre_due.eml" in plan["D1"]["documents"] and "courriels/D1-pre_due.eml" in data["outbox"]["emails"]
    eml = (folder / "courriels" / "D1-pre_due.eml").read_text(encoding="utf-8")
    assert "Subject: Rappel avant" in eml and "N°2026-0001" in (folder / "letters" / "D1-pre_due.txt").read_text(
        encoding="utf-8")
    (d2,) = [w for w in plan["D2"]["warnings"] if w.startswith("SMS trop long")]
    assert "à raccourcir et envoyer à la main" in d2
    sms = (folder / "sms.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(sms) == 2 and sms[1].startswith("'+33612345678;Court;") and "N°" not in "".join(sms)
    assert not plan["D3"]["warnings"]


def test_an_sms_part_never_splits_a_two_septet_character():
    from cgvkit.core.sms import segments, too_long

    # 306 septets, but the « € » (escape + character) cannot straddle the 153-septet boundary
    assert segments("a" * 152 + "€" + "a" * 152) == (3, "GSM-7", 306)
    assert too_long("a" * 152 + "€" + "a" * 152) and not too_long("a" * 153 + "€" + "a" * 151)
    assert segments("a" * 66 + "😀" + "a" * 66) == (3, "UCS-2", 134)  # a surrogate pair is never split


# --- who confirms -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["Marie\nDupont", "Marie\u202eDupont", "Marie\u200bDupont", "   "])
def test_by_is_one_visible_line(project, name):
    write_rates(project)
    ledger = write_ledger(project, line())
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run",
                      "--confirm", "--by", name)
    assert result.returncode == 2 and "argument --by" in result.stderr and "Traceback" not in result.stderr
    assert not (project / "dist" / "run").exists() and not (project / "data" / "journal").exists()


# --- rates add through a link -----------------------------------------------------------------------

ADD = ("rates", "add", "2026-H2", "--ecb", "2.15", "--legal-consumer", "6.67", "--legal-other", "2.62",
       "--source", "https://www.legifrance.gouv.fr/jorf/id/X")


def linked_table(project: Path) -> tuple[Path, Path]:
    """data/rates.yaml as a link to data/tables/taux.yaml (inside the project)."""
    target = project / "data" / "tables" / "taux.yaml"
    target.parent.mkdir()
    write_rates(project).rename(target)
    link = project / "data" / "rates.yaml"
    link.symlink_to(Path("tables") / "taux.yaml")
    return link, target


def leftovers(project: Path) -> list[str]:
    return sorted(p.name for folder in (project / "data", project / "data" / "tables") for p in folder.iterdir()
                  if p.name.startswith("."))


def test_rates_add_keeps_a_linked_table_a_link(project):
    link, target = linked_table(project)
    before = target.read_text(encoding="utf-8")
    target.chmod(0o640)
    result = run_main(project, *ADD)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == target.resolve()
    text = target.read_text(encoding="utf-8")
    assert text.startswith(before) and "half_year: 2026-H2" in text
    assert target.stat().st_mode & 0o777 == 0o640
    assert leftovers(project) == []


@pytest.mark.parametrize("failure", ["reload", "interrupt"])
def test_rates_add_leaves_no_temporary_file_when_it_fails(project, monkeypatch, failure):
    from cgvkit.core.errors import KitError, Problem
    from cgvkit.law import ratefile

    link, target = linked_table(project)
    before = target.read_bytes()
    if failure == "reload":  # the table read again after the append is broken: the old one comes back
        real, calls = ratefile.RateTable.load, []

        def load(path, root):
            calls.append(path)
            if len(calls) == 2:
                raise KitError([Problem("data/rates.yaml", 1, 1, "", "cassé", "rates-test")])
            return real(path, root)

        monkeypatch.setattr(ratefile.RateTable, "load", staticmethod(load))
    else:  # Ctrl-C just before the rename
        def replace(source, destination):
            raise KeyboardInterrupt

        monkeypatch.setattr(ratefile.os, "replace", replace)
    result = run_main(project, *ADD)
    assert result.returncode == (1 if failure == "reload" else 130) and "Traceback" not in result.stderr
    assert link.is_symlink() and target.read_bytes() == before
    assert leftovers(project) == []


def test_nothing_of_a_refused_ledger_reaches_the_outputs(project):
    """The same refusals through `dunning document`: located, nothing written."""
    write_rates(project)
    ledger = write_ledger(project, line(number="F1", amount="1 23,45"))
    result = run_main(project, "dunning", "document", B2B, "D1", "debt_acknowledgement", "--ledger", ledger,
                      "--date", "2026-06-15", "-o", "dist/doc")
    assert result.returncode == 1 and f"{ledger}:2:{COLUMNS['amount']}: amount: " in result.stderr
    assert "[ledger-amount]" in result.stderr and not (project / "dist" / "doc").exists()


def test_a_phone_that_is_not_a_number_is_that_debtors_located_warning(project):
    """« 06 12 34 56 78 ou 07… », letters or Arabic-Indic digits: no SMS is listed for that number, one
    located warning, and the run goes on; a number typed with spaces, dots or +33 is fine."""
    write_rates(project)
    ledger = write_ledger(project, line(number="F1", phone="06 12 34 56 78 ou 07 12", due="2026-06-19"),
                          line(debtor="D2", number="F2", phone="\u0660\u0666\u0661\u0662\u0663\u0664", due="2026-06-19"),
                          line(debtor="D3", number="F3", phone="+33 (0)6.12.34.56.78", due="2026-06-19"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    warnings = [w for w in result.stderr.splitlines() if w.endswith("[ledger-phone]")]
    assert len(warnings) == 2 and warnings[0].startswith(f"{ledger}:2:{COLUMNS['debtor_phone']}: debtor_phone: ")
    sms = (project / "dist" / "run" / "sms.csv").read_text(encoding="utf-8")
    assert "'+33612345678;" in sms and "ou 07" not in sms and "\u0660" not in sms  # E.164
    plan = {d["debtor_id"]: d for d in plan_of(project / "dist" / "run")["debtors"]}
    assert any("illisible" in w for w in plan["D1"]["warnings"])
