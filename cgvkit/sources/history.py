"""The clause library's history, read from git: old trees for `diff`, commits for the site."""

from __future__ import annotations

import io
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path


class HistoryError(Exception):
    """git is missing, the folder is not a repository, or the reference is unknown (a usage error)."""


@dataclass(frozen=True)
class Commit:
    sha: str
    day: date
    author: str
    subject: str


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HistoryError(f"git n’a pas pu être lancé : {exc}") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise HistoryError(reason[-1] if reason else f"git {' '.join(args)} a échoué")
    return done.stdout


def default_ref(root: Path) -> str:
    """The commit before the last one that touched clauses/: what the latest change did, plus
    whatever is not committed yet."""
    shas = _git(root, "log", "-n", "2", "--format=%H", "--", "clauses").decode().split()
    if len(shas) < 2:
        raise HistoryError("l’historique de clauses/ compte moins de deux commits : indiquez la référence "
                           "à comparer (par exemple HEAD)")
    return shas[1]


def resolve(root: Path, ref: str) -> str:
    """The full commit id of `ref`; refs starting with '-' are refused (no option injection)."""
    if ref.startswith("-"):
        raise HistoryError(f"référence git invalide : {ref}")
    return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()


def export_tree(root: Path, sha: str, target: Path) -> Path:
    """The project as it was at commit `sha`, written into `target` (regular files only)."""
    # The project may be a sub-folder of its repository: archive that folder's tree at `sha`, its paths
    # relative to it (from a sub-folder, git archives the sub-folder whatever the prefix says).
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    archive = _git(top, "archive", "--format=tar", f"{sha}:{prefix}" if prefix else sha)
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            relative = Path(member.name)
            if relative.is_absolute() or ".." in relative.parts:
                continue
            content = tar.extractfile(member)
            if content is None:  # never for a regular file
                continue
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content.read())
    return target


def file_log(root: Path, path: Path, limit: int = 50) -> list[Commit]:
    """The commits that changed one file, newest first (empty outside a repository)."""
    try:
        raw = _git(root, "log", f"-n{limit}", "--follow", "--format=%H%x1f%ad%x1f%an%x1f%s",
                   "--date=short", "--", str(path))
    except HistoryError:
        return []
    commits = []
    for line in raw.decode("utf-8", "replace").splitlines():
        sha, day, author, subject = line.split("\x1f", 3)
        commits.append(Commit(sha, date.fromisoformat(day), author, subject))
    return commits


def changed_files(root: Path, folder: str) -> list[str]:
    """Files of `folder` (relative to the project) that differ from the last commit."""
    raw = _git(root, "diff", "--name-only", "--relative", "HEAD", "--", folder)
    return [line for line in raw.decode("utf-8", "replace").splitlines() if line]


def committed_text(root: Path, path: str) -> str | None:
    """The file as of the last commit (None when it did not exist then)."""
    try:
        return _git(root, "show", f"HEAD:./{path}").decode("utf-8")
    except (HistoryError, UnicodeDecodeError):
        return None
