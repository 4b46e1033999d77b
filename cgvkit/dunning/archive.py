"""The evidence archive: every document a confirmation records, kept beside the journal.

`data/journal/<slug>.sqlite` has its archive in `data/journal/<slug>.archive/`, one file per content,
named by its SHA-256 (`<sha256[:2]>/<sha256><suffix>`), read-only. It lives with the journal, never
under `dist/`, so `make clean` and a deleted run folder leave the proof of what was sent.

A document is copied first (to a temporary file, hashed while copied, made read-only, renamed to
its name), and the journal records the hash of the bytes copied: what the journal says was sent is
exactly what the archive holds. A confirmation killed after copying and before its commit leaves
archived files the journal does not cite: harmless (the same content gets the same name next time).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cgvkit.core.files import sha256_file

if TYPE_CHECKING:
    from cgvkit.dunning.journal import Step

READ_ONLY = 0o444
_SUFFIX = re.compile(r"\.[a-z0-9]{1,10}")


def home(journal_path: Path) -> Path:
    """The archive of a journal: `x.sqlite` → `x.archive/`, in the same folder."""
    return journal_path.with_name(journal_path.stem + ".archive")


def suffix(name: str) -> str:
    """The archived file's extension (.pdf, .html, .txt, .eml): the recorded name's, lowercased, or none."""
    ext = PurePosixPath(name).suffix.lower()
    return ext if _SUFFIX.fullmatch(ext) else ""


def location(archive: Path, sha256: str, name: str) -> Path:
    """Where the document of this hash and recorded name is archived."""
    return archive / sha256[:2] / f"{sha256}{suffix(name)}"


def store(archive: Path, source: Path, name: str) -> str:
    """Copy `source` into the archive, atomically and read-only; returns the SHA-256 of the bytes copied.

    An archived file of that hash already there and intact is kept; one that was altered is replaced."""
    archive.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", dir=archive)
    try:
        sha = hashlib.sha256()
        with os.fdopen(handle, "wb") as out, open(source, "rb") as file:
            for block in iter(lambda: file.read(1 << 20), b""):
                sha.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        value = sha.hexdigest()
        os.chmod(temporary, READ_ONLY)
        target = location(archive, value, name)
        target.parent.mkdir(exist_ok=True)
        if state(target, value) == "ok":
            os.unlink(temporary)
        else:
            os.replace(temporary, target)
            _sync(target.parent)
        return value
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _sync(folder: Path) -> None:
    """The rename on disk before the journal's commit (where the system allows a folder to be synced)."""
    with suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def state(path: Path, sha256: str) -> str:
    """"ok", "missing" or "altered" (not a regular file, unreadable, or another content)."""
    try:
        if path.is_symlink():
            return "altered"
        if not path.exists():
            return "missing"
        return "ok" if path.is_file() and sha256_file(path) == sha256 else "altered"
    except OSError:
        return "altered"


@dataclass(frozen=True)
class Check:
    path: str  # as recorded in the journal
    sha256: str
    archived: Path
    state: str  # ok | missing | altered


def check(archive: Path, steps: Iterable[Step]) -> list[Check]:
    """Each document the journal's steps cite (once), against the archive."""
    seen: set[Path] = set()
    found: list[Check] = []
    for step in steps:
        for path, sha in step.documents:
            target = location(archive, sha, path)
            if target in seen:
                continue
            seen.add(target)
            found.append(Check(path, sha, target, state(target, sha)))
    return found
