"""Where the ledger comes from: the CSV ledger (`--ledger`, mapped by the profile's `ledger.columns`)
or the FEC (`--fec`, with `--contacts` and the profile's `ledger.due_dates`). One Ledger either way."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from cgvkit.core.errors import Problem
from cgvkit.dunning.ledger import Ledger, load_ledger
from cgvkit.model.company import default_kind


@dataclass(frozen=True)
class LedgerSource:
    path: Path
    fec: bool = False
    contacts: Path | None = None


def settings(company) -> dict:
    """The profile's `ledger:` block (schemas/company.yaml)."""
    data = getattr(getattr(company, "source", None), "data", None) or {}
    return data.get("ledger") or {}


def open_ledger(source, root: Path, company, stages: tuple) -> Ledger:
    """`source`: a LedgerSource, or the path of a CSV ledger."""
    if not isinstance(source, LedgerSource):
        source = LedgerSource(Path(source))
    chosen = settings(company)
    profile = getattr(company, "source", None)

    def mapped_at(name: str, message: str) -> Problem:
        if profile is None:
            return Problem(str(source.path), 1, 1, name, message, "ledger-column-map")
        return profile.problem(("ledger", "columns", name), message, "ledger-column-map")

    if not source.fec:
        return load_ledger(source.path, root, default_kind(company), stages, chosen.get("columns"), mapped_at)
    from cgvkit.dunning.contacts import load_contacts, load_due_dates
    from cgvkit.dunning.fec import load_fec

    contacts = load_contacts(source.contacts, root, default_kind(company)) if source.contacts else None
    due_dates = {}
    if chosen.get("due_dates"):
        where = profile.problem(("ledger", "due_dates"), f"fichier des échéances « {chosen['due_dates']} » "
                                "introuvable (chemin relatif au projet)", "due-dates-file") if profile else None
        due_dates = load_due_dates(root / chosen["due_dates"], root, where)[1]
    ledger = load_fec(source.path, root, company, stages, contacts, due_dates, chosen.get("fec_customer_prefixes"))
    if contacts is not None and contacts.warnings:
        ledger = Ledger(ledger.file, ledger.columns, ledger.rows, (*contacts.warnings, *ledger.warnings))
    return ledger
