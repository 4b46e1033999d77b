"""Where the ledger comes from: the CSV ledger (`--ledger`, mapped by the profile's `ledger.columns`)
or the FEC (`--fec`, with `--contacts` and the profile's `ledger.due_dates`). One Ledger either way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from cgvkit.core.errors import Problem
from cgvkit.dunning.ledger import Ledger, load_ledger
from cgvkit.model.company import default_kind
from cgvkit.sources.yamlsource import Source

if TYPE_CHECKING:
    from cgvkit.model.company import Company


@dataclass(frozen=True)
class LedgerSource:
    path: Path
    fec: bool = False
    contacts: Path | None = None


def settings(company: Company) -> dict[str, object]:
    """The profile's `ledger:` block (schemas/company.yaml)."""
    data = getattr(getattr(company, "source", None), "data", None) or {}
    found = data.get("ledger") or {}
    return found if isinstance(found, dict) else {}


def open_ledger(source: LedgerSource | Path | str, root: Path, company: Company, stages: tuple[str, ...]) -> Ledger:
    """`source`: a LedgerSource, or the path of a CSV ledger."""
    if not isinstance(source, LedgerSource):
        source = LedgerSource(Path(source))
    chosen = settings(company)
    profile = getattr(company, "source", None)  # a Source; None for a test's stand-in company
    if not isinstance(profile, Source):
        profile = None

    def mapped_at(name: str, message: str) -> Problem:
        if profile is None:
            return Problem(str(source.path), 1, 1, name, message, "ledger-column-map")
        return profile.problem(("ledger", "columns", name), message, "ledger-column-map")

    if not source.fec:
        columns = chosen.get("columns")  # schemas/company.yaml: column id → header
        return load_ledger(source.path, root, default_kind(company), stages, columns if isinstance(columns, dict) else None,
                           mapped_at)
    from cgvkit.dunning.contacts import load_contacts, load_due_dates
    from cgvkit.dunning.fec import load_fec

    contacts = load_contacts(source.contacts, root, default_kind(company)) if source.contacts else None
    due_dates: dict[str, date] = {}
    due_file = chosen.get("due_dates")
    if due_file:
        where = profile.problem(("ledger", "due_dates"), f"fichier des échéances « {due_file} » "
                                "introuvable (chemin relatif au projet)", "due-dates-file") if profile else None
        due_dates = load_due_dates(root / str(due_file), root, where)[1]
    prefixes = chosen.get("fec_customer_prefixes")  # schemas/company.yaml: a list of account prefixes
    ledger = load_fec(source.path, root, company, stages, contacts, due_dates,
                      prefixes if isinstance(prefixes, list) else None)
    if contacts is not None and contacts.warnings:
        ledger = Ledger(ledger.file, ledger.columns, ledger.rows, (*contacts.warnings, *ledger.warnings))
    return ledger
