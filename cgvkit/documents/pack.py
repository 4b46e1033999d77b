"""One company's pack: its CGV (HTML + PDF), its letter templates and a manifest."""

from __future__ import annotations

import base64
import json
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from cgvkit import __version__
from cgvkit.core.errors import KitError
from cgvkit.core.files import sha256_file, staged_dir
from cgvkit.core.templating import render
from cgvkit.documents.buildkey import pack_key
from cgvkit.documents.letterfiles import write_blank_letters
from cgvkit.documents.pdf import write_document
from cgvkit.model.clausetext import ClauseRenderError, render_text, text_sha256
from cgvkit.model.company import logo_path


@dataclass(frozen=True)
class Article:
    number: int
    family: str
    id: str
    version: str
    title: str
    text: str
    prominent: bool
    sha256: str


def articles(company) -> list[Article]:
    """Every clause of the company rendered to text, in article order."""
    problems, result = [], []
    for clause in company.clauses:
        try:
            text = render_text(company, clause)
        except ClauseRenderError as exc:
            problems.append(exc.problem)
            continue
        result.append(Article(clause.number, clause.family.name, clause.variant.id, clause.variant.version,
                              clause.family.title, text, clause.family.prominent, text_sha256(text)))
    if problems:
        raise KitError(problems)
    return result


def logo_data_uri(company, root: Path) -> str | None:
    """The logo inlined, so the HTML stands alone and the PDF engine fetches nothing."""
    if not company.identity["logo"]:
        return None
    path = logo_path(company.identity["logo"], root)
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def cgv_html(project, company, arts: list[Article]) -> str:
    return render(project.root, "cgv.html", company=company.identity, market=company.market,
                  effective_date=company.effective_date, articles=arts, version=versions_fr(arts),
                  toc_split=toc_split(arts), logo=logo_data_uri(company, project.root), kit_version=__version__)


# Characters on a line of a table of contents column (cgv.css: two columns of Lato 9.6 pt, about
# 220 pt wide), counting the entry, a few dots of leader and the page number.
TOC_LINE = 52


def toc_split(arts: list) -> int:
    """How many entries the first column of the table of contents lists: the fewest that make it at
    least as tall as the second, as CSS columns balance them. Lines are estimated from the entries'
    lengths: with CSS columns WeasyPrint lays the list out over and over to balance it, and the
    first page is laid out three times (its page numbers are only known after the last page)."""
    lines = [-(-(len(f"Article {a.number} — {a.title}") + 4) // TOC_LINE) for a in arts]
    return next(k for k in range(len(lines) + 1) if sum(lines[:k]) >= sum(lines[k:]))


def versions_fr(arts: list) -> str:
    """The clause versions as a lawyer reads them: the common version, then the exceptions.

    Takes articles or resolved clauses (anything with a number and a version or a variant)."""
    pairs = [(a.number, getattr(a, "version", None) or a.variant.version) for a in arts]
    counts: dict[str, int] = {}
    for _, version in pairs:
        counts[version] = counts.get(version, 0) + 1
    if not counts:
        return ""
    common = max(sorted(counts), key=lambda v: counts[v])
    others = [f"article {number} en {version}" for number, version in pairs if version != common]
    return f"clauses en version {common}" + (f", sauf {', '.join(others)}" if others else "")


def build_pack(project, company, out: Path, key: str | None = None, cgv_only: bool = False) -> dict:
    """Write the pack into `out` atomically and return its manifest.

    The build key (see buildkey.py) is recorded so a later build can tell the pack is up to
    date, whichever command built it; callers that already computed it pass it in. A CGV-only
    preview (`cgv_only`) records no key: it is never taken for a whole pack.
    """
    key = None if cgv_only else key or pack_key(project, company)
    # A company selling to professionals and consumers publishes two CGV: its first market's at the
    # top of the pack (cgv.pdf, letters/), the other's in a folder named after it (b2c/cgv.pdf, b2c/letters/).
    views = [company] + [v for v in company.views.values() if v.market != company.market]
    arts = {view.market: articles(view) for view in views}
    with staged_dir(out) as stage:
        pages = 0
        for view in views:
            folder = stage / view.pack_folder
            folder.mkdir(exist_ok=True)
            pages += write_document(project, cgv_html(project, view, arts[view.market]), folder / "cgv",
                                    company.effective_date)
            if not cgv_only:
                pages += write_blank_letters(project, view, folder)
        manifest = _manifest(project, company, arts[company.market], stage)
        if len(views) > 1:
            manifest["markets"] = {view.market: {"folder": view.pack_folder,
                                                 "clauses": _clauses(arts[view.market])} for view in views}
        manifest.update(pages=pages, **({"only": "cgv"} if cgv_only else {"build_key": key}))
        (stage / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2,
                                                        sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def _manifest(project, company, arts: list[Article], folder: Path) -> dict:
    outputs = {p.relative_to(folder).as_posix(): sha256_file(p)
               for p in sorted(folder.rglob("*")) if p.is_file()}
    return {
        "kit_version": __version__,
        "company": company.slug,
        "market": company.market,
        "effective_date": company.effective_date.isoformat(),
        "company_file": {"path": company.source.file, "sha256": sha256_file(company.path)},
        "rates_half_year": company.rates.half_year,
        "clauses": _clauses(arts),
        "outputs": outputs,
    }


def _clauses(arts: list[Article]) -> list[dict]:
    return [{"article": a.number, "family": a.family, "id": a.id, "version": a.version, "sha256": a.sha256}
            for a in arts]
