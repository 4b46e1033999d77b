"""The CGV versions a company published (data/cgv/<slug>.yaml): recorded by pack, compared by validate
(cgv-retroactive, cgv-backdated), and the dunning run computing each invoice under the version in force
on its invoice date, its letters citing « en vigueur au … »."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from tests.conftest import edit, run_main
from tests.test_dunning_daily import line, write_ledger, write_rates

B2B = "companies/atelier-lyonnais.yaml"
RECORD = Path("data/cgv/atelier-lyonnais.yaml")


def versions(root: Path) -> list:
    return yaml.safe_load((root / RECORD).read_text(encoding="utf-8"))["versions"]


def flat(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").replace("\u2019", "'").split())


def published(root: Path, on: str = "2026-06-15") -> None:
    """What the firm did when it published its CGV: a pack, which records the version."""
    result = run_main(root, "pack", B2B, "--date", on)
    assert result.returncode == 0, result.stderr


def test_a_preview_records_nothing_a_pack_records_the_version(project):
    """The example companies have no record in the kit's repository (see README: `make demo` writes
    them); a CGV preview is not a publication."""
    assert not (project / RECORD).exists()
    result = run_main(project, "pack", B2B, "--only", "cgv")
    assert result.returncode == 0 and not (project / RECORD).exists(), result.stderr
    published(project)
    text = (project / RECORD).read_text(encoding="utf-8")
    assert text.startswith("# Versions des CGV publiées")
    (version,) = versions(project)
    assert version["effective_date"].isoformat() == "2026-01-01" and version["market"] == "b2b"
    clauses = {c["family"]: c for c in version["clauses"]}
    assert clauses["payment_term"]["params"]["days"] == 45 and clauses["late_penalties"]["variant"] == "ecb_plus_10"
    assert clauses["payment_term"]["article"] >= 1 and len(version["sha256"]) == 64


def test_pack_records_a_new_version_once_and_keeps_the_old_one(project):
    published(project, "2026-04-01")
    edit(project / B2B, "effective_date: 2026-01-01", "effective_date: 2026-05-01")
    edit(project / B2B, "payment_term: {days: 45,", "payment_term: {days: 30,")
    result = run_main(project, "pack", B2B, "--date", "2026-04-01")
    assert result.returncode == 0, result.stderr
    assert "version des CGV enregistrée" in result.stdout
    found = versions(project)
    assert [v["effective_date"].isoformat() for v in found] == ["2026-01-01", "2026-05-01"]
    assert [next(c["params"]["days"] for c in v["clauses"] if c["family"] == "payment_term") for v in found] == [45, 30]
    assert found[0]["sha256"] != found[1]["sha256"]
    again = run_main(project, "pack", B2B, "--date", "2026-04-01")
    assert again.returncode == 0 and "version des CGV enregistrée" not in again.stdout
    assert not list((project / "data" / "cgv").glob(".*"))  # no staging file left


def test_changing_cgv_in_force_without_a_new_date_is_an_error_naming_the_change(project):
    published(project)
    edit(project / B2B, "payment_term: {days: 45,", "payment_term: {days: 30,")
    result = run_main(project, "validate", "--date", "2026-06-15")
    assert result.returncode == 1
    err = flat(result.stderr)
    assert "[cgv-retroactive]" in err and "payment_term.days : 45 → 30" in err and "1er janvier 2026" in err
    assert "companies/atelier-lyonnais.yaml:17" in err  # located on effective_date
    pack = run_main(project, "pack", B2B, "--date", "2026-06-15", "-o", "dist/refused")
    assert pack.returncode == 1 and "[cgv-retroactive]" in pack.stderr and not (project / "dist" / "refused").exists()
    # The same change before the recorded date has come: a warning, the CGV are not in force yet.
    early = run_main(project, "validate", "--date", "2025-12-01")
    assert early.returncode == 0, early.stderr
    assert "avertissement" in early.stderr and "[cgv-retroactive]" in early.stderr
    assert "pas encore en vigueur" in flat(early.stderr)


def test_a_retroactive_change_stops_the_dunning_run_naming_the_invoices(project):
    write_rates(project)
    published(project, "2026-05-20")
    ledger = write_ledger(project, line(number="F-OLD", invoice="2025-12-01", due="2026-01-15"),
                          line(number="F-NEW", invoice="2026-02-01", due="2026-03-15"))
    edit(project / B2B, "late_penalties: {variant: ecb_plus_10}", "late_penalties: {variant: fixed_rate, rate: 15}")
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-05-20")
    assert result.returncode == 1
    err = flat(result.stderr)
    assert "[cgv-retroactive]" in err and "late_penalties" in err and "factures concernées : F-NEW" in err
    assert "F-OLD" not in err


def test_a_new_version_dated_in_the_past_is_a_warning(project):
    published(project, "2026-01-01")
    edit(project / B2B, "effective_date: 2026-01-01", "effective_date: 2026-03-01")
    edit(project / B2B, "payment_term: {days: 45,", "payment_term: {days: 30,")
    result = run_main(project, "validate", "--date", "2026-06-15")
    assert result.returncode == 0, result.stderr
    err = flat(result.stderr)
    assert "[cgv-backdated]" in err and "1er mars 2026" in err and "restent sous la version" in err
    # Dated after the run: no warning.
    later = run_main(project, "validate", "--date", "2026-02-15")
    assert later.returncode == 0 and "cgv-backdated" not in later.stderr


@pytest.mark.slow
def test_each_invoice_under_the_cgv_in_force_on_its_invoice_date(project):
    """Version 1 (1 January 2026): ECB + 10 points, 45 days. Version 2 (1 April 2026): 15 % a year,
    30 days. Rates of the test table for 2026-H1: ECB 2.50 → version 1 claims 12.50 %.
    F1 (invoice 1 February, due 15 March) under version 1: 1 000 € × 12.50 % × 75 / 365 = 25.684… → 25.68 €.
    F2 (invoice 15 April, due 15 May) under version 2: 1 000 € × 15 % × 14 / 365 = 5.753… → 5.75 €.
    Run on Friday 29 May 2026."""
    write_rates(project)
    published(project, "2026-01-15")
    edit(project / B2B, "effective_date: 2026-01-01", "effective_date: 2026-04-01")
    edit(project / B2B, "payment_term: {days: 45,", "payment_term: {days: 30,")
    edit(project / B2B, "late_penalties: {variant: ecb_plus_10}", "late_penalties: {variant: fixed_rate, rate: 15}")
    assert run_main(project, "pack", B2B, "--date", "2026-03-15").returncode == 0
    assert len(versions(project)) == 2
    ledger = write_ledger(project, line(number="F1", invoice="2026-02-01", due="2026-03-15", last="second_reminder"),
                          line(number="F2", invoice="2026-04-15", due="2026-05-15"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-05-29", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    data = json.loads((project / "dist" / "run" / "plan.json").read_text(encoding="utf-8"))
    invoices = {i["number"]: i for i in data["debtors"][0]["invoices"]}
    assert [p["rate"] for p in invoices["F1"]["periods"]] == ["12.50"] and invoices["F1"]["interest"] == "25.68"
    assert [p["rate"] for p in invoices["F2"]["periods"]] == ["15.00"] and invoices["F2"]["interest"] == "5.75"
    assert invoices["F1"]["indemnity"] == invoices["F2"]["indemnity"] == "40.00"
    assert data["debtors"][0]["stage"] == "firm_letter", (data["debtors"][0]["reason"], data["debtors"][0]["warnings"])
    pdf = next(d for d in data["debtors"][0]["documents"] if d.endswith(".pdf"))
    text = flat(" ".join(p.extract_text() for p in PdfReader(project / "dist" / "run" / pdf).pages))
    assert "conditions générales de vente en vigueur au 1er janvier 2026 et au 1er avril 2026" in text


@pytest.mark.slow
def test_an_invoice_before_every_recorded_version_is_computed_under_the_current_cgv_with_a_warning(project):
    write_rates(project)
    published(project, "2026-01-15")
    ledger = write_ledger(project, line(number="F-2025", invoice="2025-11-02", due="2025-12-15"))
    result = run_main(project, "dunning", B2B, "--ledger", ledger, "--date", "2026-05-20", "-o", "dist/run")
    assert result.returncode == 0, result.stderr
    err = flat(result.stderr)
    assert "[cgv-version-missing]" in err and "F-2025" in err and "1er janvier 2026" in err
    data = json.loads((project / "dist" / "run" / "plan.json").read_text(encoding="utf-8"))
    pdf = next(d for d in data["debtors"][0]["documents"] if d.endswith(".pdf"))
    text = flat(" ".join(p.extract_text() for p in PdfReader(project / "dist" / "run" / pdf).pages))
    assert "conditions générales de vente en vigueur au 1er janvier 2026" in text


def test_the_examples_published_versions_are_kept_with_the_project_and_match_their_profiles():
    """data/cgv/ is part of the project (committed, never ignored), and the example profiles are the CGV
    it records: changing an example's clauses needs a new, later effective date, as for any firm."""
    from datetime import date

    from cgvkit.model import cgvversions
    from cgvkit.model.project import load_project
    from tests.conftest import ROOT

    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "data/cgv/atelier-lyonnais.yaml"])
    assert ignored.returncode == 1  # not ignored
    project = load_project(ROOT, today=date(2026, 6, 15))
    assert project.companies
    for company in project.companies:
        for view in company.views.values():
            recorded = [v for v in cgvversions.load(ROOT, company.slug) if v.market == view.market]
            assert recorded and recorded[-1].sha256 == cgvversions.snapshot(view).sha256, company.slug
            assert cgvversions.check(view, ROOT, date(2026, 6, 15)) == []
