"""Working days in France: the public holidays, and deadlines moved off the days offices are closed.

- Public holidays: Code du travail, art. L3133-1 (eleven fêtes légales); in Bas-Rhin, Haut-Rhin and
  Moselle also Good Friday and 26 December (art. L3134-13), when the company says it is there.
- A deadline that would end on a Saturday, a Sunday or a public holiday runs to the next working day
  (Code de procédure civile, art. 642, the rule the letters' deadlines follow).
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

from dateutil.easter import easter

SATURDAY, SUNDAY = 5, 6


@cache
def public_holidays(year: int, alsace_moselle: bool = False) -> dict[date, str]:
    """The public holidays of `year`, each with its French name."""
    sunday = easter(year)
    days = {
        date(year, 1, 1): "jour de l’An",
        sunday + timedelta(days=1): "lundi de Pâques",
        date(year, 5, 1): "1er Mai",
        date(year, 5, 8): "8 Mai",
        sunday + timedelta(days=39): "Ascension",
        sunday + timedelta(days=50): "lundi de Pentecôte",
        date(year, 7, 14): "14 Juillet",
        date(year, 8, 15): "Assomption",
        date(year, 11, 1): "Toussaint",
        date(year, 11, 11): "11 Novembre",
        date(year, 12, 25): "Noël",
    }
    if alsace_moselle:
        days[sunday - timedelta(days=2)] = "Vendredi saint"
        days[date(year, 12, 26)] = "Saint-Étienne"
    return days


def holiday(day: date, alsace_moselle: bool = False) -> str | None:
    """The name of the public holiday `day` is, or None."""
    return public_holidays(day.year, alsace_moselle).get(day)


def closed(day: date, alsace_moselle: bool = False) -> str | None:
    """Why offices are closed on `day` (« dimanche », « samedi », the holiday's name), or None."""
    if day.weekday() == SUNDAY:
        return "dimanche"
    name = holiday(day, alsace_moselle)
    if name:
        return f"jour férié ({name})"
    return "samedi" if day.weekday() == SATURDAY else None


def quiet(day: date, alsace_moselle: bool = False) -> str | None:
    """Why no call and no SMS on `day` (a Sunday or a public holiday; Saturday is allowed), or None."""
    reason = closed(day, alsace_moselle)
    return None if reason == "samedi" else reason


def next_working_day(day: date, alsace_moselle: bool = False) -> date:
    """`day` itself when offices are open, else the first working day after it (CPC art. 642)."""
    while closed(day, alsace_moselle):
        day += timedelta(days=1)
    return day


def deadline(start: date, days: int, alsace_moselle: bool = False) -> date:
    """`days` days after `start`, moved to the next working day when it ends on a closed day."""
    return next_working_day(start + timedelta(days=days), alsace_moselle)
