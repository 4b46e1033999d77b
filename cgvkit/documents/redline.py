"""What changed in the clause library between two trees: a French redline per family, and the
companies whose CGV text changes, with the articles affected."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from cgvkit import __version__
from cgvkit.core.errors import KitError
from cgvkit.core.templating import render
from cgvkit.documents.pack import articles
from cgvkit.documents.pdf import write_document
from cgvkit.law.figures import MARKET_NAMES
from cgvkit.model.clausetext import ClauseRenderError
from cgvkit.model.preview import example_company, preview_market, sample_text

_TOKENS = re.compile(r"\s+|[^\s]+")


def redline(old: str, new: str) -> Markup:
    """`new` with the words taken out of `old` struck (<del>) and the words added marked (<ins>)."""
    before, after = _TOKENS.findall(old), _TOKENS.findall(new)
    parts = []
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(after[j1:j2])))
            continue
        if i2 > i1:
            parts.append(Markup("<del>{}</del>").format("".join(before[i1:i2])))
        if j2 > j1:
            parts.append(Markup("<ins>{}</ins>").format("".join(after[j1:j2])))
    return Markup("").join(parts)


@dataclass
class VariantChange:
    id: str
    title: str
    status: str  # "ajoutée", "supprimée", "modifiée"
    old_version: str | None
    new_version: str | None
    text: Markup  # the redline of the text as an example company reads it
    example: str  # whose text that is
    guidance: Markup | None = None  # the redline of the guidance, when it changed
    fields: list = field(default_factory=list)  # (label, old, new) of changed fields


@dataclass
class FamilyChange:
    name: str
    title: str
    variants: list


@dataclass
class CompanyChange:
    slug: str
    name: str
    articles: list  # (number, title, variant id) whose rendered text changed


def library_changes(old_project, new_project) -> list[FamilyChange]:
    """Every family with at least one variant added, removed or changed."""
    old, new = old_project.library, new_project.library
    changes = []
    for name in sorted(set(old.families) | set(new.families)):
        before = old.families.get(name)
        after = new.families.get(name)
        title = (after or before).title
        names = sorted(set(before.variants if before else {}) | set(after.variants if after else {}))
        variants = []
        for variant_name in names:
            a = before.variants.get(variant_name) if before else None
            b = after.variants.get(variant_name) if after else None
            change = _variant_change((old_project, before, a), (new_project, after, b))
            if change:
                variants.append(change)
        if variants:
            changes.append(FamilyChange(name, title, variants))
    return changes


def _variant_change(old: tuple, new: tuple) -> VariantChange | None:
    a, b = old[2], new[2]
    if a is not None and b is not None and a.sha256 == b.sha256:
        return None
    shown = b or a
    status = "ajoutée" if a is None else "supprimée" if b is None else "modifiée"
    market = preview_market(*(new[:1] if b else old[:1]), shown)
    text = redline(_sample(*old, market), _sample(*new, market))
    guidance = None
    if a is not None and b is not None and a.guidance != b.guidance:
        guidance = redline(a.guidance, b.guidance)
    example = example_company(new[0] if b else old[0], market).identity["name"]
    fields = []
    if a is not None and b is not None:
        for label, get in (("Titre", lambda v: v.title), ("Version", lambda v: v.version),
                           ("En vigueur à partir du", lambda v: str(v.valid_from)),
                           ("Fin de validité", lambda v: str(v.valid_to or "")),
                           ("Marchés", lambda v: ", ".join(v.markets)),
                           ("Fondement", lambda v: " ; ".join(article for article, _ in v.legal_basis)),
                           ("Paramètres", _parameters)):
            if get(a) != get(b):
                fields.append((label, get(a), get(b)))
    return VariantChange(shown.id, shown.title, status, a.version if a else None, b.version if b else None,
                         text, example, guidance, fields)


def _sample(project, family, variant, market: str) -> str:
    """The variant's text for the example company ("" when absent; the error when it cannot render)."""
    if variant is None or market not in variant.markets:
        return ""
    try:
        return sample_text(project, family, variant, market)
    except ClauseRenderError as exc:
        return f"[texte impossible à rendre : {exc.problem.message}]"


def _parameters(variant) -> str:
    parts = []
    for p in variant.parameters.values():
        bounds = "".join(f" {k} {getattr(p, k)}" for k in ("min", "max") if getattr(p, k) is not None)
        default = f" = {p.default}" if p.has_default else ""
        parts.append(f"{p.name} ({p.type}{bounds}){default}")
    return " ; ".join(parts)


def company_changes(old_project, new_project) -> list[CompanyChange]:
    """Companies present in both trees whose CGV text differs, article by article."""
    # Each market's CGV on its own (a company selling to both publishes two)
    old_by_slug = {(c.slug, v.market): v for c in old_project.companies for v in c.views.values() or (c,)}
    changes = []
    for company in sorted((v for c in new_project.companies for v in c.views.values() or (c,)),
                          key=lambda c: (c.slug, c.market)):
        previous = old_by_slug.get((company.slug, company.market))
        if previous is None:
            continue
        try:
            before = {a.family: a for a in articles(previous)}
        except KitError:
            before = {}
        now = articles(company)
        touched = []
        for article in now:
            old_article = before.get(article.family)
            if old_article is None or old_article.sha256 != article.sha256:
                touched.append((article.number, article.title, article.id))
        removed = sorted(set(before) - {a.family for a in now})
        touched += [(before[f].number, before[f].title + " (retiré)", before[f].id) for f in removed]
        if touched:
            both = len(company.views) > 1  # say which of its two CGV changed
            name = str(company.identity["name"]) + (f" — CGV {MARKET_NAMES[company.market]}" if both else "")
            changes.append(CompanyChange(company.slug, name, sorted(touched)))
    return changes


def write_redlines(project, families: list, companies: list, folder, labels: tuple, when) -> list:
    """index.html|pdf (families and companies affected) and <family>.html|pdf for each family."""
    old_label, new_label = labels
    common = {"old_label": old_label, "new_label": new_label, "kit_version": __version__}
    written = []
    html = render(project.root, "redline.html", family=None, families=families, companies=companies, **common)
    write_document(project, html, folder / "index", when)
    written.append(folder / "index.html")
    for family in families:
        html = render(project.root, "redline.html", family=family, families=families, companies=[], **common)
        write_document(project, html, folder / family.name, when)
        written.append(folder / f"{family.name}.html")
    return written
