"""The half-year rate table (data/rates.yaml): ECB main refinancing rate and legal interest rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..errors import KitError, Problem, Problems
from ..schemas import schema_file, validate
from ..yamlsource import load_file


@dataclass(frozen=True)
class HalfYearRates:
    half_year: str  # "2026-H1"
    start: date
    end: date  # inclusive
    ecb: Decimal
    legal_individual: Decimal
    legal_other: Decimal
    source: str


class MissingRateError(KitError):
    """A date falls in a half-year the table lacks: say which row to add, never guess."""


def half_year_of(day: date) -> str:
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def half_year_bounds(label: str) -> tuple[date, date]:
    year, half = int(label[:4]), label[-1]
    return (date(year, 1, 1), date(year, 6, 30)) if half == "1" else (date(year, 7, 1), date(year, 12, 31))


def _next(label: str) -> str:
    year, half = int(label[:4]), label[-1]
    return f"{year}-H2" if half == "1" else f"{year + 1}-H1"


class RateTable:
    def __init__(self, rows: list[HalfYearRates], file: str, last_line: int):
        self._rows = {row.half_year: row for row in rows}
        self.file = file
        self.last_line = last_line

    @classmethod
    def load(cls, path: Path, root: Path) -> "RateTable":
        source = load_file(path, root)
        problems = Problems()
        problems.extend(validate(source, schema_file(root, "rates"), rule_prefix="rates"))
        problems.raise_if_errors()
        rows, previous = [], None
        for i, item in enumerate(source.data["rates"]):
            label = item["half_year"]
            where = ("rates", i, "half_year")
            if previous is not None and label <= previous:
                rule = "rates-duplicate" if label == previous else "rates-order"
                problems.add(source.problem(where, f"le semestre {label} est en double ou hors de l’ordre "
                                            "chronologique", rule))
            elif previous is not None and label != _next(previous):
                problems.add(source.problem(where, f"il manque le semestre {_next(previous)} avant {label}",
                                            "rates-gap"))
            previous = max(previous or label, label)
            start, end = half_year_bounds(label)
            rows.append(HalfYearRates(label, start, end, Decimal(item["ecb"]), Decimal(item["legal_individual"]),
                                      Decimal(item["legal_other"]), item["source"]))
        problems.raise_if_errors()
        last_line, _ = source.where(("rates", len(rows) - 1))
        return cls(rows, source.file, last_line)

    def rows(self) -> list[HalfYearRates]:
        return [self._rows[k] for k in sorted(self._rows)]

    @property
    def last(self) -> HalfYearRates:
        return self.rows()[-1]

    def get(self, label: str) -> HalfYearRates | None:
        return self._rows.get(label)

    def for_date(self, day: date, where: Problem | None = None) -> HalfYearRates:
        """The rates of `day`'s half-year; MissingRateError names the row to add.

        `where` (a located Problem) blames the input that asked for that date, e.g. a company's
        effective_date; otherwise the error points at the end of the table.
        """
        label = half_year_of(day)
        row = self._rows.get(label)
        if row is not None:
            return row
        start, end = half_year_bounds(label)
        from ..render.french import date_fr

        message = (f"aucun taux pour le semestre {label} (du {date_fr(start)} au {date_fr(end)}) : "
                   f"ajoutez la ligne « half_year: {label} » à {self.file} avec ses taux et sa source")
        if where is not None:
            problem = Problem(where.file, where.line, where.column, where.path, message, "rates-missing")
        else:
            problem = Problem(self.file, self.last_line, 1, "rates", message, "rates-missing")
        raise MissingRateError([problem])
