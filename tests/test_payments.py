"""Payment dates, partial payments and their imputation, paid-late invoices (issue 19, « Payment dates »).

Every figure is worked by hand in the comments, with the tests' rate table (2026-H1: ECB 2.15 %, legal
rate « autres cas » 2.62 %). Between professionals the atelier's CGV say « taux BCE + 10 points »:
12.15 % a year. Interest = Σ principal × rate × days / 36 500, rounded half-up to the cent once per
invoice; the days run from the day after the due date (consumer: the formal notice) THROUGH the day of
each payment, on what remained due that day.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from cgvkit.law.interest import RateRule, periods, rate_days, settle

ECB10 = RateRule("ecb_plus", D(10))
LEGAL = RateRule("legal")


def weigher(rule, table):
    return lambda after, to: (found := periods(after, to, rule, table), rate_days(found))


def test_paid_late_thirty_days(rate_table):
    # 1 000 € due 1 March 2026, paid in full on 31 March: 2..31 March = 30 days on 1 000 €.
    # 1 000 × 12.15 × 30 / 36 500 = 9.986… → 9.99 €; and the 40 € indemnity (paid late).
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 3, 31), D("1000.00"))], date(2026, 6, 15),
                  weigher(ECB10, rate_table), "principal", D("40.00"), date(2026, 3, 1))
    assert done.accrued == D("9.99")
    assert done.principal == 0 and done.interest == D("9.99") and done.indemnity == D("40.00")
    assert [(s.start, s.end, s.days, s.base) for s in done.segments] == [
        (date(2026, 3, 1), date(2026, 3, 31), 30, D("1000.00"))]
    assert done.last_day == date(2026, 3, 31)  # nothing counted after the payment


def test_paid_on_the_due_date_owes_nothing(rate_table):
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 3, 1), D("1000.00"))], date(2026, 6, 15),
                  weigher(ECB10, rate_table), "principal", D("40.00"), date(2026, 3, 1))
    assert (done.accrued, done.indemnity, done.segments) == (D("0.00"), D("0.00"), ())


TWO = [(date(2026, 3, 11), D("400.00")), (date(2026, 3, 31), D("300.00"))]


def test_two_partial_payments_on_the_principal(rate_table):
    # 1 000 € due 1 March; 400 € on 11 March, 300 € on 31 March; computed on 30 April.
    #   2..11 March, 10 days on 1 000 €: 1 000 × 12.15 × 10 = 121 500
    #   12..31 March, 20 days on 600 €:    600 × 12.15 × 20 = 145 800
    #   1..30 April, 30 days on 300 €:     300 × 12.15 × 30 = 109 350
    #   376 650 / 36 500 = 10.319… → 10.32 €; principal 300 €; indemnity 40 € (never imputed).
    done = settle(D("1000.00"), date(2026, 3, 1), TWO, date(2026, 4, 30), weigher(ECB10, rate_table),
                  "principal", D("40.00"), date(2026, 3, 1))
    assert (done.principal, done.interest, done.indemnity) == (D("300.00"), D("10.32"), D("40.00"))
    assert [(i.interest, i.indemnity, i.principal) for i in done.imputed] == [
        (0, 0, D("400.00")), (0, 0, D("300.00"))]
    assert [(s.days, s.base) for s in done.segments] == [(10, D("1000.00")), (20, D("600.00")), (30, D("300.00"))]


def test_two_partial_payments_penalties_first_by_the_cgv_clause(rate_table):
    # The same payments under the payment_imputation clause: penalties, then indemnity, then principal.
    # 11 March: 121 500 / 36 500 = 3.328… → 3.33 € of penalties; 400 € = 3.33 + 40 + 356.67 → 643.33 €.
    # 31 March: 20 days on 643.33 €: 643.33 × 12.15 × 20 = 156 329.19; (121 500 + 156 329.19) / 36 500
    #   = 7.611… → 7.61 € accrued, 3.33 paid: 4.28 €; 300 € = 4.28 + 295.72 → principal 347.61 €.
    # 30 April: 30 days on 347.61 €: 126 703.845; 404 533.035 / 36 500 = 11.083… → 11.08 € accrued,
    #   7.61 € paid: 3.47 € of penalties left; indemnity paid; principal 347.61 €.
    done = settle(D("1000.00"), date(2026, 3, 1), TWO, date(2026, 4, 30), weigher(ECB10, rate_table),
                  "penalties_first", D("40.00"), date(2026, 3, 1))
    assert [(i.interest, i.indemnity, i.principal) for i in done.imputed] == [
        (D("3.33"), D("40.00"), D("356.67")), (D("4.28"), D("0.00"), D("295.72"))]
    assert [(s.start, s.base) for s in done.segments] == [  # 1 000 − 356.67 = 643.33; − 295.72 = 347.61
        (date(2026, 3, 1), D("1000.00")), (date(2026, 3, 11), D("643.33")), (date(2026, 3, 31), D("347.61"))]
    assert (done.principal, done.interest, done.indemnity, done.accrued) == (
        D("347.61"), D("3.47"), D("0.00"), D("11.08"))


def test_consumer_payment_goes_first_to_interest(rate_table):
    # C. civ. 1343-1. 1 000 €, formal notice 1 March 2026; 500 € paid on 31 March; computed on 30 April.
    # 2..31 March, 30 days on 1 000 € at 2.62 %: 78 600 / 36 500 = 2.153… → 2.15 € of interest;
    #   500 € = 2.15 + 497.85 → principal 502.15 €.
    # 1..30 April, 30 days on 502.15 €: 502.15 × 2.62 × 30 = 39 468.99; (78 600 + 39 468.99) / 36 500
    #   = 3.234… → 3.23 € accrued, 2.15 € paid: 1.08 € of interest left. No indemnity, ever.
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 3, 31), D("500.00"))], date(2026, 4, 30),
                  weigher(LEGAL, rate_table), "interest")
    assert [(i.interest, i.principal) for i in done.imputed] == [(D("2.15"), D("497.85"))]
    assert (done.principal, done.interest, done.indemnity) == (D("502.15"), D("1.08"), D("0.00"))


def test_consumer_paid_before_the_formal_notice_owes_nothing(rate_table):
    # Interest runs against a consumer only from the formal notice (C. civ. 1231-6): paid on 20 February,
    # notice on 1 March: no day counted.
    done = settle(D("1000.00"), date(2026, 3, 1), [(date(2026, 2, 20), D("1000.00"))], date(2026, 6, 15),
                  weigher(LEGAL, rate_table), "interest")
    assert (done.accrued, done.principal, done.segments) == (D("0.00"), D("0.00"), ())


def test_unknown_order_is_refused(rate_table):
    with pytest.raises(ValueError):
        settle(D("1.00"), None, [], date(2026, 6, 15), weigher(LEGAL, rate_table), "oldest")


# --- The real commands on the example project ------------------------------------------------------

import json  # noqa: E402
import re  # noqa: E402
from pathlib import Path  # noqa: E402

from conftest import edit, run_main  # noqa: E402
from pypdf import PdfReader  # noqa: E402

ATELIER = "companies/atelier-lyonnais.yaml"
BOUTIQUE = "companies/boutique-en-ligne.yaml"
HEADER = ("debtor_id;debtor_name;debtor_kind;debtor_email;debtor_phone;debtor_address;invoice_number;invoice_date;"
          "due_date;amount;paid_amount;status;formal_notice_date;payment_date\n")
# T1 paid 1 000 € in full 30 days late; T2 paid 400 € then 300 € (payments file); T3 paid on the due date.
B2B_LEDGER = HEADER + (
    "T1;Traiteur Dubois SARL;b2b;;;12 rue Mercière, 69002 Lyon;F2026-0200;01/02/2026;01/03/2026;1 000,00;1 000,00;"
    "open;;31/03/2026\n"
    "T2;Garage Petit SAS;b2b;compta@petit.example;;5 quai Perrache, 69002 Lyon;F2026-0210;01/02/2026;01/03/2026;"
    "1000,00;;open;;\n"
    "T3;Fleurs Roux EURL;b2b;;;7 rue Neuve, 69001 Lyon;F2026-0220;01/02/2026;01/03/2026;500,00;500,00;open;;01/03/2026\n")
PAYMENTS = "invoice_number;date;amount\nF2026-0210;11/03/2026;400,00\nf2026-0210;31/03/2026;300,00\n"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " ")).strip()


def pdf_text(path: Path) -> str:
    """The PDF's text on one line, words the printer hyphenated at a line's end joined again."""
    text = " ".join(page.extract_text() for page in PdfReader(path).pages)
    return flat(re.sub(r"(?<=[a-zé])-\n(?=[a-zé])", "", text))


def write(project: Path, name: str, text: str) -> str:
    (project / name).write_text(text, encoding="utf-8")
    return name


def dunning(project: Path, company: str, ledger: str, day: str, out: str, *extra: str) -> dict:
    result = run_main(project, "dunning", company, "--ledger", ledger, "--date", day, "-o", out, *extra)
    assert result.returncode == 0, result.stderr
    return {d["debtor_id"]: d for d in json.loads((project / out / "plan.json").read_text(encoding="utf-8"))["debtors"]}


def test_paid_late_invoice_is_claimed_once_with_its_decompte(project):
    write(project, "paid.csv", B2B_LEDGER)
    write(project, "payments.csv", PAYMENTS)
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-30", "dist/r1", "--payments", "payments.csv")
    late = plan["T1"]["paid_late"]
    # 30 days at 12.15 % on 1 000 € = 9.99 € (test_paid_late_thirty_days), plus the 40 € indemnity.
    assert [(i["number"], i["days_late"], i["interest"], i["indemnity"], i["claimed_now"]) for i in late] == [
        ("F2026-0200", 30, "9.99", "40.00", True)]
    assert plan["T3"]["paid_late"] == [] and plan["T3"]["claim_documents"] == []  # paid on the due date
    text = pdf_text(project / "dist/r1/letters/T1-penalty_claim.pdf")
    assert "Réclamation des pénalités de retard" in text
    assert "du 2 mars 2026 au 31 mars 2026 inclus : 30 jours sur 1 000,00 € restant dû, à 12,15 %" in text
    assert "pénalités : 9,99 € ; indemnité forfaitaire : 40,00 €" in text
    assert "la somme de 49,99 €, soit 9,99 € de pénalités de retard et 40,00 € d’indemnités" in text
    assert "L441-10 II" in text and "D441-5" in text
    steps = json.loads((project / "dist/r1/plan.json").read_text(encoding="utf-8"))["steps"]
    claim = [s for s in steps if s["stage"] == "penalty_claim"]
    assert [(s["debtor_id"], s["invoice_number"], s["amount_claimed"]) for s in claim] == [
        ("T1", "F2026-0200", "49.99")]
    confirmed = run_main(project, "dunning", "confirm", "dist/r1", "--sent", "2026-04-30")
    assert confirmed.returncode == 0, confirmed.stderr
    again = dunning(project, ATELIER, "paid.csv", "2026-05-15", "dist/r2", "--payments", "payments.csv")
    assert again["T1"]["paid_late"][0]["claimed_now"] is False  # a confirmed penalty_claim step: never twice
    assert again["T1"]["claim_documents"] == []
    assert not (project / "dist/r2/letters/T1-penalty_claim.pdf").exists()


def test_two_partial_payments_in_the_plan_and_the_statement(project):
    write(project, "paid.csv", B2B_LEDGER)
    write(project, "payments.csv", PAYMENTS)
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-30", "dist/r1", "--payments", "payments.csv")
    (invoice,) = plan["T2"]["invoices"]
    # The atelier's CGV have the payment_imputation clause: penalties, indemnity, then principal
    # (figures of test_two_partial_payments_penalties_first_by_the_cgv_clause).
    assert (invoice["outstanding"], invoice["interest"], invoice["indemnity"]) == ("347.61", "3.47", "0.00")
    assert [(p["date"], p["to_interest"], p["to_indemnity"], p["to_principal"]) for p in invoice["payments"]] == [
        ("2026-03-11", "3.33", "40.00", "356.67"), ("2026-03-31", "4.28", "0.00", "295.72")]
    result = run_main(project, "dunning", "document", ATELIER, "T2", "relevé", "--ledger", "paid.csv", "--payments",
                      "payments.csv", "--date", "2026-04-30", "-o", "dist/docs")
    assert result.returncode == 0, result.stderr
    text = pdf_text(project / "dist/docs/T2-statement_of_account-2026-04-30.pdf")
    assert "Relevé de compte" in text and "Règlements reçus et leur imputation" in text
    assert "11 mars 2026 F2026-0210 400,00 € 3,33 € 40,00 € 356,67 €" in text
    assert "31 mars 2026 F2026-0210 300,00 € 4,28 € 0,00 € 295,72 €" in text
    assert "Solde de votre compte au 30 avril 2026 : 351,08 €" in text
    assert "d’abord sur les pénalités de retard, puis sur l’indemnité forfaitaire" in text


def test_without_the_imputation_clause_payments_go_to_the_principal(project):
    edit(project / ATELIER, "  payment_imputation: {}\n", "")
    write(project, "paid.csv", B2B_LEDGER)
    write(project, "payments.csv", PAYMENTS)
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-30", "dist/r1", "--payments", "payments.csv")
    (invoice,) = plan["T2"]["invoices"]
    # test_two_partial_payments_on_the_principal: 300 € left, 10.32 € of penalties, the 40 € indemnity.
    assert (invoice["outstanding"], invoice["interest"], invoice["indemnity"]) == ("300.00", "10.32", "40.00")
    assert plan["T2"]["totals"]["total"] == "350.32"


def test_a_reminder_after_a_partial_payment_thanks_and_states_the_balance(project):
    write(project, "paid.csv", B2B_LEDGER)
    write(project, "payments.csv", PAYMENTS)
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-07", "dist/r1", "--payments", "payments.csv")
    assert plan["T2"]["stage"] == "firm_letter"  # 37 days late, nothing sent before: catch-up
    text = pdf_text(project / "dist/r1/letters/T2-firm_letter.pdf")
    assert ("Nous avons bien reçu 700,00 € au titre de la facture F2026-0210 (dernier règlement le 31 mars 2026) "
            "et vous en remercions : il reste dû 347,61 € de principal sur cette facture, qui porte des pénalités "
            "de retard jusqu’à complet paiement.") in text


def test_threshold_leaves_small_amounts_alone(project):
    edit(project / ATELIER, "letters:\n", "letters:\n  penalty_claim_min: 50\n")
    write(project, "paid.csv", B2B_LEDGER)
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-30", "dist/r1")
    # 49.99 € < 50 €: listed in the plan, not proposed, no letter, no step.
    assert [(i["interest"], i["indemnity"], i["claimed_now"]) for i in plan["T1"]["paid_late"]] == [
        ("9.99", "40.00", False)]
    assert not (project / "dist/r1/letters/T1-penalty_claim.pdf").exists()
    edit(project / ATELIER, "  penalty_claim_min: 50\n", "  penalty_claim_min: 49.99\n")
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-30", "dist/r2")
    assert plan["T1"]["paid_late"][0]["claimed_now"] is True


CONSUMERS = HEADER + (
    # P1 paid 1 000 € on 20 March, before the formal notice of 1 April: nothing is owed.
    "P1;Mme Alice Martin;b2c;;;1 rue Sainte-Catherine, 33000 Bordeaux;CMD-1;01/02/2026;01/03/2026;1000,00;1000,00;"
    "open;01/04/2026;20/03/2026\n"
    # P2 paid 1 000 € on 1 May, 30 days after the notice of 1 April: 1 000 × 2.62 × 30 / 36 500 = 2.153… → 2.15 €.
    "P2;M. Bruno Leroy;b2c;;;3 cours de l’Intendance, 33000 Bordeaux;CMD-2;01/02/2026;01/03/2026;1000,00;1000,00;"
    "open;01/04/2026;01/05/2026\n")


def test_consumers_owe_nothing_when_paid_before_the_notice_and_never_an_indemnity(project):
    write(project, "conso.csv", CONSUMERS)
    plan = dunning(project, BOUTIQUE, "conso.csv", "2026-05-15", "dist/r1")
    assert plan["P1"]["paid_late"] == [] and plan["P1"]["claim_documents"] == []
    assert [(i["interest"], i["indemnity"]) for i in plan["P2"]["paid_late"]] == [("2.15", "0.00")]
    text = pdf_text(project / "dist/r1/letters/P2-penalty_claim.pdf")
    assert "article 1231-6 du Code civil" in text and "2,15 €" in text
    assert "Réclamation des intérêts de retard" in text and "pénalités" not in text
    assert "du 2 avril 2026 au 1er mai 2026 inclus : 30 jours sur 1 000,00 €" in text
    assert "indemnit" not in text.lower() and "40,00" not in text


def test_payments_file_errors_are_located(project):
    write(project, "paid.csv", B2B_LEDGER)
    write(project, "bad.csv", "invoice_number;date;amount\nF9999;11/03/2026;10,00\nF2026-0200;30/02/2026;5\n"
                              "F2026-0200;11/03/2026;abc\n")
    result = run_main(project, "dunning", ATELIER, "--ledger", "paid.csv", "--payments", "bad.csv", "--date",
                      "2026-04-30", "-o", "dist/bad")
    assert result.returncode == 1
    assert "bad.csv:3:2: date: date illisible « 30/02/2026 »" in result.stderr
    assert "bad.csv:4:3: amount: montant illisible « abc »" in result.stderr
    assert "Traceback" not in result.stderr
    write(project, "bad.csv", "invoice_number;date;amount\nF9999;11/03/2026;10,00\nF2026-0200;11/03/2026;500,00\n")
    result = run_main(project, "dunning", ATELIER, "--ledger", "paid.csv", "--payments", "bad.csv", "--date",
                      "2026-04-30", "-o", "dist/bad")
    assert result.returncode == 1
    assert "bad.csv:2:1: invoice_number: règlement pour la facture « F9999 », absente du registre" in result.stderr
    # The ledger says 1 000 € paid on F2026-0200, the payments file 500 €: two sources that disagree.
    assert "bad.csv:3:3: amount: les règlements de la facture F2026-0200 font 500,00 €, le registre indique " \
           "1 000,00 €" in flat(result.stderr)
    assert not (project / "dist/bad").exists()


def test_the_report_and_the_command_name_the_penalty_claim(project):
    write(project, "paid.csv", B2B_LEDGER)
    result = run_main(project, "dunning", ATELIER, "--ledger", "paid.csv", "--date", "2026-04-30", "-o", "dist/r1")
    assert result.returncode == 0, result.stderr
    assert "1 réclamation(s) des pénalités de retard" in result.stdout
    report = flat((project / "dist/r1/report.html").read_text(encoding="utf-8"))
    assert "Réclamation des pénalités de retard" in report and "49,99" in report


def test_penalty_claim_on_demand(project):
    write(project, "paid.csv", B2B_LEDGER)
    result = run_main(project, "dunning", "document", ATELIER, "T1", "penalty_claim", "--ledger", "paid.csv",
                      "--date", "2026-04-30", "-o", "dist/docs")
    assert result.returncode == 0, result.stderr
    assert "49,99 €" in pdf_text(project / "dist/docs/T1-penalty_claim-2026-04-30.pdf")
    result = run_main(project, "dunning", "document", ATELIER, "T3", "penalty_claim", "--ledger", "paid.csv",
                      "--date", "2026-04-30", "-o", "dist/docs")
    assert result.returncode == 1 and "aucune facture payée en retard" in result.stderr


def test_no_claim_while_a_dispute_is_noted(project):
    write(project, "paid.csv", B2B_LEDGER)
    noted = run_main(project, "dunning", "note", ATELIER, "T1", "--dispute", "pénalités contestées",
                     "--date", "2026-04-20")
    assert noted.returncode == 0, noted.stderr
    plan = dunning(project, ATELIER, "paid.csv", "2026-04-30", "dist/r1")
    assert plan["T1"]["paid_late"][0]["claimed_now"] is False and plan["T1"]["claim_documents"] == []
