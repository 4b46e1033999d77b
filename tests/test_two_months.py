"""Two months of a credit clerk's life: a run every working day, what was proposed sent and confirmed,
calls noted, a promise kept and one broken, a registered letter received, payments arriving in the
ledger. Each day's proposals are read as the clerk reads them and checked against the rules of the
recovery file; at the end the history is read back."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import run_main
from pypdf import PdfReader
from test_dunning_daily import B2B, line, write_ledger, write_rates

from cgvkit.law.workdays import closed, quiet

pytestmark = pytest.mark.slow  # about forty runs, letters printed


@dataclass
class Clerk:
    """What the clerk knows and does; `sent` keeps each confirmed (debtor, stage) with its day."""

    root: Path
    rows: dict  # debtor → ledger line keyword arguments
    sent: dict = field(default_factory=dict)  # (debtor, stage) → day confirmed
    calls: dict = field(default_factory=dict)  # debtor → [(day, outcome)]
    plans: dict = field(default_factory=dict)  # day → {debtor: plan entry}
    receipts: dict = field(default_factory=dict)  # day → debtor whose registered letter arrives that day

    def ledger(self) -> str:
        return write_ledger(self.root, *(line(**row) for row in self.rows.values()))

    def run(self, day: date) -> dict:
        result = run_main(self.root, "dunning", B2B, "--ledger", self.ledger(), "--date", day.isoformat(),
                          "-o", f"dist/runs/{day.isoformat()}")
        assert result.returncode == 0, result.stderr
        data = json.loads((self.root / "dist" / "runs" / day.isoformat() / "plan.json").read_text(encoding="utf-8"))
        found = {d["debtor_id"]: d for d in data["debtors"]}
        self.plans[day] = found
        return found

    def confirm(self, day: date) -> None:
        folder = f"dist/runs/{day.isoformat()}"
        proposed = [d for d in self.plans[day].values() if d["action"] == "send"]
        if not proposed:
            return
        result = run_main(self.root, "dunning", "confirm", folder, "--by", "Claire", "--sent", day.isoformat())
        assert result.returncode == 0, result.stderr
        for debtor in proposed:
            self.sent[(debtor["debtor_id"], debtor["stage"])] = day

    def note(self, day: date, debtor: str, *event: str) -> None:
        result = run_main(self.root, "dunning", "note", B2B, debtor, "--date", day.isoformat(), "--by", "Claire",
                          *event)
        assert result.returncode == 0, result.stderr
        if event[0] == "--call":
            self.calls.setdefault(debtor, []).append((day, event[1]))


@pytest.fixture
def clock(monkeypatch):
    """The command line's today, moved by the test from day to day (a note or a confirm cannot be
    dated after it)."""
    import cgvkit.cli as cli

    state = {"today": date(2026, 5, 4)}

    class Today(date):
        @classmethod
        def today(cls):
            return cls.fromordinal(state["today"].toordinal())

    monkeypatch.setattr(cli, "date", Today)
    return state


def working_days(first: date, last: date):
    day = first
    while day <= last:
        if not closed(day):
            yield day
        day += timedelta(days=1)


def test_two_months_of_recovery(project, clock):
    write_rates(project)
    clerk = Clerk(project, {
        # Pays after the second reminder's call.
        "D1": dict(debtor="D1", name="Client Un SARL", number="F1", invoice="2026-04-01", due="2026-04-30"),
        # Promises, breaks the promise, goes to the formal notice and the final notice.
        "D2": dict(debtor="D2", name="Client Deux SAS", number="F2", invoice="2026-04-01", due="2026-04-30"),
        # Pays half on 20 May, then the rest after the firm letter.
        "D3": dict(debtor="D3", name="Client Trois EURL", number="F3", invoice="2026-04-10", due="2026-05-10",
                   amount="2000.00"),
    })
    for day in working_days(date(2026, 5, 4), date(2026, 6, 30)):
        clock["today"] = day
        plan = clerk.run(day)
        # Every proposed step is one the clerk may take today, once.
        for debtor, entry in plan.items():
            if entry["action"] != "send":
                continue
            assert (debtor, entry["stage"]) not in clerk.sent, (day, debtor, entry["stage"])
            if entry["channel"] in ("phone", "sms"):
                assert not quiet(day)
            # No e-mail claims a conversation that did not happen.
            mails = [d for d in entry["documents"] if d.endswith(".txt") and d.removesuffix(".txt") + ".eml"
                     in entry["documents"]]
            for document in mails:
                if "entretien" in (clerk.root / "dist" / "runs" / day.isoformat() /
                                                                 document).read_text(encoding="utf-8"):
                    assert any(outcome == "reached" for _, outcome in clerk.calls.get(debtor, [])), (day, document)
        clerk.confirm(day)
        # The clerk's day: calls made and noted, promises, payments keyed in the ledger.
        for debtor, entry in plan.items():
            if entry["action"] == "send" and entry["stage"] == "second_reminder":
                clerk.note(day, debtor, "--call", "reached" if debtor != "D2" else "no_answer",
                           "--text", "Virement annoncé" if debtor == "D1" else "Messagerie")
            if debtor == "D2" and entry["action"] == "send" and entry["stage"] == "firm_letter":
                clerk.note(day, "D2", "--call", "reached", "--text", "Promet de payer le 5 juin")
                clerk.note(day, "D2", "--promise", "2026-06-05", "--amount", "1000")
            if entry["action"] == "send" and entry["channel"] == "registered_letter":
                clerk.receipts[day + timedelta(days=3)] = debtor  # first presented three days later
        if day in clerk.receipts:
            clerk.note(day, clerk.receipts[day], "--received", day.isoformat(), "--lrar", "1A 234 567 8901 2")
        if day == date(2026, 5, 20):
            clerk.rows["D3"].update(paid="1000.00")
        if ("D1", "second_reminder") in clerk.sent and clerk.sent[("D1", "second_reminder")] + timedelta(days=7) <= day:
            clerk.rows.pop("D1", None)  # paid in full: the invoice leaves the ledger
        if ("D3", "firm_letter") in clerk.sent and clerk.sent[("D3", "firm_letter")] + timedelta(days=5) <= day:
            clerk.rows.pop("D3", None)

    # D1: two reminders, then paid: nothing more.
    stages = {key: day for key, day in clerk.sent.items()}
    assert ("D1", "first_reminder") in stages and ("D1", "second_reminder") in stages
    # The call came first; its e-mail followed once the outcome was noted, in the words that fit.
    followed = stages[("D1", "second_reminder.email")]
    assert followed > stages[("D1", "second_reminder")]
    mail = next(d for d in clerk.plans[followed]["D1"]["documents"] if d.endswith(".txt"))
    assert "entretien téléphonique" in (project / "dist" / "runs" / followed.isoformat() / mail).read_text("utf-8")
    mail = next(d for d in clerk.plans[stages[("D2", "second_reminder.email")]]["D2"]["documents"] if d.endswith(".txt"))
    text = (project / "dist" / "runs" / stages[("D2", "second_reminder.email")].isoformat() / mail).read_text("utf-8")
    assert "tenté de vous joindre" in text and "entretien" not in text
    assert ("D1", "firm_letter") not in stages
    # D2: the promise of 5 June held the ladder; broken, it resumed; the final notice waited for the
    # formal notice's deadline, counted from its receipt.
    promise_days = [d for d in clerk.plans if date(2026, 5, 1) < d < date(2026, 6, 5) and "D2" in clerk.plans[d]
                    and clerk.plans[d]["D2"]["action"] == "suspended"]
    assert promise_days, "the promise suspends the ladder"
    after = [d for d in clerk.plans if d > date(2026, 6, 5) and "D2" in clerk.plans[d]]
    assert any("non tenue" in w for d in after for w in clerk.plans[d]["D2"]["warnings"])
    notice, final = stages.get(("D2", "formal_notice")), stages.get(("D2", "final_notice"))
    assert notice is not None and final is not None, stages
    assert final >= notice + timedelta(days=3 + 8), (notice, final)
    # D3: partial payment seen: the later letters claim the balance only.
    firm = clerk.plans[stages[("D3", "firm_letter")]]["D3"]
    assert firm["totals"]["outstanding"] == "1000.00"
    # The history tells the whole file.
    history = run_main(project, "dunning", "history", B2B, "D2")
    assert history.returncode == 0, history.stderr
    for said in ("Première relance", "Mise en demeure", "appel sans réponse", "promesse de paiement au 5 juin 2026",
                 "réception"):
        assert said in history.stdout, said
    # `make clean` and the run folders gone: the court bundle is made from the journal and its archive.
    shutil.rmtree(project / "dist")
    bundle = run_main(project, "dunning", "bundle", B2B, "D2", "--date", "2026-06-30")
    assert bundle.returncode == 0, bundle.stderr
    text = " ".join(PdfReader(project / "dist" / "dossiers" / "atelier-lyonnais" / "D2" / "dossier-D2.pdf")
                    .pages[i].extract_text() for i in range(3))
    for said in ("Client Deux SAS", "Extrait du journal", "Mise en demeure", "Dernier avis avant poursuites",
                 "1A 234 567 8901 2"):
        assert said in text, said
