"""`validate`, `pack` and `schema`: one project loaded, checked, and one pack or the editor schemas."""

from __future__ import annotations

from pathlib import Path

from cgvkit.commands.output import report, shown, user_file
from cgvkit.commands.rates import warn_stale_table
from cgvkit.documents.pack import build_pack
from cgvkit.model.project import load_project
from cgvkit.sources.jsonschema import write_schemas


def _company_paths(paths: list[Path], root: Path) -> list[Path] | None:
    chosen = [p for p in paths if p.resolve().parent == (root / "companies").resolve()]
    return chosen or None


def cmd_validate(args) -> int:
    paths = [user_file(p, args.root) for p in args.paths]
    project = load_project(args.root, _company_paths(paths, args.root))
    report(project.warnings)
    warn_stale_table(project)
    return 0


def cmd_pack(args) -> int:
    project = load_project(args.root, [user_file(args.company, args.root)])
    report(project.warnings)
    company = project.companies[0]
    out = args.output or args.root / "dist" / company.slug
    build_pack(project, company, out)
    print(f"pack écrit : {shown(out)}")
    return 0


def cmd_schema(args) -> int:
    project = load_project(args.root, [])
    for path in write_schemas(project, args.output or args.root / "schemas" / "json"):
        print(f"schéma écrit : {shown(path)}")
    return 0
