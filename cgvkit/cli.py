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
        print(f"\n{errors} erreur(s) : ce qui est en erreur n’a pas été écrit, les sorties précédentes "
              "restent intactes.", file=sys.stderr)
        return 1
    except Usage as exc:
        print(f"usage : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="build.py", description="Kit CGV et recouvrement.")
    sub = parser.add_subparsers(dest="command")
    parser.set_defaults(run=cmd_all, jobs=None, shard=None, force=False, no_site=False)

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
    p.add_argument("--jobs", type=_positive, default=None, help="processus en parallèle (défaut : nombre de cœurs)")
    p.add_argument("--shard", type=_shard, default=None, metavar="I/N", help="ne construit que le lot I sur N")
    p.add_argument("--force", action="store_true", help="reconstruit même les packs à jour")
    p.add_argument("--no-site", action="store_true", help="ne construit pas le site")
    p.set_defaults(run=cmd_all)

    p = sub.add_parser("merge", help="fusionne les index des lots de dist/ en dist/index.json")
    p.add_argument("dist", type=Path, nargs="?", default=ROOT / "dist")
    p.set_defaults(run=cmd_merge)

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


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("un nombre entier positif est attendu")
    return int(text)


def _shard(text: str):
    from .batch import parse_shard

    try:
        return parse_shard(text)
    except ValueError:
        raise argparse.ArgumentTypeError("la forme attendue est I/N, par exemple 2/8") from None


def cmd_all(args) -> int:
    from .batch import build_all, write_index
    from .progress import Progress

    project = load_project(ROOT, lenient=True)
    _report(project.warnings)
    failed = [p for problems in project.failed.values() for p in problems if p.severity == "error"]
    _report(failed)
    dist = ROOT / "dist"
    with Progress(len(project.companies), sys.stderr) as progress:
        report = build_all(project, dist, args.jobs, args.shard, args.force, progress.advance)
    for outcome in report.outcomes:
        _report(outcome.problems)
    write_index(dist, report, args.shard)
    broken = len(project.failed) + report.count("failed")
    print(f"{report.count('rendered')} pack(s) construit(s), {report.count('reused')} réutilisé(s), "
          f"{broken} en échec, {report.pages} page(s) en {report.seconds:.1f} s")
    if not args.no_site and args.shard is None:
        for step in ALL_STEPS:
            step(project, args)
    return 1 if broken else 0


def cmd_merge(args) -> int:
    from .batch import merge_indexes

    print(f"index écrit : {_shown(merge_indexes(args.dist))}")
    return 0


# Later steps of `all` (site, ...): step(project, args).
ALL_STEPS: list = []


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


# `dunning`: the daily dunning run from a ledger CSV (cgvkit/dunning_run.py).
from .dunning_run import register as _register_dunning  # noqa: E402

COMMANDS.append(_register_dunning)

# `site`: the internal playbook site (cgvkit/site/), also the last step of `all`.
from .site import register as _register_site, step as _site_step  # noqa: E402

COMMANDS.append(_register_site)
ALL_STEPS.append(_site_step)
