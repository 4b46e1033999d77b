"""One error type for everything a user can get wrong, and a collector for a whole run."""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """A problem located in a user file: `file:line:col: key.path: message [rule-id]`."""

    file: str
    line: int
    column: int
    path: str
    message: str
    rule: str
    severity: str = "error"  # "error" stops the run; "warning" is reported only

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        prefix = "" if self.severity == "error" else "avertissement : "
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {prefix}{self.message} [{self.rule}]"


class KitError(Exception):
    """Raised when input is wrong; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Problems:
    """Collects problems during a run so all of them are reported at once."""

    items: list[Problem] = field(default_factory=list)
    _seen: set[Problem] = field(default_factory=set, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._seen.update(self.items)

    def add(self, problem: Problem) -> None:
        # A set, not `in self.items`: 30 000 unknown keys must cost 30 000 steps, not 450 million.
        if problem not in self._seen:
            self._seen.add(problem)
            self.items.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        for p in problems:
            self.add(p)

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.items if p.severity == "error")

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.items if p.severity == "warning")

    def raise_if_errors(self) -> None:
        if self.errors:
            raise KitError(self.items)


_OS_REASONS: dict[int | None, str] = {  # keyed by OSError.errno, which may be None
    errno.EACCES: "permission refusée", errno.EPERM: "opération non permise (dossier protégé ?)",
    errno.EROFS: "système de fichiers en lecture seule", errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé", errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un fichier se trouve là où un dossier est attendu",
    errno.EISDIR: "un dossier se trouve là où un fichier est attendu",
}


def os_reason(exc: OSError) -> str:
    """Why the system refused to read or write, in French."""
    return _OS_REASONS.get(exc.errno, exc.strerror or str(exc))
