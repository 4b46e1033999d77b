"""Warnings on the library's life: a clause changed without a new version, a variant past its
end date that companies still use."""

from __future__ import annotations

from datetime import date

from cgvkit.core.errors import KitError, Problem
from cgvkit.core.french import date_fr
from cgvkit.model.project import Project
from cgvkit.sources.history import HistoryError, changed_files, committed_text
from cgvkit.sources.yamlsource import load_text


def unchanged_versions(project: Project) -> list[Problem]:
    """Variants whose text or parameters differ from the last commit while `version` did not."""
    try:
        changed = set(changed_files(project.root, "clauses"))
    except HistoryError:
        return []  # not a git repository: nothing to compare with
    warnings = []
    for variant in project.library.all_variants():
        if variant.source.file not in changed:
            continue
        old_text = committed_text(project.root, variant.source.file)
        try:
            old = load_text(old_text, variant.source.file).data if old_text else None
        except KitError:
            continue
        new = variant.source.data
        if not isinstance(old, dict) or not isinstance(new, dict) or str(old.get("version")) != str(variant.version):
            continue
        what = [label for key, label in (("text", "le texte"), ("parameters", "les paramètres"))
                if old.get(key) != new.get(key)]
        if what:
            warnings.append(variant.source.problem(
                ("version",), f"{' et '.join(what)} {'a' if what == ['le texte'] else 'ont'} changé depuis le dernier commit mais la version est "
                f"restée {variant.version} : augmentez-la pour que les CGV déjà remises restent identifiables",
                "clause-version-unchanged", "warning"))
    return warnings


def expired_variants(project: Project, today: date) -> list[Problem]:
    """Variants whose `valid_to` is past, with the companies that still use them."""
    warnings = []
    for family in project.library.ordered():
        for variant in family.variants.values():
            if variant.valid_to is None or variant.valid_to >= today:
                continue
            users = sorted(c.slug for c in project.companies  # in either market's CGV
                           if any((mine := v.clause(family.name)) is not None and mine.variant.id == variant.id
                                  for v in c.views.values() or (c,)))
            who = f"encore utilisée par : {', '.join(users)}" if users else "plus utilisée par aucune entreprise"
            warnings.append(variant.source.problem(
                ("valid_to",), f"la variante n’est plus en vigueur depuis le {date_fr(variant.valid_to)} ; {who}",
                "clause-expired", "warning"))
    return warnings
