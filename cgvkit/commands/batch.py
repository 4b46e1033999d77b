"""`all` (validate, every pack, the site) and `merge` (shard indexes of a CI matrix)."""

from __future__ import annotations

import sys

from cgvkit.commands.output import report, shown
from cgvkit.commands.progress import Progress
from cgvkit.commands.rates import warn_stale_table
from cgvkit.commands.site import publish
from cgvkit.documents.batch import build_all, merge_indexes, write_index
from cgvkit.model.project import load_project


def cmd_all(args) -> int:
    project = load_project(args.root, lenient=True)
    report(project.warnings)
    warn_stale_table(project)
    failed = [p for problems in project.failed.values() for p in problems if p.severity == "error"]
    report(failed)
    dist = args.root / "dist"
    with Progress(len(project.companies), sys.stderr) as progress:
        result = build_all(project, dist, args.jobs, args.shard, args.force, progress.advance)
    for outcome in result.outcomes:
        report(outcome.problems)
    write_index(dist, result, args.shard)
    broken = len(project.failed) + result.count("failed")
    print(f"{result.count('rendered')} pack(s) construit(s), {result.count('reused')} réutilisé(s), "
          f"{broken} en échec, {result.pages} page(s) en {result.seconds:.1f} s")
    if not args.no_site and args.shard is None:
        # Companies whose profile failed are left out (reported above; the run exits 1).
        publish(project)
    return 1 if broken else 0


def cmd_merge(args) -> int:
    print(f"index écrit : {shown(merge_indexes(args.dist or args.root / 'dist'))}")
    return 0
