"""The playbook site: generated pages from the project's data, then MkDocs in strict mode.

    packs      every company's pack in dist/<slug>/ (built or reused, see batch.build_one)
    generate   docs/generated/ rebuilt from scratch, swapped in whole
    publish    MkDocs (strict) into a staging folder, swapped for site/ only if it succeeded

A failed build leaves the previous site/ untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from markupsafe import Markup

from cgvkit.core.errors import KitError
from cgvkit.core.files import staged_dir
from cgvkit.site import companies as company_pages
from cgvkit.site import ladder as ladder_pages
from cgvkit.site import library as library_pages
from cgvkit.site.markdown import render_page
from cgvkit.site.mkdocs import build_strict
from cgvkit.site.mkdocsconfig import check_config
from cgvkit.site.rates import rate_view


@dataclass
class Generated:
    """What was written into docs/generated/, for reports and tests."""
    pages: list
    companies: list


def generate(project, published: list, out: Path) -> Generated:
    """Write every generated page (and the copied PDFs) into `out`."""
    root = project.root
    pages: dict[str, str] = {}
    families = library_pages.family_views(project)
    pages["clauses/index.md"] = render_page(root, "clauses_index.md", families=families,
                                            library_rules=library_pages.library_rules())
    for view in families:
        pages[f"clauses/{view['family'].name}.md"] = render_page(root, "clause_family.md", view=view)
    pages["regles.md"] = render_page(root, "rules.md", rules=library_pages.rule_rows(),
                                     families=library_pages.rules_by_id(families))
    pages["taux.md"] = render_page(root, "rates.md", **rate_view(project.table))
    ladder = ladder_pages.load(root)
    pages.update(_ladder_pages(root, ladder, published))
    (out / "echelle").mkdir(parents=True, exist_ok=True)
    (out / "echelle" / "echelle.svg").write_text(ladder_pages.timeline(ladder) + "\n", encoding="utf-8")
    titles = {s.id: s.title for s in ladder.stages + ladder.documents}
    views = []
    for pub in published:
        company_pages.copy_pack(pub, out / "entreprises" / pub.slug)
        view = company_pages.company_view(pub, ladder, titles)
        view["run"] = company_pages.run_note(pub, root, project.today)
        views.append(view)
        pages[f"entreprises/{pub.slug}.md"] = render_page(root, "company.md", view=view)
    pages["entreprises/index.md"] = render_page(root, "companies_index.md", companies=views)
    for name, text in sorted(pages.items()):
        target = out / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Generated(sorted(pages), [p.slug for p in published])


def _ladder_pages(root: Path, ladder, published: list) -> dict:
    stages = [ladder_pages.stage_view(s, published) for s in ladder.stages]
    documents = [ladder_pages.stage_view(d, published) for d in ladder.documents]
    pages = {"echelle/index.md": render_page(root, "ladder_index.md", stages=stages, documents=documents,
                                             svg=Markup(ladder_pages.timeline(ladder)))}
    for views in (stages, documents):
        for i, view in enumerate(views):
            previous = views[i - 1]["stage"] if i > 0 else None
            following = views[i + 1]["stage"] if i + 1 < len(views) else None
            pages[f"echelle/{view['stage'].id}.md"] = render_page(root, "stage.md", view=view,
                                                                 previous=previous, next=following)
    return pages


def build_site(project, dist: Path | None = None, out: Path | None = None) -> Generated:
    """Packs, generated pages, then site/ (or `out`); raises KitError listing every problem."""
    root = project.root
    check_config(root / "mkdocs.yml", root)  # before anything is built: MkDocs' own reader is not safe
    dist = dist or root / "dist"
    problems, published = [], []
    for company in sorted(project.companies, key=lambda c: c.slug):
        try:
            published.append(company_pages.ensure_pack(project, company, dist))
        except KitError as exc:
            problems.extend(exc.problems)
    if problems:
        raise KitError(problems)
    with staged_dir(root / "docs" / "generated") as staging:
        generated = generate(project, published, staging)
    with staged_dir(out or root / "site") as staging:
        build_strict(root / "mkdocs.yml", staging)
    return generated
