"""`diff [REF]`: what changed in the clause library since a git reference, as French redlines."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from cgvkit import __version__
from cgvkit.commands.destination import checked_output
from cgvkit.commands.output import Usage, shown
from cgvkit.core.errors import KitError
from cgvkit.core.files import staged_dir
from cgvkit.documents.redline import company_changes, library_changes, write_redlines
from cgvkit.model.project import load_project
from cgvkit.sources.history import HistoryError, default_ref, export_tree, resolve


def cmd_diff(args) -> int:
    root = args.root
    chosen = args.output and checked_output(args.output, root, "diff")
    try:
        sha = resolve(root, args.ref) if args.ref else default_ref(root)
    except HistoryError as exc:
        raise Usage(f"diff : {exc}") from None
    label = args.ref or sha[:10]
    with tempfile.TemporaryDirectory(prefix="cgvkit-diff-") as tmp:
        try:
            old_root = export_tree(root, sha, Path(tmp) / "old")
        except HistoryError as exc:
            raise Usage(f"diff : {exc}") from None
        try:
            old = load_project(old_root, lenient=True)
        except KitError as exc:
            raise Usage(f"diff : le projet à la référence {label} ne se charge pas "
                        f"({len(exc.problems)} problème(s), par exemple : {exc.problems[0]})") from None
        new = load_project(root, lenient=True)
        families = library_changes(old, new)
        companies = company_changes(old, new)
        out = chosen or root / "dist" / "modifications" / sha[:10]
        with staged_dir(out) as stage:
            write_redlines(new, families, companies, stage, (f"la version {label}", "la version actuelle"),
                           args.date)
            summary = {"kit_version": __version__, "ref": label, "commit": sha,
                       "families": {f.name: [v.id for v in f.variants] for f in families},
                       "companies": {c.slug: [n for n, _, _ in c.articles] for c in companies}}
            (stage / "diff.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                             encoding="utf-8")
    variants = sum(len(f.variants) for f in families)
    print(f"{variants} clause(s) modifiée(s) dans {len(families)} famille(s), {len(companies)} entreprise(s) "
          f"dont les CGV changent ; comparaison écrite : {shown(out)}")
    for company in companies:
        numbers = ", ".join(str(n) for n, _, _ in company.articles)
        print(f"  {company.slug} : article(s) {numbers}")
    return 0
