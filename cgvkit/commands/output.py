"""What every command shares: wrong-usage errors, problem reports, paths shown to the user."""

from __future__ import annotations

import sys
from pathlib import Path

from cgvkit.core.errors import Problem


class Usage(Exception):
    """Wrong usage detected after argument parsing (exit 2)."""


def report(problems: list[Problem]) -> None:
    """Every problem on stderr, errors first, in file and line order."""
    for problem in sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line, p.column)):
        print(problem, file=sys.stderr)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def user_file(path: Path, root: Path) -> Path:
    """A file named on the command line: as typed (from the current folder), else inside the project."""
    if path.is_absolute() or path.exists() or not (root / path).exists():
        if not path.exists():
            raise Usage(f"fichier introuvable : {path}")
        return path
    return root / path
