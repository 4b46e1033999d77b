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
from cgvkit.law.figures import MARKET_NAMES
from cgvkit.site.library import value_fr
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


def market_folders(pub: Published) -> list[str]:
    """The pack's folder of each market's CGV (Company.pack_folder): taken from the profile, never from
    the manifest, whose folders, read from a file of dist/, could point anywhere."""
    views = getattr(pub.company, "views", None) or {pub.company.market: pub.company}
    return [view.pack_folder for view in views.values()]


def copy_pack(pub: Published, target: Path) -> None:
    """Each market's cgv.pdf and letters (PDF, text) into docs/generated/entreprises/<slug>/[<market>/]."""
    for folder in market_folders(pub):
        source, into = pub.pack / folder, target / folder
        into.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / "cgv.pdf", into / "cgv.pdf")
        letters = source / "letters"
        if letters.is_dir() and not letters.is_symlink():
            (into / "lettres").mkdir(exist_ok=True)
            for path in sorted(letters.iterdir()):
                if path.suffix in PUBLISHED and path.is_file() and not path.is_symlink():
                    shutil.copy2(path, into / "lettres" / path.name)


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
    """The company's page: its identity, then the CGV and letters of each market it sells to."""
    company = pub.company
    cgvs = [_market_view(pub, view, view.pack_folder, ladder, stage_titles)
            for view in (company.views or {company.market: company}).values()]
    rates = company.rates
    return {"company": company, "slug": pub.slug, "identity": identity_rows(company.identity),
            "effective_date": date_fr(company.effective_date),
            "half_year": half_year_label(rates) if rates else "", "manifest": pub.manifest,
            **cgvs[0], "others": cgvs[1:], "markets": " et ".join(c["market"] for c in cgvs)}


def _market_view(pub: Published, company, folder: str, ladder, stage_titles: dict) -> dict:
    clauses = [{"number": c.number, "family": c.family, "variant": c.variant,
                "params": [(name, value_fr(value)) for name, value in sorted(c.params.items())]}
               for c in company.clauses]
    letters = []
    href = f"{pub.slug}/{folder}"
    folder_path = pub.pack / folder / "letters"
    ids = [s.id for s in (ladder.stages + ladder.documents)] if ladder else []
    extra = (sorted({p.stem.removesuffix("-email") for p in folder_path.glob("*")} - set(ids))
             if folder_path.is_dir() else [])
    for stage_id in ids + extra:
        files = [p for p in (folder_path / f"{stage_id}.pdf", folder_path / f"{stage_id}.txt",
                             folder_path / f"{stage_id}-email.pdf", folder_path / f"{stage_id}-email.txt")
                 if p.is_file()]
        if files:
            letters.append({"id": stage_id, "title": stage_titles.get(stage_id, stage_id),
                            "page": stage_id in ids,
                            "files": [{"href": f"{href}lettres/{p.name}", "name": p.name,
                                       "kind": "PDF" if p.suffix == ".pdf" else "texte",
                                       "companion": p.stem.endswith("-email")} for p in files]})
    return {"market": MARKET_NAMES[company.market], "versions": versions_fr(company.clauses), "clauses": clauses,
            "letters": letters, "cgv": f"{href}cgv.pdf"}
