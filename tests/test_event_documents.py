"""Documents drawn from the recovery file's events, and the call that comes before its e-mail.

Real project, real runs on successive dates, real notes (`dunning note`) and confirmations; the
e-mails are read back as sent, the documents' PDF text with pypdf."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import run_main
from pypdf import PdfReader
from test_dunning_daily import B2B, RUNS, dunning, line, plan_of, write_ledger, write_rates


def note(root, debtor: str, *event: str, on: str):
    result = run_main(root, "dunning", "note", B2B, debtor, "--date", on, "--by", "Claire", *event)
    assert result.returncode == 0, result.stderr
    return result


def run(root, ledger: str, on: str, folder: str | None = None) -> dict:
    result = dunning(root, ledger, on)
    assert result.returncode == 0, result.stderr
    return {d["debtor_id"]: d for d in plan_of(root / RUNS / (folder or on))["debtors"]}


def confirm(root, on: str, folder: str | None = None) -> None:
    result = run_main(root, "dunning", "confirm", str(RUNS / (folder or on)), "--sent", on, "--by", "Claire")
    assert result.returncode == 0, result.stderr


def texts(root, on: str, debtor: dict, folder: str | None = None) -> dict:
    """suffix of each of the debtor's documents → its text."""
    base = root / RUNS / (folder or on)
    return {Path(doc).name: (base / doc).read_text(encoding="utf-8") for doc in debtor["documents"]
            if doc.endswith((".txt", ".eml", ".html"))}


@pytest.fixture
def ledger(project):
    write_rates(project)
    return write_ledger(project,
                        line(debtor="R", number="F1", due="2026-04-30", last="first_reminder"),
                        line(debtor="N", number="F2", due="2026-04-30", last="first_reminder"),
                        line(debtor="S", number="F3", due="2026-04-30", last="first_reminder"))


def test_the_call_comes_first_and_its_email_says_what_happened(project, ledger):
    """Monday 18 May: three calls proposed, scripts only, no e-mail. R was reached, N did not answer,
    nothing was noted for S. The next runs write each e-mail in the words of what happened."""
    monday = run(project, ledger, "2026-05-18")
    for debtor in monday.values():
        assert debtor["stage"] == "second_reminder" and debtor["channel"] == "phone"
        assert not any(d.endswith(".eml") for d in debtor["documents"]), debtor["documents"]
        script = "\n".join(texts(project, "2026-05-18", debtor).values())
        assert "--call reached" in script and "entretien téléphonique" not in script
    confirm(project, "2026-05-18")
    note(project, "R", "--call", "reached", "--text", "Virement de 1 000 € le 22 mai <b>promis</b>", on="2026-05-18")
    note(project, "N", "--call", "no_answer", on="2026-05-18")
    tuesday = run(project, ledger, "2026-05-19")
    assert (tuesday["R"]["stage"], tuesday["N"]["stage"]) == ("second_reminder.email",) * 2
    assert tuesday["S"]["action"] == "none" and "notez son issue" in tuesday["S"]["reason"]
    assert "20 mai 2026" in tuesday["S"]["reason"]
    reached = "\n".join(texts(project, "2026-05-19", tuesday["R"]).values())
    assert re.search(r"Pour faire suite à notre entretien téléphonique du 18\s+mai\s+2026", reached)
    assert re.search(r"ce qui a été convenu\s:\s«\sVirement de 1\s000\s€ le 22\smai <b>promis</b>\s»", reached)
    missed = "\n".join(texts(project, "2026-05-19", tuesday["N"]).values())
    assert "tenté de vous joindre par téléphone le 18" in missed and "entretien" not in missed
    confirm(project, "2026-05-19")
    # S: no outcome noted two working days after the call: the e-mail, which speaks of no call.
    wednesday = run(project, ledger, "2026-05-20")
    assert wednesday["S"]["stage"] == "second_reminder.email"
    assert any("non notée" in w for w in wednesday["S"]["warnings"])
    silent = "\n".join(texts(project, "2026-05-20", wednesday["S"]).values())
    assert "entretien" not in silent and "téléphone" not in silent and not re.search(r"\bappel", silent)
    assert wednesday["R"]["action"] == "none"  # its e-mail was sent: the ladder's gap runs
    confirm(project, "2026-05-20")
    history = run_main(project, "dunning", "history", B2B, "R").stdout
    assert "19 mai 2026 : Deuxième relance — courriel après l’appel (courriel), facture F1" in history
    # The next stage waits for the gap after the e-mail, then the firm letter.
    later = run(project, ledger, "2026-06-01")
    assert later["R"]["stage"] == "firm_letter" and later["S"]["stage"] == "firm_letter"


def document(root, debtor: str, kind: str, on: str) -> tuple[subprocess.CompletedProcess, str]:
    """`dunning document` for one debtor; the PDF's text read back (spaces normalised)."""
    result = run_main(root, "dunning", "document", B2B, debtor, kind, "--ledger", "ledgers/test.csv", "--date", on,
                      "-o", "dist/docs")
    if result.returncode != 0:
        return result, ""
    pdf = next(p for p in (root / "dist" / "docs").glob(f"{debtor}-{kind}-{on}*.pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages).replace("-\n", "")  # hyphenated lines
    return result, re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))


def test_documents_drawn_from_the_file(project):
    write_rates(project)
    ledger = write_ledger(project,
                          line(debtor="P", number="F1", due="2026-04-30", last="first_reminder"),
                          line(debtor="C", number="F2", due="2026-04-30", last="first_reminder"),
                          line(debtor="K", number="F3", invoice="2026-03-02", due="2026-04-01", last="firm_letter"),
                          line(debtor="K", number="F4", invoice="2026-05-02", due="2026-06-01"))
    # Nothing noted yet: each event document is refused, naming the note it needs.
    refused, _ = document(project, "P", "promise_confirmation", "2026-05-18")
    assert refused.returncode == 1 and "aucune promesse de paiement notée" in refused.stderr
    note(project, "P", "--promise", "2026-05-29", "--amount", "600", on="2026-05-18")
    note(project, "C", "--dispute", "Livraison incomplète : 2 portes manquantes", on="2026-05-18")
    note(project, "K", "--procedure", "redressement", "--judgment", "2026-05-04", "--bodacc", "2026-05-12",
         "--mandataire", "Me Durand, 3 quai Perrache, 69002 Lyon", on="2026-05-18")
    # The next run proposes each document.
    proposed = run(project, ledger, "2026-05-19")
    assert any("« Confirmation d’un engagement de paiement »" in w for w in proposed["P"]["warnings"])
    assert any("dispute_reply" in w for w in proposed["C"]["warnings"])
    assert any("claim_declaration" in w for w in proposed["K"]["warnings"])
    # Promise: the amount and the date, the slip that acknowledges the debt (C. civ. 2240).
    _, text = document(project, "P", "promise_confirmation", "2026-05-19")
    assert "Le 18 mai 2026, vous vous êtes engagé à nous régler la somme de 600,00 € au plus tard le 29 mai 2026" in text
    assert "RECONNAISSANCE DE DETTE" in text and "article 2240 du Code civil" in text
    # Dispute: the motive, the reminders suspended, the documents asked for; no mediator for a professional.
    _, text = document(project, "C", "dispute_reply", "2026-05-19")
    assert "au motif suivant : « Livraison incomplète : 2 portes manquantes »" in text
    assert "Nous suspendons nos relances" in text and "médiateur" not in text
    # Collective proceedings: to the mandataire, the debt due at the judgment date, the later one apart.
    _, text = document(project, "K", "claim_declaration", "2026-05-19")
    assert "Me Durand, 3 quai Perrache, 69002 Lyon" in text and "Maître," in text
    assert "procédure de redressement judiciaire" in text and "article L622-24" in text
    assert "publié au BODACC le 12 mai 2026" in text and "deux mois à compter de la publication" in text
    assert "article R622-24" in text
    assert "Créance échue au jour du jugement" in text and "F3" in text and "à échoir" in text and "F4" in text
    assert "Nous certifions sincère la présente déclaration" in text and "Bordereau des pièces" in text
    # No court document for the debts born before the judgment: they are declared, not sued for.
    for kind in ("injunction_request", "court_cover_note"):
        refused, _ = document(project, "K", kind, "2026-05-19")
        assert refused.returncode == 1 and "[document-procedure]" in refused.stderr, refused.stderr
        assert "(F3)" in refused.stderr and "L622-21" in refused.stderr
    # The promise is not kept: after 29 May, the notice of the missed instalment (from receipt).
    assert any("missed_instalment_notice" in w for w in run(project, ledger, "2026-06-01")["P"]["warnings"])
    _, text = document(project, "P", "missed_instalment_notice", "2026-06-01")
    assert "mettons en demeure" in text and "déchéance du terme sera acquise" in text
    assert "dans un délai de 8 jours à compter de la réception de la présente" in text
    # A closed dispute needs no reply any more.
    note(project, "C", "--dispute-closed", "--text", "Avoir émis", on="2026-05-20")
    refused, _ = document(project, "C", "dispute_reply", "2026-05-21")
    assert refused.returncode == 1 and "aucune contestation en cours" in refused.stderr


B2C = "companies/boutique-en-ligne.yaml"


def test_a_consumer_gets_the_mediator_and_thirty_days(project):
    """A consumer's dispute reply gives the mediator of the company profile (C. conso. L612-1, L616-1); the
    notice of a missed instalment leaves a consumer 30 days from receipt before the whole debt is due."""
    write_rates(project)
    write_ledger(project, line(debtor="M", name="Marie Dupont", number="W1", due="2026-04-30", kind="b2c"),
                 line(debtor="L", name="Luc Martin", number="W2", due="2026-04-30", kind="b2c"))
    for debtor, event in (("M", ("--dispute", "Colis reçu endommagé")), ("L", ("--promise", "2026-05-22"))):
        result = run_main(project, "dunning", "note", B2C, debtor, "--date", "2026-05-18", *event)
        assert result.returncode == 0, result.stderr

    def pdf_text(debtor: str, kind: str, on: str) -> str:
        result = run_main(project, "dunning", "document", B2C, debtor, kind, "--ledger", "ledgers/test.csv",
                          "--date", on, "-o", "dist/docs")
        assert result.returncode == 0, result.stderr
        pdf = project / "dist" / "docs" / f"{debtor}-{kind}-{on}.pdf"
        text = " ".join(page.extract_text() for page in PdfReader(pdf).pages).replace("-\n", "")
        return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " "))

    reply = pdf_text("M", "dispute_reply", "2026-05-19")
    assert "« Colis reçu endommagé »" in reply
    assert "médiateur de la consommation" in reply and "CM2C" in reply and "https://www.cm2c.net" in reply
    assert "articles L612-1 et L616-1 du Code de la consommation" in reply and "article L612-2" in reply
    notice = pdf_text("L", "missed_instalment_notice", "2026-05-26")
    assert "dans un délai de 30 jours à compter de la réception de la présente" in notice
    assert "intérêts au taux légal" in notice and "indemnité" not in notice


def test_the_injunction_request_is_filled_from_the_file(project):
    """CPC 1407: the parties, the amount and its décompte, the fondement, the bordereau of the journal's
    documents (the formal notice confirmed, its receipt and LRAR number noted)."""
    write_rates(project)
    ledger = write_ledger(project, line(debtor="D1", number="F1", invoice="2026-01-01", due="2026-02-01",
                                        last="firm_letter"))
    assert run(project, ledger, "2026-05-04")["D1"]["stage"] == "formal_notice"
    confirm(project, "2026-05-04")
    note(project, "D1", "--received", "2026-05-06", "--lrar", "1A 234 567 8901 2", on="2026-05-06")
    result, text = document(project, "D1", "injunction_request", "2026-06-15")
    assert result.returncode == 0, result.stderr
    assert "Requête en injonction de payer" in text and "article 1406" in text
    assert "Demandeur : Atelier Lyonnais de Menuiserie, SAS" in text and "SIREN 852147362" in text
    assert "Défendeur : Client Un SARL, dont le siège est situé 1 rue A, 69001 Lyon, prise en la personne" in text
    assert re.search(r"payer la somme de [\d ]+,\d\d € \(mille ", text)
    assert "1 000,00 € en principal" in text and "40,00 € d’indemnités forfaitaires" in text
    assert "conditions générales de vente" in text and "Bordereau des pièces produites" in text
    assert "Pièce n° 2 : Facture F1 du 1er janvier 2026, échue le 1er février 2026" in text
    assert "Pièce n° 3 : Mise en demeure du 4 mai 2026" in text
    assert "Pièce n° 4 : Avis de réception de la lettre recommandée n° 1A 234 567 8901 2, présentée le 6 mai 2026" in text
    assert "formule exécutoire" in text
