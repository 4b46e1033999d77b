"""Command line: `python build.py COMMAND ...`. The only place that prints and picks exit codes.

Exit status: 0 success; 1 the input is wrong (every problem printed); 2 wrong usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import KitError, Problem
from .project import load_project

ROOT = Path(__file__).resolve().parent.parent


class Usage(Exception):
    """Wrong usage detected after argument parsing (exit 2)."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except KitError as exc:
        _report(exc.problems)
        errors = sum(p.severity == "error" for p in exc.problems)
        print(f"\n{errors} erreur(s) : rien n’a été écrit ni modifié.", file=sys.stderr)
        return 1
    except Usage as exc:
        print(f"usage : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build.py", description="Kit CGV et recouvrement.")
    sub = parser.add_subparsers(dest="command")
    parser.set_defaults(run=cmd_all, jobs=None, shard=None)

    p = sub.add_parser("validate", help="valide clauses, entreprises, taux et gabarits")
    p.add_argument("paths", nargs="*", type=Path)
    p.set_defaults(run=cmd_validate)

    p = sub.add_parser("pack", help="construit le pack d’une entreprise")
    p.add_argument("company", type=Path)
    p.add_argument("-o", "--output", type=Path)
    p.set_defaults(run=cmd_pack)

    p = sub.add_parser("schema", help="écrit les JSON Schema pour les éditeurs")
    p.add_argument("-o", "--output", type=Path, default=ROOT / "schemas" / "json")
    p.set_defaults(run=cmd_schema)

    p = sub.add_parser("all", help="valide, construit tous les packs et le site")
    p.add_argument("--jobs", type=int, default=None)
    p.set_defaults(run=cmd_all)

    for register in COMMANDS:
        register(sub)
    return parser


# Other modules (dunning, site) add their sub-commands here: register(subparsers).
COMMANDS: list = []


def _report(problems: list[Problem]) -> None:
    for problem in sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line, p.column)):
        print(problem, file=sys.stderr)


def _company_paths(paths: list[Path]) -> list[Path] | None:
    chosen = [p for p in paths if p.resolve().parent == (ROOT / "companies").resolve()]
    return chosen or None


def _check_exists(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            raise Usage(f"fichier introuvable : {path}")


def cmd_validate(args) -> int:
    _check_exists(args.paths)
    project = load_project(ROOT, _company_paths(args.paths))
    _report(project.warnings)
    return 0


def cmd_pack(args) -> int:
    from .pack import build_pack

    _check_exists([args.company])
    project = load_project(ROOT, [args.company])
    _report(project.warnings)
    company = project.companies[0]
    out = args.output or ROOT / "dist" / company.slug
    build_pack(project, company, out)
    print(f"pack écrit : {_shown(out)}")
    return 0


def cmd_schema(args) -> int:
    from .jsonschema import write_schemas

    project = load_project(ROOT, [])
    for path in write_schemas(project, args.output):
        print(f"schéma écrit : {_shown(path)}")
    return 0


def cmd_all(args) -> int:
    from .pack import build_pack

    project = load_project(ROOT)
    _report(project.warnings)
    for company in project.companies:
        build_pack(project, company, ROOT / "dist" / company.slug)
        print(f"pack écrit : dist/{company.slug}")
    for step in ALL_STEPS:
        step(project, args)
    return 0


# Later steps of `all` (site, ...): step(project, args).
ALL_STEPS: list = []


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
