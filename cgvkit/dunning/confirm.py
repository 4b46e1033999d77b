"""`dunning confirm RUN_DIR`: a proposed run becomes journal steps, all at once or not at all.

plan.json is read as untrusted input: its structure and every value the confirmation uses are
checked (types, dates, SHA-256, document paths inside the run folder, the journal inside the
project) before anything is written. Confirmation then checks the documents are still there and
that the journal has not moved since the proposal, copies every document into the evidence archive
beside the journal (archive.py), records every step in one transaction, dated the day the documents
were sent, and marks the folder as confirmed. A document edited after the proposal is recorded as
sent, with the hash of what was archived, the proposed hash kept beside it.

Runs and confirmations of one company hold one lock (`dist/relances/.<slug>.lock`), so a rerun
never replaces a folder being confirmed. Before its transaction a confirmation leaves a note
beside the lock (`.<slug>.confirming`); whoever takes the lock next settles it from the journal:
the run is in the journal → the folder gets `confirmed.json`; it is not → the note is dropped.
A confirmation killed at any point thus leaves the journal without the run or with all of it,
and its folder marked exactly when the journal has it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Any, TypedDict

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.files import output_lock, sha256_file
from cgvkit.core.french import date_fr, typography
from cgvkit.dunning import archive, journal
from cgvkit.dunning.run import CONFIRMED, shown_path
from cgvkit.model.company import SLUG, SLUG_MAX

HEX64 = re.compile(r"[0-9a-f]{64}")
ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
MONEY = re.compile(r"[0-9]{1,13}\.[0-9]{2}")
STEP_TEXTS = ("debtor_id", "debtor_name", "invoice_number", "stage", "stage_title", "channel")
TEXT_MAX = 1000  # characters of one text of plan.json: far more than a name, a number or a path needs


class PlanDocument(TypedDict):
    """One document of a step in plan.json, as checked (a relative path inside the run folder)."""

    path: str
    sha256: str


class PlanStep(TypedDict):
    """One step of plan.json, as checked: the values the confirmation uses (the kit may write others)."""

    debtor_id: str
    debtor_name: str
    invoice_number: str
    stage: str
    stage_title: str
    channel: str
    amount_claimed: str  # « 1234.56 »
    documents: list[PlanDocument]


@dataclass
class Confirmed:
    steps: int
    journal: str  # as shown
    folder: str


@dataclass
class Proposal:
    """A plan.json whose every value used by the confirmation has been checked."""

    company: str
    day: date
    journal: str  # the journal's path as written in plan.json
    mark: int
    steps: list[PlanStep]  # each checked
    digest: str  # SHA-256 of plan.json's bytes


def _error(file: str, message: str, rule: str, where: str = "") -> KitError:
    return KitError([Problem(file, 1, 1, where, typography(message), rule)])


def load_proposal(folder: Path, root: Path) -> Proposal:
    """plan.json of a run folder, checked; KitError (every problem, located) when it is not a run
    folder or when a value is not what the kit writes."""
    shown = shown_path(folder / "plan.json", root)
    try:
        raw = (folder / "plan.json").read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except json.JSONDecodeError as exc:
        raise KitError([Problem(shown, exc.lineno, exc.colno, "", typography(
            "plan.json n’est pas du JSON lisible : ce dossier n’est pas celui d’une relance du kit"),
            "journal-run")]) from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        raise _error(shown, "pas de plan.json lisible : ce dossier n’est pas celui d’une relance", "journal-run") \
            from None
    if not isinstance(data, dict) or not {"company", "date", "steps", "journal"} <= set(data):
        raise _error(shown, "plan.json d’une version du kit sans journal : relancez la commande dunning",
                     "journal-run")
    check = _Checker(shown)
    proposal = check.proposal(data, folder, hashlib.sha256(raw).hexdigest())
    if check.problems or proposal is None:
        raise KitError(check.problems)
    return proposal


class _Checker:
    """Collects what is wrong in plan.json, each problem at its key path (rule `journal-plan`)."""

    def __init__(self, shown: str):
        self.shown = shown
        self.problems: list[Problem] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.shown, 1, 1, where, typography(message), "journal-plan"))

    def text(self, value: object, where: str) -> str | None:
        if not isinstance(value, str):
            self.fail(where, "texte attendu")
        elif not value.strip():
            self.fail(where, "texte vide")
        elif len(value) > TEXT_MAX:
            self.fail(where, f"texte de plus de {TEXT_MAX} caractères")
        elif not value.isprintable():
            self.fail(where, "caractère de contrôle (saut de ligne, tabulation…) : plan.json a été modifié hors "
                      "du kit")
        else:
            return value
        return None

    def proposal(self, data: dict[str, Any], folder: Path, digest: str) -> Proposal | None:
        """The proposal, or None when a value it holds is wrong (each such value is one of `problems`)."""
        company = self.text(data["company"], "company")
        if company is not None and (not SLUG.fullmatch(company) or len(company) > SLUG_MAX):
            self.fail("company", "identifiant d’entreprise attendu (lettres minuscules, chiffres et tirets)")
            company = None
        day = None
        if self.text(data["date"], "date") is not None:
            try:
                day = date.fromisoformat(data["date"]) if ISO_DAY.fullmatch(data["date"]) else None
            except ValueError:
                pass
            if day is None:
                self.fail("date", f"date attendue au format AAAA-MM-JJ, pas « {data['date']} »")
        book, mark, path = data["journal"], None, None
        if not isinstance(book, dict) or not {"path", "mark"} <= set(book):
            self.fail("journal", "objet attendu, avec les clés « path » et « mark »")
            book = {}
        else:
            path = self.text(book["path"], "journal.path")
            mark = book["mark"]
            if type(mark) is not int or mark < 0:
                self.fail("journal.mark", "nombre entier positif ou nul attendu")
                mark = None
        steps = data["steps"]
        if not isinstance(steps, list):
            self.fail("steps", "liste attendue")
            steps = []
        seen: set[tuple[str, ...]] = set()
        for n, step in enumerate(steps):
            where = f"steps[{n}]"
            if not isinstance(step, dict):
                self.fail(where, "objet attendu")
                continue
            missing = [k for k in (*STEP_TEXTS, "amount_claimed", "documents") if k not in step]
            if missing:
                self.fail(where, "clé(s) manquante(s) : " + ", ".join(missing))
                continue
            for key in STEP_TEXTS:
                self.text(step[key], f"{where}.{key}")
            if not (isinstance(step["amount_claimed"], str) and MONEY.fullmatch(step["amount_claimed"])):
                self.fail(f"{where}.amount_claimed", "montant attendu sous la forme « 1234.56 »")
            ident = tuple(step[k] for k in ("debtor_id", "invoice_number", "stage"))
            if all(isinstance(k, str) for k in ident):
                if ident in seen:
                    self.fail(where, "étape en double (même débiteur, facture et étape)")
                seen.add(ident)
            self.documents(step["documents"], f"{where}.documents", folder)
        if company is None or day is None or path is None or mark is None:
            return None  # each is in self.problems
        return Proposal(company, day, path, mark, steps, digest)

    def documents(self, documents: object, where: str, folder: Path) -> None:
        if not isinstance(documents, list):
            self.fail(where, "liste attendue")
            return
        inside = folder.resolve()
        for n, doc in enumerate(documents):
            here = f"{where}[{n}]"
            if not isinstance(doc, dict) or not {"path", "sha256"} <= set(doc):
                self.fail(here, "objet attendu, avec les clés « path » et « sha256 »")
                continue
            if not (isinstance(doc["sha256"], str) and HEX64.fullmatch(doc["sha256"])):
                self.fail(f"{here}.sha256", "empreinte SHA-256 attendue : 64 chiffres hexadécimaux en minuscules")
            path = self.text(doc["path"], f"{here}.path")
            if path is None:
                continue
            parts = PurePosixPath(path).parts
            if path.startswith("/") or "\\" in path or any(p in (".", "..") for p in path.split("/")) or not parts:
                self.fail(f"{here}.path", f"« {path} » : chemin relatif attendu, à l’intérieur du dossier de la "
                          "relance (ni chemin absolu, ni « .. »)")
                continue
            target = folder.joinpath(*parts)
            if not target.resolve().is_relative_to(inside):
                self.fail(f"{here}.path", f"« {path} » est un lien symbolique qui sort du dossier de la relance")


def _journal_file(root: Path, given: Path | None, proposal: Proposal, shown: str) -> Path:
    """The journal to write: --journal when given, else the one plan.json names, which must be inside
    the project (a plan.json must not make the kit write a database anywhere else)."""
    if given is not None:
        return given
    path = PurePosixPath(proposal.journal)
    target = (root / Path(*path.parts)).resolve() if not path.is_absolute() else None
    if target is None or ".." in path.parts or not target.is_relative_to(root.resolve()):
        raise _error(shown, f"le journal « {proposal.journal} » est hors du projet : indiquez-le avec --journal "
                     "s’il est bien celui de l’entreprise", "journal-plan", "journal.path")
    return target


def _check_dates(proposal: Proposal, sent: date, today: date, shown: str) -> None:
    if proposal.day > today:
        raise _error(shown, f"relance datée du {date_fr(proposal.day)}, après aujourd’hui ({date_fr(today)}) : "
                     "on ne confirme que des documents envoyés", "journal-future", "date")
    if sent > today:
        raise _error(shown, f"date d’envoi {date_fr(sent)} postérieure à aujourd’hui ({date_fr(today)})",
                     "journal-sent", "date")
    if sent < proposal.day:
        raise _error(shown, f"date d’envoi {date_fr(sent)} antérieure à la relance, datée du "
                     f"{date_fr(proposal.day)} : ses documents n’existaient pas encore", "journal-sent", "date")


def _document_problems(folder: Path, proposal: Proposal, shown_folder: str) -> list[Problem]:
    """A document of the chosen steps that is missing or not a regular file. An edited one is no
    problem: it is what was sent, recorded as such (see `archived_documents`)."""
    problems = []
    for step in proposal.steps:
        for doc in step["documents"]:
            target = folder.joinpath(*PurePosixPath(doc["path"]).parts)
            where = f"{shown_folder}/{doc['path']}"
            try:
                regular = stat.S_ISREG(target.stat().st_mode)
            except OSError:
                regular = None
            if regular is None:
                problems.append(Problem(where, 1, 1, "", "document proposé introuvable", "journal-document"))
            elif not regular:
                problems.append(Problem(where, 1, 1, "", "le document proposé n’est pas un fichier ordinaire",
                                        "journal-document"))
    return sorted(set(problems))


def archived_documents(folder: Path, proposal: Proposal, archive_home: Path) -> dict[str, str]:
    """Copy every document of the chosen steps into the evidence archive; path in plan.json → SHA-256 of
    the bytes archived (the proposed one, or a new one when the document was edited since)."""
    found: dict[str, str] = {}
    for step in proposal.steps:
        for doc in step["documents"]:
            if doc["path"] not in found:
                found[doc["path"]] = archive.store(archive_home, folder.joinpath(*PurePosixPath(doc["path"]).parts),
                                                   doc["path"])
    return found


# --- The company's lock, and what a killed confirmation left -------------------------------------------


def _pending_file(root: Path, slug: str) -> Path:
    return root / "dist" / "relances" / f".{slug}.confirming"


@contextmanager
def runs_lock(root: Path, slug: str) -> Iterator[None]:
    """Hold the lock of the company's run folders: dunning runs and confirmations of one company wait
    for each other (a rerun never replaces a folder being confirmed). Whatever a killed confirmation
    left is settled first."""
    home = root / "dist" / "relances" / slug
    home.parent.mkdir(parents=True, exist_ok=True)
    with output_lock(home):
        settle(root, slug)
        yield


def settle(root: Path, slug: str, con: sqlite3.Connection | None = None) -> None:
    """Under the company's lock: finish or drop the confirmation noted in `.<slug>.confirming`.

    The journal decides: a run it holds gets its `confirmed.json`; any other note is dropped. A
    journal that cannot be read now keeps the note (KitError) for the next command."""
    pending = _pending_file(root, slug)
    try:
        note = json.loads(pending.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        note = None  # cut short by a kill before the transaction began
    if _valid_note(note):
        folder, book = Path(note["folder"]), Path(note["journal"])
        if _recorded(book, slug, note["plan_sha256"], note["shown_journal"], con) and \
                _digest(folder / "plan.json") == note["plan_sha256"]:
            _write_marker(folder, note["marker"])
        for leftover in folder.glob(f".{CONFIRMED}.tmp-*") if folder.is_dir() else ():
            leftover.unlink(missing_ok=True)
    pending.unlink(missing_ok=True)


def _valid_note(note: object) -> bool:
    keys = ("folder", "journal", "shown_journal", "plan_sha256")
    return isinstance(note, dict) and all(isinstance(note.get(k), str) for k in keys) and \
        isinstance(note.get("marker"), dict) and bool(HEX64.fullmatch(note["plan_sha256"])) and \
        Path(note["folder"]).is_absolute() and Path(note["journal"]).is_absolute()


def _recorded(book: Path, slug: str, digest: str, shown: str, con: sqlite3.Connection | None) -> bool:
    if con is not None:
        return journal.confirmed_run(con, digest) is not None
    if not book.is_file():
        return False
    con = journal.connect(book, slug, shown)
    try:
        return journal.confirmed_run(con, digest) is not None
    finally:
        con.close()


def _digest(path: Path) -> str | None:
    try:
        return sha256_file(path) if path.is_file() else None
    except OSError:
        return None


def _write_json(path: Path, data: Mapping[str, object]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_marker(folder: Path, marker: Mapping[str, object]) -> None:
    temporary = folder / f".{CONFIRMED}.tmp-{os.getpid()}"
    _write_json(temporary, marker)
    os.replace(temporary, folder / CONFIRMED)


# --- Confirmation ------------------------------------------------------------------------------------


def chosen_steps(proposal: Proposal, only: tuple[str, ...], skip: tuple[str, ...], shown: str) -> list[PlanStep]:
    """The proposal's steps of the debtors confirmed: `only` these, or all but `skip` (an unsent debtor is
    proposed again by the next run). A debtor the plan does not name is an error."""
    named = {s["debtor_id"] for s in proposal.steps}
    unknown = sorted(set(only + skip) - named)
    if unknown:
        raise _error(shown, f"débiteur(s) sans étape dans cette relance : {', '.join(unknown)} (étapes proposées "
                     f"pour : {', '.join(sorted(named)) or 'aucun'})", "journal-debtor")
    return [s for s in proposal.steps if (not only or s["debtor_id"] in only) and s["debtor_id"] not in skip]


def confirm_run(root: Path, folder: Path, journal_path: Path | None, by: str, sent: date | None, today: date,
                only: tuple[str, ...] = (), skip: tuple[str, ...] = ()) -> Confirmed:
    """Record the run of `folder` in the journal, its steps dated `sent` (default: today); with `only` or
    `skip`, the steps of those debtors only, or of all but those."""
    sent = sent or today  # `today` is read once, by the command line
    first = load_proposal(folder, root)
    home = (root / "dist" / "relances").resolve()
    if folder.resolve().is_relative_to(home) and folder.resolve().relative_to(home).parts[:1] != (first.company,):
        raise _error(shown_path(folder / "plan.json", root), f"relance de « {first.company} » rangée hors de "
                     f"dist/relances/{first.company}/ : plan.json a été modifié ou déplacé", "journal-plan", "company")
    with runs_lock(root, first.company):
        proposal = load_proposal(folder, root)  # again, under the lock: what is confirmed is what is there now
        shown_plan, shown_folder = shown_path(folder / "plan.json", root), shown_path(folder, root)
        if proposal.digest != first.digest:
            raise _error(shown_plan, "cette relance a été remplacée par une nouvelle proposition pendant l’attente "
                         "du verrou : ses documents n’ont pas été envoyés ; vérifiez-la puis confirmez de nouveau",
                         "journal-moved")
        _check_dates(proposal, sent, today, shown_plan)
        proposal = dataclasses.replace(proposal, steps=chosen_steps(proposal, only, skip, shown_plan))
        problems = _document_problems(folder, proposal, shown_folder)
        if problems:
            raise KitError(problems)
        path = _journal_file(root, journal_path, proposal, shown_plan)
        shown_journal = shown_path(path, root)
        con = journal.connect(path, proposal.company, shown_journal)
        try:
            _not_yet(con, proposal, shown_folder)
            # The archive first, then the journal's commit: a kill in between leaves archived files no step
            # cites, harmless; the journal never cites a document the archive lacks.
            sent_sha = archived_documents(folder, proposal, archive.home(path))
            steps = [_step(s, sent, by, shown_folder, sent_sha) for s in proposal.steps]
            done = journal.sent_steps(con, proposal.digest)  # e-mails and SMS `dunning send` already recorded
            steps = [s for s in steps if (s.debtor_id, s.invoice_number, s.stage) not in done]
            _record(root, folder, con, proposal, path, shown_journal, shown_folder, by, sent, steps)
        finally:
            con.close()
    return Confirmed(len(steps), shown_journal, shown_folder)


def _step(s: PlanStep, sent: date, by: str, shown_folder: str, sent_sha: dict[str, str]) -> journal.Step:
    """A chosen step as the journal records it: its documents as sent (archived), the proposed hash of
    those edited since the proposal kept beside."""
    docs = [(f"{shown_folder}/{d['path']}", sent_sha[d["path"]], d["sha256"]) for d in s["documents"]]
    return journal.Step(s["debtor_id"], s["debtor_name"], s["invoice_number"], s["stage"], s["stage_title"], sent,
                        s["channel"], s["amount_claimed"], by, tuple((p, sha) for p, sha, _ in docs),
                        tuple((p, proposed) for p, sha, proposed in docs if sha != proposed))


def _not_yet(con: sqlite3.Connection, proposal: Proposal, shown_folder: str) -> None:
    """KitError when the run is already in the journal or the journal moved since the proposal."""
    done = journal.confirmed_run(con, proposal.digest)
    if done:
        raise _error(shown_folder, f"relance déjà confirmée le {done[0]} par {done[1]}", "journal-twice")
    if journal.current_mark(con, proposal.digest) != proposal.mark:
        raise _error(shown_folder, "le journal a changé depuis cette proposition (une autre relance a été "
                     "confirmée) : relancez la commande dunning pour une proposition à jour", "journal-moved")


def _record(root: Path, folder: Path, con: sqlite3.Connection, proposal: Proposal, path: Path, shown_journal: str,
            shown_folder: str, by: str, sent: date, steps: list[journal.Step]) -> None:
    _not_yet(con, proposal, shown_folder)
    marker = {"journal": shown_journal, "confirmed_by": by, "sent": sent.isoformat(), "steps": len(steps),
              "plan_sha256": proposal.digest}
    # Noted before the transaction: a kill from here on is settled by the next command (see `settle`).
    _write_json(_pending_file(root, proposal.company), {
        "folder": str(folder.resolve()), "journal": str(path.resolve()), "shown_journal": shown_journal,
        "plan_sha256": proposal.digest, "marker": marker})
    try:
        journal.record(con, proposal.day, proposal.digest, shown_folder, by, steps, proposal.mark)
    except BaseException as exc:
        with suppress(KitError, sqlite3.Error, OSError):  # unsure? the note stays for the next command
            settle(root, proposal.company, con)
        if isinstance(exc, journal.Moved):
            raise _error(shown_folder, "le journal a changé pendant la confirmation : relancez la commande "
                         "dunning", "journal-moved") from None
        if isinstance(exc, sqlite3.IntegrityError):
            raise _error(shown_folder, "une de ces étapes figure déjà au journal : relancez la commande dunning",
                         "journal-twice") from None
        raise
    settle(root, proposal.company, con)
