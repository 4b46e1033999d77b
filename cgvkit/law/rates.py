"""The half-year rate table (data/rates.yaml): ECB main refinancing rate and the two legal rates.

A date in a half-year the table lacks is an error that names the row to add, never a guessed rate
(rates change each half-year: Code monétaire et financier, art. L313-2; Code de commerce, art. L441-10 II).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TypedDict

from cgvkit.core.errors import KitError, Problem, Problems
from cgvkit.core.french import NBSP, date_fr
from cgvkit.law.figures import half_year_fr
from cgvkit.sources.schemas import schema_file, validate
from cgvkit.sources.yamlsource import Source, load_file

_LABEL = re.compile(r"([1-9]\d{3})-H([12])")  # year 0000 does not exist


@dataclass(frozen=True)
class HalfYearRates:
    half_year: str  # "2026-H1"
    start: date  # inclusive
    end: date  # inclusive
    ecb: Decimal  # percent per year
    legal_individual: Decimal
    legal_other: Decimal
    source: str

    # Names for clause texts, so lawyers need no slicing of "2026-H1".
    @property
    def label_fr(self) -> str:
        """« 1er semestre 2026 »."""
        return half_year_fr(self.start)

    @property
    def half_fr(self) -> str:
        """« premier » or « second »."""
        return "premier" if self.start.month < 7 else "second"

    @property
    def year(self) -> int:
        return self.start.year


class MissingRateError(KitError):
    """A date falls in a half-year the table lacks."""


def half_year_of(day: date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


@cache
def half_year_bounds(label: str) -> tuple[date, date]:
    """First and last day (both inclusive) of a half-year such as "2026-H1"."""
    match = _LABEL.fullmatch(label)
    if not match:
        raise ValueError(f"not a half-year label: {label!r}")
    year = int(match.group(1))
    if match.group(2) == "1":
        return date(year, 1, 1), date(year, 6, 30)
    return date(year, 7, 1), date(year, 12, 31)


def next_half_year(label: str) -> str:
    _, end = half_year_bounds(label)
    return half_year_of(end + timedelta(days=1))


def missing_message(label: str, file: str) -> str:
    start, end = half_year_bounds(label)
    return (f"aucun taux pour le semestre {label} (du {date_fr(start)} au {date_fr(end)}){NBSP}: ajoutez "
            f"la ligne «{NBSP}half_year: {label}{NBSP}» à {file} avec ses taux et sa source")


def stopped_note(last_day: date) -> str:
    """What every document of a run says when the table stops before the run date."""
    return f"intérêts arrêtés au {date_fr(last_day)}, à parfaire"


def row_sources(label: str) -> str:
    """Where the figures of a half-year's row are published (named, never fetched)."""
    start, _ = half_year_bounds(label)
    return (f"taux de refinancement principal de la BCE au {date_fr(start)}, publié par la Banque centrale "
            f"européenne{NBSP}; taux de l’intérêt légal du {'1er' if start.month < 7 else '2d'} semestre "
            f"{start.year}, fixé par arrêté publié au Journal officiel")


class RateTable:
    """The rows of data/rates.yaml in chronological order, without gaps."""

    def __init__(self, rows: list[HalfYearRates], file: str = "data/rates.yaml", anchor: tuple[int, int] = (1, 1)):
        self._rows = sorted(rows, key=lambda r: r.start)
        self._by_label = {row.half_year: row for row in self._rows}
        self.file = file
        self.anchor = anchor  # line and column of the last row: where the next row goes

    @classmethod
    def load(cls, path: Path, root: Path) -> RateTable:
        """Load and check the table; every problem is reported at once in a KitError."""
        source = load_file(path, root)
        problems = Problems()
        problems.extend(validate(source, schema_file(root, "rates"), rule_prefix="rates"))
        items = source.data.get("rates") if isinstance(source.data, dict) else None
        items = items if isinstance(items, list) else []
        problems.extend(_sequence_problems(source, items))
        problems.raise_if_errors()
        rows = [_row(item) for item in items]
        return cls(rows, source.file, source.where(("rates", len(rows) - 1)))

    def rows(self) -> list[HalfYearRates]:
        return list(self._rows)

    @property
    def last(self) -> HalfYearRates:
        return self._rows[-1]

    def missing_through(self, day: date) -> list[str]:
        """The half-years after the last row up to `day`'s (none when `day` is covered)."""
        labels: list[str] = []
        target = half_year_of(day)
        if day <= self.last.end:
            return labels
        current = next_half_year(self.last.half_year)
        while True:
            labels.append(current)
            if current == target:
                return labels
            current = next_half_year(current)

    def stale_warning(self, day: date, what: str) -> Problem | None:
        """One warning when `day` is past the table: the rows to add, their sources, the command."""
        missing = self.missing_through(day)
        if not missing:
            return None
        rows = missing[0] if len(missing) == 1 else f"{missing[0]} à {missing[-1]}"
        word = "la ligne" if len(missing) == 1 else "les lignes"
        message = (f"{what}{NBSP}: le tableau des taux s’arrête au semestre {self.last.half_year}, "
                   f"{stopped_note(self.last.end)}{NBSP}; ajoutez {word} {rows} à {self.file} dès la "
                   f"publication de ses taux ({row_sources(missing[0])}){NBSP}: python build.py rates add "
                   f"{missing[0]} --ecb … --legal-consumer … --legal-other … --source https://…")
        return Problem(self.file, self.anchor[0], self.anchor[1], "rates", message, "rates-stale", "warning")

    def get(self, label: str) -> HalfYearRates | None:
        return self._by_label.get(label)

    def for_date(self, day: date, where: Problem | None = None) -> HalfYearRates:
        """The rates of `day`'s half-year.

        MissingRateError names the row to add; `where` (any located Problem) blames the input that
        asked for the date, e.g. a company's effective_date, instead of the end of the table.
        """
        label = half_year_of(day)
        row = self._by_label.get(label)
        if row is not None:
            return row
        message = missing_message(label, self.file)
        if where is not None:
            problem = Problem(where.file, where.line, where.column, where.path, message, "rates-missing")
        else:
            problem = Problem(self.file, self.anchor[0], self.anchor[1], "rates", message, "rates-missing")
        raise MissingRateError([problem])


class _RowData(TypedDict):
    """One row of data/rates.yaml, as its schema (schemas/rates.yaml) lets it through."""

    half_year: str
    ecb: Decimal | int
    legal_individual: Decimal | int
    legal_other: Decimal | int
    source: str


def _row(item: _RowData) -> HalfYearRates:
    start, end = half_year_bounds(item["half_year"])
    return HalfYearRates(item["half_year"], start, end, Decimal(item["ecb"]),
                         Decimal(item["legal_individual"]), Decimal(item["legal_other"]), item["source"])


def _labels(items: list[object]) -> list[tuple[int, str]]:
    """(index, label) of the rows whose half_year is well formed; the schema reports the others."""
    return [(i, item["half_year"]) for i, item in enumerate(items)
            if isinstance(item, dict) and isinstance(item.get("half_year"), str)
            and _LABEL.fullmatch(item["half_year"])]


def _sequence_problems(source: Source, items: list[object]) -> list[Problem]:
    """Rows must run in chronological order, each half-year once, none missing in between."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    previous: str | None = None
    for i, label in _labels(items):
        where = ("rates", i, "half_year")
        if label in seen:
            line, _ = source.where(("rates", seen[label], "half_year"))
            problems.append(source.problem(where, f"le semestre {label} figure deux fois (déjà ligne {line})",
                                           "rates-duplicate"))
            continue
        seen[label] = i
        if previous is not None and label < previous:
            problems.append(source.problem(where, f"le semestre {label} est placé après {previous}{NBSP}: "
                                           "rangez les lignes dans l’ordre chronologique", "rates-order"))
            continue
        if previous is not None and label != next_half_year(previous):
            problems.append(source.problem(where, _gap_message(previous, label), "rates-gap"))
        previous = label
    return problems


def _gap_message(previous: str, label: str) -> str:
    missing, current = [], next_half_year(previous)
    while current != label:
        missing.append(current)
        current = next_half_year(current)
    names = missing[0] if len(missing) == 1 else f"{missing[0]} à {missing[-1]}"
    word = "le semestre" if len(missing) == 1 else "les semestres"
    return f"il manque {word} {names} entre {previous} et {label}{NBSP}: chaque semestre doit avoir sa ligne"
