"""The journal of what was sent: one SQLite file per company, the proof a court file needs.

Each confirmed step is recorded per debtor and invoice: stage, date, channel, documents with
their SHA-256, amount claimed and who confirmed it. Every write is one transaction (a killed
confirm leaves the journal as it was); the schema is versioned with `PRAGMA user_version` and
migrated forward in a transaction when an older journal is opened.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cgvkit.core.errors import KitError, Problem

# Version n is reached by running MIGRATIONS[n - 1] on a journal at version n - 1.
MIGRATIONS = (
    # 1: steps and their documents.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE steps (
        id INTEGER PRIMARY KEY,
        debtor_id TEXT NOT NULL,
        debtor_name TEXT NOT NULL,
        invoice_number TEXT NOT NULL,
        stage TEXT NOT NULL,
        stage_title TEXT NOT NULL,
        step_date TEXT NOT NULL,
        channel TEXT NOT NULL,
        amount_claimed TEXT NOT NULL,
        confirmed_by TEXT NOT NULL,
        UNIQUE (debtor_id, invoice_number, stage)
    );
    CREATE TABLE documents (
        step_id INTEGER NOT NULL REFERENCES steps (id),
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL
    );
    """,
    # 2: confirmed runs (one per proposal, never twice) and the run each step came from.
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        run_date TEXT NOT NULL,
        plan_sha256 TEXT NOT NULL UNIQUE,
        folder TEXT NOT NULL,
        confirmed_by TEXT NOT NULL,
        confirmed_at TEXT NOT NULL
    );
    ALTER TABLE steps ADD COLUMN run_id INTEGER REFERENCES runs (id);
    CREATE INDEX steps_by_debtor ON steps (debtor_id, step_date);
    """,
)
VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Step:
    debtor_id: str
    debtor_name: str
    invoice_number: str
    stage: str
    stage_title: str
    day: date
    channel: str
    amount_claimed: str
    confirmed_by: str
    documents: tuple = ()  # (path, sha256)


def default_path(root: Path, slug: str) -> Path:
    return root / "data" / "journal" / f"{slug}.sqlite"


def _problem(shown: str, message: str, rule: str) -> KitError:
    return KitError([Problem(shown, 1, 1, "", message, rule)])


def connect(path: Path, company: str, shown: str | None = None) -> sqlite3.Connection:
    """Open (creating and migrating if needed) the journal of `company`."""
    shown = shown or str(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = sqlite3.connect(path, isolation_level=None, timeout=30)
        version = con.execute("PRAGMA user_version").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise _problem(shown, f"ce fichier n’est pas un journal de relance lisible ({exc})", "journal-file") from None
    if version > VERSION:
        con.close()
        raise _problem(shown, f"journal au format {version}, plus récent que celui du kit ({VERSION}) : "
                       "mettez le kit à jour", "journal-version")
    if version < VERSION:
        migrate(con, version)
    owner = con.execute("SELECT value FROM meta WHERE key = 'company'").fetchone()
    if owner is None:
        con.execute("INSERT INTO meta (key, value) VALUES ('company', ?)", (company,))
    elif owner[0] != company:
        con.close()
        raise _problem(shown, f"ce journal est celui de l’entreprise « {owner[0]} », pas de « {company} »",
                       "journal-company")
    return con


def migrate(con: sqlite3.Connection, version: int) -> None:
    """Bring the schema from `version` to VERSION in one transaction."""
    con.execute("BEGIN IMMEDIATE")
    try:
        for number in range(version, VERSION):
            for statement in (s.strip() for s in MIGRATIONS[number].split(";")):
                if statement:
                    con.execute(statement)
        con.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def steps(con: sqlite3.Connection, debtor_id: str | None = None) -> list[Step]:
    """Every recorded step in date order (of one debtor when given), with its documents."""
    where, args = ("WHERE debtor_id = ?", (debtor_id,)) if debtor_id else ("", ())
    rows = con.execute("SELECT id, debtor_id, debtor_name, invoice_number, stage, stage_title, step_date, "
                       f"channel, amount_claimed, confirmed_by FROM steps {where} ORDER BY step_date, id", args)
    found = []
    for row in rows.fetchall():
        docs = tuple(con.execute("SELECT path, sha256 FROM documents WHERE step_id = ? ORDER BY rowid",
                                 (row[0],)).fetchall())
        found.append(Step(row[1], row[2], row[3], row[4], row[5], date.fromisoformat(row[6]), row[7], row[8],
                          row[9], docs))
    return found


def history(path: Path, company: str) -> dict:
    """(debtor_id, invoice_number) → [(stage, date), ...] for planning; empty without a journal."""
    if not path.exists():
        return {}
    con = connect(path, company)
    try:
        found: dict = {}
        for step in steps(con):
            found.setdefault((step.debtor_id, step.invoice_number), []).append((step.stage, step.day))
        return found
    finally:
        con.close()


def mark(path: Path, company: str) -> int:
    """The last step id: a proposal is confirmed only if the journal has not moved since."""
    if not path.exists():
        return 0
    con = connect(path, company)
    try:
        return current_mark(con)
    finally:
        con.close()


def confirmed_run(con: sqlite3.Connection, plan_sha256: str):
    return con.execute("SELECT confirmed_at, confirmed_by FROM runs WHERE plan_sha256 = ?",
                       (plan_sha256,)).fetchone()


def insert_step(con: sqlite3.Connection, run_id: int, step: Step) -> None:
    cursor = con.execute(
        "INSERT INTO steps (debtor_id, debtor_name, invoice_number, stage, stage_title, step_date, channel, "
        "amount_claimed, confirmed_by, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (step.debtor_id, step.debtor_name, step.invoice_number, step.stage, step.stage_title, step.day.isoformat(),
         step.channel, step.amount_claimed, step.confirmed_by, run_id))
    for path, sha in step.documents:
        con.execute("INSERT INTO documents (step_id, path, sha256) VALUES (?, ?, ?)", (cursor.lastrowid, path, sha))


class Moved(Exception):
    """The journal changed between the proposal and its confirmation."""


def current_mark(con: sqlite3.Connection) -> int:
    return con.execute("SELECT COALESCE(MAX(id), 0) FROM steps").fetchone()[0]


def record(con: sqlite3.Connection, run_date: date, plan_sha256: str, folder: str, by: str,
           new_steps: list[Step], expected_mark: int) -> int:
    """Record one confirmed run and its steps in one transaction; returns the run id.

    Raises Moved if steps were recorded since the proposal (`expected_mark`), sqlite3.IntegrityError
    if the run or one of its steps is already there; either way nothing is written.
    """
    con.execute("BEGIN IMMEDIATE")
    try:
        if current_mark(con) != expected_mark:
            raise Moved()
        cursor = con.execute("INSERT INTO runs (run_date, plan_sha256, folder, confirmed_by, confirmed_at) "
                             "VALUES (?, ?, ?, ?, ?)", (run_date.isoformat(), plan_sha256, folder, by,
                                                        datetime.now().isoformat(timespec="seconds")))
        run_id = cursor.lastrowid
        for step in new_steps:
            insert_step(con, run_id, step)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return run_id


def last_run(path: Path, company: str) -> tuple[str, str] | None:
    """(date, folder) of the last confirmed run, or None."""
    if not path.exists():
        return None
    con = connect(path, company)
    try:
        row = con.execute("SELECT run_date, folder FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    return None if row is None else (row[0], row[1])
