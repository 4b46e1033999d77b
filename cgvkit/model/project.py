"""Loading a whole project: library, rate table, companies, templates — all problems at once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cgvkit.core.errors import KitError, Problem, Problems
from cgvkit.core.templating import outside_link, template_syntax_error
from cgvkit.law import rules
from cgvkit.law.rates import RateTable
from cgvkit.model import cgvversions, textchecks
from cgvkit.model import letters as lettertext
from cgvkit.model.company import Company, load_company
from cgvkit.model.ladder import check_ladder
from cgvkit.model.letterchecks import LetterChecks
from cgvkit.model.library import Library, load_library

# Problems of these kinds give way to a rule of law reported at the same key path:
# a lawyer wants the article, not "unknown field", for one and the same mistake.
GENERIC = ("schema-", "parameter-", "clause-market")
CGV_TEMPLATES = ("cgv.html",)  # what a CGV preview renders (documents/pack.py)


@dataclass
class Project:
    root: Path
    library: Library
    table: RateTable
    companies: list[Company] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    failed: dict[Path, list[Problem]] = field(default_factory=dict)  # company file → its errors (lenient loads only)
    today: date | None = None  # the run date: the law is checked as it stands that day too


def company_files(root: Path) -> list[Path]:
    return sorted((root / "companies").glob("*.yaml"))


def load_project(root: Path, company_paths: list[Path] | None = None, lenient: bool = False,
                 render_checks: bool = True, cgv_only: bool = False, today: date | None = None,
                 letter_texts: bool = True) -> Project:
    """Everything needed to build; raises KitError listing every error (warnings kept).

    What a build can refuse is found here, not while writing: the library and its rules, the rates,
    the templates' syntax, the ladder, and for each company its law, its clause texts, its own ladder
    and what its letters need from their templates (letterchecks.py).

    With `lenient`, a company with errors is set aside in `failed` instead of stopping the
    run, so one bad profile among thousands does not block the others' packs. Without
    `render_checks`, the clause texts are not rendered for checking: a build worker loads a
    project its parent has already checked whole. With `cgv_only` (the quick CGV preview), only
    what the CGV are made of is checked: the library's files, the rates, the companies and their
    CGV texts, and the CGV template; not the dunning ladder, the letters' and the site's templates,
    nor each variant on its own with its defaults (`validate` and the other commands check those).
    `today` is the run date, read once by the command line: each company's CGV are checked against
    the law on their effective date and on that day (without it, on their effective date only).
    """
    problems = Problems()
    library = table = None
    try:
        library = load_library(root)
        problems.extend(rules.check_library(library, today))
    except KitError as exc:
        problems.extend(exc.problems)
    try:
        table = RateTable.load(root / "data" / "rates.yaml", root)
    except KitError as exc:
        problems.extend(exc.problems)
    problems.extend(check_templates(root, CGV_TEMPLATES if cgv_only else None))
    if not cgv_only:
        problems.extend(check_ladder(root))
    shared = without_shadowed(problems.items)
    if any(p.severity == "error" for p in shared):
        raise KitError(shared)
    assert library is not None and table is not None  # else their errors were raised just above
    project = Project(root, library, table, warnings=sorted(shared), today=today)
    errors: list[Problem] = []
    letters = None if cgv_only else LetterChecks(root)
    for path in company_files(root) if company_paths is None else company_paths:
        found = Problems()
        company = load_company(path, root, library, table, found)
        for view in company.views.values() if company is not None else ():  # each market's CGV
            found.extend(rules.check_company(view, today, table))
            if letters is not None:  # its ladder and letter templates: what its pack's letters need
                found.extend(letters.company_problems(view))
            if today is not None:  # the dunning run checks on its own date, naming the invoices (dunning/run.py)
                found.extend(_versions_problems(view, root, today))
            if render_checks:
                found.extend(textchecks.company_problems(view, found.items, today))
            if letters is not None and render_checks and letter_texts and not _errors(found.items):
                # What only the rendered text tells (an SMS made too long by a company field): the
                # blank letters rendered and checked, nothing written. Commands that build every
                # pack anyway (`all`, `site`) leave it to each pack: one render per letter, not two.
                found.extend(lettertext.letter_problems(root, view))
        items = without_shadowed(found.items)
        project.warnings.extend(p for p in items if p.severity == "warning")
        if any(p.severity == "error" for p in items):
            project.failed[path] = sorted(items)
            errors.extend(items)
        elif company is not None:
            project.companies.append(company)
    # Every variant rendered with its defaults for an example company: a library error stops the run.
    rendered = textchecks.variant_problems(project) if render_checks and not cgv_only else []
    project.warnings.extend(p for p in rendered if p.severity == "warning")
    library_errors = [p for p in rendered if p.severity == "error"]
    if library_errors:
        raise KitError(library_errors + list(dict.fromkeys(errors)) + project.warnings)
    if errors and not lenient:  # a shared file's problem (the default ladder, a template) said once
        raise KitError(list(dict.fromkeys(errors)) + project.warnings)
    return project


def _versions_problems(company: Company, root: Path, today: date) -> list[Problem]:
    """The profile against the CGV versions recorded in data/cgv/ (cgv-retroactive, cgv-backdated)."""
    try:
        return cgvversions.check(company, root, today)
    except KitError as exc:
        return exc.problems


def _errors(items: list[Problem]) -> bool:
    return any(p.severity == "error" for p in items)


def without_shadowed(items: list[Problem]) -> list[Problem]:
    ruled = {(p.file, p.path) for p in items if not p.rule.startswith(GENERIC)}
    return [p for p in items if not (p.rule.startswith(GENERIC) and (p.file, p.path) in ruled)]


def check_templates(root: Path, names: tuple[str, ...] | None = None) -> list[Problem]:
    """Every Jinja template (or those `names`, relative to templates/) must compile; a syntax error
    names its file and line."""
    problems = []
    for path in sorted(p for suffix in ("html", "txt", "md") for p in (root / "templates").rglob(f"*.{suffix}")):
        name = path.relative_to(root / "templates").as_posix()
        if names is not None and name not in names:
            continue
        if outside_link(path, root / "templates"):
            problems.append(Problem(f"templates/{name}", 1, 1, "", "lien symbolique vers un fichier hors du dossier "
                                    "templates/ : refusé (un gabarit ne peut pas imprimer un fichier de la machine)",
                                    "template-link"))
            continue
        exc = template_syntax_error(path.read_text(encoding="utf-8"), name)
        if exc is not None:
            problems.append(Problem(f"templates/{name}", exc.lineno or 1, 1, "",
                                    f"gabarit invalide : {exc.message}", "template-syntax"))
    return problems
