"""A journal that is busy, read-only, full, damaged, foreign or from a newer kit gives a French error
with its rule (exit 1), never a traceback, and is left as it was."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import date

import pytest
from conftest import run_main
from test_dunning_daily import B2B, RUNS, dunning, line, write_ledger, write_rates

from cgvkit.core.errors import KitError
from cgvkit.dunning import journal

JOURNAL = "data/journal/atelier-lyonnais.sqlite"


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def confirmed_once(project) -> None:
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20", "--confirm", "--by", "Claire").returncode == 0


def assert_refused(result, rule: str) -> None:
    assert result.returncode == 1, result.stderr
    assert f"[{rule}]" in result.stderr and "Traceback" not in result.stderr
    assert any(line.startswith(JOURNAL + ":1:1: ") and line.endswith(f"[{rule}]")
               for line in result.stderr.splitlines()), result.stderr


@pytest.mark.parametrize("content,rule", [(b"ceci n'est pas une base\n" * 10, "journal-file"),
                                          (b"", None)])
def test_a_file_that_is_not_a_journal(project, content, rule):
    write_rates(project)
    path = project / JOURNAL
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    result = run_main(project, "dunning", "history", B2B)
    if rule:
        assert_refused(result, rule)
        assert path.read_bytes() == content
    else:  # an empty file is a new journal
        assert result.returncode == 0, result.stderr


def test_a_journal_from_a_newer_kit_or_without_its_tables(project):
    write_rates(project)
    path = project / JOURNAL
    path.parent.mkdir(parents=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    assert_refused(run_main(project, "dunning", "history", B2B), "journal-version")
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {journal.VERSION}")
    con.close()
    before = digest(path)
    assert_refused(run_main(project, "dunning", "history", B2B), "journal-damaged")
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert_refused(dunning(project, ledger, "2026-05-20"), "journal-damaged")
    assert digest(path) == before and not (project / RUNS / "2026-05-20").exists()


def test_a_date_written_by_something_else(project):
    confirmed_once(project)
    con = sqlite3.connect(project / JOURNAL)
    con.execute("UPDATE steps SET step_date = 'hier'")
    con.commit()
    con.close()
    result = run_main(project, "dunning", "history", B2B)
    assert_refused(result, "journal-value")
    assert "« hier »" in result.stderr


def test_a_busy_journal_is_waited_for_then_refused(project, monkeypatch):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20").returncode == 0
    path = project / JOURNAL
    journal.connect(path, "atelier-lyonnais").close()
    before = digest(path)
    monkeypatch.setattr(journal, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another command's transaction
    try:
        result = run_main(project, "dunning", "confirm", str(RUNS / "2026-05-20"), "--by", "x")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_refused(result, "journal-busy")
    assert "occupé" in result.stderr and digest(path) == before
    # Once the other command is done, the same confirmation goes through.
    assert run_main(project, "dunning", "confirm", str(RUNS / "2026-05-20"), "--by", "x").returncode == 0


def test_a_full_disk_or_a_read_only_journal_leaves_it_as_it_was(tmp_path):
    path = tmp_path / "j.sqlite"
    con = journal.connect(path, "acme", "data/journal/acme.sqlite")
    steps = [journal.Step("D1", "Client", f"F{n}", "first_reminder", "Première relance", date(2026, 5, 20), "email",
                          "100.00", "x", (("a.txt", "0" * 64),)) for n in range(500)]
    step = steps[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    con.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own « database or disk is full »
    with pytest.raises(KitError) as exc:
        journal.record(con, date(2026, 5, 20), "a" * 64, "dist/x", "x", steps, 0)
    assert exc.value.problems[0].rule == "journal-full"
    assert exc.value.problems[0].file == "data/journal/acme.sqlite"
    con.close()
    # Root may write any file: open the journal read-only the way SQLite itself can.
    readonly = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                               factory=journal.JournalConnection)
    readonly.shown = "data/journal/acme.sqlite"
    with pytest.raises(KitError) as exc:
        journal.record(readonly, date(2026, 5, 20), "a" * 64, "dist/x", "x", [step], 0)
    assert exc.value.problems[0].rule == "journal-readonly"
    readonly.close()
    con = journal.connect(path, "acme")
    assert journal.steps(con) == [] and journal.current_mark(con) == 0
    con.close()
