"""Companies on the site: their packs (built when missing) copied in, and what their pages show."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from cgvkit.core.errors import KitError
from cgvkit.core.french import date_fr, iban, money
from cgvkit.documents.batch import build_one
from cgvkit.documents.pack import versions_fr
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


_RUN_FOLDER = re.compile(r"(\d{4}-\d{2}-\d{2})(?:-([1-9]\d{0,5}))?")


def _run_day(folder: Path) -> tuple[date, int] | None:
    """(date, rank of the day) of a run folder named <date> or <date>-<n>; None for any other name."""
    match = _RUN_FOLDER.fullmatch(folder.name)
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1)), int(match.group(2) or 1)
    except ValueError:  # 2026-13-45: not a run of the kit
        return None


def latest_run(dist: Path, slug: str, today: date | None = None) -> Path | None:
    """The company's latest dunning run with a report, dist/relances/<slug>/<date>[-n]/, dated on or
    before `today`; any other folder or file there is left alone."""
    base = dist / "relances" / slug
    runs = []
    for folder in (base.iterdir() if base.is_dir() and not base.is_symlink() else ()):
        day = _run_day(folder)
        if day and (today is None or day[0] <= today) and not folder.is_symlink() \
                and (folder / "report.html").is_file():
            runs.append((day, folder))
    return max(runs, default=(None, None))[1]


def run_note(pub: Published, root: Path, today: date | None = None) -> dict | None:
    """The latest run of the company, said on its page: its date and where its folder is on the
    machine that ran it. Nothing of it is copied: plans, letters and lists name debtors, and the site
    is read by everyone who reads the playbook."""
    run = latest_run(pub.pack.parent, pub.slug, today)
    if run is None:
        return None
    try:
        folder = run.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        folder = str(run.resolve())
    return {"date": date_fr(_run_day(run)[0]), "folder": folder + "/", "report": f"{folder}/report.html"}


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
