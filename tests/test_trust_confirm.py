"""Issue 17, « Trust, round 3 »: `dunning confirm` trusts nothing, and nothing is lost.

- plan.json is untrusted input: wrong types, paths out of the run folder (`..`, absolute, a symlink)
  or a journal out of the project are located French errors, and nothing is written;
- steps are dated the day they were sent (`--sent`, default today), never the proposal's day; a
  proposal dated after today is refused;
- a rerun that starts while a confirmation is inside its transaction waits, then goes to
  `<date>-2/`: the confirmed folder keeps its bytes (two real processes);
- a confirmation killed at any moment leaves the journal without the run or with all of it, and the
  next command finishes the job or says it was done (`journal-twice`), never a half state.

In this process « today » is 2026-06-15 (conftest); subprocesses live on the real date.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, kit_env, run_main
from test_dunning_daily import B2B, RUNS, dunning, line, plan_of, write_ledger, write_rates

from cgvkit.dunning import journal

SLUG = "atelier-lyonnais"
JOURNAL = Path("data") / "journal" / f"{SLUG}.sqlite"


def files_of(folder: Path) -> dict:
    """Every file of a folder (hidden ones too) and its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _open(path: Path) -> sqlite3.Connection | None:
    """The journal read with SQLite alone (which rolls back what a killed writer left); None when
    there is none yet, or when it was killed while being created (its creation is one transaction too)."""
    con = sqlite3.connect(path) if path.exists() else None
    if con is not None and not con.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs'").fetchone():
        con.close()
        return None
    return con


def journal_runs(path: Path) -> list[tuple[str, int]]:
    """(plan SHA-256, number of steps) of every confirmed run."""
    con = _open(path)
    if con is None:
        return []
    try:
        return con.execute("SELECT r.plan_sha256, (SELECT COUNT(*) FROM steps s WHERE s.run_id = r.id) "
                           "FROM runs r ORDER BY r.id").fetchall()
    finally:
        con.close()


def orphan_steps(path: Path) -> int:
    con = _open(path)
    if con is None:
        return 0
    try:
        return con.execute("SELECT COUNT(*) FROM steps WHERE run_id IS NULL OR run_id NOT IN "
                           "(SELECT id FROM runs)").fetchone()[0]
    finally:
        con.close()


def steps_of(root: Path, path: Path = JOURNAL) -> list:
    con = journal.connect(root / path, SLUG)
    try:
        return journal.steps(con)
    finally:
        con.close()


def confirm(root: Path, folder, *extra: str):
    return run_main(root, "dunning", "confirm", str(folder), "--by", "Claire", *extra)


def proposal(project: Path, on: str = "2026-05-20", out: str = "dist/a", debtors: int = 1, *extra: str) -> Path:
    write_rates(project)
    rows = [line(debtor=f"D{n}", number=f"F{n}", due="2026-05-01") for n in range(1, debtors + 1)]
    ledger = write_ledger(project, *rows)
    result = dunning(project, ledger, on, "-o", out, *extra)
    assert result.returncode == 0, result.stderr
    return project / out


def plain(text: str) -> str:
    """French typography's no-break spaces as plain spaces, to compare with the tests' strings."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def assert_refused(result, rule: str, *texts: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"[{rule}]" in result.stderr and "Traceback" not in result.stderr, result.stderr
    for text in texts:
        assert text in plain(result.stderr), result.stderr


# --- 1. The date of a step is the day it was sent --------------------------------------------------------


@pytest.mark.parametrize("extra,day", [((), date(2026, 6, 15)),  # today, not the proposal's 20 May
                                       (("--sent", "2026-05-22"), date(2026, 5, 22)),
                                       (("--sent", "2026-05-20"), date(2026, 5, 20))])
def test_steps_are_dated_the_day_they_were_sent(project, extra, day):
    folder = proposal(project)
    result = confirm(project, folder, *extra)
    assert result.returncode == 0, result.stderr
    (step,) = steps_of(project)
    assert step.day == day
    assert json.loads((folder / "confirmed.json").read_text(encoding="utf-8"))["sent"] == day.isoformat()
    history = run_main(project, "dunning", "history", B2B)
    assert f"{day.day} {('mai', 'juin')[day.month - 5]} 2026 : Première relance" in plain(history.stdout)


def test_a_sent_date_before_the_proposal_or_after_today_is_refused(project):
    folder = proposal(project)
    before = confirm(project, folder, "--sent", "2026-05-19")
    assert_refused(before, "journal-sent", "dist/a/plan.json:1:1: date:", "19 mai 2026", "20 mai 2026")
    after = confirm(project, folder, "--sent", "2026-06-16")
    assert after.returncode == 2 and "--sent 2026-06-16" in after.stderr and "15 juin 2026" in plain(after.stderr)
    assert not (project / JOURNAL).exists() and not (folder / "confirmed.json").exists()


def test_a_proposal_dated_after_today_is_refused(project):
    folder = proposal(project, on="2026-06-20")  # today is 15 June
    assert_refused(confirm(project, folder), "journal-future", "20 juin 2026", "15 juin 2026")
    assert_refused(confirm(project, folder, "--sent", "2026-06-15"), "journal-future")
    # Nor when the run confirms at once.
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert_refused(dunning(project, ledger, "2026-06-20", "--confirm", "--by", "x"), "journal-future")
    assert not (project / JOURNAL).exists()
    assert not (folder / "confirmed.json").exists() and not (project / RUNS / "2026-06-20" / "confirmed.json").exists()


# --- 1. plan.json is untrusted input -----------------------------------------------------------------------


def _set(data: dict, path: str, value) -> None:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for key in keys[:-1]:
        data = data[key]
    data[keys[-1]] = value


def _outside(project: Path, folder: Path) -> str:
    return "../../companies/atelier-lyonnais.yaml"


def _absolute(project: Path, folder: Path) -> str:
    return str(project / "companies" / "atelier-lyonnais.yaml")


def _symlink(project: Path, folder: Path) -> str:
    (folder / "letters" / "piece.txt").symlink_to(project / "companies" / "atelier-lyonnais.yaml")
    return "letters/piece.txt"


@pytest.mark.parametrize("maker,where", [(_outside, "steps[0].documents[0].path"),
                                         (_absolute, "steps[0].documents[0].path"),
                                         (_symlink, "steps[0].documents[0].path")])
def test_a_document_out_of_the_run_folder_is_refused(project, maker, where):
    """Even with the right SHA-256: the journal's proof is the run folder's own files."""
    folder = proposal(project)
    data = plan_of(folder)
    target = maker(project, folder)
    sha = hashlib.sha256((project / "companies" / "atelier-lyonnais.yaml").read_bytes()).hexdigest()
    data["steps"][0]["documents"][0] = {"path": target, "sha256": sha}
    (folder / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = confirm(project, folder)
    assert_refused(result, "journal-plan", f"dist/a/plan.json:1:1: {where}:")
    assert not (project / JOURNAL).exists() and not (folder / "confirmed.json").exists()


TAMPERED = [
    ("steps", "tout", "steps: liste attendue"),
    ("steps.0", ["x"], "steps[0]: objet attendu"),
    ("steps.0.documents", "letters/D1-first_reminder.txt", "steps[0].documents: liste attendue"),
    ("steps.0.documents.0", "letters/D1-first_reminder.txt", "steps[0].documents[0]: objet attendu"),
    ("steps.0.documents.0.sha256", "abc", "steps[0].documents[0].sha256: empreinte SHA-256"),
    ("steps.0.documents.0.sha256", None, "steps[0].documents[0].sha256: empreinte SHA-256"),
    ("steps.0.documents.0.path", 12, "steps[0].documents[0].path: texte attendu"),
    ("steps.0.documents.0.path", "", "steps[0].documents[0].path: texte vide"),
    ("steps.0.documents.0.path", "letters/../letters/D1-first_reminder.txt", "« .. »"),
    ("steps.0.debtor_name", "Client\x1b[2J", "steps[0].debtor_name: caractère de contrôle"),
    ("steps.0.debtor_id", ["D1"], "steps[0].debtor_id: texte attendu"),
    ("steps.0.stage", "x" * 5000, "steps[0].stage: texte de plus de"),
    ("steps.0.amount_claimed", 1040.0, "steps[0].amount_claimed: montant attendu"),
    ("steps.0.amount_claimed", "1 040,00", "steps[0].amount_claimed: montant attendu"),
    ("journal", "data/journal/x.sqlite", "journal: objet attendu"),
    ("journal.mark", "0", "journal.mark: nombre entier"),
    ("journal.mark", True, "journal.mark: nombre entier"),
    ("journal.mark", -1, "journal.mark: nombre entier"),
    ("journal.path", None, "journal.path: texte attendu"),
    ("journal.path", "../journal-dehors.sqlite", "journal.path: le journal « ../journal-dehors.sqlite » est hors"),
    ("journal.path", "ABSOLUTE", "journal.path: le journal « ABSOLUTE » est hors"),
    ("date", "2026-02-30", "date: date attendue au format AAAA-MM-JJ"),
    ("date", "20260520", "date: date attendue"),
    ("date", 20260520, "date: texte attendu"),
    ("company", "../../../etc", "company: identifiant d’entreprise attendu"),
    ("company", "boutique-en-ligne", "company: relance de « boutique-en-ligne » rangée hors de"),
]


@pytest.mark.parametrize("key,value,message", TAMPERED, ids=[f"{k}={v!r}"[:40] for k, v, _ in TAMPERED])
def test_a_tampered_plan_is_a_located_error_and_nothing_is_written(project, key, value, message):
    folder = proposal(project, out=str(RUNS / "2026-05-20"))
    data = plan_of(folder)
    absolute = str(project.parent / "journal-absolu.sqlite")
    _set(data, key, absolute if value == "ABSOLUTE" else value)
    (folder / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = confirm(project, folder)
    assert_refused(result, "journal-plan", message.replace("ABSOLUTE", absolute))
    assert f"{RUNS.as_posix()}/2026-05-20/plan.json:1:1: " in result.stderr
    assert not (project / JOURNAL).exists() and not (folder / "confirmed.json").exists()
    assert not (project.parent / "journal-dehors.sqlite").exists() and not Path(absolute).exists()


def test_every_problem_of_a_plan_is_listed_at_once(project):
    folder = proposal(project, debtors=2)
    data = plan_of(folder)
    data["steps"][0]["documents"][0]["sha256"] = "0" * 63
    data["steps"][1] = dict(data["steps"][0])  # the same step twice
    data["journal"]["mark"] = 1.5
    (folder / "plan.json").write_text(json.dumps(data), encoding="utf-8")
    result = confirm(project, folder)
    assert_refused(result, "journal-plan", "steps[0].documents[0].sha256", "steps[1]: étape en double",
                   "journal.mark")


@pytest.mark.parametrize("text,where", [("[" * 100_000 + "]" * 100_000, "dist/a/plan.json:1:1: "),
                                        ('{"company": "atelier-lyonnais",\n  "date": }', "dist/a/plan.json:2:11: ")])
def test_a_plan_that_is_not_json_is_located(project, text, where):
    folder = proposal(project)
    (folder / "plan.json").write_text(text, encoding="utf-8")
    assert_refused(confirm(project, folder), "journal-run", where)
    assert not (project / JOURNAL).exists()


def test_a_journal_outside_the_project_is_the_users_choice_only(project):
    """A journal outside the project is the user's choice (--journal), never plan.json's."""
    folder = proposal(project, "2026-05-20", "dist/a", 1, "--journal", str(project.parent / "ailleurs.sqlite"))
    assert plan_of(folder)["journal"]["path"] == str(project.parent / "ailleurs.sqlite")
    assert_refused(confirm(project, folder), "journal-plan", "--journal")
    result = confirm(project, folder, "--journal", str(project.parent / "ailleurs.sqlite"))
    assert result.returncode == 0, result.stderr
    assert [n for _, n in journal_runs(project.parent / "ailleurs.sqlite")] == [1]


# --- 2. A rerun never replaces a folder being confirmed --------------------------------------------------


def _popen(root: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "build.py"), *args], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=kit_env())


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.path.realpath(f"/proc/{pid}/fd/{fd}") == str(path.resolve())
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _waits_for_a_lock(pid: int) -> bool:
    """Whether `pid` is blocked on a file lock (a `->` line of /proc/locks)."""
    for entry in Path("/proc/locks").read_text().splitlines():
        fields = entry.split()
        if "->" in fields and fields[fields.index("->") + 4] == str(pid):
            return True
    return False


def _until(condition, seconds: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return False


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc")
def test_a_rerun_during_a_confirmation_goes_to_a_new_folder(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20").returncode == 0
    folder = project / RUNS / "2026-05-20"
    before = files_of(folder)
    journal.connect(project / JOURNAL, SLUG).close()
    holder = sqlite3.connect(project / JOURNAL, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer: the confirmation will wait inside its transaction
    confirming = rerun = None
    try:
        confirming = _popen(project, "dunning", "confirm", str(RUNS / "2026-05-20"), "--by", "x")
        assert _until(lambda: _has_open(confirming.pid, project / JOURNAL), 60), confirming.communicate()
        time.sleep(0.3)  # from opening the journal to waiting for its write lock
        assert confirming.poll() is None
        # Meanwhile a payment arrives and the clerk runs the day again: a different proposal.
        write_ledger(project, line(due="2026-05-01"), line(debtor="D2", number="F2", due="2026-05-02"))
        rerun = _popen(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-05-20")
        _until(lambda: rerun.poll() is not None or _waits_for_a_lock(rerun.pid), 120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        outputs = [p.communicate(timeout=120) for p in (confirming, rerun) if p is not None]
    assert confirming.returncode == 0, outputs[0]
    assert rerun.returncode == 0, outputs[1]
    # The confirmed folder is the one whose documents were sent, byte for byte, now marked.
    after = files_of(folder)
    assert set(after) == set(before) | {"confirmed.json"}
    assert all(after[name] == data for name, data in before.items())
    for step in steps_of(project):
        for path, sha in step.documents:
            assert hashlib.sha256((project / path).read_bytes()).hexdigest() == sha
    # The rerun went next to it.
    assert {d["debtor_id"] for d in plan_of(project / RUNS / "2026-05-20-2")["debtors"]} == {"D1", "D2"}


def test_the_folder_of_a_companys_runs_is_not_an_output(project):
    """`-o dist/relances/<slug>` would put a new run inside a confirmed one, or replace them all."""
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20", "--confirm", "--by", "x").returncode == 0
    before = files_of(project / RUNS)
    for out in (RUNS, RUNS.parent / "autre-entreprise"):
        result = dunning(project, ledger, "2026-05-21", "-o", str(out))
        assert result.returncode == 2 and "relances d’une entreprise" in plain(result.stderr), result.stderr
    assert files_of(project / RUNS) == before and not (project / RUNS.parent / "autre-entreprise").exists()


# --- 3. A confirmation killed at any moment ---------------------------------------------------------------


def _check_all_or_nothing(project: Path, folder: Path, book: Path, steps: int) -> None:
    runs = journal_runs(project / book)
    digest = hashlib.sha256((folder / "plan.json").read_bytes()).hexdigest()
    assert runs in ([], [(digest, steps)]), runs
    assert orphan_steps(project / book) == 0


def _after_the_kill(project: Path, folder: Path, book: Path, steps: int, before: dict) -> None:
    """The next confirmation finishes the job or says it was done; then everything agrees."""
    again = confirm(project, folder)
    assert again.returncode == 0 or (again.returncode == 1 and "[journal-twice]" in again.stderr), again.stderr
    assert "Traceback" not in again.stderr
    digest = hashlib.sha256((folder / "plan.json").read_bytes()).hexdigest()
    assert journal_runs(project / book) == [(digest, steps)]
    marker = json.loads((folder / "confirmed.json").read_text(encoding="utf-8"))
    assert marker["plan_sha256"] == digest and marker["steps"] == steps
    after = files_of(folder)
    assert set(after) == set(before) | {"confirmed.json"}, set(after) - set(before)  # no leftover
    assert all(after[name] == data for name, data in before.items())


def _start_held(project: Path, out: str, book: Path) -> tuple[subprocess.Popen, float]:
    """`dunning confirm` started while another writer holds the journal, freed once the confirmation
    waits for it: (the process, when the journal was freed)."""
    journal.connect(project / book, SLUG).close()
    holder = sqlite3.connect(project / book, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        child = _popen(project, "dunning", "confirm", out, "--by", "x")
        assert _until(lambda: _has_open(child.pid, project / book), 60, 0.001), child.communicate()
        time.sleep(0.2)  # from opening the journal to waiting for its write lock
        assert child.poll() is None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    return child, time.monotonic()


@pytest.mark.slow  # about twenty processes
@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux /proc")
def test_a_confirmation_killed_at_random_moments_is_all_or_nothing(project):
    """SIGKILL at seeded random delays: over the whole command, and around its transaction (the
    journal is held by another writer until the confirmation waits for it, then freed a random
    moment before the kill: SQLite's busy wait, the transaction and the marking take milliseconds)."""
    rng = random.Random(17)
    debtors = 12
    proposal(project, "2026-05-20", "dist/mesure", debtors, "--journal", "data/journal/mesure.sqlite")
    start = time.monotonic()
    whole = _popen(project, "dunning", "confirm", "dist/mesure", "--by", "x")
    assert whole.wait(120) == 0, whole.communicate()
    ended = time.monotonic() - start
    proposal(project, "2026-05-20", "dist/mesure2", debtors, "--journal", "data/journal/mesure2.sqlite")
    held, freed = _start_held(project, "dist/mesure2", Path("data") / "journal" / "mesure2.sqlite")
    assert held.wait(120) == 0, held.communicate()
    tail = time.monotonic() - freed
    for n in range(8):
        out, book = f"dist/k{n}", Path("data") / "journal" / f"k{n}.sqlite"
        folder = proposal(project, "2026-05-20", out, debtors, "--journal", book.as_posix())
        before = files_of(folder)
        if n % 2:
            child, freed = _popen(project, "dunning", "confirm", out, "--by", "x"), time.monotonic()
        else:
            child, freed = _start_held(project, out, book)
        time.sleep(max(0.0, freed + rng.uniform(0, ended if n % 2 else tail) - time.monotonic()))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        _check_all_or_nothing(project, folder, book, debtors)
        _after_the_kill(project, folder, book, debtors, before)


def _confirm_killed_after_commit(root: str, folder: str) -> None:
    """Child process: `dunning confirm` through the command line, killed right after the journal's
    COMMIT (os._exit: no cleanup, like SIGKILL), before the folder is marked."""
    from cgvkit.cli import main

    real = journal.record

    def record(*args, **kwargs):
        real(*args, **kwargs)
        os._exit(9)

    journal.record = record
    os.chdir(root)
    main(["--root", root, "dunning", "confirm", folder, "--by", "x"])
    os._exit(0)


def test_a_confirmation_killed_after_its_commit_still_protects_its_folder(project):
    write_rates(project)
    ledger = write_ledger(project, line(due="2026-05-01"), line(debtor="D2", number="F2", due="2026-05-01"))
    assert dunning(project, ledger, "2026-05-20").returncode == 0
    folder = project / RUNS / "2026-05-20"
    before = files_of(folder)
    child = multiprocessing.get_context("fork").Process(target=_confirm_killed_after_commit,
                                                        args=(str(project), str(RUNS / "2026-05-20")))
    child.start()
    child.join(60)
    assert child.exitcode == 9
    _check_all_or_nothing(project, folder, JOURNAL, 2)
    assert journal_runs(project / JOURNAL)  # killed after the commit: the run is in the journal
    # The clerk runs the day again: the folder the journal points to is not replaced.
    write_ledger(project, line(due="2026-05-01"))  # D2 paid meanwhile
    assert dunning(project, ledger, "2026-05-20").returncode == 0
    assert (project / RUNS / "2026-05-20-2" / "plan.json").is_file()
    assert (folder / "confirmed.json").is_file()
    _after_the_kill(project, folder, JOURNAL, 2, before)
