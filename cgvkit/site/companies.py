"""Companies on the site: their packs (built when missing) copied in, and what their pages show."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cgvkit.documents.batch import build_one
from cgvkit.documents.pack import versions_fr
from cgvkit.core.errors import KitError
from cgvkit.core.french import date_fr, iban, money
from cgvkit.site.library import MARKETS, value_fr
from cgvkit.site.rates import half_year_label

PUBLISHED = (".pdf", ".txt")  # the pack's documents staff download; HTML sources stay in dist/


@dataclass
class Published:
    company: object
    slug: str
    pack: Path  # dist/<slug>/
    manifest: dict


def ensure_pack(project, company, dist: Path) -> Published:
    """The company's pack in dist/<slug>/, built now if it is missing or out of date."""
    pack = dist / company.slug
    outcome = build_one(project, company, dist)
    if outcome.status == "failed":
        raise KitError(outcome.problems)
    return published(company, dist)


def published(company, dist: Path) -> Published:
    """The company's pack as it is in dist/<slug>/, without checking it is up to date."""
    pack = dist / company.slug
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    return Published(company, company.slug, pack, manifest)


def copy_pack(pub: Published, target: Path) -> None:
    """cgv.pdf and the letters (PDF, text) into docs/generated/entreprises/<slug>/."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(pub.pack / "cgv.pdf", target / "cgv.pdf")
    letters = pub.pack / "letters"
    if letters.is_dir():
        (target / "lettres").mkdir(exist_ok=True)
        for path in sorted(letters.iterdir()):
            if path.suffix in PUBLISHED and path.is_file():
                shutil.copy2(path, target / "lettres" / path.name)


def latest_run(dist: Path, slug: str) -> Path | None:
    """The company's latest dunning run with a report: dist/relances/<slug>/<date>[-n]/."""
    base = dist / "relances" / slug
    runs = [p for p in base.glob("????-??-??*") if (p / "report.html").is_file()] if base.is_dir() else []

    def key(path: Path):
        suffix = path.name[11:]
        return path.name[:10], int(suffix) if suffix.isdigit() else 1

    return max(runs, key=key, default=None)


def copy_report(pub: Published, target: Path) -> dict | None:
    """The latest run folder (report, documents) into the site; its link and date, or None."""
    run = latest_run(pub.pack.parent, pub.slug)
    if run is None:
        return None
    shutil.copytree(run, target, ignore=shutil.ignore_patterns(".*"))
    day = date.fromisoformat(run.name[:10])
    return {"href": f"{pub.slug}/relance/report.html", "date": date_fr(day)}


def identity_rows(identity: dict) -> list[tuple[str, str]]:
    address = identity["address"]
    rows = [("Raison sociale", identity["name"]), ("Forme", identity["legal_form"]),
            ("Capital", money(identity["capital"])), ("SIREN", identity["siren"]), ("RCS", identity["rcs"]),
            ("Adresse", f"{address['street']}, {address['postal_code']} {address['city']}"),
            ("Courriel", identity["email"]), ("Téléphone", identity["phone"])]
    optional = (("vat_number", "TVA intracommunautaire"), ("website", "Site internet"), ("iban", "IBAN"),
                ("bic", "BIC"))
    rows += [(label, iban(identity[key]) if key == "iban" else identity[key]) for key, label in optional
             if identity.get(key)]
    return rows


def company_view(pub: Published, ladder, stage_titles: dict) -> dict:
    company = pub.company
    clauses = [{"number": c.number, "family": c.family, "variant": c.variant,
                "params": [(name, value_fr(value)) for name, value in sorted(c.params.items())]}
               for c in company.clauses]
    letters = []
    folder = pub.pack / "letters"
    ids = [s.id for s in (ladder.stages + ladder.documents)] if ladder else []
    extra = sorted({p.stem.removesuffix("-email") for p in folder.glob("*")} - set(ids)) if folder.is_dir() else []
    for stage_id in ids + extra:
        files = [p for p in (folder / f"{stage_id}.pdf", folder / f"{stage_id}.txt",
                             folder / f"{stage_id}-email.pdf", folder / f"{stage_id}-email.txt") if p.is_file()]
        if files:
            letters.append({"id": stage_id, "title": stage_titles.get(stage_id, stage_id),
                            "page": stage_id in ids,
                            "files": [{"href": f"{pub.slug}/lettres/{p.name}", "name": p.name,
                                       "kind": "PDF" if p.suffix == ".pdf" else "texte",
                                       "companion": p.stem.endswith("-email")} for p in files]})
    rates = company.rates
    return {"company": company, "slug": pub.slug, "identity": identity_rows(company.identity),
            "market": MARKETS[company.market], "effective_date": date_fr(company.effective_date),
            "versions": versions_fr(company.clauses),
            "half_year": half_year_label(rates) if rates else "", "clauses": clauses, "letters": letters,
            "cgv": f"{pub.slug}/cgv.pdf", "manifest": pub.manifest}
