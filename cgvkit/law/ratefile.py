"""Adding a half-year to data/rates.yaml: checked figures, appended as text so comments stay.

The new row is appended to the file's text (the rest of the file is kept byte for byte), then
the whole table is loaded again; on any problem the file is put back as it was. A table that is a
symbolic link stays one: the file it points to is rewritten, in one rename beside it.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.french import NBSP
from cgvkit.law.rates import RateTable, half_year_bounds, next_half_year

# Sanity ranges (percent per year): wider than anything seen since the euro, narrow enough to
# catch a rate typed per mille or a decimal comma lost (« 215 » for 2,15).
RANGES = {"ecb": (Decimal(0), Decimal(15)), "legal_individual": (Decimal(0), Decimal(30)),
          "legal_other": (Decimal(0), Decimal(30))}
OPTIONS = {"ecb": "--ecb", "legal_individual": "--legal-consumer", "legal_other": "--legal-other"}


def parse_rate(text: str) -> Decimal | None:
    """« 2.15 » or « 2,15 » → Decimal("2.15"); None when unreadable or with more than 2 decimals."""
    try:
        value = Decimal(text.strip().replace(",", ".").replace("%", "").strip())
    except InvalidOperation:
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        return None
    return value


# Where the rates are published: the arrêtés at the Journal officiel (Légifrance), the ECB, the Banque de France.
PRIMARY_SOURCES = ("legifrance.gouv.fr", "ecb.europa.eu", "banque-france.fr")
EARLIEST_DAYS = 45  # a half-year is added at most this many days before it starts: its rates are published by then


def _start(label: str) -> date | None:
    try:
        return half_year_bounds(label)[0]
    except ValueError:  # not a half-year: rates-gap says which one is expected
        return None


def primary_source(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == site or host.endswith("." + site) for site in PRIMARY_SOURCES)


def add_row(path: Path, root: Path, label: str, figures: dict[str, str], sources: list[str],
            today: date | None = None) -> RateTable:
    """Append the row `label` to the table at `path`; raises KitError (file untouched) on any problem.
    `today` (the run date): a half-year starting more than EARLIEST_DAYS days later is refused."""
    table = RateTable.load(path, root)
    file = table.file
    line = table.anchor[0]

    def problem(key: str, message: str, rule: str) -> Problem:
        return Problem(file, line, 1, key, message, rule)

    problems = []
    expected = next_half_year(table.last.half_year)
    if table.get(label) is not None:
        problems.append(problem("half_year", f"le semestre {label} figure déjà dans la table", "rates-duplicate"))
    elif label != expected:
        problems.append(problem("half_year", f"la prochaine ligne attendue est {expected} (la table s’arrête "
                                f"à {table.last.half_year}){NBSP}: {label} ne peut pas être ajouté", "rates-gap"))
    values = {}
    for key, text in figures.items():
        value = parse_rate(text)
        low, high = RANGES[key]
        if value is None:
            problems.append(problem(key, f"{OPTIONS[key]} {text}{NBSP}: taux illisible (un nombre à deux "
                                    "décimales au plus, en % l’an, par exemple 2.15)", "rates-value"))
        elif not low <= value <= high:
            problems.append(problem(key, f"{OPTIONS[key]} {text}{NBSP}: taux hors de la plage plausible "
                                    f"({low} à {high} % l’an)", "rates-range"))
        values[key] = value
    if not sources:
        problems.append(problem("source", "au moins une source --source https://… est exigée", "rates-source"))
    for source in sources:
        if not source.startswith("https://") or len(source) < 12 or any(c.isspace() for c in source):
            problems.append(problem("source", f"source «{NBSP}{source}{NBSP}»{NBSP}: une adresse https:// "
                                    "complète est attendue (arrêté au Journal officiel, page de la BCE)",
                                    "rates-source"))
        elif not primary_source(source):
            problems.append(problem("source", f"source «{NBSP}{source}{NBSP}»{NBSP}: seules les sources officielles "
                                    "sont acceptées (arrêté publié sur legifrance.gouv.fr, taux de la BCE sur "
                                    "ecb.europa.eu ou de la Banque de France sur banque-france.fr)", "rates-source"))
    start = _start(label)
    if today is not None and start is not None and (start - today).days > EARLIEST_DAYS:
        problems.append(problem("half_year", f"le semestre {label} commence le {start.isoformat()}, plus de "
                                f"{EARLIEST_DAYS} jours après aujourd’hui ({today.isoformat()}){NBSP}: ses taux ne "
                                "sont pas encore publiés, ajoutez-le quand ils le seront", "rates-future"))
    if problems:
        raise KitError(problems)
    target = Path(os.path.realpath(path))  # through any link: the link itself is kept
    before = target.read_bytes()
    text = before.decode("utf-8")
    if text and not text.endswith("\n"):
        text += "\n"
    text += (f"  - half_year: {label}\n    ecb: {values['ecb']:.2f}\n"
             f"    legal_individual: {values['legal_individual']:.2f}\n"
             f"    legal_other: {values['legal_other']:.2f}\n"
             f"    source: {json.dumps(' ; '.join(sources), ensure_ascii=False)}\n")
    _write(target, text.encode("utf-8"))
    try:
        return RateTable.load(path, root)
    except BaseException:
        _write(target, before)
        raise


def _write(path: Path, data: bytes) -> None:
    """Replace the file `path` (not a link) in one rename from a new file beside it: a killed run
    leaves the old or the new table, and the temporary file is removed on every other path (an
    error, an exception, Ctrl-C). The file keeps its permissions."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # O_EXCL: never a planted link
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
