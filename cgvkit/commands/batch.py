"""`all` (validate, every pack, the site) and `merge` (shard indexes of a CI matrix)."""

from __future__ import annotations

import sys

from cgvkit.commands.output import report, shown
from cgvkit.commands.progress import Progress
from cgvkit.commands.project import library_warnings, record_version
from cgvkit.commands.rates import warn_stale_table
from cgvkit.commands.site import publish
from cgvkit.core.french import typography
from cgvkit.documents.batch import Interrupted, build_all, merge_indexes, prune_removed, write_index
from cgvkit.model.project import load_project


def cmd_all(args) -> int:
    project = load_project(args.root, lenient=True, today=args.date, letter_texts=False)
    report(project.warnings + library_warnings(project, args.date))
    warn_stale_table(project, args.date)
    failed = [p for problems in project.failed.values() for p in problems if p.severity == "error"]
    report(failed)
    dist = args.root / "dist"
    try:
        with Progress(len(project.companies), sys.stderr) as progress:
            result = build_all(project, dist, args.jobs, args.shard, args.force, progress.advance)
    except Interrupted as stop:
        print(typography(f"\ninterrompu : {stop.kept} pack(s) terminé(s) conservé(s), les autres sont "
                         "inchangés"), file=sys.stderr)
        return 130
    for outcome in result.outcomes:
        report(outcome.problems)
    built = {o.slug for o in result.outcomes if o.status != "failed"}
    for company in project.companies:
        if company.slug in built:
            record_version(project, company)
    if args.shard is None:  # a shard sees only its own companies: never prune from one
        kept = {c.slug for c in project.companies} | {path.stem for path in project.failed}
        for slug in prune_removed(dist, kept):
            print(f"pack supprimé : dist/{slug} (son profil companies/{slug}.yaml n’existe plus)")
    write_index(dist, result, args.shard)
    broken = len(project.failed) + result.count("failed")
    print(f"{result.count('rendered')} pack(s) construit(s), {result.count('reused')} réutilisé(s), "
          f"{broken} en échec, {result.pages} page(s) en {result.seconds:.1f} s")
    if not args.no_site and args.shard is None:
        # Companies whose profile failed are left out (reported above; the run exits 1).
        publish(project)
    return 1 if broken else 0


def cmd_merge(args) -> int:
    print(f"index écrit : {shown(merge_indexes(args.dist or args.root / 'dist', args.root))}")
    return 0
