"""The recovery file: what staff note in a debtor's file (`dunning note`) goes into the journal, is
listed by `dunning history`, and the daily run follows it — promises, disputes, holds, a chosen stage,
collective proceedings — day after day, as a clerk lives it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main
from test_dunning_daily import B2B, RUNS, dunning, line, plan_of, write_ledger, write_rates


def note(root, debtor: str, *event: str, on: str = "2026-05-18"):
    return run_main(root, "dunning", "note", B2B, debtor, "--date", on, "--by", "Claire", *event)


def day(root, ledger: str, on: str) -> dict:
    assert dunning(root, ledger, on).returncode == 0
    return {d["debtor_id"]: d for d in plan_of(root / RUNS / on)["debtors"]}


@pytest.fixture
def ledger(project):
    write_rates(project)
    return write_ledger(project,
                        line(debtor="D1", number="F1", due="2026-04-30", last="first_reminder"),
                        line(debtor="D2", number="F2", due="2026-04-30", last="first_reminder"),
                        line(debtor="D3", number="F3", due="2026-04-30", last="first_reminder"),
                        line(debtor="D4", number="F4", due="2026-05-10"),
                        line(debtor="D5", number="F5", invoice="2026-03-01", due="2026-04-01", last="firm_letter"))


def test_weeks_of_a_clerk_follow_the_file(project, ledger):
    monday = day(project, ledger, "2026-05-18")
    assert monday["D1"]["stage"] == "second_reminder" and monday["D4"]["stage"] == "first_reminder"
    # The call of D1 reached the customer, who promised 500 € on 29 May; D2 disputes its invoice; D3
    # asked for time until 10 June; D4's file goes straight to the formal notice; D5 is in receivership.
    assert note(project, "D1", "--call", "reached", "--text", "Paiement promis fin mai").returncode == 0
    assert note(project, "D1", "--promise", "2026-05-29", "--amount", "500").returncode == 0
    assert note(project, "D2", "--dispute", "Livraison incomplète selon le client").returncode == 0
    assert note(project, "D3", "--hold", "2026-06-10", "--text", "Attente du virement de la banque").returncode == 0
    assert note(project, "D4", "--stage", "formal_notice", "--text", "Client connu pour ses retards").returncode == 0
    assert note(project, "D5", "--procedure", "redressement", "--judgment", "2026-05-04", "--bodacc", "2026-05-12",
                "--mandataire", "Me Durand").returncode == 0
    tuesday = day(project, ledger, "2026-05-19")
    assert tuesday["D1"]["action"] == "suspended" and "500,00\xa0€ au 29 mai 2026" in tuesday["D1"]["reason"]
    assert tuesday["D2"]["action"] == "suspended" and "Livraison incomplète" in tuesday["D2"]["reason"]
    assert tuesday["D3"]["action"] == "none" and "aucune relance avant le 10 juin 2026" in tuesday["D3"]["reason"]
    assert (tuesday["D4"]["action"], tuesday["D4"]["stage"]) == ("send", "formal_notice")
    assert tuesday["D5"]["action"] == "suspended"
    assert "L622-21" in tuesday["D5"]["reason"] and "avant le 12 juillet 2026" in tuesday["D5"]["reason"]
    # 1 June: the promise was not kept (the invoice is still in the ledger): said, and the ladder resumes.
    june = day(project, ledger, "2026-06-01")
    assert june["D1"]["stage"] == "second_reminder"
    assert any("non tenue" in w for w in june["D1"]["warnings"])
    # The dispute is settled: D2 resumes. After 10 June, D3 resumes too.
    assert note(project, "D2", "--dispute-closed", "--text", "Avoir émis", on="2026-06-02").returncode == 0
    later = day(project, ledger, "2026-06-11")
    assert later["D2"]["action"] == "send" and later["D3"]["action"] == "send"
    history = run_main(project, "dunning", "history", B2B, "D1")
    assert history.returncode == 0
    assert "note — appel joint — Paiement promis fin mai, par Claire" in history.stdout
    assert "note — promesse de paiement au 29 mai 2026, 500,00\xa0€, par Claire" in history.stdout


@pytest.mark.parametrize("event,said", [
    (("--stage", "inconnue", "--text", "x"), "étape inconnue"),
    (("--hold", "2026-06-10"), "--text est obligatoire"),
    (("--promise", "2026-05-01"), "précède le jour de la note"),
    (("--call", "reached", "--amount", "10"), "ne va pas avec cet événement"),
    (("--promise", "2026-06-01", "--amount", "1 23,4x"), "montant attendu"),
    (("--dispute", "ligne\nBcc: x"), "caractères invisibles ou de contrôle"),
])
def test_a_wrong_note_is_refused_and_writes_nothing(project, event, said):
    result = note(project, "D1", *event)
    assert result.returncode == 2 and said in result.stderr, result.stderr
    assert not (project / "data" / "journal").exists()


def test_a_note_dated_in_the_future_is_refused(project):
    result = run_main(project, "dunning", "note", B2B, "D1", "--date", "2099-01-01", "--call", "no_answer")
    assert result.returncode == 2 and "on ne note que ce qui s’est passé" in result.stderr


def test_after_a_registered_letter_the_deadline_runs_from_its_receipt(project):
    """Formal notice confirmed as sent on Monday 4 May 2026; its 8 days run from receipt. Without a note,
    receipt counts two working days after sending (Wednesday 6): 8 days end on Thursday 14, Ascension →
    Friday 15. Noted on Friday 8 May (--received), they end on Saturday 16 → Monday 18 May."""
    write_rates(project)
    ledger = write_ledger(project, line(debtor="D1", number="F1", invoice="2026-01-01", due="2026-02-01",
                                        last="firm_letter"))
    assert dunning(project, ledger, "2026-05-04").returncode == 0
    assert plan_of(project / RUNS / "2026-05-04")["debtors"][0]["stage"] == "formal_notice"
    assert run_main(project, "dunning", "confirm", str(RUNS / "2026-05-04"), "--sent", "2026-05-04",
                    "--by", "Claire").returncode == 0
    assert "15 mai 2026" in day(project, ledger, "2026-05-07")["D1"]["reason"]  # no receipt noted yet
    assert note(project, "D1", "--received", "2026-05-08", "--lrar", "1A 234 567 8901 2", on="2026-05-08").returncode == 0
    waiting = day(project, ledger, "2026-05-15")["D1"]
    assert waiting["action"] == "none" and "18 mai 2026" in waiting["reason"]
    assert day(project, ledger, "2026-05-18")["D1"]["stage"] == "final_notice"
    history = run_main(project, "dunning", "history", B2B, "D1").stdout
    assert "lettre recommandée reçue le 8 mai 2026, n° 1A 234 567 8901 2" in history


def test_a_debt_first_seen_long_overdue_does_not_start_with_a_simple_oversight(project):
    """A debtor seen for the first time 40 days late (nothing sent, nothing noted) starts at the firm
    letter (the ladder's catch_up), whose text does not speak of earlier reminders; 20 days late, the
    first reminder still says it is probably an oversight."""
    write_rates(project)
    ledger = write_ledger(project, line(debtor="OLD", number="F1", due="2026-04-08"),
                          line(debtor="NEW", number="F2", due="2026-04-28"),
                          line(debtor="SMS", number="F3", due="2026-04-08", last="pre_due"))
    plans = day(project, ledger, "2026-05-18")
    old, new = plans["OLD"], plans["NEW"]
    assert old["stage"] == "firm_letter" and "premier contact" in old["reason"]
    # Only the courteous SMS before the due date, 40 days ago: no « simple oubli » either.
    assert plans["SMS"]["stage"] == "firm_letter" and "aucune relance depuis l’échéance" in plans["SMS"]["reason"]
    assert new["stage"] == "first_reminder"
    letter = (project / RUNS / "2026-05-18" / next(d for d in old["documents"] if d.endswith(".html")))
    html = letter.read_text(encoding="utf-8")
    assert "Sauf erreur de notre part" in html and "précédents rappels" not in html
    reminder = (project / RUNS / "2026-05-18" / next(d for d in new["documents"] if d.endswith(".txt")))
    assert "simple oubli" in reminder.read_text(encoding="utf-8")


def test_the_kits_own_formal_notice_starts_a_consumers_interest(project):
    """A consumer without `formal_notice_date` in the ledger: once the kit's formal notice is confirmed
    as sent (Monday 4 May 2026) and its receipt noted (Thursday 7 May), the legal rate (« autres cas »,
    3,50 % in 2026-H1 in this test's table) runs from the day after: 8 May–15 June, 39 days on 500 €:
    500 × 3.50 × 39 / 36 500 = 1.8698… → 1.87 €; no « pas de date de mise en demeure » warning."""
    write_rates(project)
    ledger = write_ledger(project, line(debtor="K1", name="Mme Camille Roux", kind="b2c", number="F1",
                                        invoice="2026-01-01", due="2026-02-01", amount="500.00", last="firm_letter"))
    # A consumer is a debtor of the consumer company (a B2B company's ledger refuses one: ledger-kind-market).
    b2c, runs = "companies/boutique-en-ligne.yaml", Path("dist") / "relances" / "boutique-en-ligne"

    def consumer_day(on: str) -> dict:
        assert run_main(project, "dunning", b2c, "--ledger", ledger, "--date", on).returncode == 0
        return next(d for d in plan_of(project / runs / on)["debtors"] if d["debtor_id"] == "K1")

    before = consumer_day("2026-05-04")
    assert before["stage"] == "formal_notice" and before["totals"]["interest"] == "0.00"
    assert any("pas de date de mise en demeure" in w for w in before["warnings"])
    assert run_main(project, "dunning", "confirm", str(runs / "2026-05-04"), "--sent", "2026-05-04",
                    "--by", "Claire").returncode == 0
    assert run_main(project, "dunning", "note", b2c, "K1", "--date", "2026-05-08", "--by", "Claire",
                    "--received", "2026-05-07").returncode == 0
    after = consumer_day("2026-06-15")
    (invoice,) = after["invoices"]
    assert invoice["periods"] == [{"from": "2026-05-08", "to": "2026-06-15", "days": 39, "rate": "3.50"}]
    assert after["totals"]["interest"] == "1.87" and after["totals"]["indemnity"] == "0.00"
    assert not any("pas de date de mise en demeure" in w for w in after["warnings"])


def test_collective_proceedings_stop_only_the_debts_born_before_the_judgment(project):
    write_rates(project)
    ledger = write_ledger(project,
                          line(debtor="D5", number="AVANT", invoice="2026-03-01", due="2026-04-01", last="firm_letter"),
                          line(debtor="D5", number="APRES", invoice="2026-05-06", due="2026-05-06", last="firm_letter"))
    assert note(project, "D5", "--procedure", "sauvegarde", "--judgment", "2026-05-04").returncode == 0
    debtor = day(project, ledger, "2026-06-25")["D5"]  # APRES is 50 days late: the formal notice
    assert debtor["action"] == "send" and [i["number"] for i in debtor["invoices"]] == ["APRES"]
    assert any("factures AVANT" in w and "dans les deux mois de la publication" in w for w in debtor["warnings"])
