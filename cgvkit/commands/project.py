"""`validate`, `pack` and `schema`: one project loaded, checked, and one pack or the editor schemas."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cgvkit.commands.destination import checked_output
from cgvkit.commands.output import report, shown, user_file
from cgvkit.commands.rates import warn_stale_table
from cgvkit.documents.pack import build_pack
from cgvkit.model import cgvversions
from cgvkit.model.libraryage import expired_variants, unchanged_versions
from cgvkit.model.project import load_project
from cgvkit.site.mkdocsconfig import check_config
from cgvkit.sources.jsonschema import write_schemas


def _company_paths(paths: list[Path], root: Path) -> list[Path] | None:
    chosen = [p for p in paths if p.resolve().parent == (root / "companies").resolve()]
    return chosen or None


def cmd_validate(args) -> int:
    paths = [user_file(p, args.root) for p in args.paths]
    project = load_project(args.root, _company_paths(paths, args.root), today=args.date)
    if (args.root / "mkdocs.yml").exists():  # what `site` would refuse, said now
        check_config(args.root / "mkdocs.yml", args.root)
    # Everything a pack could refuse was resolved as the project loaded (model/project.py): the ladder,
    # templates and `contains` marks (model/letterchecks.py), the letters' rendered text (model/letters.py).
    report(project.warnings + library_warnings(project, args.date))
    warn_stale_table(project, args.date)
    return 0


def library_warnings(project, today: date) -> list:
    """Warnings only a lawyer's review needs (validate and all): versions, expired variants."""
    return unchanged_versions(project) + expired_variants(project, today)


def cmd_pack(args) -> int:
    chosen = args.output and checked_output(args.output, args.root, "pack")
    project = load_project(args.root, [user_file(args.company, args.root)], cgv_only=args.only == "cgv",
                           today=args.date)
    report(project.warnings)
    company = project.companies[0]
    if args.only == "cgv":  # a quick preview, kept apart from the pack
        out = chosen or args.root / "dist" / "apercu" / company.slug
    else:
        out = chosen or args.root / "dist" / company.slug
    build_pack(project, company, out, cgv_only=args.only == "cgv")
    print(f"pack écrit : {shown(out)}")
    if args.only != "cgv":  # a preview publishes nothing
        record_version(project, company)
    return 0


def record_version(project, company) -> None:
    """A published CGV that is a new version goes into data/cgv/<slug>.yaml (model/cgvversions.py)."""
    for view in company.views.values():  # each market's CGV is its own line of versions
        if cgvversions.record(project.root, view):
            print(f"version des CGV enregistrée : {shown(cgvversions.path_of(project.root, company.slug))}"
                  + (f" ({view.market})" if len(company.views) > 1 else ""))


def cmd_schema(args) -> int:
    project = load_project(args.root, [])
    for path in write_schemas(project, args.output or args.root / "schemas" / "json"):
        print(f"schéma écrit : {shown(path)}")
    return 0
