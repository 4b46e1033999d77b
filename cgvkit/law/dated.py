"""When a rule of law applies: the dates it takes effect and ends, and how a message says so.

A company's CGV are checked against the law on their effective date and on the day of the run:
CGV lawful when they took effect may not be lawful today, and the message names the change.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from cgvkit.core.french import date_fr


class Dated(Protocol):
    """A rule that applies from `since` to `until` (both inclusive; None: no bound)."""

    @property
    def since(self) -> date | None: ...
    @property
    def until(self) -> date | None: ...


def in_force(rule: Dated, day: date) -> bool:
    """True when `rule` (anything with `since` and `until`) applies on `day`."""
    return (rule.since is None or rule.since <= day) and (rule.until is None or day <= rule.until)


def in_force_on_any(rule: Dated, days: tuple[date, ...]) -> bool:
    return any(in_force(rule, day) for day in days)


def since_note(rule: Dated, effective: date | None, day: date) -> str:
    """« ; en vigueur depuis le 19 juin 2026, après la date d’effet des CGV (1er janvier 2026) » when the
    rule came into force after the CGV took effect and applies on `day`; else nothing."""
    if rule.since is None or effective is None or not (effective < rule.since <= day):
        return ""
    return (f" ; règle en vigueur depuis le {date_fr(rule.since)}, après la date d’effet des CGV "
            f"({date_fr(effective)}) : le texte doit être mis à jour")


def period_fr(rule: Dated) -> str:
    """When the rule applies, in French: « depuis le 1er janvier 2025 », « jusqu’au … », « du … au … »,
    or « » for a rule older than any CGV the kit prints."""
    if rule.since and rule.until:
        return f"du {date_fr(rule.since)} au {date_fr(rule.until)}"
    if rule.since:
        return f"depuis le {date_fr(rule.since)}"
    if rule.until:
        return f"jusqu’au {date_fr(rule.until)}"
    return ""
