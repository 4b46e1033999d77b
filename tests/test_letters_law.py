"""The daily run's letters against the law (issue 16 §3–§4): real `dunning` runs on project copies
with hand-made ledgers, read back from plan.json, the .txt letters and the printed PDFs.

Every figure is worked by hand from tests/data/rates.yaml (the tests' frozen table, up to 2026-H1):
  2024-H1: ECB 4.50, legal « autres cas » 5.07 → ECB + 10 = 14.50 % < 3 × 5.07 = 15.21 %
  2024-H2: ECB 4.25, legal 4.92 → 14.25 % < 3 × 4.92 = 14.76 %
  2025-H1: ECB 3.15, legal 3.71 → 13.15 % ≥ 11.13 %;  2025-H2: ECB 2.15, legal 2.76 → 12.15 % ≥ 8.28 %
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import edit, run_main
from pypdf import PdfReader

from cgvkit.core.french import date_fr

B2B = "companies/atelier-lyonnais.yaml"
B2C = "companies/boutique-en-ligne.yaml"
ZERO = re.compile(r"(?<!\d)(?<!\d )0,00 €")  # « 0,00 € », not the end of « 500,00 € » nor « 1 000,00 € »
HEADER = ("debtor_id,debtor_name,debtor_kind,debtor_email,debtor_phone,debtor_address,invoice_number,"
          "invoice_date,due_date,amount,paid_amount,status,promise_date,formal_notice_date,last_stage,delivery_date")


def line(debtor="D1", name="Client Un SARL", number="F1", invoice="2026-04-01", due="2026-05-01", amount="1000.00",
         status="open", notice="", last="", kind="b2b", delivery=""):
    return (f'{debtor},"{name}",{kind},compta@client.fr,06 12 34 56 78,"1 rue A, 69001 Lyon",{number},{invoice},{due},'
            f"{amount},,{status},,{notice},{last},{delivery}")


def write_ledger(root: Path, *rows: str) -> str:
    (root / "ledgers" / "law.csv").write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return "ledgers/law.csv"


def dunning(root: Path, on: str, *rows: str, company: str = B2B, out: str = "dist/run") -> dict:
    result = run_main(root, "dunning", company, "--ledger", write_ledger(root, *rows), "--date", on, "-o", out,
                      "--jobs", "1")
    assert result.returncode == 0, result.stderr
    data = json.loads((root / out / "plan.json").read_text(encoding="utf-8"))
    return {d["debtor_id"]: d for d in data["debtors"]}


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def document(root: Path, debtor: dict, suffix: str, out: str = "dist/run") -> str:
    """The debtor's document ending in `suffix`, as flat text (a PDF's extracted text)."""
    (name,) = [d for d in debtor["documents"] if d.endswith(suffix)]
    path = root / out / name
    if suffix.endswith(".pdf"):
        return flat(" ".join(page.extract_text() for page in PdfReader(path).pages))
    return flat(path.read_text(encoding="utf-8"))


# --- §2 Prescription from delivery or completion ------------------------------------------------------

@pytest.mark.parametrize("left,warned", [(89, True), (90, True), (91, False)])
def test_prescription_warning_counts_from_delivery_with_its_exact_bound(project, left, warned):
    # Run 15 June 2026. Delivered on D: 5 years end on D + 5 years, `left` days after the run.
    # Invoiced a month after delivery and due two months after that: counted from either of those
    # dates, the end would be 30 or 90 more days away and the answer would change.
    end = date(2026, 6, 15) + timedelta(days=left)
    delivered = end.replace(year=end.year - 5)
    invoiced, due = delivered + timedelta(days=30), delivered + timedelta(days=90)
    debtors = dunning(project, "2026-06-15", line(invoice=invoiced.isoformat(), due=due.isoformat(),
                                                  delivery=delivered.isoformat(), last="final_notice"))
    found = [w for w in debtors["D1"]["warnings"] if "prescri" in w]
    assert bool(found) == warned, found
    if warned:
        (warning,) = found
        assert f"prescription le {date_fr(end)} (5 ans depuis la livraison du {date_fr(delivered)}, " \
               "C. com. art. L110-4)" in warning


def test_prescription_counts_from_the_invoice_date_by_default_never_from_the_due_date(project):
    # A consumer (2 years, C. conso. L218-2), no delivery date, run 15 June 2026. Both invoices of
    # 1 July 2024: two years end on 1 July 2026, 16 days away → warned. From their due dates (31 August
    # and 30 September 2024) the ends would be 77 days away (another date) and 107 days (no warning).
    debtors = dunning(project, "2026-06-15",
                      line(kind="b2c", number="F1", invoice="2024-07-01", due="2024-08-31", last="final_notice"),
                      line(kind="b2c", number="F2", invoice="2024-07-01", due="2024-09-30", last="final_notice"),
                      company=B2C)
    warnings = debtors["D1"]["warnings"]
    assert any("F1 : prescription le 1er juillet 2026" in w and "depuis la facture du 1er juillet 2024" in w
               and "date de livraison non renseignée" in w and "L218-2" in w for w in warnings), warnings
    assert any("F2 : prescription le 1er juillet 2026" in w for w in warnings), warnings



def test_an_unreadable_delivery_date_is_a_located_ledger_error(project):
    ledger = write_ledger(project, line(delivery="2026-02-30"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-06-15", "-o", "dist/run")
    assert result.returncode == 1 and not (project / "dist" / "run").exists()
    assert "ledgers/law.csv:2:16: delivery_date: date illisible « 2026-02-30 »" in result.stderr

# --- §5 The 3 × legal rate floor, every half-year the run computes --------------------------------------

def test_floor_applies_to_each_half_year_the_run_computes_warns_and_the_email_says_so(project):
    # Due 20 June 2024, run 5 July 2024 (15 days, first reminder sent: the second reminder, phone + e-mail).
    # 21–30 June: 10 days in 2024-H1 at the floor 15.21 % (not 14.50 %); 1–5 July: 5 days in 2024-H2
    # at 14.76 % (not 14.25 %). 1 000 × (15.21 × 10 + 14.76 × 5) / 36 500 = 225.90 / 36.5 = 6.1890… → 6.19 €
    # (at the CGV's rates it would be (145.00 + 71.25) / 36.5 = 5.92 €).
    debtors = dunning(project, "2024-07-05", line(invoice="2024-05-20", due="2024-06-20", last="first_reminder"))
    debtor = debtors["D1"]
    assert debtor["stage"] == "second_reminder"
    (invoice,) = debtor["invoices"]
    assert invoice["periods"] == [{"from": "2024-06-21", "to": "2024-06-30", "days": 10, "rate": "15.21"},
                                  {"from": "2024-07-01", "to": "2024-07-05", "days": 5, "rate": "14.76"}]
    assert invoice["interest"] == "6.19"
    floors = [flat(w) for w in debtor["warnings"] if "L441-10 II" in w]
    assert len(floors) == 2
    assert "2024-H1 (1er semestre 2024)" in floors[0] and "14,50 %" in floors[0] and "3 × 5,07 % = 15,21 %" in floors[0]
    assert "2024-H2 (2d semestre 2024)" in floors[1] and "14,25 %" in floors[1] and "3 × 4,92 % = 14,76 %" in floors[1]
    email = document(project, debtor, "second_reminder.txt")  # the call script (the e-mail follows the call)
    # One sentence naming both half-years and both rates of each, citing L441-10 II.
    assert ("Pour le 1er semestre 2024 et le 2d semestre 2024, le taux stipulé par nos CGV (14,50 % et 14,25 %) étant "
            "inférieur au minimum de trois fois le taux d’intérêt légal (3 × 5,07 % = 15,21 % et 3 × 4,92 % = 14,76 %) "
            "fixé par l’article L441-10 II du Code de commerce, c’est ce minimum qui s’applique.") in email
    assert email.count("L441-10 II") == 1
    # The run's own half-year (2024-H2) is quoted at its floor, not at the CGV's 14,25 %.
    assert "soit 14,76 % par an pour le 2d semestre 2024" in email and "14,25 % par an" not in email


def test_no_floor_warning_when_the_cgv_rate_is_above_it(project):
    debtors = dunning(project, "2025-07-05", line(invoice="2025-05-20", due="2025-06-20", last="first_reminder"))
    debtor = debtors["D1"]
    assert [p["rate"] for p in debtor["invoices"][0]["periods"]] == ["13.15", "12.15"]
    assert not any("L441-10 II" in w for w in debtor["warnings"])
    assert "minimum de trois fois" not in document(project, debtor, "second_reminder.txt")


# --- §4 The CGV's own payment term ----------------------------------------------------------------------


def test_due_dates_are_checked_against_the_variants_own_term(project):
    # « 45 jours fin de mois » (the variant states no `days`): invoice of 10 March 2026 → 24 April,
    # then the month's end: 30 April. Due 5 May is beyond it (a 60-day reading would allow 9 May).
    edit(project / B2B, "payment_term: {days: 45, end_of_month: false}", "payment_term: {variant: end_of_month_45}")
    debtors = dunning(project, "2026-04-01", line(number="F1", invoice="2026-03-10", due="2026-04-30"),
                      line(debtor="D2", number="F2", invoice="2026-03-10", due="2026-05-05"))
    assert not any("vérifiez l’échéance" in w for w in debtors["D1"]["warnings"])
    (warning,) = [w for w in debtors["D2"]["warnings"] if "vérifiez l’échéance" in w]
    assert "du délai des CGV (45 jours fin de mois, soit le 30 avril 2026)" in warning
    assert "plafond légal de 45 jours fin de mois" in warning

@pytest.mark.parametrize("clause,expected", [
    ("{days: 45, end_of_month: false}", "prévoient un paiement à 45 jours à compter de la date d’émission de la facture."),
    ("{variant: end_of_month_45}", "prévoient un paiement à 45 jours fin de mois."),
    ("{days: 30, end_of_month: true}", "prévoient un paiement à 30 jours fin de mois."),
    ("{days: 0, end_of_month: false}", "prévoient un paiement comptant, à réception de la facture."),
    ("{variant: transport, days: 30}", "prévoient un paiement à 30 jours à compter de la date d’émission de la facture."),
    ("{variant: legal_default}", "prévoient un paiement au plus tard trente jours après la réception des marchandises "
                                 "ou l’exécution de la prestation."),
])
def test_first_reminder_quotes_the_payment_term_of_the_cgv_variant(project, clause, expected):
    edit(project / B2B, "payment_term: {days: 45, end_of_month: false}", f"payment_term: {clause}")
    debtors = dunning(project, "2026-06-15", line(invoice="2026-05-01", due="2026-06-01"))
    text = document(project, debtors["D1"], ".txt")
    assert expected in text, text
    assert "date d'échéance indiquée sur la facture" not in text


def test_consumer_shop_quotes_payment_on_order(project):
    debtors = dunning(project, "2026-06-15", line(kind="b2c", invoice="2026-05-20", due="2026-05-20"), company=B2C)
    text = document(project, debtors["D1"], ".txt")
    assert "prévoient un paiement à la commande." in text
    edit(project / B2C, "when: commande", "when: livraison")
    debtors = dunning(project, "2026-06-15", line(kind="b2c", invoice="2026-05-20", due="2026-05-20"), company=B2C,
                      out="dist/run2")
    assert "prévoient un paiement à la livraison." in document(project, debtors["D1"], ".txt", "dist/run2")


# --- §1 The consumer call script, §6 no indemnity from a consumer ----------------------------------------

def test_consumer_call_script_asks_for_the_customer_and_tells_a_third_party_nothing(project):
    # A consumer is a debtor of the consumer company (a B2B company's ledger refuses one: ledger-kind-market).
    debtors = dunning(project, "2026-06-15",
                      line(debtor="K1", name="Mme Camille Roux", kind="b2c", invoice="2026-05-01", due="2026-05-20",
                           amount="345.60", last="first_reminder"), company=B2C, out="dist/run-c")
    debtors |= dunning(project, "2026-06-15",
                       line(debtor="P1", name="Hôtel des Terreaux SAS", number="F2", invoice="2026-05-01",
                            due="2026-05-20", last="first_reminder"))
    consumer = (project / "dist" / "run-c" / "letters" / "K1-second_reminder.txt").read_text(encoding="utf-8")
    assert "Pourrais-je parler à Mme Camille Roux, s’il vous plaît ?" in flat(consumer)
    assert "fournisseurs" not in consumer
    # What to say to anyone else who answers (or a voicemail): nothing of the invoice, the amount, the delay.
    third = next(p for p in consumer.split("\n") if p.startswith("Si une autre personne répond"))
    assert "ne rien dire de l’objet de l’appel" in third
    assert "345" not in third and "F1" not in third and "€" not in third
    assert consumer.index("Si une autre personne répond") < consumer.index("345,60")
    business = (project / "dist" / "run" / "letters" / "P1-second_reminder.txt").read_text(encoding="utf-8")
    assert "règlement des factures fournisseurs" in business and "Pourrais-je parler à" not in business
    assert debtors["K1"]["stage"] == debtors["P1"]["stage"] == "second_reminder"


def test_no_indemnity_is_claimed_from_a_consumer_debtor(project):
    consumer = dunning(project, "2026-05-26",
                       line(debtor="K1", name="M. Julien Petit", kind="b2c", number="F1", invoice="2026-04-01",
                            due="2026-05-01", notice="2026-05-15", last="pre_due"), company=B2C, out="dist/run-c")["K1"]
    business = dunning(project, "2026-05-26",
                       line(debtor="P1", number="F2", invoice="2026-04-01", due="2026-05-01", last="pre_due"))["P1"]
    assert consumer["kind"] == "b2c" and consumer["stage"] == "first_reminder"
    assert [i["indemnity"] for i in consumer["invoices"]] == ["0.00"] and consumer["totals"]["indemnity"] == "0.00"
    assert business["totals"]["indemnity"] == "40.00"
    text = document(project, consumer, ".txt", "dist/run-c")
    assert "indemnité" not in text and "recouvrement" not in text and not re.search(r"(?<![\d,])40(?![\d])", text)
    assert "indemnité forfaitaire pour frais de recouvrement de 40,00 €" in document(project, business, ".txt")


# --- Printed letters (PDF) ------------------------------------------------------------------------------

@pytest.mark.slow
def test_printed_letters_floor_two_half_years_and_consumers(project):
    # Run 14 August 2024 (letters are dated on working days: not on the 15th, Assumption).
    # P1 (B2B) due 1 March 2024, firm letter sent → formal notice. 2 March–30 June: 121 days at the
    #   floor 15.21 %; 1 July–14 August: 45 days at 14.76 %. 1 000 × (15.21 × 121 + 14.76 × 45) / 36 500
    #   = (1 840.41 + 664.20) / 36.5 = 68.6194… → 68.62 €; + 40 € indemnity.
    # K1 (consumer of this B2B company), no formal-notice date → formal notice without any interest.
    # K2 (consumer), formal notice of 1 July 2024 sent → last notice: interest at the legal rate from
    #   2 July: 44 days at 4.92 %: 500 × 4.92 × 44 / 36 500 = 2.9654… → 2.97 €; no indemnity.
    debtors = dunning(project, "2024-08-14",
                      line(debtor="P1", number="F1", invoice="2024-02-01", due="2024-03-01", last="firm_letter"))
    consumers = dunning(project, "2024-08-14",  # consumers: the consumer company's debtors
                        line(debtor="K1", name="Mme Camille Roux", kind="b2c", number="F2", invoice="2024-05-01",
                             due="2024-05-01", amount="500.00", last="firm_letter"),
                        line(debtor="K2", name="M. Julien Petit", kind="b2c", number="F3", invoice="2024-05-01",
                             due="2024-05-01", amount="500.00", notice="2024-07-01", last="formal_notice"),
                        company=B2C, out="dist/run-c")
    debtors |= consumers
    assert (debtors["P1"]["stage"], debtors["K1"]["stage"], debtors["K2"]["stage"]) == \
        ("formal_notice", "formal_notice", "final_notice")
    assert debtors["P1"]["totals"] == {"outstanding": "1000.00", "interest": "68.62", "indemnity": "40.00",
                                       "total": "1108.62"}
    pro = document(project, debtors["P1"], ".pdf")
    assert "Taux appliqués : du 2 mars au 30 juin 2024 : 15,21 % ; du 1er juillet au 14 août 2024 : 14,76 %." in pro
    assert ("Pour le 1er semestre 2024 et le 2d semestre 2024, le taux stipulé par nos conditions générales de vente "
            "(14,50 % et 14,25 %) étant inférieur au minimum de trois fois le taux d’intérêt légal (3 × 5,07 % = 15,21 % "
            "et 3 × 4,92 % = 14,76 %) fixé par l’article L441-10 II du Code de commerce, c’est ce minimum qui "
            "s’applique.") in pro
    assert len(PdfReader(project / "dist" / "run" / "letters" / "P1-formal_notice.pdf").pages) == 1
    assert "68,62 €" in pro and "1 108,62 €" in pro
    # The default ladder sends a last notice after the formal notice: no « sans autre avis » here,
    # and no commissaire de justice issuing a title.
    for text in (pro, document(project, debtors["K1"], ".pdf", "dist/run-c")):
        assert "sans autre avis" not in text and "poursuivrons le recouvrement" in text
        assert "commissaire de justice afin" not in text
    consumer = document(project, debtors["K1"], ".pdf", "dist/run-c")
    assert not ZERO.search(consumer) and "d’intérêts" not in consumer and "arrêtés au" not in consumer
    assert "Aucun intérêt ne vous est réclamé à ce jour" in consumer and "500,00 €" in consumer
    assert "Indemnité" not in consumer and "40,00" not in consumer
    last = document(project, debtors["K2"], ".pdf", "dist/run-c")
    assert debtors["K2"]["totals"]["interest"] == "2.97" and "2,97 €" in last
    assert "Taux appliqué : du 2 juillet au 14 août 2024 : 4,92 %." in last
    assert "sans autre avis" in last  # the ladder's last stage: court comes next
    assert "procédure simplifiée de recouvrement des petites créances" in last and "qu’avec votre accord" in last
    assert "Indemnité" not in last and "40,00" not in last and "minimum de trois fois" not in last


@pytest.mark.slow
def test_consumer_letter_of_a_run_past_the_rate_table_has_no_stop_note(project):
    # Run 14 August 2026: the table stops on 30 June 2026. The professional's letter says so; the
    # consumer's, with no interest computed (no formal-notice date), does not.
    debtors = dunning(project, "2026-08-14",
                      line(debtor="P1", number="F1", invoice="2026-04-01", due="2026-05-01", last="firm_letter"))
    debtors |= dunning(project, "2026-08-14",
                       line(debtor="K1", name="Mme Camille Roux", kind="b2c", number="F2", invoice="2026-05-01",
                            due="2026-05-01", amount="500.00", last="firm_letter"), company=B2C, out="dist/run-c")
    pro = document(project, debtors["P1"], ".pdf")
    assert "(intérêts arrêtés au 30 juin 2026, à parfaire)" in pro
    consumer = document(project, debtors["K1"], ".pdf", "dist/run-c")
    assert "arrêtés au" not in consumer and not ZERO.search(consumer) and "d’intérêts" not in consumer
    assert "Le montant total à régler, arrêté au 14 août 2026, s’élève à 500,00 €." in consumer


@pytest.mark.slow
def test_formal_notice_says_sans_autre_avis_only_when_court_comes_next(project):
    # A ladder that ends with the formal notice: it is the last word before court, and says so.
    # Due 31 May 2025, run 14 August 2025: 1–30 June at 13.15 %, 1 July–14 August at 12.15 %:
    # 1 000 × (13.15 × 30 + 12.15 × 45) / 36 500 = (394.50 + 546.75) / 36.5 = 25.7876… → 25.79 €.
    ladder = (project / "ladder" / "default.yaml").read_text(encoding="utf-8")
    stages = ladder.split("\nstages:\n", 1)[1].split("\n  - id: final_notice", 1)[0]
    text = (project / B2B).read_text(encoding="utf-8")
    (project / B2B).write_text(text.replace("letters:\n", "letters:\n  ladder:\n    stages:\n" + "\n".join(
        "  " + row if row else row for row in stages.splitlines()) + "\n", 1), encoding="utf-8")
    debtors = dunning(project, "2025-08-14", line(invoice="2025-05-01", due="2025-05-31", last="firm_letter"))
    debtor = debtors["D1"]
    assert debtor["stage"] == "formal_notice" and debtor["totals"]["interest"] == "25.79"
    notice = document(project, debtor, ".pdf")
    assert "nous saisirons sans autre avis la juridiction compétente (injonction de payer)" in notice
    assert "qu’avec votre accord" in notice  # the small-claims procedure (≤ 5 000 €) needs the debtor
    assert "Taux appliqués : du 1er juin au 30 juin 2025 : 13,15 % ; du 1er juillet au 14 août 2025 : 12,15 %." in notice
    assert "minimum de trois fois" not in notice
