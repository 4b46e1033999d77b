"""The internal recovery playbook site (`python build.py site`, and the last step of `all`).

Kept light: the CLI imports this package to register the command; the build itself
(`build.py`, WeasyPrint for missing packs, MkDocs) is imported only when it runs.
"""

from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    parser = subparsers.add_parser("site", help="construit le site interne du recouvrement dans site/")
    parser.set_defaults(run=cmd_site)


def cmd_site(args) -> int:
    from ..cli import ROOT, _report
    from ..project import load_project

    project = load_project(ROOT)
    _report(project.warnings)
    return _build(project)


def step(project, args) -> None:
    """Last step of `python build.py all`: the site, from the packs just built.

    Companies whose profile failed are left out (`all` already reported them and exits 1).
    """
    _build(project)


def _build(project) -> int:
    from .build import build_site

    generated = build_site(project)
    site = project.root / "site"
    print(f"site écrit : {_shown(site)} ({len(generated.pages)} page(s) générée(s), "
          f"{len(generated.companies)} entreprise(s))")
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
