"""The journal of what was sent: one SQLite file per company, the proof a court file needs.

Each confirmed step is recorded per debtor and invoice: stage, date, channel, documents with
their SHA-256, amount claimed and who confirmed it. Every write is one transaction (a killed
confirm leaves the journal as it was); the schema is versioned with `PRAGMA user_version` and
migrated forward in a transaction when an older journal is opened.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar, cast

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
    # 3: the recovery file's events, noted by staff (calls, promises, disputes, receipts, holds…).
    """
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        debtor_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_date TEXT NOT NULL,
        until_date TEXT,
        amount TEXT,
        detail TEXT,
        text TEXT,
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX events_by_debtor ON events (debtor_id, event_date);
    """,
    # 4: a document edited after it was proposed keeps the proposed version's hash; the messages the
    # kit sends itself (e-mail, SMS), recorded before and after the server's answer.
    """
    ALTER TABLE documents ADD COLUMN proposed_sha256 TEXT;
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        plan_sha256 TEXT NOT NULL,
        debtor_id TEXT NOT NULL,
        stage TEXT NOT NULL,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        state TEXT NOT NULL,
        message_id TEXT,
        answer TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (plan_sha256, debtor_id, stage, channel)
    );
    """,
)
VERSION = len(MIGRATIONS)
BUSY_SECONDS = 30  # how long a command waits for another one's transaction before « journal occupé »


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
    documents: tuple[tuple[str, str], ...] = ()  # (path, sha256)
    edited: tuple[tuple[str, str], ...] = ()  # (path, proposed sha256) of the documents edited after the proposal, recorded as sent


# What staff note in a debtor's file (`dunning note`), each kind with the fields it uses.
EVENT_KINDS = ("call", "promise", "dispute", "dispute_closed", "received", "hold", "stage", "procedure")


@dataclass(frozen=True)
class Event:
    debtor_id: str
    kind: str  # one of EVENT_KINDS
    day: date  # when it happened (the call, the promise made, the receipt, the judgment…)
    until: date | None = None  # promise: the date promised; hold: no step before it; procedure: BODACC date
    amount: str | None = None  # promise: the amount promised
    detail: str | None = None  # call: reached | no_answer; received: LRAR number; stage: stage id; procedure: kind
    text: str | None = None  # the clerk's words
    recorded_by: str = ""


def default_path(root: Path, slug: str) -> Path:
    return root / "data" / "journal" / f"{slug}.sqlite"


def _problem(shown: str, message: str, rule: str) -> KitError:
    return KitError([Problem(shown, 1, 1, "", message, rule)])


class JournalConnection(sqlite3.Connection):
    """A connection that knows how its file is shown in messages."""

    shown = "journal"


# What SQLite says → what the clerk reads. The journal is left as it was: every write is one transaction.
_REASONS = (
    (("locked", "busy"), "journal occupé par une autre commande (une confirmation en cours ?) : réessayez dans un "
     "instant", "journal-busy"),
    (("readonly", "read-only"), "journal en lecture seule : il faut pouvoir écrire le fichier et son dossier",
     "journal-readonly"),
    (("full",), "disque plein : libérez de la place, le journal est resté tel quel", "journal-full"),
    (("no such table", "no such column"), "journal incomplet (tables manquantes) : restaurez-le depuis une "
     "sauvegarde", "journal-damaged"),
    (("unable to open", "cannot open"), "journal impossible à ouvrir (dossier absent ou inaccessible)",
     "journal-file"),
)


def _reason(exc: sqlite3.Error) -> tuple[str, str]:
    text = str(exc).lower()
    for words, message, rule in _REASONS:
        if any(word in text for word in words):
            return message, rule
    return "ce fichier n’est pas un journal de relance lisible (fichier endommagé ou d’un autre type)", "journal-file"


@contextmanager
def guarded(shown: str) -> Iterator[None]:
    """SQLite errors as a located French error (exit 1), never a traceback. A step or run already
    recorded (IntegrityError) is left to the caller, which says which."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.Error as exc:
        message, rule = _reason(exc)
        raise _problem(shown, message, rule) from None


C = TypeVar("C", bound=sqlite3.Connection)
P = ParamSpec("P")
R = TypeVar("R")


def _on_connection(function: Callable[Concatenate[C, P], R]) -> Callable[Concatenate[C, P], R]:
    """Run `function(con, …)` under `guarded`, named by the connection's file."""
    @functools.wraps(function)
    def run(con: C, *args: P.args, **kwargs: P.kwargs) -> R:
        with guarded(getattr(con, "shown", "journal")):
            return function(con, *args, **kwargs)
    return cast("Callable[Concatenate[C, P], R]", run)  # functools.wraps names `con`; the callers pass it first


def connect(path: Path, company: str, shown: str | None = None) -> JournalConnection:
    """Open (creating and migrating if needed) the journal of `company`."""
    shown = shown or str(path)
    if path.exists() and not path.is_file():
        raise _problem(shown, "le journal doit être un fichier ordinaire", "journal-file")
    path.parent.mkdir(parents=True, exist_ok=True)
    con = None
    try:
        with guarded(shown):
            con = sqlite3.connect(path, isolation_level=None, timeout=BUSY_SECONDS, factory=JournalConnection)
            con.shown = shown
            version = con.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:
                raise _problem(shown, f"journal au format {version}, plus récent que celui du kit ({VERSION}) : "
                               "mettez le kit à jour", "journal-version")
            if version < VERSION:
                migrate(con, version)
            owner = con.execute("SELECT value FROM meta WHERE key = 'company'").fetchone()
            if owner is None:
                con.execute("INSERT INTO meta (key, value) VALUES ('company', ?)", (company,))
            elif owner[0] != company:
                raise _problem(shown, f"ce journal est celui de l’entreprise « {owner[0]} », pas de « {company} »",
                               "journal-company")
    except BaseException:
        if con is not None:
            con.close()
        raise
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
        if con.in_transaction:  # SQLite rolls back by itself on some errors (a full disk)
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@_on_connection
def steps(con: JournalConnection, debtor_id: str | None = None) -> list[Step]:
    """Every recorded step in date order (of one debtor when given), with its documents."""
    where, args = ("WHERE debtor_id = ?", (debtor_id,)) if debtor_id else ("", ())
    rows = con.execute("SELECT id, debtor_id, debtor_name, invoice_number, stage, stage_title, step_date, "
                       f"channel, amount_claimed, confirmed_by FROM steps {where} ORDER BY step_date, id", args)
    found = []
    for row in rows.fetchall():
        cited = con.execute("SELECT path, sha256, proposed_sha256 FROM documents WHERE step_id = ? ORDER BY rowid",
                            (row[0],)).fetchall()
        docs = tuple((path, sha) for path, sha, _ in cited)
        edited = tuple((path, proposed) for path, sha, proposed in cited if proposed and proposed != sha)
        try:
            day = date.fromisoformat(row[6])
        except (TypeError, ValueError):  # written by something else than the kit
            raise _problem(con.shown, f"le journal contient une date illisible (« {row[6]} », étape {row[0]}) : il a "
                           "été modifié hors du kit ; restaurez-le depuis une sauvegarde", "journal-value") from None
        found.append(Step(row[1], row[2], row[3], row[4], row[5], day, row[7], row[8], row[9], docs, edited))
    return found


def history(path: Path, company: str, shown: str | None = None) -> dict[tuple[str, str], list[tuple[str, date]]]:
    """(debtor_id, invoice_number) → [(stage, date), ...] for planning; empty without a journal."""
    if not path.exists():
        return {}
    con = connect(path, company, shown)
    try:
        found: dict[tuple[str, str], list[tuple[str, date]]] = {}
        for step in steps(con):
            found.setdefault((step.debtor_id, step.invoice_number), []).append((step.stage, step.day))
        return found
    finally:
        con.close()


def mark(path: Path, company: str, shown: str | None = None) -> int:
    """The last step id: a proposal is confirmed only if the journal has not moved since."""
    if not path.exists():
        return 0
    con = connect(path, company, shown)
    try:
        return current_mark(con)
    finally:
        con.close()


@_on_connection
def confirmed_run(con: sqlite3.Connection, plan_sha256: str) -> tuple[str, str] | None:
    return cast("tuple[str, str] | None", con.execute("SELECT confirmed_at, confirmed_by FROM runs WHERE plan_sha256 = ?",
                       (plan_sha256,)).fetchone())


@_on_connection
def insert_step(con: sqlite3.Connection, run_id: int | None, step: Step) -> None:
    """One step and its documents; `run_id` None for a message `dunning send` sent (no confirmed run)."""
    cursor = con.execute(
        "INSERT INTO steps (debtor_id, debtor_name, invoice_number, stage, stage_title, step_date, channel, "
        "amount_claimed, confirmed_by, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (step.debtor_id, step.debtor_name, step.invoice_number, step.stage, step.stage_title, step.day.isoformat(),
         step.channel, step.amount_claimed, step.confirmed_by, run_id))
    proposed = dict(step.edited)
    for path, sha in step.documents:
        con.execute("INSERT INTO documents (step_id, path, sha256, proposed_sha256) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, path, sha, proposed.get(path)))


class Moved(Exception):
    """The journal changed between the proposal and its confirmation."""


# The steps `dunning send` recorded for the messages of one proposal (its plan.json's SHA-256).
_SENT_STEPS = ("SELECT s.id, s.debtor_id, s.invoice_number, s.stage FROM steps s JOIN messages m ON m.debtor_id = "
               "s.debtor_id AND m.stage = s.stage WHERE m.plan_sha256 = ? AND m.state = 'accepted' AND s.run_id IS NULL")


@_on_connection
def current_mark(con: sqlite3.Connection, plan_sha256: str | None = None) -> int:
    """The last step id; with `plan_sha256`, leaving out what that proposal itself recorded (the messages
    `dunning send` sent, a partial confirmation): the journal has not moved for it."""
    if plan_sha256 is None:
        return int(con.execute("SELECT COALESCE(MAX(id), 0) FROM steps").fetchone()[0])
    return int(con.execute(f"SELECT COALESCE(MAX(id), 0) FROM steps WHERE id NOT IN (SELECT id FROM ({_SENT_STEPS})) "
                       "AND (run_id IS NULL OR run_id NOT IN (SELECT id FROM runs WHERE plan_sha256 = ?))",
                       (plan_sha256, plan_sha256)).fetchone()[0])


@_on_connection
def sent_steps(con: sqlite3.Connection, plan_sha256: str) -> set[tuple[str, str, str]]:
    """(debtor_id, invoice_number, stage) of the steps `dunning send` recorded for this proposal."""
    return {(row[1], row[2], row[3]) for row in con.execute(_SENT_STEPS, (plan_sha256,)).fetchall()}


@_on_connection
def record(con: sqlite3.Connection, run_date: date, plan_sha256: str, folder: str, by: str,
           new_steps: list[Step], expected_mark: int) -> int:
    """Record one confirmed run and its steps in one transaction; returns the run id.

    Raises Moved if steps were recorded since the proposal (`expected_mark`), sqlite3.IntegrityError
    if the run or one of its steps is already there; either way nothing is written.
    """
    con.execute("BEGIN IMMEDIATE")
    try:
        if current_mark(con, plan_sha256) != expected_mark:
            raise Moved()
        cursor = con.execute("INSERT INTO runs (run_date, plan_sha256, folder, confirmed_by, confirmed_at) "
                             "VALUES (?, ?, ?, ?, ?)", (run_date.isoformat(), plan_sha256, folder, by,
                                                        datetime.now().isoformat(timespec="seconds")))
        run_id = int(cursor.lastrowid or 0)  # an INSERT into a rowid table always sets it
        for step in new_steps:
            insert_step(con, run_id, step)
    except BaseException:
        if con.in_transaction:  # SQLite rolls back by itself on some errors (a full disk)
            con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
    return run_id


def last_run(path: Path, company: str, shown: str | None = None) -> tuple[str, str] | None:
    """(date, folder) of the last confirmed run, or None."""
    if not path.exists():
        return None
    con = connect(path, company, shown)
    try:
        row = _last_run(con)
    finally:
        con.close()
    return None if row is None else (row[0], row[1])


@_on_connection
def _last_run(con: sqlite3.Connection) -> tuple[str, str] | None:
    return cast("tuple[str, str] | None",
                con.execute("SELECT run_date, folder FROM runs ORDER BY id DESC LIMIT 1").fetchone())


@_on_connection
def add_event(con: sqlite3.Connection, event: Event) -> int:
    """Record one event (one transaction); returns its id."""
    cursor = con.execute(
        "INSERT INTO events (debtor_id, kind, event_date, until_date, amount, detail, text, recorded_by, recorded_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (event.debtor_id, event.kind, event.day.isoformat(), event.until.isoformat() if event.until else None,
         event.amount, event.detail, event.text, event.recorded_by, datetime.now().isoformat(timespec="seconds")))
    return int(cursor.lastrowid or 0)


@_on_connection
def events(con: JournalConnection, debtor_id: str | None = None) -> list[Event]:
    """Every event in date order (of one debtor when given)."""
    where, args = ("WHERE debtor_id = ?", (debtor_id,)) if debtor_id else ("", ())
    found = []
    for row in con.execute("SELECT id, debtor_id, kind, event_date, until_date, amount, detail, text, recorded_by "
                           f"FROM events {where} ORDER BY event_date, id", args).fetchall():
        try:
            day, until = date.fromisoformat(row[3]), date.fromisoformat(row[4]) if row[4] else None
        except (TypeError, ValueError):  # written by something else than the kit
            raise _problem(con.shown, f"le journal contient une date illisible (« {row[3]} », note {row[0]}) : il a "
                           "été modifié hors du kit ; restaurez-le depuis une sauvegarde", "journal-value") from None
        found.append(Event(row[1], row[2], day, until, row[5], row[6], row[7], row[8]))
    return found


def file_events(path: Path, company: str, shown: str | None = None) -> dict[str, list[Event]]:
    """debtor_id → its events, for planning; empty without a journal."""
    if not path.exists():
        return {}
    con = connect(path, company, shown)
    try:
        found: dict[str, list[Event]] = {}
        for event in events(con):
            found.setdefault(event.debtor_id, []).append(event)
        return found
    finally:
        con.close()
