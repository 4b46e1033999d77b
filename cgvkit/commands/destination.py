"""Where `-o` may write: a new or empty folder, or an earlier output of the same command.

An output folder is replaced as a whole, so anything else there would be lost: a file, a
folder of the user's, the project's sources, the project or the current folder themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

from cgvkit.commands.output import Usage
from cgvkit.core.french import typography

# Folders of the project an output must never replace, nor be written into.
SOURCES = ("clauses", "companies", "templates", "docs", "schemas", "data", "ladder", "ledgers", "cgvkit", ".git")
# Folders the kit fills with many outputs: replacing one of them by a single output loses the others.
OUTPUT_HOMES = ("dist", "dist/relances", "dist/apercu", "dist/modifications", "dist/dossiers", "site")
# What each command leaves in its folder, and the keys that show the kit wrote it.
MARKERS = {
    "pack": ("manifest.json", ("kit_version", "company", "outputs"), "un pack"),
    "dunning": ("plan.json", ("company", "date", "debtors"), "une relance"),
    "diff": ("diff.json", ("kit_version", "ref", "families"), "une comparaison de clauses"),
    "bundle": ("dossier.json", ("company", "debtor", "documents"), "un dossier de preuve"),
}


def checked_output(path: Path, root: Path, kind: str) -> Path:
    """The absolute folder `-o path` names; Usage (exit 2, nothing touched) where it may not write."""
    marker, keys, what = MARKERS[kind]
    target = path.resolve()
    root = root.resolve()
    here = Path.cwd().resolve()

    def refuse(reason: str) -> Usage:
        return Usage(typography(f"-o {path} : {reason} ; rien n'a été écrit"))

    if path.is_symlink():
        raise refuse("c'est un lien symbolique ; donnez le dossier lui-même")
    if target.exists() and not target.is_dir():
        raise refuse("c'est un fichier existant, pas un dossier de sortie")
    if root.is_relative_to(target) or here.is_relative_to(target):
        raise refuse("ce dossier contient le projet ou le dossier courant, il serait remplacé en entier")
    for name in SOURCES:
        if target.is_relative_to(root / name):
            raise refuse(f"c'est un dossier des sources du projet ({name}/), qu'une sortie ne remplace jamais")
    if any(target == root / name for name in OUTPUT_HOMES):
        raise refuse("ce dossier reçoit toutes les sorties du kit ; choisissez un sous-dossier")
    if target.parent == root / "dist" / "relances":  # a company's runs, confirmed ones among them
        raise refuse("ce dossier reçoit toutes les relances d'une entreprise, dont celles confirmées qui sont la "
                     "preuve du journal ; choisissez un autre dossier")
    if target.exists():
        if any(target.iterdir()) and not _written_by_kit(target / marker, keys):
            raise refuse(f"ce dossier existe et n'est pas {what} écrit par le kit (pas de {marker} du kit) ; "
                         "il serait remplacé en entier : choisissez un dossier vide ou nouveau")
        return target
    parent = next(p for p in target.parents if p.exists())
    if not parent.is_dir():
        raise refuse(f"{parent} est un fichier, pas un dossier")
    return target


def _written_by_kit(marker: Path, keys: tuple) -> bool:
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and all(key in data for key in keys)
