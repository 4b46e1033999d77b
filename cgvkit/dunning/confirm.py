"""`dunning confirm RUN_DIR`: a proposed run becomes journal steps, all at once or not at all.

The run folder's plan.json lists the steps and the SHA-256 of every document; confirmation checks
the documents are those proposed, that the journal has not moved since the proposal, then records
every step in one transaction and marks the folder as confirmed.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.files import sha256_file
from cgvkit.dunning import journal
from cgvkit.dunning.run import CONFIRMED, shown_path


@dataclass
class Confirmed:
    steps: int
    journal: str  # as shown
    folder: str


def _error(file: str, message: str, rule: str) -> KitError:
    return KitError([Problem(file, 1, 1, "", message, rule)])


def load_proposal(folder: Path, root: Path) -> tuple[dict, str]:
    """plan.json of a run folder and its SHA-256; KitError when it is not a run folder."""
    shown = shown_path(folder / "plan.json", root)
    try:
        raw = (folder / "plan.json").read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise _error(shown, "pas de plan.json lisible : ce dossier n’est pas celui d’une relance", "journal-run") \
            from None
    if not isinstance(data, dict) or not {"company", "date", "steps", "journal"} <= set(data):
        raise _error(shown, "plan.json d’une version du kit sans journal : relancez la commande dunning",
                     "journal-run")
    return data, hashlib.sha256(raw).hexdigest()


def confirm_run(root: Path, folder: Path, journal_path: Path | None, by: str) -> Confirmed:
    data, digest = load_proposal(folder, root)
    shown_folder = shown_path(folder, root)
    given = Path(data["journal"]["path"])
    path = journal_path or (given if given.is_absolute() else root / given)
    shown_journal = shown_path(path, root)
    problems = []
    for step in data["steps"]:
        for doc in step["documents"]:
            target = folder / doc["path"]
            if not target.is_file():
                problems.append(Problem(f"{shown_folder}/{doc['path']}", 1, 1, "", "document proposé introuvable",
                                        "journal-document"))
            elif sha256_file(target) != doc["sha256"]:
                problems.append(Problem(f"{shown_folder}/{doc['path']}", 1, 1, "", "document modifié depuis la "
                                        "proposition : relancez la commande dunning", "journal-document"))
    if problems:
        raise KitError(sorted(set(problems)))
    run_date = date.fromisoformat(data["date"])
    steps = [journal.Step(s["debtor_id"], s["debtor_name"], s["invoice_number"], s["stage"], s["stage_title"],
                          run_date, s["channel"], s["amount_claimed"], by,
                          tuple((f"{shown_folder}/{d['path']}", d["sha256"]) for d in s["documents"]))
             for s in data["steps"]]
    con = journal.connect(path, data["company"], shown_journal)
    try:
        done = journal.confirmed_run(con, digest)
        if done:
            raise _error(shown_folder, f"relance déjà confirmée le {done[0]} par {done[1]}", "journal-twice")
        if journal.current_mark(con) != data["journal"]["mark"]:
            raise _error(shown_folder, "le journal a changé depuis cette proposition (une autre relance a été "
                         "confirmée) : relancez la commande dunning pour une proposition à jour", "journal-moved")
        try:
            journal.record(con, run_date, digest, shown_folder, by, steps, data["journal"]["mark"])
        except journal.Moved:
            raise _error(shown_folder, "le journal a changé pendant la confirmation : relancez la commande "
                         "dunning", "journal-moved") from None
        except sqlite3.IntegrityError:
            raise _error(shown_folder, "une de ces étapes figure déjà au journal : relancez la commande dunning",
                         "journal-twice") from None
    finally:
        con.close()
    marker = {"journal": shown_journal, "confirmed_by": by, "steps": len(steps), "plan_sha256": digest}
    temporary = folder / f".{CONFIRMED}.tmp-{os.getpid()}"
    temporary.write_text(json.dumps(marker, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, folder / CONFIRMED)
    return Confirmed(len(steps), shown_journal, shown_folder)
