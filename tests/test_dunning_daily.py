"""The daily dunning run: rates that run out, the journal, the clerk's outputs.

Every test passes its run date explicitly and writes its own rate table, so none depends on
today's date.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cgvkit.law.rates import RateTable
from tests.conftest import run_main

# A table of our own: two half-years, figures chosen to be worked by hand.
RATES = """\
# Test table: comments must survive `rates add`.
rates:
  - half_year: 2025-H2
    ecb: 2.00
    legal_individual: 6.00
    legal_other: 3.00
    source: "test 2025-H2"
  # the last row
  - half_year: 2026-H1
    ecb: 2.50
    legal_individual: 6.50
    legal_other: 3.50
    source: "test 2026-H1"
"""
HEADER = ("debtor_id,debtor_name,debtor_kind,debtor_email,debtor_phone,debtor_address,invoice_number,"
          "invoice_date,due_date,amount,paid_amount,status,promise_date,formal_notice_date,last_stage")
B2B = "companies/atelier-lyonnais.yaml"


def write_rates(root: Path, text: str = RATES) -> Path:
    path = root / "data" / "rates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def write_ledger(root: Path, *rows: str, name: str = "test.csv") -> str:
    (root / "ledgers" / name).write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return f"ledgers/{name}"


def line(debtor="D1", name="Client Un SARL", number="F1", invoice="2026-04-01", due="2026-05-01",
         amount="1000.00", paid="", status="open", promise="", notice="", last="", kind="b2b",
         email="compta@client.fr", phone="06 12 34 56 78"):
    name = name.replace('"', '""')  # CSV quoting
    return (f'{debtor},"{name}",{kind},{email},{phone},"1 rue A, 69001 Lyon",{number},{invoice},{due},{amount},'
            f"{paid},{status},{promise},{notice},{last}")


def dunning(root: Path, ledger: str, on: str, *extra: str):
    return run_main(root, "dunning", B2B, "--ledger", ledger, "--date", on, *extra)


def plan_of(folder: Path) -> dict:
    return json.loads((folder / "plan.json").read_text(encoding="utf-8"))


# --- Rates that run out ----------------------------------------------------------------------------

def test_run_past_the_table_stops_interest_at_its_last_day_and_says_so(project):
    write_rates(project)
    # Due 20 June 2026, run 15 July 2026: the table stops on 30 June, so interest covers
    # 21–30 June only: 10 days at 2.50 + 10 = 12.50 %: 1 000 × 12.50 % × 10 / 365 = 3.4246… → 3.42 €.
    # 25 days late after a pre-due reminder: the first reminder (J+7), an e-mail: no PDF printed.
    ledger = write_ledger(project, line(due="2026-06-20", last="pre_due"))
    result = dunning(project, ledger, "2026-07-15", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = plan_of(project / "dist" / "run")
    assert data["interest_stopped"] == {"date": "2026-06-30", "note": "intérêts arrêtés au 30 juin 2026, à parfaire"}
    (debtor,) = data["debtors"]
    (invoice,) = debtor["invoices"]
    assert invoice["days_late"] == 25 and invoice["interest"] == "3.42"
    assert invoice["periods"] == [{"from": "2026-06-21", "to": "2026-06-30", "days": 10, "rate": "12.50"}]
    # One warning naming the row to add, its sources and the command; the summary says it once.
    warnings = [w for w in result.stderr.splitlines() if "rates-stale" in w]
    assert len(warnings) == 1 and "[rates-stale]" in warnings[0]
    assert "2026-H2" in warnings[0] and "Journal officiel" in warnings[0] and "BCE" in warnings[0]
    assert "rates add 2026-H2" in warnings[0] and "avertissement" in warnings[0]
    assert result.stdout.count("intérêts arrêtés au 30 juin 2026, à parfaire") == 1
    # The letter says so too.
    document = next(d for d in debtor["documents"] if d.endswith(".txt"))
    text = (project / "dist" / "run" / document).read_text(encoding="utf-8")
    assert "intérêts arrêtés au 30 juin 2026, à parfaire" in text


def test_several_missing_half_years_are_named_in_one_warning(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-06-20"))
    result = dunning(project, ledger, "2027-03-01", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    (warning,) = [w for w in result.stderr.splitlines() if "rates-stale" in w]
    assert "2026-H2 à 2027-H1" in warning


def test_printed_letters_carry_the_note_next_to_the_interest(project):
    from cgvkit.documents.letters import filled_context
    from cgvkit.dunning.ledger import parse_ledger
    from cgvkit.dunning.plan import plan
    from cgvkit.model.ladder import ladder_for
    from cgvkit.model.letters import render_stage
    from cgvkit.model.project import load_project

    write_rates(project)
    loaded = load_project(project, [project / B2B])
    company = loaded.companies[0]
    ladder = ladder_for(company, project)
    text = "\n".join([HEADER, line(due="2026-05-01", last="firm_letter")]) + "\n"
    ledger = parse_ledger(text, "ledgers/x.csv", "b2b", ladder.ids)
    (debtor,) = plan(company, ladder, ledger, loaded.table, date(2026, 9, 1))
    assert debtor.stage.id == "formal_notice"
    outputs = render_stage(project, debtor.stage, lambda html: filled_context(
        company, debtor, debtor.stage, date(2026, 9, 1), loaded.table.last, html,
        "intérêts arrêtés au 30 juin 2026, à parfaire"))
    html = outputs[0].text
    assert html.count("intérêts arrêtés au 30\u00a0juin 2026, à parfaire") + \
        html.count("intérêts arrêtés au 30 juin 2026, à parfaire") == 2
    assert "jusqu’à complet paiement" in html
    # A formal notice's deadline runs from its receipt; its total is stated as of the letter's date.
    assert "à compter de la réception de la présente" in html
    assert "arrêté au 1er septembre 2026" in html
    assert "au plus tard le" not in html


def test_a_run_inside_the_table_has_no_note(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    result = dunning(project, ledger, "2026-05-20", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = plan_of(project / "dist" / "run")
    assert data["interest_stopped"] is None and "rates-stale" not in result.stderr
    document = next(d for d in data["debtors"][0]["documents"] if d.endswith(".txt"))
    assert "à parfaire" not in (project / "dist" / "run" / document).read_text(encoding="utf-8")


def test_a_date_before_the_table_is_still_an_error(project):
    write_rates(project)
    ledger = write_ledger(project, line(invoice="2025-01-01", due="2025-03-01"))
    result = dunning(project, ledger, "2026-05-20", "-o", "dist/run")
    assert result.returncode == 1 and "rates-missing" in result.stderr and "2025-H1" in result.stderr
    assert not (project / "dist" / "run").exists()


def test_date_defaults_to_today(project, monkeypatch):
    from cgvkit import cli

    class Today(date):
        @classmethod
        def today(cls):
            return date(2026, 5, 20)

    write_rates(project)
    monkeypatch.setattr(cli, "date", Today)
    ledger = write_ledger(project, line(due="2026-05-01"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    assert plan_of(project / "dist" / "run")["date"] == "2026-05-20"


# --- rates add -------------------------------------------------------------------------------------

def test_rates_add_appends_a_row_and_keeps_the_comments(project):
    path = write_rates(project)
    result = run_main(project, "rates", "add", "2026-H2", "--ecb", "2,15", "--legal-consumer", "6.67",
                      "--legal-other", "2.62", "--source", "https://www.legifrance.gouv.fr/jorf/id/X",
                      "--source", "https://www.ecb.europa.eu/rates")
    assert result.returncode == 0, result.stderr
    text = path.read_text(encoding="utf-8")
    assert text.startswith(RATES)  # everything before is kept byte for byte, comments included
    table = RateTable.load(path, project)
    row = table.get("2026-H2")
    assert (str(row.ecb), str(row.legal_individual), str(row.legal_other)) == ("2.15", "6.67", "2.62")
    assert row.source == "https://www.legifrance.gouv.fr/jorf/id/X ; https://www.ecb.europa.eu/rates"


@pytest.mark.parametrize("label,ecb,consumer,other,source,rule", [
    ("2027-H1", "2", "6", "3", "https://x.fr/a", "rates-gap"),         # skips 2026-H2
    ("2026-H1", "2", "6", "3", "https://x.fr/a", "rates-duplicate"),   # already there
    ("2026-H2", "2.155", "6", "3", "https://x.fr/a", "rates-value"),   # three decimals
    ("2026-H2", "abc", "6", "3", "https://x.fr/a", "rates-value"),
    ("2026-H2", "2", "65", "3", "https://x.fr/a", "rates-range"),      # per mille typed as percent
    ("2026-H2", "2", "6", "3", "http://x.fr/a", "rates-source"),       # not https
    ("2026-H2", "2", "6", "3", "arrêté du 1er juin", "rates-source"),  # not an address
])
def test_rates_add_refuses_and_leaves_the_file_untouched(project, label, ecb, consumer, other, source, rule):
    path = write_rates(project)
    before = path.read_bytes()
    result = run_main(project, "rates", "add", label, "--ecb", ecb, "--legal-consumer", consumer,
                      "--legal-other", other, "--source", source)
    assert result.returncode == 1 and f"[{rule}]" in result.stderr and "Traceback" not in result.stderr
    assert path.read_bytes() == before


def test_rates_add_restores_the_file_when_the_reloaded_table_is_broken(project, monkeypatch):
    from cgvkit.core.errors import KitError, Problem
    from cgvkit.law import ratefile

    path = write_rates(project)
    before = path.read_bytes()
    real = ratefile.RateTable.load
    calls = []

    def load(cls_path, root):
        calls.append(1)
        if len(calls) == 2:  # the re-validation after appending
            raise KitError([Problem("data/rates.yaml", 1, 1, "", "cassé", "rates-test")])
        return real(cls_path, root)

    monkeypatch.setattr(ratefile.RateTable, "load", staticmethod(load))
    result = run_main(project, "rates", "add", "2026-H2", "--ecb", "2", "--legal-consumer", "6",
                      "--legal-other", "3", "--source", "https://www.legifrance.gouv.fr/jorf/id/X")
    assert result.returncode == 1 and "rates-test" in result.stderr
    assert path.read_bytes() == before


@pytest.mark.real_today
def test_validate_warns_when_todays_half_year_is_missing(project):
    # A table that stopped long ago: whatever today is, its half-year is missing.
    old = ("rates:\n" + "".join(
        f"  - half_year: {label}\n    ecb: 0.05\n    legal_individual: 4.00\n    legal_other: 1.00\n"
        f"    source: \"test\"\n" for label in ("2025-H2", "2026-H1")))
    write_rates(project, old)
    from cgvkit.commands.rates import warn_stale_table
    from cgvkit.model.project import load_project

    loaded = load_project(project)
    import contextlib
    import io
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        warn_stale_table(loaded, date(2026, 11, 23))
    assert "[rates-stale]" in err.getvalue() and "2026-H2" in err.getvalue()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        warn_stale_table(loaded, date(2026, 6, 30))
    assert err.getvalue() == ""
    # And through the command: the warning follows today's date, so compare with the table's end.
    result = run_main(project, "validate")
    assert result.returncode == 0
    assert ("[rates-stale]" in result.stderr) == (date.today() > date(2026, 6, 30))


# --- The journal -----------------------------------------------------------------------------------

RUNS = Path("dist") / "relances" / "atelier-lyonnais"


def journal_steps(root: Path):
    from cgvkit.dunning import journal

    path = root / "data" / "journal" / "atelier-lyonnais.sqlite"
    con = journal.connect(path, "atelier-lyonnais")
    try:
        return journal.steps(con)
    finally:
        con.close()


def proposed(root: Path, folder: str) -> dict:
    return {d["debtor_id"]: (d["action"], d["stage"]) for d in plan_of(root / folder)["debtors"]}


def test_two_runs_the_same_day_without_confirming_propose_the_same(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"), line(debtor="D2", number="F2", due="2026-05-03"))
    first = dunning(project, ledger, "2026-05-20", "-o", "dist/a")
    second = dunning(project, ledger, "2026-05-20", "-o", "dist/b")
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    a, b = plan_of(project / "dist" / "a"), plan_of(project / "dist" / "b")
    assert a == b and a["steps"] and {s["stage"] for s in a["steps"]} == {"first_reminder"}
    for step in a["steps"]:
        for doc in step["documents"]:
            assert (project / "dist" / "a" / doc["path"]).read_bytes() == \
                (project / "dist" / "b" / doc["path"]).read_bytes()
    assert not (project / "data" / "journal").exists()  # a proposal writes no journal


def test_confirmed_run_then_the_next_days(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20").returncode == 0
    folder = RUNS / "2026-05-20"
    assert proposed(project, folder) == {"D1": ("send", "first_reminder")}
    result = run_main(project, "dunning", "confirm", str(folder), "--by", "Claire", "--sent", "2026-05-20")
    assert result.returncode == 0, result.stderr
    assert "1 étape(s)" in result.stdout
    (step,) = journal_steps(project)
    assert (step.debtor_id, step.invoice_number, step.stage, step.day, step.confirmed_by) == \
        ("D1", "F1", "first_reminder", date(2026, 5, 20), "Claire")
    assert step.channel == "email" and step.amount_claimed == plan_of(project / folder)["steps"][0]["amount_claimed"]
    (doc, sha), (eml, _) = step.documents
    assert doc == f"{folder.as_posix()}/letters/D1-first_reminder.txt"
    assert eml == f"{folder.as_posix()}/courriels/D1-first_reminder.eml"
    import hashlib
    assert sha == hashlib.sha256((project / doc).read_bytes()).hexdigest()
    # The same day again: nothing proposed twice, and the confirmed folder is kept as it is.
    assert dunning(project, ledger, "2026-05-20").returncode == 0
    assert proposed(project, RUNS / "2026-05-20-2") == {"D1": ("none", None)}
    assert (project / folder / "confirmed.json").is_file()
    # The next day: 20 days late, the calendar wants the second reminder (J+15) but the first
    # reminder gave 7 days (min_gap_days): nothing until 27 May.
    assert dunning(project, ledger, "2026-05-21").returncode == 0
    reason = plan_of(project / RUNS / "2026-05-21")["debtors"][0]["reason"]
    assert proposed(project, RUNS / "2026-05-21") == {"D1": ("none", None)} and "27 mai 2026" in reason
    assert dunning(project, ledger, "2026-05-27").returncode == 0
    assert proposed(project, RUNS / "2026-05-27") == {"D1": ("send", "second_reminder")}


def test_dunning_confirm_flag_and_history(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"), line(debtor="D2", name="Autre SAS", number="F2",
                                                                due="2026-05-02"))
    result = dunning(project, ledger, "2026-05-20", "--confirm", "--by", "Claire Martin")
    assert result.returncode == 0, result.stderr
    assert {s.debtor_id for s in journal_steps(project)} == {"D1", "D2"}
    history = run_main(project, "dunning", "history", B2B)
    assert history.returncode == 0, history.stderr
    assert "2 étape(s)" in history.stdout and "20 mai 2026" in history.stdout
    assert "Première relance (courriel)" in history.stdout and "Claire Martin" in history.stdout
    one = run_main(project, "dunning", "history", B2B, "D2")
    assert "Autre SAS" in one.stdout and "Client Un" not in one.stdout and "1 étape(s)" in one.stdout


def test_history_without_journal(project):
    result = run_main(project, "dunning", "history", B2B)
    assert result.returncode == 0 and "aucune étape confirmée" in result.stdout


def test_confirm_refuses_twice_a_changed_document_and_a_moved_journal(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/a").returncode == 0
    assert dunning(project, ledger, "2026-05-21", "-o", "dist/b").returncode == 0  # another proposal
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/c").returncode == 0
    letter = project / "dist" / "c" / "letters" / "D1-first_reminder.txt"
    letter.unlink()  # an edited document is recorded as sent (tests/test_evidence.py); a missing one is refused
    changed = run_main(project, "dunning", "confirm", "dist/c", "--by", "x")
    assert changed.returncode == 1 and "[journal-document]" in changed.stderr
    assert "D1-first_reminder.txt:1:1: document proposé introuvable" in changed.stderr
    assert not (project / "data" / "journal" / "atelier-lyonnais.sqlite").exists()
    assert run_main(project, "dunning", "confirm", "dist/a", "--by", "x").returncode == 0
    twice = run_main(project, "dunning", "confirm", "dist/a", "--by", "x")
    assert twice.returncode == 1 and "[journal-twice]" in twice.stderr
    moved = run_main(project, "dunning", "confirm", "dist/b", "--by", "x")
    assert moved.returncode == 1 and "[journal-moved]" in moved.stderr
    assert len(journal_steps(project)) == 1
    # A confirmed folder is never overwritten by a new run.
    again = dunning(project, ledger, "2026-05-20", "-o", "dist/a")
    assert again.returncode == 1 and "[journal-confirmed]" in again.stderr
    assert "Traceback" not in changed.stderr + twice.stderr + moved.stderr + again.stderr


def test_confirm_of_a_folder_that_is_not_a_run(project):
    (project / "dist" / "x").mkdir(parents=True)
    result = run_main(project, "dunning", "confirm", "dist/x", "--by", "x")
    assert result.returncode == 1 and "[journal-run]" in result.stderr
    result = run_main(project, "dunning", "confirm", "dist/none", "--by", "x")
    assert result.returncode == 2


def _killed_confirm(root: str, folder: str) -> None:
    """Child process: confirm, but die (no cleanup, like a kill) after the first step's insert."""
    import os

    from cgvkit.dunning import journal
    from cgvkit.dunning.confirm import confirm_run

    real = journal.insert_step
    count = []

    def insert(con, run_id, step):
        real(con, run_id, step)
        count.append(1)
        if len(count) == 2:
            os._exit(9)

    journal.insert_step = insert
    confirm_run(Path(root), Path(root) / folder, None, "x", date(2026, 5, 20), date(2026, 5, 20))
    os._exit(0)


def test_a_killed_confirm_leaves_the_journal_as_it_was(project):
    import multiprocessing

    write_rates(project)
    ledger = write_ledger(project, line(due="2026-04-20"))
    assert dunning(project, ledger, "2026-04-30", "--confirm", "--by", "x").returncode == 0
    before = journal_steps(project)
    assert len(before) == 1
    # Three debtors are due a step on 20 May: the child dies after writing two of them.
    ledger = write_ledger(project, line(due="2026-04-20"), line(debtor="D2", number="F2", due="2026-05-01"),
                          line(debtor="D3", number="F3", due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/run").returncode == 0
    assert len(plan_of(project / "dist" / "run")["steps"]) == 3
    child = multiprocessing.get_context("fork").Process(target=_killed_confirm, args=(str(project), "dist/run"))
    child.start()
    child.join(60)
    assert child.exitcode == 9
    assert journal_steps(project) == before
    assert not (project / "dist" / "run" / "confirmed.json").exists()
    # The proposal is still valid and confirms in full.
    assert run_main(project, "dunning", "confirm", "dist/run", "--by", "x").returncode == 0
    assert len(journal_steps(project)) == 4


def test_journal_migrates_from_version_1_and_refuses_a_newer_one(tmp_path):
    import sqlite3

    from cgvkit.core.errors import KitError
    from cgvkit.dunning import journal

    path = tmp_path / "j.sqlite"
    con = sqlite3.connect(path)
    con.executescript(journal.MIGRATIONS[0])
    con.execute("INSERT INTO meta VALUES ('company', 'acme')")
    con.execute("INSERT INTO steps (debtor_id, debtor_name, invoice_number, stage, stage_title, step_date, channel, "
                "amount_claimed, confirmed_by) VALUES ('D1', 'Un', 'F1', 'first_reminder', 'Première relance', "
                "'2026-01-10', 'email', '100.00', 'ancien')")
    con.execute("PRAGMA user_version = 1")
    con.commit()
    con.close()
    con = journal.connect(path, "acme")
    assert con.execute("PRAGMA user_version").fetchone()[0] == journal.VERSION == 4
    assert con.execute("SELECT proposed_sha256 FROM documents").fetchall() == []
    (step,) = journal.steps(con)
    assert (step.debtor_id, step.stage, step.day, step.confirmed_by) == ("D1", "first_reminder", date(2026, 1, 10),
                                                                          "ancien")
    assert con.execute("SELECT run_id FROM steps").fetchone() == (None,)
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)
    assert journal.events(con) == []  # version 3: the file's events, none yet
    con.close()
    assert journal.history(path, "acme") == {("D1", "F1"): [("first_reminder", date(2026, 1, 10))]}
    with pytest.raises(KitError) as caught:
        journal.connect(path, "other")
    assert caught.value.problems[0].rule == "journal-company"
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {journal.VERSION + 1}")
    con.commit()
    con.close()
    with pytest.raises(KitError) as caught:
        journal.connect(path, "acme")
    assert caught.value.problems[0].rule == "journal-version"


# --- Planning from the journal: minimum gaps and the ledger's last_stage as a seed ------------------

def _plan(on: str, *rows: str, history=None, reply_days=None, ladder=None):
    from types import SimpleNamespace as NS

    from cgvkit.dunning.ledger import parse_ledger
    from cgvkit.dunning.plan import plan
    from cgvkit.model.ladder import load_default

    root = Path(__file__).resolve().parent.parent
    ladder = ladder or load_default(root)
    table = RateTable.load(root / "data" / "rates.yaml", root)
    letters = {} if reply_days is None else {"reply_days": reply_days}
    company = NS(market="b2b", letters=letters, clause=lambda family: None)
    ledger = parse_ledger("\n".join([HEADER, *rows]) + "\n", "ledgers/x.csv", "b2b", ladder.ids)
    return {d.debtor_id: d for d in plan(company, ladder, ledger, table, date.fromisoformat(on), history)}


@pytest.mark.parametrize("sent,on,reply_days,expected", [
    # A formal notice (a registered letter, no min_gap_days in the ladder) waits for the letters'
    # deadline, 8 days from receipt: sent Monday 4 May, received two working days later (Wednesday 6),
    # 8 days end on Thursday 14 May, Ascension → Friday 15 May.
    ("2026-05-04", "2026-05-14", None, None),
    ("2026-05-04", "2026-05-15", None, "final_notice"),
    # A profile giving 15 days in its letters waits 15 days from receipt: 6 + 15 = Thursday 21 May.
    ("2026-05-04", "2026-05-20", 15, None),
    ("2026-05-04", "2026-05-21", 15, "final_notice"),
    # Sent on Friday 1 May (a holiday): received Tuesday 5 May (Saturday, Sunday skipped), + 8 days:
    # Wednesday 13 May.
    ("2026-05-01", "2026-05-12", None, None),
    ("2026-05-01", "2026-05-13", None, "final_notice"),
])
def test_minimum_gap_after_a_formal_notice(sent, on, reply_days, expected):
    history = {("D1", "F1"): [("formal_notice", date.fromisoformat(sent))]}
    debtor = _plan(on, line(invoice="2026-01-01", due="2026-02-01"), history=history, reply_days=reply_days)["D1"]
    assert (debtor.stage.id if debtor.stage else None) == expected
    if expected is None:
        assert "délai laissé au débiteur" in debtor.reason


def test_min_gap_days_declared_in_the_ladder_wins():
    from dataclasses import replace

    from cgvkit.model.ladder import Ladder, load_default

    root = Path(__file__).resolve().parent.parent
    default = load_default(root)
    stages = tuple(replace(s, min_gap_days=20) if s.id == "formal_notice" else s for s in default.stages)
    ladder = Ladder(stages, default.documents)
    history = {("D1", "F1"): [("formal_notice", date(2026, 5, 1))]}
    # Received Tuesday 5 May (two working days), + 20 days = Monday 25 May, Whit Monday → Tuesday 26 May.
    assert _plan("2026-05-25", line(invoice="2026-01-01", due="2026-02-01"), history=history, ladder=ladder)["D1"] \
        .stage is None
    assert _plan("2026-05-26", line(invoice="2026-01-01", due="2026-02-01"), history=history, ladder=ladder)["D1"] \
        .stage.id == "final_notice"


def test_ledger_last_stage_is_only_a_seed():
    row = line(invoice="2026-01-01", due="2026-02-01", last="firm_letter")
    # No journal: the ledger says the firm letter went out; next comes the formal notice.
    assert _plan("2026-05-20", row)["D1"].stage.id == "formal_notice"
    # The journal knows better: only the first reminder was confirmed.
    history = {("D1", "F1"): [("first_reminder", date(2026, 3, 1))]}
    assert _plan("2026-05-20", row, history=history)["D1"].stage.id == "second_reminder"


def test_the_ladder_schema_checks_min_gap_days(project):
    from tests.conftest import edit

    edit(project / "ladder" / "default.yaml", "    min_gap_days: 7\n", "    min_gap_days: -1\n")
    result = run_main(project, "validate")
    assert result.returncode == 1 and "min_gap_days" in result.stderr


# --- plan.csv for French Excel ---------------------------------------------------------------------

def test_plan_csv_opens_in_french_excel_and_neutralises_formulas(project):
    import csv
    import io

    write_rates(project)
    ledger = write_ledger(project,
                          line(name='=HYPERLINK("http://x")', due="2026-05-01", amount="1234.5"),
                          line(debtor="D2", name="+Plus SARL", number="F2", due="2026-05-01", status="disputed"),
                          line(debtor="@D3", name="Arobase", number="F3", due="2026-07-01", amount="10"))
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/run").returncode == 0
    raw = (project / "dist" / "run" / "plan.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    header, first, second, third, total = rows
    assert header[:4] == ["Référence débiteur", "Débiteur", "Type", "Action"] and "Total (€)" in header
    cell = dict(zip(header, first, strict=True))
    assert cell["Débiteur"] == "'=HYPERLINK(\"http://x\")"
    assert (cell["Type"], cell["Action"], cell["Étape"], cell["Canal"]) == \
        ("professionnel", "à envoyer", "Première relance", "courriel")
    # 1 234,50 € due 1 May, run 20 May 2026: 19 days at 2.50 + 10 = 12.50 %:
    # 1 234.50 × 12.50 % × 19 / 365 = 8.0327… → 8,03 €; + 40 € indemnity = 1 282,53 €.
    assert (cell["Principal restant dû (€)"], cell["Intérêts (€)"], cell["Indemnités (€)"], cell["Total (€)"]) == \
        ("1234,50", "8,03", "40,00", "1282,53")
    assert dict(zip(header, second, strict=True))["Débiteur"] == "'+Plus SARL"
    assert dict(zip(header, second, strict=True))["Action"] == "suspendu"
    assert dict(zip(header, third, strict=True))["Référence débiteur"] == "'@D3"
    assert dict(zip(header, third, strict=True))["Action"] == "aucune"
    totals = dict(zip(header, total, strict=True))
    assert totals["Référence débiteur"] == "Total" and "3 débiteur(s)" in totals["Débiteur"]
    # D2 owes 1 000 + 19 days at 12.50 % (6.5068… → 6.51) + 40 = 1 046,51; D3 10,00 not yet due.
    # 1 282,53 + 1 046,51 + 10,00 = 2 339,04.
    assert totals["Total (€)"] == "2339,04" and totals["Principal restant dû (€)"] == "2244,50"


def test_safe_cells():
    from cgvkit.dunning.spreadsheet import safe

    for text in ("=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe(text) == "'" + text
    for text in ("Client", "", "1=1", "F-1"):
        assert safe(text) == text


# --- E-mails, SMS and the mail room ----------------------------------------------------------------

def test_emails_are_ready_to_send_eml_and_sms_carry_their_number(project):
    from email import policy
    from email.parser import BytesParser

    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"),
                          line(debtor="D2", name="Sans Courriel", number="F2", due="2026-05-01", email=""),
                          line(debtor="D3", name="Avant Échéance", number="F3", due="2026-05-23"))
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/a").returncode == 0
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/b").returncode == 0
    data = plan_of(project / "dist" / "a")
    assert {k: v for k, v in data["outbox"].items() if k != "messages"} == {
        "emails": ["courriels/D1-first_reminder.eml"], "sms": "sms.csv", "mail_room": None}
    raw = (project / "dist" / "a" / "courriels" / "D1-first_reminder.eml").read_bytes()
    assert raw == (project / "dist" / "b" / "courriels" / "D1-first_reminder.eml").read_bytes()  # deterministic
    message = BytesParser(policy=policy.default).parsebytes(raw)
    letter = (project / "dist" / "a" / "letters" / "D1-first_reminder.txt").read_text(encoding="utf-8")
    assert message["To"] == "compta@client.fr" and "atelier-lyonnais" in message["From"]
    assert message["Subject"] == letter.splitlines()[0].partition(":")[2].strip()
    assert message["Date"] == "Wed, 20 May 2026 09:00:00 +0200" and message["Message-ID"].startswith("<")
    assert message["X-Unsent"] == "1"  # opens as a draft to send, not as a message received
    assert message.get_content().strip() == letter.partition("\n")[2].strip()
    assert "courriels/D1-first_reminder.eml" in data["debtors"][0]["documents"]  # its SHA-256 goes to the journal
    d2 = next(d for d in data["debtors"] if d["debtor_id"] == "D2")
    assert any("adresse électronique" in w for w in d2["warnings"])
    sms = (project / "dist" / "a" / "sms.csv").read_text(encoding="utf-8-sig").splitlines()
    assert sms[0] == "Numéro;Débiteur;Message" and sms[1].startswith("'+33612345678;Avant Échéance;")  # E.164
    assert "F3" in sms[1]


def test_eml_attaches_the_stage_pdf(tmp_path):
    from email import policy
    from email.parser import BytesParser

    from pypdf import PdfWriter

    from cgvkit.dunning.outbox import email_message

    pdf = tmp_path / "C1-firm_letter.pdf"
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    with pdf.open("wb") as handle:
        writer.write(handle)
    sender = {"name": "Atelier", "email": "compta@atelier.fr"}
    raw = email_message(sender, "client@x.fr", "Objet : Relance ferme\n\nBonjour,\n", date(2026, 5, 20), [pdf])
    assert raw == email_message(sender, "client@x.fr", "Objet : Relance ferme\n\nBonjour,\n", date(2026, 5, 20),
                                [pdf])
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert message["Subject"] == "Relance ferme" and message.is_multipart()
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == pdf.name and attachment.get_content() == pdf.read_bytes()
    assert message.get_body(("plain",)).get_content() == "Bonjour,\n"


@pytest.mark.slow
def test_mail_room_pdf_holds_every_printed_letter_in_order(project):
    from pypdf import PdfReader

    write_rates(project)
    ledger = write_ledger(project, line(invoice="2026-01-15", due="2026-04-01", last="second_reminder"),
                          line(debtor="D2", name="Deuxième SAS", number="F2", invoice="2026-01-15", due="2026-03-01",
                               last="firm_letter"))
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/run").returncode == 0
    folder = project / "dist" / "run"
    data = plan_of(folder)
    assert [d["stage"] for d in data["debtors"]] == ["firm_letter", "formal_notice"]
    merged = PdfReader(folder / data["outbox"]["mail_room"])
    parts = [PdfReader(folder / next(doc for doc in d["documents"] if doc.endswith(".pdf"))) for d in data["debtors"]]
    assert len(merged.pages) == sum(len(p.pages) for p in parts)
    first = merged.pages[0].extract_text()
    last_part_start = merged.pages[len(parts[0].pages)].extract_text()
    assert "Client Un" in first and "MISE EN DEMEURE" in last_part_start


# --- The report page -------------------------------------------------------------------------------

class Page:
    """Text of every element with an id, links, tags seen: enough to read report.html back."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        page = self
        self.text, self.links, self.tags, self.rows = {}, [], set(), {}
        open_ids: list = []

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                page.tags.add(tag)
                if tag == "a":
                    page.links.append(attrs.get("href"))
                if tag in ("br", "meta", "rect", "link", "img"):
                    return
                open_ids.append(attrs.get("id"))
                if attrs.get("id"):
                    page.text[attrs["id"]] = ""
                if tag == "tr":
                    for name in [i for i in open_ids if i]:
                        page.rows.setdefault(name, []).append("")

            def handle_endtag(self, tag):
                if tag in ("br", "meta", "rect", "link", "img"):
                    return
                if open_ids:
                    open_ids.pop()

            def handle_data(self, data):
                for name in [i for i in open_ids if i]:
                    page.text[name] += data
                    if page.rows.get(name):
                        page.rows[name][-1] += data

        Parser().feed(html)


def test_report_page_says_what_to_do_today(project):
    write_rates(project)
    ledger = write_ledger(project,
                          line(due="2026-05-01", amount="1000.00"),                                    # 19 days
                          line(debtor="D2", name="Litige SARL", number="F2", due="2026-03-01", invoice="2026-01-20",
                               status="disputed", amount="500.00"),                                     # 80 days
                          line(debtor="D3", name="Ancien SAS", number="F3", due="2026-01-15", invoice="2025-12-15",
                               amount="200.00", last="final_notice"),                                   # 125 days
                          line(debtor="D4", name="Futur SAS", number="F4", due="2026-06-30", invoice="2026-05-30",
                               amount="300.00"))                                                        # not due
    assert dunning(project, ledger, "2026-05-20", "--confirm", "--by", "x").returncode == 0
    # Ten days later, D1 has paid half and a new debtor appears.
    ledger = write_ledger(project, line(due="2026-05-01", amount="1000.00", paid="500.00"),
                          line(debtor="D2", name="Litige SARL", number="F2", due="2026-03-01", invoice="2026-01-20",
                               status="disputed", amount="500.00"),
                          line(debtor="D5", name="Nouveau SAS", number="F5", due="2026-05-20", invoice="2026-04-20",
                               amount="100.00"))
    result = dunning(project, ledger, "2026-05-30", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = plan_of(project / "dist" / "run")
    assert data["report"] == "report.html"
    html = (project / "dist" / "run" / "report.html").read_text(encoding="utf-8")
    page = Page(html)
    assert "script" not in page.tags and "svg" in page.tags
    assert all(link and "://" not in link for link in page.links)  # relative links only
    for link in page.links:
        assert (project / "dist" / "run" / link).is_file(), link
    # Outstanding: 500 + 500 + 100 = 1 100 €, all overdue (29, 90 and 10 days late).
    assert page.text["outstanding"].replace("\u202f", " ").replace("\u00a0", " ") == "1 100,00 €"
    buckets = page.rows["buckets"][-1].split("€")
    assert [b.strip().replace("\u00a0", " ").replace("\u202f", " ") for b in buckets[:4]] == \
        ["600,00", "0,00", "500,00", "0,00"]
    # DSO, amount-weighted age since the invoice date: D1 500 € × 59 days (1 April → 30 May),
    # D2 500 × 130 (20 January), D5 100 × 40 (20 April): 98 500 / 1 100 = 89.5… → 90 days.
    assert page.text["dso"] == "90 jours"
    sends = " ".join(page.rows["sends"])
    assert "Nouveau SAS" in sends and "Première relance" in sends and "courriel" in sends
    # D1's first reminder was confirmed ten days ago (gap 7 days): 29 days late, the second reminder.
    assert "Client Un" in sends and "Deuxième relance" in sends
    suspended = " ".join(page.rows["suspended"])
    assert "Litige SARL" in suspended and "contest" in suspended
    changes = page.text["changes"]
    assert "D1" in changes and "paiement reçu" in changes
    assert "D5" in changes and "nouveau dossier" in changes
    assert "D3" in changes and "absent du registre" in changes and "D4" in changes


def test_warns_when_a_due_date_is_beyond_the_payment_term_or_the_legal_cap(project):
    write_rates(project)
    # The company's CGV: 45 days from the invoice date.
    ledger = write_ledger(project, line(invoice="2026-04-02", due="2026-06-18"),            # 77 days: both
                          line(debtor="D2", number="F2", invoice="2026-04-01", due="2026-05-20"),  # 49: the CGV
                          line(debtor="D3", number="F3", invoice="2026-04-01", due="2026-05-16"))  # 45: fine
    assert dunning(project, ledger, "2026-06-25", "-o", "dist/run").returncode == 0
    warnings = {d["debtor_id"]: " ".join(d["warnings"]) for d in plan_of(project / "dist" / "run")["debtors"]}
    assert "77 jours" in warnings["D1"] and "délai des CGV (45 jours, soit le 17 mai 2026)" in warnings["D1"]
    assert "plafond légal de 60 jours" in warnings["D1"] and "L441-10" in warnings["D1"]
    assert "délai des CGV" in warnings["D2"] and "plafond légal" not in warnings["D2"]
    assert "échéance" not in warnings["D3"]


# --- On-demand documents ---------------------------------------------------------------------------

def test_parse_schedule():
    from decimal import Decimal

    from cgvkit.dunning.ondemand import parse_schedule

    total = Decimal("1000.00")
    assert parse_schedule(["2026-07-01:400", "2026-08-01:600,00"], total) == \
        [(date(2026, 7, 1), Decimal("400")), (date(2026, 8, 1), Decimal("600.00"))]
    assert parse_schedule(["2026-07-01:400", "2026-08-01"], total)[-1] == (date(2026, 8, 1), Decimal("600.00"))
    for bad in (["2026-07-01:400", "2026-07-01"], ["2026-07-01:400"], ["01/07/2026:1000"], ["2026-07-01:abc"],
                ["2026-07-01:0", "2026-08-01"], ["2026-07-01", "2026-08-01:100"], ["2026-07-01:1000", "2026-08-01"],
                ["2026-07-01:999.999", "2026-08-01"]):
        with pytest.raises(ValueError):
            parse_schedule(bad, total)


def test_document_errors_are_located_and_write_nothing(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"), line(debtor="D2", number="F2", due="2026-07-01"))
    cases = [(("D9", "payment_plan"), "[document-debtor]"), (("D2", "payment_plan"), "[document-debtor]"),
             (("D1", "lettre_au_pere_noel"), "[document-kind]"),
             (("D1", "payment_plan", "--schedule", "2026-07-01:10"), "[document-schedule]")]
    for args, rule in cases:
        result = run_main(project, "dunning", "document", B2B, *args, "--ledger", ledger, "--date", "2026-05-20")
        assert result.returncode == 1 and rule in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert not (project / "dist" / "relances").exists()


@pytest.mark.slow
def test_payment_plan_and_court_cover_note_for_one_debtor(project):
    from pypdf import PdfReader

    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20", "--confirm", "--by", "Claire Martin").returncode == 0
    # 1 000 € due 1 May, on 1 June: 31 days at 12.50 % = 10.6164… → 10.62 €, + 40 € → 1 050,62 €.
    result = run_main(project, "dunning", "document", B2B, "D1", "payment_plan", "--ledger", ledger,
                      "--date", "2026-06-01", "--schedule", "2026-06-15:500", "--schedule", "2026-07-15")
    assert result.returncode == 0, result.stderr
    folder = project / "dist" / "relances" / "atelier-lyonnais" / "documents"
    text = " ".join(page.extract_text() for page in PdfReader(folder / "D1-payment_plan-2026-06-01.pdf").pages)
    flat = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
    assert "15 juin 2026 500,00 €" in flat and "15 juillet 2026 550,62 €" in flat and "1 050,62 €" in flat
    result = run_main(project, "dunning", "document", B2B, "D1", "court_cover_note", "--ledger", ledger,
                      "--date", "2026-06-01")
    assert result.returncode == 0, result.stderr
    html = (folder / "D1-court_cover_note-2026-06-01.html").read_text(encoding="utf-8")
    assert "Relances effectuées (journal)" in html and "20 mai 2026" in html and "Première relance" in html
    assert "Claire Martin" in html and "courriel" in html


@pytest.mark.slow
def test_formal_notice_with_three_invoices_fits_on_one_signed_page(project):
    from pypdf import PdfReader

    write_rates(project)
    rows = [line(number=f"F{n}", invoice="2025-11-01", due=f"2025-12-{n + 10}", amount=f"{n}840.00",
                 last="firm_letter") for n in (1, 2, 3)]
    ledger = write_ledger(project, *rows)
    assert dunning(project, ledger, "2026-06-15", "-o", "dist/run").returncode == 0
    data = plan_of(project / "dist" / "run")
    (debtor,) = data["debtors"]
    assert debtor["stage"] == "formal_notice" and len(debtor["invoices"]) == 3
    pdf = PdfReader(project / "dist" / "run" / next(d for d in debtor["documents"] if d.endswith(".pdf")))
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Claire Martin" in text and "MISE EN DEMEURE" in text
    # Interest lines of each half-year sit right under the penalty paragraph, before the indemnity.
    assert text.index("pénalités de retard") < text.index("Facture F1 : du") < text.index("indemnité forfaitaire")
    # Proper names, e-mail addresses and IBANs are never hyphenated.
    flat = text.replace("\n", " ")
    assert "compta@atelier-lyonnais.example" in flat and "Atelier Lyonnais de Menuiserie" in flat
    assert "Menui-" not in text and "lyon-" not in text


def test_printed_letters_carry_the_company_logo(project):
    from cgvkit.documents.letters import filled_context
    from cgvkit.dunning.ledger import parse_ledger
    from cgvkit.dunning.plan import plan
    from cgvkit.model.ladder import ladder_for
    from cgvkit.model.letters import render_stage
    from cgvkit.model.project import load_project
    from tests.conftest import edit

    write_rates(project)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'
    (project / "data" / "logo.svg").write_text(svg, encoding="utf-8")
    edit(project / B2B, "  bic: AGRIFRPP\n", "  bic: AGRIFRPP\n  logo: data/logo.svg\n")
    loaded = load_project(project, [project / B2B])
    company = loaded.companies[0]
    ladder = ladder_for(company, project)
    ledger = parse_ledger("\n".join([HEADER, line(due="2026-04-01", last="second_reminder")]) + "\n",
                          "ledgers/x.csv", "b2b", ladder.ids)
    (debtor,) = plan(company, ladder, ledger, loaded.table, date(2026, 5, 20))
    assert debtor.stage.id == "firm_letter"
    (letter,) = render_stage(project, debtor.stage, lambda html: filled_context(
        company, debtor, debtor.stage, date(2026, 5, 20), loaded.table.last, html))
    assert '<img class="logo" src="data:image/svg+xml;base64,' in letter.text


@pytest.mark.slow
def test_letters_printed_in_parallel_are_the_same_bytes(project):
    write_rates(project)
    rows = [line(debtor=f"D{n}", number=f"F{n}", invoice="2026-01-15", due="2026-03-01", last="firm_letter")
            for n in range(3)]
    ledger = write_ledger(project, *rows)
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/one", "--jobs", "1").returncode == 0
    assert dunning(project, ledger, "2026-05-20", "-o", "dist/two", "--jobs", "2").returncode == 0
    one, two = project / "dist" / "one", project / "dist" / "two"
    pdfs = sorted(p.relative_to(one) for p in one.rglob("*.pdf"))
    assert len(pdfs) == 4  # three formal notices and the mail-room PDF
    for path in pdfs:
        assert (one / path).read_bytes() == (two / path).read_bytes(), path
    assert plan_of(one)["steps"] == plan_of(two)["steps"]


def test_next_stage_date_counts_the_gap_too():
    # First reminder confirmed on 20 May (7 days' gap): on 21 May, 20 days late, the calendar alone would
    # allow the second reminder (J+15) at once; the gap holds it to 27 May.
    history = {("D1", "F1"): [("first_reminder", date(2026, 5, 20))]}
    debtor = _plan("2026-05-21", line(due="2026-05-01"), history=history)["D1"]
    assert debtor.stage is None and "27 mai 2026" in debtor.reason
    # Sent on 14 May at J+13: on 15 May the calendar (J+15, 16 May) comes before the gap (21 May).
    history = {("D1", "F1"): [("first_reminder", date(2026, 5, 14))]}
    debtor = _plan("2026-05-15", line(due="2026-05-02"), history=history)["D1"]
    assert debtor.stage is None and "prochaine étape « Deuxième relance » le 21 mai 2026" in debtor.reason
