"""What a pack depends on, as one hash: unchanged key, unchanged pack (incremental builds)."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from cgvkit import __version__
from cgvkit.model.company import logo_path

# Project folders whose every file can change any pack; the kit's own code counts too.
SHARED_INPUTS = ("templates", "ladder", "schemas")
KIT_CODE = Path(__file__).resolve().parent.parent


@cache
def _tree_hash(folder: str) -> str:
    digest = hashlib.sha256()
    base = Path(folder)
    for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def shared_hash(root: Path) -> str:
    """Hash of the inputs every pack shares (computed once per process)."""
    digest = hashlib.sha256(__version__.encode())
    for name in SHARED_INPUTS:
        if (root / name).is_dir():
            digest.update(name.encode() + _tree_hash(str((root / name).resolve())).encode())
    digest.update(b"cgvkit" + _tree_hash(str(KIT_CODE)).encode())
    return digest.hexdigest()


def pack_key(project, company) -> str:
    """Hash of everything one company's pack is made from."""
    digest = hashlib.sha256(shared_hash(project.root).encode())
    digest.update(company.path.read_bytes())
    logo = company.identity.get("logo")
    if logo:  # the bytes it prints, not its name: a logo replaced under the same name rebuilds the pack
        digest.update(hashlib.sha256(logo_path(logo, project.root).read_bytes()).digest())
    for clause in (c for view in company.views.values() or (company,) for c in view.clauses):  # each market's CGV
        digest.update(clause.variant.id.encode() + clause.variant.sha256.encode())
        digest.update(hashlib.sha256(clause.family.source.file.encode()).digest())
        digest.update(_family_file_hash(str(project.root / clause.family.source.file)).encode())
    rates = company.rates
    digest.update(f"{rates.half_year}|{rates.ecb}|{rates.legal_individual}|{rates.legal_other}|"
                  f"{rates.source}".encode())
    return digest.hexdigest()


@cache
def _family_file_hash(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
